/*
 * table_util.h: helpers shared by the table unit tests (table_test.c,
 * table_db_test.c): a scratch directory, captured warnings, files and
 * Tokyo Cabinet databases written the way makemap writes them.
 */
#ifndef T_UNIT_TABLE_UTIL_H
#define T_UNIT_TABLE_UTIL_H

#define WARN_MAX	8

static char	tdir[] = "/tmp/table_test.XXXXXX";
static char	warnings[WARN_MAX][TABLE_ERR_MAX];
static int	nwarnings;

struct kv {
	const char	*key;
	const char	*value;		/* NULL in a list */
};

static inline void
warn_hook(void *arg, const char *msg)
{
	(void)arg;
	if (nwarnings < WARN_MAX)
		strlcpy(warnings[nwarnings++], msg, sizeof(warnings[0]));
}

/* A path in the scratch directory (static storage, a few at a time). */
static inline char *
path_of(const char *name)
{
	static char paths[4][256];
	static int n;
	char *p = paths[n++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", tdir, name);
	return p;
}

static inline void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A db the way makemap builds it: folded keys, metadata record. */
static inline void
make_db(const char *path, const char *meta, const struct kv *kv)
{
	char tmp[300];
	TCHDB *hdb;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_non_null(hdb = tchdbnew());
	assert_true(tchdbopen(hdb, tmp, HDBOWRITER | HDBOCREAT | HDBOTRUNC));
	for (; kv != NULL && kv->key != NULL; kv++)
		assert_true(tchdbput(hdb, kv->key, strlen(kv->key), kv->value ?
		    kv->value : "", kv->value ? strlen(kv->value) : 0));
	if (meta != NULL)
		assert_true(tchdbput(hdb, "\0meta", 5, meta, strlen(meta)));
	assert_true(tchdbclose(hdb));
	tchdbdel(hdb);
	assert_int_equal(rename(tmp, path), 0);
}

static inline void
decl_init(struct table_decl *d, enum table_backend be, const char *name,
    int uses)
{
	memset(d, 0, sizeof(*d));
	strlcpy(d->name, name, sizeof(d->name));
	d->backend = be;
	d->kind = TABLE_KIND_UNKNOWN;
	d->uses = uses;
	d->file = "smtpd.conf";
	d->line = 3;
}

static inline void
expect_open_err(struct table_decl *d, const char *want)
{
	char err[TABLE_ERR_MAX] = "";
	struct table *t;

	t = table_open(d, err, sizeof(err));
	if (t != NULL)
		fail_msg("%s: loaded, expected \"%s\"", d->name, want);
	assert_string_equal(err, want);
}

static inline int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tdir) == NULL)
		return -1;
	table_set_warn(warn_hook, NULL);
	return 0;
}

static inline int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif

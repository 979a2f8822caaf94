/*
 * makemap_test.c: unit tests for ctl/makemap_db.c, the builder behind
 * makemap and newaliases (spec/tables.md sections 9 and 10). Text is
 * parsed and written as a database, then read back through the daemon's
 * own reader (aliases/table_db.c via table_open on a TABLE_DB declaration)
 * and looked up; the metadata record, owner and mode, the parse errors
 * with their FILE:LINE, replacing a live database, and a failed write
 * that must leave the target and the directory as they were.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <tcutil.h>
#include <tchdb.h>

#include "aliases/table.h"
#include "ctl/makemap.h"

static char	tdir[] = "/tmp/makemap_test.XXXXXX";
static char	warning[TABLE_ERR_MAX];

static void	warn_hook(void *, const char *);
static char	*path_of(const char *);
static int	build(const char *, const char *, enum makemap_type,
		    const char *, char *, size_t);
static struct table *open_db(struct table_decl *, const char *);
static void	expect_lookup(struct table *, const char *, const char *);
static void	read_meta(const char *, char *, size_t);
static int	count_dir(void);

static void
warn_hook(void *arg, const char *msg)
{
	(void)arg;
	strlcpy(warning, msg, sizeof(warning));
}

static char *
path_of(const char *name)
{
	static char paths[4][256];
	static int n;
	char *p = paths[n++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", tdir, name);
	return p;
}

/* Parses text as "t" and writes it to dbfile (mode 0644, no chown). */
static int
build(const char *text, const char *dbfile, enum makemap_type type,
    const char *source, char *err, size_t errsz)
{
	struct makemap_owner owner = { 0, 0, 0, 0644 };
	struct table_mem *mem;
	enum makemap_type wtype;
	int rc;

	if (makemap_parse("t", text, strlen(text), type, 1, &mem, &wtype, err,
	    errsz) == -1)
		return -1;
	rc = makemap_write(dbfile, mem, wtype, source, strlen(text), &owner,
	    err, errsz);
	table_mem_free(mem);
	return rc;
}

static struct table *
open_db(struct table_decl *d, const char *path)
{
	char err[TABLE_ERR_MAX] = "";
	struct table *t;

	memset(d, 0, sizeof(*d));
	strlcpy(d->name, "t", sizeof(d->name));
	d->backend = TABLE_DB;
	d->kind = TABLE_KIND_UNKNOWN;
	d->path = (char *)(uintptr_t)path;
	if ((t = table_open(d, err, sizeof(err))) == NULL)
		fail_msg("table_open %s: %s", path, err);
	table_set_check_interval(t, 0);
	return t;
}

/* value NULL: must be absent; "": found in a list (no value). */
static void
expect_lookup(struct table *t, const char *key, const char *value)
{
	enum table_result r;
	char *v = NULL;

	r = table_lookup(t, key, &v);
	if (value == NULL) {
		if (r != TABLE_NOTFOUND)
			fail_msg("%s: found, expected absent", key);
		return;
	}
	if (r != TABLE_FOUND)
		fail_msg("%s: %d, expected found", key, (int)r);
	if (value[0] == '\0')
		assert_null(v);
	else {
		assert_non_null(v);
		if (strcmp(v, value) != 0)
			fail_msg("%s: \"%s\", expected \"%s\"", key, v, value);
	}
	free(v);
}

static void
read_meta(const char *path, char *buf, size_t bufsz)
{
	TCHDB *hdb;
	void *v;
	int sz;

	assert_non_null(hdb = tchdbnew());
	assert_true(tchdbopen(hdb, path, HDBOREADER | HDBONOLCK));
	assert_non_null(v = tchdbget(hdb, "\0meta", 5, &sz));
	assert_true(sz > 0 && (size_t)sz < bufsz);
	memcpy(buf, v, (size_t)sz);
	buf[sz] = '\0';
	free(v);
	assert_int_equal(tchdbrnum(hdb) > 0, 1);
	tchdbclose(hdb);
	tchdbdel(hdb);
}

/* Entries in the scratch directory (leftover temporary files show). */
static int
count_dir(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	assert_non_null(dir = opendir(tdir));
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tdir) == NULL)
		return -1;
	table_set_warn(warn_hook, NULL);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ tests */

static void
test_plain(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[MAKEMAP_ERR_MAX] = "", meta[4096];
	const char *db = path_of("plain.db");

	(void)state;
	assert_int_equal(build("# mapping\nAlice:   alice@example.net\n"
	    "bob      Bob@Example.NET  \n[::1]    localhost\n", db,
	    MAKEMAP_PLAIN, "/etc/mail/plain", err, sizeof(err)), 0);
	t = open_db(&d, db);
	assert_int_equal(table_kind(t), TABLE_KIND_MAPPING);
	expect_lookup(t, "alice", "alice@example.net");
	expect_lookup(t, "ALICE", "alice@example.net");
	expect_lookup(t, "bob", "Bob@Example.NET");
	expect_lookup(t, "[::1]", "localhost");
	expect_lookup(t, "carol", NULL);
	expect_lookup(t, "", NULL);
	table_close(t);

	read_meta(db, meta, sizeof(meta));
	assert_int_equal(strncmp(meta, "version=1 type=plain entries=3 "
	    "source=/etc/mail/plain built=", 53), 0);
}

static void
test_aliases(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[MAKEMAP_ERR_MAX] = "", meta[4096];
	const char *db = path_of("aliases.db");

	(void)state;
	assert_int_equal(build("# /etc/mail/aliases\npostmaster:   root\n"
	    "staff:        alice, bob,\n"
	    "              carol@example.net          # continuation\n"
	    "  # a comment line does not end the entry\n"
	    "\tdave\n"
	    "bob:          \\bob, \"|/usr/local/bin/vacation bob\"\n"
	    "nobody:       error:550 5.1.1 no such user here\n", db,
	    MAKEMAP_ALIASES, "/etc/mail/aliases", err, sizeof(err)), 0);
	t = open_db(&d, db);
	assert_int_equal(table_kind(t), TABLE_KIND_MAPPING);
	expect_lookup(t, "postmaster", "root");
	expect_lookup(t, "staff", "alice, bob, carol@example.net          "
	    "# continuation dave");
	expect_lookup(t, "bob", "\\bob, \"|/usr/local/bin/vacation bob\"");
	expect_lookup(t, "nobody", "error:550 5.1.1 no such user here");
	table_close(t);
	read_meta(db, meta, sizeof(meta));
	assert_int_equal(strncmp(meta, "version=1 type=aliases entries=4 ",
	    33), 0);
}

static void
test_set(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[MAKEMAP_ERR_MAX] = "", meta[4096];
	const char *db = path_of("set.db");

	(void)state;
	assert_int_equal(build("Example.ORG\nfoo bar: baz\n", db, MAKEMAP_SET,
	    "-", err, sizeof(err)), 0);
	t = open_db(&d, db);
	assert_int_equal(table_kind(t), TABLE_KIND_LIST);
	expect_lookup(t, "example.org", "");
	expect_lookup(t, "foo bar: baz", "");
	expect_lookup(t, "foo", NULL);
	table_close(t);
	read_meta(db, meta, sizeof(meta));
	assert_int_equal(strncmp(meta, "version=1 type=set entries=2 source=- ",
	    38), 0);
}

/* A plain source that is a list by section 2 is written as a set. */
static void
test_plain_list(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[MAKEMAP_ERR_MAX] = "";
	const char *db = path_of("list.db");

	(void)state;
	assert_int_equal(build("example.org\n*.example.org\n", db,
	    MAKEMAP_PLAIN, "/x", err, sizeof(err)), 0);
	t = open_db(&d, db);
	assert_int_equal(table_kind(t), TABLE_KIND_LIST);
	expect_lookup(t, "*.example.org", "");
	table_close(t);
	assert_int_equal(build("# @list\na: b\n", db, MAKEMAP_PLAIN, "/x",
	    err, sizeof(err)), 0);
	t = open_db(&d, db);
	assert_int_equal(table_kind(t), TABLE_KIND_LIST);
	expect_lookup(t, "a: b", "");
	table_close(t);
}

static void
test_empty(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[MAKEMAP_ERR_MAX] = "", meta[4096];
	const char *db = path_of("empty.db");

	(void)state;
	assert_int_equal(build("# nothing\n\n", db, MAKEMAP_ALIASES, "/x",
	    err, sizeof(err)), 0);
	t = open_db(&d, db);
	expect_lookup(t, "root", NULL);
	table_close(t);
	read_meta(db, meta, sizeof(meta));
	assert_int_equal(strncmp(meta, "version=1 type=aliases entries=0 ",
	    33), 0);
}

static void
test_errors(void **state)
{
	static const struct {
		const char		*text;
		enum makemap_type	 type;
		const char		*err;
	} bad[] = {
		{ "a: 1\nb: 2\nA: 3\n", MAKEMAP_PLAIN,
		    "t:3: duplicate entry for a" },
		{ "x\ny\nX\n", MAKEMAP_SET, "t:3: duplicate entry for x" },
		{ "a: 1\nb\n", MAKEMAP_PLAIN, "t:2: invalid entry" },
		{ "root: alice\nstaff: alice,\n  \"bob\n", MAKEMAP_ALIASES,
		    "t:2: invalid entry" },
		{ "root: alice\nx: a@b@c\ny: \"\n", MAKEMAP_ALIASES,
		    "t:2: invalid entry" },
		{ "root: alice\nnone: # nothing left\n", MAKEMAP_ALIASES,
		    "t:2: invalid entry" },
		{ "\n\nroot\nbob: bob\n", MAKEMAP_ALIASES, "t:3: invalid entry" },
		{ "# @list\nroot: alice\n", MAKEMAP_ALIASES,
		    "t:2: invalid entry" },
		{ "root: alice\nroot: bob\n", MAKEMAP_ALIASES,
		    "t:2: duplicate entry for root" },
		{ "a: \xff\n", MAKEMAP_PLAIN, "t:1: invalid UTF-8" },
		{ "[::1 x\n", MAKEMAP_PLAIN, "t:1: missing ']' in key" },
	};
	struct table_mem *mem;
	enum makemap_type wtype;
	char err[MAKEMAP_ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (makemap_parse("t", bad[i].text, strlen(bad[i].text),
		    bad[i].type, 1, &mem, &wtype, err, sizeof(err)) != -1)
			fail_msg("%zu: parsed, expected \"%s\"", i, bad[i].err);
		assert_null(mem);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("%zu: \"%s\", expected \"%s\"", i, err,
			    bad[i].err);
	}
}

/* newaliases on a file: table: duplicates warn, the last one wins. */
static void
test_not_strict(void **state)
{
	struct table_mem *mem;
	enum makemap_type wtype;
	char err[MAKEMAP_ERR_MAX];
	const char *v;

	(void)state;
	warning[0] = '\0';
	assert_int_equal(makemap_parse("t", "a: x\nA: y\n", 10,
	    MAKEMAP_ALIASES, 0, &mem, &wtype, err, sizeof(err)), 0);
	assert_string_equal(warning, "t:2: duplicate entry for a");
	assert_int_equal(table_mem_count(mem), 1);
	assert_int_equal(table_mem_get(mem, "a", &v, NULL), 1);
	assert_string_equal(v, "y");
	table_mem_free(mem);
}

/* Rebuilding under a live reader: the reader moves to the new file. */
static void
test_replace(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[MAKEMAP_ERR_MAX] = "";
	const char *db = path_of("live.db");
	struct stat st1, st2;
	int n;

	(void)state;
	n = count_dir();
	assert_int_equal(build("alice: a\n", db, MAKEMAP_ALIASES, "/x", err,
	    sizeof(err)), 0);
	assert_int_equal(stat(db, &st1), 0);
	t = open_db(&d, db);
	expect_lookup(t, "alice", "a");
	assert_int_equal(build("alice: b\ncarol: c\n", db, MAKEMAP_ALIASES,
	    "/x", err, sizeof(err)), 0);
	assert_int_equal(stat(db, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);	/* replaced, not rewritten */
	expect_lookup(t, "alice", "b");
	expect_lookup(t, "carol", "c");
	table_close(t);
	assert_int_equal(count_dir(), n + 1);	/* no temporary file left */
}

/* A failed write leaves the target and the directory unchanged. */
static void
test_write_fails(void **state)
{
	struct makemap_owner owner = { 0, 0, 0, 0644 };
	struct table_mem *mem;
	enum makemap_type wtype;
	char err[MAKEMAP_ERR_MAX] = "", want[512];
	const char *dir = path_of("a-directory");
	struct stat st;
	int n;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	n = count_dir();
	assert_int_equal(makemap_parse("t", "a: b\n", 5, MAKEMAP_PLAIN, 1,
	    &mem, &wtype, err, sizeof(err)), 0);
	/* rename(2) over a directory fails after the whole build */
	assert_int_equal(makemap_write(dir, mem, wtype, "/x", 5, &owner, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	assert_string_equal(err, want);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_dir(), n);
	/* no directory for the temporary file */
	assert_int_equal(makemap_write(path_of("nodir/x.db"), mem, wtype,
	    "/x", 5, &owner, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(count_dir(), n);
	table_mem_free(mem);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_owner(void **state)
{
	struct makemap_owner owner = { 1, 4242, 4343, 0640 };
	struct table_mem *mem;
	enum makemap_type wtype;
	char err[MAKEMAP_ERR_MAX] = "";
	const char *db = path_of("owned.db");
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		owner.chown = 0;
	assert_int_equal(makemap_parse("t", "a: b\n", 5, MAKEMAP_PLAIN, 1,
	    &mem, &wtype, err, sizeof(err)), 0);
	assert_int_equal(makemap_write(db, mem, wtype, "/x", 5, &owner, err,
	    sizeof(err)), 0);
	table_mem_free(mem);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	if (owner.chown) {
		assert_int_equal(st.st_uid, 4242);
		assert_int_equal(st.st_gid, 4343);
	}
}

/* The source path is one ASCII word of the metadata record. */
static void
test_meta_source(void **state)
{
	char err[MAKEMAP_ERR_MAX] = "", meta[4096], *p;
	const char *db = path_of("meta.db");
	char longsrc[3500];

	(void)state;
	assert_int_equal(build("a: b\n", db, MAKEMAP_PLAIN,
	    "/etc/mail/my map%\xc3\xa9", err, sizeof(err)), 0);
	read_meta(db, meta, sizeof(meta));
	assert_non_null(p = strstr(meta, " source="));
	assert_int_equal(strncmp(p, " source=/etc/mail/my%20map%25%C3%A9 "
	    "built=", 42), 0);
	memset(longsrc, 'x', sizeof(longsrc) - 1);
	longsrc[0] = '/';
	longsrc[sizeof(longsrc) - 1] = '\0';
	assert_int_equal(build("a: b\n", db, MAKEMAP_PLAIN, longsrc, err,
	    sizeof(err)), 0);
	read_meta(db, meta, sizeof(meta));
	assert_non_null(strstr(meta, " source=- built="));
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(makemap_type_name(MAKEMAP_PLAIN), "plain");
	assert_string_equal(makemap_type_name(MAKEMAP_ALIASES), "aliases");
	assert_string_equal(makemap_type_name(MAKEMAP_SET), "set");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_plain_list),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_not_strict),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_write_fails),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_meta_source),
		cmocka_unit_test(test_type_names),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * table.c: the table API (aliases/table.h): opening a declared table with
 * its backend, checking the contents against what the config uses it for,
 * tri-state lookups with key folding, reload for `smtpctl update table`,
 * and the set of every table of a config. Called by the lookup role
 * (aliases/lookup.c), rules.c, recipient.c and listmatch.c. It must never
 * abort on bad contents: they are load errors or TABLE_TEMPFAIL.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/aliasfmt.h"
#include "aliases/listmatch.h"
#include "aliases/table_backend.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/* Uses that need a mapping (key -> value); the others take a list. */
#define TABLE_USES_MAPPING	(TABLE_USE_ALIAS | TABLE_USE_VIRTUAL | \
    TABLE_USE_CREDENTIALS | TABLE_USE_RELAYAUTH | TABLE_USE_USERINFO)

struct table {
	const struct table_decl		*decl;
	const struct table_ops	*be;
	void				*h;
	enum table_kind			 kind;
	int				 check_ms;
};

struct tableset {
	struct table	**tables;
	size_t		  ntables;
};

/* What a content check found: the error with the smallest line. */
struct table_check {
	const struct table_decl	*decl;
	int			 uses;
	int			 line;
	int			 failed;
	char			 err[TABLE_ERR_MAX];
};

static table_warn_fn	 table_warn_hook;
static void		*table_warn_arg;

static const struct table_ops *table_ops_of(const struct table_decl *);
static void	table_check_fail(struct table_check *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	table_check_entry(void *, const char *, const char *, int);
static int	table_check(const struct table_decl *,
		    const struct table_ops *, void *, enum table_kind,
		    char *, size_t);
static void	*table_load(const struct table_decl *,
		    const struct table_ops *, enum table_kind *, char *,
		    size_t);

/* ------------------------------------------------------------ helpers */

void
table_set_warn(table_warn_fn fn, void *arg)
{
	table_warn_hook = fn;
	table_warn_arg = arg;
}

void
table_warn(const char *fmt, ...)
{
	char msg[TABLE_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (table_warn_hook != NULL)
		table_warn_hook(table_warn_arg, msg);
	else
		log_warnx("%s", msg);
}

void
table_decl_err(char *err, size_t errsz, const struct table_decl *decl,
    const char *fmt, ...)
{
	char msg[TABLE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (decl->file != NULL)
		snprintf(err, errsz, "%s:%d: %s: %s", decl->file, decl->line,
		    decl->name[0] ? decl->name : "inline table", msg);
	else
		snprintf(err, errsz, "%s: %s",
		    decl->name[0] ? decl->name : "inline table", msg);
}

static const struct table_ops *
table_ops_of(const struct table_decl *decl)
{
	switch (decl->backend) {
	case TABLE_FILE:
		return &table_backend_file;
	case TABLE_DB:
		return &table_backend_db;
	case TABLE_INLINE:
		return &table_backend_inline;
	}
	return NULL;
}

int
table_userinfo_parse(const char *value, struct table_userinfo *ui,
    const char **why)
{
	unsigned long long n[2];
	const char *p = value;
	char *end;
	int i;

	memset(ui, 0, sizeof(*ui));
	for (i = 0; i < 2; i++) {
		if (*p < '0' || *p > '9') {
			*why = "invalid userinfo entry";
			return -1;
		}
		errno = 0;
		n[i] = strtoull(p, &end, 10);
		if (errno != 0 || *end != ':' || n[i] >= UINT_MAX) {
			*why = "invalid userinfo entry";
			return -1;
		}
		p = end + 1;
	}
	if (p[0] != '/' || strlen(p) >= sizeof(ui->home)) {
		*why = "invalid userinfo entry";
		return -1;
	}
	if (n[0] == 0) {
		*why = "uid 0 not allowed";
		return -1;
	}
	ui->uid = (uid_t)n[0];
	ui->gid = (gid_t)n[1];
	strlcpy(ui->home, p, sizeof(ui->home));
	return 0;
}

/* ------------------------------------------------------------ checks */

int
table_kind_check(const struct table_decl *decl, enum table_kind kind,
    char *err, size_t errsz)
{
	char msg[TABLE_MSG_MAX];
	int use;

	if (kind != TABLE_KIND_LIST)
		return 0;
	for (use = 1; use <= TABLE_USE_USERINFO; use <<= 1) {
		if (!(decl->uses & use & TABLE_USES_MAPPING))
			continue;
		if (decl->name[0] != '\0')
			snprintf(msg, sizeof(msg), "table \"%s\" may not be "
			    "used for %s lookups", decl->name,
			    config_table_use_name(use));
		else
			snprintf(msg, sizeof(msg), "inline table may not be "
			    "used for %s lookups", config_table_use_name(use));
		if (decl->file != NULL)
			snprintf(err, errsz, "%s:%d: %s", decl->file,
			    decl->line, msg);
		else
			strlcpy(err, msg, errsz);
		return -1;
	}
	return 0;
}

static void
table_check_fail(struct table_check *c, int line, const char *fmt, ...)
{
	char msg[TABLE_MSG_MAX];
	va_list ap;

	if (c->failed && (line == 0 || (c->line != 0 && c->line <= line)))
		return;		/* keep the first one in file order */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0 && c->decl->path != NULL)
		snprintf(c->err, sizeof(c->err), "%s:%d: %s", c->decl->path,
		    line, msg);
	else
		table_decl_err(c->err, sizeof(c->err), c->decl, "%s", msg);
	c->failed = 1;
	c->line = line;
}

static int
table_check_entry(void *arg, const char *key, const char *value, int line)
{
	struct table_check *c = arg;
	struct table_userinfo ui;
	struct netaddr na;
	const char *why;

	if ((c->uses & TABLE_USE_NETADDR) &&
	    listmatch_netaddr_parse(key, 1, &na) == -1)
		table_check_fail(c, line, "invalid network address %s", key);
	if (value == NULL)
		return 0;
	if ((c->uses & TABLE_USE_USERINFO) &&
	    table_userinfo_parse(value, &ui, &why) == -1)
		table_check_fail(c, line, "%s for %s", why, key);
	/* tables.md section 3: aliases-format values, at load time */
	if ((c->uses & (TABLE_USE_ALIAS | TABLE_USE_VIRTUAL)) &&
	    aliasfmt_entry_check(value, strlen(value), &why) == -1)
		table_check_fail(c, line, "invalid entry for %s: %s", key,
		    why != NULL ? why : "invalid destination");
	if ((c->uses & TABLE_USE_RELAYAUTH) && strchr(value, ':') == NULL)
		table_check_fail(c, line, "invalid credentials entry for %s",
		    key);
	if ((c->uses & TABLE_USE_CREDENTIALS) && value[0] != '$') {
		if (line > 0 && c->decl->path != NULL)
			table_warn("%s:%d: %s is not a password hash, the "
			    "entry never authenticates", c->decl->path, line,
			    key);
		else
			table_warn("%s: %s is not a password hash, the entry "
			    "never authenticates", c->decl->name, key);
	}
	return 0;
}

/*
 * The contents against decl->uses: the kind, credentials file modes, and
 * for file: and inline: tables every entry (a db: table is checked entry
 * by entry when it is looked up).
 */
static int
table_check(const struct table_decl *decl, const struct table_ops *be,
    void *h, enum table_kind kind, char *err, size_t errsz)
{
	struct table_check c;
	struct stat st;

	if (table_kind_check(decl, kind, err, errsz) == -1)
		return -1;
	if ((decl->uses & TABLE_USE_CREDENTIALS) && decl->path != NULL) {
		if (stat(decl->path, &st) == -1) {
			table_decl_err(err, errsz, decl, "%s: %s", decl->path,
			    strerror(errno));
			return -1;
		}
		if (st.st_mode & S_IROTH) {
			table_decl_err(err, errsz, decl, "%s: credentials "
			    "table is world-readable", decl->path);
			return -1;
		}
	}
	if (decl->backend == TABLE_DB)
		return 0;
	memset(&c, 0, sizeof(c));
	c.decl = decl;
	c.uses = decl->uses;
	if (be->iterate(h, table_check_entry, &c) == TABLE_TEMPFAIL) {
		table_decl_err(err, errsz, decl, "cannot read contents");
		return -1;
	}
	if (c.failed) {
		strlcpy(err, c.err, errsz);
		return -1;
	}
	return 0;
}

static void *
table_load(const struct table_decl *decl, const struct table_ops *be,
    enum table_kind *kindp, char *err, size_t errsz)
{
	void *h;
	int flags = 0;

	if (decl->uses & (TABLE_USE_ALIAS | TABLE_USE_VIRTUAL))
		flags |= TABLE_PARSE_ALIASES;
	if ((h = be->open(decl, flags, kindp, err, errsz)) == NULL)
		return NULL;
	if (table_check(decl, be, h, *kindp, err, errsz) == -1) {
		be->close(h);
		return NULL;
	}
	return h;
}

/* ------------------------------------------------------------ one table */

struct table *
table_open(const struct table_decl *decl, char *err, size_t errsz)
{
	const struct table_ops *be;
	struct table *t;
	enum table_kind kind;
	void *h;

	if ((be = table_ops_of(decl)) == NULL) {
		table_decl_err(err, errsz, decl, "unknown backend");
		return NULL;
	}
	if ((h = table_load(decl, be, &kind, err, errsz)) == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->decl = decl;
	t->be = be;
	t->h = h;
	t->kind = kind;
	t->check_ms = TABLE_CHECK_MS;
	return t;
}

void
table_close(struct table *t)
{
	if (t == NULL)
		return;
	t->be->close(t->h);
	free(t);
}

int
table_reload(struct table *t, char *err, size_t errsz)
{
	enum table_kind kind;
	void *h;

	if (t->decl->backend == TABLE_INLINE)
		return 0;
	if ((h = table_load(t->decl, t->be, &kind, err, errsz)) == NULL)
		return -1;
	t->be->close(t->h);
	t->h = h;
	t->kind = kind;
	if (t->be->set_check_interval != NULL)
		t->be->set_check_interval(t->h, t->check_ms);
	return 0;
}

const char *
table_name(const struct table *t)
{
	return t->decl->name;
}

enum table_kind
table_kind(const struct table *t)
{
	return t->kind;
}

const struct table_decl *
table_decl(const struct table *t)
{
	return t->decl;
}

enum table_result
table_lookup(struct table *t, const char *key, char **valuep)
{
	char folded[TABLE_KEY_MAX + 1];
	enum table_result r;
	char *value = NULL;

	if (valuep != NULL)
		*valuep = NULL;
	if (table_fold(key, strlen(key), folded, sizeof(folded)) == -1) {
		log_warnx("table=%s event=lookup error=\"key too long\" "
		    "result=TempFail", t->decl->name);
		return TABLE_TEMPFAIL;
	}
	r = t->be->lookup(t->h, folded, valuep != NULL ? &value : NULL);
	if (r == TABLE_FOUND && valuep != NULL)
		*valuep = value;
	else
		free(value);
	log_trace(TRACE_TABLES, "table=%s key=%s result=%s", t->decl->name,
	    folded, r == TABLE_FOUND ? "found" : r == TABLE_NOTFOUND ?
	    "notfound" : "tempfail");
	return r;
}

enum table_result
table_iterate(struct table *t, table_iter_fn fn, void *arg)
{
	return t->be->iterate(t->h, fn, arg);
}

void
table_set_check_interval(struct table *t, int ms)
{
	t->check_ms = ms;
	if (t->be->set_check_interval != NULL)
		t->be->set_check_interval(t->h, ms);
}

/* ------------------------------------------------------------ the set */

struct tableset *
tableset_open(const struct config *conf, char *err, size_t errsz)
{
	struct tableset *ts;
	struct table_decl *decl;
	struct table *t;

	ts = xcalloc(1, sizeof(*ts));
	TAILQ_FOREACH(decl, &conf->tables, entry) {
		if ((t = table_open(decl, err, errsz)) == NULL) {
			tableset_free(ts);
			return NULL;
		}
		ts->tables = xreallocarray(ts->tables, ts->ntables + 1,
		    sizeof(*ts->tables));
		ts->tables[ts->ntables++] = t;
	}
	return ts;
}

void
tableset_free(struct tableset *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->ntables; i++)
		table_close(ts->tables[i]);
	free(ts->tables);
	free(ts);
}

struct table *
tableset_get(const struct tableset *ts, const struct table_decl *decl)
{
	size_t i;

	if (decl == NULL)
		return NULL;
	for (i = 0; i < ts->ntables; i++)
		if (ts->tables[i]->decl == decl)
			return ts->tables[i];
	return NULL;
}

struct table *
tableset_find(const struct tableset *ts, const char *name)
{
	size_t i;

	if (name[0] == '\0')
		return NULL;
	for (i = 0; i < ts->ntables; i++)
		if (strcmp(ts->tables[i]->decl->name, name) == 0)
			return ts->tables[i];
	return NULL;
}

int
tableset_update(struct tableset *ts, const char *name, char *err,
    size_t errsz)
{
	struct table *t;

	if ((t = tableset_find(ts, name)) == NULL) {
		snprintf(err, errsz, "no such table");
		return -1;
	}
	return table_reload(t, err, errsz);
}

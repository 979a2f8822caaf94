/*
 * table_db.c: the db: backend, a read-only Tokyo Cabinet hash database
 * built by makemap (spec/tables.md section 10). Called by aliases/table.c
 * only. It never writes the file and never takes a lock: a live database
 * is only ever replaced by rename(2).
 *
 * Change detection (10.3): before a lookup, at most once per check
 * interval, the path is stat()ed; a different (dev, ino, mtime, size)
 * means a new file: it is opened and checked, then swapped in; if that
 * fails the old handle stays and one warning is logged per change.
 * **Project decision:** if the path cannot be stat()ed at all (the file
 * was removed, or its directory became unreadable), lookups answer
 * TABLE_TEMPFAIL until it is back - a vanished database is a table error
 * (451 4.3.0), and answering from a file the administrator removed would
 * hide the problem. makemap's atomic rename never makes the path vanish.
 *
 * Tokyo Cabinet's in-process path lock is released before each open (see
 * table_db_load), so a new file can be opened beside the old handle.
 *
 * Lookups use the length-explicit API and copy values; keys starting
 * with NUL (the metadata record) are skipped by walks. Walks (netaddr
 * lists) read the whole database once per handle into a memory store.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tcutil.h>
#include <tchdb.h>

#include "aliases/table_backend.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define TABLE_DB_MAGIC		"ToKyO CaBiNeT"
#define TABLE_DB_META		"\0meta"
#define TABLE_DB_META_LEN	5
#define TABLE_DB_META_MAX	4096

struct table_db_id {
	dev_t		 dev;
	ino_t		 ino;
	time_t		 mtime;
	long		 mtime_ns;
	off_t		 size;
};

struct table_db {
	const struct table_decl	*decl;
	TCHDB			*hdb;
	struct table_db_id	 id;		/* of the open file */
	enum table_kind		 kind;
	struct table_mem	*scan;		/* walk cache, per handle */
	int			 check_ms;
	int			 checked;
	int64_t			 last_check;	/* monotonic ms */
	int			 gone;		/* path cannot be stat()ed */
	int			 failed;	/* a new file failed to load */
	struct table_db_id	 failed_id;
};

static int64_t	table_db_now(void);
static void	table_db_idof(const struct stat *, struct table_db_id *);
static int	table_db_idcmp(const struct table_db_id *,
		    const struct table_db_id *);
static int	table_db_meta(TCHDB *, enum table_kind *);
static TCHDB	*table_db_load(const struct table_decl *, struct table_db_id *,
		    enum table_kind *, char *, size_t);
static int	table_db_refresh(struct table_db *);
static void	*table_db_open(const struct table_decl *, int,
		    enum table_kind *, char *, size_t);
static enum table_result table_db_lookup(void *, const char *, char **);
static enum table_result table_db_iterate(void *, table_iter_fn, void *);
static void	table_db_set_check_interval(void *, int);
static void	table_db_close(void *);

const struct table_ops table_backend_db = {
	.name = "db",
	.open = table_db_open,
	.lookup = table_db_lookup,
	.iterate = table_db_iterate,
	.set_check_interval = table_db_set_check_interval,
	.close = table_db_close,
};

static int64_t
table_db_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
table_db_idof(const struct stat *st, struct table_db_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->mtime = st->st_mtim.tv_sec;
	id->mtime_ns = st->st_mtim.tv_nsec;
	id->size = st->st_size;
}

static int
table_db_idcmp(const struct table_db_id *a, const struct table_db_id *b)
{
	return a->dev != b->dev || a->ino != b->ino || a->mtime != b->mtime ||
	    a->mtime_ns != b->mtime_ns || a->size != b->size;
}

/*
 * The "\0meta" record: "version=1 type=plain|aliases|set entries=N ...".
 * 0 with the kind, -1 if missing or not ours.
 */
static int
table_db_meta(TCHDB *hdb, enum table_kind *kindp)
{
	char meta[TABLE_DB_META_MAX + 1], *word, *next;
	void *v;
	int sz, version = 0;

	*kindp = TABLE_KIND_UNKNOWN;
	if ((v = tchdbget(hdb, TABLE_DB_META, TABLE_DB_META_LEN, &sz)) == NULL)
		return -1;
	if (sz < 0 || sz > TABLE_DB_META_MAX || memchr(v, '\0', sz) != NULL) {
		free(v);
		return -1;
	}
	memcpy(meta, v, sz);
	meta[sz] = '\0';
	free(v);
	for (word = meta; word != NULL; word = next) {
		if ((next = strchr(word, ' ')) != NULL)
			*next++ = '\0';
		if (strcmp(word, "version=1") == 0)
			version = 1;
		else if (strncmp(word, "version=", 8) == 0)
			return -1;
		else if (strcmp(word, "type=set") == 0)
			*kindp = TABLE_KIND_LIST;
		else if (strcmp(word, "type=plain") == 0 ||
		    strcmp(word, "type=aliases") == 0)
			*kindp = TABLE_KIND_MAPPING;
		else if (strncmp(word, "type=", 5) == 0)
			return -1;
	}
	return version == 1 && *kindp != TABLE_KIND_UNKNOWN ? 0 : -1;
}

/* Opens and checks the file at decl->path; NULL with err. */
static TCHDB *
table_db_load(const struct table_decl *decl, struct table_db_id *id,
    enum table_kind *kindp, char *err, size_t errsz)
{
	char magic[sizeof(TABLE_DB_MAGIC) - 1];
	struct stat st;
	TCHDB *hdb;
	char *rpath;
	ssize_t n;
	int fd;

	if ((fd = open(decl->path, O_RDONLY | O_CLOEXEC)) == -1) {
		table_decl_err(err, errsz, decl, "%s: %s", decl->path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		table_decl_err(err, errsz, decl, "%s: %s", decl->path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		table_decl_err(err, errsz, decl, "%s: not a regular file",
		    decl->path);
		close(fd);
		return NULL;
	}
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) ||
	    memcmp(magic, TABLE_DB_MAGIC, sizeof(magic)) != 0) {
		table_decl_err(err, errsz, decl, "%s: not a Tokyo Cabinet hash "
		    "database (rebuild it with makemap)", decl->path);
		return NULL;
	}
	table_db_idof(&st, id);

	/*
	 * Tokyo Cabinet refuses to open a path that this process already
	 * has open (tcpathlock on the real path, "threading error"), but a
	 * replaced file must be opened while the old handle still serves.
	 * Read-only handles need no such exclusion: release it.
	 */
	if ((rpath = realpath(decl->path, NULL)) != NULL) {
		(void)tcpathunlock(rpath);
		free(rpath);
	}
	if ((hdb = tchdbnew()) == NULL)
		fatalx("tchdbnew");
	if (!tchdbopen(hdb, decl->path, HDBOREADER | HDBONOLCK)) {
		table_decl_err(err, errsz, decl, "%s: %s", decl->path,
		    tchdberrmsg(tchdbecode(hdb)));
		tchdbdel(hdb);
		return NULL;
	}
	if (table_db_meta(hdb, kindp) == -1) {
		table_decl_err(err, errsz, decl, "%s: not built by our makemap",
		    decl->path);
		tchdbclose(hdb);
		tchdbdel(hdb);
		return NULL;
	}
	return hdb;
}

/* Change detection; -1 if lookups must fail temporarily. */
static int
table_db_refresh(struct table_db *d)
{
	char err[TABLE_ERR_MAX];
	struct table_db_id id;
	struct stat st;
	enum table_kind kind;
	int64_t now;
	TCHDB *hdb;

	now = table_db_now();
	if (d->checked && d->check_ms > 0 && now - d->last_check < d->check_ms)
		return d->gone ? -1 : 0;
	d->checked = 1;
	d->last_check = now;

	if (stat(d->decl->path, &st) == -1) {
		if (!d->gone)
			log_warnx("table=%s path=%s event=vanished error=\"%s\" "
			    "result=TempFail", d->decl->name, d->decl->path,
			    strerror(errno));
		d->gone = 1;
		return -1;
	}
	d->gone = 0;
	table_db_idof(&st, &id);
	if (table_db_idcmp(&id, &d->id) == 0)
		return 0;
	if (d->failed && table_db_idcmp(&id, &d->failed_id) == 0)
		return 0;	/* this change was refused already */

	if ((hdb = table_db_load(d->decl, &id, &kind, err, sizeof(err)))
	    == NULL || (kind != d->kind &&
	    table_kind_check(d->decl, kind, err, sizeof(err)) == -1)) {
		if (hdb != NULL) {
			tchdbclose(hdb);
			tchdbdel(hdb);
		}
		log_warnx("%s; keeping the previous contents", err);
		d->failed = 1;
		d->failed_id = id;
		return 0;
	}
	tchdbclose(d->hdb);
	tchdbdel(d->hdb);
	d->hdb = hdb;
	d->id = id;
	d->kind = kind;
	d->failed = 0;
	table_mem_free(d->scan);
	d->scan = NULL;
	log_debug("table=%s path=%s event=reopened", d->decl->name,
	    d->decl->path);
	return 0;
}

static void *
table_db_open(const struct table_decl *decl, int flags,
    enum table_kind *kindp, char *err, size_t errsz)
{
	struct table_db *d;
	TCHDB *hdb;
	struct table_db_id id;

	(void)flags;
	if (decl->path == NULL) {
		table_decl_err(err, errsz, decl, "no path");
		return NULL;
	}
	if ((hdb = table_db_load(decl, &id, kindp, err, errsz)) == NULL)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->decl = decl;
	d->hdb = hdb;
	d->id = id;
	d->kind = *kindp;
	d->check_ms = TABLE_CHECK_MS;
	d->checked = 1;
	d->last_check = table_db_now();
	return d;
}

static enum table_result
table_db_lookup(void *h, const char *key, char **valuep)
{
	struct table_db *d = h;
	size_t klen = strlen(key);
	void *v;
	int sz, ecode;

	if (table_db_refresh(d) == -1)
		return TABLE_TEMPFAIL;
	if (klen == 0)
		return TABLE_NOTFOUND;
	if ((v = tchdbget(d->hdb, key, (int)klen, &sz)) == NULL) {
		if ((ecode = tchdbecode(d->hdb)) == TCENOREC)
			return TABLE_NOTFOUND;
		log_warnx("table=%s path=%s event=lookup error=\"%s\" "
		    "result=TempFail", d->decl->name, d->decl->path,
		    tchdberrmsg(ecode));
		return TABLE_TEMPFAIL;
	}
	if (sz < 0 || memchr(v, '\0', sz) != NULL) {
		log_warnx("table=%s path=%s event=lookup error=\"corrupt "
		    "value\" result=TempFail", d->decl->name, d->decl->path);
		free(v);
		return TABLE_TEMPFAIL;
	}
	if (valuep != NULL)
		*valuep = d->kind == TABLE_KIND_MAPPING ?
		    xstrndup(v, (size_t)sz) : NULL;
	free(v);
	return TABLE_FOUND;
}

static enum table_result
table_db_iterate(void *h, table_iter_fn fn, void *arg)
{
	struct table_db *d = h;
	struct table_mem *mem;
	void *k, *v;
	int ksz, vsz;

	if (table_db_refresh(d) == -1)
		return TABLE_TEMPFAIL;
	if (d->scan != NULL)
		return table_mem_iterate(d->scan, fn, arg);

	if (!tchdbiterinit(d->hdb))
		goto fail;
	mem = table_mem_new();
	while ((k = tchdbiternext(d->hdb, &ksz)) != NULL) {
		if (ksz <= 0 || ((char *)k)[0] == '\0') {
			free(k);
			continue;
		}
		v = tchdbget(d->hdb, k, ksz, &vsz);
		if (v == NULL || memchr(k, '\0', ksz) != NULL ||
		    vsz < 0 || memchr(v, '\0', vsz) != NULL) {
			free(k);
			free(v);
			table_mem_free(mem);
			goto fail;
		}
		(void)table_mem_put(mem, k, (size_t)ksz, d->kind ==
		    TABLE_KIND_MAPPING ? v : NULL, (size_t)vsz, 0, NULL);
		free(k);
		free(v);
	}
	if (tchdbecode(d->hdb) != TCENOREC && tchdbecode(d->hdb) != TCESUCCESS) {
		table_mem_free(mem);
		goto fail;
	}
	d->scan = mem;
	return table_mem_iterate(d->scan, fn, arg);
 fail:
	log_warnx("table=%s path=%s event=scan error=\"%s\" result=TempFail",
	    d->decl->name, d->decl->path, tchdberrmsg(tchdbecode(d->hdb)));
	return TABLE_TEMPFAIL;
}

static void
table_db_set_check_interval(void *h, int ms)
{
	struct table_db *d = h;

	d->check_ms = ms;
}

static void
table_db_close(void *h)
{
	struct table_db *d = h;

	if (d == NULL)
		return;
	tchdbclose(d->hdb);
	tchdbdel(d->hdb);
	table_mem_free(d->scan);
	free(d);
}

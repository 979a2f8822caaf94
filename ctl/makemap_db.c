/*
 * makemap_db.c: the builder behind makemap and newaliases (spec/tables.md
 * sections 9.1 and 10). makemap_parse() reads the whole source into the
 * memory store with the one text-table parser (aliases/table_file.c) and
 * checks aliases values with the one aliases-format parser
 * (aliases/aliasfmt.c); makemap_write() writes exactly what
 * aliases/table_db.c reads: one TCHDB record per entry (folded key without
 * NUL, value bytes without NUL, empty for a set) and the "\0meta" record.
 * Called by ctl/makemap.c and the unit tests. It must never write the
 * target in place: a live database is only ever replaced by rename(2), and
 * on any error the target is left as it was and the temporary file is
 * removed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tcutil.h>
#include <tchdb.h>

#include "aliases/aliasfmt.h"
#include "ctl/makemap.h"
#include "lib/xmalloc.h"

#define MAKEMAP_META_KEY	"\0meta"
#define MAKEMAP_META_KEY_LEN	5
#define MAKEMAP_META_MAX	4096	/* what table_db.c accepts */
#define MAKEMAP_SOURCE_META_MAX	3072	/* encoded source path */
#define MAKEMAP_BNUM_MIN	1021
/* HDBTLARGE (64-bit offsets) once the database may pass this size */
#define MAKEMAP_LARGE		(1024LL * 1024 * 1024)
#define MAKEMAP_RECORD_COST	64	/* estimated bytes per record */
#define MAKEMAP_TEMP_SUFFIX	".XXXXXXXXXX"

/* First invalid aliases entry (lowest line) found by a walk. */
struct makemap_check {
	int		 line;
};

/* State of the walk that writes the records. */
struct makemap_put {
	TCHDB		*hdb;
	int		 failed;
};

static void	makemap_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	makemap_check_entry(void *, const char *, const char *, int);
static int	makemap_first_entry(void *, const char *, const char *, int);
static int	makemap_put_entry(void *, const char *, const char *, int);
static void	makemap_meta(char *, size_t, enum makemap_type, size_t,
		    const char *);
static int	makemap_sync_dir(const char *);

static void
makemap_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

const char *
makemap_type_name(enum makemap_type type)
{
	switch (type) {
	case MAKEMAP_ALIASES:
		return "aliases";
	case MAKEMAP_SET:
		return "set";
	case MAKEMAP_PLAIN:
		break;
	}
	return "plain";
}

/* ------------------------------------------------------------ parse */

static int
makemap_check_entry(void *arg, const char *key, const char *value, int line)
{
	struct makemap_check *c = arg;

	(void)key;
	if (value == NULL || aliasfmt_entry_check(value, strlen(value),
	    NULL) == -1)
		if (c->line == 0 || line < c->line)
			c->line = line;
	return 0;
}

static int
makemap_first_entry(void *arg, const char *key, const char *value, int line)
{
	struct makemap_check *c = arg;

	(void)key;
	(void)value;
	if (c->line == 0 || line < c->line)
		c->line = line;
	return 0;
}

int
makemap_parse(const char *name, const char *buf, size_t len,
    enum makemap_type type, int strict, struct table_mem **memp,
    enum makemap_type *typep, char *err, size_t errsz)
{
	struct makemap_check check;
	struct table_mem *mem;
	enum table_kind kind;
	int flags = strict ? TABLE_PARSE_STRICT : 0;

	*memp = NULL;
	*typep = type;
	if (type == MAKEMAP_ALIASES)
		flags |= TABLE_PARSE_ALIASES;
	else if (type == MAKEMAP_SET)
		flags |= TABLE_PARSE_SET;
	if (table_text_parse(name, buf, len, flags, &mem, &kind, err,
	    errsz) == -1)
		return -1;

	if (type == MAKEMAP_ALIASES && table_mem_count(mem) > 0) {
		memset(&check, 0, sizeof(check));
		/* a list (`# @list`, or a first line without a value) */
		(void)table_mem_iterate(mem, kind == TABLE_KIND_LIST ?
		    makemap_first_entry : makemap_check_entry, &check);
		if (check.line != 0) {
			makemap_err(err, errsz, "%s:%d: invalid entry", name,
			    check.line);
			table_mem_free(mem);
			return -1;
		}
	}
	if (type == MAKEMAP_PLAIN && kind == TABLE_KIND_LIST &&
	    table_mem_count(mem) > 0)
		*typep = MAKEMAP_SET;
	*memp = mem;
	return 0;
}

/* ------------------------------------------------------------ write */

static int
makemap_put_entry(void *arg, const char *key, const char *value, int line)
{
	struct makemap_put *p = arg;
	size_t klen = strlen(key), vlen = value != NULL ? strlen(value) : 0;

	(void)line;
	if (klen == 0 || klen > INT_MAX || vlen > INT_MAX ||
	    !tchdbput(p->hdb, key, (int)klen, value != NULL ? value : "",
	    (int)vlen)) {
		p->failed = 1;
		return 1;
	}
	return 0;
}

/*
 * "version=1 type=T entries=N source=PATH built=TIME". The path is
 * %-encoded where it is not printable ASCII (and for space and %), so the
 * record stays ASCII words; a path too long for the record is "-".
 */
static void
makemap_meta(char *meta, size_t metasz, enum makemap_type type,
    size_t entries, const char *source)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[MAKEMAP_SOURCE_META_MAX + 1];
	const unsigned char *s;
	size_t n = 0;

	for (s = (const unsigned char *)source; *s != '\0'; s++) {
		if (n + 3 > MAKEMAP_SOURCE_META_MAX) {
			n = 0;
			enc[n++] = '-';
			break;
		}
		if (*s <= 0x20 || *s >= 0x7f || *s == '%') {
			enc[n++] = '%';
			enc[n++] = hex[*s >> 4];
			enc[n++] = hex[*s & 0x0f];
		} else
			enc[n++] = (char)*s;
	}
	if (n == 0)
		enc[n++] = '-';
	enc[n] = '\0';
	snprintf(meta, metasz, "version=1 type=%s entries=%zu source=%s "
	    "built=%lld", makemap_type_name(type), entries, enc,
	    (long long)time(NULL));
}

/* fsync(2) the directory holding path. */
static int
makemap_sync_dir(const char *path)
{
	char *copy, *dir;
	int fd, rc = -1;

	copy = xstrdup(path);
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int
makemap_write(const char *dbfile, const struct table_mem *mem,
    enum makemap_type type, const char *source, size_t srclen,
    const struct makemap_owner *owner, char *err, size_t errsz)
{
	char tmp[PATH_MAX], meta[MAKEMAP_META_MAX];
	struct makemap_put put;
	TCHDB *hdb = NULL;
	size_t entries = table_mem_count(mem);
	int64_t bnum;
	uint8_t opts = 0;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s%s", dbfile, MAKEMAP_TEMP_SUFFIX) >=
	    (int)sizeof(tmp)) {
		makemap_err(err, errsz, "%s: path too long", dbfile);
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		makemap_err(err, errsz, "%s: %s", tmp, strerror(errno));
		return -1;
	}

	/* 10.2 step 3 */
	bnum = entries > INT64_MAX / 2 ? INT64_MAX : (int64_t)entries * 2;
	if (bnum < MAKEMAP_BNUM_MIN)
		bnum = MAKEMAP_BNUM_MIN;
	if ((long long)srclen > MAKEMAP_LARGE || (long long)srclen +
	    (long long)entries * MAKEMAP_RECORD_COST + bnum * 8 > MAKEMAP_LARGE)
		opts |= HDBTLARGE;
	if ((hdb = tchdbnew()) == NULL) {
		makemap_err(err, errsz, "%s: out of memory", tmp);
		goto fail;
	}
	if (!tchdbtune(hdb, bnum, -1, -1, opts) ||
	    !tchdbopen(hdb, tmp, HDBOWRITER | HDBOCREAT | HDBOTRUNC |
	    HDBOTSYNC)) {
		makemap_err(err, errsz, "%s: %s", tmp,
		    tchdberrmsg(tchdbecode(hdb)));
		goto fail;
	}

	/* step 4: the records, the metadata, close (HDBOTSYNC syncs) */
	memset(&put, 0, sizeof(put));
	put.hdb = hdb;
	(void)table_mem_iterate(mem, makemap_put_entry, &put);
	makemap_meta(meta, sizeof(meta), type, entries, source);
	if (put.failed || !tchdbput(hdb, MAKEMAP_META_KEY,
	    MAKEMAP_META_KEY_LEN, meta, (int)strlen(meta))) {
		makemap_err(err, errsz, "%s: %s", tmp,
		    tchdberrmsg(tchdbecode(hdb)));
		tchdbclose(hdb);
		goto fail;
	}
	if (!tchdbclose(hdb)) {
		makemap_err(err, errsz, "%s: %s", tmp,
		    tchdberrmsg(tchdbecode(hdb)));
		goto fail;
	}
	tchdbdel(hdb);
	hdb = NULL;

	/* step 5, before the fsync so that it covers the new attributes */
	if (owner->chown && fchown(fd, owner->uid, owner->gid) == -1) {
		makemap_err(err, errsz, "%s: cannot give it the owner of the "
		    "source: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fchmod(fd, owner->mode & 07777) == -1) {
		makemap_err(err, errsz, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fsync(fd) == -1) {
		makemap_err(err, errsz, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		makemap_err(err, errsz, "%s: close: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;

	/* step 6 */
	if (rename(tmp, dbfile) == -1) {
		makemap_err(err, errsz, "%s: %s", dbfile, strerror(errno));
		goto fail;
	}
	if (makemap_sync_dir(dbfile) == -1) {
		makemap_err(err, errsz, "%s: cannot sync its directory: %s",
		    dbfile, strerror(errno));
		return 1;
	}
	return 0;

 fail:	/* step 7 */
	if (hdb != NULL)
		tchdbdel(hdb);
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	return -1;
}

/*
 * table_file.c: the text table format (spec/tables.md section 2, and the
 * leading-blank continuation of aliases-format files, section 3) and the
 * file: backend built on it. Called by aliases/table.c, the fuzz harness
 * and (later) makemap/newaliases. The input is an admin's file, but it is
 * parsed as if hostile: never read past the buffer, never abort; every
 * problem is "FILE:LINE: message" and the first one stops the parse.
 *
 * Line numbers in messages are those of the first physical line of the
 * logical line (an entry joined from several lines is reported where it
 * starts); a NUL byte or bad UTF-8 is reported on its own physical line.
 * A line ends in a continuation `\` when its last character (before an
 * optional CR) is a single backslash, not an escaped one (`\\`).
 * A bracketed key runs to the first `]` and on to the separator, so a
 * netaddr entry `[2001:db8::]/32` is one key.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases/table_backend.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/xmalloc.h"

#define TABLE_FILE_MAX		(1024L * 1024 * 1024)	/* whole file */
#define TABLE_LIST_COMMENT	"@list"

struct ttp {
	const char		*name;
	const char		*buf;
	size_t			 len;
	size_t			 pos;
	int			 flags;
	int			 lineno;	/* physical lines read */
	struct table_mem	*mem;
	enum table_kind		 kind;
	int			 forced_list;
	char			*lbuf;		/* logical line */
	size_t			 llen;
	char			*pbuf;		/* aliases: pending entry */
	size_t			 plen;
	int			 pline;
	int			 pending;
	char			*err;
	size_t			 errsz;
};

static int	ttp_fail(struct ttp *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	ttp_blank(char);
static int	ttp_logical(struct ttp *, int *);
static int	ttp_list_comment(const char *, size_t);
static int	ttp_line(struct ttp *, int);
static int	ttp_entry(struct ttp *, const char *, size_t, int);
static int	table_file_read(const struct table_decl *, char **, size_t *,
		    char *, size_t);
static void	*table_file_open(const struct table_decl *, int,
		    enum table_kind *, char *, size_t);

const struct table_ops table_backend_file = {
	.name = "file",
	.open = table_file_open,
	.lookup = table_mem_op_lookup,
	.iterate = table_mem_op_iterate,
	.close = table_mem_op_close,
};

static int
ttp_fail(struct ttp *p, int line, const char *fmt, ...)
{
	char msg[TABLE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errsz, "%s:%d: %s", p->name, line, msg);
	return -1;
}

static int
ttp_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Assembles the next logical line in lbuf (backslash continuation).
 * 1 with a line (its first physical line in *startp), 0 at the end of
 * the buffer, -1 on an error.
 */
static int
ttp_logical(struct ttp *p, int *startp)
{
	const char *s, *nl;
	size_t n, take;
	int cont;

	if (p->pos >= p->len)
		return 0;
	p->llen = 0;
	*startp = p->lineno + 1;
	do {
		s = p->buf + p->pos;
		nl = memchr(s, '\n', p->len - p->pos);
		n = nl != NULL ? (size_t)(nl - s) : p->len - p->pos;
		p->pos += n + (nl != NULL);
		p->lineno++;

		take = n;
		if (take > 0 && s[take - 1] == '\r')
			take--;
		cont = take > 0 && s[take - 1] == '\\' &&
		    (take < 2 || s[take - 2] != '\\');
		take = cont ? take - 1 : n;
		if (take > TABLE_LINE_MAX - p->llen)
			return ttp_fail(p, *startp, "line too long");
		if (memchr(s, '\0', n) != NULL)
			return ttp_fail(p, p->lineno, "NUL byte in line");
		if (!utf8_valid(s, n))
			return ttp_fail(p, p->lineno, "invalid UTF-8");
		memcpy(p->lbuf + p->llen, s, take);
		p->llen += take;
	} while (cont && p->pos < p->len);
	return 1;
}

/* "# @list": '#', blanks, "@list", nothing else (s is stripped). */
static int
ttp_list_comment(const char *s, size_t n)
{
	size_t i = 1;

	while (i < n && ttp_blank(s[i]))
		i++;
	return n - i == strlen(TABLE_LIST_COMMENT) &&
	    memcmp(s + i, TABLE_LIST_COMMENT, n - i) == 0;
}

/* One logical line, lbuf[0..llen), starting on physical line `line`. */
static int
ttp_line(struct ttp *p, int line)
{
	char *s = p->lbuf;
	size_t n = p->llen;
	int lead;

	lead = n > 0 && (s[0] == ' ' || s[0] == '\t');
	while (n > 0 && ttp_blank(s[n - 1]))
		n--;
	while (n > 0 && ttp_blank(s[0])) {
		s++;
		n--;
	}
	if (n == 0)
		return 0;
	if (s[0] == '#') {
		if (p->kind == TABLE_KIND_UNKNOWN && !p->pending &&
		    ttp_list_comment(s, n))
			p->forced_list = 1;
		return 0;
	}
	if (!(p->flags & TABLE_PARSE_ALIASES))
		return ttp_entry(p, s, n, line);

	/* Aliases format: a line starting with a blank continues an entry. */
	if (lead && p->pending) {
		if (n + 1 > TABLE_LINE_MAX - p->plen)
			return ttp_fail(p, p->pline, "line too long");
		p->pbuf[p->plen++] = ' ';
		memcpy(p->pbuf + p->plen, s, n);
		p->plen += n;
		return 0;
	}
	if (p->pending && ttp_entry(p, p->pbuf, p->plen, p->pline) == -1)
		return -1;
	memcpy(p->pbuf, s, n);
	p->plen = n;
	p->pline = line;
	p->pending = 1;
	return 0;
}

/* One entry, s[0..n) stripped and non-empty. */
static int
ttp_entry(struct ttp *p, const char *s, size_t n, int line)
{
	const char *rb, *value = NULL;
	size_t k = 0, v, klen = n, vlen = 0;
	char *folded;
	int has_value, prev = 0;

	if (s[0] == '[') {
		if ((rb = memchr(s, ']', n)) == NULL)
			return ttp_fail(p, line, "missing ']' in key");
		k = rb - s + 1;
	}
	while (k < n && s[k] != ' ' && s[k] != '\t' && s[k] != ':')
		k++;
	v = k;
	if (v < n)
		for (v++; v < n && ttp_blank(s[v]); v++)
			;
	has_value = v < n;

	if (p->kind == TABLE_KIND_UNKNOWN)
		p->kind = (p->forced_list || (p->flags & TABLE_PARSE_SET) ||
		    !has_value) ? TABLE_KIND_LIST : TABLE_KIND_MAPPING;
	if (p->kind == TABLE_KIND_MAPPING) {
		if (!has_value || k == 0)
			return ttp_fail(p, line, "invalid entry");
		klen = k;
		value = s + v;
		vlen = n - v;
	}
	if (table_mem_put(p->mem, s, klen, value, vlen, line, &prev) == 1) {
		folded = xmalloc(klen + 1);
		(void)table_fold(s, klen, folded, klen + 1);
		if (p->flags & TABLE_PARSE_STRICT) {
			ttp_fail(p, line, "duplicate entry for %s", folded);
			free(folded);
			return -1;
		}
		table_warn("%s:%d: duplicate entry for %s", p->name, line,
		    folded);
		free(folded);
	}
	return 0;
}

int
table_text_parse(const char *name, const char *buf, size_t len, int flags,
    struct table_mem **memp, enum table_kind *kindp, char *err, size_t errsz)
{
	struct ttp p;
	int line, rc;

	*memp = NULL;
	*kindp = TABLE_KIND_UNKNOWN;
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.buf = buf;
	p.len = buf != NULL ? len : 0;
	p.flags = flags;
	p.err = err;
	p.errsz = errsz;
	p.kind = TABLE_KIND_UNKNOWN;
	p.mem = table_mem_new();
	p.lbuf = xmalloc(TABLE_LINE_MAX + 1);
	if (flags & TABLE_PARSE_ALIASES)
		p.pbuf = xmalloc(TABLE_LINE_MAX + 1);

	while ((rc = ttp_logical(&p, &line)) == 1)
		if ((rc = ttp_line(&p, line)) == -1)
			break;
	if (rc == 0 && p.pending)
		rc = ttp_entry(&p, p.pbuf, p.plen, p.pline);
	free(p.lbuf);
	free(p.pbuf);
	if (rc == -1) {
		table_mem_free(p.mem);
		return -1;
	}
	/* An empty file is an empty list (or what `# @list` says). */
	if (p.kind == TABLE_KIND_UNKNOWN)
		p.kind = TABLE_KIND_LIST;
	*memp = p.mem;
	*kindp = p.kind;
	return 0;
}

/* ------------------------------------------------------------ backend */

static int
table_file_read(const struct table_decl *decl, char **bufp, size_t *lenp,
    char *err, size_t errsz)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = open(decl->path, O_RDONLY | O_CLOEXEC)) == -1) {
		table_decl_err(err, errsz, decl, "%s: %s", decl->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		table_decl_err(err, errsz, decl, "%s: %s", decl->path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		table_decl_err(err, errsz, decl, "%s: not a regular file",
		    decl->path);
		goto fail;
	}
	if (st.st_size > TABLE_FILE_MAX) {
		table_decl_err(err, errsz, decl, "%s: file too large",
		    decl->path);
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap > TABLE_FILE_MAX) {
				table_decl_err(err, errsz, decl,
				    "%s: file too large", decl->path);
				goto fail;
			}
			buf = xreallocarray(buf, 2, cap);
			cap *= 2;
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			table_decl_err(err, errsz, decl, "%s: %s", decl->path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
 fail:
	free(buf);
	close(fd);
	return -1;
}

static void *
table_file_open(const struct table_decl *decl, int flags,
    enum table_kind *kindp, char *err, size_t errsz)
{
	struct table_mem *mem;
	char *buf;
	size_t len;
	int rc;

	if (decl->path == NULL) {
		table_decl_err(err, errsz, decl, "no path");
		return NULL;
	}
	if (table_file_read(decl, &buf, &len, err, errsz) == -1)
		return NULL;
	rc = table_text_parse(decl->path, buf, len, flags, &mem, kindp, err,
	    errsz);
	free(buf);
	return rc == 0 ? mem : NULL;
}

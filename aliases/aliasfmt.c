/*
 * aliasfmt.c: aliases-format values (spec/tables.md section 3): the
 * splitter and the classifier described in aliasfmt.h. Called by makemap
 * and newaliases (ctl/makemap*.c), the fuzz harness, and later by the
 * lookup role's expansion and the .forward reader. The input is an
 * admin's or a user's file and is parsed as if hostile: never read past
 * the length given, never abort, never log; the only allocation is the
 * list handed back to the caller. Addresses are checked by lib/addr and
 * nothing else.
 *
 * The splitter runs twice over a value: once to count the destinations
 * and size the single allocation, once to classify them into it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases/aliasfmt.h"
#include "lib/utf8.h"
#include "lib/xmalloc.h"

#define ALIASFMT_USER_CHARS	"_.+-"
#define ALIASFMT_ERROR1		":error:"
#define ALIASFMT_ERROR2		"error:"
#define ALIASFMT_INCLUDE1	":include:"
#define ALIASFMT_INCLUDE2	"include:"

#define WHY_QUOTES		"unbalanced quotes"
#define WHY_BACKSLASH		"trailing backslash"
#define WHY_NUL			"NUL byte"
#define WHY_UTF8		"invalid UTF-8"
#define WHY_CONTROL		"control character"
#define WHY_INVALID		"invalid destination"
#define WHY_EMPTY		"no destination"
#define WHY_LONG		"value too long"

/* Where the splitter is in a value. */
struct aliasfmt_split {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	int		 linestart;	/* pos starts the value or a line */
};

static int	aliasfmt_blank(char);
static int	aliasfmt_digit(char);
static int	aliasfmt_alnum(char);
static int	aliasfmt_next(struct aliasfmt_split *, size_t *, size_t *,
		    const char **);
static int	aliasfmt_enclosed(const char *, size_t);
static int	aliasfmt_unescape(const char *, size_t, char *, size_t *);
static size_t	aliasfmt_enhanced(const char *, size_t, char);
static int	aliasfmt_error(char *, size_t, struct aliasfmt_dest *);
static int	aliasfmt_prefix(const char *, size_t, const char *);
static int	aliasfmt_user(const char *, size_t);
static int	aliasfmt_fail(const char **, const char *);

static int
aliasfmt_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
aliasfmt_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
aliasfmt_alnum(char c)
{
	return aliasfmt_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
aliasfmt_fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -1;
}

/*
 * The next destination of the value: 1 with its trimmed raw text at
 * [*startp, *endp) (non-empty), 0 at the end of the value, -1 with *why.
 * Empty destinations (",,", blanks, comments) are skipped here.
 */
static int
aliasfmt_next(struct aliasfmt_split *sp, size_t *startp, size_t *endp,
    const char **why)
{
	const char *s = sp->s;
	size_t start, end;
	int inq, prevblank, found;
	char c;

	while (sp->pos < sp->len) {
		found = inq = 0;
		start = end = sp->pos;
		prevblank = sp->linestart;
		while (sp->pos < sp->len) {
			c = s[sp->pos];
			if (c == '\0')
				return aliasfmt_fail(why, WHY_NUL);
			if (inq && c == '\n')
				return aliasfmt_fail(why, WHY_QUOTES);
			if (!inq && (c == ',' || c == '\n')) {
				sp->pos++;
				sp->linestart = c == '\n';
				break;
			}
			if (!inq && c == '#' && prevblank) {
				/* a comment: up to the newline, left in place */
				while (sp->pos < sp->len && s[sp->pos] != '\n')
					sp->pos++;
				continue;
			}
			sp->linestart = 0;
			if (!inq && aliasfmt_blank(c)) {
				prevblank = 1;
				sp->pos++;
				continue;
			}
			prevblank = 0;
			if (!found) {
				found = 1;
				start = sp->pos;
			}
			if (c == '\\') {
				if (sp->pos + 1 >= sp->len ||
				    s[sp->pos + 1] == '\n')
					return aliasfmt_fail(why, WHY_BACKSLASH);
				if (s[sp->pos + 1] == '\0')
					return aliasfmt_fail(why, WHY_NUL);
				sp->pos += 2;
			} else {
				if (c == '"')
					inq = !inq;
				sp->pos++;
			}
			end = sp->pos;
		}
		if (inq)
			return aliasfmt_fail(why, WHY_QUOTES);
		if (found) {
			*startp = start;
			*endp = end;
			return 1;
		}
	}
	return 0;
}

/*
 * 1 if raw[0..len) is one quoted string: it starts with `"` and the
 * quote that closes it (escapes skipped) is its last character.
 */
static int
aliasfmt_enclosed(const char *raw, size_t len)
{
	size_t i;

	if (len < 2 || raw[0] != '"')
		return 0;
	for (i = 1; i < len; i++) {
		if (raw[i] == '\\')
			i++;
		else if (raw[i] == '"')
			return i == len - 1;
	}
	return 0;
}

/* Copies raw[0..len) to out without its escapes; -1 on a trailing `\`. */
static int
aliasfmt_unescape(const char *raw, size_t len, char *out, size_t *outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (raw[i] == '\\' && ++i == len)
			return -1;
		out[n++] = raw[i];
	}
	out[n] = '\0';
	*outlen = n;
	return 0;
}

/*
 * Length of an enhanced status code (RFC 3463) of class `class` at the
 * start of t[0..n), followed by the end or a space; 0 if there is none.
 */
static size_t
aliasfmt_enhanced(const char *t, size_t n, char class)
{
	size_t i = 2, j, part;

	if (n < 5 || t[0] != class || t[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (j = 0; i < n && j < 3 && aliasfmt_digit(t[i]); i++, j++)
			;
		if (j == 0)
			return 0;
		if (part == 0) {
			if (i == n || t[i] != '.')
				return 0;
			i++;
		}
	}
	return (i == n || t[i] == ' ') ? i : 0;
}

/* 1 if t (len n) starts with prefix, ASCII case ignored. */
static int
aliasfmt_prefix(const char *t, size_t n, const char *prefix)
{
	size_t plen = strlen(prefix);

	return n >= plen && strncasecmp(t, prefix, plen) == 0;
}

/* Rule 1; 1 if t[0..n) (NUL-terminated) is an error destination. */
static int
aliasfmt_error(char *t, size_t n, struct aliasfmt_dest *d)
{
	char *r;
	size_t skip, rn, i, e;

	if (aliasfmt_prefix(t, n, ALIASFMT_ERROR1))
		skip = strlen(ALIASFMT_ERROR1);
	else if (aliasfmt_prefix(t, n, ALIASFMT_ERROR2))
		skip = strlen(ALIASFMT_ERROR2);
	else
		return 0;
	r = t + skip;
	rn = n - skip;
	/* [45][0-9][0-9] SP [A-Za-z0-9] */
	if (rn < 5 || (r[0] != '4' && r[0] != '5') || !aliasfmt_digit(r[1]) ||
	    !aliasfmt_digit(r[2]) || r[3] != ' ' || !aliasfmt_alnum(r[4]))
		return 0;
	if (rn > ALIASFMT_REPLY_MAX)
		return 0;
	for (i = 4; i < rn; i++)
		if (r[i] != '\t' && ((unsigned char)r[i] < 0x20 ||
		    (unsigned char)r[i] > 0x7e))
			return 0;
	d->type = ALIASFMT_ERROR;
	d->code = (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
	r += 4;
	rn -= 4;
	if ((e = aliasfmt_enhanced(r, rn, t[skip])) > 0) {
		memcpy(d->enhanced, r, e);
		d->enhanced[e] = '\0';
		r += e;
		rn -= e;
		if (rn > 0) {		/* the space after the code */
			r++;
			rn--;
		}
	}
	d->value = r;
	d->len = rn;
	return 1;
}

/* Rules 6 and 7: a non-empty run of A-Za-z0-9_.+- */
static int
aliasfmt_user(const char *t, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!aliasfmt_alnum(t[i]) &&
		    strchr(ALIASFMT_USER_CHARS, t[i]) == NULL)
			return 0;
	return 1;
}

int
aliasfmt_classify(const char *raw, size_t len, char *buf, size_t bufsz,
    struct aliasfmt_dest *d, const char **why)
{
	size_t i, n, skip;
	int enclosed, escaped;
	unsigned char c;

	memset(d, 0, sizeof(*d));
	if (buf == NULL || bufsz < len + 1 || len == 0)
		return aliasfmt_fail(why, WHY_INVALID);
	for (i = 0; i < len; i++) {
		c = (unsigned char)raw[i];
		if (c == '\0')
			return aliasfmt_fail(why, WHY_NUL);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return aliasfmt_fail(why, WHY_CONTROL);
	}

	enclosed = aliasfmt_enclosed(raw, len);
	if (enclosed) {
		escaped = raw[1] == '\\';
		if (aliasfmt_unescape(raw + 1, len - 2, buf, &n) == -1)
			return aliasfmt_fail(why, WHY_BACKSLASH);
	} else {
		escaped = raw[0] == '\\';
		if (aliasfmt_unescape(raw, len, buf, &n) == -1)
			return aliasfmt_fail(why, WHY_BACKSLASH);
	}
	if (n == 0)
		return aliasfmt_fail(why, WHY_INVALID);

	d->value = buf;
	d->len = n;
	/* 1: error */
	if (aliasfmt_error(buf, n, d))
		return 0;
	/* 2: include */
	skip = 0;
	if (aliasfmt_prefix(buf, n, ALIASFMT_INCLUDE1))
		skip = strlen(ALIASFMT_INCLUDE1);
	else if (aliasfmt_prefix(buf, n, ALIASFMT_INCLUDE2))
		skip = strlen(ALIASFMT_INCLUDE2);
	if (skip > 0 && skip < n && buf[skip] == '/') {
		d->type = ALIASFMT_INCLUDE;
		d->value = buf + skip;
		d->len = n - skip;
		return 0;
	}
	/* 3: pipe */
	if (buf[0] == '|') {
		for (i = 1; i < n && aliasfmt_blank(buf[i]); i++)
			;
		if (i == n)
			return aliasfmt_fail(why, WHY_INVALID);
		d->type = ALIASFMT_PIPE;
		d->value = buf + 1;
		d->len = n - 1;
		return 0;
	}
	/* 4: file */
	if (buf[0] == '/') {
		d->type = ALIASFMT_FILE;
		return 0;
	}
	/* 5: address */
	if (memchr(buf, '@', n) != NULL &&
	    addr_parse_mailbox(buf, n, 0, &d->addr) == ADDR_OK &&
	    !(d->addr.flags & (ADDR_QUOTED | ADDR_LITERAL | ADDR_UTF8))) {
		d->type = ALIASFMT_ADDRESS;
		return 0;
	}
	memset(&d->addr, 0, sizeof(d->addr));
	/* 6: \user, 7: user */
	if (aliasfmt_user(buf, n)) {
		d->type = ALIASFMT_USER;
		d->final = escaped;
		return 0;
	}
	memset(d, 0, sizeof(*d));
	return aliasfmt_fail(why, WHY_INVALID);
}

int
aliasfmt_parse(const char *s, size_t len, struct aliasfmt_list **listp,
    const char **why)
{
	struct aliasfmt_split sp;
	struct aliasfmt_list *list;
	const char *reason = NULL;
	size_t start, end, count = 0, text = 0, off, size;
	char *area;
	int rc;

	*listp = NULL;
	if (s == NULL)
		len = 0;
	if (len > 0 && memchr(s, '\0', len) != NULL)
		return aliasfmt_fail(why, WHY_NUL);
	if (!utf8_valid(s, len))
		return aliasfmt_fail(why, WHY_UTF8);

	memset(&sp, 0, sizeof(sp));
	sp.s = s;
	sp.len = len;
	sp.linestart = 1;
	while ((rc = aliasfmt_next(&sp, &start, &end, &reason)) == 1) {
		count++;
		text += end - start + 1;
	}
	if (rc == -1)
		return aliasfmt_fail(why, reason);

	/* count <= len and text <= 2 * len: only absurd sizes overflow */
	if (count > (SIZE_MAX - sizeof(*list) - text) /
	    sizeof(list->dests[0]))
		return aliasfmt_fail(why, WHY_LONG);
	size = sizeof(*list) + count * sizeof(list->dests[0]) + text;
	list = xcalloc(1, size);
	area = (char *)&list->dests[count];

	memset(&sp, 0, sizeof(sp));
	sp.s = s;
	sp.len = len;
	sp.linestart = 1;
	off = 0;
	while (list->count < count &&
	    aliasfmt_next(&sp, &start, &end, &reason) == 1) {
		if (aliasfmt_classify(s + start, end - start, area + off,
		    end - start + 1, &list->dests[list->count], &reason) == -1) {
			free(list);
			return aliasfmt_fail(why, reason);
		}
		off += end - start + 1;
		list->count++;
	}
	*listp = list;
	return 0;
}

void
aliasfmt_free(struct aliasfmt_list *list)
{
	free(list);
}

int
aliasfmt_entry_check(const char *s, size_t len, const char **why)
{
	struct aliasfmt_list *list;
	size_t count;

	if (aliasfmt_parse(s, len, &list, why) == -1)
		return -1;
	count = list->count;
	aliasfmt_free(list);
	if (count == 0)
		return aliasfmt_fail(why, WHY_EMPTY);
	return 0;
}

const char *
aliasfmt_type_name(enum aliasfmt_type type)
{
	switch (type) {
	case ALIASFMT_ERROR:
		return "error";
	case ALIASFMT_INCLUDE:
		return "include";
	case ALIASFMT_PIPE:
		return "pipe";
	case ALIASFMT_FILE:
		return "file";
	case ALIASFMT_ADDRESS:
		return "address";
	case ALIASFMT_USER:
		return "user";
	}
	return "?";
}

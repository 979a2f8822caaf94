/*
 * addr.c: the one RFC 5321 address parser (see addr.h): Reverse-path and
 * Forward-path (§4.1.2; source routes checked and dropped, App. C), bare
 * mailboxes, local parts (dot-string, quoted string; UTF-8 under SMTPUTF8,
 * RFC 6531). Domains and literals are addr_domain.c's.
 * Called by the SMTP engine, the config and alias parsers and the envelope
 * decoder. It must never abort on bad input, never allocate, and never
 * read past the length it is given: its input is network text, not a C
 * string.
 *
 * Verdicts come in a fixed order: the whole syntax first, then the length
 * limits, then IDNA validity of U-labels, then the SMTPUTF8 option.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/addr_domain.h"
#include "lib/utf8.h"

#define ADDR_POSTMASTER		"postmaster"
#define ADDR_POSTMASTER_LEN	10

static int	addr_atext(unsigned char);
static size_t	addr_utf8_char(const char *, size_t);
static int	addr_dotatom(const char *, size_t);
static enum addr_result addr_local_scan(const char *, size_t, size_t *,
		    int *);
static int	addr_local_canon(const char *, size_t, int, char *, size_t);
static enum addr_result addr_route_check(const char *, size_t);
static enum addr_result addr_parse(const char *, size_t, int, int,
		    struct mailaddr *, size_t *);

/* atext of RFC 5322 §3.2.3, ASCII part; no locale-dependent ctype. */
static int
addr_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * Length of the well-formed UTF-8 sequence of a non-ASCII character at s,
 * or 0 if malformed or a C1 control (U+0080..U+009F).
 */
static size_t
addr_utf8_char(const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	if ((n = utf8_decode(s, len, &cp)) == 0 || cp < 0xa0)
		return 0;
	return n;
}

/*
 * 1 if s[0..len) is a dot-atom: atext (or UTF-8 non-ASCII) runs separated
 * by single dots, none at either end.
 */
static int
addr_dotatom(const char *s, size_t len)
{
	size_t i, n;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] == '.') {
			if (s[i + 1] == '.')	/* i + 1 < len: no dot at end */
				return 0;
		} else if ((unsigned char)s[i] >= 0x80) {
			if ((n = addr_utf8_char(s + i, len - i)) == 0)
				return 0;
		} else if (!addr_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/*
 * Scans the Local-part at s[*pos]: a Dot-string or a Quoted-string
 * (qtextSMTP, quoted-pairSMTP; RFC 6531 adds UTF-8 to both atext and
 * qtext). On success leaves *pos on the first octet after it and sets
 * ADDR_QUOTED and ADDR_UTF8 in *flags as found.
 */
static enum addr_result
addr_local_scan(const char *s, size_t len, size_t *pos, int *flags)
{
	size_t i = *pos, n;
	unsigned char c;

	if (i < len && s[i] == '"') {
		*flags |= ADDR_QUOTED;
		for (i++; i < len; i += n) {
			c = (unsigned char)s[i];
			n = 1;
			if (c == '"') {
				*pos = i + 1;
				return ADDR_OK;
			}
			if (c == '\\') {
				if (i + 1 >= len ||
				    (unsigned char)s[i + 1] < 32 ||
				    (unsigned char)s[i + 1] > 126)
					return ADDR_ESYNTAX;
				n = 2;
			} else if (c >= 0x80) {
				if ((n = addr_utf8_char(s + i, len - i)) == 0)
					return ADDR_ESYNTAX;
				*flags |= ADDR_UTF8;
			} else if (c < 32 || c > 126)
				return ADDR_ESYNTAX;
		}
		return ADDR_ESYNTAX;		/* no closing quote */
	}

	for (; i < len; i += n) {
		c = (unsigned char)s[i];
		n = 1;
		if (c >= 0x80) {
			if ((n = addr_utf8_char(s + i, len - i)) == 0)
				return ADDR_ESYNTAX;
			*flags |= ADDR_UTF8;
		} else if (!addr_atext(c) && c != '.')
			break;
	}
	if (!addr_dotatom(s + *pos, i - *pos))
		return ADDR_ESYNTAX;
	*pos = i;
	return ADDR_OK;
}

/*
 * Stores the canonical form of a scanned local part: a quoted string
 * whose content is a dot-atom loses its quotes, any other keeps them with
 * only '"' and '\' escaped. The result is never longer than the input.
 */
static int
addr_local_canon(const char *raw, size_t len, int quoted, char *out,
    size_t outsize)
{
	char content[ADDR_LOCAL_MAX + 1];
	size_t i, n = 0, o = 0;

	if (len >= outsize || len >= sizeof(content))
		return -1;
	if (!quoted) {
		memcpy(out, raw, len);
		out[len] = '\0';
		return 0;
	}
	/* raw is '"' content '"', each escape a pair inside the quotes. */
	for (i = 1; i + 1 < len; i++) {
		if (raw[i] == '\\')
			i++;
		content[n++] = raw[i];
	}
	if (addr_dotatom(content, n)) {
		memcpy(out, content, n);
		out[n] = '\0';
		return 0;
	}
	out[o++] = '"';
	for (i = 0; i < n; i++) {
		if (o + 3 > outsize)
			return -1;
		if (content[i] == '"' || content[i] == '\\')
			out[o++] = '\\';
		out[o++] = content[i];
	}
	if (o + 2 > outsize)
		return -1;
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

/* IDNA check of every domain of a scanned route "@a,@b" (no colon). */
static enum addr_result
addr_route_check(const char *s, size_t len)
{
	enum addr_result r;
	size_t i, start;

	for (start = 1; start < len; start = i + 2) {
		for (i = start; i < len && s[i] != ','; i++)
			;
		if ((r = addr_domain_check(s + start, i - start)) != ADDR_OK)
			return r;
	}
	return ADDR_OK;
}

/*
 * The parser behind addr_parse_path() (path = 1: "<" [route ":"]
 * mailbox ">", then end or a blank) and addr_parse_mailbox() (path = 0:
 * the whole of s is the mailbox).
 */
static enum addr_result
addr_parse(const char *s, size_t len, int opts, int path,
    struct mailaddr *out, size_t *consumed)
{
	enum addr_result r;
	size_t pos = 0, end = 0, ls = 0, le = 0, ds = 0, de = 0, rs = 0, re = 0;
	size_t rd;
	int flags = 0, rflags = 0;

	memset(out, 0, sizeof(*out));
	if (path) {
		if (len == 0 || s[0] != '<')
			return ADDR_ESYNTAX;
		pos = 1;
	}

	/* The null path. */
	if ((path && pos < len && s[pos] == '>') || (!path && len == 0)) {
		if (!(opts & ADDR_OPT_NULL))
			return ADDR_ESYNTAX;
		flags = ADDR_NULL;
		end = pos + path;
		goto tail;
	}

	/* A source route "@a,@b:", checked and dropped. */
	if (path && pos < len && s[pos] == '@') {
		rs = pos;
		for (;;) {
			rd = ++pos;
			while (pos < len && s[pos] != ',' && s[pos] != ':' &&
			    s[pos] != '>')
				pos++;
			if (pos == len || s[pos] == '>')
				return ADDR_ESYNTAX;
			r = addr_domain_scan(s + rd, pos - rd, 0, &rflags);
			if (r != ADDR_OK)
				return r;
			if (s[pos] == ':')
				break;
			if (++pos == len || s[pos] != '@')
				return ADDR_ESYNTAX;
		}
		re = pos++;
		flags |= ADDR_ROUTE;
	}

	ls = pos;
	if ((r = addr_local_scan(s, len, &pos, &flags)) != ADDR_OK)
		return r;
	le = pos;

	/* <postmaster>: no domain, no route, not quoted, any case. */
	if ((!path && pos == len) || (path && pos < len && s[pos] == '>')) {
		if (!(opts & ADDR_OPT_POSTMASTER) ||
		    (flags & (ADDR_ROUTE | ADDR_QUOTED)) ||
		    le - ls != ADDR_POSTMASTER_LEN ||
		    strncasecmp(s + ls, ADDR_POSTMASTER,
		    ADDR_POSTMASTER_LEN) != 0)
			return ADDR_ESYNTAX;
		flags |= ADDR_NODOMAIN;
		end = pos + path;
		goto tail;
	}

	if (pos == len || s[pos] != '@')
		return ADDR_ESYNTAX;
	ds = ++pos;
	if (path) {
		while (pos < len && s[pos] != '>')
			pos++;
		if (pos == len)
			return ADDR_ESYNTAX;	/* no closing '>' */
		de = pos;
		end = pos + 1;
	} else
		de = end = len;
	if ((r = addr_domain_scan(s + ds, de - ds, 1, &flags)) != ADDR_OK)
		return r;

 tail:
	/* After the path: the end, or a blank before ESMTP parameters. */
	if (path && end < len && s[end] != ' ' && s[end] != '\t')
		return ADDR_ESYNTAX;

	if (le - ls > ADDR_LOCAL_MAX || de - ds > ADDR_DOMAIN_MAX ||
	    (path && end > ADDR_PATH_MAX))
		return ADDR_ETOOLONG;

	if ((flags & ADDR_UTF8) && !(flags & ADDR_LITERAL) && de > ds &&
	    (r = addr_domain_check(s + ds, de - ds)) != ADDR_OK)
		return r;
	if ((rflags & ADDR_UTF8) &&
	    (r = addr_route_check(s + rs, re - rs)) != ADDR_OK)
		return r;
	if (((flags | rflags) & ADDR_UTF8) && !(opts & ADDR_OPT_UTF8))
		return ADDR_EUTF8;

	if (!(flags & ADDR_NULL)) {
		if (addr_local_canon(s + ls, le - ls, flags & ADDR_QUOTED,
		    out->local, sizeof(out->local)) == -1) {
			memset(out, 0, sizeof(*out));
			return ADDR_ESYNTAX;
		}
		memcpy(out->domain, s + ds, de - ds);
		out->domain[de - ds] = '\0';
		if ((flags & ADDR_LITERAL) && de - ds > ADDR_V6TAG_LEN + 1 &&
		    strncasecmp(out->domain + 1, ADDR_V6TAG,
		    ADDR_V6TAG_LEN) == 0)
			memcpy(out->domain + 1, ADDR_V6TAG, ADDR_V6TAG_LEN);
	}
	out->flags = flags;
	if (consumed != NULL)
		*consumed = end;
	return ADDR_OK;
}

/*
 * Parses the Reverse-path or Forward-path at the start of s (the argument
 * of MAIL FROM: or RCPT TO:, s[0] must be '<'). On ADDR_OK, *consumed is
 * the offset just past '>': len, or a blank that starts the parameters.
 * On error *out is zeroed and *consumed is 0.
 */
enum addr_result
addr_parse_path(const char *s, size_t len, int opts, struct mailaddr *out,
    size_t *consumed)
{
	if (consumed != NULL)
		*consumed = 0;
	return addr_parse(s, len, opts, 1, out, consumed);
}

/*
 * Parses a bare mailbox "local@domain" filling all of s[0..len) (config,
 * aliases, envelopes): the rules of addr_parse_path() without the angle
 * brackets and without a route or the path limit. With ADDR_OPT_NULL
 * the empty string is the null path; with ADDR_OPT_POSTMASTER a bare
 * "postmaster" (any case) is accepted.
 */
enum addr_result
addr_parse_mailbox(const char *s, size_t len, int opts, struct mailaddr *out)
{
	return addr_parse(s, len, opts, 0, out, NULL);
}

/*
 * Checks a domain or address literal filling s[0..len) (HELO/EHLO
 * argument, config values). *flags (may be NULL) gets ADDR_LITERAL and
 * ADDR_UTF8 as found. Only ADDR_OPT_UTF8 is meaningful in opts.
 */
enum addr_result
addr_parse_domain(const char *s, size_t len, int opts, int *flags)
{
	enum addr_result r;
	int f = 0;

	if (flags != NULL)
		*flags = 0;
	if ((r = addr_domain_scan(s, len, 1, &f)) != ADDR_OK)
		return r;
	if (len > ADDR_DOMAIN_MAX)
		return ADDR_ETOOLONG;
	if (f & ADDR_UTF8) {
		if ((r = addr_domain_check(s, len)) != ADDR_OK)
			return r;
		if (!(opts & ADDR_OPT_UTF8))
			return ADDR_EUTF8;
	}
	if (flags != NULL)
		*flags = f;
	return ADDR_OK;
}

/*
 * Writes "local@domain", "" for the null path or the bare local part for
 * <postmaster> into buf. Returns the length written, or -1 if it did not
 * fit (ADDR_MAILBOX_SIZE always does).
 */
int
addr_format(const struct mailaddr *a, char *buf, size_t len)
{
	int n;

	if (a->flags & ADDR_NULL)
		n = snprintf(buf, len, "%s", "");
	else if (a->flags & ADDR_NODOMAIN)
		n = snprintf(buf, len, "%s", a->local);
	else
		n = snprintf(buf, len, "%s@%s", a->local, a->domain);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/* One word for key=value log lines, e.g. "reason=syntax". */
const char *
addr_result_str(enum addr_result r)
{
	switch (r) {
	case ADDR_OK:
		return "ok";
	case ADDR_ESYNTAX:
		return "syntax";
	case ADDR_ETOOLONG:
		return "too-long";
	case ADDR_EUTF8:
		return "non-ascii";
	}
	return "unknown";
}

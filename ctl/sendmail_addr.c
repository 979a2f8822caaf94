/*
 * sendmail_addr.c: the addresses of the sendmail personality (spec/ctl.md
 * section 9): RFC 5322 address lists split into their addr-specs (display
 * names, comments, groups, routes and folding dropped), the recipients of
 * -t (To/Cc/Bcc, or Resent-To/Cc/Bcc), and the qualification of an
 * address from the command line or a header. Called by ctl/sendmail.c,
 * ctl/sendmail_offline.c and the unit tests (t/unit/sendmail_msg_test.c).
 * Pure. Must never decide what an address is: that is lib/addr.c's, the
 * one address parser; this file only finds where each one is.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/sendmail_msg.h"
#include "lib/xmalloc.h"

static size_t	addr_quoted(const char *, size_t, size_t, struct buf *);
static size_t	addr_comment(const char *, size_t, size_t);
static int	addr_angle(const char *, size_t, size_t *, struct buf *);
static void	addr_flush(struct buf *, struct buf *, int *, struct sm_list *);
static int	rcpt_field(const uint8_t *, const struct sm_field *, int);

/* A quoted string at v[i] == '"', copied with its quotes; the index
 * after it, or 0 if it is not closed. */
static size_t
addr_quoted(const char *v, size_t len, size_t i, struct buf *cur)
{
	size_t start = i++;

	while (i < len && v[i] != '"') {
		if (v[i] == '\\' && i + 1 < len)
			i++;
		i++;
	}
	if (i >= len)
		return 0;
	buf_add(cur, v + start, i + 1 - start);
	return i + 1;
}

/* A comment at v[i] == '(', nested; the index after it, 0 if unclosed. */
static size_t
addr_comment(const char *v, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len)
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && --depth == 0)
			return i + 1;
	}
	return 0;
}

/* <...> at v[*ip] == '<': its addr-spec (blanks and comments dropped). */
static int
addr_angle(const char *v, size_t len, size_t *ip, struct buf *spec)
{
	size_t i = *ip + 1, n;

	buf_reset(spec);
	while (i < len && v[i] != '>') {
		if (v[i] == '"') {
			if ((n = addr_quoted(v, len, i, spec)) == 0)
				return -1;
			i = n;
		} else if (v[i] == '(') {
			if ((n = addr_comment(v, len, i)) == 0)
				return -1;
			i = n;
		} else if (v[i] == '<')
			return -1;
		else {
			if (!isspace((unsigned char)v[i]))
				buf_add(spec, v + i, 1);
			i++;
		}
	}
	if (i >= len)
		return -1;
	*ip = i + 1;
	return 0;
}

/* The element ends: keep its addr-spec, if it has one. */
static void
addr_flush(struct buf *cur, struct buf *angle, int *have_angle,
    struct sm_list *out)
{
	struct buf *b = *have_angle ? angle : cur;
	const char *s, *colon;
	char *spec;
	size_t n;

	s = (const char *)buf_head(b);
	n = buf_avail(b);
	/* An obsolete route, <@a,@b:user@domain>: dropped. */
	if (n > 0 && s[0] == '@' && (colon = memchr(s, ':', n)) != NULL) {
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	if (n > 0) {
		spec = xstrndup(s, n);
		sm_list_add(out, spec);
		free(spec);
	}
	buf_reset(cur);
	buf_reset(angle);
	*have_angle = 0;
}

int
sm_addrlist_parse(const char *v, size_t len, struct sm_list *out)
{
	struct buf cur, angle;
	size_t i = 0, n;
	int have_angle = 0, rc = -1;

	if (len > 0 && memchr(v, '\0', len) != NULL)
		return -1;		/* no NUL in an address */
	buf_init(&cur);
	buf_init(&angle);
	while (i < len) {
		switch (v[i]) {
		case '"':
			if ((n = addr_quoted(v, len, i, &cur)) == 0)
				goto done;
			i = n;
			continue;
		case '(':
			if ((n = addr_comment(v, len, i)) == 0)
				goto done;
			i = n;
			continue;
		case '<':
			if (addr_angle(v, len, &i, &angle) == -1)
				goto done;
			have_angle = 1;
			continue;
		case '[': {
			/* A domain literal may hold ':' ([IPv6:...]). */
			const char *rb = memchr(v + i, ']', len - i);

			if (rb == NULL)
				goto done;
			n = (size_t)(rb - v);
			buf_add(&cur, v + i, n + 1 - i);
			i = n + 1;
			continue;
		}
		case ':':
			/* A group's name: its members follow. */
			if (!have_angle)
				buf_reset(&cur);
			i++;
			continue;
		case ',':
		case ';':
			addr_flush(&cur, &angle, &have_angle, out);
			i++;
			continue;
		case '>':
			goto done;
		}
		if (!isspace((unsigned char)v[i]))
			buf_add(&cur, v + i, 1);
		i++;
	}
	addr_flush(&cur, &angle, &have_angle, out);
	rc = 0;
 done:
	buf_free(&cur);
	buf_free(&angle);
	return rc;
}

/* 1 if f is one of the recipient fields of -t. */
static int
rcpt_field(const uint8_t *m, const struct sm_field *f, int resent)
{
	if (resent)
		return sm_field_is(m, f, "Resent-To") ||
		    sm_field_is(m, f, "Resent-Cc") ||
		    sm_field_is(m, f, "Resent-Bcc");
	return sm_field_is(m, f, "To") || sm_field_is(m, f, "Cc") ||
	    sm_field_is(m, f, "Bcc");
}

int
sm_header_rcpts(const uint8_t *m, const struct sm_header *h,
    struct sm_list *out)
{
	const struct sm_field *f;
	size_t i;
	int resent = 0;

	for (i = 0; i < h->nfields; i++)
		if (h->fields[i].namelen > 7 && strncasecmp((const char *)m +
		    h->fields[i].off, "Resent-", 7) == 0)
			resent = 1;
	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (rcpt_field(m, f, resent) && sm_addrlist_parse((const char *)
		    m + f->voff, f->vlen, out) == -1)
			return -1;
	}
	return 0;
}

int
sm_addr_qualify(const char *in, const char *servername, int allow_null,
    char *out, size_t outsz)
{
	struct mailaddr ma;
	char tmp[ADDR_PATH_MAX * 2];
	size_t len, i;
	int quoted = 0, at = 0;

	while (isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}
	if (len == 0) {
		if (!allow_null)
			return -1;
		if (outsz > 0)
			out[0] = '\0';
		return 1;
	}
	for (i = 0; i < len; i++) {
		if (in[i] == '\\' && quoted && i + 1 < len)
			i++;
		else if (in[i] == '"')
			quoted = !quoted;
		else if (in[i] == '@' && !quoted)
			at = 1;
	}
	if (at) {
		if (len >= sizeof(tmp))
			return -1;
		memcpy(tmp, in, len);
		tmp[len] = '\0';
	} else if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s@%s", (int)len, in,
	    servername) >= sizeof(tmp))
		return -1;
	if (addr_parse_mailbox(tmp, strlen(tmp), ADDR_OPT_UTF8, &ma) !=
	    ADDR_OK)
		return -1;
	if (addr_format(&ma, out, outsz) == -1)
		return -1;
	return 0;
}

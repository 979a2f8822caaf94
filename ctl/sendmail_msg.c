/*
 * sendmail_msg.c: the message handling of the sendmail personality
 * (spec/ctl.md section 9): standard input to CRLF lines, the header
 * section, the header fields sendmail adds or removes, dot-stuffing and
 * the ESMTP parameters of -N/-R/-B/-V (addresses: sendmail_addr.c).
 * Called by ctl/sendmail.c and the unit tests
 * (t/unit/sendmail_msg_test.c). Pure: never reads a file, the clock or the
 * passwd database; the caller passes those facts in. Must never decide
 * what an address is: lib/addr.c does.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/sendmail_msg.h"
#include "lib/xmalloc.h"

static int	reader_line(struct sm_reader *, const uint8_t *, size_t);

/* ------------------------------------------------------------ input */

void
sm_reader_init(struct sm_reader *r, struct buf *out, int dot_ends)
{
	memset(r, 0, sizeof(*r));
	r->out = out;
	buf_init(&r->line);
	r->dot_ends = dot_ends;
	r->first = 1;
}

/* One line without its LF; 1 if it ended the input. */
static int
reader_line(struct sm_reader *r, const uint8_t *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (r->first) {
		r->first = 0;
		/* The mbox separator of a message saved from a mailbox. */
		if (n >= 5 && memcmp(p, "From ", 5) == 0)
			return 0;
	}
	if (r->dot_ends && n == 1 && p[0] == '.') {
		r->done = 1;
		return 1;
	}
	buf_add(r->out, p, n);
	buf_add(r->out, "\r\n", 2);
	return 0;
}

/* Feed input; 1 once a lone "." ended it (the rest must not be read). */
int
sm_reader_feed(struct sm_reader *r, const void *data, size_t len)
{
	const uint8_t *p = data, *lf;
	size_t n;
	int ended;

	if (r->done)
		return 1;
	while (len > 0) {
		if ((lf = memchr(p, '\n', len)) == NULL) {
			buf_add(&r->line, p, len);
			return 0;
		}
		n = (size_t)(lf - p);
		if (buf_avail(&r->line) > 0) {
			buf_add(&r->line, p, n);
			ended = reader_line(r, buf_head(&r->line),
			    buf_avail(&r->line));
			buf_reset(&r->line);
		} else
			ended = reader_line(r, p, n);
		p += n + 1;
		len -= n + 1;
		if (ended)
			return 1;
	}
	return 0;
}

/* End of input: a last line without a newline still counts. */
void
sm_reader_end(struct sm_reader *r)
{
	if (!r->done && buf_avail(&r->line) > 0)
		reader_line(r, buf_head(&r->line), buf_avail(&r->line));
	buf_free(&r->line);
}

/* ------------------------------------------------------------ header */

void
sm_header_parse(const uint8_t *m, size_t len, struct sm_header *h)
{
	struct sm_field *f;
	const uint8_t *crlf;
	size_t off = 0, eol, next, i, j;

	memset(h, 0, sizeof(*h));
	while (off < len) {
		crlf = NULL;
		for (i = off; i + 1 < len; i++)
			if (m[i] == '\r' && m[i + 1] == '\n') {
				crlf = m + i;
				break;
			}
		eol = crlf ? (size_t)(crlf - m) : len;
		next = crlf ? eol + 2 : len;
		if (eol == off && crlf != NULL) {
			h->end = off;
			h->blank = 1;
			return;
		}
		if (m[off] == ' ' || m[off] == '\t') {
			if (h->nfields == 0)
				break;		/* not a header: all body */
			f = &h->fields[h->nfields - 1];
			f->len = next - f->off;
			f->vlen = eol - f->voff;
			off = next;
			continue;
		}
		for (i = off; i < eol && m[i] > ' ' && m[i] < 127 &&
		    m[i] != ':'; i++)
			;
		for (j = i; j < eol && (m[j] == ' ' || m[j] == '\t'); j++)
			;
		if (i == off || j >= eol || m[j] != ':')
			break;			/* the body starts here */
		h->fields = xreallocarray(h->fields, h->nfields + 1,
		    sizeof(*h->fields));
		f = &h->fields[h->nfields++];
		f->off = off;
		f->len = next - off;
		f->namelen = i - off;
		f->voff = j + 1;
		f->vlen = eol - (j + 1);
		off = next;
	}
	h->end = off;
}

void
sm_header_free(struct sm_header *h)
{
	free(h->fields);
	memset(h, 0, sizeof(*h));
}

int
sm_field_is(const uint8_t *m, const struct sm_field *f, const char *name)
{
	return strlen(name) == f->namelen &&
	    strncasecmp((const char *)m + f->off, name, f->namelen) == 0;
}

int
sm_header_has(const uint8_t *m, const struct sm_header *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nfields; i++)
		if (sm_field_is(m, &h->fields[i], name))
			return 1;
	return 0;
}

/* ------------------------------------------------------------ lists */

void
sm_list_add(struct sm_list *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

int
sm_list_has(const struct sm_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void
sm_list_free(struct sm_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ------------------------------------------------------------ new fields */

void
sm_from_value(const char *name, const char *addr, struct buf *b)
{
	const char *p;

	if (name == NULL || name[0] == '\0') {
		buf_addstr(b, addr);
		return;
	}
	buf_add(b, "\"", 1);
	for (p = name; *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			continue;	/* no control character in a header */
		if (*p == '"' || *p == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, p, 1);
	}
	buf_printf(b, "\" <%s>", addr);
}

/* The name part of a GECOS field: up to the first comma, & = Login. */
void
sm_gecos_name(const char *gecos, const char *login, char *out, size_t size)
{
	struct buf b;
	const char *p;

	buf_init(&b);
	for (p = gecos ? gecos : ""; *p && *p != ','; p++) {
		if (*p == '&' && login && login[0]) {
			buf_printf(&b, "%c%s", toupper((unsigned char)login[0]),
			    login + 1);
			continue;
		}
		buf_add(&b, p, 1);
	}
	buf_add(&b, "", 1);
	snprintf(out, size, "%s", (const char *)buf_head(&b));
	buf_free(&b);
}

/* RFC 5322 date-time in the local zone, in the C locale. */
void
sm_date(time_t t, char *out, size_t size)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char zone[8];

	localtime_r(&t, &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(out, size, "%s, %d %s %04d %02d:%02d:%02d %s",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
}

void
sm_msgid(time_t t, uint64_t rnd, const char *servername, char *out,
    size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, size, "<%04d%02d%02d%02d%02d%02d.%016llx@%s>",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned long long)rnd, servername);
}

/* ------------------------------------------------------------ output */

void
sm_message_build(const uint8_t *m, size_t len, const struct sm_header *h,
    const struct sm_add *add, struct buf *out)
{
	const struct sm_field *f;
	size_t i;

	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (sm_field_is(m, f, "Bcc") || sm_field_is(m, f, "Resent-Bcc"))
			continue;
		buf_add(out, m + f->off, f->len);
	}
	if (add->from && !sm_header_has(m, h, "From"))
		buf_printf(out, "From: %s\r\n", add->from);
	if (add->date && !sm_header_has(m, h, "Date"))
		buf_printf(out, "Date: %s\r\n", add->date);
	if (add->msgid && !sm_header_has(m, h, "Message-Id"))
		buf_printf(out, "Message-Id: %s\r\n", add->msgid);
	if (h->blank)
		buf_add(out, m + h->end, len - h->end);
	else if (h->end < len) {
		/* A body line where a header was expected: separate them. */
		buf_add(out, "\r\n", 2);
		buf_add(out, m + h->end, len - h->end);
	}
}

void
sm_dot_stuff(const uint8_t *m, size_t len, struct buf *out)
{
	size_t i = 0, start;

	while (i < len) {
		if (m[i] == '.')
			buf_add(out, ".", 1);
		start = i;
		while (i < len && !(m[i] == '\n' && i > start && m[i - 1] ==
		    '\r'))
			i++;
		if (i < len)
			i++;
		buf_add(out, m + start, i - start);
	}
	if (len > 0 && (len < 2 || m[len - 2] != '\r' || m[len - 1] != '\n'))
		buf_add(out, "\r\n", 2);
	buf_add(out, ".\r\n", 3);
}

int
sm_has_8bit(const uint8_t *m, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (m[i] & 0x80)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ parameters */

int
sm_notify_parse(const char *in, char *out, size_t size)
{
	static const char *words[] = { "SUCCESS", "FAILURE", "DELAY" };
	char tmp[SM_NAME_MAX], *w, *p;
	int seen = 0, i;
	size_t n;

	if (strcasecmp(in, "never") == 0)
		return (size_t)snprintf(out, size, "NEVER") < size ? 0 : -1;
	if ((n = strlen(in)) == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, in, n + 1);
	for (p = tmp; (w = strsep(&p, ",")) != NULL; ) {
		for (i = 0; i < 3; i++)
			if (strcasecmp(w, words[i]) == 0)
				break;
		if (i == 3)
			return -1;	/* also "never" in a list, or "" */
		seen |= 1 << i;
	}
	if (size == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < 3; i++)
		if (seen & (1 << i)) {
			if (out[0] != '\0')
				strlcat(out, ",", size);
			if (strlcat(out, words[i], size) >= size)
				return -1;
		}
	return 0;
}

int
sm_ret_parse(const char *in, char *out, size_t size)
{
	if (strcasecmp(in, "full") == 0)
		return strlcpy(out, "FULL", size) < size ? 0 : -1;
	if (strcasecmp(in, "hdrs") == 0)
		return strlcpy(out, "HDRS", size) < size ? 0 : -1;
	return -1;
}

int
sm_body_parse(const char *in, char *out, size_t size)
{
	if (strcasecmp(in, "7bit") == 0)
		return strlcpy(out, "7BIT", size) < size ? 0 : -1;
	if (strcasecmp(in, "8bitmime") == 0)
		return strlcpy(out, "8BITMIME", size) < size ? 0 : -1;
	return -1;
}

/* xtext: "!".."~" except "+" and "=" as they are, anything else +XX. */
int
sm_xtext(const char *in, char *out, size_t size)
{
	const unsigned char *p;
	size_t n = 0;

	for (p = (const unsigned char *)in; *p; p++) {
		if (*p >= '!' && *p <= '~' && *p != '+' && *p != '=') {
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)*p;
		} else {
			if (n + 3 >= size)
				return -1;
			snprintf(out + n, 4, "+%02X", *p);
			n += 3;
		}
	}
	if (size == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/*
 * dsn_out.c: the buffered output writer of the DSN writer (dsn_out.h):
 * bytes, CRLF lines of our own text, RFC 5322 dates and folded logical
 * lines, written to one descriptor. Called by queue/dsn.c only.
 *
 * Must never: allocate, read a clock, start a line with folded text or
 * make a line longer than 998 octets; a line of our own text that would
 * be is a failure, not a truncation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "queue/dsn_out.h"

#define DSN_LINE_MAX		998	/* RFC 5322 §2.1.1, CRLF excluded */
#define DSN_LINE_SIZE		(DSN_LINE_MAX + 1)
#define DSN_FOLD_WIDTH		78	/* fold longer lines where possible */

static const char *const dsn_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const dsn_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

void
dsn_out_init(struct dsn_out *o, int fd)
{
	o->fd = fd;
	o->error = 0;
	o->what = NULL;
	o->len = 0;
}

/* Records the first failure; later output is dropped. */
void
dsn_out_fail(struct dsn_out *o, const char *what, int error)
{
	if (o->error != 0)
		return;
	o->error = error != 0 ? error : EIO;
	o->what = what;
}

/* Writes the buffer out, across short writes and EINTR. */
void
dsn_out_flush(struct dsn_out *o)
{
	size_t off = 0;
	ssize_t n;

	while (o->error == 0 && off < o->len) {
		n = write(o->fd, o->buf + off, o->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			dsn_out_fail(o, "write", n == 0 ? EIO : errno);
		else
			off += (size_t)n;
	}
	o->len = 0;
}

void
dsn_out_add(struct dsn_out *o, const char *p, size_t n)
{
	size_t k;

	while (n > 0 && o->error == 0) {
		if (o->len == sizeof(o->buf)) {
			dsn_out_flush(o);
			continue;
		}
		k = sizeof(o->buf) - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
}

void
dsn_out_str(struct dsn_out *o, const char *s)
{
	dsn_out_add(o, s, strlen(s));
}

/* One line of our own text (bounded arguments only), CRLF added. */
void
dsn_out_line(struct dsn_out *o, const char *fmt, ...)
{
	char line[DSN_LINE_SIZE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		dsn_out_fail(o, "line too long", EOVERFLOW);
		return;
	}
	dsn_out_add(o, line, (size_t)n);
	dsn_out_add(o, "\r\n", 2);
}

/* "Name: Thu, 21 Nov 2024 09:10:00 +0000" (RFC 5322 §3.3, in UTC). */
void
dsn_out_date(struct dsn_out *o, const char *name, time_t t)
{
	struct tm tm;
	long long year;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		dsn_out_fail(o, "date out of range", EOVERFLOW);
		return;
	}
	year = (long long)tm.tm_year + 1900;
	if (year < 1900 || year > 9999) {
		dsn_out_fail(o, "date out of range", EOVERFLOW);
		return;
	}
	dsn_out_line(o, "%s: %s, %02d %s %04lld %02d:%02d:%02d +0000", name,
	    dsn_days[tm.tm_wday], tm.tm_mday, dsn_months[tm.tm_mon], year,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Writes prefix and text as one logical line ending in CRLF, breaking
 * before a space when the line would pass DSN_FOLD_WIDTH; a continuation
 * line starts with cont (" " in a header field, so unfolding gives the
 * text back). Words are shorter than DSN_TEXT_SIZE, so with a short
 * prefix no line reaches DSN_LINE_MAX, and text never starts a line.
 */
void
dsn_out_fold(struct dsn_out *o, const char *prefix, const char *text,
    const char *cont)
{
	const char *w = text, *sp;
	size_t col, n;
	int first = 1;

	dsn_out_str(o, prefix);
	col = strlen(prefix);
	for (;;) {
		sp = strchr(w, ' ');
		n = sp != NULL ? (size_t)(sp - w) : strlen(w);
		if (!first && n > 0 && col + 1 + n > DSN_FOLD_WIDTH) {
			dsn_out_str(o, "\r\n");
			dsn_out_str(o, cont);
			col = strlen(cont);
		} else if (!first) {
			dsn_out_str(o, " ");
			col++;
		}
		dsn_out_add(o, w, n);
		col += n;
		first = 0;
		if (sp == NULL)
			break;
		w = sp + 1;
	}
	dsn_out_str(o, "\r\n");
}

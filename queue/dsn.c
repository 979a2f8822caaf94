/*
 * dsn.c: writes delivery status notifications (dsn.h, protocol.md A.13):
 * a multipart/report (RFC 6522) with a human-readable notice, a
 * message/delivery-status part (RFC 3464) and the original message or its
 * header section. Called by the queue role; the caller passes every time
 * and both descriptors.
 *
 * Must never: read a clock, allocate, keep state between calls, or let
 * report text (a remote reply, an ENVID, an ORCPT) reach the start of a
 * line, break a header field or make a line longer than 998 octets. All
 * such text goes through dsn_clean() or dsn_addr() and is written by
 * dsn_fold(), which never starts a line with it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/utf8.h"
#include "queue/dsn.h"

#define DSN_OUT_SIZE		4096	/* output buffer */
#define DSN_READ_SIZE		16384	/* one read of the original */
#define DSN_LINE_MAX		998	/* RFC 5322 §2.1.1, CRLF excluded */
#define DSN_LINE_SIZE		(DSN_LINE_MAX + 1)
#define DSN_FOLD_WIDTH		78	/* fold longer lines where possible */
#define DSN_TEXT_SIZE		901	/* a cleaned diagnostic or address */
#define DSN_NAME_SIZE		256	/* a host name */
#define DSN_UNIQUE_SIZE		41	/* MSGID.UNIQUE/ fits a boundary */
#define DSN_ENVID_SIZE		101	/* RFC 3461 §4.4: 100 characters */
#define DSN_BOUNDARY_SIZE	71	/* RFC 2046 §5.1.1: 70 characters */
#define DSN_ESC_SIZE		12	/* "\x{10FFFF}" */
#define DSN_PARA_SIZE		(3 * DSN_TEXT_SIZE)
#define DSN_NAME_CHARS		"-._[]:"
#define DSN_BCHARS		"'()+_,-./:=?"	/* RFC 2046 bcharsnospace */

struct dsn_out {
	int		 fd;
	int		 error;		/* errno of the first failure */
	const char	*what;		/* what failed */
	size_t		 len;
	char		 buf[DSN_OUT_SIZE];
};

/* The report's cleaned names, shared by its parts. */
struct dsn_ctx {
	const struct dsn_report	*r;
	char	 name[DSN_NAME_SIZE];
	char	 boundary[DSN_BOUNDARY_SIZE];
	int	 orig;		/* the third part is written */
	int	 hdrs;		/* ... as text/rfc822-headers */
	int	 eightbit;	/* ... with octets >= 0x80 */
	off_t	 copy;		/* ... from this many octets */
};

static void	 dsn_out_fail(struct dsn_out *, const char *, int);
static void	 dsn_out_flush(struct dsn_out *);
static void	 dsn_out_add(struct dsn_out *, const char *, size_t);
static void	 dsn_out_str(struct dsn_out *, const char *);
static void	 dsn_out_line(struct dsn_out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 dsn_date(struct dsn_out *, const char *, time_t);
static void	 dsn_clean(char *, size_t, const char *, int);
static void	 dsn_token(char *, size_t, const char *, const char *);
static const char *dsn_addr(char *, size_t, const char *, int);
static void	 dsn_fold(struct dsn_out *, const char *, const char *,
		    const char *);
static const char *dsn_status(const struct dsn_report *,
		    const struct dsn_rcpt *, char *, size_t);
static int	 dsn_remote(const struct dsn_rcpt *);
static void	 dsn_boundary(struct dsn_ctx *, const char *);
static int	 dsn_check(const struct dsn_report *, char *, size_t);
static ssize_t	 dsn_read(struct dsn_out *, int, char *, off_t, off_t);
static int	 dsn_scan(struct dsn_ctx *, int, struct dsn_out *);
static void	 dsn_headers(struct dsn_out *, struct dsn_ctx *);
static void	 dsn_notice(struct dsn_out *, struct dsn_ctx *);
static void	 dsn_notice_rcpt(struct dsn_out *, struct dsn_ctx *,
		    const struct dsn_rcpt *);
static void	 dsn_report_part(struct dsn_out *, struct dsn_ctx *);
static void	 dsn_report_rcpt(struct dsn_out *, struct dsn_ctx *,
		    const struct dsn_rcpt *);
static void	 dsn_original(struct dsn_out *, struct dsn_ctx *, int);

static const char *const dsn_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const dsn_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* What each kind of report says. */
static const struct dsn_words {
	const char	*subject;
	const char	*autosub;	/* Auto-Submitted: auto-replied (...) */
	const char	*action;
	const char	*status;	/* when the recipient has none */
	const char	*desc;		/* the third part's description */
	const char	*summary;
} dsn_words[] = {
	[DSN_FAILED] = { "Undelivered Mail Returned to Sender", "failure",
	    "failed", "5.0.0", "Undelivered Message",
	    "Your message could not be delivered to one or more of its "
	    "recipients. This is a permanent error; the mail system has given "
	    "up. The details follow." },
	[DSN_DELAYED] = { "Delayed Mail (still being retried)", "delay",
	    "delayed", "4.0.0", "Delayed Message",
	    "Your message has not yet been delivered to one or more of its "
	    "recipients. This is only a warning: the mail system is still "
	    "trying, and you do not need to send the message again." },
	[DSN_DELIVERED] = { "Successful Mail Delivery Report", "success",
	    "delivered", "2.0.0", "Delivered Message",
	    "Your message was delivered to the recipients below, as you asked "
	    "with a delivery status notification request." },
};

/* Records the first failure; later output is dropped. */
static void
dsn_out_fail(struct dsn_out *o, const char *what, int error)
{
	if (o->error != 0)
		return;
	o->error = error != 0 ? error : EIO;
	o->what = what;
}

/* Writes the buffer out, across short writes and EINTR. */
static void
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

static void
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

static void
dsn_out_str(struct dsn_out *o, const char *s)
{
	dsn_out_add(o, s, strlen(s));
}

/* One line of our own text (bounded arguments only), CRLF added. */
static void
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
static void
dsn_date(struct dsn_out *o, const char *name, time_t t)
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
 * Copies untrusted text into dst (dstlen >= 1) as one line: control
 * characters (CR, LF, TAB...) become spaces, runs of spaces collapse,
 * leading and trailing spaces go; a non-ASCII character becomes '?', or
 * stays when utf8 is set and it is well-formed. Truncates to dstlen - 1
 * octets, never inside a character.
 */
static void
dsn_clean(char *dst, size_t dstlen, const char *src, int utf8)
{
	size_t i = 0, o = 0, n, len, max = dstlen - 1;
	uint32_t cp = 0;
	int space = 0;

	len = src != NULL ? strlen(src) : 0;
	while (i < len) {
		unsigned char c = (unsigned char)src[i];

		n = 1;
		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = 1;
			i++;
			continue;
		}
		if (c >= 0x80 && (n = utf8_decode(src + i, len - i, &cp)) == 0)
			n = 1;
		if (space && o > 0 && o < max)
			dst[o++] = ' ';
		space = 0;
		if (c >= 0x80 && !(utf8 && n > 1)) {
			/* not kept: one '?' per character */
			if (o + 1 > max)
				break;
			dst[o++] = '?';
		} else {
			if (o + n > max)
				break;
			memcpy(dst + o, src + i, n);
			o += n;
		}
		i += n;
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* A name for a header or boundary: letters, digits and extra; others '_'. */
static void
dsn_token(char *dst, size_t dstlen, const char *src, const char *extra)
{
	size_t i;
	unsigned char c;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstlen; i++) {
		c = (unsigned char)src[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(extra, c) != NULL)
			dst[i] = (char)c;
		else
			dst[i] = '_';
	}
	dst[i] = '\0';
}

/*
 * Writes an address for an address-type field into dst and returns its
 * type. ASCII: "rfc822", controls become '?'. Non-ASCII, or utf8 set:
 * "utf-8" in RFC 6533 utf-8-addr-xtext form, every character outside
 * QCHAR written \x{HEX} (uppercase, no leading zeros beyond two digits),
 * a malformed octet as '?'. Truncated, never inside an escape, to fit.
 */
static const char *
dsn_addr(char *dst, size_t dstlen, const char *addr, int utf8)
{
	char esc[DSN_ESC_SIZE];
	size_t i, o = 0, n, k, len;
	uint32_t cp;
	unsigned char c;

	len = strlen(addr);
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] >= 0x80)
			utf8 = 1;
	for (i = 0; i < len; i += n) {
		c = (unsigned char)addr[i];
		n = 1;
		cp = c;
		if (c >= 0x80 && (n = utf8_decode(addr + i, len - i, &cp)) == 0) {
			n = 1;
			cp = '?';
		}
		if (!utf8)
			k = (size_t)snprintf(esc, sizeof(esc), "%c",
			    c < 0x20 || c == 0x7f ? '?' : c);
		else if (cp > 0x20 && cp < 0x7f && cp != '+' && cp != ';' &&
		    cp != '=' && cp != '\\')
			k = (size_t)snprintf(esc, sizeof(esc), "%c", (char)cp);
		else
			k = (size_t)snprintf(esc, sizeof(esc), "\\x{%02X}",
			    (unsigned int)cp);
		if (o + k >= dstlen)
			break;
		memcpy(dst + o, esc, k);
		o += k;
	}
	dst[o] = '\0';
	return utf8 ? "utf-8" : "rfc822";
}

/*
 * Writes prefix and text as one logical line ending in CRLF, breaking
 * before a space when the line would pass DSN_FOLD_WIDTH; a continuation
 * line starts with cont (" " in a header field, so unfolding gives the
 * text back). Words are shorter than DSN_TEXT_SIZE, so with a short
 * prefix no line reaches DSN_LINE_MAX, and text never starts a line.
 */
static void
dsn_fold(struct dsn_out *o, const char *prefix, const char *text,
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

/* The recipient's status, cleaned, or the kind's default. */
static const char *
dsn_status(const struct dsn_report *r, const struct dsn_rcpt *rc,
    char *buf, size_t len)
{
	char status[DSN_STATUS_SIZE + 1];

	memcpy(status, rc->status, DSN_STATUS_SIZE);
	status[DSN_STATUS_SIZE] = '\0';
	dsn_token(buf, len, status, ".");
	if (buf[0] == '\0')
		return dsn_words[r->kind].status;
	return buf;
}

static int
dsn_remote(const struct dsn_rcpt *rc)
{
	return !rc->local && rc->remote_mta != NULL && rc->remote_mta[0] != '\0';
}

static int
dsn_check(const struct dsn_report *r, char *err, size_t errlen)
{
	const char *bad = NULL;
	size_t i;

	if (r == NULL)
		bad = "no report";
	else if (r->kind != DSN_FAILED && r->kind != DSN_DELAYED &&
	    r->kind != DSN_DELIVERED)
		bad = "bad report kind";
	else if (r->reporting_mta == NULL || r->reporting_mta[0] == '\0')
		bad = "no reporting MTA name";
	else if (r->to == NULL || r->to[0] == '\0')
		bad = "no report recipient (null sender)";
	else if (r->unique == NULL || r->unique[0] == '\0')
		bad = "no unique token";
	else if (r->rcpts == NULL || r->nrcpts == 0)
		bad = "no recipients";
	for (i = 0; bad == NULL && i < r->nrcpts; i++)
		if (r->rcpts[i].final_rcpt == NULL ||
		    r->rcpts[i].final_rcpt[0] == '\0')
			bad = "recipient without an address";
	if (bad == NULL)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "dsn: %s", bad);
	return -1;
}

/*
 * "MSGID.UNIQUE/NAME", cut to 70 characters (the name's end goes: the
 * rest is unique), every character outside bcharsnospace made '_'.
 */
static void
dsn_boundary(struct dsn_ctx *c, const char *unique)
{
	char *p;

	if (snprintf(c->boundary, sizeof(c->boundary), "%08x.%s/%s",
	    (unsigned int)c->r->msgid, unique, c->name) < 0)
		c->boundary[0] = '\0';
	for (p = c->boundary; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || strchr(DSN_BCHARS, *p) != NULL))
			*p = '_';
}

/* Reads up to min(DSN_READ_SIZE, end - off) octets at off: 0 at EOF. */
static ssize_t
dsn_read(struct dsn_out *o, int fd, char *buf, off_t off, off_t end)
{
	size_t want = DSN_READ_SIZE;
	ssize_t n;

	if (end - off < (off_t)want)
		want = (size_t)(end - off);
	do
		n = pread(fd, buf, want, off);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		dsn_out_fail(o, "read original", errno);
	return n;
}

/*
 * Decides what the third part holds and scans it: its length (the header
 * section, without the empty line, for headers only; at most DSN_FULL_MAX
 * octets, cut at a line start) and whether it has 8-bit octets.
 */
static int
dsn_scan(struct dsn_ctx *c, int fd, struct dsn_out *o)
{
	char buf[DSN_READ_SIZE];
	struct stat st;
	off_t off = 0, limit, linestart = 0;
	ssize_t n, i;
	int bol = 1;

	if (fstat(fd, &st) == -1) {
		dsn_out_fail(o, "fstat original", errno);
		return -1;
	}
	c->hdrs = c->r->ret_hdrs || c->r->kind != DSN_FAILED ||
	    st.st_size > DSN_FULL_MAX;
	limit = st.st_size;
	if (c->hdrs && limit > DSN_FULL_MAX)
		limit = DSN_FULL_MAX;
	while (off < limit && (n = dsn_read(o, fd, buf, off, limit)) != 0) {
		if (n == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if ((unsigned char)buf[i] >= 0x80)
				c->eightbit = 1;
			if (!c->hdrs || buf[i] == '\r')
				continue;
			if (buf[i] != '\n')
				bol = 0;
			else if (bol) {
				c->copy = linestart;
				return 0;
			} else {
				bol = 1;
				linestart = off + i + 1;
			}
		}
		off += n;
	}
	/* No empty line: all of it, or up to the last whole line. */
	c->copy = off < st.st_size && c->hdrs ? linestart : off;
	return 0;
}

static void
dsn_headers(struct dsn_out *o, struct dsn_ctx *c)
{
	const struct dsn_report *r = c->r;
	char to[DSN_TEXT_SIZE], unique[DSN_UNIQUE_SIZE];

	dsn_clean(to, sizeof(to), r->to, 1);
	dsn_token(unique, sizeof(unique), r->unique, "-._");
	dsn_out_line(o, "From: Mail Delivery System <MAILER-DAEMON@%s>",
	    c->name);
	dsn_out_line(o, "To: <%s>", to);
	dsn_out_line(o, "Subject: %s", dsn_words[r->kind].subject);
	dsn_date(o, "Date", r->now);
	dsn_out_line(o, "Message-Id: <%s@%s>", unique, c->name);
	dsn_out_line(o, "Auto-Submitted: auto-replied (%s)", dsn_words[r->kind].autosub);
	dsn_out_line(o, "MIME-Version: 1.0");
	dsn_out_line(o, "Content-Type: multipart/report; "
	    "report-type=delivery-status;");
	dsn_out_line(o, "\tboundary=\"%s\"", c->boundary);
	if (c->orig && c->eightbit)
		dsn_out_line(o, "Content-Transfer-Encoding: 8bit");
	dsn_out_line(o, "%s", "");
}

/* The human-readable part: what happened, then one paragraph each. */
static void
dsn_notice(struct dsn_out *o, struct dsn_ctx *c)
{
	const struct dsn_report *r = c->r;
	size_t i;

	dsn_out_line(o, "--%s", c->boundary);
	dsn_out_line(o, "Content-Type: text/plain; charset=us-ascii");
	dsn_out_line(o, "Content-Description: Notification");
	dsn_out_line(o, "%s", "");
	dsn_out_line(o, "This is the mail system at host %s.", c->name);
	dsn_out_line(o, "%s", "");
	dsn_fold(o, "", dsn_words[r->kind].summary, "");
	if (c->orig)
		dsn_fold(o, "", c->hdrs ? "The header section of your message "
		    "is attached." : "Your message is attached.", "");
	for (i = 0; i < r->nrcpts; i++) {
		dsn_out_line(o, "%s", "");
		dsn_notice_rcpt(o, c, &r->rcpts[i]);
	}
	dsn_out_line(o, "%s", "");
}

static void
dsn_notice_rcpt(struct dsn_out *o, struct dsn_ctx *c,
    const struct dsn_rcpt *rc)
{
	char addr[DSN_TEXT_SIZE], diag[DSN_TEXT_SIZE], mta[DSN_NAME_SIZE];
	char status[DSN_STATUS_SIZE], para[DSN_PARA_SIZE];
	const char *what, *said = "";

	dsn_addr(addr, sizeof(addr), rc->final_rcpt, 0);
	dsn_clean(diag, sizeof(diag), rc->diagnostic, 0);
	dsn_token(mta, sizeof(mta), rc->remote_mta, DSN_NAME_CHARS);
	if (c->r->kind == DSN_DELIVERED)
		what = "delivered";
	else if (c->r->kind == DSN_DELAYED)
		what = "delivery delayed, still being retried";
	else if (rc->expired)
		what = "delivery time expired, giving up";
	else
		what = "delivery failed";
	if (diag[0] != '\0')
		said = rc->expired ? "Last error" : "Reply";
	snprintf(para, sizeof(para), "<%s>: %s (status %s).%s%s%s%s%s%s", addr,
	    what, dsn_status(c->r, rc, status, sizeof(status)),
	    said[0] != '\0' ? " " : "", said,
	    said[0] != '\0' && dsn_remote(rc) ? " from host " : "",
	    said[0] != '\0' && dsn_remote(rc) ? mta : "",
	    said[0] != '\0' ? ": " : "", diag);
	dsn_fold(o, "", para, "    ");
}

/* The message/delivery-status part. */
static void
dsn_report_part(struct dsn_out *o, struct dsn_ctx *c)
{
	const struct dsn_report *r = c->r;
	char envid[DSN_ENVID_SIZE];
	size_t i;

	dsn_out_line(o, "--%s", c->boundary);
	dsn_out_line(o, "Content-Type: message/delivery-status");
	dsn_out_line(o, "Content-Description: Delivery report");
	dsn_out_line(o, "%s", "");
	dsn_out_line(o, "Reporting-MTA: dns; %s", c->name);
	dsn_clean(envid, sizeof(envid), r->envid, 0);
	if (envid[0] != '\0')
		dsn_fold(o, "Original-Envelope-Id: ", envid, " ");
	dsn_date(o, "Arrival-Date", r->arrival);
	for (i = 0; i < r->nrcpts; i++) {
		dsn_out_line(o, "%s", "");
		dsn_report_rcpt(o, c, &r->rcpts[i]);
	}
	dsn_out_line(o, "%s", "");
}

static void
dsn_report_rcpt(struct dsn_out *o, struct dsn_ctx *c,
    const struct dsn_rcpt *rc)
{
	char addr[DSN_TEXT_SIZE], text[DSN_TEXT_SIZE + DSN_NAME_SIZE];
	char diag[DSN_TEXT_SIZE], mta[DSN_NAME_SIZE], status[DSN_STATUS_SIZE];
	const char *type;

	if (rc->orcpt != NULL && rc->orcpt[0] != '\0') {
		type = dsn_addr(addr, sizeof(addr), rc->orcpt, rc->orcpt_utf8);
		snprintf(text, sizeof(text), "%s; %s", type, addr);
		dsn_fold(o, "Original-Recipient: ", text, " ");
	}
	type = dsn_addr(addr, sizeof(addr), rc->final_rcpt, 0);
	snprintf(text, sizeof(text), "%s; %s", type, addr);
	dsn_fold(o, "Final-Recipient: ", text, " ");
	dsn_out_line(o, "Action: %s", dsn_words[c->r->kind].action);
	dsn_out_line(o, "Status: %s", dsn_status(c->r, rc, status,
	    sizeof(status)));
	if (dsn_remote(rc)) {
		dsn_token(mta, sizeof(mta), rc->remote_mta, DSN_NAME_CHARS);
		dsn_out_line(o, "Remote-MTA: dns; %s", mta);
	}
	dsn_clean(diag, sizeof(diag), rc->diagnostic, 0);
	if (diag[0] == '\0' && rc->expired)
		snprintf(text, sizeof(text), "x-unix; delivery time expired");
	else
		snprintf(text, sizeof(text), "%s; %s",
		    rc->local ? "x-unix" : "smtp", diag);
	if (diag[0] != '\0' || rc->expired)
		dsn_fold(o, "Diagnostic-Code: ", text, " ");
	if (rc->last_attempt != 0)
		dsn_date(o, "Last-Attempt-Date", rc->last_attempt);
	if (c->r->kind == DSN_DELAYED && c->r->retry_until != 0)
		dsn_date(o, "Will-Retry-Until", c->r->retry_until);
}

/* The third part: the original's bytes as spooled, ending in CRLF. */
static void
dsn_original(struct dsn_out *o, struct dsn_ctx *c, int fd)
{
	char buf[DSN_READ_SIZE];
	off_t off = 0;
	ssize_t n;
	char last = '\n';

	dsn_out_line(o, "--%s", c->boundary);
	dsn_out_line(o, "Content-Type: %s", c->hdrs ? "text/rfc822-headers" :
	    "message/rfc822");
	dsn_out_line(o, "Content-Description: %s%s", dsn_words[c->r->kind].desc,
	    c->hdrs ? " Headers" : "");
	if (c->eightbit)
		dsn_out_line(o, "Content-Transfer-Encoding: 8bit");
	dsn_out_line(o, "%s", "");
	while (off < c->copy && o->error == 0) {
		if ((n = dsn_read(o, fd, buf, off, c->copy)) <= 0)
			break;
		dsn_out_add(o, buf, (size_t)n);
		last = buf[n - 1];
		off += n;
	}
	if (last == '\r')
		dsn_out_str(o, "\n");
	else if (last != '\n')
		dsn_out_str(o, "\r\n");
	dsn_out_line(o, "%s", "");
}

int
dsn_write(int outfd, const struct dsn_report *r, int msgfd, char *err,
    size_t errlen)
{
	struct dsn_out o;
	struct dsn_ctx c;
	char unique[DSN_UNIQUE_SIZE];

	if (dsn_check(r, err, errlen) == -1)
		return -1;
	memset(&c, 0, sizeof(c));
	o.fd = outfd;
	o.error = 0;
	o.what = NULL;
	o.len = 0;
	c.r = r;
	c.orig = msgfd != -1;
	dsn_token(c.name, sizeof(c.name), r->reporting_mta, DSN_NAME_CHARS);
	dsn_token(unique, sizeof(unique), r->unique, "-._");
	dsn_boundary(&c, unique);
	if (c.orig)
		(void)dsn_scan(&c, msgfd, &o);
	dsn_headers(&o, &c);
	dsn_notice(&o, &c);
	dsn_report_part(&o, &c);
	if (c.orig)
		dsn_original(&o, &c, msgfd);
	dsn_out_line(&o, "--%s--", c.boundary);
	dsn_out_flush(&o);
	if (o.error == 0)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "dsn: %s: %s", o.what, strerror(o.error));
	return -1;
}

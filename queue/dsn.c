/*
 * dsn.c: writes delivery status notifications (dsn.h, protocol.md A.13):
 * a multipart/report (RFC 6522) with a human-readable notice, a
 * message/delivery-status part (RFC 3464) and the original message or its
 * header section. Called by the queue role; the caller passes every time
 * and both descriptors. The text helpers are in dsn_text.c, the output
 * writer in dsn_out.c.
 *
 * Must never: read a clock, allocate, keep state between calls, or let
 * report text (a remote reply, an ENVID, an ORCPT) reach the start of a
 * line, break a header field or make a line longer than 998 octets. All
 * such text goes through dsn_text_clean() or dsn_text_addr() and is
 * written by dsn_out_fold(), which never starts a line with it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "queue/dsn.h"
#include "queue/dsn_out.h"
#include "queue/dsn_text.h"

#define DSN_READ_SIZE		16384	/* one read of the original */
#define DSN_NAME_SIZE		256	/* a host name */
#define DSN_UNIQUE_SIZE		41	/* MSGID.UNIQUE/ fits a boundary */
#define DSN_ENVID_SIZE		101	/* RFC 3461 §4.4: 100 characters */
#define DSN_BOUNDARY_SIZE	71	/* RFC 2046 §5.1.1: 70 characters */
#define DSN_PARA_SIZE		(3 * DSN_TEXT_SIZE)
#define DSN_NAME_CHARS		"-._[]:"
#define DSN_BCHARS		"'()+_,-./:=?"	/* RFC 2046 bcharsnospace */

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

/* The recipient's status, cleaned, or the kind's default. */
static const char *
dsn_status(const struct dsn_report *r, const struct dsn_rcpt *rc,
    char *buf, size_t len)
{
	char status[DSN_STATUS_SIZE + 1];

	memcpy(status, rc->status, DSN_STATUS_SIZE);
	status[DSN_STATUS_SIZE] = '\0';
	dsn_text_token(buf, len, status, ".");
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

	dsn_text_clean(to, sizeof(to), r->to, 1);
	dsn_text_token(unique, sizeof(unique), r->unique, "-._");
	dsn_out_line(o, "From: Mail Delivery System <MAILER-DAEMON@%s>",
	    c->name);
	dsn_out_line(o, "To: <%s>", to);
	dsn_out_line(o, "Subject: %s", dsn_words[r->kind].subject);
	dsn_out_date(o, "Date", r->now);
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
	dsn_out_fold(o, "", dsn_words[r->kind].summary, "");
	if (c->orig)
		dsn_out_fold(o, "", c->hdrs ? "The header section of your "
		    "message is attached." : "Your message is attached.", "");
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

	dsn_text_addr(addr, sizeof(addr), rc->final_rcpt, 0);
	dsn_text_clean(diag, sizeof(diag), rc->diagnostic, 0);
	dsn_text_token(mta, sizeof(mta), rc->remote_mta, DSN_NAME_CHARS);
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
	dsn_out_fold(o, "", para, "    ");
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
	dsn_text_clean(envid, sizeof(envid), r->envid, 0);
	if (envid[0] != '\0')
		dsn_out_fold(o, "Original-Envelope-Id: ", envid, " ");
	dsn_out_date(o, "Arrival-Date", r->arrival);
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
		type = dsn_text_addr(addr, sizeof(addr), rc->orcpt,
		    rc->orcpt_utf8);
		snprintf(text, sizeof(text), "%s; %s", type, addr);
		dsn_out_fold(o, "Original-Recipient: ", text, " ");
	}
	type = dsn_text_addr(addr, sizeof(addr), rc->final_rcpt, 0);
	snprintf(text, sizeof(text), "%s; %s", type, addr);
	dsn_out_fold(o, "Final-Recipient: ", text, " ");
	dsn_out_line(o, "Action: %s", dsn_words[c->r->kind].action);
	dsn_out_line(o, "Status: %s", dsn_status(c->r, rc, status,
	    sizeof(status)));
	if (dsn_remote(rc)) {
		dsn_text_token(mta, sizeof(mta), rc->remote_mta,
		    DSN_NAME_CHARS);
		dsn_out_line(o, "Remote-MTA: dns; %s", mta);
	}
	dsn_text_clean(diag, sizeof(diag), rc->diagnostic, 0);
	if (diag[0] == '\0' && rc->expired)
		snprintf(text, sizeof(text), "x-unix; delivery time expired");
	else
		snprintf(text, sizeof(text), "%s; %s",
		    rc->local ? "x-unix" : "smtp", diag);
	if (diag[0] != '\0' || rc->expired)
		dsn_out_fold(o, "Diagnostic-Code: ", text, " ");
	if (rc->last_attempt != 0)
		dsn_out_date(o, "Last-Attempt-Date", rc->last_attempt);
	if (c->r->kind == DSN_DELAYED && c->r->retry_until != 0)
		dsn_out_date(o, "Will-Retry-Until", c->r->retry_until);
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
	dsn_out_init(&o, outfd);
	c.r = r;
	c.orig = msgfd != -1;
	dsn_text_token(c.name, sizeof(c.name), r->reporting_mta,
	    DSN_NAME_CHARS);
	dsn_text_token(unique, sizeof(unique), r->unique, "-._");
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

/*
 * dsn_test.c: unit tests for queue/dsn.c. Each report is written to a
 * memfd and read back: the exact header block and boundary lines, the
 * per-recipient fields (local, remote, ORCPT, ENVID, delayed, expired),
 * the third part (full message, RET=HDRS, over 1 MiB, no empty line, no
 * final CRLF, none), untrusted text cleaned (CR, LF, NUL, non-ASCII, a
 * forged field or boundary), UTF-8 addresses escaped, and on every
 * report: CRLF line endings only and no line over 998 octets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue/dsn.h"

#define T_NOW		((time_t)1732180200)	/* Thu, 21 Nov 2024 09:10:00 */
#define T_ARRIVAL	((time_t)1732180198)
#define T_UNTIL		((time_t)1732525798)	/* Mon, 25 Nov 2024 09:09:58 */
#define T_LAST		((time_t)1732180100)	/* Thu, 21 Nov 2024 09:08:20 */
#define BOUNDARY	"1a2b3c4d.q7Xk29Zp/mx.example.org"
#define LINE_MAX_OCTETS	998
#define BIG_SIZE	(DSN_FULL_MAX + 4096)

static const char msg_small[] =
    "Received: from client.example.net\r\n"
    "From: <sender@example.net>\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "body line 1\r\n"
    "body line 2\r\n";
static const char msg_headers[] =
    "Received: from client.example.net\r\n"
    "From: <sender@example.net>\r\n"
    "Subject: hello\r\n";

static void
rcpt_init(struct dsn_rcpt *rc, const char *addr, const char *status)
{
	memset(rc, 0, sizeof(*rc));
	rc->final_rcpt = addr;
	rc->diagnostic = "";
	snprintf(rc->status, sizeof(rc->status), "%s", status);
}

static void
report_init(struct dsn_report *r, enum dsn_kind kind,
    const struct dsn_rcpt *rcpts, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->reporting_mta = "mx.example.org";
	r->to = "sender@example.net";
	r->msgid = 0x1a2b3c4d;
	r->unique = "q7Xk29Zp";
	r->arrival = T_ARRIVAL;
	r->now = T_NOW;
	r->rcpts = rcpts;
	r->nrcpts = n;
}

static int
memfd_with(const char *data, size_t len)
{
	int fd;

	fd = memfd_create("dsn-msg", 0);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* Every line ends in CRLF, no bare CR or LF, none over 998 octets. */
static void
check_lines(const char *s, size_t len)
{
	size_t i, col = 0;

	assert_true(len >= 2);
	assert_memory_equal(s + len - 2, "\r\n", 2);
	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			assert_true(i + 1 < len && s[i + 1] == '\n');
			assert_true(col <= LINE_MAX_OCTETS);
			col = 0;
			i++;
			continue;
		}
		assert_true(s[i] != '\n');
		col++;
	}
}

/* Writes the report and returns it NUL-terminated (caller frees). */
static char *
render(const struct dsn_report *r, int msgfd)
{
	char err[DSN_ERR_SIZE] = "";
	off_t len;
	char *s;
	int fd;

	fd = memfd_create("dsn-out", 0);
	assert_true(fd != -1);
	if (dsn_write(fd, r, msgfd, err, sizeof(err)) != 0)
		fail_msg("dsn_write: %s", err);
	len = lseek(fd, 0, SEEK_END);
	assert_true(len > 0);
	s = malloc((size_t)len + 1);
	assert_non_null(s);
	assert_int_equal(pread(fd, s, (size_t)len, 0), len);
	s[len] = '\0';
	close(fd);
	assert_int_equal(strlen(s), (size_t)len);
	check_lines(s, (size_t)len);
	return s;
}

/* True if line (without CRLF) is a whole line of s. */
static int
has_line(const char *s, const char *line)
{
	size_t n = strlen(line);
	const char *p = s;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == s || p[-1] == '\n') && strncmp(p + n, "\r\n", 2) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* s with each CRLF + spaces or tabs (a folded line) made one space. */
static char *
unfold(const char *s)
{
	char *u, *o;

	u = o = strdup(s);
	assert_non_null(u);
	while (*s != '\0') {
		if (s[0] == '\r' && s[1] == '\n' && (s[2] == ' ' || s[2] == '\t')) {
			s += 2;
			while (*s == ' ' || *s == '\t')
				s++;
			*o++ = ' ';
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return u;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* Part i (1-based) of the report, from its first header to the CRLF
 * that belongs to the next boundary; caller frees. */
static char *
part(const char *s, int i)
{
	const char *delim = "\r\n--" BOUNDARY;
	const char *p = s, *end;

	while (i-- > 0) {
		p = strstr(p, delim);
		assert_non_null(p);
		p += strlen(delim);
		assert_memory_equal(p, "\r\n", 2);
		p += 2;
	}
	end = strstr(p, delim);
	assert_non_null(end);
	return strndup(p, (size_t)(end - p));
}

static void
test_headers_exact(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	const char *want =
	    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
	    "To: <sender@example.net>\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Date: Thu, 21 Nov 2024 09:10:00 +0000\r\n"
	    "Message-Id: <q7Xk29Zp@mx.example.org>\r\n"
	    "Auto-Submitted: auto-replied (failure)\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"" BOUNDARY "\"\r\n"
	    "\r\n"
	    "--" BOUNDARY "\r\n";
	char *s;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	fd = memfd_with(msg_small, sizeof(msg_small) - 1);
	s = render(&r, fd);
	assert_memory_equal(s, want, strlen(want));
	free(s);
	close(fd);
}

static void
test_kinds(void **state)
{
	static const char *const subj[] = {
		"Subject: Undelivered Mail Returned to Sender",
		"Subject: Delayed Mail (still being retried)",
		"Subject: Successful Mail Delivery Report",
	};
	static const char *const aut[] = {
		"Auto-Submitted: auto-replied (failure)",
		"Auto-Submitted: auto-replied (delay)",
		"Auto-Submitted: auto-replied (success)",
	};
	static const char *const act[] = {
		"Action: failed", "Action: delayed", "Action: delivered",
	};
	static const char *const st[] = { "5.0.0", "4.0.0", "2.0.0" };
	struct dsn_report r;
	struct dsn_rcpt rc;
	char line[64];
	char *s;
	int k;

	(void)state;
	for (k = DSN_FAILED; k <= DSN_DELIVERED; k++) {
		rcpt_init(&rc, "bob@example.org", "");	/* default status */
		report_init(&r, (enum dsn_kind)k, &rc, 1);
		s = render(&r, -1);
		assert_true(has_line(s, subj[k]));
		assert_true(has_line(s, aut[k]));
		assert_true(has_line(s, act[k]));
		snprintf(line, sizeof(line), "Status: %s", st[k]);
		assert_true(has_line(s, line));
		assert_true(has_line(s,
		    "This is the mail system at host mx.example.org."));
		free(s);
	}
}

static void
test_boundaries(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	const char *tail = "\r\n\r\n--" BOUNDARY "--\r\n";
	char *s;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	fd = memfd_with(msg_small, sizeof(msg_small) - 1);
	s = render(&r, fd);
	assert_int_equal(count(s, "\r\n--" BOUNDARY "\r\n"), 3);
	assert_int_equal(count(s, "--" BOUNDARY "--"), 1);
	assert_string_equal(s + strlen(s) - strlen(tail), tail);
	assert_true(has_line(s, "Content-Type: text/plain; charset=us-ascii"));
	assert_true(has_line(s, "Content-Description: Notification"));
	assert_true(has_line(s, "Content-Type: message/delivery-status"));
	assert_true(has_line(s, "Content-Description: Delivery report"));
	assert_true(has_line(s, "Content-Type: message/rfc822"));
	assert_true(has_line(s, "Content-Description: Undelivered Message"));
	free(s);
	close(fd);
}

static void
test_local_failed(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	const char *want =
	    "Content-Type: message/delivery-status\r\n"
	    "Content-Description: Delivery report\r\n"
	    "\r\n"
	    "Reporting-MTA: dns; mx.example.org\r\n"
	    "Arrival-Date: Thu, 21 Nov 2024 09:09:58 +0000\r\n"
	    "\r\n"
	    "Final-Recipient: rfc822; bob@example.org\r\n"
	    "Action: failed\r\n"
	    "Status: 5.2.2\r\n"
	    "Diagnostic-Code: x-unix; mailbox full\r\n"
	    "Last-Attempt-Date: Thu, 21 Nov 2024 09:08:20 +0000\r\n";
	char *s, *p;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.2.2");
	rc.local = 1;
	rc.diagnostic = "mailbox full";
	rc.last_attempt = T_LAST;
	report_init(&r, DSN_FAILED, &rc, 1);
	s = render(&r, -1);
	p = part(s, 2);
	assert_string_equal(p, want);
	assert_null(strstr(s, "Remote-MTA"));
	assert_null(strstr(s, "Will-Retry-Until"));
	assert_true(has_line(s, "<bob@example.org>: delivery failed (status "
	    "5.2.2). Reply: mailbox full"));
	free(p);
	free(s);
}

static void
test_remote_failed(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc[2];
	const char *want =
	    "Final-Recipient: rfc822; bob@example.org\r\n"
	    "Action: failed\r\n"
	    "Status: 5.1.1\r\n"
	    "Remote-MTA: dns; mx.example.com\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: User unknown\r\n"
	    "Last-Attempt-Date: Thu, 21 Nov 2024 09:08:20 +0000\r\n"
	    "\r\n"
	    "Final-Recipient: rfc822; carol@example.org\r\n"
	    "Action: failed\r\n"
	    "Status: 5.7.1\r\n"
	    "Remote-MTA: dns; [192.0.2.7]\r\n"
	    "Diagnostic-Code: smtp; 554 5.7.1 rejected\r\n";
	char *s, *p, *u;

	(void)state;
	rcpt_init(&rc[0], "bob@example.org", "5.1.1");
	rc[0].remote_mta = "mx.example.com";
	rc[0].diagnostic = "550 5.1.1 <bob@example.org>: User unknown";
	rc[0].last_attempt = T_LAST;
	rcpt_init(&rc[1], "carol@example.org", "5.7.1");
	rc[1].remote_mta = "[192.0.2.7]";
	rc[1].diagnostic = "554 5.7.1 rejected";
	report_init(&r, DSN_FAILED, rc, 2);
	s = render(&r, -1);
	p = part(s, 2);
	assert_non_null(strstr(p, want));
	assert_string_equal(p + strlen(p) - strlen(want), want);
	/* the notice, folded at a space before column 78 */
	assert_true(has_line(s, "<bob@example.org>: delivery failed (status "
	    "5.1.1). Reply from host"));
	assert_true(has_line(s, "    mx.example.com: 550 5.1.1 "
	    "<bob@example.org>: User unknown"));
	u = unfold(s);
	assert_true(has_line(u, "<carol@example.org>: delivery failed (status "
	    "5.7.1). Reply from host [192.0.2.7]: 554 5.7.1 rejected"));
	free(u);
	free(p);
	free(s);
}

static void
test_orcpt(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc[3];
	char *s;

	(void)state;
	rcpt_init(&rc[0], "bob@example.org", "5.1.1");
	rc[0].orcpt = "Bob@Example.org";
	rcpt_init(&rc[1], "carol@example.org", "5.1.1");
	rc[1].orcpt = "";
	rcpt_init(&rc[2], "dave@example.org", "5.1.1");
	rc[2].orcpt = "d+x@example.org";
	rc[2].orcpt_utf8 = 1;
	report_init(&r, DSN_FAILED, rc, 3);
	s = render(&r, -1);
	assert_true(has_line(s, "Original-Recipient: rfc822; Bob@Example.org"));
	assert_true(has_line(s, "Original-Recipient: utf-8; "
	    "d\\x{2B}x@example.org"));
	assert_int_equal(count(s, "Original-Recipient:"), 2);
	/* carol's block has none: her Final-Recipient follows a blank line */
	assert_non_null(strstr(s, "\r\n\r\nFinal-Recipient: rfc822; "
	    "carol@example.org\r\n"));
	assert_non_null(strstr(s, "Original-Recipient: rfc822; "
	    "Bob@Example.org\r\nFinal-Recipient: rfc822; bob@example.org\r\n"));
	free(s);
}

static void
test_envid(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	s = render(&r, -1);
	assert_null(strstr(s, "Original-Envelope-Id"));
	free(s);
	r.envid = "";
	s = render(&r, -1);
	assert_null(strstr(s, "Original-Envelope-Id"));
	free(s);
	r.envid = "QQ314159";
	s = render(&r, -1);
	assert_non_null(strstr(s, "Reporting-MTA: dns; mx.example.org\r\n"
	    "Original-Envelope-Id: QQ314159\r\n"
	    "Arrival-Date: Thu, 21 Nov 2024 09:09:58 +0000\r\n"));
	free(s);
}

static void
test_delayed(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s, *p;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "4.4.1");
	rc.remote_mta = "mx.example.com";
	rc.diagnostic = "421 4.4.1 try later";
	rc.last_attempt = T_LAST;
	report_init(&r, DSN_DELAYED, &rc, 1);
	r.retry_until = T_UNTIL;
	fd = memfd_with(msg_small, sizeof(msg_small) - 1);
	s = render(&r, fd);
	assert_non_null(strstr(s, "Action: delayed\r\nStatus: 4.4.1\r\n"));
	assert_non_null(strstr(s, "Last-Attempt-Date: Thu, 21 Nov 2024 "
	    "09:08:20 +0000\r\nWill-Retry-Until: Mon, 25 Nov 2024 09:09:58 "
	    "+0000\r\n"));
	/* a delay report carries the headers only */
	p = part(s, 3);
	assert_string_equal(p, "Content-Type: text/rfc822-headers\r\n"
	    "Content-Description: Delayed Message Headers\r\n\r\n"
	    "Received: from client.example.net\r\n"
	    "From: <sender@example.net>\r\nSubject: hello\r\n");
	assert_null(strstr(s, "body line"));
	free(p);
	free(s);
	close(fd);
}

static void
test_delivered(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "2.0.0");
	rc.local = 1;
	report_init(&r, DSN_DELIVERED, &rc, 1);
	r.retry_until = T_UNTIL;	/* ignored for this kind */
	fd = memfd_with(msg_small, sizeof(msg_small) - 1);
	s = render(&r, fd);
	assert_true(has_line(s, "Action: delivered"));
	assert_null(strstr(s, "Will-Retry-Until"));
	assert_null(strstr(s, "Diagnostic-Code"));
	assert_true(has_line(s, "Content-Type: text/rfc822-headers"));
	assert_true(has_line(s, "Content-Description: Delivered Message "
	    "Headers"));
	assert_null(strstr(s, "body line"));
	free(s);
	close(fd);
}

static void
test_expired(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc[2];
	char *s, *u;

	(void)state;
	rcpt_init(&rc[0], "bob@example.org", "4.4.7");
	rc[0].expired = 1;
	rcpt_init(&rc[1], "carol@example.org", "4.4.1");
	rc[1].expired = 1;
	rc[1].remote_mta = "mx.example.com";
	rc[1].diagnostic = "connection refused";
	report_init(&r, DSN_FAILED, rc, 2);
	s = render(&r, -1);
	u = unfold(s);
	assert_non_null(strstr(s, "Final-Recipient: rfc822; bob@example.org\r\n"
	    "Action: failed\r\nStatus: 4.4.7\r\n"
	    "Diagnostic-Code: x-unix; delivery time expired\r\n"));
	assert_true(has_line(s, "<bob@example.org>: delivery time expired, "
	    "giving up (status 4.4.7)."));
	assert_non_null(strstr(s, "Action: failed\r\nStatus: 4.4.1\r\n"
	    "Remote-MTA: dns; mx.example.com\r\n"
	    "Diagnostic-Code: smtp; connection refused\r\n"));
	assert_true(has_line(u, "<carol@example.org>: delivery time expired, "
	    "giving up (status 4.4.1). Last error from host mx.example.com: "
	    "connection refused"));
	free(u);
	free(s);
}

static void
test_full_message(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s, *p;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	fd = memfd_with(msg_small, sizeof(msg_small) - 1);
	s = render(&r, fd);
	p = part(s, 3);
	assert_string_equal(p, "Content-Type: message/rfc822\r\n"
	    "Content-Description: Undelivered Message\r\n\r\n"
	    "Received: from client.example.net\r\n"
	    "From: <sender@example.net>\r\nSubject: hello\r\n\r\n"
	    "body line 1\r\nbody line 2\r\n");
	assert_null(strstr(s, "Content-Transfer-Encoding"));
	assert_true(has_line(s, "Your message is attached."));
	free(p);
	free(s);
	close(fd);
}

static void
test_ret_hdrs(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s, *p;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	r.ret_hdrs = 1;
	fd = memfd_with(msg_small, sizeof(msg_small) - 1);
	s = render(&r, fd);
	p = part(s, 3);
	assert_string_equal(p, "Content-Type: text/rfc822-headers\r\n"
	    "Content-Description: Undelivered Message Headers\r\n\r\n"
	    "Received: from client.example.net\r\n"
	    "From: <sender@example.net>\r\nSubject: hello\r\n");
	assert_null(strstr(s, "body line"));
	assert_true(has_line(s, "The header section of your message is "
	    "attached."));
	free(p);
	free(s);
	close(fd);
}

static void
test_big_message(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *big, *s, *p;
	size_t off, hlen = sizeof(msg_small) - 1 - 26;
	int fd;

	(void)state;
	big = malloc(BIG_SIZE);
	assert_non_null(big);
	memcpy(big, msg_small, hlen);	/* headers and the empty line */
	for (off = hlen; off + 80 <= BIG_SIZE; off += 80) {
		memset(big + off, 'x', 78);
		memcpy(big + off + 78, "\r\n", 2);
	}
	fd = memfd_with(big, off);
	free(big);
	rcpt_init(&rc, "bob@example.org", "5.3.4");
	report_init(&r, DSN_FAILED, &rc, 1);
	s = render(&r, fd);
	p = part(s, 3);
	assert_string_equal(p, "Content-Type: text/rfc822-headers\r\n"
	    "Content-Description: Undelivered Message Headers\r\n\r\n"
	    "Received: from client.example.net\r\n"
	    "From: <sender@example.net>\r\nSubject: hello\r\n");
	assert_true(strlen(s) < 8192);
	free(p);
	free(s);
	close(fd);
}

static void
test_no_empty_line(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s, *p;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	r.ret_hdrs = 1;
	fd = memfd_with(msg_headers, sizeof(msg_headers) - 1);
	s = render(&r, fd);
	p = part(s, 3);
	assert_string_equal(p, "Content-Type: text/rfc822-headers\r\n"
	    "Content-Description: Undelivered Message Headers\r\n\r\n"
	    "Received: from client.example.net\r\n"
	    "From: <sender@example.net>\r\nSubject: hello\r\n");
	free(p);
	free(s);
	close(fd);
	/* and without its final CRLF: one is added */
	fd = memfd_with(msg_headers, sizeof(msg_headers) - 3);
	s = render(&r, fd);
	p = part(s, 3);
	assert_string_equal(p, "Content-Type: text/rfc822-headers\r\n"
	    "Content-Description: Undelivered Message Headers\r\n\r\n"
	    "Received: from client.example.net\r\n"
	    "From: <sender@example.net>\r\nSubject: hello\r\n");
	free(p);
	free(s);
	close(fd);
}

static void
test_no_final_crlf(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	fd = memfd_with(msg_small, sizeof(msg_small) - 3);
	s = render(&r, fd);
	assert_non_null(strstr(s, "body line 1\r\nbody line 2\r\n\r\n--"
	    BOUNDARY "--\r\n"));
	free(s);
	close(fd);
}

static void
test_msgfd_none(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s, *p;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	s = render(&r, -1);
	assert_int_equal(count(s, "\r\n--" BOUNDARY "\r\n"), 2);
	assert_null(strstr(s, "rfc822-headers"));
	assert_null(strstr(s, "message/rfc822"));
	assert_null(strstr(s, "attached"));
	p = part(s, 2);
	assert_non_null(strstr(s, p));
	assert_non_null(strstr(s, "Status: 5.1.1\r\n\r\n--" BOUNDARY
	    "--\r\n"));
	free(p);
	free(s);
}

static void
test_diag_sanitized(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	const char *diag = "550 5.1.1 bad\r\nSubject: forged\r\n"
	    "--" BOUNDARY "\r\n\tsmu\001ggled caf\xc3\xa9 \xff\x80 end\0hidden";
	char *s, *u;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	rc.remote_mta = "mx.exa\r\nmple.com";
	rc.diagnostic = diag;
	report_init(&r, DSN_FAILED, &rc, 1);
	r.envid = "id\r\nX-Forged: 1";
	s = render(&r, -1);
	assert_false(has_line(s, "Subject: forged"));
	assert_false(has_line(s, "X-Forged: 1"));
	/* two part boundaries and the closing one, nothing forged */
	assert_int_equal(count(s, "\r\n--" BOUNDARY "\r\n"), 2);
	assert_int_equal(count(s, "\r\n--"), 3);
	assert_null(strstr(s, "hidden"));
	assert_null(strstr(s, "\xc3"));
	assert_null(strstr(s, "\xff"));
	assert_null(strstr(s, "\001"));
	assert_null(strstr(s, "\t"
	    "smu"));
	u = unfold(s);
	assert_true(has_line(u, "Diagnostic-Code: smtp; 550 5.1.1 bad "
	    "Subject: forged --" BOUNDARY " smu ggled caf? ?? end"));
	assert_true(has_line(u, "<bob@example.org>: delivery failed (status "
	    "5.1.1). Reply from host mx.exa__mple.com: 550 5.1.1 bad Subject: "
	    "forged --" BOUNDARY " smu ggled caf? ?? end"));
	free(u);
	assert_true(has_line(s, "Remote-MTA: dns; mx.exa__mple.com"));
	assert_true(has_line(s, "Original-Envelope-Id: id X-Forged: 1"));
	free(s);
}

static void
test_utf8_address(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s;

	(void)state;
	/* "jos\u00e9@b\u00fccher.example" and a CJK local part */
	rcpt_init(&rc, "jos\xc3\xa9@b\xc3\xbc" "cher.example", "5.1.1");
	rc.orcpt = "\xe7\x94\xa8\xe6\x88\xb7@example.org";
	rc.orcpt_utf8 = 1;
	report_init(&r, DSN_FAILED, &rc, 1);
	s = render(&r, -1);
	assert_true(has_line(s, "Original-Recipient: utf-8; "
	    "\\x{7528}\\x{6237}@example.org"));
	assert_true(has_line(s, "Final-Recipient: utf-8; "
	    "jos\\x{E9}@b\\x{FC}cher.example"));
	assert_true(has_line(s, "<jos\\x{E9}@b\\x{FC}cher.example>: delivery "
	    "failed (status 5.1.1)."));
	free(s);
}

static void
test_long_lines(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc[2];
	char *diag, *word, *s, *u, *p;
	size_t i;

	(void)state;
	diag = malloc(5001);
	word = malloc(3001);
	assert_non_null(diag);
	assert_non_null(word);
	for (i = 0; i < 5000; i++)
		diag[i] = i % 7 == 6 ? ' ' : 'a' + (char)(i % 26);
	diag[5000] = '\0';
	memset(word, 'w', 3000);
	word[3000] = '\0';
	rcpt_init(&rc[0], "bob@example.org", "5.1.1");
	rc[0].remote_mta = "mx.example.com";
	rc[0].diagnostic = diag;
	rcpt_init(&rc[1], "carol@example.org", "5.1.1");
	rc[1].local = 1;
	rc[1].diagnostic = word;	/* one word: cut, not folded */
	report_init(&r, DSN_FAILED, rc, 2);
	s = render(&r, -1);		/* checks the 998 limit */
	assert_non_null(strstr(s, "Diagnostic-Code: smtp; "));
	assert_null(strstr(s, diag + 1000));
	assert_true(count(s, "\r\n ") > 10);	/* folded */
	assert_null(strstr(s, word + 2000));
	u = unfold(s);
	/* cut to 900 octets */
	p = strstr(u, "Diagnostic-Code: x-unix; www");
	assert_non_null(p);
	assert_int_equal(strcspn(p + 25, "\r"), 900);
	p = strstr(u, "Diagnostic-Code: smtp; ");
	assert_non_null(p);
	assert_int_equal(strcspn(p + 23, "\r"), 900);
	free(u);
	free(s);
	free(diag);
	free(word);
}

static void
test_eightbit(void **state)
{
	static const char msg8[] = "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n";
	struct dsn_report r;
	struct dsn_rcpt rc;
	char *s, *p;
	int fd;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	fd = memfd_with(msg8, sizeof(msg8) - 1);
	s = render(&r, fd);
	assert_int_equal(count(s, "Content-Transfer-Encoding: 8bit\r\n"), 2);
	p = part(s, 3);
	assert_string_equal(p, "Content-Type: message/rfc822\r\n"
	    "Content-Description: Undelivered Message\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"
	    "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n");
	free(p);
	free(s);
	close(fd);
}

/* Random octets: mostly CR, LF, '-', ':' and 8-bit, to forge lines. */
static void
random_text(char *buf, size_t len, uint32_t *seed)
{
	static const char pick[] = "\r\n-:;+= \t\\aZ\x80\xc3\xa9\xff\x01";
	size_t i, n;

	*seed = *seed * 1103515245U + 12345U;
	n = (*seed >> 8) % len;
	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245U + 12345U;
		buf[i] = (*seed >> 16) % 3 == 0 ? (char)(*seed >> 8) :
		    pick[(*seed >> 20) % (sizeof(pick) - 1)];
		if (buf[i] == '\0')
			buf[i] = 'x';
	}
	buf[n] = '\0';
}

/* Whatever the text, the report has its own lines only. */
static void
test_random_text(void **state)
{
	static const char *const fields[] = { "Reporting-MTA: ",
	    "Original-Envelope-Id: ", "Arrival-Date: ", "Original-Recipient: ",
	    "Final-Recipient: ", "Action: ", "Status: ", "Remote-MTA: ",
	    "Diagnostic-Code: ", "Last-Attempt-Date: ", "Content-Type: ",
	    "Content-Description: ", "--" BOUNDARY };
	char diag[2048], addr[600], orcpt[600], envid[200], mta[300];
	struct dsn_report r;
	struct dsn_rcpt rc;
	uint32_t seed = 7;
	char *s, *p, *line;
	size_t f;
	int i;

	(void)state;
	for (i = 0; i < 500; i++) {
		random_text(diag, sizeof(diag), &seed);
		random_text(addr, sizeof(addr), &seed);
		random_text(orcpt, sizeof(orcpt), &seed);
		random_text(envid, sizeof(envid), &seed);
		random_text(mta, sizeof(mta), &seed);
		rcpt_init(&rc, addr[0] != '\0' ? addr : "x@y", "5.1.1");
		rc.diagnostic = diag;
		rc.orcpt = orcpt;
		rc.orcpt_utf8 = i & 1;
		rc.remote_mta = mta;
		rc.local = (i & 2) != 0;
		rc.expired = (i & 4) != 0;
		report_init(&r, (enum dsn_kind)(i % 3), &rc, 1);
		r.envid = envid;
		s = render(&r, -1);	/* CRLF only, no line over 998 */
		assert_int_equal(count(s, "\r\n--"), 3);
		/* every line of the status part is a field or continues one */
		p = part(s, 2);
		for (line = strtok(p, "\r\n"); line != NULL;
		    line = strtok(NULL, "\r\n")) {
			if (line[0] == ' ')
				continue;
			for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
				if (strncmp(line, fields[f],
				    strlen(fields[f])) == 0)
					break;
			if (f == sizeof(fields) / sizeof(fields[0]))
				fail_msg("forged line: %s", line);
		}
		free(p);
		free(s);
	}
}

static void
test_errors(void **state)
{
	struct dsn_report r;
	struct dsn_rcpt rc;
	char err[DSN_ERR_SIZE];
	int fd, ro;

	(void)state;
	rcpt_init(&rc, "bob@example.org", "5.1.1");
	report_init(&r, DSN_FAILED, &rc, 1);
	fd = memfd_create("dsn-out", 0);
	assert_true(fd != -1);
	r.to = "";
	assert_int_equal(dsn_write(fd, &r, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "null sender"));
	r.to = "sender@example.net";
	r.nrcpts = 0;
	assert_int_equal(dsn_write(fd, &r, -1, err, sizeof(err)), -1);
	r.nrcpts = 1;
	rc.final_rcpt = NULL;
	assert_int_equal(dsn_write(fd, &r, -1, err, sizeof(err)), -1);
	rc.final_rcpt = "bob@example.org";
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);	/* nothing written */
	ro = open("/dev/null", O_RDONLY);
	assert_true(ro != -1);
	assert_int_equal(dsn_write(ro, &r, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "write"));
	/* msgfd not readable */
	assert_int_equal(dsn_write(fd, &r, 9999, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "original"));
	assert_int_equal(dsn_write(fd, &r, -1, NULL, 0), 0);
	close(ro);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_exact),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_local_failed),
		cmocka_unit_test(test_remote_failed),
		cmocka_unit_test(test_orcpt),
		cmocka_unit_test(test_envid),
		cmocka_unit_test(test_delayed),
		cmocka_unit_test(test_delivered),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_full_message),
		cmocka_unit_test(test_ret_hdrs),
		cmocka_unit_test(test_big_message),
		cmocka_unit_test(test_no_empty_line),
		cmocka_unit_test(test_no_final_crlf),
		cmocka_unit_test(test_msgfd_none),
		cmocka_unit_test(test_diag_sanitized),
		cmocka_unit_test(test_utf8_address),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_eightbit),
		cmocka_unit_test(test_random_text),
		cmocka_unit_test(test_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * sendmail_msg_test.c: unit tests for ctl/sendmail_msg.c, the message
 * handling of sendmail (spec/ctl.md section 9): LF or CRLF input to CRLF,
 * the leading "From " line, a lone "." with and without -i (whole and
 * byte by byte), the header section, the recipients of -t (To/Cc/Bcc,
 * Resent-*, groups, comments, quoted names, routes), Bcc removal, the
 * From:/Date:/Message-Id: fields added when missing, address
 * qualification, dot-stuffing and the ESMTP parameters of -N/-R/-B/-V.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/sendmail_msg.h"

/* The reader's output for `in` as a C string (freed by the caller). */
static char *
read_all(const char *in, int dot_ends, int bytewise, int *ended)
{
	struct sm_reader r;
	struct buf out;
	size_t i, len = strlen(in);
	char *s;

	buf_init(&out);
	sm_reader_init(&r, &out, dot_ends);
	*ended = 0;
	if (bytewise) {
		for (i = 0; i < len && !*ended; i++)
			*ended = sm_reader_feed(&r, in + i, 1);
	} else
		*ended = sm_reader_feed(&r, in, len);
	sm_reader_end(&r);
	s = calloc(1, buf_avail(&out) + 1);
	assert_non_null(s);
	if (buf_avail(&out))
		memcpy(s, buf_head(&out), buf_avail(&out));
	buf_free(&out);
	return s;
}

static void
check_read(const char *in, int dot_ends, const char *want, int want_end)
{
	char *s;
	int ended, bytewise;

	for (bytewise = 0; bytewise < 2; bytewise++) {
		s = read_all(in, dot_ends, bytewise, &ended);
		assert_string_equal(s, want);
		assert_int_equal(ended, want_end);
		free(s);
	}
}

static void
test_reader(void **state)
{
	(void)state;
	check_read("a\nb\n", 1, "a\r\nb\r\n", 0);
	check_read("a\r\nb\r\n", 1, "a\r\nb\r\n", 0);
	check_read("a\nb", 1, "a\r\nb\r\n", 0);		/* no final LF */
	check_read("", 1, "", 0);
	check_read("\n\n", 1, "\r\n\r\n", 0);
	check_read("a\rb\n", 1, "a\rb\r\n", 0);		/* CR alone: data */
	/* The mbox separator, only as the very first line. */
	check_read("From alice Thu Nov 21 12:00:00 2026\nSubject: x\n\nhi\n",
	    1, "Subject: x\r\n\r\nhi\r\n", 0);
	check_read("Subject: x\n\nFrom here\n", 1,
	    "Subject: x\r\n\r\nFrom here\r\n", 0);
	check_read("From: a@b\n\nx\n", 1, "From: a@b\r\n\r\nx\r\n", 0);
	/* A lone "." ends the input without -i, and nothing after it counts. */
	check_read("a\n.\nb\n", 1, "a\r\n", 1);
	check_read("a\r\n.\r\nb\r\n", 1, "a\r\n", 1);
	check_read("a\n.", 1, "a\r\n", 0);		/* at EOF */
	check_read("a\n.\nb\n", 0, "a\r\n.\r\nb\r\n", 0);	/* -i */
	check_read("a\n..\n. \n.x\n", 1, "a\r\n..\r\n. \r\n.x\r\n", 0);
}

/* A message's header as "Name=value|" pairs, and where it ends. */
static void
check_header(const char *msg, const char *want, size_t end, int blank)
{
	struct sm_header h;
	const uint8_t *m = (const uint8_t *)msg;
	char got[1024];
	size_t i, n = 0;

	sm_header_parse(m, strlen(msg), &h);
	got[0] = '\0';
	for (i = 0; i < h.nfields; i++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%.*s=%.*s|",
		    (int)h.fields[i].namelen, msg + h.fields[i].off,
		    (int)h.fields[i].vlen, msg + h.fields[i].voff);
	assert_string_equal(got, want);
	assert_int_equal(h.end, end);
	assert_int_equal(h.blank, blank);
	sm_header_free(&h);
}

static void
test_header(void **state)
{
	(void)state;
	check_header("To: a@b\r\nSubject: x\r\n\r\nbody\r\n",
	    "To= a@b|Subject= x|", 21, 1);
	check_header("To: a@b,\r\n c@d\r\n\r\n", "To= a@b,\r\n c@d|", 16, 1);
	check_header("Subject : x\r\n\r\n", "Subject= x|", 13, 1);
	check_header("hello world\r\n", "", 0, 0);
	check_header(" folded\r\n", "", 0, 0);
	check_header("To: a@b\r\nnot a header\r\n", "To= a@b|", 9, 0);
	check_header("To: a@b\r\n", "To= a@b|", 9, 0);
	check_header("", "", 0, 0);
	check_header("\r\nbody\r\n", "", 0, 1);
}

/* The -t recipients of msg, joined by spaces; "ERR" for -1. */
static void
check_rcpts(const char *msg, const char *want)
{
	struct sm_header h;
	struct sm_list l;
	char got[1024];
	size_t i, n = 0;
	int rc;

	memset(&l, 0, sizeof(l));
	sm_header_parse((const uint8_t *)msg, strlen(msg), &h);
	rc = sm_header_rcpts((const uint8_t *)msg, &h, &l);
	got[0] = '\0';
	if (rc == -1)
		snprintf(got, sizeof(got), "ERR");
	else
		for (i = 0; i < l.n; i++)
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s",
			    i ? " " : "", l.v[i]);
	assert_string_equal(got, want);
	sm_list_free(&l);
	sm_header_free(&h);
}

static void
test_rcpts(void **state)
{
	(void)state;
	check_rcpts("To: a@x\r\nCc: b@x, c@x\r\nBcc: d@x\r\nFrom: e@x\r\n\r\n",
	    "a@x b@x c@x d@x");
	check_rcpts("to: a@x\r\nCC: b@x\r\nbcc: c@x\r\n\r\nTo: no@x\r\n",
	    "a@x b@x c@x");
	/* Any Resent- field: only the Resent- recipients count. */
	check_rcpts("To: a@x\r\nResent-From: r@x\r\nResent-To: b@x\r\n"
	    "Resent-Bcc: c@x\r\n\r\n", "b@x c@x");
	check_rcpts("To: a@x\r\nResent-Date: now\r\n\r\n", "");
	check_rcpts("To: \"Doe, John\" <john@x>, Jane <jane@x> (home)\r\n\r\n",
	    "john@x jane@x");
	check_rcpts("To: a@x (Alice, A.), b@x\r\n\r\n", "a@x b@x");
	check_rcpts("To: a@x,\r\n\tb@x\r\n\r\n", "a@x b@x");
	check_rcpts("To: undisclosed-recipients:;\r\n\r\n", "");
	check_rcpts("To: team: a@x, b@x;, c@x\r\n\r\n", "a@x b@x c@x");
	check_rcpts("To: <@r1,@r2:a@x>\r\n\r\n", "a@x");
	check_rcpts("To: \"a b\"@x, user@[IPv6:::1]\r\n\r\n",
	    "\"a b\"@x user@[IPv6:::1]");
	check_rcpts("To: bob\r\n\r\n", "bob");
	check_rcpts("To: a@x,,b@x,\r\n\r\n", "a@x b@x");
	check_rcpts("To: <a@x\r\n\r\n", "ERR");
	check_rcpts("To: \"a@x\r\n\r\n", "ERR");
	check_rcpts("To: (a@x\r\n\r\n", "ERR");
}

static void
test_qualify(void **state)
{
	char out[ADDR_MAILBOX_SIZE];

	(void)state;
	assert_int_equal(sm_addr_qualify("bob", "mx.example", 0, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "bob@mx.example");
	assert_int_equal(sm_addr_qualify(" <bob@x.org> ", "mx", 0, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "bob@x.org");
	assert_int_equal(sm_addr_qualify("\"a@b\"", "mx", 0, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "\"a@b\"@mx");
	assert_int_equal(sm_addr_qualify("", "mx", 1, out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(sm_addr_qualify("<>", "mx", 1, out, sizeof(out)), 1);
	assert_int_equal(sm_addr_qualify("<>", "mx", 0, out, sizeof(out)), -1);
	assert_int_equal(sm_addr_qualify("a b@x", "mx", 0, out, sizeof(out)),
	    -1);
	assert_int_equal(sm_addr_qualify("a@b> NOTIFY=NEVER", "mx", 0, out,
	    sizeof(out)), -1);
	assert_int_equal(sm_addr_qualify("a@x\r\nRSET", "mx", 0, out,
	    sizeof(out)), -1);
	assert_int_equal(sm_addr_qualify("a@", "mx", 0, out, sizeof(out)), -1);
	assert_int_equal(sm_addr_qualify("x", "", 0, out, sizeof(out)), -1);
}

/* sm_message_build with every field to add. */
static void
check_build(const char *msg, const char *want)
{
	struct sm_header h;
	struct sm_add add = { "\"Al\" <al@mx>", "Thu, 1 Jan 1970 00:00:00 +0000",
	    "<id@mx>" };
	struct buf out;
	size_t len = strlen(msg);

	buf_init(&out);
	sm_header_parse((const uint8_t *)msg, len, &h);
	sm_message_build((const uint8_t *)msg, len, &h, &add, &out);
	buf_add(&out, "", 1);
	assert_string_equal((const char *)buf_head(&out), want);
	buf_free(&out);
	sm_header_free(&h);
}

static void
test_build(void **state)
{
	(void)state;
	check_build("To: a@x\r\nBcc: b@x,\r\n c@x\r\nSubject: s\r\n\r\nhi\r\n",
	    "To: a@x\r\nSubject: s\r\nFrom: \"Al\" <al@mx>\r\n"
	    "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\nMessage-Id: <id@mx>\r\n"
	    "\r\nhi\r\n");
	check_build("from: me@x\r\nDATE: today\r\nMessage-ID: <m@x>\r\n"
	    "Resent-Bcc: z@x\r\nResent-To: y@x\r\n\r\nBcc: kept@x\r\n",
	    "from: me@x\r\nDATE: today\r\nMessage-ID: <m@x>\r\n"
	    "Resent-To: y@x\r\n\r\nBcc: kept@x\r\n");
	check_build("just a body\r\n", "From: \"Al\" <al@mx>\r\n"
	    "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\nMessage-Id: <id@mx>\r\n"
	    "\r\njust a body\r\n");
	check_build("Subject: s\r\nno colon here\r\n", "Subject: s\r\n"
	    "From: \"Al\" <al@mx>\r\nDate: Thu, 1 Jan 1970 00:00:00 +0000\r\n"
	    "Message-Id: <id@mx>\r\n\r\nno colon here\r\n");
	check_build("", "From: \"Al\" <al@mx>\r\n"
	    "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\nMessage-Id: <id@mx>\r\n");
}

static void
test_fields(void **state)
{
	struct buf b;
	char s[SM_MSGID_MAX];

	(void)state;
	buf_init(&b);
	sm_from_value("John \"J\" Doe\\", "j@x", &b);
	buf_add(&b, "", 1);
	assert_string_equal((const char *)buf_head(&b),
	    "\"John \\\"J\\\" Doe\\\\\" <j@x>");
	buf_reset(&b);
	sm_from_value("a\r\nBcc: evil@x", "j@x", &b);
	buf_add(&b, "", 1);
	assert_string_equal((const char *)buf_head(&b),
	    "\"aBcc: evil@x\" <j@x>");
	buf_reset(&b);
	sm_from_value("", "j@x", &b);
	buf_add(&b, "", 1);
	assert_string_equal((const char *)buf_head(&b), "j@x");
	buf_free(&b);

	sm_gecos_name("Alice Smith,Room 1,555", "alice", s, sizeof(s));
	assert_string_equal(s, "Alice Smith");
	sm_gecos_name("& Jones", "bob", s, sizeof(s));
	assert_string_equal(s, "Bob Jones");
	sm_gecos_name(NULL, "bob", s, sizeof(s));
	assert_string_equal(s, "");

	setenv("TZ", "UTC", 1);
	tzset();
	sm_date(86400 * 365, s, sizeof(s));
	assert_string_equal(s, "Fri, 1 Jan 1971 00:00:00 +0000");
	setenv("TZ", "EST5", 1);
	tzset();
	sm_date(0, s, sizeof(s));
	assert_string_equal(s, "Wed, 31 Dec 1969 19:00:00 -0500");
	sm_msgid(0, 0x1234abcdULL, "mx.example", s, sizeof(s));
	assert_string_equal(s, "<19700101000000.000000001234abcd@mx.example>");
}

static void
check_stuff(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b);
	sm_dot_stuff((const uint8_t *)in, strlen(in), &b);
	buf_add(&b, "", 1);
	assert_string_equal((const char *)buf_head(&b), want);
	buf_free(&b);
}

static void
test_stuff(void **state)
{
	(void)state;
	check_stuff("a\r\n.\r\n..b\r\n", "a\r\n..\r\n...b\r\n.\r\n");
	check_stuff(".x\r\n", "..x\r\n.\r\n");
	check_stuff("", ".\r\n");
	check_stuff("a", "a\r\n.\r\n");
	check_stuff("a\r\n\r\n.", "a\r\n\r\n..\r\n.\r\n");
	assert_false(sm_has_8bit((const uint8_t *)"abc", 3));
	assert_true(sm_has_8bit((const uint8_t *)"a\xc3\xa9", 3));
}

static void
test_params(void **state)
{
	char s[64];

	(void)state;
	assert_int_equal(sm_notify_parse("NeVeR", s, sizeof(s)), 0);
	assert_string_equal(s, "NEVER");
	assert_int_equal(sm_notify_parse("delay,success", s, sizeof(s)), 0);
	assert_string_equal(s, "SUCCESS,DELAY");
	assert_int_equal(sm_notify_parse("failure,FAILURE", s, sizeof(s)), 0);
	assert_string_equal(s, "FAILURE");
	assert_int_equal(sm_notify_parse("never,success", s, sizeof(s)), -1);
	assert_int_equal(sm_notify_parse("", s, sizeof(s)), -1);
	assert_int_equal(sm_notify_parse("success,", s, sizeof(s)), -1);
	assert_int_equal(sm_notify_parse("sometimes", s, sizeof(s)), -1);
	assert_int_equal(sm_ret_parse("hdrs", s, sizeof(s)), 0);
	assert_string_equal(s, "HDRS");
	assert_int_equal(sm_ret_parse("Full", s, sizeof(s)), 0);
	assert_string_equal(s, "FULL");
	assert_int_equal(sm_ret_parse("all", s, sizeof(s)), -1);
	assert_int_equal(sm_body_parse("8bitmime", s, sizeof(s)), 0);
	assert_string_equal(s, "8BITMIME");
	assert_int_equal(sm_body_parse("7BIT", s, sizeof(s)), 0);
	assert_string_equal(s, "7BIT");
	assert_int_equal(sm_body_parse("binarymime", s, sizeof(s)), -1);
	assert_int_equal(sm_xtext("a+b=c d\xc3", s, sizeof(s)), 0);
	assert_string_equal(s, "a+2Bb+3Dc+20d+C3");
	assert_int_equal(sm_xtext("abcdef", s, 4), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_rcpts),
		cmocka_unit_test(test_qualify),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_stuff),
		cmocka_unit_test(test_params),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

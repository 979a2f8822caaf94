/*
 * ctl_format_test.c: unit tests for ctl/format.c and the pure part of
 * ctl/monitor.c, against golden strings from spec/ctl.md: show queue
 * lines (flags order, null sender, runstates, vis escaping of the error),
 * show envelope key: value lines, show stats sorting and uptime.human,
 * show status, the texts of simple and queue commands (plural rule),
 * monitor's header and rows, and the -j JSON forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/format.h"
#include "ctl/monitor.h"
#include "queue/envelope.h"
#include "queue/scheduler.h"

#define OUT_MAX	8192

/* The buffer's text, NUL-terminated, in one of a few rotating slots. */
static const char *
text(struct buf *b)
{
	static char slots[4][OUT_MAX];
	static int next;
	char *t = slots[next++ % 4];

	assert_true(buf_avail(b) < OUT_MAX);
	memcpy(t, buf_head(b), buf_avail(b));
	t[buf_avail(b)] = '\0';
	buf_reset(b);
	return t;
}

/* ctl.md section 4's first example. */
static void
env_mta(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->evpid = 0x1a2b3c4d9e8f7a6bULL;
	e->type = ENVELOPE_MTA;
	e->family = ENVELOPE_INET4;
	strcpy(e->sockaddr, "192.0.2.7");
	strcpy(e->sender, "alice@example.org");
	strcpy(e->rcpt, "bob@example.net");
	strcpy(e->dest, "bob@example.net");
	e->ctime = 1732180200;
	e->ttl = 345600;
	e->lasttry = 1732181100;
	e->retry = 3;
	strcpy(e->errorline, "421 4.7.0 Try again later");
}

/* ctl.md section 4's second example. */
static void
env_mda(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->evpid = 0x1a2b3c4d0c0ffee1ULL;
	e->type = ENVELOPE_MDA;
	e->family = ENVELOPE_LOCAL;
	strcpy(e->sockaddr, "local");
	e->flags = ENVELOPE_F_AUTH | ENVELOPE_F_ESMTP;
	strcpy(e->username, "alice");
	strcpy(e->sender, "alice@example.org");
	strcpy(e->rcpt, "root@mx.example.org");
	strcpy(e->dest, "alice@mx.example.org");
	e->ctime = 1732180200;
	e->ttl = 345600;
}

static void
test_queue_line(void **state)
{
	struct envelope e;
	struct buf b;

	(void)state;
	buf_init(&b);
	env_mta(&e);
	ctlfmt_queue_line(&b, &e, SCHED_PENDING, 612);
	assert_string_equal(text(&b), "1a2b3c4d9e8f7a6b|inet4|mta||"
	    "alice@example.org|bob@example.net|bob@example.net|1732180200|"
	    "1732525800|1732181100|3|pending|612|421 4.7.0 Try again later\n");
	env_mda(&e);
	ctlfmt_queue_line(&b, &e, SCHED_INFLIGHT, 2);
	assert_string_equal(text(&b), "1a2b3c4d0c0ffee1|local|mda|auth|"
	    "alice@example.org|root@mx.example.org|alice@mx.example.org|"
	    "1732180200|1732525800|0|0|inflight|2|\n");

	/* negative delay when overdue; offline and invalid: empty delay */
	env_mta(&e);
	ctlfmt_queue_line(&b, &e, SCHED_PENDING, -30);
	assert_non_null(strstr(text(&b), "|3|pending|-30|421 "));
	ctlfmt_queue_line(&b, &e, SCHED_OFFLINE, 612);
	assert_non_null(strstr(text(&b),
	    "|3|offline||421 4.7.0 Try again later\n"));
	ctlfmt_queue_line(&b, &e, 99, 612);
	assert_non_null(strstr(text(&b), "|3|invalid||421 "));

	/* the null sender, every flag in ctl.md's order, inet6, bounce */
	e.sender[0] = '\0';
	e.family = ENVELOPE_INET6;
	e.type = ENVELOPE_BOUNCE;
	e.flags = ENVELOPE_F_INTERNAL | ENVELOPE_F_BOUNCE | ENVELOPE_F_AUTH |
	    ENVELOPE_F_TLS;
	e.runflags = ENVELOPE_R_HOLD | ENVELOPE_R_SUSPEND;
	e.errorline[0] = '\0';
	ctlfmt_queue_line(&b, &e, SCHED_PENDING, 0);
	assert_string_equal(text(&b), "1a2b3c4d9e8f7a6b|inet6|bounce|"
	    "bounce,auth,internal,suspend,hold|@|bob@example.net|"
	    "bob@example.net|1732180200|1732525800|1732181100|3|pending|0|\n");
	e.runflags = ENVELOPE_R_SUSPEND | ENVELOPE_R_INFLIGHT;
	e.flags = 0;
	ctlfmt_queue_line(&b, &e, SCHED_INFLIGHT, 1);
	assert_non_null(strstr(text(&b), "|bounce|suspend|@|"));
	buf_free(&b);
}

/*
 * vis(3) (libbsd's, NetBSD's code): control and non-ASCII bytes escaped,
 * tab and backslash in octal, '|' and spaces kept.
 */
static void
test_queue_vis(void **state)
{
	struct envelope e;
	struct buf b;
	const char *line, *err;

	(void)state;
	buf_init(&b);
	env_mta(&e);
	strcpy(e.errorline, "450 a|b\tc\x01 d\\e caf\xc3\xa9");
	ctlfmt_queue_line(&b, &e, SCHED_PENDING, 5);
	line = text(&b);
	err = strstr(line, "|pending|5|");
	assert_non_null(err);
	assert_string_equal(err + strlen("|pending|5|"),
	    "450 a|b\\011c\\^A d\\134e caf\\M-C\\M-)\n");
	ctlfmt_vis(&b, "plain text, spaces kept");
	assert_string_equal(text(&b), "plain text, spaces kept");
	buf_free(&b);
}

static void
test_queue_json(void **state)
{
	struct envelope e;
	struct buf b;

	(void)state;
	buf_init(&b);
	env_mta(&e);
	strcpy(e.errorline, "421 \"busy\" \\ \x01 caf\xc3\xa9 \xff");
	ctlfmt_queue_json(&b, &e, SCHED_PENDING, 612);
	assert_string_equal(text(&b), "{\"evpid\":\"1a2b3c4d9e8f7a6b\","
	    "\"family\":\"inet4\",\"type\":\"mta\",\"flags\":[],"
	    "\"sender\":\"alice@example.org\",\"rcpt\":\"bob@example.net\","
	    "\"dest\":\"bob@example.net\",\"ctime\":1732180200,"
	    "\"expire\":1732525800,\"last-try\":1732181100,\"retry\":3,"
	    "\"runstate\":\"pending\",\"delay\":612,"
	    "\"errorline\":\"421 \\\"busy\\\" \\\\ \\u0001 caf\xc3\xa9 "
	    "\\ufffd\"}");
	e.sender[0] = '\0';
	e.flags = ENVELOPE_F_AUTH | ENVELOPE_F_BOUNCE;
	e.runflags = ENVELOPE_R_SUSPEND;
	ctlfmt_queue_json(&b, &e, SCHED_OFFLINE, 612);
	assert_non_null(strstr(text(&b), "\"flags\":[\"bounce\",\"auth\","
	    "\"suspend\"],\"sender\":\"\","));
	ctlfmt_queue_json(&b, &e, SCHED_OFFLINE, 612);
	assert_non_null(strstr(text(&b), "\"runstate\":\"offline\","
	    "\"delay\":null,"));
	buf_free(&b);
}

static void
test_envelope(void **state)
{
	struct envelope e;
	struct buf b;

	(void)state;
	buf_init(&b);
	env_mda(&e);
	strcpy(e.dispatcher, "local");
	strcpy(e.tag, "MSA");
	strcpy(e.smtpname, "mx.example.org");
	strcpy(e.helo, "client.example.org");
	strcpy(e.hostname, "client.example.org");
	strcpy(e.mda_user, "alice");
	strcpy(e.mda_subaddress, "lists");
	e.flags |= ENVELOPE_F_INTERNAL;
	e.dsn_notify = ENVELOPE_DSN_FAILURE | ENVELOPE_DSN_DELAY;
	e.dsn_ret = ENVELOPE_RET_HDRS;
	strcpy(e.dsn_envid, "QQ314159");
	e.dsn_orcpt_type = ENVELOPE_ORCPT_RFC822;
	strcpy(e.dsn_orcpt, "root@mx.example.org");
	e.lasttry = 1732181100;
	e.retry = 1;
	strcpy(e.errorline, "mailbox busy");
	e.esc_class = 4;
	e.esc_subject = 2;
	e.esc_detail = 1;
	ctlfmt_envelope(&b, &e);
	assert_string_equal(text(&b),
	    "version: 3\n"
	    "dispatcher: local\n"
	    "tag: MSA\n"
	    "type: mda\n"
	    "smtpname: mx.example.org\n"
	    "helo: client.example.org\n"
	    "hostname: client.example.org\n"
	    "username: alice\n"
	    "errorline: mailbox busy\n"
	    "sockaddr: local\n"
	    "sender: alice@example.org\n"
	    "rcpt: root@mx.example.org\n"
	    "dest: alice@mx.example.org\n"
	    "ctime: 1732180200\n"
	    "last-try: 1732181100\n"
	    "last-bounce: 0\n"
	    "ttl: 345600\n"
	    "retry: 1\n"
	    "flags: authenticated internal\n"
	    "dsn-notify: 6\n"
	    "dsn-ret: HDRS\n"
	    "dsn-envid: QQ314159\n"
	    "dsn-orcpt: rfc822;root@mx.example.org\n"
	    "esc-class: 4\n"
	    "esc-code: 21\n"
	    "mda-subaddress: lists\n"
	    "mda-user: alice\n");

	/* a delay report: empty keys omitted, the bounce keys */
	memset(&e, 0, sizeof(e));
	e.evpid = 0x1a2b3c4d00000001ULL;
	e.type = ENVELOPE_BOUNCE;
	e.family = ENVELOPE_INET6;
	strcpy(e.sockaddr, "::1");
	e.flags = ENVELOPE_F_BOUNCE;
	strcpy(e.rcpt, "bob@example.net");
	strcpy(e.dest, "bob@example.net");
	e.ctime = 100;
	e.ttl = 200;
	e.bounce_type = ENVELOPE_BOUNCE_DELAYED;
	e.bounce_ttl = 300;
	e.bounce_delay = 14400;
	ctlfmt_envelope(&b, &e);
	assert_string_equal(text(&b),
	    "version: 3\n"
	    "type: bounce\n"
	    "sockaddr: ::1\n"
	    "rcpt: bob@example.net\n"
	    "dest: bob@example.net\n"
	    "ctime: 100\n"
	    "last-try: 0\n"
	    "last-bounce: 0\n"
	    "ttl: 200\n"
	    "retry: 0\n"
	    "flags: bounce\n"
	    "dsn-notify: 0\n"
	    "bounce-ttl: 300\n"
	    "bounce-delay: 14400\n"
	    "bounce-type: delayed\n");
	e.bounce_type = ENVELOPE_BOUNCE_FAILED;
	ctlfmt_envelope(&b, &e);
	assert_non_null(strstr(text(&b), "bounce-ttl: 300\n"
	    "bounce-type: failed\n"));

	ctlfmt_envelope_json(&b, &e);
	assert_string_equal(text(&b), "{\"version\":3,\"type\":\"bounce\","
	    "\"sockaddr\":\"::1\",\"rcpt\":\"bob@example.net\","
	    "\"dest\":\"bob@example.net\",\"ctime\":100,\"last-try\":0,"
	    "\"last-bounce\":0,\"ttl\":200,\"retry\":0,\"flags\":[\"bounce\"],"
	    "\"dsn-notify\":0,\"bounce-ttl\":300,"
	    "\"bounce-type\":\"failed\"}");
	buf_free(&b);
}

static void
test_stats(void **state)
{
	static const char daemon[] = "smtp.session=2\nmta.host=0\n"
	    "uptime=183845\nbounce.envelope=-1\nqueue.bounce=7";
	char human[CTLFMT_HUMAN_MAX];
	struct buf b;

	(void)state;
	buf_init(&b);
	ctlfmt_uptime_human(human, sizeof(human), 0);
	assert_string_equal(human, "0s");
	ctlfmt_uptime_human(human, sizeof(human), 183845);
	assert_string_equal(human, "2d3h4m5s");
	ctlfmt_uptime_human(human, sizeof(human), 3600);
	assert_string_equal(human, "1h");
	ctlfmt_uptime_human(human, sizeof(human), 86461);
	assert_string_equal(human, "1d1m1s");

	ctlfmt_stats(&b, daemon, strlen(daemon));
	assert_string_equal(text(&b), "bounce.envelope=-1\nmta.host=0\n"
	    "queue.bounce=7\nsmtp.session=2\nuptime=183845\n"
	    "uptime.human=2d3h4m5s\n");
	/* the daemon's own uptime.human is kept, not doubled */
	ctlfmt_stats(&b, "uptime.human=1s\nuptime=1\n", 25);
	assert_string_equal(text(&b), "uptime=1\nuptime.human=1s\n");
	ctlfmt_stats(&b, "", 0);
	assert_string_equal(text(&b), "");

	ctlfmt_stats_json(&b, daemon, strlen(daemon));
	assert_string_equal(text(&b), "{\"bounce.envelope\":-1,"
	    "\"mta.host\":0,\"queue.bounce\":7,\"smtp.session\":2,"
	    "\"uptime\":183845,\"uptime.human\":\"2d3h4m5s\"}\n");
	buf_free(&b);
}

static void
test_status(void **state)
{
	static const char daemon[] = "MDA running\nMTA paused\nSMTP running\n";
	struct buf b;

	(void)state;
	buf_init(&b);
	ctlfmt_status(&b, daemon, strlen(daemon));
	assert_string_equal(text(&b), daemon);
	ctlfmt_status(&b, "MDA running\n\nMTA running\nSMTP paused", 36);
	assert_string_equal(text(&b),
	    "MDA running\nMTA running\nSMTP paused\n");
	ctlfmt_status_json(&b, daemon, strlen(daemon));
	assert_string_equal(text(&b), "{\"mda\":\"running\","
	    "\"mta\":\"paused\",\"smtp\":\"running\"}\n");
	buf_free(&b);
}

static void
test_commands(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	ctlfmt_simple(&b, 1, "ignored");
	assert_string_equal(text(&b), "command succeeded\n");
	ctlfmt_simple(&b, 0, NULL);
	assert_string_equal(text(&b), "command failed\n");
	ctlfmt_simple(&b, 0, "");
	assert_string_equal(text(&b), "command failed\n");
	ctlfmt_simple(&b, 0, "no such table: nope");
	assert_string_equal(text(&b), "command failed: no such table: nope\n");
	ctlfmt_count(&b, 0, "removed");
	assert_string_equal(text(&b), "0 envelope removed\n");
	ctlfmt_count(&b, 1, "removed");
	assert_string_equal(text(&b), "1 envelope removed\n");
	ctlfmt_count(&b, 2, "removed");
	assert_string_equal(text(&b), "2 envelopes removed\n");
	ctlfmt_count(&b, 1, "paused");
	assert_string_equal(text(&b), "1 envelope paused\n");
	ctlfmt_count(&b, 12, "resumed");
	assert_string_equal(text(&b), "12 envelopes resumed\n");
	ctlfmt_count(&b, 3, "scheduled");
	assert_string_equal(text(&b), "3 envelopes scheduled\n");
	assert_string_equal(ctlfmt_error(CTL_DENIED), "permission denied");
	assert_string_equal(ctlfmt_error(CTL_UNAVAILABLE),
	    "command not available");
	buf_free(&b);
}

static void
test_monitor(void **state)
{
	static const char first[] = "clients=2\nconnected=10\n"
	    "disconnected=8\nenvelopes=5\nenqueued=20\ndequeued=15\nok=12\n"
	    "tempfail=4\npermfail=1\nloop=0\nexpired=1\nremoved=1\n"
	    "bounced=2\n";
	static const char second[] = "clients=1\nconnected=11\n"
	    "disconnected=10\nenvelopes=3\nenqueued=20\ndequeued=17\nok=14\n"
	    "tempfail=4\npermfail=1\nloop=0\nexpired=1\nremoved=1\n"
	    "bounced=2\nunknown=99\n";
	struct monitor_sample zero, a, c;
	size_t cols[CTLFMT_MONITOR_COLS];
	struct buf b;

	(void)state;
	buf_init(&b);
	ctlfmt_monitor_header(&b, 1);
	assert_string_equal(text(&b),
	    "--- client ---  -- envelope --   ---- relay/delivery --- "
	    "------- misc -------\n"
	    "curr conn disc  curr  enq  deq   ok tmpfail prmfail loop "
	    "expire remove bounce\n");
	ctlfmt_monitor_header(&b, 0);
	assert_true(strncmp(text(&b), "\n--- client ---", 15) == 0);

	memset(&zero, 0, sizeof(zero));
	monitor_parse(first, strlen(first), &a);
	monitor_columns(&zero, &a, cols);
	ctlfmt_monitor_row(&b, cols);
	assert_string_equal(text(&b),
	    "   2   10    8     5   20   15   12       4       1    0      1"
	    "      1      2\n");
	monitor_parse(second, strlen(second), &c);
	monitor_columns(&a, &c, cols);
	ctlfmt_monitor_row(&b, cols);
	assert_string_equal(text(&b),
	    "   1    1    2     3    0    2    2       0       0    0      0"
	    "      0      0\n");
	/* a total that went down (a restart) counts 0 */
	monitor_columns(&c, &a, cols);
	assert_int_equal(cols[1], 0);
	assert_int_equal(cols[0], 2);
	/* every column as wide as its label */
	cols[0] = 12345;
	ctlfmt_monitor_row(&b, cols);
	assert_true(strncmp(text(&b), "12345 ", 6) == 0);
	buf_free(&b);
}

static void
test_json_str(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	ctlfmt_json_str(&b, "a\"b\\c\nd\re\tf\x1f\x7f" "g", 14);
	assert_string_equal(text(&b),
	    "\"a\\\"b\\\\c\\nd\\re\\tf\\u001f\\u007fg\"");
	/* overlong, surrogate, truncated: each bad byte one U+FFFD */
	ctlfmt_json_str(&b, "\xc0\xaf|\xed\xa0\x80|\xe2\x82", 9);
	assert_string_equal(text(&b), "\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
	    "\\ufffd\\ufffd\"");
	ctlfmt_json_str(&b, "\xf0\x9f\x93\xa7", 4);
	assert_string_equal(text(&b), "\"\xf0\x9f\x93\xa7\"");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_line),
		cmocka_unit_test(test_queue_vis),
		cmocka_unit_test(test_queue_json),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_json_str),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

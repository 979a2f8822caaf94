/*
 * lmtp_policy_test.c: unit tests for lmtpd/lmtp_policy.c, the LMTP
 * front's per-recipient reply policy: which envelopes are delivered
 * before the reply (mailbox deliveries only), the verdict for each mix of
 * outcomes (all delivered, mixed, all failed; which failure wins and its
 * reply code), the deliver text made safe for a reply line, and the reply
 * lines themselves, including verdicts that arrive corrupted over IPC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lmtpd/lmtp_policy.h"
#include "queue/envelope.h"
#include "smtpd/config.h"
#include "t/unit/config_util.h"

static const char conf_text[] =
    "listen on 127.0.0.1 port 2424 lmtp\n"
    "action \"md\" maildir \"/var/mail/%{user.username}/Maildir\"\n"
    "action \"mb\" mbox\n"
    "action \"pipe\" mda \"/usr/bin/procmail -f -\"\n"
    "action \"lm\" lmtp \"/var/run/dovecot/lmtp\"\n"
    "action \"out\" relay\n"
    "match from any for domain \"md.example\" action \"md\"\n"
    "match from any for domain \"mb.example\" action \"mb\"\n"
    "match from any for domain \"pipe.example\" action \"pipe\"\n"
    "match from any for domain \"lm.example\" action \"lm\"\n"
    "match from any for any action \"out\"\n";

static void
mkenv(struct envelope *e, enum envelope_type type, const char *action,
    enum envelope_mda_method method)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	strlcpy(e->dispatcher, action, sizeof(e->dispatcher));
	e->mda_method = method;
}

static void
test_sync(void **state)
{
	struct config *conf;
	struct envelope e;

	(void)state;
	conf = cfg_ok(conf_text);
	mkenv(&e, ENVELOPE_MDA, "md", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(conf, &e), 1);
	mkenv(&e, ENVELOPE_MDA, "mb", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(conf, &e), 1);
	mkenv(&e, ENVELOPE_MDA, "pipe", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(conf, &e), 0);
	mkenv(&e, ENVELOPE_MDA, "lm", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(conf, &e), 0);
	/* a /file destination writes a mailbox; a |command does not */
	mkenv(&e, ENVELOPE_MDA, "md", ENVELOPE_MDA_FILE);
	assert_int_equal(lmtp_policy_sync(conf, &e), 1);
	mkenv(&e, ENVELOPE_MDA, "md", ENVELOPE_MDA_PIPE);
	assert_int_equal(lmtp_policy_sync(conf, &e), 0);
	mkenv(&e, ENVELOPE_MTA, "out", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(conf, &e), 0);
	mkenv(&e, ENVELOPE_BOUNCE, "md", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(conf, &e), 0);
	/* an action the configuration no longer has: only queued */
	mkenv(&e, ENVELOPE_MDA, "gone", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(conf, &e), 0);
	mkenv(&e, ENVELOPE_MDA, "md", ENVELOPE_MDA_ACTION);
	assert_int_equal(lmtp_policy_sync(NULL, &e), 0);
	config_free(conf);
}

#define OUT(o, c, s, d, t)	{ (o), (c), (s), (d), (t) }

static const struct lmtp_env_outcome delivered =
    OUT(LMTP_DELIVERED, 2, 0, 0, "2.0.0 delivered");
static const struct lmtp_env_outcome queued =
    OUT(LMTP_QUEUED, 0, 0, 0, NULL);
static const struct lmtp_env_outcome full_temp =
    OUT(LMTP_TEMPFAIL, 4, 2, 2, "4.2.2 mailbox full");
static const struct lmtp_env_outcome full_perm =
    OUT(LMTP_PERMFAIL, 5, 2, 2, "5.2.2 mailbox full: Disk quota exceeded");
static const struct lmtp_env_outcome denied =
    OUT(LMTP_TEMPFAIL, 4, 2, 0, "4.2.0 create /m/tmp/x: Permission denied");
static const struct lmtp_env_outcome nouser =
    OUT(LMTP_PERMFAIL, 5, 1, 1, "5.1.1 no such user");

static void
verdict(const struct lmtp_env_outcome *o, size_t n, struct lmtp_verdict *v)
{
	lmtp_policy_verdict(o, n, v);
	assert_true(lmtp_policy_valid(v));
}

static void
test_verdict_success(void **state)
{
	struct lmtp_env_outcome o[3];
	struct lmtp_verdict v;

	(void)state;
	o[0] = delivered;
	verdict(o, 1, &v);
	assert_int_equal(v.kind, LMTP_V_DELIVERED);
	assert_int_equal(v.code, 250);
	o[1] = delivered;
	verdict(o, 2, &v);
	assert_int_equal(v.kind, LMTP_V_DELIVERED);
	/* anything still queued: accepted, not delivered */
	o[2] = queued;
	verdict(o, 3, &v);
	assert_int_equal(v.kind, LMTP_V_ACCEPTED);
	assert_int_equal(v.code, 250);
	verdict(&queued, 1, &v);
	assert_int_equal(v.kind, LMTP_V_ACCEPTED);
	verdict(NULL, 0, &v);
	assert_int_equal(v.kind, LMTP_V_ACCEPTED);
}

static void
test_verdict_mixed(void **state)
{
	struct lmtp_env_outcome o[2];
	struct lmtp_verdict v;

	(void)state;
	/* some delivered or queued, some failed: we keep the failed ones */
	o[0] = delivered;
	o[1] = nouser;
	verdict(o, 2, &v);
	assert_int_equal(v.kind, LMTP_V_ACCEPTED);
	o[0] = denied;
	o[1] = queued;
	verdict(o, 2, &v);
	assert_int_equal(v.kind, LMTP_V_ACCEPTED);
	assert_int_equal(v.code, 250);
}

static void
test_verdict_failed(void **state)
{
	struct lmtp_env_outcome o[3];
	struct lmtp_verdict v;

	(void)state;
	verdict(&full_temp, 1, &v);
	assert_int_equal(v.kind, LMTP_V_FAILED);
	assert_int_equal(v.code, 452);
	assert_int_equal(v.esc_class, 4);
	assert_int_equal(v.esc_subject, 2);
	assert_int_equal(v.esc_detail, 2);
	assert_string_equal(v.text, "mailbox full");
	verdict(&full_perm, 1, &v);
	assert_int_equal(v.code, 552);
	assert_string_equal(v.text, "mailbox full: Disk quota exceeded");
	verdict(&denied, 1, &v);
	assert_int_equal(v.code, 451);
	assert_int_equal(v.esc_subject, 2);
	assert_int_equal(v.esc_detail, 0);
	assert_string_equal(v.text, "create /m/tmp/x: Permission denied");
	verdict(&nouser, 1, &v);
	assert_int_equal(v.code, 550);
	assert_int_equal(v.esc_class, 5);
	assert_int_equal(v.esc_subject, 1);
	assert_int_equal(v.esc_detail, 1);
	/* several failures: a temporary one wins, else the first */
	o[0] = nouser;
	o[1] = denied;
	o[2] = full_perm;
	verdict(o, 3, &v);
	assert_int_equal(v.code, 451);
	assert_int_equal(v.esc_class, 4);
	o[1] = full_perm;
	verdict(o, 3, &v);
	assert_int_equal(v.code, 550);
	assert_int_equal(v.esc_subject, 1);
}

static void
test_failure_codes(void **state)
{
	struct lmtp_verdict v;

	(void)state;
	/* insufficient storage is 452 too */
	lmtp_policy_failure(LMTP_TEMPFAIL, 4, 3, 1, "4.3.1 no space", &v);
	assert_int_equal(v.code, 452);
	assert_true(lmtp_policy_valid(&v));
	/* an enhanced code of the wrong class, or out of range: x.3.0 */
	lmtp_policy_failure(LMTP_TEMPFAIL, 5, 1, 1, "5.1.1 odd", &v);
	assert_int_equal(v.code, 451);
	assert_int_equal(v.esc_class, 4);
	assert_int_equal(v.esc_subject, 3);
	assert_int_equal(v.esc_detail, 0);
	lmtp_policy_failure(LMTP_PERMFAIL, 0, 0, 0, NULL, &v);
	assert_int_equal(v.code, 550);
	assert_int_equal(v.esc_class, 5);
	assert_int_equal(v.esc_subject, 3);
	assert_string_equal(v.text, "Delivery failed");
	lmtp_policy_failure(LMTP_TEMPFAIL, 4, 1000, 0, "", &v);
	assert_int_equal(v.esc_subject, 3);
	assert_string_equal(v.text, "Temporary failure");
	assert_true(lmtp_policy_valid(&v));
}

static void
test_text(void **state)
{
	char long_text[1000], out[16];
	struct lmtp_verdict v;

	(void)state;
	/* only a well-formed leading code is taken off */
	lmtp_policy_failure(LMTP_TEMPFAIL, 4, 2, 0, "4.2.0", &v);
	assert_string_equal(v.text, "Temporary failure");
	lmtp_policy_failure(LMTP_TEMPFAIL, 4, 2, 0, "4.2.0x bad", &v);
	assert_string_equal(v.text, "4.2.0x bad");
	lmtp_policy_failure(LMTP_TEMPFAIL, 4, 2, 0, "4.2222.0 bad", &v);
	assert_string_equal(v.text, "4.2222.0 bad");
	lmtp_policy_failure(LMTP_TEMPFAIL, 4, 2, 0, "deliver: no \"x\"", &v);
	assert_string_equal(v.text, "deliver: no \"x\"");
	/* no line breaks, controls or 8-bit bytes reach the reply line */
	lmtp_policy_failure(LMTP_TEMPFAIL, 4, 2, 0,
	    "4.2.0 a\r\n250 2.0.0 forged\x01\x7f\xc3\xa9  ", &v);
	assert_string_equal(v.text, "a??250 2.0.0 forged????");
	assert_true(lmtp_policy_valid(&v));
	/* bounded */
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	lmtp_policy_failure(LMTP_PERMFAIL, 5, 2, 2, long_text, &v);
	assert_int_equal(strlen(v.text), LMTP_TEXT_MAX);
	lmtp_policy_sanitize("abc\tdef ghi", out, sizeof(out));
	assert_string_equal(out, "abc?def ghi");
	lmtp_policy_sanitize("0123456789abcdefghij", out, sizeof(out));
	assert_string_equal(out, "0123456789abcde");
	lmtp_policy_sanitize(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

static void
test_reply(void **state)
{
	struct lmtp_env_outcome o[2];
	struct lmtp_verdict v;
	char line[LMTP_REPLY_MAX], small[20];

	(void)state;
	o[0] = delivered;
	verdict(o, 1, &v);
	assert_int_equal(lmtp_policy_reply(&v, "a@example.org", 0x1a2b3c4d,
	    line, sizeof(line)), 0);
	assert_string_equal(line,
	    "250 2.0.0 <a@example.org> 1a2b3c4d Delivered");
	o[1] = queued;
	verdict(o, 2, &v);
	assert_int_equal(lmtp_policy_reply(&v, "a@example.org", 0x1a2b3c4d,
	    line, sizeof(line)), 0);
	assert_string_equal(line, "250 2.0.0 <a@example.org> 1a2b3c4d "
	    "Message accepted for delivery");
	verdict(&full_temp, 1, &v);
	assert_int_equal(lmtp_policy_reply(&v, "b@example.org", 1, line,
	    sizeof(line)), 0);
	assert_string_equal(line, "452 4.2.2 <b@example.org> mailbox full");
	verdict(&nouser, 1, &v);
	assert_int_equal(lmtp_policy_reply(&v, "c@example.org", 1, line,
	    sizeof(line)), 0);
	assert_string_equal(line, "550 5.1.1 <c@example.org> no such user");
	/* too small a buffer: an error, never a cut line */
	assert_int_equal(lmtp_policy_reply(&v, "c@example.org", 1, small,
	    sizeof(small)), -1);
}

/* A verdict as it may arrive over IPC: every field checked. */
static void
test_invalid(void **state)
{
	struct lmtp_verdict v, good;
	char line[LMTP_REPLY_MAX];

	(void)state;
	verdict(&denied, 1, &good);
	v = good;
	v.kind = (enum lmtp_verdict_kind)7;
	assert_false(lmtp_policy_valid(&v));
	assert_int_equal(lmtp_policy_reply(&v, "a@b", 1, line,
	    sizeof(line)), -1);
	v = good;
	v.code = 250;
	assert_false(lmtp_policy_valid(&v));
	v = good;
	v.code = 550;		/* 5xx with a 4.x.x code */
	assert_false(lmtp_policy_valid(&v));
	v = good;
	v.esc_class = 2;
	assert_false(lmtp_policy_valid(&v));
	v = good;
	v.esc_detail = 1000;
	assert_false(lmtp_policy_valid(&v));
	v = good;
	memset(v.text, 'a', sizeof(v.text));	/* no NUL */
	assert_false(lmtp_policy_valid(&v));
	v = good;
	v.text[3] = '\n';
	assert_false(lmtp_policy_valid(&v));
	v = good;
	v.kind = LMTP_V_DELIVERED;
	assert_false(lmtp_policy_valid(&v));	/* code 451 */
	v.code = 250;
	assert_true(lmtp_policy_valid(&v));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync),
		cmocka_unit_test(test_verdict_success),
		cmocka_unit_test(test_verdict_mixed),
		cmocka_unit_test(test_verdict_failed),
		cmocka_unit_test(test_failure_codes),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_invalid),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * bounce_test.c: unit tests for queue/bounce_convert.c: a failed, a
 * delivered (NOTIFY=SUCCESS) and a deferred envelope turned into the
 * BOUNCE envelopes of their reports, every result valid for the codec; a
 * failed report addressed to the postmaster once; nobody to tell for the
 * null sender and a report about a report about a report; a report's
 * lifetime that outlives an expired original.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "queue/bounce.h"
#include "queue/envelope.h"

#define T0	((time_t)1732180200)
#define DAY	((time_t)86400)
#define EVP(m, l)	(((uint64_t)(m) << 32) | (uint32_t)(l))
#define PM	"postmaster@mx.example.org"

static void
mkenv(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->evpid = EVP(0x1234, 7);
	e->type = ENVELOPE_MDA;
	strlcpy(e->dispatcher, "local", sizeof(e->dispatcher));
	e->family = ENVELOPE_LOCAL;
	strlcpy(e->sockaddr, "local", sizeof(e->sockaddr));
	strlcpy(e->sender, "alice@example.org", sizeof(e->sender));
	strlcpy(e->rcpt, "bob@example.net", sizeof(e->rcpt));
	strlcpy(e->dest, "bob@example.net", sizeof(e->dest));
	strlcpy(e->mda_user, "bob", sizeof(e->mda_user));
	strlcpy(e->mda_subaddress, "tag", sizeof(e->mda_subaddress));
	e->ctime = T0;
	e->ttl = 4 * DAY;
	e->retry = 3;
	e->lasttry = T0 + 100;
	e->runflags = ENVELOPE_R_INFLIGHT;
	strlcpy(e->errorline, "mailbox unavailable", sizeof(e->errorline));
	e->esc_class = 5;
	e->esc_subject = 2;
	e->esc_detail = 1;
}

static void
assert_valid(const struct envelope *e)
{
	char err[ENVELOPE_ERR_MAX];
	struct envelope back;
	uint8_t *buf;
	size_t len;

	assert_int_equal(envelope_validate(e, err, sizeof(err)), 0);
	assert_int_equal(envelope_encode(e, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(envelope_decode(buf, len, &back, err, sizeof(err)),
	    0);
	assert_true(envelope_equal(e, &back));
	free(buf);
}

static void
test_failed(void **state)
{
	struct envelope e;

	(void)state;
	mkenv(&e);
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_FAILED, PM,
	    T0 + 200), 0);
	assert_int_equal(e.type, ENVELOPE_BOUNCE);
	assert_int_equal(e.bounce_type, ENVELOPE_BOUNCE_FAILED);
	assert_string_equal(e.sender, "alice@example.org");
	assert_string_equal(e.rcpt, "bob@example.net");
	assert_string_equal(e.errorline, "mailbox unavailable");
	assert_int_equal(e.esc_class, 5);
	assert_string_equal(e.mda_user, "");
	assert_string_equal(e.mda_subaddress, "");
	assert_string_equal(e.dispatcher, "local");
	assert_int_equal(e.runflags, 0);
	assert_int_equal(e.retry, 0);
	assert_int_equal(e.nexttry, T0 + 200);
	assert_int_equal(e.lasttry, T0 + 100);
	assert_int_equal(e.ctime, T0);		/* Arrival-Date */
	assert_int_equal(e.bounce_ttl, 4 * DAY);
	/* a whole ttl from now, the report's own lifetime */
	assert_int_equal(envelope_expire(&e), T0 + 200 + 4 * DAY);
	assert_valid(&e);
	/* a BOUNCE envelope is never converted again */
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_FAILED, PM,
	    T0 + 300), -1);
}

static void
test_expired_lifetime(void **state)
{
	struct envelope e;
	time_t now = T0 + 4 * DAY + 10;

	(void)state;
	mkenv(&e);
	e.esc_class = 4;
	e.esc_detail = 7;
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_FAILED, PM, now),
	    0);
	/* the report may live a whole ttl from now */
	assert_int_equal(envelope_expire(&e), now + 4 * DAY);
	assert_int_equal(e.esc_class, 4);
	assert_valid(&e);
}

static void
test_delivered(void **state)
{
	struct envelope e;

	(void)state;
	mkenv(&e);
	e.dsn_notify = ENVELOPE_DSN_SUCCESS;
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_DELIVERED, PM,
	    T0 + 5), 0);
	assert_int_equal(e.bounce_type, ENVELOPE_BOUNCE_DELIVERED);
	assert_int_equal(e.esc_class, 2);
	assert_int_equal(e.esc_subject, 0);
	assert_int_equal(e.esc_detail, 0);
	assert_valid(&e);
}

static void
test_report_of_report(void **state)
{
	struct envelope e;

	(void)state;
	mkenv(&e);
	e.sender[0] = '\0';
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_FAILED, PM, T0),
	    -1);				/* the null sender: nobody */
	e.flags = ENVELOPE_F_BOUNCE | ENVELOPE_F_INTERNAL;
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_DELIVERED, PM,
	    T0), -1);			/* success reports about reports: no */
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_FAILED, "", T0),
	    -1);				/* no postmaster address */
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_FAILED, PM, T0),
	    0);
	assert_string_equal(e.sender, PM);
	assert_true(e.flags & ENVELOPE_F_DOUBLE);
	assert_false(e.flags & ENVELOPE_F_BOUNCE);
	assert_valid(&e);

	/* the postmaster's report failed too: only logged */
	mkenv(&e);
	e.sender[0] = '\0';
	e.flags = ENVELOPE_F_BOUNCE | ENVELOPE_F_INTERNAL | ENVELOPE_F_DOUBLE;
	assert_int_equal(bounce_convert(&e, ENVELOPE_BOUNCE_FAILED, PM, T0),
	    -1);
}

static void
test_delayed_copy(void **state)
{
	struct envelope e, w;

	(void)state;
	mkenv(&e);
	e.runflags = 0;
	assert_int_equal(bounce_delayed_copy(&e, EVP(0x1234, 8), 4 * 3600,
	    T0 + 4 * 3600, &w), 0);
	assert_int_equal(w.evpid, EVP(0x1234, 8));
	assert_int_equal(w.type, ENVELOPE_BOUNCE);
	assert_int_equal(w.bounce_type, ENVELOPE_BOUNCE_DELAYED);
	assert_int_equal(w.bounce_delay, 4 * 3600);
	assert_int_equal(w.ctime + w.bounce_ttl, T0 + 4 * DAY);
	assert_string_equal(w.sender, "alice@example.org");
	assert_valid(&w);
	/* the original is untouched */
	assert_int_equal(e.type, ENVELOPE_MDA);
	assert_string_equal(e.mda_user, "bob");

	/* another message's id, the same id, a report, the null sender */
	assert_int_equal(bounce_delayed_copy(&e, EVP(0x9999, 8), 1, T0, &w),
	    -1);
	assert_int_equal(bounce_delayed_copy(&e, e.evpid, 1, T0, &w), -1);
	e.sender[0] = '\0';
	assert_int_equal(bounce_delayed_copy(&e, EVP(0x1234, 9), 1, T0, &w),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed),
		cmocka_unit_test(test_expired_lifetime),
		cmocka_unit_test(test_delivered),
		cmocka_unit_test(test_report_of_report),
		cmocka_unit_test(test_delayed_copy),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

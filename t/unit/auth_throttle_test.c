/*
 * auth_throttle_test.c: unit tests for auth/throttle.c with a fake clock:
 * the delay per failure (1, 2, 4, 8 s, capped), the 421 and close at the
 * third failure of a session (protocol.md A.7), the per-address memory
 * across sessions (growing delay, refusal at the limit, forgetting after
 * the window, a clock going back), and the bounded address table under
 * a flood of addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/throttle.h"

#define S	1000ULL		/* one second in ms */

static void
fail_once(struct auth_throttle *t, struct auth_throttle_sess *s,
    const char *addr, uint64_t now, uint64_t delay, int close)
{
	struct auth_throttle_verdict v;

	auth_throttle_failure(t, s, addr, now, &v);
	if (v.delay_ms != delay || v.close != close)
		fail_msg("%s at %llu: delay %llu close %d, expected %llu %d",
		    addr, (unsigned long long)now,
		    (unsigned long long)v.delay_ms, v.close,
		    (unsigned long long)delay, close);
}

static void
test_session(void **state)
{
	struct auth_throttle_conf c = { 1 * S, 8 * S, 3, 0, 0 };
	struct auth_throttle *t;
	struct auth_throttle_sess s = { 0 };

	(void)state;
	/* no per-address memory: sessions alone */
	t = auth_throttle_new(&c);
	fail_once(t, &s, "192.0.2.1", 0, 1 * S, 0);
	fail_once(t, &s, "192.0.2.1", 1 * S, 2 * S, 0);
	fail_once(t, &s, "192.0.2.1", 3 * S, 4 * S, 1);	/* 421 */
	assert_int_equal(s.failures, 3);
	assert_int_equal(auth_throttle_refused(t, "192.0.2.1", 3 * S), 0);
	/* a new session of the same client starts again */
	memset(&s, 0, sizeof(s));
	fail_once(t, &s, "192.0.2.1", 10 * S, 1 * S, 0);
	auth_throttle_free(t);

	/* the cap */
	c.session_max = 10;
	t = auth_throttle_new(&c);
	memset(&s, 0, sizeof(s));
	fail_once(t, &s, NULL, 0, 1 * S, 0);
	fail_once(t, &s, NULL, 0, 2 * S, 0);
	fail_once(t, &s, NULL, 0, 4 * S, 0);
	fail_once(t, &s, NULL, 0, 8 * S, 0);
	fail_once(t, &s, NULL, 0, 8 * S, 0);
	s.failures = UINT32_MAX - 1;	/* no overflow, ever */
	fail_once(t, &s, NULL, 0, 8 * S, 1);
	fail_once(t, &s, NULL, 0, 8 * S, 1);
	assert_int_equal(s.failures, UINT32_MAX);
	auth_throttle_free(t);
}

static void
test_defaults(void **state)
{
	struct auth_throttle *t;
	struct auth_throttle_sess s = { 0 };

	(void)state;
	/* A.7: 535 after a 1 s delay; the third failure ends the session */
	t = auth_throttle_new(NULL);
	fail_once(t, &s, "198.51.100.7", 100 * S, AUTH_THROTTLE_DELAY_MS, 0);
	fail_once(t, &s, "198.51.100.7", 102 * S, 2 * AUTH_THROTTLE_DELAY_MS,
	    0);
	fail_once(t, &s, "198.51.100.7", 105 * S, 4 * AUTH_THROTTLE_DELAY_MS,
	    1);
	assert_int_equal(auth_throttle_count(t, "198.51.100.7", 105 * S), 3);
	assert_int_equal(auth_throttle_count(t, "198.51.100.8", 105 * S), 0);
	auth_throttle_free(t);
	assert_int_equal(AUTH_THROTTLE_SESSION_MAX, 3);
	assert_string_equal(AUTH_THROTTLE_REPLY_FMT,
	    "421 4.7.0 %s Error: too many authentication failures");
}

static void
test_client(void **state)
{
	struct auth_throttle_conf c = { 1 * S, 8 * S, 3, 5, 60 * S };
	struct auth_throttle *t;
	struct auth_throttle_sess s1 = { 0 }, s2 = { 0 }, s3 = { 0 };

	(void)state;
	t = auth_throttle_new(&c);
	/* session 1: two failures */
	fail_once(t, &s1, "2001:db8::1", 0, 1 * S, 0);
	fail_once(t, &s1, "2001:db8::1", 2 * S, 2 * S, 0);
	/* session 2 from the same address: the address's count sets it */
	fail_once(t, &s2, "2001:db8::1", 5 * S, 4 * S, 0);
	fail_once(t, &s2, "2001:db8::1", 10 * S, 8 * S, 0);
	assert_int_equal(auth_throttle_refused(t, "2001:db8::1", 10 * S), 0);
	/* another address is not concerned */
	fail_once(t, &s3, "2001:db8::2", 10 * S, 1 * S, 0);
	/* the fifth failure of the address: 421 and close */
	fail_once(t, &s2, "2001:db8::1", 20 * S, 8 * S, 1);
	assert_int_equal(auth_throttle_refused(t, "2001:db8::1", 20 * S), 1);
	assert_int_equal(auth_throttle_refused(t, "2001:db8::2", 20 * S), 0);
	/* still refused within the window of the last failure... */
	assert_int_equal(auth_throttle_refused(t, "2001:db8::1", 79 * S), 1);
	/* ...and a clock that goes back does not release it */
	assert_int_equal(auth_throttle_refused(t, "2001:db8::1", 1 * S), 1);
	/* forgotten after it */
	assert_int_equal(auth_throttle_refused(t, "2001:db8::1", 80 * S), 0);
	assert_int_equal(auth_throttle_count(t, "2001:db8::1", 80 * S), 0);
	memset(&s1, 0, sizeof(s1));
	fail_once(t, &s1, "2001:db8::1", 81 * S, 1 * S, 0);
	assert_int_equal(auth_throttle_count(t, "2001:db8::1", 81 * S), 1);
	auth_throttle_free(t);
}

static void
test_flood(void **state)
{
	struct auth_throttle_conf c = { 1 * S, 8 * S, 3, 3, 600 * S };
	struct auth_throttle *t;
	struct auth_throttle_sess s;
	char addr[64], longaddr[200];
	int i, kept = 0;

	(void)state;
	t = auth_throttle_new(&c);
	/* an address at the limit */
	memset(&s, 0, sizeof(s));
	fail_once(t, &s, "203.0.113.9", 0, 1 * S, 0);
	fail_once(t, &s, "203.0.113.9", 0, 2 * S, 0);
	fail_once(t, &s, "203.0.113.9", 0, 4 * S, 1);
	assert_int_equal(auth_throttle_refused(t, "203.0.113.9", 1 * S), 1);
	/* many more addresses than slots: bounded, never a crash */
	for (i = 0; i < 20 * AUTH_THROTTLE_CLIENTS; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		memset(&s, 0, sizeof(s));
		fail_once(t, &s, addr, 2 * S + (uint64_t)i, 1 * S, 0);
	}
	for (i = 20 * AUTH_THROTTLE_CLIENTS - 64;
	    i < 20 * AUTH_THROTTLE_CLIENTS; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		kept += auth_throttle_count(t, addr, 3 * S + (uint64_t)i) == 1;
	}
	assert_true(kept > 32);		/* the newest mostly remembered */
	/* keys longer than the slot are cut, consistently */
	memset(longaddr, 'x', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	memset(&s, 0, sizeof(s));
	fail_once(t, &s, longaddr, 1000 * S, 1 * S, 0);
	assert_int_equal(auth_throttle_count(t, longaddr, 1000 * S), 1);
	/* no address: the session alone counts */
	assert_int_equal(auth_throttle_refused(t, NULL, 0), 0);
	assert_int_equal(auth_throttle_refused(t, "", 0), 0);
	auth_throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_flood),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

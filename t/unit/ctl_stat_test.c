/*
 * ctl_stat_test.c: unit tests for smtpd/ctl_stat.c on a real libev loop.
 * Updates made within CTL_STAT_FLUSH go out as one message per key and
 * operation, and so do the next ones: the flush timer waits its whole
 * delay every time it is armed, not only the first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "smtpd/ctl_stat.h"

#define SENT_MAX	16

static struct ctl_stat	sent[SENT_MAX];
static size_t		nsent;

static int
record(void *arg, const struct ctl_stat *st)
{
	(void)arg;
	assert_true(nsent < SENT_MAX);
	sent[nsent++] = *st;
	return 0;
}

/* Turn the loop until something was sent, at most ~1 s. */
static void
run_until_sent(struct ev_loop *loop)
{
	int i;

	for (i = 0; i < 100 && nsent == 0; i++)
		ev_run(loop, EVRUN_ONCE);
}

static void
test_batched_every_round(void **state)
{
	struct ev_loop *loop;
	ev_tstamp t0;
	int round;

	(void)state;
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	ctl_stat_attach(loop, record, NULL);
	for (round = 0; round < 3; round++) {
		nsent = 0;
		ev_now_update(loop);
		t0 = ev_now(loop);
		ctl_stat_increment("smtp.session", 1);
		ctl_stat_increment("smtp.session", 1);
		ctl_stat_decrement("smtp.session", 1);
		ctl_stat_set("queue.size", 7 + round);
		/* nothing goes out before the delay */
		ev_run(loop, EVRUN_NOWAIT);
		assert_int_equal(nsent, 0);
		run_until_sent(loop);
		ev_now_update(loop);
		assert_true(ev_now(loop) - t0 >= CTL_STAT_FLUSH * 0.9);
		/* one message per key and operation, with the sums */
		assert_int_equal(nsent, 3);
		assert_string_equal(sent[0].key, "smtp.session");
		assert_int_equal(sent[0].op, CTL_STAT_INCREMENT);
		assert_int_equal(sent[0].value, 2);
		assert_string_equal(sent[1].key, "smtp.session");
		assert_int_equal(sent[1].op, CTL_STAT_DECREMENT);
		assert_int_equal(sent[1].value, 1);
		assert_string_equal(sent[2].key, "queue.size");
		assert_int_equal(sent[2].op, CTL_STAT_SET);
		assert_int_equal(sent[2].value, 7 + round);
	}
	/* an unchanged SET sends nothing */
	nsent = 0;
	ctl_stat_set("queue.size", 9);
	ev_run(loop, EVRUN_NOWAIT);
	ctl_stat_flush();
	assert_int_equal(nsent, 0);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batched_every_round),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

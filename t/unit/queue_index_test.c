/*
 * queue_index_test.c: unit tests for queue/index.c: add, find, refuse a
 * duplicate, remove with backward shift (every survivor still found,
 * nothing removed found), growth, and the summary taken from an envelope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/ids.h"
#include "queue/envelope.h"
#include "queue/index.h"

#define N	20000

static int
count_cb(const struct index_entry *ie, void *arg)
{
	(void)ie;
	(*(size_t *)arg)++;
	return 0;
}

static void
test_add_remove(void **state)
{
	struct index *idx;
	struct index_entry ie;
	uint64_t *ids;
	size_t i, n = 0;

	(void)state;
	idx = index_new();
	ids = calloc(N, sizeof(*ids));
	memset(&ie, 0, sizeof(ie));
	for (i = 0; i < N; i++) {
		/* small counters too: they collide in a weak hash */
		ids[i] = i % 2 ? ids_evpid_new(ids_msgid_new()) :
		    ((uint64_t)1 << 32) | (i + 1);
		ie.evpid = ids[i];
		ie.retry = (uint32_t)i;
		assert_int_equal(index_add(idx, &ie), 0);
	}
	assert_int_equal(index_count(idx), N);
	ie.evpid = ids[7];
	assert_int_equal(index_add(idx, &ie), -1);	/* duplicate */
	ie.evpid = 0;
	assert_int_equal(index_add(idx, &ie), -1);
	assert_null(index_get(idx, 0));

	for (i = 0; i < N; i += 3)
		assert_int_equal(index_remove(idx, ids[i]), 0);
	assert_int_equal(index_remove(idx, ids[0]), -1);
	for (i = 0; i < N; i++) {
		if (i % 3 == 0)
			assert_null(index_get(idx, ids[i]));
		else {
			assert_non_null(index_get(idx, ids[i]));
			assert_int_equal(index_get(idx, ids[i])->retry, i);
		}
	}
	index_foreach(idx, count_cb, &n);
	assert_int_equal(n, index_count(idx));
	assert_int_equal(n, N - (N + 2) / 3);
	free(ids);
	index_free(idx);
}

static void
test_entry_set(void **state)
{
	struct envelope e;
	struct index_entry ie;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.evpid = 0x1122334455667788ULL;
	e.type = ENVELOPE_MTA;
	e.ctime = 1000;
	e.ttl = 345600;
	e.nexttry = 2000;
	e.lasttry = 1500;
	e.retry = 3;
	e.runflags = ENVELOPE_R_HOLD;
	index_entry_set(&ie, &e);
	assert_true(ie.evpid == e.evpid);
	assert_int_equal(ie.type, ENVELOPE_MTA);
	assert_int_equal(ie.expire, 1000 + 345600);
	assert_int_equal(ie.nexttry, 2000);
	assert_int_equal(ie.lasttry, 1500);
	assert_int_equal(ie.retry, 3);
	assert_int_equal(ie.runflags, ENVELOPE_R_HOLD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_entry_set),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * queue_fresh_test.c: unit tests for queue/fresh.c, the copies of just
 * committed envelopes. A kept envelope is taken once, with its bytes; a
 * second take and an unknown evpid find nothing; beyond FRESH_MAX the
 * oldest is forgotten and the newest stay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "queue/fresh.h"

static uint8_t *
bytes(const char *s)
{
	uint8_t *p = malloc(strlen(s));

	assert_non_null(p);
	memcpy(p, s, strlen(s));
	return p;
}

static void
test_take_once(void **state)
{
	struct fresh f;
	uint8_t *data;
	size_t len;

	(void)state;
	fresh_init(&f);
	fresh_keep(&f, 0x1111, bytes("first"), 5);
	fresh_keep(&f, 0x2222, bytes("second"), 6);
	assert_int_equal(fresh_take(&f, 0x3333, &data, &len), 0);
	assert_int_equal(fresh_take(&f, 0x2222, &data, &len), 1);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "second", 6);
	free(data);
	assert_int_equal(fresh_take(&f, 0x2222, &data, &len), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(fresh_take(&f, 0x1111, &data, &len), 1);
	assert_memory_equal(data, "first", 5);
	free(data);
	assert_int_equal(f.n, 0);
}

static void
test_bounded(void **state)
{
	struct fresh f;
	uint8_t *data;
	size_t len;
	uint64_t i;

	(void)state;
	fresh_init(&f);
	for (i = 1; i <= FRESH_MAX + 3; i++)
		fresh_keep(&f, i, bytes("x"), 1);
	assert_int_equal(f.n, FRESH_MAX);
	for (i = 1; i <= 3; i++)
		assert_int_equal(fresh_take(&f, i, &data, &len), 0);
	for (i = 4; i <= FRESH_MAX + 3; i++) {
		assert_int_equal(fresh_take(&f, i, &data, &len), 1);
		free(data);
	}
	assert_int_equal(f.n, 0);
}

static void
test_clear(void **state)
{
	struct fresh f;
	uint8_t *data;
	size_t len;

	(void)state;
	fresh_init(&f);
	fresh_keep(&f, 7, bytes("seven"), 5);
	fresh_clear(&f);
	assert_int_equal(f.n, 0);
	assert_int_equal(fresh_take(&f, 7, &data, &len), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_once),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_clear),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

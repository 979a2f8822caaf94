/*
 * ids_test.c: unit tests for lib/ids.c: drawing ids (never 0, evpid
 * carries its msgid), formatting with leading zeros, and strict parsing
 * (spec/ctl.md §2: exactly 8 or 16 hex digits, either case, not 0).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ids.h"

static void
test_new(void **state)
{
	uint32_t msgid, prev = 0;
	uint64_t evpid;
	int i, same = 0;

	(void)state;
	for (i = 0; i < 10000; i++) {
		msgid = ids_msgid_new();
		assert_true(msgid != 0);
		same += msgid == prev;
		prev = msgid;
		evpid = ids_evpid_new(msgid);
		assert_true(ids_evpid_msgid(evpid) == msgid);
		assert_true((evpid & 0xffffffffU) != 0);
		assert_true(ids_evpid_valid(evpid));
	}
	assert_true(same < 3);		/* random, not a counter stuck at 1 */
	assert_false(ids_evpid_valid(0));
	assert_false(ids_evpid_valid(0x0000000012345678ULL));
	assert_false(ids_evpid_valid(0x1234567800000000ULL));
	assert_true(ids_evpid_valid(0x0000000100000001ULL));
}

static void
test_format(void **state)
{
	char m[IDS_MSGID_SIZE], e[IDS_EVPID_SIZE];

	(void)state;
	assert_string_equal(ids_msgid_fmt(0xa, m), "0000000a");
	assert_string_equal(ids_msgid_fmt(0x1a2b3c4d, m), "1a2b3c4d");
	assert_string_equal(ids_msgid_fmt(0xffffffff, m), "ffffffff");
	assert_string_equal(ids_evpid_fmt(0x000000010000000aULL, e),
	    "000000010000000a");
	assert_string_equal(ids_evpid_fmt(0x1a2b3c4d9e8f7a6bULL, e),
	    "1a2b3c4d9e8f7a6b");
	assert_string_equal(ids_evpid_fmt(UINT64_MAX, e), "ffffffffffffffff");
}

static void
test_parse_good(void **state)
{
	char buf[IDS_EVPID_SIZE];
	uint32_t m;
	uint64_t e;
	int i;

	(void)state;
	assert_int_equal(ids_msgid_parse("1a2b3c4d", &m), 0);
	assert_int_equal(m, 0x1a2b3c4d);
	assert_int_equal(ids_msgid_parse("1A2B3C4D", &m), 0);
	assert_int_equal(m, 0x1a2b3c4d);
	assert_int_equal(ids_msgid_parse("0000000a", &m), 0);
	assert_int_equal(m, 0xa);
	assert_int_equal(ids_msgid_parse("FFFFFFFF", &m), 0);
	assert_int_equal(m, 0xffffffff);
	assert_int_equal(ids_evpid_parse("1a2B3c4D9E8f7A6b", &e), 0);
	assert_true(e == 0x1a2b3c4d9e8f7a6bULL);
	assert_int_equal(ids_evpid_parse("0000000000000001", &e), 0);
	assert_true(e == 1);

	for (i = 0; i < 1000; i++) {		/* format then parse */
		uint64_t id = ids_evpid_new(ids_msgid_new());

		assert_int_equal(ids_evpid_parse(ids_evpid_fmt(id, buf), &e),
		    0);
		assert_true(e == id);
		assert_int_equal(ids_msgid_parse(ids_msgid_fmt(
		    ids_evpid_msgid(id), buf), &m), 0);
		assert_true(m == ids_evpid_msgid(id));
	}
}

static void
test_parse_bad(void **state)
{
	static const char *bad[] = {
		"", "1a2b3c4", "1a2b3c4d5", "1a2b3c4d9e8f7a6",
		"1a2b3c4d9e8f7a6b0", "00000000", "0000000000000000",
		"1a2b3c4g", "0x1a2b3c", "+1a2b3c4", "-1a2b3c4", " 1a2b3c4",
		"1a2b3c4 ", "1a2b3c4\n", "1a2b\0c4d", "1a2b3c4d 9e8f7a6",
		"1a2b3c4d9e8f7a6\xff", "\xe2\x91\xa0" "a2b3c4d",
	};
	uint32_t m = 7;
	uint64_t e = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ids_msgid_parse(bad[i], &m), -1);
		assert_int_equal(ids_evpid_parse(bad[i], &e), -1);
		assert_int_equal(ids_parse(bad[i], &m, &e), IDS_NONE);
	}
	assert_int_equal(m, 7);		/* untouched on failure */
	assert_true(e == 7);
	assert_int_equal(ids_msgid_parse(NULL, &m), -1);
	assert_int_equal(ids_parse(NULL, &m, &e), IDS_NONE);
}

static void
test_parse_kind(void **state)
{
	uint32_t m = 0;
	uint64_t e = 0;

	(void)state;
	assert_int_equal(ids_parse("1a2b3c4d", &m, &e), IDS_MSGID);
	assert_int_equal(m, 0x1a2b3c4d);
	assert_int_equal(ids_parse("1a2b3c4d9e8f7a6b", &m, &e), IDS_EVPID);
	assert_true(e == 0x1a2b3c4d9e8f7a6bULL);
	/* ctl.md §2: only the value 0 is refused, not a zero half */
	assert_int_equal(ids_parse("0000000012345678", &m, &e), IDS_EVPID);
	assert_int_equal(ids_parse("all", &m, &e), IDS_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_kind),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

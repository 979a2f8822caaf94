/*
 * deliver_maildir_test.c: unit tests for the pure parts of Maildir
 * delivery (delivery.md §2): the unique file name of §2.3 (exact layout,
 * HOST with '/' as \057 and ':' as \072, the ,S= size, truncation
 * refused) and the sub-address folder name of §2.1 (sanitised
 * characters, refused tags).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "deliver/deliver.h"

static void
test_host(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(maildir_host(out, sizeof(out), "mx.example.org"), 0);
	assert_string_equal(out, "mx.example.org");
	assert_int_equal(maildir_host(out, sizeof(out), "a/b:c"), 0);
	assert_string_equal(out, "a\\057b\\072c");
	assert_int_equal(maildir_host(out, sizeof(out), "//::"), 0);
	assert_string_equal(out, "\\057\\057\\072\\072");
	assert_int_equal(maildir_host(out, sizeof(out), ""), 0);
	assert_string_equal(out, "");
	/* Exactly fitting, and one byte short. */
	assert_int_equal(maildir_host(out, 5, "a/"), -1);
	assert_int_equal(maildir_host(out, 6, "a/"), 0);
	assert_string_equal(out, "a\\057");
	assert_int_equal(maildir_host(out, 4, "abcd"), -1);
	assert_int_equal(maildir_host(out, 5, "abcd"), 0);
}

static void
test_name(void **state)
{
	char out[256], host[64];

	(void)state;
	assert_int_equal(maildir_name(out, sizeof(out), 1732180200, 339417,
	    40213, 1, 0, "mx.example.org", 4211), 0);
	assert_string_equal(out,
	    "1732180200.M339417P40213Q1.mx.example.org,S=4211");
	/* with the queue's envelope id, for the exactly-once check */
	assert_int_equal(maildir_name(out, sizeof(out), 1732180200, 339417,
	    40213, 1, 0x1a2b3c4d9e8f7a6bULL, "mx.example.org", 4211), 0);
	assert_string_equal(out, "1732180200.M339417P40213Q1E1a2b3c4d9e8f7a6b"
	    ".mx.example.org,S=4211");
	assert_int_equal(maildir_name(out, sizeof(out), 1732180200, 7, 1, 12, 0,
	    "h", 0), 0);
	assert_string_equal(out, "1732180200.M7P1Q12.h,S=0");
	assert_int_equal(maildir_host(host, sizeof(host), "my:host/x"), 0);
	assert_int_equal(maildir_name(out, sizeof(out), 1, 0, 2, 3, 0, host,
	    UINT64_C(52428800)), 0);
	assert_string_equal(out, "1.M0P2Q3.my\\072host\\057x,S=52428800");
	/* Never truncated. */
	assert_int_equal(maildir_name(out, 10, 1732180200, 1, 1, 1, 0, "h", 1),
	    -1);
	assert_int_equal(maildir_name(out, 21, 1, 2, 3, 4, 0, "h", 5), 0);
	assert_string_equal(out, "1.M2P3Q4.h,S=5");
}

static void
test_tag(void **state)
{
	char out[DLV_TAG_MAX + 2];

	(void)state;
	assert_int_equal(maildir_tag(out, sizeof(out), "lists"), 0);
	assert_string_equal(out, ".lists");
	assert_int_equal(maildir_tag(out, sizeof(out), "a.b"), 0);
	assert_string_equal(out, ".a.b");		/* nested folder */
	assert_int_equal(maildir_tag(out, sizeof(out), "Mixed-Case_1"), 0);
	assert_string_equal(out, ".Mixed-Case_1");
	assert_int_equal(maildir_tag(out, sizeof(out), "!#$%&'*?`{|}~"), 0);
	assert_string_equal(out, ".:::::::::::::");
	assert_int_equal(maildir_tag(out, sizeof(out), "a*b"), 0);
	assert_string_equal(out, ".a:b");

	assert_int_equal(maildir_tag(out, sizeof(out), ""), -1);
	assert_int_equal(maildir_tag(out, sizeof(out), ".hidden"), -1);
	assert_int_equal(maildir_tag(out, sizeof(out), "a..b"), -1);
	assert_int_equal(maildir_tag(out, sizeof(out), ".."), -1);
	assert_int_equal(maildir_tag(out, sizeof(out), "a/b"), -1);
	assert_int_equal(maildir_tag(out, sizeof(out), "/"), -1);
	assert_int_equal(maildir_tag(out, sizeof(out), "a\nb"), -1);
	assert_int_equal(maildir_tag(out, 4, "abc"), -1);	/* no room */
	assert_int_equal(maildir_tag(out, 5, "abc"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_tag),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * deliver_headers_test.c: unit tests for deliver/headers.c: the trace
 * fields prepended to local deliveries (delivery.md §1.2, their order,
 * the null sender) and the Delivered-To loop check (§4): case, angle
 * brackets, blanks, folding, CRLF, the end of the header section, long
 * fields, and feeding byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deliver/deliver.h"

static void
test_trace(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	headers_trace(&b, "s@example.net", "root@example.org",
	    "alice@example.org");
	buf_add(&b, "", 1);
	assert_string_equal((char *)buf_head(&b),
	    "Return-Path: <s@example.net>\n"
	    "X-Original-To: root@example.org\n"
	    "Delivered-To: alice@example.org\n");
	buf_reset(&b);
	headers_trace(&b, "", "a@x", "a@x");
	buf_add(&b, "", 1);
	assert_string_equal((char *)buf_head(&b),
	    "Return-Path: <>\nX-Original-To: a@x\nDelivered-To: a@x\n");
	buf_free(&b);
}

/* Loop verdict for msg, whole and byte by byte; both must agree. */
static int
loop(const char *msg, const char *addr)
{
	struct headers_loop h;
	size_t i, len = strlen(msg);
	int whole, bytes;

	headers_loop_init(&h, addr);
	headers_loop_feed(&h, (const uint8_t *)msg, len);
	whole = headers_loop_end(&h);
	headers_loop_init(&h, addr);
	for (i = 0; i < len; i++)
		if (headers_loop_feed(&h, (const uint8_t *)msg + i, 1))
			break;
	bytes = headers_loop_end(&h);
	assert_int_equal(whole, bytes);
	return whole;
}

static void
test_loop(void **state)
{
	const char *a = "alice@example.org";

	(void)state;
	assert_true(loop("Delivered-To: alice@example.org\n\nbody\n", a));
	assert_true(loop("X: y\nDelivered-To: ALICE@Example.ORG\n\n", a));
	assert_true(loop("delivered-to:<alice@example.org>\n\n", a));
	assert_true(loop("Delivered-To:   <alice@example.org>  \n\n", a));
	assert_true(loop("Delivered-To \t: alice@example.org\n\n", a));
	assert_true(loop("Delivered-To: alice@example.org\r\nX: y\r\n\r\n", a));
	assert_true(loop("Delivered-To:\r\n alice@example.org\r\n\r\n", a));
	assert_true(loop("A: b\nDelivered-To: bob@x\nDelivered-To: "
	    "alice@example.org\n", a));		/* no body at all */
	assert_true(loop("From s@x Thu Nov 21 09:10:00 2024\n"
	    "Delivered-To: alice@example.org\n\n", a));

	assert_false(loop("Delivered-To: bob@example.org\n\n", a));
	assert_false(loop("Delivered-To: alice@example.org.evil\n\n", a));
	assert_false(loop("Delivered-To: xalice@example.org\n\n", a));
	assert_false(loop("X-Delivered-To: alice@example.org\n\n", a));
	assert_false(loop("Delivered-Top: alice@example.org\n\n", a));
	assert_false(loop("Delivered-To: alice@example.org, b@x\n\n", a));
	/* After the header section: body text is not a field. */
	assert_false(loop("A: b\n\nDelivered-To: alice@example.org\n", a));
	assert_false(loop("A: b\r\n\r\nDelivered-To: alice@example.org\r\n",
	    a));
	assert_false(loop("\nDelivered-To: alice@example.org\n", a));
	assert_false(loop("", a));
}

static void
test_loop_long(void **state)
{
	char *msg;
	size_t n = HEADERS_FIELD_MAX * 3, off;

	(void)state;
	msg = malloc(n + 200);
	assert_non_null(msg);
	/* An over-long Delivered-To is skipped, the next one still seen. */
	off = (size_t)sprintf(msg, "Delivered-To: ");
	memset(msg + off, 'x', n);
	off += n;
	strcpy(msg + off, "\nDelivered-To: alice@example.org\n\n");
	assert_true(loop(msg, "alice@example.org"));
	free(msg);
}

static void
test_value(void **state)
{
	(void)state;
	assert_true(headers_value_is(" <a@b> ", 7, "a@b"));
	assert_true(headers_value_is("A@B", 3, "a@b"));
	assert_false(headers_value_is("<a@b", 4, "a@b"));
	assert_false(headers_value_is("", 0, "a@b"));
	assert_false(headers_value_is("<>", 2, "a@b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_loop_long),
		cmocka_unit_test(test_value),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * deliver_mbox_test.c: unit tests for the pure parts of mbox delivery
 * (delivery.md §3.2): mboxrd quoting of header and body lines through
 * deliver/convert.c (every ^>*From line gets one more '>', nothing else
 * changes, CRLF input included) and the "From " separator line of
 * deliver/mbox.c (null sender, blanks and control characters, asctime
 * layout in local time with a space-padded day).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "deliver/deliver.h"

#define OUT_MAX	4096

static void
quote(const char *in, size_t chunk, char *out)
{
	struct convert c;
	size_t off = 0, used, n, len = strlen(in), o = 0;

	convert_init(&c, CONVERT_QUOTE | CONVERT_STRIP);
	while (!c.done) {
		n = len - off < chunk ? len - off : chunk;
		o += convert_run(&c, (const uint8_t *)in + off, n, &used,
		    (uint8_t *)out + o, chunk, off + n == len);
		off += used;
		assert_true(o < OUT_MAX - chunk);
	}
	out[o] = '\0';
}

static void
check(const char *in, const char *want)
{
	char out[OUT_MAX];
	size_t chunk;

	for (chunk = 1; chunk <= 9; chunk++) {
		quote(in, chunk, out);
		assert_string_equal(out, want);
	}
	quote(in, 1024, out);
	assert_string_equal(out, want);
}

static void
test_mboxrd(void **state)
{
	(void)state;
	check("A: b\n\nFrom here\n", "A: b\n\n>From here\n");
	check("A: b\n\n>From here\n", "A: b\n\n>>From here\n");
	check("A: b\n\n>>>From x\n", "A: b\n\n>>>>From x\n");
	check("A: b\n\nFrom\n", "A: b\n\nFrom\n");	/* no space */
	check("A: b\n\nFromage\n", "A: b\n\nFromage\n");
	check("A: b\n\n From x\n", "A: b\n\n From x\n");
	check("A: b\n\nx From y\n", "A: b\n\nx From y\n");
	check("A: b\n\n>\n>>\n> From\n", "A: b\n\n>\n>>\n> From\n");
	check("A: b\n\nfrom x\n", "A: b\n\nfrom x\n");	/* case matters */
	check("A: b\n\nFrom x", "A: b\n\n>From x\n");	/* last line */
	/* Header lines too (not the leading envelope line: it is dropped). */
	check("A: b\nFrom x\n\n", "A: b\n>From x\n\n");
	check(">From x\nA: b\n", ">>From x\nA: b\n");
	check("From env\nFrom x\n", ">From x\n");
	/* CRLF input. */
	check("A: b\r\n\r\nFrom x\r\n>From y\r\n",
	    "A: b\n\n>From x\n>>From y\n");
	check("A: b\r\n\r\n>\r\nFrom\r\n", "A: b\n\n>\nFrom\n");
}

static void
test_fromline(void **state)
{
	char line[MBOX_FROM_SIZE];
	time_t t = 1730452200;		/* 2024-11-01 09:10:00 UTC, a Friday */

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(mbox_fromline(line, sizeof(line), "s@example.net",
	    t), 0);
	assert_string_equal(line, "From s@example.net Fri Nov  1 09:10:00 "
	    "2024\n");
	assert_int_equal(mbox_fromline(line, sizeof(line), "", t), 0);
	assert_string_equal(line, "From MAILER-DAEMON Fri Nov  1 09:10:00 "
	    "2024\n");
	assert_int_equal(mbox_fromline(line, sizeof(line),
	    "\"a b\"@x\t\x01", t), 0);
	assert_string_equal(line, "From \"a_b\"@x__ Fri Nov  1 09:10:00 "
	    "2024\n");
	assert_int_equal(mbox_fromline(line, sizeof(line), "s@x",
	    t + 20 * 86400), 0);
	assert_string_equal(line, "From s@x Thu Nov 21 09:10:00 2024\n");

	/* Local time. */
	setenv("TZ", "CET-1", 1);
	tzset();
	assert_int_equal(mbox_fromline(line, sizeof(line), "s@x", t), 0);
	assert_string_equal(line, "From s@x Fri Nov  1 10:10:00 2024\n");

	assert_int_equal(mbox_fromline(line, 10, "s@x", t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mboxrd),
		cmocka_unit_test(test_fromline),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

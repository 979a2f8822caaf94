/*
 * deliver_convert_test.c: unit tests for deliver/convert.c, the filter
 * between the queued message and local files (delivery.md §2.3, §3.2):
 * CRLF -> LF with bare CR kept, a final LF added, the leading "From "
 * line of another MTA dropped, and the same output whatever the input
 * and output chunk sizes (byte by byte included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deliver/deliver.h"

#define OUT_MAX	8192

/* Runs the filter with input chunks of inchunk and output room outchunk. */
static size_t
run(int flags, const char *in, size_t inchunk, size_t outchunk, char *out)
{
	struct convert c;
	size_t off = 0, n, used, len = strlen(in), o = 0, k;
	int eof;

	convert_init(&c, flags);
	while (!c.done) {
		n = len - off < inchunk ? len - off : inchunk;
		eof = off + n == len;
		k = convert_run(&c, (const uint8_t *)in + off, n, &used,
		    (uint8_t *)out + o, outchunk, eof);
		assert_true(used <= n);
		assert_true(k <= outchunk);
		off += used;
		o += k;
		assert_true(o < OUT_MAX - outchunk);
	}
	assert_int_equal(off, len);
	out[o] = '\0';
	return o;
}

/* The whole-buffer result must equal every chunked result. */
static void
check(int flags, const char *in, const char *want)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 7, 64, 4096 };
	char *out = malloc(OUT_MAX);
	size_t i, j;

	assert_non_null(out);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			run(flags, in, sizes[i], sizes[j], out);
			assert_string_equal(out, want);
		}
	free(out);
}

static void
test_crlf(void **state)
{
	(void)state;
	check(0, "a\r\nb\r\n", "a\nb\n");
	check(0, "a\nb\n", "a\nb\n");			/* LF stays LF */
	check(0, "a\r\nb\nc\r\n", "a\nb\nc\n");		/* mixed */
	check(0, "\r\n\r\n", "\n\n");
	check(0, "a\rb\r\n", "a\rb\n");			/* bare CR is content */
	check(0, "a\r\r\n", "a\r\n");			/* CR, then CRLF */
	check(0, "\r", "\n");				/* CR at the end */
	check(0, "x\r", "x\n");
}

static void
test_final_newline(void **state)
{
	(void)state;
	check(0, "", "");
	check(0, "a", "a\n");
	check(0, "a\r\nb", "a\nb\n");
	check(0, "\n", "\n");
	check(CONVERT_QUOTE, "From", "From\n");
	check(CONVERT_QUOTE, ">>>", ">>>\n");
}

static void
test_strip(void **state)
{
	(void)state;
	/* Postfix's mailbox_command input starts with its From_ line. */
	check(CONVERT_STRIP, "From s@x Thu Nov 21 09:10:00 2024\nSubject: x\n"
	    "\nbody\n", "Subject: x\n\nbody\n");
	check(CONVERT_STRIP, "From s@x date\r\nA: b\r\n", "A: b\n");
	check(CONVERT_STRIP, "From only", "");
	/* Only the first line, only exactly "From ". */
	check(CONVERT_STRIP, "A: b\nFrom x\n", "A: b\nFrom x\n");
	check(CONVERT_STRIP, "From: a@b\n", "From: a@b\n");
	check(CONVERT_STRIP, "Fro", "Fro\n");
	check(CONVERT_STRIP, " From x\n", " From x\n");
	check(0, "From x\nA: b\n", "From x\nA: b\n");	/* without the flag */
}

static void
test_large_quote_run(void **state)
{
	char *in, *want, *out;
	size_t n = 3000, i;

	(void)state;
	in = malloc(n + 16);
	want = malloc(n + 16);
	out = malloc(OUT_MAX);
	assert_true(in && want && out);
	for (i = 0; i < n; i++)
		in[i] = '>';
	strcpy(in + n, "From x\n");
	want[0] = '>';
	memcpy(want + 1, in, n + 8);
	run(CONVERT_QUOTE, in, 1, 7, out);
	assert_string_equal(out, want);
	run(CONVERT_QUOTE, in, 4096, 1, out);
	assert_string_equal(out, want);
	in[n] = '\n';			/* the '>' run alone: unchanged */
	in[n + 1] = '\0';
	run(CONVERT_QUOTE, in, 5, 3, out);
	assert_string_equal(out, in);
	free(in);
	free(want);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_final_newline),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_large_quote_run),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * data_test.c: the DATA-phase parser. End of data only at CRLF.CRLF,
 * dot-unstuffing, every smuggling sequence in both bare-newline modes
 * (never two messages, never a truncated one), limits, byte-at-a-time
 * feeding giving the same result as one chunk, and the Date: and
 * Message-Id: fields a submission gets when it has none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "smtpd/data.h"

struct run {
	struct buf		 out;
	struct data_parser	 dp;
	size_t			 consumed;
};

static void
run_chunks(struct run *r, enum bare_newline mode, uint64_t max,
    const char *in, size_t len, size_t step)
{
	size_t off = 0, fed = 0, n;

	buf_init(&r->out);
	data_init(&r->dp, mode, max, &r->out);
	/* Feed like a socket would: unconsumed bytes are offered again. */
	while (!r->dp.done && fed < len) {
		fed = fed + step > len ? len : fed + step;
		n = data_feed(&r->dp, in + off, fed - off);
		off += n;
	}
	r->consumed = off;
}

static void
run_all(struct run *r, enum bare_newline mode, const char *in)
{
	run_chunks(r, mode, 0, in, strlen(in), strlen(in));
}

static void
assert_stored(struct run *r, const char *want)
{
	assert_int_equal(buf_avail(&r->out), strlen(want));
	assert_memory_equal(buf_head(&r->out), want, strlen(want));
}

static void
test_simple(void **state)
{
	struct run r;
	const char *in = "Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n";

	(void)state;
	run_all(&r, BARE_NEWLINE_NORMALIZE, in);
	assert_true(r.dp.done);
	assert_stored(&r, "Subject: x\r\n\r\nhello\r\n");
	assert_int_equal(r.consumed, strlen(in) - strlen("QUIT\r\n"));
	assert_int_equal(r.dp.size, strlen("Subject: x\r\n\r\nhello\r\n"));
	assert_int_equal(r.dp.nheaders, 1);
	buf_free(&r.out);
}

static void
test_dot_unstuffing(void **state)
{
	struct run r;

	(void)state;
	run_all(&r, BARE_NEWLINE_NORMALIZE, "\r\n..\r\n...x\r\n.y\r\n.\r\n");
	assert_true(r.dp.done);
	assert_stored(&r, "\r\n.\r\n..x\r\ny\r\n");
	buf_free(&r.out);
}

static void
test_empty_message(void **state)
{
	struct run r;

	(void)state;
	run_all(&r, BARE_NEWLINE_NORMALIZE, ".\r\n");
	assert_true(r.dp.done);
	assert_int_equal(buf_avail(&r.out), 0);
	buf_free(&r.out);
}

/* Each smuggling sequence, with a second "message" hidden behind it. */
static const char *smuggle[] = {
	"a\r\n\n.\nMAIL FROM:<x@y>\r\nb\r\n.\r\n",
	"a\r\n\n.\r\nMAIL FROM:<x@y>\r\nb\r\n.\r\n",
	"a\r\n.\nMAIL FROM:<x@y>\r\nb\r\n.\r\n",
	"a\r\r.\r\nMAIL FROM:<x@y>\r\nb\r\n.\r\n",
	"a\r.\rMAIL FROM:<x@y>\r\nb\r\n.\r\n",
	"a\n.\nMAIL FROM:<x@y>\r\nb\r\n.\r\n",
};

static void
test_smuggling_normalize(void **state)
{
	struct run r;
	size_t i, len;
	char *stored;

	(void)state;
	for (i = 0; i < sizeof(smuggle) / sizeof(smuggle[0]); i++) {
		len = strlen(smuggle[i]);
		run_all(&r, BARE_NEWLINE_NORMALIZE, smuggle[i]);
		/* One message: it ends only at the final CRLF.CRLF. */
		assert_true(r.dp.done);
		assert_int_equal(r.consumed, len);
		stored = strndup((const char *)buf_head(&r.out),
		    buf_avail(&r.out));
		/* Not truncated: the hidden part is inside the message... */
		assert_non_null(strstr(stored, "MAIL FROM:<x@y>\r\nb\r\n"));
		/* ...and no line of it is a lone dot. */
		assert_null(strstr(stored, "\r\n.\r\n"));
		assert_true(strncmp(stored, ".\r\n", 3) != 0);
		/* Only CRLF line endings are stored. */
		assert_null(strstr(stored, "\n\n"));
		for (size_t k = 0; k < strlen(stored); k++) {
			if (stored[k] == '\n')
				assert_true(k > 0 && stored[k - 1] == '\r');
			if (stored[k] == '\r')
				assert_true(stored[k + 1] == '\n');
		}
		free(stored);
		buf_free(&r.out);
	}
}

static void
test_smuggling_reject(void **state)
{
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(smuggle) / sizeof(smuggle[0]); i++) {
		run_all(&r, BARE_NEWLINE_REJECT, smuggle[i]);
		assert_true(r.dp.done);
		assert_int_equal(r.consumed, strlen(smuggle[i]));
		assert_true(r.dp.bare_lf || r.dp.bare_cr);
		buf_free(&r.out);
	}
}

static void
test_bare_lf_and_cr_flags(void **state)
{
	struct run r;

	(void)state;
	run_all(&r, BARE_NEWLINE_NORMALIZE, "a\nb\r\n.\r\n");
	assert_true(r.dp.bare_lf);
	assert_false(r.dp.bare_cr);
	assert_stored(&r, "a\r\nb\r\n");
	buf_free(&r.out);
	run_all(&r, BARE_NEWLINE_NORMALIZE, "a\rb\r\n.\r\n");
	assert_true(r.dp.bare_cr);
	assert_false(r.dp.bare_lf);
	assert_stored(&r, "a\r\nb\r\n");
	buf_free(&r.out);
}

static void
test_byte_at_a_time(void **state)
{
	struct run a, b;
	const char *in = "X: 1\r\n\r\n..dot\r\nline\rcr\nlf\r\n.\r\nRSET\r\n";

	(void)state;
	run_chunks(&a, BARE_NEWLINE_NORMALIZE, 0, in, strlen(in), strlen(in));
	run_chunks(&b, BARE_NEWLINE_NORMALIZE, 0, in, strlen(in), 1);
	assert_true(a.dp.done && b.dp.done);
	assert_int_equal(a.consumed, b.consumed);
	assert_int_equal(buf_avail(&a.out), buf_avail(&b.out));
	assert_memory_equal(buf_head(&a.out), buf_head(&b.out),
	    buf_avail(&a.out));
	buf_free(&a.out);
	buf_free(&b.out);
}

static void
test_incomplete_waits(void **state)
{
	struct run r;

	(void)state;
	/* A CR at the end of a chunk: no decision until the next byte. */
	run_all(&r, BARE_NEWLINE_NORMALIZE, "abc\r");
	assert_false(r.dp.done);
	assert_int_equal(r.consumed, 0);
	buf_free(&r.out);
	run_all(&r, BARE_NEWLINE_NORMALIZE, "abc\r\n.");
	assert_false(r.dp.done);
	assert_int_equal(r.consumed, 5);
	buf_free(&r.out);
}

static void
test_size_limit(void **state)
{
	struct run r;
	const char *in = "0123456789\r\n0123456789\r\n.\r\n";

	(void)state;
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 20, in, strlen(in), 7);
	assert_true(r.dp.done);
	assert_true(r.dp.too_big);
	assert_int_equal(r.consumed, strlen(in));
	buf_free(&r.out);
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 24, in, strlen(in), 7);
	assert_false(r.dp.too_big);
	buf_free(&r.out);
}

static void
test_long_line(void **state)
{
	struct run r;
	size_t n = DATA_LINE_MAX * 2 + 10, i;
	char *in = malloc(n + 16);

	(void)state;
	for (i = 0; i < n; i++)
		in[i] = 'x';
	memcpy(in + n, "\r\n.\r\n", 6);
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 0, in, n + 5, 4096);
	assert_true(r.dp.done);
	assert_true(r.dp.too_long);
	assert_int_equal(r.consumed, n + 5);
	free(in);
	buf_free(&r.out);
}

static void
test_hops_and_headers(void **state)
{
	struct run r;
	struct buf in;
	int i;

	(void)state;
	buf_init(&in);
	for (i = 0; i < 101; i++)
		buf_printf(&in, "Received: from x%d\r\n\tby y\r\n", i);
	buf_printf(&in, "\r\nReceived: in the body\r\n.\r\n");
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 0, (const char *)buf_head(&in),
	    buf_avail(&in), 333);
	assert_true(r.dp.done);
	assert_int_equal(r.dp.nreceived, 101);
	assert_int_equal(r.dp.nheaders, 101);
	assert_false(r.dp.header_too_large);
	buf_free(&r.out);
	buf_free(&in);
}

static void
test_header_limits(void **state)
{
	struct run r;
	struct buf in;
	int i;

	(void)state;
	/* one field more than DATA_HEADERS_MAX */
	buf_init(&in);
	for (i = 0; i <= DATA_HEADERS_MAX; i++)
		buf_printf(&in, "X-H%d: v\r\n", i);
	buf_printf(&in, "\r\nbody\r\n.\r\n");
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 0, (const char *)buf_head(&in),
	    buf_avail(&in), 4096);
	assert_true(r.dp.done);
	assert_true(r.dp.header_too_large);
	/* once doomed, nothing more is stored: the body never arrives */
	assert_null(memmem(buf_head(&r.out), buf_avail(&r.out), "body", 4));
	buf_free(&r.out);
	buf_free(&in);

	/* exactly DATA_HEADERS_MAX fields are fine */
	buf_init(&in);
	for (i = 0; i < DATA_HEADERS_MAX; i++)
		buf_printf(&in, "X-H%d: v\r\n", i);
	buf_printf(&in, "\r\nbody\r\n.\r\n");
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 0, (const char *)buf_head(&in),
	    buf_avail(&in), 4096);
	assert_false(r.dp.header_too_large);
	buf_free(&r.out);
	buf_free(&in);

	/* one physical header line over DATA_HEADER_LINE_MAX */
	buf_init(&in);
	buf_printf(&in, "Subject: ");
	for (i = 0; i < DATA_HEADER_LINE_MAX; i++)
		buf_add(&in, "x", 1);
	buf_printf(&in, "\r\n\r\nbody\r\n.\r\n");
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 0, (const char *)buf_head(&in),
	    buf_avail(&in), 4096);
	assert_true(r.dp.header_too_large);
	buf_free(&r.out);
	buf_free(&in);

	/* the same length in the body is only a long text line: allowed */
	buf_init(&in);
	buf_printf(&in, "Subject: s\r\n\r\n");
	for (i = 0; i < DATA_HEADER_LINE_MAX + 10; i++)
		buf_add(&in, "x", 1);
	buf_printf(&in, "\r\n.\r\n");
	run_chunks(&r, BARE_NEWLINE_NORMALIZE, 0, (const char *)buf_head(&in),
	    buf_avail(&in), 4096);
	assert_false(r.dp.header_too_large);
	assert_false(r.dp.too_long);
	buf_free(&r.out);
	buf_free(&in);
}

static void
test_eightbit(void **state)
{
	struct run r;

	(void)state;
	run_all(&r, BARE_NEWLINE_NORMALIZE, "caf\xc3\xa9\r\n.\r\n");
	assert_true(r.dp.eightbit);
	buf_free(&r.out);
	run_all(&r, BARE_NEWLINE_NORMALIZE, "cafe\r\n.\r\n");
	assert_false(r.dp.eightbit);
	buf_free(&r.out);
}

#define SUB_DATE	"Mon, 2 Jan 2006 15:04:05 +0000"
#define SUB_MSGID	"<20060102150405.0123456789abcdef@mx.example>"
#define SUB_ADDED	"Date: " SUB_DATE "\r\nMessage-Id: " SUB_MSGID "\r\n"

static void
run_submission(struct run *r, const char *in, size_t step)
{
	buf_init(&r->out);
	data_init(&r->dp, BARE_NEWLINE_NORMALIZE, 0, &r->out);
	data_add_fields(&r->dp, SUB_DATE, SUB_MSGID);
	{
		size_t off = 0, fed = 0, len = strlen(in);

		while (!r->dp.done && fed < len) {
			fed = fed + step > len ? len : fed + step;
			off += data_feed(&r->dp, in + off, fed - off);
		}
		r->consumed = off;
	}
	assert_true(r->dp.done);
}

static void
test_submission_fields(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		/* at the end of the header section, before the blank line */
		{ "Subject: x\r\n\r\nbody\r\n.\r\n",
		  "Subject: x\r\n" SUB_ADDED "\r\nbody\r\n" },
		/* present (any case, blanks before the colon): kept alone */
		{ "date : Sun, 1 Jan 2006 00:00:00 +0000\r\nMESSAGE-ID: <a@b>"
		  "\r\n\r\nx\r\n.\r\n",
		  "date : Sun, 1 Jan 2006 00:00:00 +0000\r\nMESSAGE-ID: <a@b>"
		  "\r\n\r\nx\r\n" },
		/* one present: the other added */
		{ "Date: then\r\nSubject: x\r\n\r\nx\r\n.\r\n",
		  "Date: then\r\nSubject: x\r\nMessage-Id: " SUB_MSGID
		  "\r\n\r\nx\r\n" },
		{ "Message-Id: <m@x>\r\n\r\n.\r\n",
		  "Message-Id: <m@x>\r\nDate: " SUB_DATE "\r\n\r\n" },
		/* the body starts without a blank line: one is inserted */
		{ "Subject: x\r\nno colon here\r\n.\r\n",
		  "Subject: x\r\n" SUB_ADDED "\r\nno colon here\r\n" },
		/* headers only, and an empty message */
		{ "Subject: x\r\n.\r\n", "Subject: x\r\n" SUB_ADDED },
		{ ".\r\n", SUB_ADDED },
		/* other fields, continuations and the body do not count */
		{ "Resent-Date: x\r\nX-Date: y\r\nDated: z\r\nSubject: a\r\n"
		  " Date: b\r\n\r\nDate: c\r\nMessage-Id: <d@e>\r\n.\r\n",
		  "Resent-Date: x\r\nX-Date: y\r\nDated: z\r\nSubject: a\r\n"
		  " Date: b\r\n" SUB_ADDED "\r\nDate: c\r\nMessage-Id: <d@e>"
		  "\r\n" },
	};
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_submission(&r, cases[i].in, strlen(cases[i].in));
		assert_stored(&r, cases[i].want);
		buf_free(&r.out);
		run_submission(&r, cases[i].in, 1);
		assert_stored(&r, cases[i].want);
		buf_free(&r.out);
	}
	/* without data_add_fields nothing is added */
	run_all(&r, BARE_NEWLINE_NORMALIZE, "Subject: x\r\n\r\nb\r\n.\r\n");
	assert_stored(&r, "Subject: x\r\n\r\nb\r\n");
	buf_free(&r.out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_dot_unstuffing),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_smuggling_normalize),
		cmocka_unit_test(test_smuggling_reject),
		cmocka_unit_test(test_bare_lf_and_cr_flags),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_incomplete_waits),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_hops_and_headers),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_eightbit),
		cmocka_unit_test(test_submission_fields),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

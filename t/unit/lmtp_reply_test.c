/*
 * lmtp_reply_test.c: unit tests for the LMTP client's pure parts: the
 * reply parser (deliver/lmtp_reply.c) with a table of good and bad
 * replies, each fed whole and byte by byte, its bounds (line length,
 * line count, text size) and what it leaves for the next pipelined
 * reply; the dot-stuffing filter (deliver/lmtp_io.c) at every output
 * room; the exit status rule of several recipients (deliver/lmtp.c);
 * the EHLO keywords of the relay client (STARTTLS, AUTH mechanisms, SIZE
 * and its value, DSN, ENHANCEDSTATUSCODES) and odd continuation lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cmocka.h>

#include "deliver/deliver.h"

struct good {
	const char	*in;
	int		 code;
	const char	*esc;
	const char	*text;
	int		 ext;
	int		 nlines;
	size_t		 used;		/* 0: all of in */
};

static const struct good goods[] = {
	{ "220 mx.example.org LMTP ready\r\n", 220, "", "mx.example.org LMTP "
	    "ready", 0, 1, 0 },
	{ "250 2.1.5 Ok\r\n", 250, "2.1.5", "Ok", 0, 1, 0 },
	{ "250\r\n", 250, "", "", 0, 1, 0 },
	{ "250 \r\n", 250, "", "", 0, 1, 0 },
	{ "250 2.0.0\r\n", 250, "2.0.0", "", 0, 1, 0 },
	{ "452 4.2.2 Mailbox full\n", 452, "4.2.2", "Mailbox full", 0, 1, 0 },
	{ "550 5.1.1 <x@y>: unknown\r\n", 550, "5.1.1", "<x@y>: unknown", 0,
	    1, 0 },
	/* the enhanced code must be of the reply's class */
	{ "550 4.1.1 odd\r\n", 550, "", "4.1.1 odd", 0, 1, 0 },
	{ "250 2.1.5x\r\n", 250, "", "2.1.5x", 0, 1, 0 },
	{ "250 2.1234.5 no\r\n", 250, "", "2.1234.5 no", 0, 1, 0 },
	{ "250-mx.example.org\r\n250-PIPELINING\r\n250-8bitmime\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-SIZE 1000\r\n250 SMTPUTF8\r\n",
	    250, "", "mx.example.org PIPELINING 8bitmime ENHANCEDSTATUSCODES "
	    "SIZE 1000 SMTPUTF8", LMTP_EXT_PIPELINING | LMTP_EXT_8BITMIME |
	    LMTP_EXT_SMTPUTF8 | LMTP_EXT_ENHANCED | LMTP_EXT_SIZE, 6, 0 },
	/* keywords only from lines after the first, whole words */
	{ "250-PIPELINING\r\n250 PIPELININGX\r\n", 250, "",
	    "PIPELINING PIPELININGX", 0, 2, 0 },
	{ "250-x\r\n250 8BITMIME extra\r\n", 250, "", "x 8BITMIME extra",
	    LMTP_EXT_8BITMIME, 2, 0 },
	{ "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n", 550,
	    "5.7.1", "first second third", 0, 3, 0 },
	{ "421-4.3.2 a\r\n421\r\n", 421, "4.3.2", "a", 0, 2, 0 },
	/* control and 8-bit bytes become '?' */
	{ "250 a\tb\x01\xc3\xa9\r\n", 250, "", "a?b???", 0, 1, 0 },
	{ "250 a\rb\r\n", 250, "", "a?b", 0, 1, 0 },
	/* it stops after the reply: the next one stays */
	{ "250 one\r\n250 two\r\n", 250, "", "one", 0, 1, 9 },
	{ "354 go ahead\r\nrest", 354, "", "go ahead", 0, 1, 14 },
	{ "559 x\r\n", 559, "", "x", 0, 1, 0 },
	/* short and odd continuation lines */
	{ "250-\r\n250-\r\n250\r\n", 250, "", "", 0, 3, 0 },
	{ "250-a\r\n250 \r\n", 250, "", "a", 0, 2, 0 },
	{ "250-a\n250-\n250 b\n", 250, "", "a b", 0, 3, 0 },
	{ "220-x\r\n220-2.0.0\r\n220 2\r\n", 220, "", "x 2", 0, 3,
	    0 },
};

/* EHLO keywords of the relay's SMTP client (lines after the first). */
struct kw {
	const char	*in;
	int		 ext;
	uint64_t	 size;
};

static const struct kw kws[] = {
	{ "250-mx\r\n250-STARTTLS\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n",
	    LMTP_EXT_STARTTLS | LMTP_EXT_DSN | LMTP_EXT_ENHANCED, 0 },
	{ "250-mx\r\n250 SIZE 35882577\r\n", LMTP_EXT_SIZE, 35882577 },
	{ "250-mx\r\n250 size\r\n", LMTP_EXT_SIZE, 0 },
	{ "250-mx\r\n250 SIZE 0\r\n", LMTP_EXT_SIZE, 0 },
	{ "250-mx\r\n250 SIZE 12x\r\n", LMTP_EXT_SIZE, 0 },
	{ "250-mx\r\n250 SIZE 99999999999999999999999999\r\n", LMTP_EXT_SIZE,
	    UINT64_MAX },
	{ "250-mx\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n",
	    LMTP_EXT_AUTH_PLAIN | LMTP_EXT_AUTH_LOGIN, 0 },
	{ "250-mx\r\n250 AUTH  cram-md5 login\r\n", LMTP_EXT_AUTH_LOGIN, 0 },
	{ "250-mx\r\n250 AUTH=PLAIN\r\n", LMTP_EXT_AUTH_PLAIN, 0 },
	{ "250-mx\r\n250 AUTH\r\n", 0, 0 },
	{ "250-mx\r\n250 AUTHX PLAIN\r\n", 0, 0 },
	{ "250-mx\r\n250 XAUTH PLAIN LOGIN\r\n", 0, 0 },
	{ "250-mx\r\n250 STARTTLS=1\r\n", 0, 0 },
	{ "250-mx\r\n250 PLAINLOGIN\r\n", 0, 0 },
	/* the first line is the server's name, never a keyword */
	{ "250 STARTTLS\r\n", 0, 0 },
	{ "250-STARTTLS\r\n250 x\r\n", 0, 0 },
	{ "250-mx\r\n250-\r\n250-S\r\n250 =\r\n", 0, 0 },
};

struct bad {
	const char	*in;
	size_t		 len;		/* 0: strlen */
	const char	*error;
};

static const struct bad bads[] = {
	{ "25\r\n", 0, "malformed reply code" },
	{ "\r\n", 0, "malformed reply code" },
	{ "\n", 0, "malformed reply code" },
	{ "2500 x\r\n", 0, "malformed reply code" },
	{ "25O x\r\n", 0, "malformed reply code" },
	{ "099 x\r\n", 0, "malformed reply code" },
	{ "150 x\r\n", 0, "malformed reply code" },
	{ "600 x\r\n", 0, "malformed reply code" },
	{ "260 x\r\n", 0, "malformed reply code" },
	{ " 250 x\r\n", 0, "malformed reply code" },
	{ "250_x\r\n", 0, "malformed reply code" },
	{ "250\tx\r\n", 0, "malformed reply code" },
	{ "x250 ok\r\n", 0, "malformed reply code" },
	{ "250-a\r\n251 b\r\n", 0, "reply code changed within a multi-line "
	    "reply" },
	{ "250-a\r\nbogus\r\n", 0, "malformed reply code" },
	{ "\0\0\0 x\r\n", 7, "malformed reply code" },
	{ "250-a\r\n25\r\n", 0, "malformed reply code" },
	{ "250-a\r\n2\r\n", 0, "malformed reply code" },
	{ "250-a\r\n\r\n", 0, "malformed reply code" },
	{ "250-a\r\n\n", 0, "malformed reply code" },
	{ "250-a\r\n250x\r\n", 0, "malformed reply code" },
};

/* Feeds in[0..len) in chunks; returns the state, *used the consumed. */
static enum lmtp_reply_state
feed(struct lmtp_reply *r, const char *in, size_t len, size_t chunk,
    size_t *used)
{
	enum lmtp_reply_state st = LMTP_REPLY_MORE;
	size_t off = 0, n, u;

	lmtp_reply_init(r);
	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		st = lmtp_reply_feed(r, (const uint8_t *)in + off, n, &u);
		assert_true(u <= n);
		off += u;
		if (st != LMTP_REPLY_MORE)
			break;
		assert_int_equal(u, n);
	}
	*used = off;
	return st;
}

static void
test_good(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 4096 };
	struct lmtp_reply *r = malloc(sizeof(*r));
	size_t i, k, used, len;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		len = strlen(goods[i].in);
		for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
			assert_int_equal(feed(r, goods[i].in, len, chunks[k],
			    &used), LMTP_REPLY_DONE);
			assert_int_equal(used, goods[i].used ? goods[i].used :
			    len);
			assert_int_equal(r->code, goods[i].code);
			assert_string_equal(r->esc, goods[i].esc);
			assert_string_equal(r->text, goods[i].text);
			assert_int_equal(r->textlen, strlen(r->text));
			assert_int_equal(r->ext, goods[i].ext);
			assert_int_equal(r->nlines, goods[i].nlines);
		}
	}
	free(r);
}

/* "250 a\0b\r\n" is 9 bytes with a NUL: fed by explicit length. */
static void
test_nul(void **state)
{
	struct lmtp_reply r;
	size_t used;

	(void)state;
	assert_int_equal(feed(&r, "250 a\0b\r\n", 9, 1, &used),
	    LMTP_REPLY_DONE);
	assert_int_equal(used, 9);
	assert_string_equal(r.text, "a?b");
}

static void
test_bad(void **state)
{
	static const size_t chunks[] = { 1, 5, 4096 };
	struct lmtp_reply r;
	size_t i, k, used, len;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		len = bads[i].len ? bads[i].len : strlen(bads[i].in);
		for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
			assert_int_equal(feed(&r, bads[i].in, len, chunks[k],
			    &used), LMTP_REPLY_ERROR);
			assert_string_equal(r.error, bads[i].error);
			/* an error stays an error */
			assert_int_equal(lmtp_reply_feed(&r,
			    (const uint8_t *)"250 ok\r\n", 8, &used),
			    LMTP_REPLY_ERROR);
			assert_int_equal(used, 0);
		}
	}
}

/* Incomplete input is MORE, never DONE, with everything consumed. */
static void
test_incomplete(void **state)
{
	static const char *const ins[] = { "", "2", "250", "250 ok",
	    "250 ok\r", "250-a\r\n", "250-a\r\n250-b\r\n250" };
	struct lmtp_reply r;
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		assert_int_equal(feed(&r, ins[i], strlen(ins[i]), 1, &used),
		    LMTP_REPLY_MORE);
		assert_int_equal(used, strlen(ins[i]));
	}
}

/* A line of LMTP_LINE_MAX bytes with its CRLF passes; one more fails. */
static void
test_line_max(void **state)
{
	struct lmtp_reply r;
	char *in = malloc(LMTP_LINE_MAX + 2);
	size_t used;

	(void)state;
	assert_non_null(in);
	memset(in, 'x', LMTP_LINE_MAX + 2);
	memcpy(in, "250 ", 4);
	memcpy(in + LMTP_LINE_MAX - 2, "\r\n", 2);
	assert_int_equal(feed(&r, in, LMTP_LINE_MAX, 4096, &used),
	    LMTP_REPLY_DONE);
	assert_int_equal(r.textlen, OUTCOME_TEXT_SIZE - 1);
	assert_int_equal(strlen(r.text), OUTCOME_TEXT_SIZE - 1);

	memset(in, 'x', LMTP_LINE_MAX + 2);
	memcpy(in, "250 ", 4);
	memcpy(in + LMTP_LINE_MAX - 1, "\r\n", 2);
	assert_int_equal(feed(&r, in, LMTP_LINE_MAX + 1, 4096, &used),
	    LMTP_REPLY_ERROR);
	assert_string_equal(r.error, "reply line too long");
	assert_true(used < LMTP_LINE_MAX + 1);
	/* no end of line at all: the bound holds too */
	memset(in, 'x', LMTP_LINE_MAX + 2);
	assert_int_equal(feed(&r, in, LMTP_LINE_MAX + 2, 1, &used),
	    LMTP_REPLY_ERROR);
	free(in);
}

/* LMTP_LINES_MAX lines are a reply; a longer one is an error. */
static void
test_lines_max(void **state)
{
	struct lmtp_reply r;
	char *in = malloc(16 * (LMTP_LINES_MAX + 2));
	size_t i, len = 0, used;

	(void)state;
	assert_non_null(in);
	for (i = 0; i < LMTP_LINES_MAX - 1; i++)
		len += (size_t)sprintf(in + len, "250-line %zu\r\n", i);
	len += (size_t)sprintf(in + len, "250 last\r\n");
	assert_int_equal(feed(&r, in, len, 4096, &used), LMTP_REPLY_DONE);
	assert_int_equal(r.nlines, LMTP_LINES_MAX);
	assert_int_equal(strlen(r.text), r.textlen);
	assert_true(r.textlen < OUTCOME_TEXT_SIZE);

	len = 0;
	for (i = 0; i < LMTP_LINES_MAX; i++)
		len += (size_t)sprintf(in + len, "250-line %zu\r\n", i);
	len += (size_t)sprintf(in + len, "250 last\r\n");
	assert_int_equal(feed(&r, in, len, 4096, &used), LMTP_REPLY_ERROR);
	assert_string_equal(r.error, "too many lines in a reply");
	free(in);
}

/* Two pipelined replies in one buffer, read one after the other. */
static void
test_pipelined(void **state)
{
	const char *in = "250 2.1.0 sender ok\r\n250 2.1.5 rcpt ok\r\n"
	    "550 5.1.1 unknown\r\n354 go\r\n";
	struct lmtp_reply r;
	size_t off = 0, used, len = strlen(in);
	static const int codes[] = { 250, 250, 550, 354 };
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		lmtp_reply_init(&r);
		assert_int_equal(lmtp_reply_feed(&r, (const uint8_t *)in + off,
		    len - off, &used), LMTP_REPLY_DONE);
		assert_int_equal(r.code, codes[i]);
		off += used;
	}
	assert_int_equal(off, len);
}

/* The stuffing filter with every output room from 2 up. */
static void
stuff_check(const char *in, const char *want)
{
	struct lmtp_stuff s;
	char out[512];
	size_t room, off, o, used, n, len = strlen(in);

	for (room = 2; room < 9; room++) {
		lmtp_stuff_init(&s);
		for (off = 0, o = 0; off < len; off += used) {
			n = lmtp_stuff_run(&s, (const uint8_t *)in + off,
			    len - off, &used, (uint8_t *)out + o, room);
			assert_true(n <= room);
			assert_true(used > 0);
			o += n;
		}
		out[o] = '\0';
		assert_string_equal(out, want);
	}
	/* byte by byte input */
	lmtp_stuff_init(&s);
	for (off = 0, o = 0; off < len; off += used)
		o += lmtp_stuff_run(&s, (const uint8_t *)in + off, 1, &used,
		    (uint8_t *)out + o, sizeof(out) - o);
	out[o] = '\0';
	assert_string_equal(out, want);
}

static void
test_stuff(void **state)
{
	(void)state;
	stuff_check("", "");
	stuff_check("a\n", "a\r\n");
	stuff_check(".\n", "..\r\n");
	stuff_check("..x\n", "...x\r\n");
	stuff_check("a.b\n.\n.x\n", "a.b\r\n..\r\n..x\r\n");
	stuff_check(".", "..");
	/* a bare CR (convert.c keeps it) goes out as a line break */
	stuff_check("a\rb\n", "a\r\nb\r\n");
	stuff_check("a\r.\r\n", "a\r\n..\r\n\r\n");
	stuff_check("\n.\n", "\r\n..\r\n");
	stuff_check("x\xc3\xa9\n", "x\xc3\xa9\r\n");
}

static void
set(struct lmtp_rcpt *r, enum outcome_status st, const char *esc)
{
	outcome_set(&r->o, st, esc, "%s", esc);
}

static void
test_exit(void **state)
{
	struct lmtp_rcpt r[3];
	size_t which;

	(void)state;
	memset(r, 0, sizeof(r));
	set(&r[0], OUTCOME_OK, "2.0.0");
	assert_int_equal(lmtp_exit(r, 1, &which), EX_OK);
	set(&r[1], OUTCOME_OK, "2.1.5");
	assert_int_equal(lmtp_exit(r, 2, &which), EX_OK);
	set(&r[1], OUTCOME_PERM, "5.1.1");
	assert_int_equal(lmtp_exit(r, 2, &which), EX_NOUSER);
	assert_int_equal(which, 1);
	set(&r[2], OUTCOME_TEMP, "4.2.2");
	assert_int_equal(lmtp_exit(r, 3, &which), EX_TEMPFAIL);
	assert_int_equal(which, 2);
	set(&r[0], OUTCOME_PERM, "5.2.2");
	set(&r[2], OUTCOME_OK, "2.0.0");
	assert_int_equal(lmtp_exit(r, 3, &which), EX_CANTCREAT);
	assert_int_equal(which, 0);
	set(&r[0], OUTCOME_PERM, "5.5.0");
	assert_int_equal(lmtp_exit(r, 1, &which), EX_SOFTWARE);
}

/* Each fed whole and byte by byte: the same flags and SIZE value. */
static void
test_keywords(void **state)
{
	struct lmtp_reply *r;
	size_t i, used, chunk;

	(void)state;
	r = malloc(sizeof(*r));
	assert_non_null(r);
	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
		for (chunk = 1; chunk <= strlen(kws[i].in); chunk +=
		    strlen(kws[i].in) - 1) {
			assert_int_equal(feed(r, kws[i].in, strlen(kws[i].in),
			    chunk, &used), LMTP_REPLY_DONE);
			assert_int_equal(used, strlen(kws[i].in));
			assert_int_equal(r->ext, kws[i].ext);
			assert_true(r->size == kws[i].size);
			if (strlen(kws[i].in) == 1)
				break;
		}
	}
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_line_max),
		cmocka_unit_test(test_lines_max),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_stuff),
		cmocka_unit_test(test_exit),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

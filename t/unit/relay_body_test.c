/*
 * relay_body_test.c: unit tests for the relay client's content encoder
 * (deliver/relay_body.c): CRLF only on output (bare LF, bare CR, CRLF),
 * dot-stuffing, the final CRLF "." CRLF, each input fed whole, in chunks
 * of every size and with every output room, so a CR at the end of a
 * chunk and a '.' at the start of the next one are covered; and the MAIL
 * and RCPT lines of deliver/relay_cmd.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deliver/deliver.h"
#include "deliver/relay_body.h"
#include "deliver/relay_cmd.h"
#include "queue/envelope.h"

#define OUT_MAX		1024

struct pair {
	const char	*in;
	const char	*out;
};

static const struct pair pairs[] = {
	{ "", ".\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a\r", "a\r\n.\r\n" },
	{ "a\rb", "a\r\nb\r\n.\r\n" },
	{ "a\r\rb", "a\r\n\r\nb\r\n.\r\n" },
	{ "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ "a\n\rb", "a\r\n\r\nb\r\n.\r\n" },
	{ ".", "..\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ "x\r\n.\r\n", "x\r\n..\r\n.\r\n" },
	{ "x\n.\n", "x\r\n..\r\n.\r\n" },
	{ "x\r.\r", "x\r\n..\r\n.\r\n" },
	{ "..x\n a.b\n.", "...x\r\n a.b\r\n..\r\n.\r\n" },
	{ "\n\n", "\r\n\r\n.\r\n" },
	{ "8bit \xc3\xa9\x00z\n", "8bit \xc3\xa9\x00z\r\n.\r\n" },
};

/* Encodes in[0..len) by chunks of chunk bytes into room-sized writes. */
static size_t
encode(const char *in, size_t len, size_t chunk, size_t room, uint8_t *out)
{
	struct relay_body b;
	size_t off = 0, n = 0, used, w, step;

	relay_body_init(&b);
	while (off < len) {
		step = len - off < chunk ? len - off : chunk;
		w = relay_body_run(&b, (const uint8_t *)in + off, step, &used,
		    out + n, room);
		assert_true(w <= room);
		assert_true(used <= step);
		assert_true(used > 0 || w > 0);	/* room >= 2: progress */
		n += w;
		off += used;
		assert_true(n < OUT_MAX - RELAY_BODY_END_MAX);
	}
	n += relay_body_end(&b, out + n, RELAY_BODY_END_MAX);
	return n;
}

static size_t
in_len(const struct pair *p)
{
	/* one input holds a NUL */
	return p->in[0] == '8' ? 10 : strlen(p->in);
}

static size_t
out_len(const struct pair *p)
{
	return p->in[0] == '8' ? 14 : strlen(p->out);
}

static void
test_pairs(void **state)
{
	uint8_t out[OUT_MAX];
	size_t i, chunk, room, n, len;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		len = in_len(&pairs[i]);
		for (chunk = 1; chunk <= len + 1; chunk++) {
			for (room = RELAY_BODY_STEP_MAX; room <= 2 * len + 2;
			    room++) {
				n = encode(pairs[i].in, len, chunk, room, out);
				assert_int_equal(n, out_len(&pairs[i]));
				assert_memory_equal(out, pairs[i].out, n);
			}
		}
	}
}

/* A CR ends one chunk, its LF starts the next: one line end. */
static void
test_cr_boundary(void **state)
{
	struct relay_body b;
	uint8_t out[16];
	size_t used, n;

	(void)state;
	relay_body_init(&b);
	n = relay_body_run(&b, (const uint8_t *)"ab\r", 3, &used, out,
	    sizeof(out));
	assert_int_equal(used, 3);
	assert_int_equal(n, 2);		/* the CR waits */
	n += relay_body_run(&b, (const uint8_t *)"\n.x", 3, &used, out + n,
	    sizeof(out) - n);
	assert_int_equal(used, 3);
	assert_int_equal(n, 7);
	assert_memory_equal(out, "ab\r\n..x", 7);
	n += relay_body_end(&b, out + n, sizeof(out) - n);
	assert_int_equal(n, 12);
	assert_memory_equal(out, "ab\r\n..x\r\n.\r\n", 12);
}

/* A '.' first in a chunk after a CRLF that ended the previous one. */
static void
test_dot_boundary(void **state)
{
	struct relay_body b;
	uint8_t out[16];
	size_t used, n;

	(void)state;
	relay_body_init(&b);
	n = relay_body_run(&b, (const uint8_t *)"a\r\n", 3, &used, out,
	    sizeof(out));
	n += relay_body_run(&b, (const uint8_t *)".", 1, &used, out + n,
	    sizeof(out) - n);
	n += relay_body_end(&b, out + n, sizeof(out) - n);
	assert_int_equal(n, 10);
	assert_memory_equal(out, "a\r\n..\r\n.\r\n", 10);
}

/* Too little room: nothing consumed, nothing written. */
static void
test_room(void **state)
{
	struct relay_body b;
	uint8_t out[4];
	size_t used;

	(void)state;
	relay_body_init(&b);
	assert_int_equal(relay_body_run(&b, (const uint8_t *)"a", 1, &used,
	    out, 1), 0);
	assert_int_equal(used, 0);
	assert_int_equal(relay_body_end(&b, out, 4), 0);
}

static void
cmd_check(void (*f)(struct buf *), const char *want)
{
	struct buf b;

	buf_init(&b);
	f(&b);
	assert_int_equal(buf_avail(&b), strlen(want));
	assert_memory_equal(buf_head(&b), want, strlen(want));
	buf_free(&b);
}

static struct relay_txn cmd_txn;
static struct relay_rcpt cmd_rcpt;
static int cmd_ext;

static void
cmd_mail(struct buf *b)
{
	relay_cmd_mail(b, &cmd_txn, cmd_ext);
}

static void
cmd_rcpt_line(struct buf *b)
{
	relay_cmd_rcpt(b, &cmd_rcpt, cmd_ext);
}

static void
test_cmd(void **state)
{
	(void)state;
	memset(&cmd_txn, 0, sizeof(cmd_txn));
	cmd_txn.sender = "s@example.net";
	cmd_txn.msgsize = 1234;
	cmd_txn.eightbit = 1;
	cmd_txn.dsn_ret = ENVELOPE_RET_FULL;
	cmd_txn.envid = "a+b=c d";
	cmd_ext = 0;
	cmd_check(cmd_mail, "MAIL FROM:<s@example.net>\r\n");
	cmd_ext = LMTP_EXT_SIZE | LMTP_EXT_8BITMIME | LMTP_EXT_DSN;
	cmd_check(cmd_mail, "MAIL FROM:<s@example.net> SIZE=1234 "
	    "BODY=8BITMIME RET=FULL ENVID=a+2Bb+3Dc+20d\r\n");
	cmd_txn.sender = "";
	cmd_txn.smtputf8 = 1;
	cmd_ext = LMTP_EXT_SMTPUTF8;
	cmd_check(cmd_mail, "MAIL FROM:<> SMTPUTF8\r\n");

	memset(&cmd_rcpt, 0, sizeof(cmd_rcpt));
	cmd_rcpt.addr = "r@example.org";
	cmd_rcpt.notify = ENVELOPE_DSN_SUCCESS | ENVELOPE_DSN_DELAY;
	cmd_rcpt.orcpt = "rfc822;r+x@example.org";
	cmd_ext = 0;
	cmd_check(cmd_rcpt_line, "RCPT TO:<r@example.org>\r\n");
	cmd_ext = LMTP_EXT_DSN;
	cmd_check(cmd_rcpt_line, "RCPT TO:<r@example.org> "
	    "NOTIFY=SUCCESS,DELAY ORCPT=rfc822;r+2Bx@example.org\r\n");
	cmd_rcpt.notify = ENVELOPE_DSN_NEVER;
	cmd_rcpt.orcpt = "bad type;x";		/* not an atom: left out */
	cmd_check(cmd_rcpt_line, "RCPT TO:<r@example.org> NOTIFY=NEVER\r\n");

	assert_int_equal(relay_cmd_addr("a@b", 0), RELAY_ADDR_OK);
	assert_int_equal(relay_cmd_addr("a\r\nRSET@b", 1), RELAY_ADDR_BAD);
	assert_int_equal(relay_cmd_addr("a\x7f@b", 1), RELAY_ADDR_BAD);
	assert_int_equal(relay_cmd_addr("j\xc3\xb6rg@b", 0), RELAY_ADDR_UTF8);
	assert_int_equal(relay_cmd_addr("j\xc3\xb6rg@b", 1), RELAY_ADDR_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_cr_boundary),
		cmocka_unit_test(test_dot_boundary),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_cmd),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

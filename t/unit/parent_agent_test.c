/*
 * parent_agent_test.c: unit tests for the pure parts of the parent's
 * deliver agents: smtpd/agent_pool.c (which agent serves a delivery,
 * when one retires, on a fake clock) and smtpd/agent_msg.c (the request
 * and reply datagrams of the deliver -A contract, byte for byte, and
 * every malformed one refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smtpd/agent_msg.h"
#include "smtpd/agent_pool.h"

#define SLOTS	40

static struct agent_pool	pool;
static struct agent_slot	slot[SLOTS];

static int
pool_setup(void **state)
{
	(void)state;
	memset(slot, 0, sizeof(slot));
	agent_pool_init(&pool, 3);
	return 0;
}

/* slot i joins busy for (user, ids). */
static struct agent_slot *
join(int i, const char *user, const char *ids)
{
	assert_int_equal(agent_slot_key(&slot[i], user, ids), 0);
	agent_pool_add(&pool, &slot[i]);
	return &slot[i];
}

static void
test_take_by_key(void **state)
{
	(void)state;
	join(0, "joe", NULL);
	join(1, "joe", "1000:100:/home/joe");
	join(2, "ann", NULL);
	/* nobody waits yet */
	assert_null(agent_pool_take(&pool, "joe", NULL));
	assert_int_equal(agent_pool_release(&pool, &slot[0], 1), 0);
	assert_int_equal(agent_pool_release(&pool, &slot[1], 2), 0);
	assert_int_equal(agent_pool_release(&pool, &slot[2], 3), 0);
	assert_int_equal(pool.nidle, 3);
	/* the ids are part of the key: "" and NULL are the same */
	assert_ptr_equal(agent_pool_take(&pool, "joe", ""), &slot[0]);
	assert_null(agent_pool_take(&pool, "joe", NULL));
	assert_ptr_equal(agent_pool_take(&pool, "joe", "1000:100:/home/joe"),
	    &slot[1]);
	assert_null(agent_pool_take(&pool, "bob", NULL));
	assert_int_equal(slot[0].state, AGENT_BUSY);
	assert_int_equal(pool.nidle, 1);
	assert_int_equal(pool.nall, 3);
}

static void
test_take_most_recent(void **state)
{
	(void)state;
	join(0, "joe", NULL);
	join(1, "joe", NULL);
	join(2, "joe", NULL);
	agent_pool_release(&pool, &slot[1], 10);
	agent_pool_release(&pool, &slot[0], 11);
	agent_pool_release(&pool, &slot[2], 12);
	/* the last to wait serves; the others may reach AGENT_IDLE */
	assert_ptr_equal(agent_pool_take(&pool, "joe", NULL), &slot[2]);
	assert_ptr_equal(agent_pool_take(&pool, "joe", NULL), &slot[0]);
	assert_ptr_equal(agent_pool_take(&pool, "joe", NULL), &slot[1]);
	assert_null(agent_pool_take(&pool, "joe", NULL));
}

static void
test_key_too_long(void **state)
{
	char big[AGENT_IDS_MAX + 1];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(agent_slot_key(&slot[0], "joe", big), -1);
	big[AGENT_USER_MAX] = '\0';
	assert_int_equal(agent_slot_key(&slot[0], big, NULL), -1);
	big[AGENT_USER_MAX - 1] = '\0';
	assert_int_equal(agent_slot_key(&slot[0], big, NULL), 0);
}

static void
test_uses(void **state)
{
	struct agent_slot *s;
	int i;

	(void)state;
	s = join(0, "joe", NULL);
	for (i = 1; i < AGENT_USES; i++) {
		assert_int_equal(agent_pool_release(&pool, s, i), 0);
		assert_ptr_equal(agent_pool_take(&pool, "joe", NULL), s);
	}
	/* the AGENT_USES-th answer retires it */
	assert_int_equal(agent_pool_release(&pool, s, i), -1);
	assert_int_equal(s->uses, AGENT_USES);
	assert_int_equal(s->state, AGENT_RETIRED);
	assert_string_equal(s->reason, "uses");
	assert_null(agent_pool_take(&pool, "joe", NULL));
	assert_int_equal(pool.nidle, 0);
	assert_int_equal(pool.nall, 1);
	agent_pool_remove(&pool, s);
	assert_int_equal(pool.nall, 0);
	assert_string_equal(s->reason, "uses");
}

static void
test_idle_expiry(void **state)
{
	(void)state;
	assert_true(agent_pool_deadline(&pool) < 0);
	join(0, "joe", NULL);
	join(1, "ann", NULL);
	agent_pool_release(&pool, &slot[0], 100);
	agent_pool_release(&pool, &slot[1], 102);
	assert_true(agent_pool_deadline(&pool) == 100 + AGENT_IDLE);
	assert_null(agent_pool_expired(&pool, 100 + AGENT_IDLE - 0.5));
	assert_ptr_equal(agent_pool_expired(&pool, 100 + AGENT_IDLE),
	    &slot[0]);
	agent_pool_retire(&pool, &slot[0], "idle");
	assert_null(agent_pool_expired(&pool, 100 + AGENT_IDLE));
	assert_true(agent_pool_deadline(&pool) == 102 + AGENT_IDLE);
	/* taken again, it waits anew from its next release */
	assert_ptr_equal(agent_pool_take(&pool, "ann", NULL), &slot[1]);
	assert_true(agent_pool_deadline(&pool) < 0);
	agent_pool_release(&pool, &slot[1], 110);
	assert_null(agent_pool_expired(&pool, 102 + AGENT_IDLE));
	assert_true(agent_pool_deadline(&pool) == 110 + AGENT_IDLE);
	assert_string_equal(slot[0].reason, "idle");
	assert_int_equal(slot[0].state, AGENT_RETIRED);
}

static void
test_surplus(void **state)
{
	int i;

	(void)state;
	/* idle_max 3 */
	for (i = 0; i < 4; i++)
		join(i, "u", NULL);
	assert_null(agent_pool_surplus(&pool, 1));
	for (i = 0; i < 3; i++) {
		assert_null(agent_pool_surplus(&pool, 0));
		agent_pool_release(&pool, &slot[i], i);
	}
	/* full: a new agent would be one too many, the oldest goes */
	assert_null(agent_pool_surplus(&pool, 0));
	assert_ptr_equal(agent_pool_surplus(&pool, 1), &slot[0]);
	agent_pool_release(&pool, &slot[3], 3);
	assert_ptr_equal(agent_pool_surplus(&pool, 0), &slot[0]);
	agent_pool_retire(&pool, &slot[0], "surplus");
	assert_null(agent_pool_surplus(&pool, 0));
	assert_int_equal(pool.nidle, 3);
}

static void
test_retire_reasons(void **state)
{
	(void)state;
	join(0, "joe", NULL);
	join(1, "joe", NULL);
	join(2, "joe", NULL);
	/* closed by itself: the reason comes later, or "died" */
	agent_pool_release(&pool, &slot[0], 1);
	agent_pool_retire(&pool, &slot[0], NULL);
	assert_null(agent_pool_take(&pool, "joe", NULL));
	agent_pool_retire(&pool, &slot[0], "stop");
	assert_string_equal(slot[0].reason, "stop");
	agent_pool_remove(&pool, &slot[1]);
	assert_string_equal(slot[1].reason, "died");
	/* the first reason stays; a busy one is never released again */
	agent_pool_retire(&pool, &slot[2], "killed");
	agent_pool_retire(&pool, &slot[2], "stop");
	assert_string_equal(slot[2].reason, "killed");
	assert_int_equal(agent_pool_release(&pool, &slot[2], 5), -1);
	assert_int_equal(slot[2].uses, 0);
	assert_int_equal(pool.nidle, 0);
	assert_int_equal(pool.nall, 2);
}

static void
test_request(void **state)
{
	char *argv[] = { "deliver", "-d", "joe", "-f", "", "-m",
	    "/home/joe/Maildir", NULL };
	static const char want[] = "deliver\0-d\0joe\0-f\0\0-m\0"
	    "/home/joe/Maildir";
	char buf[AGENT_REQ_MAX], *out[AGENT_ARGV_MAX + 1];
	ssize_t n;
	int i;

	(void)state;
	n = agent_msg_request(argv, buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(agent_msg_request_parse(buf, (size_t)n, out), 7);
	for (i = 0; i < 7; i++)
		assert_string_equal(out[i], argv[i]);
	assert_null(out[7]);
	/* exactly the room it needs, and one byte less */
	assert_int_equal(agent_msg_request(argv, buf, sizeof(want)), n);
	assert_int_equal(agent_msg_request(argv, buf, sizeof(want) - 1), -1);
}

static void
test_request_refused(void **state)
{
	char *argv[AGENT_ARGV_MAX + 2], *out[AGENT_ARGV_MAX + 1];
	char *other[] = { "sh", "-c", "x", NULL }, *none[] = { NULL };
	char buf[AGENT_REQ_MAX];
	ssize_t n;
	int i;

	(void)state;
	argv[0] = "deliver";
	for (i = 1; i < AGENT_ARGV_MAX; i++)
		argv[i] = "-n";
	argv[i] = NULL;
	n = agent_msg_request(argv, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(agent_msg_request_parse(buf, (size_t)n, out),
	    AGENT_ARGV_MAX);
	/* one more string */
	argv[i] = "-n";
	argv[i + 1] = NULL;
	assert_int_equal(agent_msg_request(argv, buf, sizeof(buf)), -1);
	memcpy(buf + n, "-n", 3);
	assert_int_equal(agent_msg_request_parse(buf, (size_t)n + 3, out), -1);
	assert_int_equal(agent_msg_request(other, buf, sizeof(buf)), -1);
	assert_int_equal(agent_msg_request(none, buf, sizeof(buf)), -1);
	/* empty, unterminated, not deliver's */
	assert_int_equal(agent_msg_request_parse(buf, 0, out), -1);
	memcpy(buf, "deliver\0-d", 10);
	assert_int_equal(agent_msg_request_parse(buf, 10, out), -1);
	memcpy(buf, "sh\0-c\0", 6);
	assert_int_equal(agent_msg_request_parse(buf, 6, out), -1);
	memcpy(buf, "deliver\0", 8);
	assert_int_equal(agent_msg_request_parse(buf, 8, out), 1);
}

static void
test_reply(void **state)
{
	char buf[AGENT_REPLY_MAX + 8], text[AGENT_TEXT_MAX], big[2000];
	int32_t c;
	size_t n;
	int code;

	(void)state;
	n = agent_msg_reply(75, "4.2.2 mailbox full\nmore\n", buf,
	    sizeof(buf));
	assert_int_equal(n, 4 + 18);
	memcpy(&c, buf, 4);
	assert_int_equal(c, 75);	/* host byte order */
	assert_memory_equal(buf + 4, "4.2.2 mailbox full", 18);
	assert_int_equal(agent_msg_reply_parse(buf, n, &code, text,
	    sizeof(text)), 0);
	assert_int_equal(code, 75);
	assert_string_equal(text, "4.2.2 mailbox full");
	/* the code alone: an empty text */
	assert_int_equal(agent_msg_reply_parse(buf, 4, &code, text,
	    sizeof(text)), 0);
	assert_string_equal(text, "");
	/* shorter than the code: malformed */
	assert_int_equal(agent_msg_reply_parse(buf, 3, &code, text,
	    sizeof(text)), -1);
	assert_int_equal(agent_msg_reply_parse(buf, 0, &code, text,
	    sizeof(text)), -1);
	/* at most AGENT_TEXT_MAX - 1 bytes of text */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = agent_msg_reply(0, big, buf, sizeof(buf));
	assert_int_equal(n, AGENT_REPLY_MAX);
	/* a parser's smaller buffer cuts; a NUL or newline ends the line */
	assert_int_equal(agent_msg_reply_parse(buf, n, &code, text, 8), 0);
	assert_string_equal(text, "xxxxxxx");
	memcpy(buf + 4, "2.0.0 ok\0junk", 13);
	assert_int_equal(agent_msg_reply_parse(buf, 17, &code, text,
	    sizeof(text)), 0);
	assert_string_equal(text, "2.0.0 ok");
	memcpy(buf + 4, "5.1.1 no\r\nx", 11);
	assert_int_equal(agent_msg_reply_parse(buf, 15, &code, text,
	    sizeof(text)), 0);
	assert_string_equal(text, "5.1.1 no\r");
	c = -1;
	memcpy(buf, &c, 4);
	assert_int_equal(agent_msg_reply_parse(buf, 4, &code, text,
	    sizeof(text)), 0);
	assert_int_equal(code, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_take_by_key, pool_setup),
		cmocka_unit_test_setup(test_take_most_recent, pool_setup),
		cmocka_unit_test_setup(test_key_too_long, pool_setup),
		cmocka_unit_test_setup(test_uses, pool_setup),
		cmocka_unit_test_setup(test_idle_expiry, pool_setup),
		cmocka_unit_test_setup(test_surplus, pool_setup),
		cmocka_unit_test_setup(test_retire_reasons, pool_setup),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_reply),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

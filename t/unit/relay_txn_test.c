/*
 * relay_txn_test.c: unit tests for deliver/relay_txn.c: a transaction
 * takes the first waiting message's envelopes only, in order, at most
 * RELAY_RCPT_MAX, and leaves the others waiting; RCPT TO is the final
 * address and ORCPT is passed on; SMTPUTF8 is needed only for non-ASCII
 * addresses or header fields; an outcome's class follows the status
 * whatever the reply claims; enhanced codes (lib/esc.c) are parsed
 * strictly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "deliver/relay.h"
#include "lib/esc.h"

#define EVP(m, l)	(((uint64_t)(m) << 32) | (uint32_t)(l))

static struct relay_msg msg_a = { .msgid = 1 }, msg_b = { .msgid = 2 };

static struct relay_env *
mkenv(struct relay_env_list *l, struct relay_msg *m, uint32_t n,
    const char *dest)
{
	struct relay_env *re;

	re = calloc(1, sizeof(*re));
	assert_non_null(re);
	re->msg = m;
	re->env.evpid = EVP(m->msgid, n);
	re->env.type = ENVELOPE_MTA;
	strlcpy(re->env.sender, "alice@example.org", sizeof(re->env.sender));
	strlcpy(re->env.rcpt, "list@example.org", sizeof(re->env.rcpt));
	strlcpy(re->env.dest, dest, sizeof(re->env.dest));
	TAILQ_INSERT_TAIL(l, re, entry);
	return re;
}

static void
free_list(struct relay_env_list *l)
{
	struct relay_env *re;

	while ((re = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, re, entry);
		free(re);
	}
}

static void
test_build_one_message(void **state)
{
	struct relay_env_list l;
	struct relay_txn txn;
	struct relay_rcpt rcpt[RELAY_RCPT_MAX];
	struct relay_env *env[RELAY_RCPT_MAX];
	static char orcpt[RELAY_RCPT_MAX][ENVELOPE_ORCPT_MAX + 8];
	struct relay_env *a1, *b1, *a2;
	size_t i;

	(void)state;
	TAILQ_INIT(&l);
	a1 = mkenv(&l, &msg_a, 1, "bob@example.net");
	b1 = mkenv(&l, &msg_b, 1, "carol@example.net");
	a2 = mkenv(&l, &msg_a, 2, "dave@example.net");
	a2->env.dsn_orcpt_type = ENVELOPE_ORCPT_RFC822;
	strlcpy(a2->env.dsn_orcpt, "dave@old.example",
	    sizeof(a2->env.dsn_orcpt));
	a2->env.dsn_notify = ENVELOPE_DSN_FAILURE;
	assert_int_equal(relay_txn_build(&txn, rcpt, orcpt, env, &l), 2);
	assert_int_equal(txn.nrcpt, 2);
	assert_ptr_equal(env[0], a1);
	assert_ptr_equal(env[1], a2);
	assert_string_equal(rcpt[0].addr, "bob@example.net");
	assert_null(rcpt[0].orcpt);
	assert_string_equal(rcpt[1].addr, "dave@example.net");
	assert_string_equal(rcpt[1].orcpt, "rfc822;dave@old.example");
	assert_int_equal(rcpt[1].notify, ENVELOPE_DSN_FAILURE);
	assert_int_equal(rcpt[0].status, 0);
	assert_string_equal(txn.sender, "alice@example.org");
	/* the other message still waits, alone */
	assert_ptr_equal(TAILQ_FIRST(&l), b1);
	assert_null(TAILQ_NEXT(b1, entry));
	for (i = 0; i < txn.nrcpt; i++)
		free(env[i]);
	free_list(&l);
	assert_int_equal(relay_txn_build(&txn, rcpt, orcpt, env, &l), 0);
}

static void
test_build_cap(void **state)
{
	struct relay_env_list l;
	struct relay_txn txn;
	struct relay_rcpt rcpt[RELAY_RCPT_MAX];
	struct relay_env *env[RELAY_RCPT_MAX];
	static char orcpt[RELAY_RCPT_MAX][ENVELOPE_ORCPT_MAX + 8];
	size_t i, n = 0;

	(void)state;
	TAILQ_INIT(&l);
	for (i = 0; i < RELAY_RCPT_MAX + 5; i++)
		mkenv(&l, &msg_a, (uint32_t)i + 1, "x@example.net");
	assert_int_equal(relay_txn_build(&txn, rcpt, orcpt, env, &l),
	    RELAY_RCPT_MAX);
	for (i = 0; i < RELAY_RCPT_MAX; i++) {
		assert_int_equal(rcpt[i].evpid, EVP(1, i + 1));
		free(env[i]);
	}
	/* the five left keep their order */
	assert_int_equal(relay_txn_build(&txn, rcpt, orcpt, env, &l), 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(rcpt[i].evpid, EVP(1, RELAY_RCPT_MAX + 1 + i));
		free(env[i]);
		n++;
	}
	assert_int_equal(n, 5);
	assert_true(TAILQ_EMPTY(&l));
}

static void
test_needs_utf8(void **state)
{
	struct envelope e;
	const char ascii[] = "Subject: hello\r\nFrom: a@b";
	const char utf8[] = "Subject: h\xc3\xa9llo\r\n";

	(void)state;
	memset(&e, 0, sizeof(e));
	strlcpy(e.sender, "alice@example.org", sizeof(e.sender));
	strlcpy(e.dest, "bob@example.net", sizeof(e.dest));
	strlcpy(e.rcpt, "bob@example.net", sizeof(e.rcpt));
	/* not an SMTPUTF8 transaction: never */
	assert_false(relay_txn_needs_utf8(&e, utf8, sizeof(utf8) - 1));
	e.flags = ENVELOPE_F_SMTPUTF8;
	assert_false(relay_txn_needs_utf8(&e, ascii, sizeof(ascii) - 1));
	assert_true(relay_txn_needs_utf8(&e, utf8, sizeof(utf8) - 1));
	strlcpy(e.dest, "j\xc3\xb6rg@example.net", sizeof(e.dest));
	assert_true(relay_txn_needs_utf8(&e, ascii, sizeof(ascii) - 1));
}

static void
test_result_class(void **state)
{
	struct relay_rcpt r;
	struct mda_result res;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.evpid = EVP(3, 4);
	r.status = 5;
	strlcpy(r.esc, "5.1.1", sizeof(r.esc));
	strlcpy(r.text, "550 5.1.1 <bob@example.net>: no such user",
	    sizeof(r.text));
	relay_txn_result(&r, &res);
	assert_int_equal(res.evpid, EVP(3, 4));
	assert_int_equal(res.outcome, MDA_PERMFAIL);
	assert_int_equal(res.esc_class, 5);
	assert_int_equal(res.esc_subject, 1);
	assert_int_equal(res.esc_detail, 1);
	assert_string_equal(res.text,
	    "550 5.1.1 <bob@example.net>: no such user");
	/* a server claiming 2.x.x in a temporary failure: still 4 */
	r.status = 4;
	strlcpy(r.esc, "2.0.0", sizeof(r.esc));
	relay_txn_result(&r, &res);
	assert_int_equal(res.outcome, MDA_TEMPFAIL);
	assert_int_equal(res.esc_class, 4);
	/* no enhanced code: X.0.0 */
	r.status = 2;
	r.esc[0] = '\0';
	relay_txn_result(&r, &res);
	assert_int_equal(res.outcome, MDA_OK);
	assert_int_equal(res.esc_class, 2);
	assert_int_equal(res.esc_subject, 0);
	assert_int_equal(res.esc_detail, 0);
}

static void
test_esc_parse(void **state)
{
	uint8_t c;
	uint16_t s, d;

	(void)state;
	assert_int_equal(esc_parse("4.4.1 no answer", &c, &s, &d), 5);
	assert_int_equal(c, 4);
	assert_int_equal(s, 4);
	assert_int_equal(d, 1);
	assert_int_equal(esc_parse("5.1.10", &c, &s, &d), 6);
	assert_int_equal(d, 10);
	assert_int_equal(esc_parse("5.123.456 x", &c, &s, &d), 9);
	assert_int_equal(s, 123);
	assert_int_equal(d, 456);
	assert_int_equal(esc_parse("3.1.1 x", &c, &s, &d), 0);
	assert_int_equal(esc_parse("550 5.1.1", &c, &s, &d), 0);
	assert_int_equal(esc_parse("5.1.1x", &c, &s, &d), 0);
	assert_int_equal(esc_parse("5.+1.1", &c, &s, &d), 0);
	assert_int_equal(esc_parse("5.1", &c, &s, &d), 0);
	assert_int_equal(esc_parse("", &c, &s, &d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_one_message),
		cmocka_unit_test(test_build_cap),
		cmocka_unit_test(test_needs_utf8),
		cmocka_unit_test(test_result_class),
		cmocka_unit_test(test_esc_parse),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

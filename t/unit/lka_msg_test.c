/*
 * lka_msg_test.c: unit tests for smtpd/lka_msg.c, the smtp <-> lookup
 * recipient check messages. Round trips at the field limits, everything
 * the encoder must refuse, and decoding of truncated, forged and random
 * bytes, which must fail cleanly (-1, zeroed struct) and never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpd/lka_msg.h"

/* Record types, as in lka_msg.c. */
#define Q_TAG		0x03
#define Q_HELO		0x04
#define Q_LOCAL_SRC	0x07
#define Q_TLS		0x09
#define Q_RCPT		0x0c
#define S_STATUS	0x02

static void	req_min(struct lka_rcpt_req *);
static void	req_max(struct lka_rcpt_req *);
static void	fill(char *, size_t, char);
static size_t	find_record(const uint8_t *, size_t, uint8_t, uint32_t *);
static void	expect_req_fail(const uint8_t *, size_t);
static int	is_zero(const void *, size_t);

static void
fill(char *dst, size_t size, char c)
{
	memset(dst, c, size - 1);
	dst[size - 1] = '\0';
}

static void
req_min(struct lka_rcpt_req *q)
{
	memset(q, 0, sizeof(*q));
	strlcpy(q->rcpt, "bob@example.org", sizeof(q->rcpt));
}

static void
req_max(struct lka_rcpt_req *q)
{
	memset(q, 0, sizeof(*q));
	q->session = UINT64_MAX;
	fill(q->tag, sizeof(q->tag), 'T');
	fill(q->helo, sizeof(q->helo), 'h');
	fill(q->listener_host, sizeof(q->listener_host), 'l');
	fill(q->src, sizeof(q->src), 's');
	q->local_src = 1;
	q->enqueue = 1;
	q->tls = 1;
	fill(q->auth_user, sizeof(q->auth_user), 'u');
	/* 64-octet local part and a 255-octet domain of 63-octet labels */
	memset(q->rcpt, 'r', 64);
	q->rcpt[64] = '@';
	memset(q->rcpt + 65, 'd', 255);
	q->rcpt[65 + 63] = q->rcpt[65 + 127] = q->rcpt[65 + 191] = '.';
	q->rcpt[65 + 255] = '\0';
	strlcpy(q->sender, q->rcpt, sizeof(q->sender));
	q->sender[0] = 'S';
}

static int
is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Offset of the value of the first record of `type`, its length in *lenp. */
static size_t
find_record(const uint8_t *buf, size_t len, uint8_t type, uint32_t *lenp)
{
	size_t off = 0;
	uint32_t n;

	while (off + 5 <= len) {
		n = (uint32_t)buf[off + 1] << 24 | (uint32_t)buf[off + 2] << 16 |
		    (uint32_t)buf[off + 3] << 8 | buf[off + 4];
		if (buf[off] == type) {
			*lenp = n;
			return off + 5;
		}
		off += 5 + n;
	}
	fail_msg("no record %u", type);
	return 0;
}

static void
expect_req_fail(const uint8_t *buf, size_t len)
{
	struct lka_rcpt_req q;

	memset(&q, 0xa5, sizeof(q));
	assert_int_equal(lka_rcpt_req_decode(buf, len, &q), -1);
	assert_true(is_zero(&q, sizeof(q)));
}

static void
test_req_roundtrip(void **state)
{
	struct lka_rcpt_req q, back;
	uint8_t *buf;
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		if (i == 0)
			req_min(&q);
		else if (i == 1)
			req_max(&q);
		else {
			memset(&q, 0, sizeof(q));
			q.session = 0x0123456789abcdefULL;
			strlcpy(q.src, "2001:db8::1", sizeof(q.src));
			strlcpy(q.rcpt, "postmaster", sizeof(q.rcpt));
			strlcpy(q.sender, "j\xc3\xb6rg@b\xc3\xbc" "cher.example",
			    sizeof(q.sender));
			q.tls = 1;
		}
		assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), 0);
		memset(&back, 0xa5, sizeof(back));
		assert_int_equal(lka_rcpt_req_decode(buf, len, &back), 0);
		assert_memory_equal(&q, &back, sizeof(q));
		free(buf);
	}
}

static void
test_req_encode_refuses(void **state)
{
	struct lka_rcpt_req q;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;

	(void)state;
	req_min(&q);
	q.rcpt[0] = '\0';
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	assert_null(buf);
	assert_int_equal(len, 0);

	req_min(&q);
	strlcpy(q.rcpt, "not an address", sizeof(q.rcpt));
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	req_min(&q);
	strlcpy(q.rcpt, "<bob@example.org>", sizeof(q.rcpt));
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	req_min(&q);
	strlcpy(q.sender, "@example.org", sizeof(q.sender));
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	req_min(&q);
	strlcpy(q.helo, "a\r\nMAIL FROM:<x>", sizeof(q.helo));
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	req_min(&q);
	strlcpy(q.tag, "a\x7f", sizeof(q.tag));
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	req_min(&q);
	q.tls = 2;
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	req_min(&q);
	q.local_src = -1;
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
	req_min(&q);
	memset(q.auth_user, 'u', sizeof(q.auth_user));	/* no NUL */
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), -1);
}

static void
test_req_truncated(void **state)
{
	struct lka_rcpt_req q;
	uint8_t *buf, *copy;
	size_t len, n;

	(void)state;
	req_max(&q);
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), 0);
	/* Every prefix, in an exactly sized buffer (ASan sees overreads). */
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		expect_req_fail(copy, n);
		free(copy);
	}
	copy = malloc(len + 1);
	memcpy(copy, buf, len);
	copy[len] = 0;
	expect_req_fail(copy, len + 1);		/* trailing byte */
	free(copy);
	expect_req_fail(NULL, 0);
	free(buf);
}

static void
test_req_forged(void **state)
{
	struct lka_rcpt_req q;
	struct lka_rcpt_res r;
	uint8_t *buf, *rbuf;
	size_t len, rlen, off;
	uint32_t n;

	(void)state;
	req_min(&q);
	strlcpy(q.helo, "client.example", sizeof(q.helo));
	strlcpy(q.tag, "TAG", sizeof(q.tag));
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), 0);

	/* NUL, CR and LF inside strings. */
	off = find_record(buf, len, Q_HELO, &n);
	buf[off + 3] = '\0';
	expect_req_fail(buf, len);
	buf[off + 3] = '\r';
	expect_req_fail(buf, len);
	buf[off + 3] = '\n';
	expect_req_fail(buf, len);
	buf[off + 3] = 'e';

	/* A boolean that is not 0 or 1. */
	off = find_record(buf, len, Q_TLS, &n);
	buf[off] = 2;
	expect_req_fail(buf, len);
	buf[off] = 0;
	off = find_record(buf, len, Q_LOCAL_SRC, &n);
	buf[off] = 0xff;
	expect_req_fail(buf, len);
	buf[off] = 0;

	/* A record type duplicated (TAG turned into HELO). */
	off = find_record(buf, len, Q_TAG, &n);
	buf[off - 5] = Q_HELO;
	expect_req_fail(buf, len);
	buf[off - 5] = 0x7e;			/* unknown type */
	expect_req_fail(buf, len);
	buf[off - 5] = Q_TAG;

	/* A length that runs past the end. */
	off = find_record(buf, len, Q_RCPT, &n);
	buf[off - 1] = (uint8_t)(n + 1);
	expect_req_fail(buf, len);
	buf[off - 1] = (uint8_t)n;

	/* The recipient rewritten into something that is not an address. */
	buf[off + 3] = '<';
	expect_req_fail(buf, len);
	buf[off + 3] = '@';
	buf[off] = '@';
	expect_req_fail(buf, len);

	/* A result is not a request, and the other way round. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(lka_rcpt_res_encode(&r, &rbuf, &rlen), 0);
	expect_req_fail(rbuf, rlen);
	assert_int_equal(lka_rcpt_res_decode(buf, len, &r), -1);
	free(rbuf);
	free(buf);
}

/* Flip every bit of a valid request: never a crash, and whatever
 * decodes is something the encoder accepts too. */
static void
test_req_bitflips(void **state)
{
	struct lka_rcpt_req q;
	uint8_t *buf, *again;
	size_t len, alen, i;
	int bit;

	(void)state;
	req_min(&q);
	strlcpy(q.helo, "c.example", sizeof(q.helo));
	assert_int_equal(lka_rcpt_req_encode(&q, &buf, &len), 0);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= 1 << bit;
			if (lka_rcpt_req_decode(buf, len, &q) == 0) {
				assert_int_equal(lka_rcpt_req_encode(&q,
				    &again, &alen), 0);
				free(again);
			}
			buf[i] ^= 1 << bit;
		}
	free(buf);
}

static void
test_garbage(void **state)
{
	struct lka_rcpt_req q;
	struct lka_rcpt_res r;
	uint8_t buf[512];
	size_t i, len;
	unsigned int seed = 42;

	(void)state;
	for (i = 0; i < 20000; i++) {
		len = (size_t)rand_r(&seed) % sizeof(buf);
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		/* Half of them start like a real stream. */
		if (i % 2 && len >= 9) {
			memcpy(buf, "\x01\0\0\0\x08" "LKR", 8);
			buf[8] = i % 4 == 1 ? 'Q' : 'S';
		}
		assert_int_equal(lka_rcpt_req_decode(buf, len, &q), -1);
		assert_int_equal(lka_rcpt_res_decode(buf, len, &r), -1);
	}
}

static void
test_res(void **state)
{
	static const struct lka_rcpt_res good[] = {
		{ LKA_OK, 1, "" },
		{ LKA_OK, 0, "" },
		{ LKA_OK, 1000, "" },
		{ LKA_REJECT, 0, "550 5.1.1 Invalid recipient" },
		{ LKA_REJECT, 0, "550 5.7.1 Relay denied" },
		{ LKA_REJECT, 0, "524 5.2.4 Mailing list expansion problem" },
		{ LKA_TEMPFAIL, 0, "451 4.3.0 Temporary failure" },
		{ LKA_TEMPFAIL, 0, "451" },
	};
	static const struct lka_rcpt_res bad[] = {
		{ LKA_OK, 1, "250 ok" },
		{ LKA_REJECT, 0, "" },
		{ LKA_REJECT, 0, "451 4.3.0 Temporary failure" },
		{ LKA_REJECT, 1, "550 5.1.1 Invalid recipient" },
		{ LKA_REJECT, 0, "55" },
		{ LKA_REJECT, 0, "5x0 oops" },
		{ LKA_REJECT, 0, "550-5.1.1 continued" },
		{ LKA_REJECT, 0, "550 a\r\n250 forged" },
		{ LKA_TEMPFAIL, 0, "550 5.1.1 Invalid recipient" },
		{ 3, 0, "550 5.1.1 Invalid recipient" },
		{ UINT32_MAX, 0, "" },
	};
	struct lka_rcpt_res r, back;
	uint8_t *buf, *copy;
	size_t i, len, n;
	uint32_t flen;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(lka_rcpt_res_encode(&good[i], &buf, &len), 0);
		memset(&back, 0xa5, sizeof(back));
		assert_int_equal(lka_rcpt_res_decode(buf, len, &back), 0);
		assert_int_equal(back.status, good[i].status);
		assert_int_equal(back.nexpansions, good[i].nexpansions);
		assert_string_equal(back.reply, good[i].reply);
		free(buf);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lka_rcpt_res_encode(&bad[i], &buf, &len) != -1)
			fail_msg("bad result %zu encoded", i);
		assert_null(buf);
	}

	/* Over-long reply (no NUL in the array). */
	memset(&r, 0, sizeof(r));
	r.status = LKA_REJECT;
	memset(r.reply, '5', sizeof(r.reply));
	assert_int_equal(lka_rcpt_res_encode(&r, &buf, &len), -1);

	/* Truncation and a forged status on the wire. */
	assert_int_equal(lka_rcpt_res_encode(&good[3], &buf, &len), 0);
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		memset(&r, 0xa5, sizeof(r));
		assert_int_equal(lka_rcpt_res_decode(copy, n, &r), -1);
		assert_true(is_zero(&r, sizeof(r)));
		free(copy);
	}
	i = find_record(buf, len, S_STATUS, &flen);
	buf[i + 3] = LKA_OK;		/* OK with a 550 reply */
	assert_int_equal(lka_rcpt_res_decode(buf, len, &r), -1);
	buf[i + 3] = 9;
	assert_int_equal(lka_rcpt_res_decode(buf, len, &r), -1);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_roundtrip),
		cmocka_unit_test(test_req_encode_refuses),
		cmocka_unit_test(test_req_truncated),
		cmocka_unit_test(test_req_forged),
		cmocka_unit_test(test_req_bitflips),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_res),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

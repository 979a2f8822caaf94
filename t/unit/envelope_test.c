/*
 * envelope_test.c: unit tests for queue/envelope.c. Round trips with every
 * field at its limit, every corruption of a real encoded envelope the
 * decoder must refuse, validation rules, and attempts to forge a field
 * with CR, LF, NUL or record-like bytes in text.
 * With ENVELOPE_SEED_DIR set it also writes the fuzz seed corpus
 * (t/fuzz/corpus/envelope_fuzz/) there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/record.h"
#include "lib/addr.h"
#include "queue/envelope.h"

#define EVPID		0x1a2b3c4d9e8f7a6bULL
#define T_RCPT		0x0e	/* record types, as in envelope.c */
#define T_CTIME		0x17
#define T_ERRORLINE	0x1d

static void	fill(char *, size_t, char);
static void	env_min(struct envelope *);
static void	env_max(struct envelope *);
static void	roundtrip(const struct envelope *);
static uint8_t	*encode(const struct envelope *, size_t *);
static size_t	splice(uint8_t *, size_t, size_t, const uint8_t *, size_t,
		    uint8_t *);
static void	expect_fail(const uint8_t *, size_t, const char *);

static void
fill(char *dst, size_t len, char c)
{
	memset(dst, c, len);
	dst[len] = '\0';
}

static void
env_min(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->evpid = EVPID;
	e->type = ENVELOPE_MTA;
	strlcpy(e->dispatcher, "relay", sizeof(e->dispatcher));
	e->family = ENVELOPE_INET4;
	strlcpy(e->sockaddr, "192.0.2.7", sizeof(e->sockaddr));
	strlcpy(e->rcpt, "bob@example.net", sizeof(e->rcpt));
	strlcpy(e->dest, "bob@example.net", sizeof(e->dest));
	e->ctime = 1732180200;
	e->ttl = 4 * 86400;
}

/*
 * The longest address the envelope holds (256 octets) that is still a
 * valid RFC 5321 mailbox: a 64-octet local part and 63-octet labels.
 */
static void
fill_addr(char *buf, size_t max, char c)
{
	size_t i;

	fill(buf, max, c);
	buf[ADDR_LOCAL_MAX] = '@';
	for (i = ADDR_LOCAL_MAX + 1 + 63; i < max; i += 64)
		buf[i] = '.';
}

/* Every field present and as long or as large as it may be. */
static void
env_max(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->evpid = 0xffffffffffffffffULL;
	e->type = ENVELOPE_MDA;
	fill(e->dispatcher, ENVELOPE_NAME_MAX, 'd');
	fill(e->tag, ENVELOPE_TAG_MAX, 't');
	fill(e->smtpname, ENVELOPE_HOST_MAX, 's');
	fill(e->helo, ENVELOPE_HOST_MAX, 'h');
	fill(e->hostname, ENVELOPE_HOST_MAX, 'n');
	e->family = ENVELOPE_INET6;
	fill(e->sockaddr, ENVELOPE_SOCKADDR_MAX, 'z');	/* long scope */
	memcpy(e->sockaddr, "fe80::1:2:3:4%", 14);
	fill(e->username, ENVELOPE_USER_MAX, 'u');
	e->flags = ENVELOPE_F_ALL & ~ENVELOPE_F_BOUNCE;
	fill_addr(e->sender, ENVELOPE_ADDR_MAX, 'f');
	fill_addr(e->rcpt, ENVELOPE_ADDR_MAX, 'r');
	memcpy(e->rcpt, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xa7", 9); /* UTF-8 */
	fill_addr(e->dest, ENVELOPE_ADDR_MAX, 'e');
	fill(e->mda_user, ENVELOPE_USER_MAX, 'm');
	fill(e->mda_subaddress, ENVELOPE_ADDR_MAX, 'a');
	e->dsn_notify = ENVELOPE_DSN_SUCCESS | ENVELOPE_DSN_FAILURE |
	    ENVELOPE_DSN_DELAY;
	e->dsn_ret = ENVELOPE_RET_HDRS;
	fill(e->dsn_envid, ENVELOPE_ENVID_MAX, '~');
	e->dsn_orcpt_type = ENVELOPE_ORCPT_UTF8;
	fill(e->dsn_orcpt, ENVELOPE_ORCPT_MAX, 'o');
	e->ctime = ENVELOPE_TIME_MAX;
	e->ttl = ENVELOPE_TIME_MAX;
	e->lasttry = ENVELOPE_TIME_MAX;
	e->nexttry = ENVELOPE_TIME_MAX;
	e->lastbounce = ENVELOPE_TIME_MAX;
	e->retry = UINT32_MAX;
	fill(e->errorline, ENVELOPE_ERROR_MAX, 'x');
	e->errorline[0] = '\t';		/* controls other than CR LF NUL */
	e->errorline[1] = '\x7f';
	e->errorline[2] = '\xff';	/* remote text: not UTF-8 checked */
	e->esc_class = 5;
	e->esc_subject = ENVELOPE_ESC_MAX;
	e->esc_detail = ENVELOPE_ESC_MAX;
	fill(e->remote_mta, ENVELOPE_HOST_MAX, 'r');
	e->runflags = ENVELOPE_R_ALL;
}

static uint8_t *
encode(const struct envelope *e, size_t *len)
{
	char err[ENVELOPE_ERR_MAX] = "";
	uint8_t *buf;

	if (envelope_encode(e, &buf, len, err, sizeof(err)) == -1)
		fail_msg("encode: %s", err);
	return buf;
}

static void
roundtrip(const struct envelope *e)
{
	struct envelope d;
	char err[ENVELOPE_ERR_MAX] = "";
	uint8_t *buf, *buf2;
	size_t len, len2;

	buf = encode(e, &len);
	if (envelope_decode(buf, len, &d, err, sizeof(err)) == -1)
		fail_msg("decode: %s", err);
	assert_true(envelope_equal(e, &d));
	buf2 = encode(&d, &len2);		/* the encoding is canonical */
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	free(buf);
	free(buf2);
}

/* Replaces buf[off, off+cut) with ins; out must be large enough. */
static size_t
splice(uint8_t *buf, size_t len, size_t off, const uint8_t *ins,
    size_t inslen, uint8_t *out)
{
	memcpy(out, buf, off);
	memcpy(out + off, ins, inslen);
	memcpy(out + off + inslen, buf + off, len - off);
	return len + inslen;
}

static void
expect_fail(const uint8_t *buf, size_t len, const char *want)
{
	struct envelope d;
	char err[ENVELOPE_ERR_MAX] = "";
	uint8_t *copy;

	copy = NULL;
	if (buf != NULL) {
		copy = malloc(len ? len : 1);	/* exact size for ASan */
		memcpy(copy, buf, len);
	}
	memset(&d, 0x55, sizeof(d));
	assert_int_equal(envelope_decode(copy, len, &d, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("error \"%s\", wanted \"%s\"", err, want);
	assert_int_equal(d.evpid, 0);		/* zeroed on failure */
	assert_int_equal(d.rcpt[0], '\0');
	free(copy);
}

static void
test_roundtrip(void **state)
{
	struct envelope e;

	(void)state;
	env_min(&e);
	roundtrip(&e);
	env_max(&e);
	roundtrip(&e);

	env_min(&e);				/* a report to be sent */
	e.type = ENVELOPE_BOUNCE;
	e.dispatcher[0] = '\0';
	strlcpy(e.sender, "alice@example.org", sizeof(e.sender));
	e.bounce_type = ENVELOPE_BOUNCE_DELAYED;
	e.bounce_delay = 4 * 3600;
	e.bounce_ttl = ENVELOPE_TIME_MAX;
	e.family = ENVELOPE_LOCAL;
	strlcpy(e.sockaddr, "local", sizeof(e.sockaddr));
	roundtrip(&e);

	env_min(&e);				/* the report itself */
	e.flags = ENVELOPE_F_BOUNCE | ENVELOPE_F_INTERNAL;
	e.family = ENVELOPE_INET6;
	strlcpy(e.sockaddr, "::ffff:192.0.2.1", sizeof(e.sockaddr));
	e.dsn_notify = ENVELOPE_DSN_NEVER;
	e.dsn_orcpt_type = ENVELOPE_ORCPT_RFC822;
	strlcpy(e.dsn_orcpt, "\"quoted local\"@example.net",
	    sizeof(e.dsn_orcpt));
	e.esc_class = 4;
	strlcpy(e.errorline, "421 4.7.0 Try again later",
	    sizeof(e.errorline));
	strlcpy(e.remote_mta, "mx1.example.net", sizeof(e.remote_mta));
	roundtrip(&e);

	assert_int_equal(envelope_msgid(&e), 0x1a2b3c4d);
	assert_true(envelope_expire(&e) == 1732180200 + 4 * 86400);
}

static void
test_encode_refuses(void **state)
{
	struct envelope e;
	char err[ENVELOPE_ERR_MAX];
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;

	(void)state;
	env_max(&e);			/* no NUL: too long, not truncated */
	memset(e.rcpt, 'r', sizeof(e.rcpt));
	assert_int_equal(envelope_encode(&e, &buf, &len, err, sizeof(err)),
	    -1);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_string_equal(err, "bad rcpt");

	env_max(&e);
	memset(e.errorline, 'x', sizeof(e.errorline));
	assert_int_equal(envelope_encode(&e, &buf, &len, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "bad errorline");

	env_max(&e);
	memset(e.tag, 't', sizeof(e.tag));
	assert_int_equal(envelope_encode(&e, &buf, &len, NULL, 0), -1);
}

static void
test_validate(void **state)
{
	struct envelope e;
	char err[ENVELOPE_ERR_MAX];

	(void)state;
#define BAD(stmt, want) do {						\
	env_min(&e);							\
	stmt;								\
	assert_int_equal(envelope_validate(&e, err, sizeof(err)), -1);	\
	if (strstr(err, (want)) == NULL)				\
		fail_msg("%s: error \"%s\", wanted \"%s\"", #stmt, err,	\
		    (want));						\
} while (0)
	env_min(&e);
	assert_int_equal(envelope_validate(&e, err, sizeof(err)), 0);

	BAD(e.evpid = 0, "bad evpid");
	BAD(e.evpid = 0x00000000deadbeefULL, "bad evpid");
	BAD(e.evpid = 0xdeadbeef00000000ULL, "bad evpid");
	BAD(e.type = 0, "bad type");
	BAD(e.type = 4, "bad type");
	BAD(e.dispatcher[0] = '\0', "missing dispatcher");
	BAD(strlcpy(e.dispatcher, "a\tb", sizeof(e.dispatcher)),
	    "bad dispatcher");
	BAD(strlcpy(e.helo, "a\x1b[2Jb", sizeof(e.helo)), "bad helo");
	BAD(e.family = 0, "bad sockaddr");
	BAD(strlcpy(e.sockaddr, "192.0.2.256", sizeof(e.sockaddr)),
	    "bad sockaddr");
	BAD(strlcpy(e.sockaddr, "::1", sizeof(e.sockaddr)), "bad sockaddr");
	BAD((e.family = ENVELOPE_INET6, strlcpy(e.sockaddr, "::1%",
	    sizeof(e.sockaddr))), "bad sockaddr");
	BAD((e.family = ENVELOPE_INET6, strlcpy(e.sockaddr, "::1%a b",
	    sizeof(e.sockaddr))), "bad sockaddr");
	BAD((e.family = ENVELOPE_LOCAL, e.sockaddr[0] = '\0'), "bad sockaddr");
	BAD(e.flags = 0x100, "bad flags");
	BAD(e.flags = ENVELOPE_F_AUTH, "auth flag");
	BAD(strlcpy(e.username, "joe", sizeof(e.username)), "auth flag");
	BAD(e.rcpt[0] = '\0', "empty rcpt");
	BAD(e.dest[0] = '\0', "empty rcpt");
	BAD(strlcpy(e.rcpt, "a b\x7f@x", sizeof(e.rcpt)), "bad rcpt");
	BAD(strlcpy(e.rcpt, "\xc3\x28@x", sizeof(e.rcpt)), "bad rcpt");
	BAD(strlcpy(e.dest, "\xed\xa0\x80@x", sizeof(e.dest)), "bad dest");
	BAD(strlcpy(e.sender, "\xc0\xaf@x", sizeof(e.sender)), "bad sender");
	BAD((e.flags = ENVELOPE_F_BOUNCE, strlcpy(e.sender, "a@b",
	    sizeof(e.sender))), "report with a sender");
	BAD((e.type = ENVELOPE_BOUNCE, e.bounce_type = ENVELOPE_BOUNCE_FAILED),
	    "bounce to the null sender");
	BAD(strlcpy(e.mda_user, "joe", sizeof(e.mda_user)), "mda fields");
	BAD(e.dsn_notify = 0x10, "bad dsn-notify");
	BAD(e.dsn_notify = ENVELOPE_DSN_NEVER | ENVELOPE_DSN_DELAY,
	    "bad dsn-notify");
	BAD(e.dsn_ret = 3, "bad dsn-ret");
	BAD(strlcpy(e.dsn_envid, "caf\xc3\xa9", sizeof(e.dsn_envid)),
	    "bad dsn_envid");
	BAD(e.dsn_orcpt_type = 3, "bad dsn-orcpt type");
	BAD(e.dsn_orcpt_type = ENVELOPE_ORCPT_RFC822, "disagree");
	BAD(strlcpy(e.dsn_orcpt, "a@b", sizeof(e.dsn_orcpt)), "disagree");
	BAD(e.ctime = 0, "bad ctime");
	BAD(e.ctime = -1, "bad ctime");
	BAD(e.ttl = ENVELOPE_TIME_MAX + 1, "bad ttl");
	BAD(e.lasttry = -5, "bad lasttry");
	BAD(e.esc_class = 3, "enhanced status");
	BAD(e.esc_subject = 1, "enhanced status");
	BAD((e.esc_class = 4, e.esc_detail = 1000), "enhanced status");
	BAD(e.runflags = 0x8, "bad runflags");
	BAD(e.bounce_type = 4, "bad bounce-type");
	BAD(e.bounce_type = ENVELOPE_BOUNCE_FAILED, "disagree");
	BAD(e.bounce_delay = 1, "bounce fields");
	BAD(strlcpy(e.errorline, "a\rb", sizeof(e.errorline)), "errorline");
	BAD(strlcpy(e.errorline, "a\nb", sizeof(e.errorline)), "errorline");
#undef BAD
}

static void
test_truncated_everywhere(void **state)
{
	struct envelope e;
	uint8_t *buf;
	size_t len, cut;

	(void)state;
	env_max(&e);
	buf = encode(&e, &len);
	for (cut = 0; cut < len; cut++)
		expect_fail(buf, cut, NULL);
	free(buf);
}

static void
test_corrupt(void **state)
{
	struct envelope e;
	uint8_t *buf, out[8192];
	uint8_t dup[] = { T_RCPT, 0, 0, 0, 3, 'a', '@', 'b' };
	uint8_t unk[] = { 0xee, 0, 0, 0, 1, 'x' };
	uint8_t nul[] = { T_ERRORLINE, 0, 0, 0, 3, 'a', 0, 'b' };
	uint8_t big[RECORD_HDR_LEN + ENVELOPE_ADDR_MAX + 1];
	uint8_t late[] = { T_CTIME, 0, 0, 0, 8, 0, 0, 0x01, 0, 0, 0, 0, 0 };
	size_t len, n, end;

	(void)state;
	env_min(&e);
	buf = encode(&e, &len);
	end = len - RECORD_HDR_LEN;	/* offset of the END record */

	memcpy(out, buf, len);		/* wrong version */
	out[RECORD_HDR_LEN + 7] = ENVELOPE_VERSION + 1;
	expect_fail(out, len, "bad version 4");

	memcpy(out, buf, len);		/* wrong magic */
	out[RECORD_HDR_LEN] ^= 0x20;
	expect_fail(out, len, "bad magic");

	n = splice(buf, len, end, dup, sizeof(dup), out);
	expect_fail(out, n, "duplicate field rcpt");

	n = splice(buf, len, end, unk, sizeof(unk), out);
	expect_fail(out, n, "unknown record type 238");

	expect_fail(buf, end, "missing END");

	memcpy(out, buf, len);
	out[len] = 0;
	expect_fail(out, len + 1, "trailing bytes after END");
	n = splice(buf, len, len, dup, sizeof(dup), out);
	expect_fail(out, n, "trailing bytes after END");

	n = splice(buf, len, end, nul, sizeof(nul), out);
	expect_fail(out, n, "field errorline contains NUL");

	memset(big, 'a', sizeof(big));	/* a 257-byte errorline is fine, */
	big[0] = T_ERRORLINE;		/* a 257-byte address is not */
	big[1] = big[2] = 0;
	big[3] = (ENVELOPE_ADDR_MAX + 1) >> 8;
	big[4] = (ENVELOPE_ADDR_MAX + 1) & 0xff;
	n = splice(buf, len, end, big, sizeof(big), out);
	assert_int_equal(envelope_decode(out, n, &e, NULL, 0), 0);
	big[0] = 0x0d;			/* sender */
	n = splice(buf, len, end, big, sizeof(big), out);
	expect_fail(out, n, "field sender too long (257 > 256)");

	n = splice(buf, len, end, late, sizeof(late), out);	/* 2nd ctime */
	expect_fail(out, n, "duplicate field ctime");

	/* semantic checks run again after decoding */
	memcpy(out, buf, len);		/* evpid with its low half 0 */
	assert_int_equal(out[RECORD_HDR_LEN + 8], 0x02);	/* evpid */
	memset(out + RECORD_HDR_LEN + 8 + RECORD_HDR_LEN + 4, 0, 4);
	expect_fail(out, len, "bad evpid");

	expect_fail(NULL, 0, "truncated");
	free(buf);
}

/* A time field written past the cap, through a raw record stream. */
static void
test_time_out_of_range(void **state)
{
	struct envelope e;
	uint8_t *buf, out[4096];
	size_t len, off;

	(void)state;
	env_min(&e);
	buf = encode(&e, &len);
	/* find the ctime record and set its top byte */
	for (off = RECORD_HDR_LEN + 8; off < len; ) {
		size_t rl = (size_t)buf[off + 1] << 24 |
		    (size_t)buf[off + 2] << 16 | (size_t)buf[off + 3] << 8 |
		    buf[off + 4];
		if (buf[off] == T_CTIME)
			break;
		off += RECORD_HDR_LEN + rl;
	}
	assert_true(off < len);
	memcpy(out, buf, len);
	out[off + RECORD_HDR_LEN] = 0x80;	/* > INT64_MAX as time_t */
	expect_fail(out, len, "field ctime out of range");
	out[off + RECORD_HDR_LEN] = 0x00;
	out[off + RECORD_HDR_LEN + 2] = 0x01;	/* 2^40: just past the cap */
	expect_fail(out, len, "field ctime out of range");
	free(buf);
}

static void
test_forging(void **state)
{
	struct envelope e, d;
	char err[ENVELOPE_ERR_MAX];
	uint8_t *buf;
	size_t len, i;
	int c, n;

	(void)state;
	/* header-style forgery and line breaks never get in */
	env_min(&e);
	strlcpy(e.rcpt, "bob@example.net\r\ndest: root@localhost",
	    sizeof(e.rcpt));
	assert_int_equal(envelope_encode(&e, &buf, &len, err, sizeof(err)),
	    -1);
	env_min(&e);
	strlcpy(e.helo, "x\nsender: evil@example.com", sizeof(e.helo));
	assert_int_equal(envelope_encode(&e, &buf, &len, err, sizeof(err)),
	    -1);
	env_min(&e);			/* NUL hides the rest of the field */
	memcpy(e.sender, "a@b\0\x0e\0\0\0\x04root", 13);
	roundtrip(&e);
	buf = encode(&e, &len);
	assert_null(memmem(buf, len, "root", 4));
	free(buf);

	/* every byte a text field may hold, including record-like bytes */
	env_min(&e);
	for (i = 0, c = 1; c < 256 && i < ENVELOPE_ERROR_MAX; c++)
		if (c != '\r' && c != '\n')
			e.errorline[i++] = (char)c;
	n = snprintf(e.errorline + i, sizeof(e.errorline) - i,
	    "%c%c%c%c%c", 0x0e, 0x01, 0x01, 0x01, 0x04);
	assert_true(n == 5);
	buf = encode(&e, &len);
	assert_int_equal(envelope_decode(buf, len, &d, err, sizeof(err)), 0);
	assert_true(envelope_equal(&e, &d));
	assert_string_equal(d.rcpt, "bob@example.net");
	assert_string_equal(d.errorline, e.errorline);
	free(buf);
}

/* The bytes on disk must not drift: a spool outlives the binary. */
static void
test_golden(void **state)
{
	static const uint8_t golden[] = {
		0x01, 0, 0, 0, 8, 'E', 'N', 'V', 'L', 0, 0, 0, 3,
		0x02, 0, 0, 0, 8, 0x1a, 0x2b, 0x3c, 0x4d, 0x9e, 0x8f, 0x7a,
		    0x6b,
		0x03, 0, 0, 0, 1, ENVELOPE_MTA,
		0x09, 0, 0, 0, 1, ENVELOPE_INET4,
		0x0e, 0, 0, 0, 15, 'b', 'o', 'b', '@', 'e', 'x', 'a', 'm',
		    'p', 'l', 'e', '.', 'n', 'e', 't',
		0x0f, 0, 0, 0, 15, 'b', 'o', 'b', '@', 'e', 'x', 'a', 'm',
		    'p', 'l', 'e', '.', 'n', 'e', 't',
		0x17, 0, 0, 0, 8, 0, 0, 0, 0, 0x67, 0x3e, 0xf8, 0xe8,
		0x18, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0x05, 0x46, 0x00,
		0x04, 0, 0, 0, 5, 'r', 'e', 'l', 'a', 'y',
		0x0a, 0, 0, 0, 9, '1', '9', '2', '.', '0', '.', '2', '.', '7',
		0x00, 0, 0, 0, 0,
	};
	struct envelope e, d;
	uint8_t *buf;
	size_t len;

	(void)state;
	env_min(&e);
	buf = encode(&e, &len);
	assert_int_equal(len, sizeof(golden));
	assert_memory_equal(buf, golden, len);
	assert_int_equal(envelope_decode(golden, sizeof(golden), &d, NULL, 0),
	    0);
	assert_true(envelope_equal(&e, &d));
	free(buf);
}

/* ENVELOPE_SEED_DIR=t/fuzz/corpus/envelope_fuzz: write the seeds. */
static void
test_write_seeds(void **state)
{
	struct envelope e[12];
	const char *dir;
	char path[4096];
	uint8_t *buf;
	size_t len, i;
	FILE *fp;

	(void)state;
	if ((dir = getenv("ENVELOPE_SEED_DIR")) == NULL)
		return;		/* not a skip: TAP would print "not ok" */
	env_min(&e[0]);
	env_max(&e[1]);
	env_min(&e[2]);
	e[2].type = ENVELOPE_BOUNCE;
	e[2].dispatcher[0] = '\0';
	strlcpy(e[2].sender, "alice@example.org", sizeof(e[2].sender));
	e[2].bounce_type = ENVELOPE_BOUNCE_FAILED;
	e[2].bounce_ttl = 86400;
	e[3] = e[2];
	e[3].bounce_type = ENVELOPE_BOUNCE_DELAYED;
	e[3].bounce_delay = 14400;
	e[4] = e[2];
	e[4].bounce_type = ENVELOPE_BOUNCE_DELIVERED;
	env_min(&e[5]);
	e[5].type = ENVELOPE_MDA;
	strlcpy(e[5].dispatcher, "local mail", sizeof(e[5].dispatcher));
	strlcpy(e[5].mda_user, "bob", sizeof(e[5].mda_user));
	strlcpy(e[5].mda_subaddress, "lists", sizeof(e[5].mda_subaddress));
	e[5].family = ENVELOPE_LOCAL;
	strlcpy(e[5].sockaddr, "local", sizeof(e[5].sockaddr));
	env_min(&e[6]);
	e[6].flags = ENVELOPE_F_ESMTP | ENVELOPE_F_TLS | ENVELOPE_F_AUTH |
	    ENVELOPE_F_8BITMIME;
	strlcpy(e[6].username, "alice", sizeof(e[6].username));
	strlcpy(e[6].tag, "submission", sizeof(e[6].tag));
	strlcpy(e[6].helo, "client.example.org", sizeof(e[6].helo));
	strlcpy(e[6].hostname, "client.example.org", sizeof(e[6].hostname));
	strlcpy(e[6].smtpname, "mx.example.net", sizeof(e[6].smtpname));
	env_min(&e[7]);
	e[7].retry = 3;
	e[7].lasttry = 1732181100;
	e[7].nexttry = 1732181712;
	e[7].esc_class = 4;
	e[7].esc_subject = 7;
	strlcpy(e[7].errorline, "421 4.7.0 Try again later",
	    sizeof(e[7].errorline));
	e[7].runflags = ENVELOPE_R_INFLIGHT;
	env_min(&e[8]);
	e[8].dsn_notify = ENVELOPE_DSN_SUCCESS | ENVELOPE_DSN_FAILURE;
	e[8].dsn_ret = ENVELOPE_RET_FULL;
	strlcpy(e[8].dsn_envid, "QQ314159", sizeof(e[8].dsn_envid));
	e[8].dsn_orcpt_type = ENVELOPE_ORCPT_RFC822;
	strlcpy(e[8].dsn_orcpt, "bob@example.net", sizeof(e[8].dsn_orcpt));
	env_min(&e[9]);
	e[9].flags = ENVELOPE_F_SMTPUTF8 | ENVELOPE_F_ESMTP;
	strlcpy(e[9].rcpt, "j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	    sizeof(e[9].rcpt));
	e[9].family = ENVELOPE_INET6;
	strlcpy(e[9].sockaddr, "2001:db8::7", sizeof(e[9].sockaddr));
	env_min(&e[10]);
	e[10].flags = ENVELOPE_F_BOUNCE | ENVELOPE_F_INTERNAL;
	e[10].runflags = ENVELOPE_R_HOLD | ENVELOPE_R_SUSPEND;
	e[10].lastbounce = 1732194600;
	env_min(&e[11]);
	strlcpy(e[11].errorline, "550 5.1.1 <bob@example.net>: \tunknown",
	    sizeof(e[11].errorline));
	e[11].esc_class = 5;
	e[11].esc_subject = 1;
	e[11].esc_detail = 10;

	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		buf = encode(&e[i], &len);
		snprintf(path, sizeof(path), "%s/seed-%02zu", dir, i);
		assert_non_null(fp = fopen(path, "wb"));
		assert_int_equal(fwrite(buf, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_time_out_of_range),
		cmocka_unit_test(test_forging),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_write_seeds),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

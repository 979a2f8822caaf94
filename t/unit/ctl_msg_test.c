/*
 * ctl_msg_test.c: unit tests for smtpd/ctl_msg.c, the control protocol's
 * codec, and the small pure helpers around it (show stats keys and
 * uptime.human in smtpd/control_stats.c, smtpd/ctl_stat.c's key check).
 * Round trips of every command and of replies at their limits, what the
 * encoder must refuse, decoding of truncated, forged, flipped and random
 * bytes (-1 and a zeroed struct, never a crash), authorisation per
 * command, trace and profile words. With CTL_SEED_DIR set it also writes
 * the fuzz seed corpus (t/fuzz/corpus/ctl_msg_fuzz/) there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/log.h"
#include "smtpd/control.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/ctl_stat.h"

/* Record types, as in ctl_msg.c. */
#define Q_CMD		0x03
#define Q_IDKIND	0x04
#define Q_ARG		0x06
#define R_STATUS	0x03
#define R_LAST		0x04
#define R_TEXT		0x08
#define R_DATA		0x09

static int	is_zero(const void *, size_t);
static size_t	find_record(const uint8_t *, size_t, uint8_t, uint32_t *);
static void	req_make(struct ctl_request *, enum ctl_cmd, enum ctl_id_kind,
		    uint64_t, const char *);
static void	req_roundtrip(const struct ctl_request *);
static void	expect_req_fail(const uint8_t *, size_t);
static void	expect_rep_fail(const uint8_t *, size_t);

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
req_make(struct ctl_request *q, enum ctl_cmd cmd, enum ctl_id_kind kind,
    uint64_t id, const char *arg)
{
	memset(q, 0, sizeof(*q));
	q->version = CTL_PROTO_VERSION;
	q->cmd = cmd;
	q->idkind = kind;
	q->id = id;
	strlcpy(q->arg, arg, sizeof(q->arg));
}

static void
req_roundtrip(const struct ctl_request *q)
{
	struct ctl_request back;
	uint8_t *buf;
	size_t len;

	assert_int_equal(ctl_request_encode(q, &buf, &len), 0);
	assert_true(len <= CTL_FRAME_MAX);
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(ctl_request_decode(buf, len, &back), 0);
	assert_int_equal(back.version, q->version);
	assert_int_equal(back.cmd, q->cmd);
	assert_int_equal(back.idkind, q->idkind);
	assert_true(back.id == q->id);
	assert_string_equal(back.arg, q->arg);
	assert_int_equal(back.uid, q->uid);
	free(buf);
}

static void
expect_req_fail(const uint8_t *buf, size_t len)
{
	struct ctl_request q;

	memset(&q, 0xa5, sizeof(q));
	assert_int_equal(ctl_request_decode(buf, len, &q), -1);
	assert_true(is_zero(&q, sizeof(q)));
}

static void
expect_rep_fail(const uint8_t *buf, size_t len)
{
	struct ctl_reply r;

	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(ctl_reply_decode(buf, len, &r), -1);
	assert_true(is_zero(&r, sizeof(r)));
}

static void
test_req_roundtrip(void **state)
{
	static const struct {
		enum ctl_cmd		 cmd;
		enum ctl_id_kind	 kind;
		uint64_t		 id;
		const char		*arg;
	} ok[] = {
		{ CTL_SHOW_QUEUE, CTL_ID_NONE, 0, "" },
		{ CTL_SHOW_QUEUE, CTL_ID_MSGID, 0x1a2b3c4d, "" },
		{ CTL_SHOW_ENVELOPE, CTL_ID_EVPID, 0x1a2b3c4d9e8f7a6bULL, "" },
		{ CTL_SHOW_MESSAGE, CTL_ID_MSGID, 1, "" },
		{ CTL_SHOW_MESSAGE, CTL_ID_EVPID, 0xffffffffffffffffULL, "" },
		{ CTL_SHOW_STATS, CTL_ID_NONE, 0, "" },
		{ CTL_SHOW_STATUS, CTL_ID_NONE, 0, "" },
		{ CTL_PAUSE_ENVELOPE, CTL_ID_ALL, 0, "" },
		{ CTL_RESUME_ENVELOPE, CTL_ID_MSGID, 0xffffffff, "" },
		{ CTL_SCHEDULE, CTL_ID_EVPID, 0x0000000100000001ULL, "" },
		{ CTL_REMOVE, CTL_ID_ALL, 0, "" },
		{ CTL_PAUSE_MDA, CTL_ID_NONE, 0, "" },
		{ CTL_RESUME_MDA, CTL_ID_NONE, 0, "" },
		{ CTL_PAUSE_MTA, CTL_ID_NONE, 0, "" },
		{ CTL_RESUME_MTA, CTL_ID_NONE, 0, "" },
		{ CTL_PAUSE_SMTP, CTL_ID_NONE, 0, "" },
		{ CTL_RESUME_SMTP, CTL_ID_NONE, 0, "" },
		{ CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "aliases" },
		{ CTL_LOG_VERBOSE, CTL_ID_NONE, 0, "" },
		{ CTL_LOG_BRIEF, CTL_ID_NONE, 0, "" },
		{ CTL_TRACE, CTL_ID_NONE, 0, "smtp" },
		{ CTL_UNTRACE, CTL_ID_NONE, 0, "all" },
		{ CTL_SHOW_HOSTS, CTL_ID_NONE, 0, "" },
		{ CTL_SHOW_HOSTSTATS, CTL_ID_NONE, 0, "" },
		{ CTL_SHOW_RELAYS, CTL_ID_NONE, 0, "" },
		{ CTL_SHOW_ROUTES, CTL_ID_NONE, 0, "" },
		{ CTL_RESUME_ROUTE, CTL_ID_NONE, 0, "" },
		{ CTL_RESUME_ROUTE, CTL_ID_NONE, 0, "1f" },
		{ CTL_SMTP_SESSION, CTL_ID_NONE, 0, "" },
		{ CTL_MONITOR, CTL_ID_NONE, 0, "" },
		{ CTL_DISCOVER, CTL_ID_EVPID, 0x1a2b3c4d9e8f7a6bULL, "" },
		{ CTL_DISCOVER, CTL_ID_MSGID, 0x1a2b3c4d, "" },
		{ CTL_PROFILE, CTL_ID_NONE, 0, "imsg" },
		{ CTL_UNPROFILE, CTL_ID_NONE, 0, "queue" },
		/* the word is the parent's to check, like trace's */
		{ CTL_PROFILE, CTL_ID_NONE, 0, "bogus" },
	};
	struct ctl_request q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		req_make(&q, ok[i].cmd, ok[i].kind, ok[i].id, ok[i].arg);
		req_roundtrip(&q);
	}
	/* every command has a name; the version and uid are data */
	for (i = CTL_SHOW_QUEUE; i <= CTL_CMD_MAX; i++)
		assert_string_not_equal(ctl_cmd_name((enum ctl_cmd)i),
		    "unknown");
	req_make(&q, CTL_SHOW_STATS, CTL_ID_NONE, 0, "");
	q.version = 0xdeadbeef;
	q.uid = 65534;
	req_roundtrip(&q);
	/* the longest argument, UTF-8 allowed */
	req_make(&q, CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "");
	memset(q.arg, 't', CTL_ARG_MAX);
	q.arg[0] = '\xc3';
	q.arg[1] = '\xa9';
	q.arg[CTL_ARG_MAX] = '\0';
	req_roundtrip(&q);
}

static void
test_req_encode_refuses(void **state)
{
	struct ctl_request q;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;

	(void)state;
#define REFUSE(c, k, i, a) do {						\
	req_make(&q, c, k, i, a);					\
	assert_int_equal(ctl_request_encode(&q, &buf, &len), -1);	\
	assert_null(buf);						\
	assert_int_equal(len, 0);					\
} while (0)
	REFUSE(0, CTL_ID_NONE, 0, "");
	REFUSE(CTL_CMD_MAX + 1, CTL_ID_NONE, 0, "");
	REFUSE(CTL_SHOW_QUEUE, CTL_ID_EVPID, 0x100000001ULL, "");
	REFUSE(CTL_SHOW_QUEUE, CTL_ID_ALL, 0, "");
	REFUSE(CTL_SHOW_ENVELOPE, CTL_ID_MSGID, 1, "");
	REFUSE(CTL_SHOW_ENVELOPE, CTL_ID_NONE, 0, "");
	REFUSE(CTL_SHOW_MESSAGE, CTL_ID_ALL, 0, "");
	REFUSE(CTL_REMOVE, CTL_ID_NONE, 0, "");
	REFUSE(CTL_REMOVE, CTL_ID_MSGID, 0, "");
	REFUSE(CTL_REMOVE, CTL_ID_MSGID, 0x100000000ULL, "");
	REFUSE(CTL_REMOVE, CTL_ID_EVPID, 0x1a2b3c4d00000000ULL, "");
	REFUSE(CTL_REMOVE, CTL_ID_EVPID, 0x00000000deadbeefULL, "");
	REFUSE(CTL_REMOVE, CTL_ID_ALL, 1, "");
	REFUSE(CTL_SHOW_STATS, CTL_ID_NONE, 1, "");
	REFUSE(CTL_SHOW_STATS, CTL_ID_NONE, 0, "x");
	REFUSE(CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "");
	REFUSE(CTL_TRACE, CTL_ID_NONE, 0, "");
	REFUSE(CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "a\nb");
	REFUSE(CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "tab\there");
	REFUSE(CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "del\x7f");
	REFUSE(CTL_DISCOVER, CTL_ID_NONE, 0, "");
	REFUSE(CTL_DISCOVER, CTL_ID_ALL, 0, "");
	REFUSE(CTL_DISCOVER, CTL_ID_MSGID, 0, "");
	REFUSE(CTL_DISCOVER, CTL_ID_EVPID, 0x1a2b3c4d00000000ULL, "");
	REFUSE(CTL_DISCOVER, CTL_ID_MSGID, 0x1a2b3c4d, "x");
	REFUSE(CTL_PROFILE, CTL_ID_NONE, 0, "");
	REFUSE(CTL_UNPROFILE, CTL_ID_NONE, 0, "");
	REFUSE(CTL_PROFILE, CTL_ID_MSGID, 1, "imsg");
	REFUSE(CTL_UNPROFILE, CTL_ID_NONE, 0, "im\tsg");
#undef REFUSE
	req_make(&q, CTL_SHOW_QUEUE, (enum ctl_id_kind)4, 0, "");
	assert_int_equal(ctl_request_encode(&q, &buf, &len), -1);
	/* an argument without its NUL */
	req_make(&q, CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "");
	memset(q.arg, 'a', sizeof(q.arg));
	assert_int_equal(ctl_request_encode(&q, &buf, &len), -1);
}

static void
test_req_decode_refuses(void **state)
{
	struct ctl_request q;
	uint8_t *buf, *copy;
	size_t len, n, off;
	uint32_t flen;

	(void)state;
	req_make(&q, CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "aliases");
	assert_int_equal(ctl_request_encode(&q, &buf, &len), 0);
	/* every truncation */
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		expect_req_fail(copy, n);
		free(copy);
	}
	expect_req_fail(NULL, 0);
	/* a byte after END */
	copy = malloc(len + 1);
	memcpy(copy, buf, len);
	copy[len] = 0;
	expect_req_fail(copy, len + 1);
	free(copy);
	/* forged fields the encoder would refuse */
	off = find_record(buf, len, Q_CMD, &flen);
	buf[off + 3] = 0;
	expect_req_fail(buf, len);
	buf[off + 3] = CTL_CMD_MAX + 1;
	expect_req_fail(buf, len);
	buf[off + 3] = CTL_SHOW_STATS;		/* with an argument */
	expect_req_fail(buf, len);
	buf[off + 3] = CTL_UPDATE_TABLE;
	off = find_record(buf, len, Q_IDKIND, &flen);
	buf[off] = CTL_ID_ALL;
	expect_req_fail(buf, len);
	buf[off] = 9;
	expect_req_fail(buf, len);
	buf[off] = CTL_ID_NONE;
	off = find_record(buf, len, Q_ARG, &flen);
	buf[off + 2] = '\n';
	expect_req_fail(buf, len);
	buf[off + 2] = '\0';
	expect_req_fail(buf, len);
	buf[off + 2] = 'i';
	/* intact again */
	assert_int_equal(ctl_request_decode(buf, len, &q), 0);
	/* the other schema's magic */
	buf[5] ^= 0x01;
	expect_req_fail(buf, len);
	free(buf);
}

static void
test_rep_roundtrip(void **state)
{
	struct ctl_reply r, back;
	static uint8_t data[CTL_DATA_MAX];
	uint8_t *buf;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);	/* NUL bytes included */
	memset(&r, 0, sizeof(r));
	r.version = CTL_PROTO_VERSION;
	r.status = CTL_OK;
	r.count = UINT64_MAX;
	r.delay = -612;
	r.runstate = 3;
	memset(r.text, 'k', CTL_TEXT_MAX);
	r.data = data;
	r.datalen = sizeof(data);
	assert_int_equal(ctl_reply_encode(&r, &buf, &len), 0);
	assert_true(len <= CTL_FRAME_MAX);
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(ctl_reply_decode(buf, len, &back), 0);
	assert_int_equal(back.status, CTL_OK);
	assert_int_equal(back.last, 0);
	assert_true(back.count == UINT64_MAX);
	assert_true(back.delay == -612);
	assert_int_equal(back.runstate, 3);
	assert_string_equal(back.text, r.text);
	assert_int_equal(back.datalen, sizeof(data));
	assert_memory_equal(back.data, data, sizeof(data));
	assert_true(back.data >= buf && back.data < buf + len);
	free(buf);

	/* every status, as the last frame without data */
	for (i = CTL_OK; i <= CTL_NOTFOUND; i++) {
		memset(&r, 0, sizeof(r));
		r.version = CTL_PROTO_VERSION;
		r.status = (enum ctl_status)i;
		r.last = 1;
		ctl_reply_text(&r, "reason %zu", i);
		assert_int_equal(ctl_reply_encode(&r, &buf, &len), 0);
		assert_int_equal(ctl_reply_decode(buf, len, &back), 0);
		assert_int_equal(back.status, i);
		assert_int_equal(back.last, 1);
		assert_null(back.data);
		assert_int_equal(back.datalen, 0);
		free(buf);
	}
}

static void
test_rep_refuses(void **state)
{
	struct ctl_reply r;
	uint8_t *buf, *copy, one = 1;
	size_t len, n, off;
	uint32_t flen;

	(void)state;
#define REFUSE() do {							\
	assert_int_equal(ctl_reply_encode(&r, &buf, &len), -1);		\
	assert_null(buf);						\
} while (0)
	memset(&r, 0, sizeof(r));
	r.status = (enum ctl_status)(CTL_NOTFOUND + 1);
	r.last = 1;
	REFUSE();
	r.status = CTL_FAIL;
	r.last = 0;			/* an error ends the request */
	REFUSE();
	r.last = 1;
	r.data = &one;
	r.datalen = 1;			/* an error carries no data */
	REFUSE();
	r.status = CTL_OK;
	r.last = 2;
	REFUSE();
	r.last = 0;
	r.runstate = 4;
	REFUSE();
	r.runstate = 0;
	r.data = NULL;			/* a length without data */
	REFUSE();
	r.datalen = CTL_DATA_MAX + 1;
	r.data = malloc(r.datalen);
	REFUSE();
	free((void *)r.data);
	r.data = NULL;
	r.datalen = 0;
	strlcpy(r.text, "two\nlines", sizeof(r.text));
	REFUSE();
	memset(r.text, 'x', sizeof(r.text));	/* no NUL */
	REFUSE();
#undef REFUSE

	/* decoding: truncations, forged status, an empty data record */
	memset(&r, 0, sizeof(r));
	r.version = CTL_PROTO_VERSION;
	r.data = &one;
	r.datalen = 1;
	ctl_reply_text(&r, "ok");
	assert_int_equal(ctl_reply_encode(&r, &buf, &len), 0);
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		expect_rep_fail(copy, n);
		free(copy);
	}
	off = find_record(buf, len, R_STATUS, &flen);
	buf[off + 3] = CTL_FAIL;		/* an error with data */
	expect_rep_fail(buf, len);
	buf[off + 3] = 7;
	expect_rep_fail(buf, len);
	buf[off + 3] = CTL_OK;
	off = find_record(buf, len, R_LAST, &flen);
	buf[off] = 2;
	expect_rep_fail(buf, len);
	buf[off] = 0;
	off = find_record(buf, len, R_TEXT, &flen);
	buf[off] = '\r';
	expect_rep_fail(buf, len);
	buf[off] = 'o';
	assert_int_equal(ctl_reply_decode(buf, len, &r), 0);
	free(buf);
	/* a data record of length 0, which the encoder never writes */
	memset(&r, 0, sizeof(r));
	r.version = CTL_PROTO_VERSION;
	assert_int_equal(ctl_reply_encode(&r, &buf, &len), 0);
	copy = malloc(len + 6);
	memcpy(copy, buf, len - 5);
	memcpy(copy + len - 5, "\x09\0\0\0\0", 5);
	memcpy(copy + len, buf + len - 5, 5);	/* END */
	expect_rep_fail(copy, len + 5);
	copy[len - 1] = 1;			/* one byte: fine */
	memmove(copy + len + 1, copy + len, 5);
	copy[len] = 'x';
	assert_int_equal(ctl_reply_decode(copy, len + 6, &r), 0);
	assert_int_equal(r.datalen, 1);
	free(copy);
	free(buf);
}

static void
test_garbage(void **state)
{
	struct ctl_request q, good;
	struct ctl_reply r;
	uint8_t *buf, *copy;
	size_t len, i, bit;
	unsigned int seed = 6;
	uint8_t junk[512];

	(void)state;
	for (i = 0; i < 2000; i++) {
		for (len = 0; len < sizeof(junk); len++)
			junk[len] = (uint8_t)rand_r(&seed);
		len = (size_t)rand_r(&seed) % sizeof(junk);
		if (ctl_request_decode(junk, len, &q) == -1)
			assert_true(is_zero(&q, sizeof(q)));
		if (ctl_reply_decode(junk, len, &r) == -1)
			assert_true(is_zero(&r, sizeof(r)));
	}
	/* single bit flips of a good request: refused or still valid */
	req_make(&good, CTL_REMOVE, CTL_ID_EVPID, 0x1a2b3c4d9e8f7a6bULL, "");
	assert_int_equal(ctl_request_encode(&good, &buf, &len), 0);
	copy = malloc(len);
	for (bit = 0; bit < len * 8; bit++) {
		memcpy(copy, buf, len);
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (ctl_request_decode(copy, len, &q) == 0) {
			uint8_t *b2;
			size_t l2;

			/* what decodes encodes to the same bytes */
			assert_int_equal(ctl_request_encode(&q, &b2, &l2), 0);
			assert_int_equal(l2, len);
			assert_memory_equal(b2, copy, len);
			free(b2);
		} else
			assert_true(is_zero(&q, sizeof(q)));
	}
	free(copy);
	free(buf);
}

static void
test_policy(void **state)
{
	int i, mask;

	(void)state;
	for (i = CTL_SHOW_QUEUE; i <= CTL_CMD_MAX; i++) {
		switch (i) {
		case CTL_SHOW_STATS:
		case CTL_SHOW_STATUS:
		case CTL_SMTP_SESSION:
		case CTL_MONITOR:
			assert_int_equal(ctl_cmd_needs_root(i), 0);
			break;
		default:
			assert_int_equal(ctl_cmd_needs_root(i), 1);
		}
	}
	assert_int_equal(ctl_cmd_needs_root(0), 1);
	assert_int_equal(ctl_cmd_needs_root(CTL_CMD_MAX + 1), 1);
	assert_string_equal(ctl_cmd_name(0), "unknown");
	assert_string_equal(ctl_cmd_name(CTL_REMOVE), "remove");
	assert_string_equal(ctl_cmd_name(CTL_DISCOVER), "discover");
	assert_string_equal(ctl_cmd_name(CTL_PROFILE), "profile");
	assert_string_equal(ctl_cmd_name(CTL_UNPROFILE), "unprofile");
	assert_int_equal(CTL_CMD_MAX, CTL_UNPROFILE);

	mask = 0;
	assert_int_equal(ctl_trace_word("mta", &mask), 0);
	assert_int_equal(mask, TRACE_TRANSFER);
	assert_int_equal(ctl_trace_word("smtp", &mask), 0);
	assert_int_equal(mask, TRACE_TRANSFER | TRACE_SMTP);
	mask = 0;
	assert_int_equal(ctl_trace_word("all", &mask), 0);
	assert_true((mask & (TRACE_IMSG | TRACE_QUEUE | TRACE_TABLES)) ==
	    (TRACE_IMSG | TRACE_QUEUE | TRACE_TABLES));
	mask = 0;
	assert_int_equal(ctl_trace_word("transfer", &mask), -1);
	assert_int_equal(ctl_trace_word("", &mask), -1);
	assert_int_equal(ctl_trace_word("SMTP", &mask), -1);
	assert_int_equal(mask, 0);

	/* smtpctl(8) profile: imsg and queue only */
	assert_int_equal(ctl_profile_word("imsg", &mask), 0);
	assert_int_equal(mask, PROFILE_IMSG);
	assert_int_equal(ctl_profile_word("queue", &mask), 0);
	assert_int_equal(mask, PROFILE_IMSG | PROFILE_QUEUE);
	mask = 0;
	assert_int_equal(ctl_profile_word("all", &mask), -1);
	assert_int_equal(ctl_profile_word("", &mask), -1);
	assert_int_equal(ctl_profile_word("IMSG", &mask), -1);
	assert_int_equal(ctl_profile_word("smtp", &mask), -1);
	assert_int_equal(mask, 0);
}

static void
test_text_and_stats(void **state)
{
	struct ctl_reply r;
	char h[64];

	(void)state;
	memset(&r, 0, sizeof(r));
	ctl_reply_text(&r, "a\tb\r\n%c", 0x7f);
	assert_string_equal(r.text, "a?b???");
	ctl_reply_text(&r, "%2000s", "x");
	assert_int_equal(strlen(r.text), CTL_TEXT_MAX);

	control_stats_human(h, sizeof(h), 0);
	assert_string_equal(h, "0s");
	control_stats_human(h, sizeof(h), -5);
	assert_string_equal(h, "0s");
	control_stats_human(h, sizeof(h), 60);
	assert_string_equal(h, "1m");
	control_stats_human(h, sizeof(h), 86401);
	assert_string_equal(h, "1d1s");
	control_stats_human(h, sizeof(h), 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	assert_string_equal(h, "2d3h4m5s");
	control_stats_human(h, sizeof(h), INT64_MAX);
	assert_string_equal(h, "106751991167300d15h30m7s");

	assert_int_equal(ctl_stat_key_ok("smtp.session.inet4", 64), 1);
	assert_int_equal(ctl_stat_key_ok("scheduler.delivery_ok-2", 64), 1);
	assert_int_equal(ctl_stat_key_ok("", 64), 0);
	assert_int_equal(ctl_stat_key_ok("Upper", 64), 0);
	assert_int_equal(ctl_stat_key_ok("sp ace", 64), 0);
	assert_int_equal(ctl_stat_key_ok("k=v", 64), 0);
	assert_int_equal(ctl_stat_key_ok("abcd", 4), 0);	/* no NUL */
}

/* The stats table of the control role: sorted, counted, digested. */
static void
test_stats_table(void **state)
{
	static const char *keys[] = { "smtp.session", "mda.user",
	    "scheduler.envelope", "bounce.envelope", "smtp.session" };
	struct control ctl;
	struct ctl_stat st;
	size_t i;

	(void)state;
	memset(&ctl, 0, sizeof(ctl));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memset(&st, 0, sizeof(st));
		strlcpy(st.key, keys[i], sizeof(st.key));
		st.op = CTL_STAT_INCREMENT;
		st.value = 2;
		assert_int_equal(control_stats_update(&ctl, &st), 0);
	}
	st.op = CTL_STAT_DECREMENT;
	st.value = 4;
	strlcpy(st.key, "smtp.session", sizeof(st.key));
	control_stats_update(&ctl, &st);
	strlcpy(st.key, "mda.user", sizeof(st.key));
	st.op = CTL_STAT_SET;
	st.value = 7;
	control_stats_update(&ctl, &st);
	assert_int_equal(ctl.nstats, 4);
	for (i = 1; i < ctl.nstats; i++)
		assert_true(strcmp(ctl.stats[i - 1].key, ctl.stats[i].key) < 0);
	assert_string_equal(ctl.stats[3].key, "smtp.session");
	assert_true(ctl.stats[3].value == 0);	/* touched: stays, as 0 */
	assert_true(ctl.stats[1].value == 7);
	assert_true(ctl.digest.connected == 4 && ctl.digest.disconnected == 4);
	assert_true(ctl.digest.enqueued == 2 && ctl.digest.dequeued == 0);
	/* a bounded table */
	for (i = 0; i < CONTROL_STATS_MAX + 10; i++) {
		snprintf(st.key, sizeof(st.key), "k.%04zu", i);
		assert_int_equal(control_stats_update(&ctl, &st), 0);
	}
	assert_int_equal(ctl.nstats, CONTROL_STATS_MAX);
	control_stats_free(&ctl);
}

/* CTL_SEED_DIR=t/fuzz/corpus/ctl_msg_fuzz: write the seeds. */
static void
test_write_seeds(void **state)
{
	static const uint8_t bytes[] = { 0, 1, 0xff, '\r', '\n', 'm' };
	struct ctl_request q[8], more[2];
	struct ctl_reply r[6];
	const char *dir;
	char path[4096];
	uint8_t *buf;
	size_t len, i, n = 0;
	FILE *fp;

	(void)state;
	if ((dir = getenv("CTL_SEED_DIR")) == NULL)
		return;		/* not a skip: TAP would print "not ok" */
	req_make(&q[0], CTL_SHOW_QUEUE, CTL_ID_NONE, 0, "");
	req_make(&q[1], CTL_SHOW_QUEUE, CTL_ID_MSGID, 0x1a2b3c4d, "");
	req_make(&q[2], CTL_REMOVE, CTL_ID_EVPID, 0x1a2b3c4d9e8f7a6bULL, "");
	req_make(&q[3], CTL_PAUSE_ENVELOPE, CTL_ID_ALL, 0, "");
	req_make(&q[4], CTL_UPDATE_TABLE, CTL_ID_NONE, 0, "aliases");
	req_make(&q[5], CTL_TRACE, CTL_ID_NONE, 0, "all");
	req_make(&q[6], CTL_SMTP_SESSION, CTL_ID_NONE, 0, "");
	q[6].uid = 1000;
	req_make(&q[7], CTL_SHOW_STATS, CTL_ID_NONE, 0, "");
	q[7].version = 2;
	for (i = 0; i < 6; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].version = CTL_PROTO_VERSION;
	}
	r[0].last = 1;
	r[1].status = CTL_DENIED;
	r[1].last = 1;
	ctl_reply_text(&r[1], "permission denied");
	ctl_reply_text(&r[2], "uptime.human=2d3h4m5s");
	r[3].data = bytes;
	r[3].datalen = sizeof(bytes);
	r[3].runstate = 1;
	r[3].delay = -3;
	r[4].status = CTL_UNAVAILABLE;
	r[4].last = 1;
	ctl_reply_text(&r[4], "not available: the relay client is not built "
	    "yet");
	r[5].last = 1;
	r[5].count = 2;
	req_make(&more[0], CTL_DISCOVER, CTL_ID_EVPID, 0x1a2b3c4d9e8f7a6bULL,
	    "");
	req_make(&more[1], CTL_PROFILE, CTL_ID_NONE, 0, "imsg");
	for (i = 0; i < 8 + 6 + 2; i++) {
		if (i < 8)
			assert_int_equal(ctl_request_encode(&q[i], &buf, &len),
			    0);
		else if (i < 8 + 6)
			assert_int_equal(ctl_reply_encode(&r[i - 8], &buf,
			    &len), 0);
		else
			assert_int_equal(ctl_request_encode(&more[i - 14],
			    &buf, &len), 0);
		snprintf(path, sizeof(path), "%s/seed-%02zu", dir, n++);
		assert_non_null(fp = fopen(path, "wb"));
		assert_int_equal(fwrite(buf, 1, len, fp), len);
		fclose(fp);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_roundtrip),
		cmocka_unit_test(test_req_encode_refuses),
		cmocka_unit_test(test_req_decode_refuses),
		cmocka_unit_test(test_rep_roundtrip),
		cmocka_unit_test(test_rep_refuses),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_text_and_stats),
		cmocka_unit_test(test_stats_table),
		cmocka_unit_test(test_write_seeds),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

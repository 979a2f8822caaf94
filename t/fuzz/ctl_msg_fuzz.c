/*
 * ctl_msg_fuzz.c: libFuzzer harness for the control protocol's codec
 * (smtpd/ctl_msg.c), which reads request frames from any local user and
 * reply frames from the roles. Each input is used three ways:
 *  1. as a request stream: if it decodes, it must encode back to exactly
 *     the same bytes (the encoding is canonical), and decode again to the
 *     same struct; if it does not, the struct must be all zero;
 *  2. the same as a reply stream;
 *  3. as raw material for a struct ctl_request and a struct ctl_reply:
 *     whatever encodes must decode back to an equal struct, and encode
 *     never writes more than CTL_FRAME_MAX.
 * Any disagreement abort()s. Seeds: t/fuzz/corpus/ctl_msg_fuzz/, written
 * by CTL_SEED_DIR=... t/unit/ctl_msg_test. Built with replay.c, `make
 * check` replays them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/ctl_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz {
	const uint8_t	*p;
	size_t		 n;
};

static uint8_t	fz_byte(struct fz *);
static uint64_t	fz_num(struct fz *, int);
static void	fz_str(struct fz *, char *, size_t);
static int	zero(const void *, size_t);
static int	req_equal(const struct ctl_request *, const struct ctl_request *);
static int	rep_equal(const struct ctl_reply *, const struct ctl_reply *);
static void	fuzz_request(const uint8_t *, size_t);
static void	fuzz_reply(const uint8_t *, size_t);
static void	fuzz_build(const uint8_t *, size_t);

static uint8_t
fz_byte(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

static uint64_t
fz_num(struct fz *f, int bytes)
{
	uint64_t v = 0;

	while (bytes-- > 0)
		v = v << 8 | fz_byte(f);
	return v;
}

/* Printable mostly, raw sometimes, unterminated rarely. */
static void
fz_str(struct fz *f, char *dst, size_t size)
{
	uint8_t mode = fz_byte(f);
	size_t len = fz_byte(f), i;
	uint8_t c;

	if (mode & 0x80)
		len = len * 4 + (mode & 3);
	if (len > size - 1)
		len = size - 1;
	for (i = 0; i < len; i++) {
		c = fz_byte(f);
		if ((mode & 0x70) != 0x70)
			c = 0x20 + c % 95;
		dst[i] = (char)c;
	}
	memset(dst + len, 0, size - len);
	if ((mode & 0x8f) == 0x8f)
		memset(dst, 'z', size);
}

static int
zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

static int
req_equal(const struct ctl_request *a, const struct ctl_request *b)
{
	return a->version == b->version && a->cmd == b->cmd &&
	    a->idkind == b->idkind && a->id == b->id && a->uid == b->uid &&
	    strcmp(a->arg, b->arg) == 0;
}

static int
rep_equal(const struct ctl_reply *a, const struct ctl_reply *b)
{
	return a->version == b->version && a->status == b->status &&
	    a->last == b->last && a->count == b->count &&
	    a->delay == b->delay && a->runstate == b->runstate &&
	    strcmp(a->text, b->text) == 0 && a->datalen == b->datalen &&
	    (a->datalen == 0 || memcmp(a->data, b->data, a->datalen) == 0);
}

static void
fuzz_request(const uint8_t *data, size_t size)
{
	struct ctl_request q, back;
	uint8_t *buf;
	size_t len;

	if (ctl_request_decode(data, size, &q) == -1) {
		if (!zero(&q, sizeof(q)))
			abort();
		return;
	}
	if (ctl_request_encode(&q, &buf, &len) == -1)
		abort();
	if (len != size || memcmp(buf, data, len) != 0)
		abort();
	if (ctl_request_decode(buf, len, &back) == -1 || !req_equal(&q, &back))
		abort();
	free(buf);
}

static void
fuzz_reply(const uint8_t *data, size_t size)
{
	struct ctl_reply r, back;
	uint8_t *buf;
	size_t len;

	if (ctl_reply_decode(data, size, &r) == -1) {
		if (!zero(&r, sizeof(r)))
			abort();
		return;
	}
	if (r.datalen > 0 && (r.data < data || r.data + r.datalen >
	    data + size))
		abort();
	if (ctl_reply_encode(&r, &buf, &len) == -1)
		abort();
	if (len != size || memcmp(buf, data, len) != 0)
		abort();
	if (ctl_reply_decode(buf, len, &back) == -1 || !rep_equal(&r, &back))
		abort();
	free(buf);
}

static void
fuzz_build(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct ctl_request q, qb;
	struct ctl_reply r, rb;
	uint8_t *buf;
	size_t len;

	memset(&q, 0, sizeof(q));
	q.version = fz_byte(&f) & 1 ? CTL_PROTO_VERSION : (uint32_t)fz_num(&f, 4);
	q.cmd = (enum ctl_cmd)(fz_byte(&f) % (CTL_CMD_MAX + 2));
	q.idkind = (enum ctl_id_kind)(fz_byte(&f) % 5);
	q.id = fz_num(&f, fz_byte(&f) % 9);
	fz_str(&f, q.arg, sizeof(q.arg));
	q.uid = (uint32_t)fz_num(&f, 2);
	if (ctl_request_encode(&q, &buf, &len) == 0) {
		if (len > CTL_FRAME_MAX || ctl_request_decode(buf, len,
		    &qb) == -1 || !req_equal(&q, &qb))
			abort();
		free(buf);
	}

	memset(&r, 0, sizeof(r));
	r.version = (uint32_t)fz_num(&f, 1);
	r.status = (enum ctl_status)(fz_byte(&f) % 6);
	r.last = fz_byte(&f) % 3;
	r.count = fz_num(&f, 8);
	r.delay = (int64_t)fz_num(&f, 8);
	r.runstate = fz_byte(&f) % 5;
	fz_str(&f, r.text, sizeof(r.text));
	r.datalen = f.n;
	r.data = f.n ? f.p : NULL;
	if (ctl_reply_encode(&r, &buf, &len) == 0) {
		if (len > CTL_FRAME_MAX || ctl_reply_decode(buf, len,
		    &rb) == -1 || !rep_equal(&r, &rb))
			abort();
		free(buf);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request(data, size);
	fuzz_reply(data, size);
	fuzz_build(data, size);
	return 0;
}

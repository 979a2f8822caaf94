/*
 * envelope_fuzz.c: libFuzzer harness for queue/envelope.c and the record
 * codec under it. Each input is used twice:
 *  1. as an encoded envelope: if it decodes, encoding the result must
 *     succeed, decode to an equal struct, and encode to the same bytes;
 *  2. as raw material for a struct envelope: validate and encode must
 *     agree, and whatever encodes must decode back to an equal struct.
 * Any disagreement abort()s. Seeds: t/fuzz/corpus/envelope_fuzz/, written
 * by ENVELOPE_SEED_DIR=... t/unit/envelope_test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz {
	const uint8_t	*p;
	size_t		 n;
};

static void	fuzz_decode(const uint8_t *, size_t);
static void	fuzz_build(const uint8_t *, size_t);
static uint8_t	fz_byte(struct fz *);
static uint64_t	fz_num(struct fz *, int);
static void	fz_str(struct fz *, char *, size_t);
static void	fuzz_fix(struct envelope *, uint8_t);

static void
fuzz_decode(const uint8_t *data, size_t size)
{
	struct envelope e, d;
	uint8_t *buf, *buf2;
	size_t len, len2;

	if (envelope_decode(data, size, &e, NULL, 0) == -1)
		return;
	if (envelope_encode(&e, &buf, &len, NULL, 0) == -1)
		abort();	/* decoded, so it must be representable */
	if (envelope_decode(buf, len, &d, NULL, 0) == -1)
		abort();
	if (!envelope_equal(&e, &d))
		abort();
	if (envelope_encode(&d, &buf2, &len2, NULL, 0) == -1)
		abort();
	if (len != len2 || memcmp(buf, buf2, len) != 0)
		abort();	/* our own encoding is canonical */
	free(buf);
	free(buf2);
}

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

/*
 * A string for a field of size bytes. The mode byte picks the length
 * scale, printable or raw bytes, and sometimes no terminator at all.
 */
static void
fz_str(struct fz *f, char *dst, size_t size)
{
	uint8_t mode = fz_byte(f);
	size_t len, i;
	uint8_t c;

	len = fz_byte(f);
	if (mode & 0x80)
		len = len * 4 + (mode & 3);
	if (len > size - 1)
		len = size - 1;
	for (i = 0; i < len; i++) {
		c = fz_byte(f);
		if ((mode & 0x70) != 0x70)
			c = 0x20 + c % 95;	/* printable ASCII */
		dst[i] = (char)c;
	}
	memset(dst + len, 0, size - len);
	if ((mode & 0x8f) == 0x8f)
		memset(dst, 'z', size);		/* unterminated */
}

static void
fuzz_fix(struct envelope *e, uint8_t fix)
{
	static const char *addrs[] = {
		"local", "192.0.2.7", "::1", "fe80::1%eth0", "2001:db8::1",
		"256.1.1.1", "", "::1%", "1.2.3",
	};
	static const uint8_t classes[] = { 0, 2, 4, 5 };

	e->evpid |= 0x0000000100000001ULL;
	e->type = (enum envelope_type)(1 + e->type % 3);
	e->family = (enum envelope_family)(1 + e->family % 3);
	if (fix & 0x40)
		strlcpy(e->sockaddr, addrs[(fix & 0x3f) % 9],
		    sizeof(e->sockaddr));
	else
		strlcpy(e->sockaddr, addrs[e->family == ENVELOPE_INET6 &&
		    (fix & 1) ? 3 : e->family - 1], sizeof(e->sockaddr));
	if (e->type != ENVELOPE_BOUNCE && e->dispatcher[0] == '\0')
		strlcpy(e->dispatcher, "d", sizeof(e->dispatcher));
	e->flags &= ENVELOPE_F_ALL;
	if (e->username[0] != '\0')
		e->flags |= ENVELOPE_F_AUTH;
	else
		e->flags &= ~ENVELOPE_F_AUTH;
	if (e->rcpt[0] == '\0')
		strlcpy(e->rcpt, "r@x", sizeof(e->rcpt));
	if (e->dest[0] == '\0')
		strlcpy(e->dest, "d@x", sizeof(e->dest));
	if (e->flags & ENVELOPE_F_BOUNCE)
		e->sender[0] = '\0';
	if (e->type == ENVELOPE_BOUNCE && e->sender[0] == '\0')
		strlcpy(e->sender, "a@b", sizeof(e->sender));
	if (e->type != ENVELOPE_BOUNCE) {
		e->bounce_type = ENVELOPE_BOUNCE_NONE;
		e->bounce_delay = e->bounce_ttl = 0;
	} else
		e->bounce_type = 1 + e->bounce_type % 3;
	if (e->type != ENVELOPE_MDA)
		e->mda_user[0] = e->mda_subaddress[0] = '\0';
	e->dsn_notify &= 0x0f;
	if (e->dsn_notify & ENVELOPE_DSN_NEVER)
		e->dsn_notify = ENVELOPE_DSN_NEVER;
	e->dsn_ret %= 3;
	if (e->dsn_orcpt[0] == '\0')
		e->dsn_orcpt_type = ENVELOPE_ORCPT_NONE;
	else if (e->dsn_orcpt_type % 3 == 0)
		e->dsn_orcpt_type = ENVELOPE_ORCPT_RFC822;
	e->esc_class = classes[e->esc_class % 4];
	e->esc_subject = e->esc_class ? e->esc_subject % 1000 : 0;
	e->esc_detail = e->esc_class ? e->esc_detail % 1000 : 0;
	e->runflags &= ENVELOPE_R_ALL;
	if (e->ctime == 0)
		e->ctime = 1;
}

static void
fuzz_build(const uint8_t *data, size_t size)
{
	struct envelope e, d;
	struct fz f = { data, size };
	uint8_t *buf, fix;
	size_t len;
	int valid;

	memset(&e, 0, sizeof(e));
	fix = fz_byte(&f);
	e.evpid = fz_num(&f, 8);
	e.type = (enum envelope_type)fz_byte(&f);
	fz_str(&f, e.dispatcher, sizeof(e.dispatcher));
	fz_str(&f, e.tag, sizeof(e.tag));
	fz_str(&f, e.smtpname, sizeof(e.smtpname));
	fz_str(&f, e.helo, sizeof(e.helo));
	fz_str(&f, e.hostname, sizeof(e.hostname));
	e.family = (enum envelope_family)fz_byte(&f);
	fz_str(&f, e.sockaddr, sizeof(e.sockaddr));
	fz_str(&f, e.username, sizeof(e.username));
	e.flags = (uint32_t)fz_num(&f, 4);
	fz_str(&f, e.sender, sizeof(e.sender));
	fz_str(&f, e.rcpt, sizeof(e.rcpt));
	fz_str(&f, e.dest, sizeof(e.dest));
	fz_str(&f, e.mda_user, sizeof(e.mda_user));
	fz_str(&f, e.mda_subaddress, sizeof(e.mda_subaddress));
	e.dsn_notify = fz_byte(&f);
	e.dsn_ret = (enum envelope_dsn_ret)fz_byte(&f);
	fz_str(&f, e.dsn_envid, sizeof(e.dsn_envid));
	e.dsn_orcpt_type = (enum envelope_orcpt_type)fz_byte(&f);
	fz_str(&f, e.dsn_orcpt, sizeof(e.dsn_orcpt));
	e.ctime = (time_t)fz_num(&f, 5);
	e.ttl = (time_t)fz_num(&f, 5);
	e.lasttry = (time_t)fz_num(&f, 5);
	e.nexttry = (time_t)fz_num(&f, 5);
	e.lastbounce = (time_t)fz_num(&f, 5);
	e.retry = (uint32_t)fz_num(&f, 4);
	fz_str(&f, e.errorline, sizeof(e.errorline));
	e.esc_class = fz_byte(&f);
	e.esc_subject = (uint16_t)fz_num(&f, 2);
	e.esc_detail = (uint16_t)fz_num(&f, 2);
	e.runflags = (uint32_t)fz_num(&f, 4);
	e.bounce_type = (enum envelope_bounce_type)fz_byte(&f);
	e.bounce_delay = (time_t)fz_num(&f, 5);
	e.bounce_ttl = (time_t)fz_num(&f, 5);

	/* Unless told not to, repair the cross-field rules so that most
	 * inputs reach the encoder and the per-field checks. */
	if (!(fix & 0x80))
		fuzz_fix(&e, fix);

	valid = envelope_validate(&e, NULL, 0) == 0;
	if (envelope_encode(&e, &buf, &len, NULL, 0) == -1) {
		if (valid)
			abort();	/* valid but not representable */
		return;
	}
	if (!valid)
		abort();		/* encoded what validate refuses */
	if (envelope_decode(buf, len, &d, NULL, 0) == -1)
		abort();
	if (!envelope_equal(&e, &d))
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode(data, size);
	fuzz_build(data, size);
	return 0;
}

/*
 * spfwalk_packet_fuzz.c: libFuzzer harness for the DNS side of `smtpctl
 * spf walk` (ctl/spfwalk_packet.c), which reads the answers any DNS
 * server sends. The input is a DNS message, read as spfwalk.c does for
 * each type it asks (A, MX, TXT, AAAA):
 *  - spfwalk_packet_parse() fails only on a short header or, with
 *    NOERROR, a malformed message; NXDOMAIN and other codes carry no
 *    record, the latter a reason; every record located lies inside the
 *    message, after the one before, behind an RR header of the type and
 *    class asked whose rdlength is its length;
 *  - each record's MX exchanger (spfwalk_packet_mx()) is "" or a valid
 *    lower-case name, into an output of exactly SPFWALK_NAME_MAX + 1;
 *    a record index past the end fails;
 *  - each TXT record decodes (spfwalk_parse_txt()) into at most its own
 *    length, NUL-terminated, and if it is an SPF record its terms are
 *    cut with a qualifier, a known kind, NUL-terminated strings and a
 *    reason exactly for junk.
 * The whole input is also read as the rdata of one MX record (so names
 * and pointers are fuzzed without a valid message around them) and with
 * a record placed from its first bytes, in or out of the message.
 * Any disagreement abort()s. Seeds: t/fuzz/corpus/spfwalk_packet_fuzz/.
 * Built with replay.c, `make check` replays them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/spfwalk_packet.h"

#define FUZZ_HEADER	12
#define FUZZ_RR_FIXED	10

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint16_t	 fuzz_u16(const uint8_t *);
static void	 fuzz_name(const char *);
static void	 fuzz_mx(const struct spfwalk_answer *, size_t);
static void	 fuzz_spf(const char *, size_t);
static void	 fuzz_txt(const struct spfwalk_answer *, size_t);
static void	 fuzz_answer(const uint8_t *, size_t, int);

static uint16_t
fuzz_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* "" or a name spfwalk_parse_domain() takes back unchanged. */
static void
fuzz_name(const char *name)
{
	char again[SPFWALK_NAME_MAX + 1];
	size_t n;

	if (memchr(name, '\0', SPFWALK_NAME_MAX + 1) == NULL)
		abort();
	if ((n = strlen(name)) == 0)
		return;
	if (name[n - 1] == '.' ||
	    spfwalk_parse_domain(name, n, again) == -1 ||
	    strcmp(again, name) != 0)
		abort();
}

static void
fuzz_mx(const struct spfwalk_answer *a, size_t i)
{
	char *out;

	if ((out = malloc(SPFWALK_NAME_MAX + 1)) == NULL)
		abort();
	if (spfwalk_packet_mx(a, i, out) == 0) {
		if (i >= a->n)
			abort();
		fuzz_name(out);
	}
	free(out);
}

/* A TXT string: if an SPF record, every term is sane. */
static void
fuzz_spf(const char *rec, size_t len)
{
	struct spfwalk_parser p;
	struct spfwalk_term t;
	const char *before;
	size_t n = 0;

	if (spfwalk_parse_init(&p, rec, len) == -1)
		return;
	for (;;) {
		before = p.p;
		if (!spfwalk_parse_next(&p, &t))
			break;
		if (p.p <= before || p.p > rec + len || ++n > len)
			abort();
		if ((int)t.kind < SPFWALK_ALL || t.kind > SPFWALK_JUNK ||
		    t.qual == '\0' || strchr("+-~?", t.qual) == NULL ||
		    (t.kind == SPFWALK_JUNK) != (t.why != NULL))
			abort();
		if (memchr(t.text, '\0', sizeof(t.text)) == NULL ||
		    memchr(t.net, '\0', sizeof(t.net)) == NULL)
			abort();
		fuzz_name(t.domain);
	}
	if (p.p != rec + len)
		abort();
}

/* Record i's data as TXT, into as many bytes as spfwalk.c gives. */
static void
fuzz_txt(const struct spfwalk_answer *a, size_t i)
{
	char *rec;
	size_t len = (size_t)-1;

	if ((rec = malloc(a->rr[i].len + 1)) == NULL)
		abort();
	if (spfwalk_parse_txt(a->msg + a->rr[i].off, a->rr[i].len, rec,
	    a->rr[i].len + 1, &len) == 0) {
		if (len > a->rr[i].len || rec[len] != '\0')
			abort();
		fuzz_spf(rec, len);
	}
	free(rec);
}

/* msg as the answer to a question of type qtype. */
static void
fuzz_answer(const uint8_t *msg, size_t len, int qtype)
{
	struct spfwalk_answer *a;
	size_t i, prev_end = FUZZ_HEADER, off;
	unsigned rcode;
	int r;

	if ((a = malloc(sizeof(*a))) == NULL)
		abort();
	r = spfwalk_packet_parse(msg, len, qtype, a);
	if (a->msg != msg || a->msglen != len)
		abort();
	if (len < FUZZ_HEADER) {
		if (r != -1)
			abort();
		free(a);
		return;
	}
	rcode = msg[3] & 0x0f;
	if (rcode != 0 && r != 0)
		abort();
	if (r == -1) {
		free(a);
		return;
	}
	if (r != 0)
		abort();
	switch (a->status) {
	case SPFWALK_DNS_NXDOMAIN:
		if (rcode != 3 || a->n != 0)
			abort();
		break;
	case SPFWALK_DNS_TEMPFAIL:
		if (rcode == 0 || rcode == 3 || a->n != 0 ||
		    a->why == NULL || strcmp(a->why,
		    spfwalk_packet_rcode((int)rcode)) != 0)
			abort();
		break;
	case SPFWALK_DNS_OK:
		if (rcode != 0 || a->n > SPFWALK_RR_MAX ||
		    a->n > fuzz_u16(msg + 6))
			abort();
		break;
	default:
		abort();
	}
	for (i = 0; i < a->n; i++) {
		/* An owner name (1 byte at least) and the fixed part. */
		off = a->rr[i].off;
		if (off < prev_end + 1 + FUZZ_RR_FIXED || off > len ||
		    a->rr[i].len > len - off)
			abort();
		if (fuzz_u16(msg + off - FUZZ_RR_FIXED) != qtype ||
		    fuzz_u16(msg + off - FUZZ_RR_FIXED + 2) != 1 ||
		    fuzz_u16(msg + off - 2) != a->rr[i].len)
			abort();
		prev_end = off + a->rr[i].len;
		fuzz_mx(a, i);
		fuzz_txt(a, i);
	}
	fuzz_mx(a, a->n);
	free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int qtypes[] = { SPFWALK_T_A, SPFWALK_T_MX,
	    SPFWALK_T_TXT, SPFWALK_T_AAAA };
	struct spfwalk_answer *a;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++)
		fuzz_answer(data, size, qtypes[i]);
	for (rc = 0; rc < 16; rc++)
		if (spfwalk_packet_rcode(rc) == NULL)
			abort();

	if ((a = malloc(sizeof(*a))) == NULL)
		abort();
	memset(a, 0, sizeof(*a));
	a->status = SPFWALK_DNS_OK;
	a->msg = data;
	a->msglen = size;
	a->n = 1;
	/* The whole input as one MX rdata, then as one TXT rdata. */
	a->rr[0].off = 0;
	a->rr[0].len = size;
	fuzz_mx(a, 0);
	fuzz_txt(a, 0);
	/* A record placed by the input, maybe outside the message. */
	if (size >= 4) {
		a->rr[0].off = fuzz_u16(data);
		a->rr[0].len = fuzz_u16(data + 2);
		fuzz_mx(a, 0);
	}
	free(a);
	return 0;
}

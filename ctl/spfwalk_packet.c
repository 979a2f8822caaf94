/*
 * spfwalk_packet.c: the DNS messages libunbound hands to `smtpctl spf
 * walk` (ctl/spfwalk_unbound.c), read: the response code, then the
 * answer records of the type and class asked (CNAMEs and other types
 * skipped), located but not copied; an MX record's exchanger decoded with
 * the message's compression pointers (backwards only, a bounded number of
 * hops). Never reads past the message, never allocates, never trusts a
 * count or a length of the message.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/spfwalk_packet.h"

#define SPFWALK_HEADER_LEN	12
#define SPFWALK_RR_FIXED	10	/* type, class, ttl, rdlength */
#define SPFWALK_CLASS_IN	1
#define SPFWALK_RCODE_NXDOMAIN	3
#define SPFWALK_HOPS_MAX	32	/* compression pointers in one name */

static uint16_t	spfwalk_packet_u16(const uint8_t *);
static int	spfwalk_packet_skip(const uint8_t *, size_t, size_t *);

static uint16_t
spfwalk_packet_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Step *off over a name (labels, maybe ending in a pointer): 0 or -1. */
static int
spfwalk_packet_skip(const uint8_t *msg, size_t len, size_t *off)
{
	size_t o = *off;
	uint8_t l;

	for (;;) {
		if (o >= len)
			return -1;
		l = msg[o];
		if (l == 0) {
			*off = o + 1;
			return 0;
		}
		if ((l & 0xc0) == 0xc0) {
			if (len - o < 2)
				return -1;
			*off = o + 2;
			return 0;
		}
		if ((l & 0xc0) != 0)
			return -1;
		o += 1 + (size_t)l;
	}
}

/* The words for a response code that is neither NOERROR nor NXDOMAIN. */
const char *
spfwalk_packet_rcode(int rcode)
{
	switch (rcode) {
	case 1:
		return "FORMERR";
	case 2:
		return "SERVFAIL";
	case 4:
		return "NOTIMP";
	case 5:
		return "REFUSED";
	default:
		return "unexpected response code";
	}
}

/*
 * The answer to a question of type qtype in msg: its status and, when OK,
 * the data of its records of that type (at most SPFWALK_RR_MAX). 0, or -1
 * if the message is malformed.
 */
int
spfwalk_packet_parse(const uint8_t *msg, size_t len, int qtype,
    struct spfwalk_answer *a)
{
	size_t off = SPFWALK_HEADER_LEN, rdlen;
	unsigned qd, an, rcode, i;

	memset(a, 0, sizeof(*a));
	a->msg = msg;
	a->msglen = len;
	if (len < SPFWALK_HEADER_LEN)
		return -1;
	rcode = msg[3] & 0x0f;
	qd = spfwalk_packet_u16(msg + 4);
	an = spfwalk_packet_u16(msg + 6);
	if (rcode == SPFWALK_RCODE_NXDOMAIN) {
		a->status = SPFWALK_DNS_NXDOMAIN;
		return 0;
	}
	if (rcode != 0) {
		a->status = SPFWALK_DNS_TEMPFAIL;
		a->why = spfwalk_packet_rcode((int)rcode);
		return 0;
	}
	for (i = 0; i < qd; i++) {
		if (spfwalk_packet_skip(msg, len, &off) == -1 || len - off < 4)
			return -1;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		if (spfwalk_packet_skip(msg, len, &off) == -1 ||
		    len - off < SPFWALK_RR_FIXED)
			return -1;
		rdlen = spfwalk_packet_u16(msg + off + 8);
		if (len - off - SPFWALK_RR_FIXED < rdlen)
			return -1;
		if (spfwalk_packet_u16(msg + off) == qtype &&
		    spfwalk_packet_u16(msg + off + 2) == SPFWALK_CLASS_IN &&
		    a->n < SPFWALK_RR_MAX) {
			a->rr[a->n].off = off + SPFWALK_RR_FIXED;
			a->rr[a->n].len = rdlen;
			a->n++;
		}
		off += SPFWALK_RR_FIXED + rdlen;
	}
	a->status = SPFWALK_DNS_OK;
	return 0;
}

/*
 * The exchanger of MX record i, checked and lowered into out; "" for the
 * null MX of RFC 7505. Its labels must end inside the record, pointers
 * lead backwards in the message. 0, or -1.
 */
int
spfwalk_packet_mx(const struct spfwalk_answer *a, size_t i,
    char out[SPFWALK_NAME_MAX + 1])
{
	char text[SPFWALK_NAME_MAX + 2];
	const uint8_t *msg = a->msg;
	size_t o = 0, off, end, l;
	int hops = 0;

	if (i >= a->n || a->rr[i].len < 3 ||
	    a->rr[i].off > a->msglen || a->rr[i].len > a->msglen - a->rr[i].off)
		return -1;
	off = a->rr[i].off + 2;
	end = a->rr[i].off + a->rr[i].len;
	for (;;) {
		if (off >= end)
			return -1;
		l = msg[off];
		if (l == 0) {
			if (hops == 0 && off + 1 != end)
				return -1;	/* bytes after the name */
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			if (end - off < 2 || ++hops > SPFWALK_HOPS_MAX)
				return -1;
			if (hops == 1 && off + 2 != end)
				return -1;
			l = (size_t)(l & 0x3f) << 8 | msg[off + 1];
			if (l >= off)
				return -1;	/* forwards: could loop */
			off = l;
			end = a->msglen;
			continue;
		}
		if ((l & 0xc0) != 0 || l > end - off - 1 ||
		    o + l + 1 > sizeof(text))
			return -1;
		if (o > 0)
			text[o++] = '.';
		memcpy(text + o, msg + off + 1, l);
		o += l;
		off += 1 + l;
	}
	if (o == 0) {
		out[0] = '\0';
		return 0;
	}
	return spfwalk_parse_domain(text, o, out);
}

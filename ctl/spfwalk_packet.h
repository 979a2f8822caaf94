/*
 * spfwalk_packet.h: a DNS answer as `smtpctl spf walk` uses it: its
 * status and the record data of the type asked, found in the DNS message
 * by spfwalk_packet_parse(); the exchanger of an MX record decoded with
 * the message's name compression. Pure; unit-tested in
 * t/unit/spfwalk_test.c.
 */
#ifndef CTL_SPFWALK_PACKET_H
#define CTL_SPFWALK_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/spfwalk_parse.h"

#define SPFWALK_RR_MAX		64	/* records of one answer used */

/* RR types asked. */
#define SPFWALK_T_A		1
#define SPFWALK_T_MX		15
#define SPFWALK_T_TXT		16
#define SPFWALK_T_AAAA		28

enum spfwalk_status {
	SPFWALK_DNS_OK,		/* records, maybe none (NODATA) */
	SPFWALK_DNS_NXDOMAIN,
	SPFWALK_DNS_TEMPFAIL,	/* why says what */
};

/* One record's data: where it is in the message. */
struct spfwalk_rr {
	size_t		 off;
	size_t		 len;
};

struct spfwalk_answer {
	enum spfwalk_status	 status;
	const char		*why;		/* TEMPFAIL */
	const uint8_t		*msg;		/* the message, not copied */
	size_t			 msglen;
	size_t			 n;
	struct spfwalk_rr	 rr[SPFWALK_RR_MAX];
};

int		 spfwalk_packet_parse(const uint8_t *, size_t, int,
		    struct spfwalk_answer *);
const char	*spfwalk_packet_rcode(int);
int		 spfwalk_packet_mx(const struct spfwalk_answer *, size_t,
		    char [SPFWALK_NAME_MAX + 1]);

#endif

/*
 * lmtp_msg.h: payloads of the LMTP front's messages between the smtp and
 * the queue roles (smtpd/proc.h IMSG_LMTP_*). Host byte order: both ends
 * are the same binary. Each payload is a fixed header and an array whose
 * size the receiver checks exactly against the header's count.
 *
 * IMSG_LMTP_DELIVER (smtp -> queue, reqid = the session's): after the
 * commit, the envelopes an LMTP session waits for (LMTP_ENT_SYNC), and
 * for each recipient with envelopes that are only queued, one entry
 * without the flag, so the queue knows that recipient keeps mail with
 * us. The queue answers with IMSG_LMTP_RESULT frames, same reqid: one
 * verdict per recipient in RCPT order, in chunks of at most
 * LMTP_RESULT_CHUNK, the last flagged.
 */
#ifndef LMTPD_LMTP_MSG_H
#define LMTPD_LMTP_MSG_H

#include <stdint.h>

#include "lmtpd/lmtp_policy.h"

#define LMTP_RCPT_MAX		LMTP_ENT_MAX	/* each has 1 entry or more */
#define LMTP_ENT_MAX		4000	/* entries in one request */
#define LMTP_RESULT_CHUNK	64	/* verdicts in one result frame */

#define LMTP_ENT_SYNC		0x01	/* delivered before the reply */

struct lmtp_deliver_hdr {
	uint64_t	session;	/* for logs */
	uint32_t	msgid;
	uint32_t	nrcpt;		/* accepted recipients */
	uint32_t	nent;		/* entries that follow */
	uint32_t	pad;
};

struct lmtp_deliver_ent {
	uint64_t	evpid;		/* of msgid */
	uint32_t	rcpt;		/* index in RCPT order, < nrcpt */
	uint32_t	flags;		/* LMTP_ENT_* */
};

struct lmtp_result_hdr {
	uint64_t	session;
	uint32_t	msgid;
	uint32_t	first;		/* recipient index of verdict[0] */
	uint32_t	n;		/* verdicts that follow */
	uint32_t	last;		/* 1 in the request's last frame */
};

#define LMTP_DELIVER_MAX	(sizeof(struct lmtp_deliver_hdr) + \
	LMTP_ENT_MAX * sizeof(struct lmtp_deliver_ent))
#define LMTP_RESULT_MAX		(sizeof(struct lmtp_result_hdr) + \
	LMTP_RESULT_CHUNK * sizeof(struct lmtp_verdict))

#endif

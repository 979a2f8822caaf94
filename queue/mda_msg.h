/*
 * mda_msg.h: local deliveries between the queue role and the parent
 * (smtpd/proc.h IMSG_MDA_*). The queue sends the envelope (encoded) with
 * the message file opened read-only; the parent runs `deliver` as the
 * user and answers with one outcome per envelope.
 */
#ifndef QUEUE_MDA_MSG_H
#define QUEUE_MDA_MSG_H

#include <stdint.h>

#define MDA_TEXT_MAX	512
#define MDA_MTA_MAX	256

/*
 * The reqid of IMSG_MDA_DELIVER: MDA_CHECK for an envelope committed
 * before this daemon started, which a crash may have left delivered but
 * not removed: deliver first looks for its id in the Maildir.
 */
#define MDA_PLAIN	0
#define MDA_CHECK	1

enum mda_outcome {
	MDA_OK,
	MDA_TEMPFAIL,
	MDA_PERMFAIL,
};

struct mda_result {
	uint64_t	evpid;
	uint32_t	outcome;	/* enum mda_outcome */
	uint8_t		esc_class;	/* 2, 4 or 5 */
	uint8_t		pad;
	uint16_t	esc_subject;
	uint16_t	esc_detail;
	char		text[MDA_TEXT_MAX];	/* NUL-terminated */
	char		mta[MDA_MTA_MAX];	/* relay: the server that
						 * replied, "" if none */
};

#endif

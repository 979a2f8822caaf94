/*
 * lmtp_sync.h: the queue role's side of the LMTP front (lmtpd/): local
 * deliveries an LMTP session waits for, and its per-recipient answer.
 */
#ifndef QUEUE_LMTP_SYNC_H
#define QUEUE_LMTP_SYNC_H

#include <stdint.h>

#include "smtpd/proc.h"

/* After this, a request is answered with what is known: envelopes not
 * delivered yet count as queued (deliver's own limit is 5 minutes). */
#ifndef LMTP_SYNC_WAIT			/* t/78 builds one with a short one */
#define LMTP_SYNC_WAIT		360.0	/* seconds */
#endif

struct envelope;
struct ipc_msg;
struct queue;
struct sched_status;

int	lmtp_sync_request(struct queue *, enum proc_id, struct ipc_msg *);
void	lmtp_sync_txn_over(struct queue *, uint32_t);
int	lmtp_sync_result(struct queue *, const struct envelope *,
	    const struct sched_status *);
void	lmtp_sync_unread(struct queue *, uint64_t);
void	lmtp_sync_peer_lost(struct queue *, enum proc_id);

#endif

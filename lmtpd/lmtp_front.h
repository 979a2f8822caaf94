/*
 * lmtp_front.h: the smtp role's side of the LMTP front (protocol.md A.8):
 * an LMTP session names its local deliveries to the queue before COMMIT,
 * waits for them after it, then answers each recipient with its real
 * outcome.
 */
#ifndef LMTPD_LMTP_FRONT_H
#define LMTPD_LMTP_FRONT_H

#include <stdint.h>

/* Bound on a session's wait for IMSG_LMTP_RESULT: the queue answers
 * after LMTP_SYNC_WAIT (lmtp_sync.h) whatever happened; past this the
 * session gives up with 421 (the client then tries again: duplicates
 * are possible, loss is not). */
#ifndef LMTP_FRONT_WAIT			/* t/78 builds one with a short one */
#define LMTP_FRONT_WAIT		420.0	/* seconds */
#endif

struct ipc_msg;
struct session;

void	lmtp_front_request(struct session *);
int	lmtp_front_wait(struct session *, uint32_t);
int	lmtp_front_result(struct ipc_msg *);

#endif

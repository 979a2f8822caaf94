/*
 * queue_msg.h: fixed-size payloads of the smtp <-> queue transaction
 * messages (smtpd/proc.h). Host byte order: both ends are the same
 * binary on the same machine. Each is checked for its exact size by the
 * receiver's IPC rule table; the values are checked by the handler.
 */
#ifndef QUEUE_QUEUE_MSG_H
#define QUEUE_QUEUE_MSG_H

#include <stdint.h>

enum queue_status {
	QUEUE_OK,
	QUEUE_TEMPFAIL,		/* 451 4.3.0: disk error, try again later */
	QUEUE_NOSPACE,		/* 452 4.3.1: insufficient system storage */
	QUEUE_DIRECT,		/* COMMIT_RES only: not committed, the LMTP
				 * front delivers from incoming/ at once and
				 * its verdicts follow (queue/lmtp_sync.c) */
};

struct queue_create_req {
	uint64_t	session;	/* the smtp session id, for logs */
};

struct queue_create_res {
	uint32_t	status;		/* enum queue_status */
	uint32_t	msgid;		/* non-zero when QUEUE_OK */
};

struct queue_commit_req {
	uint32_t	msgid;
	uint32_t	nenvelopes;	/* how many IMSG_QUEUE_ENVELOPE came */
	uint64_t	session;
};

struct queue_commit_res {
	uint32_t	status;		/* enum queue_status */
	uint32_t	msgid;
};

struct queue_rollback_req {
	uint32_t	msgid;
	uint32_t	pad;
};

/* Free space in the spool, sent at start and every QUEUE_SPACE_INTERVAL. */
struct queue_space {
	uint64_t	avail;		/* bytes an unprivileged writer may use */
};

#define QUEUE_SPACE_INTERVAL	5.0	/* seconds */
#define QUEUE_SPACE_RESERVE	(32ULL * 1024 * 1024)	/* kept free */

#endif

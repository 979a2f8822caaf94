/*
 * lmtp_sync_priv.h: the LMTP front's requests as lmtp_sync.c and
 * lmtp_direct.c share them (queue role, loop thread only).
 */
#ifndef QUEUE_LMTP_SYNC_PRIV_H
#define QUEUE_LMTP_SYNC_PRIV_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <ev.h>

#include <stddef.h>
#include <stdint.h>

#include "lmtpd/lmtp_policy.h"
#include "queue/mda_msg.h"
#include "queue/scheduler.h"
#include "smtpd/proc.h"

struct envelope;
struct queue;

struct lmtp_req;

/* One entry of a request: a sync envelope, or a recipient's queued mark. */
struct lmtp_ent {
	RB_ENTRY(lmtp_ent)	 node;		/* by evpid, while claimed */
	struct lmtp_req		*req;
	uint64_t		 evpid;
	uint32_t		 rcpt;
	int			 sync;
	int			 claimed;	/* its outcome comes here */
	int			 have;		/* outcome held, not applied */
	enum lmtp_outcome	 outcome;
	struct envelope		*env;		/* with have */
	struct sched_status	 st;		/* with have; errorline: text */
	char			 text[MDA_TEXT_MAX];
};
RB_HEAD(lmtp_tree, lmtp_ent);

struct lmtp_req {
	TAILQ_ENTRY(lmtp_req)	 entry;
	struct queue		*q;
	enum proc_id		 peer;
	uint64_t		 session;
	uint32_t		 msgid;
	uint32_t		 nrcpt;
	struct lmtp_ent		*ent;
	size_t			 nent;
	size_t			 nwait;		/* claimed, no outcome yet */
	int			 armed;		/* committed: waiting */
	int			 direct;	/* not committed: delivered from
						 * incoming/, nothing kept */
	size_t			 late;		/* direct: deliveries still out
						 * when answered */
	ev_timer		 timer;
};

struct lmtp_sync {
	struct lmtp_tree	 claimed;
	TAILQ_HEAD(, lmtp_req)	 reqs;
};

/* lmtp_sync.c */
struct lmtp_req	*lmtp_sync_find(struct queue *, uint32_t);
struct lmtp_ent	*lmtp_sync_take(struct queue *, uint64_t);
void		 lmtp_sync_answer(struct lmtp_req *);
void		 lmtp_sync_free(struct lmtp_req *);

/* lmtp_direct.c */
void		 lmtp_direct_over(struct lmtp_req *);

#endif

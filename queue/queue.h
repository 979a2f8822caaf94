/*
 * queue.h: the queue role's own state, shared by queue.c (IPC glue) and
 * queue_jobs.c (jobs for the worker pool and their completions). Only
 * the loop thread ever touches a struct queue or a struct txn.
 */
#ifndef QUEUE_QUEUE_H
#define QUEUE_QUEUE_H

#include <sys/queue.h>

#include <ev.h>

#include <stddef.h>
#include <stdint.h>

#include "queue/commit.h"
#include "queue/envelope.h"
#include "queue/fresh.h"
#include "queue/index.h"
#include "queue/scheduler.h"
#include "smtpd/proc.h"

/* Threads for blocking disk calls: syncs, updates, reports, the walk. */
#ifndef QUEUE_WORKERS
#define QUEUE_WORKERS		12
#endif
/* Open transactions by msgid (random): a fixed table of short chains. */
#define QUEUE_TXN_BUCKETS	1024

struct commit_pipe;
struct role;
struct workers;

/* One envelope of an open transaction, as received (already decoded). */
struct txn_env {
	uint64_t		 evpid;
	uint8_t			*data;		/* encoded, written as is */
	size_t			 len;
	struct index_entry	 ie;
};

enum txn_state {
	TXN_OPEN,		/* body and envelopes coming */
	TXN_COMMITTING,		/* being made durable (commit_pipe.c) */
	TXN_DIRECT,		/* LMTP, delivered from incoming/ without a
				 * commit (lmtp_sync.c) */
};

/* An incoming message: created for a peer, not committed yet. */
struct txn {
	LIST_ENTRY(txn)		 entry;
	uint32_t		 msgid;
	enum proc_id		 peer;		/* who created it */
	uint64_t		 session;	/* for logs */
	enum txn_state		 state;
	const char		*failed;	/* why the commit must fail */
	struct txn_env		*env;
	size_t			 nenv, envcap;
	size_t			 bytes;
};
LIST_HEAD(txn_list, txn);

/* A CREATE that arrived while the start-up walk was running. */
struct deferred {
	TAILQ_ENTRY(deferred)	 entry;
	enum proc_id		 peer;
	uint32_t		 reqid;
	uint64_t		 session;
};

struct queue {
	struct role		*role;
	int			 spoolfd;
	struct commit_spool	 cs;
	struct workers		*pool;
	struct index		*index;
	struct txn_list		 txns[QUEUE_TXN_BUCKETS];
	TAILQ_HEAD(, deferred)	 deferred;
	struct commit_pipe	*pipe;		/* commit_pipe.c: the syncer */
	ev_timer		 space_timer;	/* space.c */
	struct sched		*sched;		/* dispatch.c, after the walk */
	struct sched_conf	 schedconf;
	ev_timer		 sched_timer;
	TAILQ_HEAD(, inflight)	 inflight;
	struct fresh		 fresh;		/* committed, not yet read */
	TAILQ_HEAD(, bounce)	 bounces;	/* bounce.c: reports gathering */
	uint32_t		 bounce_reqid;
	size_t			 ninflight;	/* reads and local deliveries */
	size_t			 nrelay;	/* at the relay role */
	time_t			 started;	/* when dispatch began */
	int			 walking;
	int			 purging, purge_again;
	unsigned int		 epoch[PROC_COUNT];	/* bumped on peer loss */
	struct lmtp_sync	*lmtp;		/* lmtp_sync.c, LMTP front */
	struct qctl		*ctl;		/* ctl.c, smtpctl commands */
	struct envelope		 env;		/* decode scratch */
	char			 err[ENVELOPE_ERR_MAX];
};

struct inflight;
struct ipc_msg;
struct qctl;
struct lmtp_sync;

/* commit_pipe.c */
struct commit_pipe *commit_pipe_new(struct ev_loop *, struct queue *);
void		 commit_pipe_free(struct commit_pipe *);
void		 commit_pipe_kick(struct commit_pipe *);
void		 queue_commit_create(struct queue *, enum proc_id, uint32_t,
		    uint64_t);
void		 queue_commit_start(struct queue *, struct txn *, uint32_t);

/* dispatch.c */
void		 queue_dispatch_start(struct queue *);
void		 queue_dispatch_add(struct queue *, const struct index_entry *);
void		 queue_dispatch_committed(struct queue *, struct txn_env *);
int		 queue_dispatch_result(struct queue *, struct ipc_msg *);
/* dispatch.c, for lmtp_sync.c and bounce.c */
void		 queue_dispatch_apply(struct queue *, struct envelope *,
		    const struct sched_status *);
void		 queue_dispatch_wake(struct queue *);
void		 queue_dispatch_drop(struct queue *, const struct envelope *,
		    const char *);
int		 queue_dispatch_direct(struct queue *, const struct envelope *,
		    int);

/* space.c */
void		 queue_space_start(struct queue *);

/* queue.c */
void		 queue_send(struct queue *, enum proc_id, uint32_t, uint32_t,
		    int, const void *, size_t);
struct txn	*queue_txn_new(struct queue *, uint32_t, enum proc_id,
		    uint64_t);
struct txn	*queue_txn_find(struct queue *, uint32_t);
void		 queue_txn_end(struct queue *, uint32_t);
void		 queue_txn_discard(struct queue *, uint32_t, const char *,
		    int);
void		 queue_txn_envelopes_free(struct txn_env *, size_t);
void		 queue_walk_over(struct queue *);

/* queue_jobs.c */
void		 queue_job_walk(struct queue *);
void		 queue_job_discard(struct queue *, uint32_t, uint64_t,
		    const char *);
void		 queue_job_purge(struct queue *);

#endif

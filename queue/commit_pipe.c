/*
 * commit_pipe.c: the queue role's creates and commits (design.md "The
 * queue role"). Creating incoming/<msgid>/message, writing a commit's
 * envelopes and the rename into queue/<hh>/ run at once on the loop
 * thread: short metadata calls that do not wait for the disk. What waits
 * is a commit's two syncs (commit.c). One worker at a time runs a sync
 * for every commit ready at that moment; commits arriving meanwhile
 * gather for the next round. Concurrent sessions so share each sync, and
 * the loop hands work to a thread once per round, not twice per message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/commit.h"
#include "queue/queue.h"
#include "queue/queue_msg.h"
#include "queue/workers.h"
#include "smtpd/ctl_stat.h"

/* A commit between its staging and its reply. */
struct pcommit {
	TAILQ_ENTRY(pcommit)	 entry;
	enum proc_id		 peer;
	uint32_t		 reqid;
	uint64_t		 session;
	uint32_t		 msgid;
	struct txn_env		*env;		/* moved from the txn */
	size_t			 n;
	enum commit_step	 waiting;	/* FSYNC_DIR, then FSYNC_BUCKET */
	struct commit_result	 res;
	/* `smtpctl profile queue`: time on the loop, from start to reply */
	int			 profile;
	struct timespec		 start;
	long long		 run_usec;
};

/* One sync round and the commits it covers. */
struct job_sync {
	struct workers_job	 job;
	struct queue		*q;
	struct groupsync	*gs;
	struct pcommit_list	 batch;
	int			 error;
};

static void	commit_pipe_kick(struct queue *);
static void	commit_pipe_sync_run(struct workers_job *);
static void	commit_pipe_sync_done(struct workers_job *);
static void	commit_pipe_synced(struct queue *, struct pcommit *, int);
static void	commit_pipe_reply(struct queue *, struct pcommit *);
static int	commit_pipe_clock(struct timespec *);
static long long commit_pipe_lap(int, const struct timespec *);

/* Profiling on: the time now in *ts, and 1. */
static int
commit_pipe_clock(struct timespec *ts)
{
	if ((log_getprofile() & PROFILE_QUEUE) == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, ts);
	return 1;
}

/* Microseconds since *from when profiling, else 0. */
static long long
commit_pipe_lap(int profile, const struct timespec *from)
{
	struct timespec now;

	if (!profile)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return workers_usec(from, &now);
}

void
queue_commit_pipe_init(struct queue *q)
{
	TAILQ_INIT(&q->commit_ready);
	q->commit_syncing = 0;
}

/* CREATE: a fresh message file, its descriptor sent with the reply. */
void
queue_commit_create(struct queue *q, enum proc_id peer, uint32_t reqid,
    uint64_t session)
{
	struct queue_create_res res;
	struct commit_result cr;
	struct timespec t0;
	uint32_t msgid;
	int fd, profile, ret;

	memset(&res, 0, sizeof(res));
	profile = commit_pipe_clock(&t0);
	ret = commit_create(&q->cs, &msgid, &fd, &cr);
	if (profile)
		log_info("profile queue op=create usec=%lld wait=0",
		    commit_pipe_lap(profile, &t0));
	if (ret == -1) {
		log_warnx("%016llx queue event=create result=TempFail step=%s "
		    "error=\"%s\"", (unsigned long long)session,
		    commit_step_name(cr.step), strerror(cr.error));
		res.status = (uint32_t)cr.status;
		queue_send(q, peer, IMSG_QUEUE_CREATE_RES, reqid, -1, &res,
		    sizeof(res));
		return;
	}
	if (queue_txn_new(q, msgid, peer, session) == NULL) {
		close(fd);
		queue_job_discard(q, msgid, session, "msgid-in-use");
		log_warnx("%016llx queue event=create result=TempFail "
		    "error=\"msgid %08x still in use\"",
		    (unsigned long long)session, msgid);
		res.status = QUEUE_TEMPFAIL;
		queue_send(q, peer, IMSG_QUEUE_CREATE_RES, reqid, -1, &res,
		    sizeof(res));
		return;
	}
	res.status = QUEUE_OK;
	res.msgid = msgid;
	log_trace(TRACE_QUEUE, "%08x queue event=create session=%016llx",
	    msgid, (unsigned long long)session);
	/* role_send owns the descriptor from here, sent or not */
	queue_send(q, peer, IMSG_QUEUE_CREATE_RES, reqid, fd, &res,
	    sizeof(res));
}

/* COMMIT: stage the envelopes now, then wait for the next sync round. */
void
queue_commit_start(struct queue *q, struct txn *t, uint32_t reqid)
{
	struct commit_envelope *cenv;
	struct pcommit *pc;
	size_t i;
	int ret;

	pc = xcalloc(1, sizeof(*pc));
	pc->peer = t->peer;
	pc->reqid = reqid;
	pc->session = t->session;
	pc->msgid = t->msgid;
	pc->env = t->env;
	pc->n = t->nenv;
	pc->profile = commit_pipe_clock(&pc->start);
	ctl_stat_decrement("scheduler.envelope.incoming", (int64_t)t->nenv);
	t->env = NULL;
	t->nenv = t->envcap = 0;

	cenv = xcalloc(pc->n, sizeof(*cenv));
	for (i = 0; i < pc->n; i++) {
		cenv[i].evpid = pc->env[i].evpid;
		cenv[i].data = pc->env[i].data;
		cenv[i].len = pc->env[i].len;
	}
	ret = commit_stage(&q->cs, pc->msgid, cenv, pc->n, &pc->res);
	free(cenv);
	pc->run_usec = commit_pipe_lap(pc->profile, &pc->start);
	if (ret == -1) {
		commit_pipe_reply(q, pc);
		return;
	}
	pc->waiting = COMMIT_STEP_FSYNC_DIR;
	TAILQ_INSERT_TAIL(&q->commit_ready, pc, entry);
	commit_pipe_kick(q);
}

/* Start a sync round for every commit ready, unless one is running. */
static void
commit_pipe_kick(struct queue *q)
{
	struct job_sync *j;

	if (q->commit_syncing || TAILQ_EMPTY(&q->commit_ready))
		return;
	j = xcalloc(1, sizeof(*j));
	j->job.run = commit_pipe_sync_run;
	j->job.done = commit_pipe_sync_done;
	j->job.op = "sync";
	j->q = q;
	j->gs = &q->cs.gs;
	TAILQ_INIT(&j->batch);
	TAILQ_CONCAT(&j->batch, &q->commit_ready, entry);
	q->commit_syncing = 1;
	workers_submit(q->pool, &j->job);
}

/* Worker: one shared sync; every commit of the batch wrote before it. */
static void
commit_pipe_sync_run(struct workers_job *job)
{
	struct job_sync *j = (struct job_sync *)job;

	j->error = groupsync_wait(j->gs) == -1 ? errno : 0;
}

static void
commit_pipe_sync_done(struct workers_job *job)
{
	struct job_sync *j = (struct job_sync *)job;
	struct queue *q = j->q;
	struct pcommit *pc;

	q->commit_syncing = 0;
	while ((pc = TAILQ_FIRST(&j->batch)) != NULL) {
		TAILQ_REMOVE(&j->batch, pc, entry);
		commit_pipe_synced(q, pc, j->error);
	}
	free(j);
	commit_pipe_kick(q);
}

/*
 * A sync covered pc: after the first, rename it into queue/ and wait for
 * the next round; after the second, it is committed.
 */
static void
commit_pipe_synced(struct queue *q, struct pcommit *pc, int error)
{
	struct timespec t0;
	int ret;

	if (error != 0) {
		commit_abort(&q->cs, pc->msgid, pc->waiting, error, &pc->res);
		commit_pipe_reply(q, pc);
		return;
	}
	if (pc->waiting == COMMIT_STEP_FSYNC_BUCKET) {
		pc->res.status = QUEUE_OK;
		commit_pipe_reply(q, pc);
		return;
	}
	if (pc->profile)
		clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = commit_publish(&q->cs, pc->msgid, &pc->res);
	pc->run_usec += commit_pipe_lap(pc->profile, &t0);
	if (ret == -1) {
		commit_pipe_reply(q, pc);
		return;
	}
	pc->waiting = COMMIT_STEP_FSYNC_BUCKET;
	TAILQ_INSERT_TAIL(&q->commit_ready, pc, entry);
}

/* The outcome: log line, index, reply to the peer, transaction over. */
static void
commit_pipe_reply(struct queue *q, struct pcommit *pc)
{
	struct queue_commit_res res;
	size_t i;

	if (pc->res.status == QUEUE_OK) {
		log_info("%08x queue event=commit envelopes=%zu size=%lld "
		    "result=Ok session=%016llx", pc->msgid, pc->n,
		    (long long)pc->res.size, (unsigned long long)pc->session);
		for (i = 0; i < pc->n; i++)
			queue_dispatch_add(q, &pc->env[i].ie);
	} else {
		log_warnx("%08x queue event=commit envelopes=%zu "
		    "result=TempFail step=%s error=\"%s\" session=%016llx",
		    pc->msgid, pc->n, commit_step_name(pc->res.step),
		    strerror(pc->res.error), (unsigned long long)pc->session);
		queue_job_purge(q);
	}
	if (pc->profile)
		log_info("profile queue op=commit usec=%lld wait=%lld",
		    pc->run_usec, commit_pipe_lap(1, &pc->start) -
		    pc->run_usec);
	memset(&res, 0, sizeof(res));
	res.status = (uint32_t)pc->res.status;
	res.msgid = pc->msgid;
	queue_send(q, pc->peer, IMSG_QUEUE_COMMIT_RES, pc->reqid, -1, &res,
	    sizeof(res));
	queue_txn_end(q, pc->msgid);
	queue_txn_envelopes_free(pc->env, pc->n);
	free(pc);
}

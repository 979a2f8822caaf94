/*
 * commit_pipe.c: the queue role's creates and commits (design.md "The
 * queue role"). Creating incoming/<msgid>/message and writing a commit's
 * envelopes run at once on the loop thread: short metadata calls that do
 * not wait for the disk. The rest of a commit (commit.c: a sync, the
 * rename into queue/<hh>/, a second sync) runs in one thread of its own,
 * the syncer, in rounds: each round is one shared sync, then the rename
 * of every commit whose first sync it was. A commit's second sync is the
 * next round's. Commits arriving during a round join the next one, so
 * concurrent sessions share every sync, and the loop hands a commit to
 * the syncer once and gets it back once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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

/* Removals are made durable by a round at most this late (seconds). */
#define COMMIT_PIPE_KICK_DELAY	1

/* A commit between its staging and its reply. */
struct pcommit {
	TAILQ_ENTRY(pcommit)	 entry;
	enum proc_id		 peer;
	uint32_t		 reqid;
	uint64_t		 session;
	uint32_t		 msgid;
	struct txn_env		*env;		/* moved from the txn */
	size_t			 n;
	struct commit_result	 res;
	/* `smtpctl profile queue`: time on the loop, from start to reply */
	int			 profile;
	struct timespec		 start;
	long long		 run_usec;
};
TAILQ_HEAD(pcommit_list, pcommit);

struct commit_pipe {
	struct ev_loop		*loop;
	ev_async		 async;		/* finished commits */
	struct commit_spool	*cs;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct pcommit_list	 staged;	/* under lock: loop to syncer */
	struct pcommit_list	 done;		/* under lock: syncer to loop */
	/* under lock: removals waiting for a round (commit_pipe_kick) */
	uint64_t		 kick_req;	/* asked */
	uint64_t		 kick_done;	/* covered by a round */
	struct timespec		 kick_at;	/* when the oldest was asked */
	int			 stop;		/* under lock */
};

static int	 commit_pipe_due(struct commit_pipe *,
		    const struct pcommit_list *);
static void	*commit_pipe_main(void *);
static int	 commit_pipe_round(struct commit_pipe *, struct pcommit_list *,
		    struct pcommit_list *, struct pcommit_list *);
static void	 commit_pipe_async_cb(struct ev_loop *, ev_async *, int);
static void	 commit_pipe_reply(struct queue *, struct pcommit *);
static int	 commit_pipe_clock(struct timespec *);
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

/* Start the syncer. Its done callbacks run on loop, with q as data. */
struct commit_pipe *
commit_pipe_new(struct ev_loop *loop, struct queue *q)
{
	struct commit_pipe *p;
	pthread_condattr_t ca;
	sigset_t all, old;
	int e;

	p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->cs = &q->cs;
	TAILQ_INIT(&p->staged);
	TAILQ_INIT(&p->done);
	if (pthread_mutex_init(&p->lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&p->cond, &ca) != 0)
		fatalx("commit: cannot initialise locks");
	pthread_condattr_destroy(&ca);
	ev_async_init(&p->async, commit_pipe_async_cb);
	p->async.data = q;
	ev_async_start(loop, &p->async);
	/* signals are for the loop thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((e = pthread_create(&p->thread, NULL, commit_pipe_main, p)) != 0) {
		errno = e;
		fatal("commit: pthread_create");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
}

/*
 * Stop: the round running finishes; commits not replied to are dropped
 * (the process is going away, and their clients never saw a 250).
 */
void
commit_pipe_free(struct commit_pipe *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	ev_async_stop(p->loop, &p->async);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/*
 * Loop thread: removals (update.c, recycle.c) do not sync what they
 * changed; the next round does, within COMMIT_PIPE_KICK_DELAY. Under load
 * that is a commit's round anyway; only an idle spool gets a round of its
 * own, once per delay at most. Nobody waits for it.
 */
void
commit_pipe_kick(struct commit_pipe *p)
{
	int wake;

	pthread_mutex_lock(&p->lock);
	if ((wake = p->kick_req == p->kick_done)) {
		clock_gettime(CLOCK_MONOTONIC, &p->kick_at);
		p->kick_at.tv_sec += COMMIT_PIPE_KICK_DELAY;
	}
	p->kick_req++;
	pthread_mutex_unlock(&p->lock);
	if (wake)
		pthread_cond_signal(&p->cond);
}

/* Under lock: whether the syncer has a reason to run a round now. */
static int
commit_pipe_due(struct commit_pipe *p, const struct pcommit_list *renamed)
{
	struct timespec now;

	if (!TAILQ_EMPTY(&p->staged) || !TAILQ_EMPTY(renamed))
		return 1;
	if (p->kick_req == p->kick_done)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > p->kick_at.tv_sec ||
	    (now.tv_sec == p->kick_at.tv_sec &&
	    now.tv_nsec >= p->kick_at.tv_nsec);
}

/* The syncer: rounds for as long as commits are staged or renamed. */
static void *
commit_pipe_main(void *arg)
{
	struct commit_pipe *p = arg;
	struct pcommit_list staged, renamed, done;
	uint64_t kicks;

	TAILQ_INIT(&staged);
	TAILQ_INIT(&renamed);
	TAILQ_INIT(&done);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && !commit_pipe_due(p, &renamed)) {
			if (p->kick_req != p->kick_done)
				pthread_cond_timedwait(&p->cond, &p->lock,
				    &p->kick_at);
			else
				pthread_cond_wait(&p->cond, &p->lock);
		}
		if (p->stop)
			break;
		/* the round starts after these removals: it covers them */
		kicks = p->kick_req;
		TAILQ_CONCAT(&staged, &p->staged, entry);
		pthread_mutex_unlock(&p->lock);

		if (commit_pipe_round(p, &staged, &renamed, &done)) {
			pthread_mutex_lock(&p->lock);
			TAILQ_CONCAT(&p->done, &done, entry);
			pthread_mutex_unlock(&p->lock);
			ev_async_send(p->loop, &p->async);
		}
		pthread_mutex_lock(&p->lock);
		p->kick_done = kicks;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * One round: a shared sync, after which every renamed commit is durable
 * and every staged one is renamed. Returns whether any went to done.
 */
static int
commit_pipe_round(struct commit_pipe *p, struct pcommit_list *staged,
    struct pcommit_list *renamed, struct pcommit_list *done)
{
	struct pcommit *pc;
	struct timespec t0;
	int error;

	error = groupsync_wait(&p->cs->gs) == -1 ? errno : 0;
	while ((pc = TAILQ_FIRST(renamed)) != NULL) {
		TAILQ_REMOVE(renamed, pc, entry);
		if (error)
			commit_abort(p->cs, pc->msgid, COMMIT_STEP_FSYNC_BUCKET,
			    error, &pc->res);
		else
			pc->res.status = QUEUE_OK;
		TAILQ_INSERT_TAIL(done, pc, entry);
	}
	while ((pc = TAILQ_FIRST(staged)) != NULL) {
		TAILQ_REMOVE(staged, pc, entry);
		if (error) {
			commit_abort(p->cs, pc->msgid, COMMIT_STEP_FSYNC_DIR,
			    error, &pc->res);
			TAILQ_INSERT_TAIL(done, pc, entry);
			continue;
		}
		if (pc->profile)
			clock_gettime(CLOCK_MONOTONIC, &t0);
		if (commit_publish(p->cs, pc->msgid, &pc->res) == -1)
			TAILQ_INSERT_TAIL(done, pc, entry);
		else
			TAILQ_INSERT_TAIL(renamed, pc, entry);
		pc->run_usec += commit_pipe_lap(pc->profile, &t0);
	}
	return !TAILQ_EMPTY(done);
}

/* Loop thread: reply for every commit the syncer is done with. */
static void
commit_pipe_async_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct queue *q = a->data;
	struct commit_pipe *p = q->pipe;
	struct pcommit_list done;
	struct pcommit *pc;

	(void)loop;
	(void)revents;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&p->lock);
	TAILQ_CONCAT(&done, &p->done, entry);
	pthread_mutex_unlock(&p->lock);
	while ((pc = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, pc, entry);
		commit_pipe_reply(q, pc);
	}
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

/* COMMIT: stage the envelopes now, then hand the commit to the syncer. */
void
queue_commit_start(struct queue *q, struct txn *t, uint32_t reqid)
{
	struct commit_pipe *p = q->pipe;
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
	pthread_mutex_lock(&p->lock);
	TAILQ_INSERT_TAIL(&p->staged, pc, entry);
	pthread_mutex_unlock(&p->lock);
	pthread_cond_signal(&p->cond);	/* unlocked: see workers_submit() */
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
			queue_dispatch_committed(q, &pc->env[i]);
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

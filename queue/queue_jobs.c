/*
 * queue_jobs.c: the queue role's jobs for the worker pool. Each job is a
 * self-contained struct: the loop thread fills it in (queue_job_*), a
 * worker runs the blocking spool call (commit.c, walk.c) on the copies it
 * carries, and the done callback, back on the loop thread, turns the
 * result into a reply, a log line and index updates. Workers never touch
 * struct queue; done callbacks never block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/commit.h"
#include "queue/index.h"
#include "queue/queue.h"
#include "queue/queue_msg.h"
#include "queue/walk.h"
#include "queue/workers.h"
#include "smtpd/ctl_stat.h"

struct job_walk {
	struct workers_job	 job;
	struct queue		*q;
	int			 spoolfd;
	const atomic_int	*stop;
	struct index		*idx;
	struct walk_stats	 st;
};

struct job_create {
	struct workers_job	 job;
	struct queue		*q;
	struct commit_spool	*cs;
	enum proc_id		 peer;
	unsigned int		 epoch;
	uint32_t		 reqid;
	uint64_t		 session;
	uint32_t		 msgid;
	int			 fd;
	struct commit_result	 res;
};

struct job_commit {
	struct workers_job	 job;
	struct queue		*q;
	struct commit_spool	*cs;
	enum proc_id		 peer;
	uint32_t		 reqid;
	uint64_t		 session;
	uint32_t		 msgid;
	struct txn_env		*env;		/* moved from the txn */
	struct commit_envelope	*cenv;
	size_t			 n;
	struct commit_result	 res;
};

struct job_discard {
	struct workers_job	 job;
	struct queue		*q;
	struct commit_spool	*cs;
	uint32_t		 msgid;
	uint64_t		 session;
	const char		*reason;	/* static string, for the log */
	struct commit_result	 res;
};

struct job_purge {
	struct workers_job	 job;
	struct queue		*q;
	struct commit_spool	*cs;
	const atomic_int	*stop;
	size_t			 count;
	int			 ret;
	int			 error;
};

static void	queue_job_walk_run(struct workers_job *);
static void	queue_job_walk_done(struct workers_job *);
static void	queue_job_create_run(struct workers_job *);
static void	queue_job_create_done(struct workers_job *);
static void	queue_job_commit_run(struct workers_job *);
static void	queue_job_commit_done(struct workers_job *);
static void	queue_job_discard_run(struct workers_job *);
static void	queue_job_discard_done(struct workers_job *);
static void	queue_job_purge_run(struct workers_job *);
static void	queue_job_purge_done(struct workers_job *);

/* ------------------------------------------------------------ walk */

void
queue_job_walk(struct queue *q)
{
	struct job_walk *j;

	j = xcalloc(1, sizeof(*j));
	j->job.run = queue_job_walk_run;
	j->job.done = queue_job_walk_done;
	j->job.op = "walk";
	j->q = q;
	j->spoolfd = q->spoolfd;
	j->stop = workers_stopping(q->pool);
	j->idx = index_new();
	log_debug("queue event=walk-start");
	workers_submit(q->pool, &j->job);
}

static void
queue_job_walk_run(struct workers_job *job)
{
	struct job_walk *j = (struct job_walk *)job;

	walk_spool(j->spoolfd, j->idx, &j->st, j->stop);
}

static void
queue_job_walk_done(struct workers_job *job)
{
	struct job_walk *j = (struct job_walk *)job;
	struct queue *q = j->q;

	/* Nothing was committed during the walk: its index is the index. */
	index_free(q->index);
	q->index = j->idx;
	log_info("queue event=walk messages=%zu envelopes=%zu quarantined=%zu "
	    "incoming=%zu purged=%zu errors=%zu result=%s", j->st.messages,
	    j->st.envelopes, j->st.quarantined, j->st.incoming, j->st.purged,
	    j->st.errors, j->st.errors ? "TempFail" : "Ok");
	free(j);
	queue_walk_over(q);
}

/* ---------------------------------------------------------- create */

void
queue_job_create(struct queue *q, enum proc_id peer, uint32_t reqid,
    uint64_t session)
{
	struct job_create *j;

	j = xcalloc(1, sizeof(*j));
	j->job.run = queue_job_create_run;
	j->job.done = queue_job_create_done;
	j->job.op = "create";
	j->q = q;
	j->cs = &q->cs;
	j->peer = peer;
	j->epoch = q->epoch[peer];
	j->reqid = reqid;
	j->session = session;
	j->fd = -1;
	workers_submit(q->pool, &j->job);
}

static void
queue_job_create_run(struct workers_job *job)
{
	struct job_create *j = (struct job_create *)job;

	commit_create(j->cs, &j->msgid, &j->fd, &j->res);
}

static void
queue_job_create_done(struct workers_job *job)
{
	struct job_create *j = (struct job_create *)job;
	struct queue *q = j->q;
	struct queue_create_res res;

	memset(&res, 0, sizeof(res));
	res.status = (uint32_t)j->res.status;
	if (j->res.status != QUEUE_OK) {
		log_warnx("%016llx queue event=create result=TempFail step=%s "
		    "error=\"%s\"", (unsigned long long)j->session,
		    commit_step_name(j->res.step), strerror(j->res.error));
		queue_send(q, j->peer, IMSG_QUEUE_CREATE_RES, j->reqid, -1,
		    &res, sizeof(res));
		free(j);
		return;
	}
	if (q->epoch[j->peer] != j->epoch) {
		/* its peer went away while the worker ran */
		close(j->fd);
		queue_job_discard(q, j->msgid, j->session, "peer-lost");
		free(j);
		return;
	}
	if (queue_txn_new(q, j->msgid, j->peer, j->session) == NULL) {
		close(j->fd);
		queue_job_discard(q, j->msgid, j->session, "msgid-in-use");
		log_warnx("%016llx queue event=create result=TempFail "
		    "error=\"msgid %08x still in use\"",
		    (unsigned long long)j->session, j->msgid);
		res.status = QUEUE_TEMPFAIL;
		queue_send(q, j->peer, IMSG_QUEUE_CREATE_RES, j->reqid, -1,
		    &res, sizeof(res));
		free(j);
		return;
	}
	res.msgid = j->msgid;
	log_trace(TRACE_QUEUE, "%08x queue event=create session=%016llx",
	    j->msgid, (unsigned long long)j->session);
	/* role_send owns the descriptor from here, sent or not */
	queue_send(q, j->peer, IMSG_QUEUE_CREATE_RES, j->reqid, j->fd, &res,
	    sizeof(res));
	free(j);
}

/* ---------------------------------------------------------- commit */

void
queue_job_commit(struct queue *q, struct txn *t, uint32_t reqid)
{
	struct job_commit *j;
	size_t i;

	j = xcalloc(1, sizeof(*j));
	j->job.run = queue_job_commit_run;
	j->job.done = queue_job_commit_done;
	j->job.op = "commit";
	j->q = q;
	j->cs = &q->cs;
	j->peer = t->peer;
	j->reqid = reqid;
	j->session = t->session;
	j->msgid = t->msgid;
	j->env = t->env;
	j->n = t->nenv;
	ctl_stat_decrement("scheduler.envelope.incoming", (int64_t)t->nenv);
	t->env = NULL;
	t->nenv = t->envcap = 0;
	j->cenv = xcalloc(j->n, sizeof(*j->cenv));
	for (i = 0; i < j->n; i++) {
		j->cenv[i].evpid = j->env[i].evpid;
		j->cenv[i].data = j->env[i].data;
		j->cenv[i].len = j->env[i].len;
	}
	workers_submit(q->pool, &j->job);
}

static void
queue_job_commit_run(struct workers_job *job)
{
	struct job_commit *j = (struct job_commit *)job;

	commit_message(j->cs, j->msgid, j->cenv, j->n, &j->res);
}

static void
queue_job_commit_done(struct workers_job *job)
{
	struct job_commit *j = (struct job_commit *)job;
	struct queue *q = j->q;
	struct queue_commit_res res;
	size_t i;

	if (j->res.status == QUEUE_OK) {
		log_info("%08x queue event=commit envelopes=%zu size=%lld "
		    "result=Ok session=%016llx", j->msgid, j->n,
		    (long long)j->res.size, (unsigned long long)j->session);
		for (i = 0; i < j->n; i++)
			queue_dispatch_add(q, &j->env[i].ie);
	} else {
		log_warnx("%08x queue event=commit envelopes=%zu "
		    "result=TempFail step=%s error=\"%s\" session=%016llx",
		    j->msgid, j->n, commit_step_name(j->res.step),
		    strerror(j->res.error), (unsigned long long)j->session);
		queue_job_purge(q);
	}
	memset(&res, 0, sizeof(res));
	res.status = (uint32_t)j->res.status;
	res.msgid = j->msgid;
	queue_send(q, j->peer, IMSG_QUEUE_COMMIT_RES, j->reqid, -1, &res,
	    sizeof(res));
	queue_txn_end(q, j->msgid);
	queue_txn_envelopes_free(j->env, j->n);
	free(j->cenv);
	free(j);
}

/* --------------------------------------------------------- discard */

/*
 * incoming/<msgid> to purge/, then purge/ emptied in the background. The
 * log line comes when it is done: a test may wait for it.
 */
void
queue_job_discard(struct queue *q, uint32_t msgid, uint64_t session,
    const char *reason)
{
	struct job_discard *j;

	j = xcalloc(1, sizeof(*j));
	j->job.run = queue_job_discard_run;
	j->job.done = queue_job_discard_done;
	j->job.op = "discard";
	j->q = q;
	j->cs = &q->cs;
	j->msgid = msgid;
	j->session = session;
	j->reason = reason;
	workers_submit(q->pool, &j->job);
}

static void
queue_job_discard_run(struct workers_job *job)
{
	struct job_discard *j = (struct job_discard *)job;

	commit_discard(j->cs, j->msgid, &j->res);
}

static void
queue_job_discard_done(struct workers_job *job)
{
	struct job_discard *j = (struct job_discard *)job;

	if (j->res.status != QUEUE_OK)
		log_warnx("%08x queue event=rollback reason=%s result=TempFail "
		    "error=\"%s\" session=%016llx", j->msgid, j->reason,
		    strerror(j->res.error), (unsigned long long)j->session);
	else
		log_info("%08x queue event=rollback reason=%s result=Ok "
		    "session=%016llx", j->msgid, j->reason,
		    (unsigned long long)j->session);
	queue_job_purge(j->q);
	free(j);
}

/* ----------------------------------------------------------- purge */

/* One purge run at a time; a request during a run asks for another. */
void
queue_job_purge(struct queue *q)
{
	struct job_purge *j;

	if (q->purging) {
		q->purge_again = 1;
		return;
	}
	q->purging = 1;
	j = xcalloc(1, sizeof(*j));
	j->job.run = queue_job_purge_run;
	j->job.done = queue_job_purge_done;
	j->job.op = "purge";
	j->q = q;
	j->cs = &q->cs;
	j->stop = workers_stopping(q->pool);
	workers_submit(q->pool, &j->job);
}

static void
queue_job_purge_run(struct workers_job *job)
{
	struct job_purge *j = (struct job_purge *)job;

	if ((j->ret = commit_purge(j->cs, j->stop, &j->count)) == -1)
		j->error = errno;
}

static void
queue_job_purge_done(struct workers_job *job)
{
	struct job_purge *j = (struct job_purge *)job;
	struct queue *q = j->q;

	if (j->ret == -1)
		log_warnx("queue event=purge removed=%zu result=TempFail "
		    "error=\"%s\"", j->count, strerror(j->error));
	else
		log_trace(TRACE_QUEUE, "queue event=purge removed=%zu",
		    j->count);
	free(j);
	q->purging = 0;
	if (q->purge_again) {
		q->purge_again = 0;
		queue_job_purge(q);
	}
}

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

/*
 * One purge run at a time; a request during a run asks for another.
 * Whatever went to purge/ is made durable by a group sync asked for here
 * (update.c does not sync it).
 */
void
queue_job_purge(struct queue *q)
{
	struct job_purge *j;

	if (q->pipe != NULL)
		commit_pipe_kick(q->pipe);
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

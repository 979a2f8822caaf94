/*
 * ctl_show.c: show queue, show envelope and show message in the queue
 * role (smtpd/ctl_msg.h for the frames). The envelopes named are taken
 * from the index when the request starts; their files are read by
 * workers, QUEUE_CTL_BATCH at a time, and each one goes out as it is on
 * disk but with what only memory knows: runflags (inflight, hold,
 * suspend) and the next try, last try and retry count, plus the runstate
 * and DELAY of ctl.md 4. An envelope that left the queue meanwhile is
 * skipped. The message is streamed in CTL_DATA_MAX chunks, read by
 * workers from a descriptor the first job opens.
 * Never more than CTL_WINDOW frames unacknowledged (IMSG_CTL_ACK), so a
 * slow client slows its stream, not the role; streams run beside the
 * commands of ctl.c, which only ever rename or unlink what they read.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/commit.h"
#include "queue/ctl.h"
#include "queue/envelope.h"
#include "queue/index.h"
#include "queue/queue.h"
#include "queue/scheduler.h"
#include "queue/spool.h"
#include "queue/workers.h"

struct qshow_env_job {
	struct workers_job	 job;
	struct qctl_stream	*st;
	int			 spoolfd;
	uint64_t		 evpids[QUEUE_CTL_BATCH];
	size_t			 n;
	int			 ok[QUEUE_CTL_BATCH];
	struct envelope		 env[QUEUE_CTL_BATCH];
};

struct qshow_msg_job {
	struct workers_job	 job;
	struct qctl_stream	*st;
	int			 spoolfd;
	ssize_t			 len;
	int			 error;
	uint8_t			 buf[CTL_DATA_MAX];
};

static void	qshow_pump(struct qctl_stream *);
static void	qshow_free(struct qctl_stream *);
static void	qshow_end(struct qctl_stream *);
static void	qshow_env_run(struct workers_job *);
static void	qshow_env_done(struct workers_job *);
static void	qshow_msg_run(struct workers_job *);
static void	qshow_msg_done(struct workers_job *);
static int	qshow_has_msgid(const struct index_entry *, void *);

static int
qshow_has_msgid(const struct index_entry *ie, void *arg)
{
	return (ie->evpid >> 32) == *(uint32_t *)arg;
}

void
queue_ctl_show(struct queue *q, uint32_t reqid, const struct ctl_request *req)
{
	struct qctl_stream *st;
	uint32_t msgid;
	int found;

	st = xcalloc(1, sizeof(*st));
	st->q = q;
	st->reqid = reqid;
	st->cmd = req->cmd;
	st->msgfd = -1;
	switch (req->cmd) {
	case CTL_SHOW_QUEUE:
	case CTL_SHOW_ENVELOPE:
		st->n = queue_ctl_collect(q, req->idkind, req->id, 0,
		    &st->evpids);
		break;
	default:
		msgid = req->idkind == CTL_ID_EVPID ? (uint32_t)(req->id >> 32) :
		    (uint32_t)req->id;
		found = req->idkind == CTL_ID_EVPID ?
		    index_get(q->index, req->id) != NULL :
		    index_foreach(q->index, qshow_has_msgid, &msgid) != 0;
		if (!found) {
			queue_ctl_status(q, reqid, CTL_NOTFOUND,
			    "no such message");
			free(st);
			return;
		}
		st->msgid = msgid;
		break;
	}
	TAILQ_INSERT_TAIL(&q->ctl->streams, st, entry);
	qshow_pump(st);
}

static void
qshow_free(struct qctl_stream *st)
{
	TAILQ_REMOVE(&st->q->ctl->streams, st, entry);
	if (st->msgfd != -1)
		close(st->msgfd);
	free(st->evpids);
	free(st);
}

/* Everything was sent: the final frame, then the stream is over. */
static void
qshow_end(struct qctl_stream *st)
{
	struct ctl_reply rep;

	if (st->cmd == CTL_SHOW_ENVELOPE) {
		/* its one frame would have ended it: the file is gone */
		queue_ctl_status(st->q, st->reqid, CTL_NOTFOUND,
		    "no such envelope");
		qshow_free(st);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = CTL_OK;
	rep.last = 1;
	rep.count = st->sent;
	queue_ctl_reply(st->q, st->reqid, &rep);
	qshow_free(st);
}

/* Start the next job if the window allows it. */
static void
qshow_pump(struct qctl_stream *st)
{
	struct queue *q = st->q;
	struct qshow_env_job *ej;
	struct qshow_msg_job *mj;
	size_t k;

	if (st->job || st->unacked >= CTL_WINDOW)
		return;
	if (st->cmd == CTL_SHOW_MESSAGE) {
		mj = xcalloc(1, sizeof(*mj));
		mj->job.run = qshow_msg_run;
		mj->job.done = qshow_msg_done;
		mj->job.op = "show-message";
		mj->st = st;
		mj->spoolfd = q->spoolfd;
		st->job = 1;
		workers_submit(q->pool, &mj->job);
		return;
	}
	if (st->pos == st->n) {
		qshow_end(st);
		return;
	}
	k = st->n - st->pos;
	if (k > QUEUE_CTL_BATCH)
		k = QUEUE_CTL_BATCH;
	if (k > CTL_WINDOW - st->unacked)
		k = CTL_WINDOW - st->unacked;
	ej = xcalloc(1, sizeof(*ej));
	ej->job.run = qshow_env_run;
	ej->job.done = qshow_env_done;
	ej->job.op = "show-envelope";
	ej->st = st;
	ej->spoolfd = q->spoolfd;
	memcpy(ej->evpids, st->evpids + st->pos, k * sizeof(*ej->evpids));
	ej->n = k;
	st->pos += k;
	st->job = 1;
	workers_submit(q->pool, &ej->job);
}

static void
qshow_env_run(struct workers_job *job)
{
	struct qshow_env_job *j = (struct qshow_env_job *)job;
	char err[ENVELOPE_ERR_MAX];
	size_t i;

	for (i = 0; i < j->n; i++)
		j->ok[i] = queue_ctl_read(j->spoolfd, j->evpids[i], &j->env[i],
		    err, sizeof(err)) == 0;
}

static void
qshow_env_done(struct workers_job *job)
{
	struct qshow_env_job *j = (struct qshow_env_job *)job;
	struct qctl_stream *st = j->st;
	struct index_entry *ie;
	struct ctl_reply rep;
	struct envelope *e;
	uint8_t *buf;
	size_t i, len;
	time_t now = time(NULL);
	char err[ENVELOPE_ERR_MAX];

	st->job = 0;
	if (st->dead) {
		qshow_free(st);
		free(j);
		return;
	}
	for (i = 0; i < j->n; i++) {
		if (!j->ok[i] ||
		    (ie = index_get(st->q->index, j->evpids[i])) == NULL)
			continue;
		e = &j->env[i];
		e->runflags = ie->runflags & ENVELOPE_R_ALL;
		e->nexttry = ie->nexttry;
		e->lasttry = ie->lasttry;
		e->retry = ie->retry;
		if (envelope_encode(e, &buf, &len, err, sizeof(err)) == -1) {
			log_warnx("%016llx queue event=show error=\"%s\"",
			    (unsigned long long)e->evpid, err);
			continue;
		}
		memset(&rep, 0, sizeof(rep));
		rep.version = CTL_PROTO_VERSION;
		rep.status = CTL_OK;
		rep.last = st->cmd == CTL_SHOW_ENVELOPE;
		rep.runstate = (uint8_t)sched_runstate(ie);
		rep.delay = sched_delay(ie, now);
		rep.data = buf;
		rep.datalen = len;
		queue_ctl_reply(st->q, st->reqid, &rep);
		free(buf);
		st->sent++;
		if (rep.last) {
			qshow_free(st);
			free(j);
			return;
		}
		st->unacked++;
	}
	free(j);
	qshow_pump(st);
}

static void
qshow_msg_run(struct workers_job *job)
{
	struct qshow_msg_job *j = (struct qshow_msg_job *)job;
	struct qctl_stream *st = j->st;
	char path[128];

	if (st->msgfd == -1) {
		snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x/"
		    COMMIT_MESSAGE, COMMIT_BUCKET(st->msgid), st->msgid);
		if ((st->msgfd = openat(j->spoolfd, path, O_RDONLY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1) {
			j->error = errno;
			j->len = -1;
			return;
		}
	}
	do
		j->len = read(st->msgfd, j->buf, sizeof(j->buf));
	while (j->len == -1 && errno == EINTR);
	if (j->len == -1)
		j->error = errno;
}

static void
qshow_msg_done(struct workers_job *job)
{
	struct qshow_msg_job *j = (struct qshow_msg_job *)job;
	struct qctl_stream *st = j->st;
	struct ctl_reply rep;

	st->job = 0;
	if (st->dead) {
		qshow_free(st);
		free(j);
		return;
	}
	if (j->len == -1) {
		log_warnx("%08x queue event=show-message error=\"%s\"",
		    st->msgid, strerror(j->error));
		queue_ctl_status(st->q, st->reqid, st->sent == 0 &&
		    j->error == ENOENT ? CTL_NOTFOUND : CTL_FAIL,
		    st->sent == 0 && j->error == ENOENT ? "no such message" :
		    "cannot read the message");
		qshow_free(st);
		free(j);
		return;
	}
	if (j->len == 0) {
		qshow_end(st);
		free(j);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = CTL_OK;
	rep.data = j->buf;
	rep.datalen = (size_t)j->len;
	queue_ctl_reply(st->q, st->reqid, &rep);
	st->sent += (uint64_t)j->len;
	st->unacked++;
	free(j);
	qshow_pump(st);
}

/* IMSG_CTL_ACK for a stream (an ended one's late acks are ignored). */
void
queue_ctl_show_ack(struct queue *q, uint32_t reqid)
{
	struct qctl_stream *st;

	TAILQ_FOREACH(st, &q->ctl->streams, entry)
		if (st->reqid == reqid && !st->dead)
			break;
	if (st == NULL || st->unacked == 0)
		return;
	st->unacked--;
	qshow_pump(st);
}

/* The control role is gone: streams end, once their job is back. */
void
queue_ctl_show_lost(struct queue *q)
{
	struct qctl_stream *st, *next;

	TAILQ_FOREACH_SAFE(st, &q->ctl->streams, entry, next) {
		if (st->job)
			st->dead = 1;
		else
			qshow_free(st);
	}
}

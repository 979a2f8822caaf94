/*
 * ctl.c: the queue role's smtpctl commands (IMSG_CTL_REQUEST from the
 * control role, which authorised them; smtpd/ctl_msg.h). Requests wait
 * in order until the start-up walk is over; then the shows start their
 * streams (ctl_show.c) and the commands that change envelopes run one at
 * a time, so no two jobs ever write one envelope file:
 *   pause/resume envelope: the scheduler's suspend flag at once, then the
 *     ENVELOPE_R_SUSPEND runflag written to the pending envelopes' files
 *     by a worker (inflight ones: memory only, dispatch.c writes the flag
 *     with the attempt's outcome). A pause takes the envelope out of the
 *     schedule before its file is written; a resume puts it back after.
 *   schedule: pending envelopes due now (memory only), and the relay
 *     role's destination holds lifted.
 *   remove: pending envelopes leave the schedule at once and their files
 *     are unlinked by a worker; inflight ones are marked and removed when
 *     their attempt ends (queue_ctl_removing(), called by dispatch.c).
 *     No report is sent for a removed envelope.
 *   pause/resume mda and mta: local (MDA) or relay (MTA) envelopes are
 *     held by the scheduler while paused, new ones as they are committed;
 *     a resume releases them with their own next try, so what was due is
 *     delivered at once. Sessions the relay role has open finish what
 *     they were given.
 *   discover: envelope files the index does not know join the schedule
 *     (ctl_discover.c).
 * Counts are of envelopes changed (ctl.md 7). The walk's total goes to
 * show stats as scheduler.envelope.
 * Never blocks the loop: every file is read and written in the pool.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ids.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/commit.h"
#include "queue/ctl.h"
#include "queue/envelope.h"
#include "queue/queue.h"
#include "queue/scheduler.h"
#include "queue/spool.h"
#include "queue/update.h"
#include "queue/workers.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

/* A command's file work: suspend flags written, or files removed. */
struct qctl_job {
	struct workers_job	 job;
	struct queue		*q;
	int			 spoolfd;
	uint32_t		 reqid;
	enum ctl_cmd		 cmd;
	uint64_t		*evpids;
	size_t			 n;
	uint64_t		 count;		/* the reply's */
	size_t			 failed;
	int			 purged;
	int			 error;		/* of the first failure */
};

struct qctl_collect {
	enum ctl_id_kind	 kind;
	uint64_t		 id;
	int			 type;		/* that type only, 0 all */
	uint64_t		*v;
	size_t			 n, cap;
};

static int	qctl_mark_cmp(struct qctl_mark *, struct qctl_mark *);
RB_PROTOTYPE(qctl_marks, qctl_mark, node, qctl_mark_cmp);
RB_GENERATE(qctl_marks, qctl_mark, node, qctl_mark_cmp)

static void	queue_ctl_next(struct queue *);
static void	queue_ctl_run(struct queue *, struct qctl_req *);
static int	queue_ctl_collect_cb(const struct index_entry *, void *);
static int	queue_ctl_evpid_cmp(const void *, const void *);
static void	queue_ctl_schedule(struct queue *, struct qctl_req *);
static void	queue_ctl_suspend(struct queue *, struct qctl_req *);
static void	queue_ctl_remove(struct queue *, struct qctl_req *);
static void	queue_ctl_pause(struct queue *, struct qctl_req *);
static void	queue_ctl_job(struct queue *, struct qctl_req *, uint64_t *,
		    size_t, uint64_t);
static void	queue_ctl_job_run(struct workers_job *);
static void	queue_ctl_job_done(struct workers_job *);

static int
qctl_mark_cmp(struct qctl_mark *a, struct qctl_mark *b)
{
	return a->evpid < b->evpid ? -1 : a->evpid > b->evpid;
}

void
queue_ctl_init(struct queue *q)
{
	struct qctl *c;

	c = xcalloc(1, sizeof(*c));
	c->q = q;
	TAILQ_INIT(&c->fifo);
	TAILQ_INIT(&c->streams);
	RB_INIT(&c->marks);
	/* smtpd -P mda|mta */
	c->mda_paused = (q->role->conf->start_paused & CONFIG_PAUSE_MDA) != 0;
	c->mta_paused = (q->role->conf->start_paused & CONFIG_PAUSE_MTA) != 0;
	q->ctl = c;
}

/* IMSG_CTL_REQUEST; -1 (the channel is closed) if it does not decode. */
int
queue_ctl_request(struct queue *q, struct ipc_msg *m)
{
	struct qctl_req *r;

	r = xcalloc(1, sizeof(*r));
	if (ctl_request_decode(m->data, m->len, &r->req) == -1) {
		log_warnx("queue event=control error=\"malformed request\"");
		free(r);
		return -1;
	}
	r->reqid = m->reqid;
	TAILQ_INSERT_TAIL(&q->ctl->fifo, r, entry);
	queue_ctl_next(q);
	return 0;
}

/* IMSG_CTL_ACK: a streamed frame reached its client. */
int
queue_ctl_ack(struct queue *q, struct ipc_msg *m)
{
	queue_ctl_show_ack(q, m->reqid);
	return 0;
}

void
queue_ctl_walk_over(struct queue *q)
{
	ctl_stat_increment("scheduler.envelope",
	    (int64_t)index_count(q->index));
	queue_ctl_next(q);
}

/* The control role went away: nobody to answer. */
void
queue_ctl_peer_lost(struct queue *q, enum proc_id id)
{
	struct qctl_req *r;

	if (id != PROC_CONTROL)
		return;
	while ((r = TAILQ_FIRST(&q->ctl->fifo)) != NULL) {
		TAILQ_REMOVE(&q->ctl->fifo, r, entry);
		free(r);
	}
	queue_ctl_show_lost(q);
}

static void
queue_ctl_next(struct queue *q)
{
	struct qctl *c = q->ctl;
	struct qctl_req *r;

	if (q->walking || q->sched == NULL)
		return;
	while (!c->busy && (r = TAILQ_FIRST(&c->fifo)) != NULL) {
		TAILQ_REMOVE(&c->fifo, r, entry);
		queue_ctl_run(q, r);
		free(r);
	}
}

static void
queue_ctl_run(struct queue *q, struct qctl_req *r)
{
	switch (r->req.cmd) {
	case CTL_SHOW_QUEUE:
	case CTL_SHOW_ENVELOPE:
	case CTL_SHOW_MESSAGE:
		queue_ctl_show(q, r->reqid, &r->req);
		break;
	case CTL_SCHEDULE:
		queue_ctl_schedule(q, r);
		break;
	case CTL_PAUSE_ENVELOPE:
	case CTL_RESUME_ENVELOPE:
		queue_ctl_suspend(q, r);
		break;
	case CTL_REMOVE:
		queue_ctl_remove(q, r);
		break;
	case CTL_PAUSE_MDA:
	case CTL_RESUME_MDA:
	case CTL_PAUSE_MTA:
	case CTL_RESUME_MTA:
		queue_ctl_pause(q, r);
		break;
	case CTL_DISCOVER:
		queue_ctl_discover(q, r->reqid, &r->req);
		break;
	default:
		queue_ctl_status(q, r->reqid, CTL_FAIL,
		    "not a command of the queue process");
		break;
	}
}

/* ------------------------------------------------------------ replies */

void
queue_ctl_reply(struct queue *q, uint32_t reqid, const struct ctl_reply *rep)
{
	(void)role_ctl_reply(q->role, reqid, rep, -1);
}

/* The frame that ends a request. */
void
queue_ctl_status(struct queue *q, uint32_t reqid, enum ctl_status status,
    const char *text)
{
	(void)role_ctl_status(q->role, reqid, status, text);
}

/* The frame of pause/resume envelope, schedule, remove, discover. */
void
queue_ctl_count(struct queue *q, uint32_t reqid, uint64_t n)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = CTL_OK;
	rep.last = 1;
	rep.count = n;
	queue_ctl_reply(q, reqid, &rep);
}

/* ------------------------------------------------------------ targets */

static int
queue_ctl_collect_cb(const struct index_entry *ie, void *arg)
{
	struct qctl_collect *k = arg;

	if (k->kind == CTL_ID_MSGID && (ie->evpid >> 32) != k->id)
		return 0;
	if (k->type != 0 && (int)ie->type != k->type)
		return 0;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->v = xreallocarray(k->v, k->cap, sizeof(*k->v));
	}
	k->v[k->n++] = ie->evpid;
	return 0;
}

static int
queue_ctl_evpid_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The indexed envelopes a request names, in evpid order (so by message):
 * one evpid, a message's, every one (CTL_ID_ALL, and CTL_ID_NONE: show
 * queue); with a type, that type's only. *out is NULL when there is none.
 */
size_t
queue_ctl_collect(struct queue *q, enum ctl_id_kind kind, uint64_t id,
    int type, uint64_t **out)
{
	struct qctl_collect k;

	memset(&k, 0, sizeof(k));
	k.kind = kind;
	k.id = id;
	k.type = type;
	if (kind == CTL_ID_EVPID) {
		if (index_get(q->index, id) != NULL) {
			k.v = xmalloc(sizeof(*k.v));
			k.v[k.n++] = id;
		}
	} else
		index_foreach(q->index, queue_ctl_collect_cb, &k);
	if (k.n > 1)
		qsort(k.v, k.n, sizeof(*k.v), queue_ctl_evpid_cmp);
	*out = k.v;
	return k.n;
}

/* ------------------------------------------------------------ commands */

static void
queue_ctl_schedule(struct queue *q, struct qctl_req *r)
{
	struct index_entry *ie;
	uint64_t *v, n = 0;
	size_t i, nv;
	time_t now = time(NULL);

	nv = queue_ctl_collect(q, r->req.idkind, r->req.id, 0, &v);
	for (i = 0; i < nv; i++) {
		if ((ie = index_get(q->index, v[i])) == NULL ||
		    ie->sched == NULL || (ie->runflags & (ENVELOPE_R_INFLIGHT |
		    ENVELOPE_R_HOLD | ENVELOPE_R_SUSPEND)))
			continue;
		if (sched_schedule_now(q->sched, v[i], now) == 0)
			n++;
	}
	free(v);
	log_info("queue event=schedule envelopes=%llu uid=%u",
	    (unsigned long long)n, r->req.uid);
	/* as Postfix's flush: destinations held after failures try again */
	queue_send(q, PROC_RELAY, IMSG_MTA_FLUSH, 0, -1, NULL, 0);
	if (n > 0)
		queue_dispatch_wake(q);
	queue_ctl_count(q, r->reqid, n);
}

static void
queue_ctl_suspend(struct queue *q, struct qctl_req *r)
{
	struct index_entry *ie;
	uint64_t *v, *files, n = 0;
	size_t i, nv, nfiles = 0;
	int on = r->req.cmd == CTL_PAUSE_ENVELOPE;

	nv = queue_ctl_collect(q, r->req.idkind, r->req.id, 0, &v);
	files = xcalloc(nv ? nv : 1, sizeof(*files));
	for (i = 0; i < nv; i++) {
		if ((ie = index_get(q->index, v[i])) == NULL ||
		    ie->sched == NULL ||
		    on == !!(ie->runflags & ENVELOPE_R_SUSPEND))
			continue;
		n++;
		if (on)
			sched_suspend(q->sched, v[i], 1);
		if (!(ie->runflags & ENVELOPE_R_INFLIGHT))
			files[nfiles++] = v[i];
		else if (!on)
			sched_suspend(q->sched, v[i], 0);
	}
	free(v);
	log_info("queue event=%s envelopes=%llu uid=%u", on ? "suspend" :
	    "resume", (unsigned long long)n, r->req.uid);
	if (nfiles == 0) {
		free(files);
		queue_ctl_count(q, r->reqid, n);
		return;
	}
	queue_ctl_job(q, r, files, nfiles, n);
}

static void
queue_ctl_remove(struct queue *q, struct qctl_req *r)
{
	struct index_entry *ie;
	struct qctl_mark *mk, key;
	uint64_t *v, *files, n = 0;
	size_t i, nv, nfiles = 0;

	nv = queue_ctl_collect(q, r->req.idkind, r->req.id, 0, &v);
	files = xcalloc(nv ? nv : 1, sizeof(*files));
	for (i = 0; i < nv; i++) {
		if ((ie = index_get(q->index, v[i])) == NULL)
			continue;
		if (ie->runflags & ENVELOPE_R_INFLIGHT) {
			key.evpid = v[i];
			if (RB_FIND(qctl_marks, &q->ctl->marks, &key) == NULL) {
				mk = xcalloc(1, sizeof(*mk));
				mk->evpid = v[i];
				RB_INSERT(qctl_marks, &q->ctl->marks, mk);
				n++;
			}
			continue;
		}
		sched_remove(q->sched, v[i]);
		ctl_stat_decrement("scheduler.envelope", 1);
		files[nfiles++] = v[i];
		n++;
	}
	free(v);
	ctl_stat_increment("scheduler.envelope.removed", (int64_t)n);
	log_info("queue event=remove envelopes=%llu inflight=%llu uid=%u",
	    (unsigned long long)n, (unsigned long long)(n - nfiles),
	    r->req.uid);
	if (nfiles == 0) {
		free(files);
		queue_ctl_count(q, r->reqid, n);
		return;
	}
	queue_ctl_job(q, r, files, nfiles, n);
}

static void
queue_ctl_pause(struct queue *q, struct qctl_req *r)
{
	struct index_entry *ie;
	uint64_t *v;
	size_t i, nv;
	int mda = r->req.cmd == CTL_PAUSE_MDA || r->req.cmd == CTL_RESUME_MDA;
	int on = r->req.cmd == CTL_PAUSE_MDA || r->req.cmd == CTL_PAUSE_MTA;

	if (mda)
		q->ctl->mda_paused = on;
	else
		q->ctl->mta_paused = on;
	nv = queue_ctl_collect(q, CTL_ID_ALL, 0, mda ? ENVELOPE_MDA :
	    ENVELOPE_MTA, &v);
	for (i = 0; i < nv; i++)
		if ((ie = index_get(q->index, v[i])) != NULL &&
		    ie->sched != NULL &&
		    on != !!(ie->runflags & ENVELOPE_R_HOLD))
			sched_hold(q->sched, v[i], on);
	free(v);
	log_info("queue event=%s-%s envelopes=%zu uid=%u",
	    on ? "pause" : "resume", mda ? "mda" : "mta", nv, r->req.uid);
	if (!on)
		queue_dispatch_wake(q);
	queue_ctl_status(q, r->reqid, CTL_OK, "");
}

/* ------------------------------------------------------------ hooks */

/*
 * dispatch.c, when an inflight envelope's attempt ends (or it leaves the
 * queue another way): 1 if `remove` asked for it meanwhile (the mark is
 * taken).
 */
int
queue_ctl_removing(struct queue *q, uint64_t evpid)
{
	struct qctl_mark key, *mk;

	if (q->ctl == NULL || RB_EMPTY(&q->ctl->marks))
		return 0;
	key.evpid = evpid;
	if ((mk = RB_FIND(qctl_marks, &q->ctl->marks, &key)) == NULL)
		return 0;
	RB_REMOVE(qctl_marks, &q->ctl->marks, mk);
	free(mk);
	return 1;
}

/* A committed envelope joined the schedule: held while its kind is paused. */
void
queue_ctl_added(struct queue *q, uint64_t evpid, int type)
{
	if (queue_ctl_paused(q, type))
		sched_hold(q->sched, evpid, 1);
}

/* 1 if `pause mda` (type ENVELOPE_MDA) or `pause mta` is in force. */
int
queue_ctl_paused(struct queue *q, int type)
{
	return type == ENVELOPE_MDA ? q->ctl->mda_paused :
	    type == ENVELOPE_MTA ? q->ctl->mta_paused : 0;
}

/* ------------------------------------------------------------ files */

/* Worker: one envelope file, decoded; -1 with err (ENOENT: gone). */
int
queue_ctl_read(int spoolfd, uint64_t evpid, struct envelope *e, char *err,
    size_t errsz)
{
	char path[128], id[IDS_EVPID_SIZE];
	uint32_t msgid = ids_evpid_msgid(evpid);
	uint8_t buf[ENVELOPE_ENCODED_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd;

	ids_evpid_fmt(evpid, id);
	snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x/%s",
	    COMMIT_BUCKET(msgid), msgid, id);
	if ((fd = openat(spoolfd, path, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "open: %s", strerror(errno));
		return -1;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errsz, "read: %s", strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return envelope_decode(buf, len, e, err, errsz);
}

static void
queue_ctl_job(struct queue *q, struct qctl_req *r, uint64_t *evpids,
    size_t n, uint64_t count)
{
	struct qctl_job *j;

	j = xcalloc(1, sizeof(*j));
	j->job.run = queue_ctl_job_run;
	j->job.done = queue_ctl_job_done;
	j->q = q;
	j->spoolfd = q->spoolfd;
	j->reqid = r->reqid;
	j->cmd = r->req.cmd;
	j->job.op = j->cmd == CTL_REMOVE ? "ctl-remove" : "ctl-suspend";
	j->evpids = evpids;
	j->n = n;
	j->count = count;
	q->ctl->busy = 1;
	workers_submit(q->pool, &j->job);
}

static void
queue_ctl_job_run(struct workers_job *job)
{
	struct qctl_job *j = (struct qctl_job *)job;
	struct update_result res;
	struct envelope e;
	char err[ENVELOPE_ERR_MAX];
	size_t i;
	int ret;

	for (i = 0; i < j->n; i++) {
		if (j->cmd == CTL_REMOVE) {
			ret = update_remove(j->spoolfd, NULL, j->evpids[i],
			    &res);
			if (ret == 0 && res.purged)
				j->purged = 1;
		} else if ((ret = queue_ctl_read(j->spoolfd, j->evpids[i], &e,
		    err, sizeof(err))) == 0) {
			if (j->cmd == CTL_PAUSE_ENVELOPE)
				e.runflags |= ENVELOPE_R_SUSPEND;
			else
				e.runflags &= ~(uint32_t)ENVELOPE_R_SUSPEND;
			e.runflags &= ~(uint32_t)(ENVELOPE_R_INFLIGHT |
			    ENVELOPE_R_HOLD);
			ret = update_envelope_write(j->spoolfd, &e, &res);
		} else
			res.error = ENOENT;
		if (ret == -1 && j->failed++ == 0)
			j->error = res.error;
	}
}

static void
queue_ctl_job_done(struct workers_job *job)
{
	struct qctl_job *j = (struct qctl_job *)job;
	struct queue *q = j->q;
	struct index_entry *ie;
	size_t i;

	if (j->failed)
		log_warnx("queue event=%s files=%zu failed=%zu error=\"%s\"",
		    ctl_cmd_name(j->cmd), j->n, j->failed,
		    strerror(j->error));
	if (j->cmd == CTL_RESUME_ENVELOPE) {
		for (i = 0; i < j->n; i++)
			if ((ie = index_get(q->index, j->evpids[i])) != NULL &&
			    ie->sched != NULL)
				sched_suspend(q->sched, j->evpids[i], 0);
		queue_dispatch_wake(q);
	}
	if (j->purged)
		queue_job_purge(q);
	queue_ctl_count(q, j->reqid, j->count);
	free(j->evpids);
	free(j);
	queue_ctl_done(q);
}

/* A command's job is over: the next request may start. */
void
queue_ctl_done(struct queue *q)
{
	q->ctl->busy = 0;
	queue_ctl_next(q);
}

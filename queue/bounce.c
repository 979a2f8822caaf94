/*
 * bounce.c: the loop thread's side of delivery reports (bounce.h). The
 * dispatcher hands over every BOUNCE envelope it picks (bounce_add);
 * envelopes of one message, kind and report recipient are gathered for
 * BOUNCE_GATHER seconds into a struct bounce, the report recipient is
 * routed by the lookup role (IMSG_LKA_RCPT from the queue, answered with
 * IMSG_LKA_EXPANSION templates and IMSG_LKA_RCPT_RESULT), and the report
 * is then written by a worker (bounce_make.c). Every BOUNCE envelope
 * stays inflight in the scheduler until bounce_done() settles it: made
 * (removed), refused by the rules (dropped, logged), or retried later.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/bounce.h"
#include "queue/ctl.h"
#include "queue/queue.h"
#include "queue/scheduler.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/lka_msg.h"
#include "smtpd/role.h"

static struct bounce *bounce_find(struct queue *, const struct envelope *);
static struct bounce *bounce_by_reqid(struct queue *, uint32_t);
static void	bounce_timer_cb(struct ev_loop *, ev_timer *, int);
static void	bounce_ask(struct bounce *);
static void	bounce_requeue(struct bounce *, const char *);
static const char *bounce_type_name(enum envelope_bounce_type);

void
bounce_init(struct queue *q)
{
	TAILQ_INIT(&q->bounces);
}

static const char *
bounce_type_name(enum envelope_bounce_type t)
{
	switch (t) {
	case ENVELOPE_BOUNCE_FAILED:	return "failed";
	case ENVELOPE_BOUNCE_DELAYED:	return "delayed";
	case ENVELOPE_BOUNCE_DELIVERED:	return "delivered";
	default:			return "none";
	}
}

/* A report still gathering for this envelope's message, kind and sender. */
static struct bounce *
bounce_find(struct queue *q, const struct envelope *e)
{
	struct bounce *b;

	TAILQ_FOREACH(b, &q->bounces, entry)
		if (b->reqid == 0 && b->msgid == envelope_msgid(e) &&
		    b->type == e->bounce_type && b->n < BOUNCE_RCPTS_MAX &&
		    strcmp(b->to, e->sender) == 0)
			return b;
	return NULL;
}

static struct bounce *
bounce_by_reqid(struct queue *q, uint32_t reqid)
{
	struct bounce *b;

	TAILQ_FOREACH(b, &q->bounces, entry)
		if (b->reqid == reqid)
			return b;
	return NULL;
}

/* A picked BOUNCE envelope joins its report; it stays inflight. */
void
bounce_add(struct queue *q, const struct envelope *e)
{
	struct bounce *b;

	if ((b = bounce_find(q, e)) == NULL) {
		b = xcalloc(1, sizeof(*b));
		b->q = q;
		b->msgid = envelope_msgid(e);
		b->type = e->bounce_type;
		b->twice = (e->flags & ENVELOPE_F_DOUBLE) != 0;
		strlcpy(b->to, e->sender, sizeof(b->to));
		ev_timer_init(&b->timer, bounce_timer_cb, BOUNCE_GATHER, 0.0);
		b->timer.data = b;
		ev_timer_start(q->role->loop, &b->timer);
		TAILQ_INSERT_TAIL(&q->bounces, b, entry);
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		b->envs = xreallocarray(b->envs, b->cap, sizeof(*b->envs));
	}
	b->envs[b->n++] = *e;
	ctl_stat_increment("bounce.envelope", 1);
}

static void
bounce_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	bounce_ask(w->data);
}

/* Route the report recipient: from local, null sender, as bounces are. */
static void
bounce_ask(struct bounce *b)
{
	struct queue *q = b->q;
	const struct config *conf = q->role->conf;
	struct lka_rcpt_req req;
	uint8_t *buf;
	size_t len;

	memset(&req, 0, sizeof(req));
	req.session = (uint64_t)b->msgid << 32;
	strlcpy(req.helo, conf->hostname, sizeof(req.helo));
	strlcpy(req.listener_host, conf->hostname, sizeof(req.listener_host));
	strlcpy(req.src, "local", sizeof(req.src));
	req.local_src = 1;
	strlcpy(req.rcpt, b->to, sizeof(req.rcpt));
	if (++q->bounce_reqid == 0)
		q->bounce_reqid = 1;
	b->reqid = q->bounce_reqid;
	if (lka_rcpt_req_encode(&req, &buf, &len) == -1) {
		bounce_requeue(b, "cannot encode the lookup request");
		return;
	}
	if (role_send(q->role, PROC_LOOKUP, IMSG_LKA_RCPT, b->reqid, -1, buf,
	    len) == -1)
		bounce_requeue(b, "lookup not reachable");
	free(buf);
}

/* IMSG_LKA_EXPANSION / IMSG_LKA_RCPT_RESULT for a report; -1: bad peer. */
int
bounce_lookup_reply(struct queue *q, struct ipc_msg *m)
{
	struct lka_rcpt_res res;
	struct envelope e;
	struct bounce *b;
	char err[ENVELOPE_ERR_MAX];

	if ((b = bounce_by_reqid(q, m->reqid)) == NULL)
		return 0;	/* settled already (peer lost) */
	if (m->type == IMSG_LKA_EXPANSION) {
		if (envelope_decode(m->data, m->len, &e, err,
		    sizeof(err)) == -1 || b->nexp >= BOUNCE_EXPANSIONS_MAX) {
			log_warnx("%08x queue event=bounce error=\"bad "
			    "expansion: %s\"", b->msgid, err);
			return -1;
		}
		if (b->nexp == b->expcap) {
			b->expcap = b->expcap ? b->expcap * 2 : 4;
			b->exp = xreallocarray(b->exp, b->expcap,
			    sizeof(*b->exp));
		}
		b->exp[b->nexp++] = e;
		return 0;
	}
	if (lka_rcpt_res_decode(m->data, m->len, &res) == -1)
		return -1;
	switch (res.status) {
	case LKA_OK:
		if (res.nexpansions != b->nexp || b->nexp == 0) {
			bounce_requeue(b, "lookup answer incomplete");
			return -1;
		}
		bounce_make(b);
		return 0;
	case LKA_REJECT:
		/* Nowhere to send it: the rules refuse the sender. */
		log_warnx("%08x queue event=bounce type=%s to=<%s> "
		    "result=PermFail error=\"report not routable: %s\"",
		    b->msgid, bounce_type_name(b->type), b->to, res.reply);
		bounce_done(b, 0);
		return 0;
	default:
		bounce_requeue(b, res.reply);
		return 0;
	}
}

/* The lookup role went away: reports asked of it are tried later. */
void
bounce_peer_lost(struct queue *q, enum proc_id id)
{
	struct bounce *b, *next;

	if (id != PROC_LOOKUP)
		return;
	TAILQ_FOREACH_SAFE(b, &q->bounces, entry, next)
		if (b->reqid != 0 && !b->making)
			bounce_requeue(b, "lookup lost");
}

/* Not now: every envelope pending again, tried after a retry delay. */
static void
bounce_requeue(struct bounce *b, const char *why)
{
	struct queue *q = b->q;
	time_t now = time(NULL);
	size_t i;

	log_warnx("%08x queue event=bounce type=%s to=<%s> result=TempFail "
	    "error=\"%s\"", b->msgid, bounce_type_name(b->type), b->to, why);
	for (i = 0; i < b->n; i++)
		sched_requeue(q->sched, b->envs[i].evpid, now +
		    SCHED_RETRY_FIRST);
	bounce_free(b);
}

/*
 * The report's fate, back on the loop thread: made (the worker removed
 * the BOUNCE envelopes; made = 1) or refused (made = 0: the envelopes
 * are removed now, by a job like any delivered envelope).
 */
void
bounce_done(struct bounce *b, int made)
{
	struct queue *q = b->q;
	size_t i;

	for (i = 0; i < b->n; i++) {
		queue_ctl_removing(q, b->envs[i].evpid);
		if (made) {
			sched_remove(q->sched, b->envs[i].evpid);
			ctl_stat_decrement("scheduler.envelope", 1);
		} else
			queue_dispatch_drop(q, &b->envs[i], "report not "
			    "routable");
	}
	bounce_free(b);
}

void
bounce_free(struct bounce *b)
{
	struct queue *q = b->q;

	ev_timer_stop(q->role->loop, &b->timer);
	ctl_stat_decrement("bounce.envelope", (int64_t)b->n);
	TAILQ_REMOVE(&q->bounces, b, entry);
	free(b->envs);
	free(b->exp);
	free(b);
}

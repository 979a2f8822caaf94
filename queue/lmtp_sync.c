/*
 * lmtp_sync.c: the queue role's side of the LMTP front (protocol.md A.8).
 * Before COMMIT, an LMTP session names the envelopes it will wait for
 * (IMSG_LMTP_DELIVER, lmtpd/lmtp_msg.h): local mailbox deliveries. They
 * are claimed at once, so dispatch.c hands their outcomes here instead
 * of applying them, however fast a delivery fails. When the transaction
 * is over (queue.c) a committed request starts waiting and its pending
 * envelopes are made due now; a failed commit forgets it. When every
 * claimed envelope has an outcome (or after LMTP_SYNC_WAIT), the
 * recipients' verdicts (lmtpd/lmtp_policy.c) go to the smtp role
 * (IMSG_LMTP_RESULT) and the outcomes are applied: delivered, the normal
 * way (removed); failed and told to the client, removed with no retry
 * and no report (event=lmtp-returned: the client owns it now); failed
 * for a recipient that keeps mail with us (mixed), the normal way:
 * retry or report.
 * Never loses an envelope: whatever is not known to be told to the
 * client takes dispatch.c's normal path; a lost smtp role releases all.
 *
 * Direct transactions (no commit at all) are lmtp_direct.c's; they use
 * the same requests, claims and answers (lmtp_sync_priv.h).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "lmtpd/lmtp_msg.h"
#include "lmtpd/lmtp_policy.h"
#include "queue/envelope.h"
#include "queue/index.h"
#include "queue/lmtp_sync.h"
#include "queue/lmtp_sync_priv.h"
#include "queue/mda_msg.h"
#include "queue/queue.h"
#include "queue/scheduler.h"
#include "smtpd/role.h"

static int	lmtp_ent_cmp(struct lmtp_ent *, struct lmtp_ent *);
RB_PROTOTYPE(lmtp_tree, lmtp_ent, node, lmtp_ent_cmp);
RB_GENERATE(lmtp_tree, lmtp_ent, node, lmtp_ent_cmp)

static struct lmtp_sync *lmtp_sync_get(struct queue *);
static int	lmtp_sync_check(const struct lmtp_deliver_hdr *,
		    const struct lmtp_deliver_ent *);
static void	lmtp_sync_claim(struct queue *, struct lmtp_ent *);
static void	lmtp_sync_timeout(struct ev_loop *, ev_timer *, int);
static int	lmtp_sync_send(struct lmtp_req *, const struct lmtp_verdict *);
static void	lmtp_sync_apply(struct lmtp_req *,
		    const struct lmtp_verdict *);
static void	lmtp_sync_release(struct lmtp_req *);

static int
lmtp_ent_cmp(struct lmtp_ent *a, struct lmtp_ent *b)
{
	return a->evpid < b->evpid ? -1 : a->evpid > b->evpid;
}

static struct lmtp_sync *
lmtp_sync_get(struct queue *q)
{
	if (q->lmtp == NULL) {
		q->lmtp = xcalloc(1, sizeof(*q->lmtp));
		RB_INIT(&q->lmtp->claimed);
		TAILQ_INIT(&q->lmtp->reqs);
	}
	return q->lmtp;
}

/* 0 if the request is well-formed: entries of msgid, in RCPT order. */
static int
lmtp_sync_check(const struct lmtp_deliver_hdr *h,
    const struct lmtp_deliver_ent *e)
{
	uint32_t i;

	if (h->msgid == 0 || h->nrcpt == 0 || h->nrcpt > LMTP_RCPT_MAX)
		return -1;
	for (i = 0; i < h->nent; i++) {
		if ((uint32_t)(e[i].evpid >> 32) != h->msgid ||
		    (uint32_t)e[i].evpid == 0 || e[i].rcpt >= h->nrcpt ||
		    (e[i].flags & ~(uint32_t)LMTP_ENT_SYNC) != 0)
			return -1;
		if (i > 0 && e[i].rcpt < e[i - 1].rcpt)
			return -1;
	}
	return 0;
}

/*
 * Before the commit: claim a sync envelope, so that its outcome comes
 * here however fast it is. An evpid claimed twice is left alone.
 */
static void
lmtp_sync_claim(struct queue *q, struct lmtp_ent *e)
{
	struct lmtp_sync *ls = lmtp_sync_get(q);

	if (RB_FIND(lmtp_tree, &ls->claimed, e) != NULL) {
		log_warnx("%016llx queue event=lmtp-claim result=TempFail "
		    "error=\"claimed twice\"", (unsigned long long)e->evpid);
		return;
	}
	RB_INSERT(lmtp_tree, &ls->claimed, e);
	e->claimed = 1;
	e->req->nwait++;
}

/*
 * IMSG_LMTP_DELIVER from the smtp role, sent after the envelopes and
 * before COMMIT: remembered until the transaction is over; -1 if it is
 * malformed or names no open transaction of this peer.
 */
int
lmtp_sync_request(struct queue *q, enum proc_id from, struct ipc_msg *m)
{
	struct lmtp_sync *ls = lmtp_sync_get(q);
	struct lmtp_deliver_hdr h;
	const struct txn *t;
	struct lmtp_deliver_ent *de;
	struct lmtp_req *req;
	size_t i;

	if (m->len < sizeof(h))
		return -1;
	memcpy(&h, m->data, sizeof(h));
	if (h.nent > LMTP_ENT_MAX ||
	    m->len != sizeof(h) + (size_t)h.nent * sizeof(*de))
		return -1;
	t = queue_txn_find(q, h.msgid);
	if (t == NULL || t->peer != from ||
	    t->state != TXN_OPEN || lmtp_sync_find(q, h.msgid) != NULL) {
		log_warnx("%08x queue event=lmtp-request peer=%s error=\"not "
		    "an open transaction of this peer\"", h.msgid,
		    proc_name(from));
		return -1;
	}
	de = xreallocarray(NULL, h.nent ? h.nent : 1, sizeof(*de));
	memcpy(de, m->data + sizeof(h), (size_t)h.nent * sizeof(*de));
	if (lmtp_sync_check(&h, de) == -1) {
		log_warnx("%08x queue event=lmtp-request peer=%s "
		    "error=\"malformed\"", h.msgid, proc_name(from));
		free(de);
		return -1;
	}
	req = xcalloc(1, sizeof(*req));
	req->q = q;
	req->peer = from;
	req->session = h.session;
	req->msgid = h.msgid;
	req->nrcpt = h.nrcpt;
	req->nent = h.nent;
	req->ent = xcalloc(h.nent ? h.nent : 1, sizeof(*req->ent));
	ev_init(&req->timer, lmtp_sync_timeout);
	req->timer.data = req;
	TAILQ_INSERT_TAIL(&ls->reqs, req, entry);
	for (i = 0; i < req->nent; i++) {
		req->ent[i].req = req;
		req->ent[i].evpid = de[i].evpid;
		req->ent[i].rcpt = de[i].rcpt;
		req->ent[i].sync = (de[i].flags & LMTP_ENT_SYNC) != 0;
		req->ent[i].outcome = LMTP_QUEUED;
		if (req->ent[i].sync)
			lmtp_sync_claim(q, &req->ent[i]);
	}
	free(de);
	log_debug("%08x queue event=lmtp-request session=%016llx rcpts=%u "
	    "entries=%zu waiting=%zu", req->msgid,
	    (unsigned long long)req->session, req->nrcpt, req->nent,
	    req->nwait);
	return 0;
}

struct lmtp_req *
lmtp_sync_find(struct queue *q, uint32_t msgid)
{
	struct lmtp_req *req;

	if (q->lmtp == NULL)
		return NULL;
	TAILQ_FOREACH(req, &q->lmtp->reqs, entry)
		if (req->msgid == msgid)
			return req;
	return NULL;
}

/*
 * queue.c, a transaction is over (after its COMMIT_RES went out, and on
 * success after its envelopes joined the schedule). Committed: the wait
 * begins, envelopes not in the schedule are counted as queued, the rest
 * made due now. Not committed: the session hears the commit's failure,
 * the request is forgotten.
 */
void
lmtp_sync_txn_over(struct queue *q, uint32_t msgid)
{
	struct lmtp_req *req;
	struct index_entry *ie;
	struct lmtp_ent *e;
	size_t i, committed = 0;
	time_t now = time(NULL);
	int wake = 0;

	if ((req = lmtp_sync_find(q, msgid)) == NULL || req->armed)
		return;
	for (i = 0; i < req->nent; i++)
		if (index_get(q->index, req->ent[i].evpid) != NULL)
			committed++;
	if (committed == 0 || q->sched == NULL) {
		log_debug("%08x queue event=lmtp-request note=not-committed",
		    msgid);
		lmtp_sync_release(req);
		lmtp_sync_free(req);
		return;
	}
	req->armed = 1;
	for (i = 0; i < req->nent; i++) {
		e = &req->ent[i];
		if (!e->claimed)
			continue;
		ie = index_get(q->index, e->evpid);
		if (ie == NULL || ie->sched == NULL ||
		    (ie->runflags & (ENVELOPE_R_HOLD | ENVELOPE_R_SUSPEND))) {
			/* Not ours to wait for: it stays queued. */
			lmtp_sync_take(q, e->evpid);
			continue;
		}
		if (!(ie->runflags & ENVELOPE_R_INFLIGHT)) {
			sched_schedule_now(q->sched, e->evpid, now);
			wake = 1;
		}
	}
	if (wake)
		queue_dispatch_wake(q);
	if (req->nwait == 0) {
		lmtp_sync_answer(req);
		return;
	}
	ev_timer_set(&req->timer, LMTP_SYNC_WAIT, 0.0);
	ev_timer_start(q->role->loop, &req->timer);
}

/* The claimed entry of evpid, unclaimed; NULL if none. */
struct lmtp_ent *
lmtp_sync_take(struct queue *q, uint64_t evpid)
{
	struct lmtp_ent key, *e;

	if (q->lmtp == NULL)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.evpid = evpid;
	if ((e = RB_FIND(lmtp_tree, &q->lmtp->claimed, &key)) == NULL)
		return NULL;
	RB_REMOVE(lmtp_tree, &q->lmtp->claimed, e);
	e->claimed = 0;
	e->req->nwait--;
	return e;
}

/*
 * dispatch.c, an outcome from the parent: 1 if an LMTP session waits for
 * it (held here, applied once the client was answered), 0 if the caller
 * applies it.
 */
int
lmtp_sync_result(struct queue *q, const struct envelope *env,
    const struct sched_status *st)
{
	struct lmtp_ent *e;

	if ((e = lmtp_sync_take(q, env->evpid)) == NULL)
		return 0;
	e->have = 1;
	e->env = xmalloc(sizeof(*e->env));
	*e->env = *env;
	e->st = *st;
	strlcpy(e->text, st->errorline ? st->errorline : "", sizeof(e->text));
	e->st.errorline = e->text;
	switch (st->outcome) {
	case SCHED_DELIVERED:
		e->outcome = LMTP_DELIVERED;
		break;
	case SCHED_PERMFAIL:
		e->outcome = LMTP_PERMFAIL;
		break;
	default:
		e->outcome = LMTP_TEMPFAIL;
		break;
	}
	if (e->req->nwait == 0 && e->req->armed)
		lmtp_sync_answer(e->req);
	return 1;
}

/*
 * dispatch.c, the envelope could not be read: dispatch.c keeps it for a
 * retry, so for the client it is queued with us.
 */
void
lmtp_sync_unread(struct queue *q, uint64_t evpid)
{
	struct lmtp_ent *e;

	if ((e = lmtp_sync_take(q, evpid)) == NULL)
		return;
	e->outcome = LMTP_QUEUED;
	if (e->req->nwait == 0 && e->req->armed)
		lmtp_sync_answer(e->req);
}

static void
lmtp_sync_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lmtp_req *req = w->data;

	(void)loop;
	(void)revents;
	log_info("%08x queue event=lmtp-timeout session=%016llx waiting=%zu "
	    "note=\"replying accepted for those\"", req->msgid,
	    (unsigned long long)req->session, req->nwait);
	lmtp_sync_answer(req);
}

/* Give back the claims still open: their outcomes take the normal path. */
static void
lmtp_sync_release(struct lmtp_req *req)
{
	size_t i;

	for (i = 0; i < req->nent; i++)
		if (req->ent[i].claimed) {
			RB_REMOVE(lmtp_tree, &req->q->lmtp->claimed,
			    &req->ent[i]);
			req->ent[i].claimed = 0;
			req->late += req->direct;
			/* direct: not delivered in time, the client keeps it */
			req->ent[i].outcome = req->direct ? LMTP_TEMPFAIL :
			    LMTP_QUEUED;
		}
	req->nwait = 0;
}

/* Every outcome is in (or time is up): verdicts out, outcomes applied. */
void
lmtp_sync_answer(struct lmtp_req *req)
{
	struct lmtp_env_outcome *o;
	struct lmtp_verdict *v;
	struct lmtp_ent *e;
	size_t i, j, k;
	uint32_t r;

	ev_timer_stop(req->q->role->loop, &req->timer);
	lmtp_sync_release(req);
	v = xcalloc(req->nrcpt, sizeof(*v));
	o = xcalloc(req->nent ? req->nent : 1, sizeof(*o));
	/* Entries come in RCPT order (lmtp_sync_check): one group each. */
	for (i = 0, r = 0; r < req->nrcpt; r++) {
		for (j = i, k = 0; j < req->nent && req->ent[j].rcpt == r;
		    j++, k++) {
			e = &req->ent[j];
			o[k].outcome = e->outcome;
			o[k].esc_class = e->st.esc_class;
			o[k].esc_subject = e->st.esc_subject;
			o[k].esc_detail = e->st.esc_detail;
			o[k].text = e->have ? e->text : NULL;
		}
		lmtp_policy_verdict(o, k, &v[r]);
		i = j;
	}
	free(o);
	if (lmtp_sync_send(req, v) == -1 && !req->direct) {
		/* Nobody was told: every failure stays ours. */
		for (r = 0; r < req->nrcpt; r++)
			if (v[r].kind == LMTP_V_FAILED)
				v[r].kind = LMTP_V_ACCEPTED;
	}
	lmtp_sync_apply(req, v);
	free(v);
	if (req->direct)
		lmtp_direct_over(req);
	else
		lmtp_sync_free(req);
}

/* The verdicts in frames of LMTP_RESULT_CHUNK; -1 if the smtp role is gone. */
static int
lmtp_sync_send(struct lmtp_req *req, const struct lmtp_verdict *v)
{
	struct lmtp_result_hdr h;
	uint8_t *buf;
	uint32_t first = 0;
	int ret = 0;

	buf = xmalloc(LMTP_RESULT_MAX);
	do {
		memset(&h, 0, sizeof(h));
		h.session = req->session;
		h.msgid = req->msgid;
		h.first = first;
		h.n = req->nrcpt - first < LMTP_RESULT_CHUNK ?
		    req->nrcpt - first : LMTP_RESULT_CHUNK;
		h.last = first + h.n == req->nrcpt;
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), v + first, (size_t)h.n * sizeof(*v));
		if (role_send(req->q->role, req->peer, IMSG_LMTP_RESULT, 0, -1,
		    buf, sizeof(h) + (size_t)h.n * sizeof(*v)) == -1) {
			log_warnx("%08x queue event=lmtp-result "
			    "session=%016llx error=\"smtp role unreachable\"",
			    req->msgid, (unsigned long long)req->session);
			ret = -1;
			break;
		}
		first += h.n;
	} while (first < req->nrcpt);
	free(buf);
	return ret;
}

/*
 * Held outcomes applied: a failure the client was told of leaves the
 * queue (event=lmtp-returned), anything else takes the normal way.
 */
static void
lmtp_sync_apply(struct lmtp_req *req, const struct lmtp_verdict *v)
{
	struct lmtp_ent *e;
	size_t i, delivered = 0, returned = 0, kept = 0;

	for (i = 0; i < req->nent; i++) {
		e = &req->ent[i];
		if (!e->have)
			continue;
		if (e->outcome != LMTP_DELIVERED &&
		    v[e->rcpt].kind == LMTP_V_FAILED) {
			log_info("%016llx queue event=lmtp-returned "
			    "session=%016llx rcpt=<%s> dest=<%s> result=%s "
			    "reply=%u text=\"%s\"",
			    (unsigned long long)e->evpid,
			    (unsigned long long)req->session, e->env->rcpt,
			    e->env->dest, e->outcome == LMTP_PERMFAIL ?
			    "PermFail" : "TempFail",
			    (unsigned int)v[e->rcpt].code, e->text);
			if (!req->direct)
				queue_dispatch_drop(req->q, e->env,
				    "returned to the LMTP client");
			returned++;
			continue;
		}
		if (e->outcome == LMTP_DELIVERED)
			delivered++;
		else
			kept++;
		if (!req->direct)
			queue_dispatch_apply(req->q, e->env, &e->st);
	}
	log_info("%08x queue event=lmtp-result session=%016llx rcpts=%u "
	    "delivered=%zu returned=%zu kept=%zu", req->msgid,
	    (unsigned long long)req->session, req->nrcpt, delivered, returned,
	    kept);
}

void
lmtp_sync_free(struct lmtp_req *req)
{
	size_t i;

	TAILQ_REMOVE(&req->q->lmtp->reqs, req, entry);
	for (i = 0; i < req->nent; i++)
		free(req->ent[i].env);
	free(req->ent);
	free(req);
}

/* The smtp role is gone: nobody will be told, everything the normal way. */
void
lmtp_sync_peer_lost(struct queue *q, enum proc_id id)
{
	struct lmtp_req *req, *next;
	size_t i;

	if (q->lmtp == NULL)
		return;
	TAILQ_FOREACH_SAFE(req, &q->lmtp->reqs, entry, next) {
		if (req->peer != id)
			continue;
		ev_timer_stop(q->role->loop, &req->timer);
		lmtp_sync_release(req);
		if (req->direct) {
			/* Nobody was acknowledged: the client keeps it all. */
			log_info("%08x queue event=lmtp-result "
			    "session=%016llx note=\"peer lost, direct "
			    "delivery not answered\"", req->msgid,
			    (unsigned long long)req->session);
			lmtp_direct_over(req);
			continue;
		}
		for (i = 0; i < req->nent; i++)
			if (req->ent[i].have)
				queue_dispatch_apply(q, req->ent[i].env,
				    &req->ent[i].st);
		log_info("%08x queue event=lmtp-result session=%016llx "
		    "note=\"peer lost, outcomes applied as usual\"",
		    req->msgid, (unsigned long long)req->session);
		lmtp_sync_free(req);
	}
}

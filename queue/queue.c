/*
 * queue.c: the queue role, the only writer of the spool. It runs as the
 * queue user, chrooted to the spool when started as root; every file
 * operation is relative to the spool's directory descriptor opened in
 * init, never an absolute path. This file is the glue: IPC from the smtp
 * role (smtpd/proc.h IMSG_QUEUE_*, queue/queue_msg.h) in, jobs to the
 * worker pool (workers.c) running the disk protocol (commit.c, walk.c),
 * replies and log lines out when a job comes back.
 * The loop thread owns every transaction, the index and the counters;
 * a job carries copies of what its worker needs. Never blocks on a disk
 * call; a misbehaving peer is closed, never a reason to exit.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ids.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "lmtpd/lmtp_msg.h"
#include "queue/bounce.h"
#include "queue/commit.h"
#include "queue/ctl.h"
#include "queue/envelope.h"
#include "queue/index.h"
#include "queue/lmtp_direct.h"
#include "queue/lmtp_sync.h"
#include "queue/mda_msg.h"
#include "queue/queue.h"
#include "queue/queue_msg.h"
#include "queue/walk.h"
#include "queue/workers.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

/* Transactions: limits that keep one message from eating the role. */
#define QUEUE_TXN_ENVELOPES_MAX	100000
#define QUEUE_TXN_BYTES_MAX	(64 * 1024 * 1024)

static const struct ipc_rule queue_rules[] = {
	{ IMSG_QUEUE_CREATE, PROC_BIT(PROC_SMTP),
	    sizeof(struct queue_create_req), sizeof(struct queue_create_req),
	    IPC_FD_NONE },
	{ IMSG_QUEUE_ENVELOPE, PROC_BIT(PROC_SMTP), 1, ENVELOPE_ENCODED_MAX,
	    IPC_FD_NONE },
	{ IMSG_QUEUE_COMMIT, PROC_BIT(PROC_SMTP),
	    sizeof(struct queue_commit_req), sizeof(struct queue_commit_req),
	    IPC_FD_NONE },
	{ IMSG_MDA_RESULT, PROC_BIT(PROC_PARENT), sizeof(struct mda_result),
	    sizeof(struct mda_result), IPC_FD_NONE },
	{ IMSG_MTA_RESULT, PROC_BIT(PROC_RELAY), sizeof(struct mda_result),
	    sizeof(struct mda_result), IPC_FD_NONE },
	{ IMSG_QUEUE_ROLLBACK, PROC_BIT(PROC_SMTP),
	    sizeof(struct queue_rollback_req),
	    sizeof(struct queue_rollback_req), IPC_FD_NONE },
	{ IMSG_LMTP_DELIVER, PROC_BIT(PROC_SMTP),
	    sizeof(struct lmtp_deliver_hdr), LMTP_DELIVER_MAX, IPC_FD_NONE },
	/* routing a delivery report (bounce.c) */
	{ IMSG_LKA_EXPANSION, PROC_BIT(PROC_LOOKUP), 1, ENVELOPE_ENCODED_MAX,
	    IPC_FD_NONE },
	{ IMSG_LKA_RCPT_RESULT, PROC_BIT(PROC_LOOKUP), 1, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
	/* smtpctl (ctl.c) */
	{ IMSG_CTL_REQUEST, PROC_BIT(PROC_CONTROL), 1, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
	{ IMSG_CTL_ACK, PROC_BIT(PROC_CONTROL), 0, 0, IPC_FD_NONE },
};

static void	queue_init(struct role *);
static void	queue_start(struct role *);
static int	queue_dispatch(struct role *, enum proc_id, struct ipc_msg *);
static void	queue_peer_lost(struct role *, enum proc_id);
static void	queue_shutdown(struct role *);

static int	queue_create(struct queue *, enum proc_id,
		    struct ipc_msg *);
static int	queue_envelope(struct queue *, enum proc_id,
		    struct ipc_msg *);
static int	queue_commit(struct queue *, enum proc_id,
		    struct ipc_msg *);
static int	queue_rollback(struct queue *, enum proc_id,
		    struct ipc_msg *);
static void	queue_txn_free(struct txn *);
static const char *queue_txn_check(struct txn *, uint32_t);
static int	queue_evpid_cmp(const void *, const void *);

const struct role_ops queue_role_ops = {
	.id = PROC_QUEUE,
	.user = SMTPQ_USER,
	.chroot = ROLE_CHROOT_SPOOL,
	.rules = queue_rules,
	.nrules = sizeof(queue_rules) / sizeof(queue_rules[0]),
	.init = queue_init,
	.start = queue_start,
	.dispatch = queue_dispatch,
	.peer_lost = queue_peer_lost,
	.shutdown = queue_shutdown,
};

/* Privileged: open the spool root, the one handle to every file after. */
static void
queue_init(struct role *r)
{
	struct queue *q;
	size_t i;

	q = xcalloc(1, sizeof(*q));
	q->role = r;
	for (i = 0; i < QUEUE_TXN_BUCKETS; i++)
		LIST_INIT(&q->txns[i]);
	TAILQ_INIT(&q->deferred);
	bounce_init(q);
	queue_ctl_init(q);
	if ((q->spoolfd = open(r->conf->queue_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		fatal("queue: cannot open the spool %s", r->conf->queue_dir);
	r->data = q;
}

/*
 * Privileges dropped: start the pool and walk the spool in it. READY goes
 * out right after; creates wait in q->deferred until the walk is over.
 */
static void
queue_start(struct role *r)
{
	struct queue *q = r->data;

	q->index = index_new();
	commit_spool_init(&q->cs, q->spoolfd);
	q->pool = workers_new(r->loop, QUEUE_WORKERS);
	q->pipe = commit_pipe_new(r->loop, q);
	q->walking = 1;
	queue_job_walk(q);
	queue_space_start(q);
}

static void
queue_shutdown(struct role *r)
{
	struct queue *q = r->data;

	if (q == NULL)
		return;
	/* Running commits finish; nothing unacknowledged is lost by it. */
	commit_pipe_free(q->pipe);
	q->pipe = NULL;
	workers_free(q->pool);
	q->pool = NULL;
}

static int
queue_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
	struct queue *q = r->data;

	if (m->fd != -1) {		/* no rule of ours allows one */
		close(m->fd);
		m->fd = -1;
	}
	switch (m->type) {
	case IMSG_QUEUE_CREATE:
		return queue_create(q, from, m);
	case IMSG_QUEUE_ENVELOPE:
		return queue_envelope(q, from, m);
	case IMSG_QUEUE_COMMIT:
		return queue_commit(q, from, m);
	case IMSG_QUEUE_ROLLBACK:
		return queue_rollback(q, from, m);
	case IMSG_MDA_RESULT:
	case IMSG_MTA_RESULT:
		return queue_dispatch_result(q, m);
	case IMSG_LMTP_DELIVER:
		return lmtp_sync_request(q, from, m);
	case IMSG_LKA_EXPANSION:
	case IMSG_LKA_RCPT_RESULT:
		return bounce_lookup_reply(q, m);
	case IMSG_CTL_REQUEST:
		return queue_ctl_request(q, m);
	case IMSG_CTL_ACK:
		return queue_ctl_ack(q, m);
	}
	return -1;
}

/* The peer is gone: its open transactions will never commit. */
static void
queue_peer_lost(struct role *r, enum proc_id id)
{
	struct queue *q = r->data;
	struct txn *t, *next;
	struct deferred *d, *dnext;
	size_t i;

	q->epoch[id]++;
	bounce_peer_lost(q, id);
	queue_ctl_peer_lost(q, id);
	lmtp_sync_peer_lost(q, id);
	TAILQ_FOREACH_SAFE(d, &q->deferred, entry, dnext)
		if (d->peer == id) {
			TAILQ_REMOVE(&q->deferred, d, entry);
			free(d);
		}
	for (i = 0; i < QUEUE_TXN_BUCKETS; i++)
		LIST_FOREACH_SAFE(t, &q->txns[i], entry, next) {
			if (t->peer != id || t->state != TXN_OPEN)
				continue;
			queue_job_discard(q, t->msgid, t->session,
			    "peer-lost");
			queue_txn_free(t);
		}
}

void
queue_send(struct queue *q, enum proc_id to, uint32_t type, uint32_t reqid,
    int fd, const void *data, size_t len)
{
	if (role_send(q->role, to, type, reqid, fd, data, len) == -1)
		log_debug("queue: reply type=%u to %s dropped", type,
		    proc_name(to));
}

static int
queue_create(struct queue *q, enum proc_id from, struct ipc_msg *m)
{
	struct queue_create_req req;
	struct deferred *d;

	memcpy(&req, m->data, sizeof(req));
	if (q->walking) {
		d = xcalloc(1, sizeof(*d));
		d->peer = from;
		d->reqid = m->reqid;
		d->session = req.session;
		TAILQ_INSERT_TAIL(&q->deferred, d, entry);
		return 0;
	}
	queue_commit_create(q, from, m->reqid, req.session);
	return 0;
}

/* The walk is over: take the creates that came in meanwhile. */
void
queue_walk_over(struct queue *q)
{
	struct deferred *d;

	q->walking = 0;
	queue_dispatch_start(q);
	queue_ctl_walk_over(q);
	while ((d = TAILQ_FIRST(&q->deferred)) != NULL) {
		TAILQ_REMOVE(&q->deferred, d, entry);
		queue_commit_create(q, d->peer, d->reqid, d->session);
		free(d);
	}
}

struct txn *
queue_txn_find(struct queue *q, uint32_t msgid)
{
	struct txn *t;

	LIST_FOREACH(t, &q->txns[msgid % QUEUE_TXN_BUCKETS], entry)
		if (t->msgid == msgid)
			return t;
	return NULL;
}

struct txn *
queue_txn_new(struct queue *q, uint32_t msgid, enum proc_id peer,
    uint64_t session)
{
	struct txn *t;

	/*
	 * A failed commit's done callback may still be on its way while its
	 * msgid, already gone from incoming/, is drawn again: NULL, and the
	 * new message is refused (1 chance in 2^32 per failed commit).
	 */
	if (queue_txn_find(q, msgid) != NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->msgid = msgid;
	t->peer = peer;
	t->session = session;
	t->state = TXN_OPEN;
	LIST_INSERT_HEAD(&q->txns[msgid % QUEUE_TXN_BUCKETS], t, entry);
	return t;
}

void
queue_txn_envelopes_free(struct txn_env *env, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(env[i].data);
	free(env);
}

static void
queue_txn_free(struct txn *t)
{
	ctl_stat_decrement("scheduler.envelope.incoming", (int64_t)t->nenv);
	LIST_REMOVE(t, entry);
	queue_txn_envelopes_free(t->env, t->nenv);
	free(t);
}

/* Committed or failed: the transaction is over (job done callbacks). */
void
queue_txn_end(struct queue *q, uint32_t msgid)
{
	struct txn *t;

	if ((t = queue_txn_find(q, msgid)) != NULL)
		queue_txn_free(t);
	lmtp_sync_txn_over(q, msgid);
}

/*
 * lmtp_sync.c: a direct transaction is over, its incoming/ emptied (kept
 * as a spare directory when reuse says nobody reads the message any more).
 */
void
queue_txn_discard(struct queue *q, uint32_t msgid, const char *why, int reuse)
{
	struct txn *t;

	if ((t = queue_txn_find(q, msgid)) == NULL)
		return;
	switch (commit_remove_incoming(&q->cs, msgid, reuse)) {
	case 1:
		queue_job_purge(q);	/* it went to purge/ */
		break;
	case -1:
		log_warnx("%08x queue event=remove reason=%s result=TempFail "
		    "error=\"%s\" session=%016llx", msgid, why,
		    strerror(errno), (unsigned long long)t->session);
		break;
	}
	queue_txn_free(t);
}

/*
 * One envelope for an open transaction. An envelope that does not decode
 * cannot be tied to its transaction: it is dropped and the commit then
 * fails on the envelope count. An unknown msgid, or one of another peer,
 * is a peer that does not follow the protocol: -1 closes it.
 */
static int
queue_envelope(struct queue *q, enum proc_id from, struct ipc_msg *m)
{
	struct txn *t;
	struct txn_env *te;
	uint32_t msgid;

	if (envelope_decode(m->data, m->len, &q->env, q->err,
	    sizeof(q->err)) == -1) {
		log_warnx("queue event=envelope peer=%s result=TempFail "
		    "error=\"%s\"", proc_name(from), q->err);
		return 0;
	}
	msgid = envelope_msgid(&q->env);
	if ((t = queue_txn_find(q, msgid)) == NULL || t->peer != from ||
	    t->state != TXN_OPEN) {
		log_warnx("%08x queue event=envelope peer=%s error=\"%s\"",
		    msgid, proc_name(from), t == NULL ? "unknown msgid" :
		    "not an open transaction of this peer");
		return -1;
	}
	if (t->failed != NULL)
		return 0;
	if (t->nenv >= QUEUE_TXN_ENVELOPES_MAX ||
	    t->bytes + m->len > QUEUE_TXN_BYTES_MAX) {
		t->failed = "too many envelopes";
		ctl_stat_decrement("scheduler.envelope.incoming",
		    (int64_t)t->nenv);
		queue_txn_envelopes_free(t->env, t->nenv);
		t->env = NULL;
		t->nenv = t->envcap = 0;
		return 0;
	}
	if (t->nenv == t->envcap) {
		t->envcap = t->envcap ? t->envcap * 2 : 4;
		t->env = xreallocarray(t->env, t->envcap, sizeof(*t->env));
	}
	te = &t->env[t->nenv++];
	te->evpid = q->env.evpid;
	te->len = m->len;
	te->data = xmalloc(m->len);
	memcpy(te->data, m->data, m->len);
	index_entry_set(&te->ie, &q->env);
	t->bytes += m->len;
	ctl_stat_increment("scheduler.envelope.incoming", 1);
	log_trace(TRACE_QUEUE, "%016llx queue event=envelope rcpt=%zu",
	    (unsigned long long)te->evpid, t->nenv);
	return 0;
}

static int
queue_evpid_cmp(const void *a, const void *b)
{
	const struct txn_env *x = a, *y = b;

	return x->evpid < y->evpid ? -1 : x->evpid > y->evpid;
}

/* Why this transaction cannot commit, or NULL. Sorts its envelopes. */
static const char *
queue_txn_check(struct txn *t, uint32_t nenvelopes)
{
	size_t i;

	if (t->failed != NULL)
		return t->failed;
	if (t->nenv == 0)
		return "no envelopes";
	if (nenvelopes != t->nenv)
		return "envelope count mismatch";
	qsort(t->env, t->nenv, sizeof(*t->env), queue_evpid_cmp);
	for (i = 1; i < t->nenv; i++)
		if (t->env[i].evpid == t->env[i - 1].evpid)
			return "duplicate evpid";
	return NULL;
}

static int
queue_commit(struct queue *q, enum proc_id from, struct ipc_msg *m)
{
	struct queue_commit_req req;
	struct queue_commit_res res;
	struct txn *t;
	const char *why;

	memcpy(&req, m->data, sizeof(req));
	if ((t = queue_txn_find(q, req.msgid)) == NULL || t->peer != from ||
	    t->state != TXN_OPEN) {
		log_warnx("%08x queue event=commit peer=%s error=\"%s\"",
		    req.msgid, proc_name(from), t == NULL ? "unknown msgid" :
		    "not an open transaction of this peer");
		return -1;
	}
	if ((why = queue_txn_check(t, req.nenvelopes)) != NULL) {
		log_warnx("%08x queue event=commit envelopes=%u "
		    "result=TempFail error=\"%s\" session=%016llx", t->msgid,
		    req.nenvelopes, why, (unsigned long long)t->session);
		memset(&res, 0, sizeof(res));
		res.status = QUEUE_TEMPFAIL;
		res.msgid = t->msgid;
		queue_send(q, from, IMSG_QUEUE_COMMIT_RES, m->reqid, -1, &res,
		    sizeof(res));
		queue_job_discard(q, t->msgid, t->session, "refused");
		lmtp_sync_txn_over(q, t->msgid);
		queue_txn_free(t);
		return 0;
	}
	t->session = req.session ? req.session : t->session;
	if (lmtp_direct(q, t, m->reqid))
		return 0;
	t->state = TXN_COMMITTING;
	queue_commit_start(q, t, m->reqid);
	return 0;
}

/*
 * ROLLBACK has no reply. An unknown msgid is harmless (the transaction
 * may have failed already); one being committed runs to its end.
 */
static int
queue_rollback(struct queue *q, enum proc_id from, struct ipc_msg *m)
{
	struct queue_rollback_req req;
	struct txn *t;

	memcpy(&req, m->data, sizeof(req));
	if ((t = queue_txn_find(q, req.msgid)) == NULL) {
		log_debug("%08x queue event=rollback result=Ok "
		    "note=unknown-msgid", req.msgid);
		return 0;
	}
	if (t->peer != from) {
		log_warnx("%08x queue event=rollback peer=%s error=\"not a "
		    "transaction of this peer\"", req.msgid, proc_name(from));
		return -1;
	}
	if (t->state != TXN_OPEN) {
		log_warnx("%08x queue event=rollback result=TempFail "
		    "error=\"commit in progress\"", req.msgid);
		return 0;
	}
	queue_job_discard(q, t->msgid, t->session, "requested");
	lmtp_sync_txn_over(q, t->msgid);
	queue_txn_free(t);
	return 0;
}

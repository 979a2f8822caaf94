/*
 * lmtp_direct.c: LMTP transactions delivered without a commit (design.md
 * "The LMTP front"). When every recipient is exactly one mailbox
 * delivery, nothing needs to stay with us, so COMMIT does not commit
 * (protocol.md A.8: only what expands to remote addresses or programs is
 * committed first). The envelopes go to the parent at once with the
 * message from incoming/ (QUEUE_DIRECT to the session), each recipient's
 * reply is its delivery's outcome (lmtp_sync.c answers, as for committed
 * requests), and incoming/<msgid> is kept as a spare or removed after.
 * Nothing was acknowledged before the deliveries: whatever did not end in
 * time is a 451 and the client keeps it, as with Dovecot's LMTP.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/commit.h"
#include "queue/ctl.h"
#include "queue/envelope.h"
#include "queue/lmtp_direct.h"
#include "queue/lmtp_sync.h"
#include "queue/lmtp_sync_priv.h"
#include "queue/queue.h"
#include "queue/queue_msg.h"
#include "queue/spool.h"
#include "smtpd/role.h"

static int	lmtp_direct_evpid_cmp(const void *, const void *);
static int	lmtp_direct_entry(const struct txn *, const struct lmtp_req *,
		    size_t, struct envelope *);
static int	lmtp_direct_open(struct queue *, uint32_t);
static void	lmtp_direct_start(struct lmtp_req *, struct envelope *, int);

/*
 * queue.c, COMMIT of a transaction that passed its checks: 1 if it is
 * delivered directly (QUEUE_DIRECT went to the session, the deliveries
 * are on their way), 0 if it is committed as usual. Direct only when
 * every envelope is a recipient's one mailbox delivery, claimed by the
 * session's request, with no success report asked for, and local
 * delivery is not paused.
 */
int
lmtp_direct(struct queue *q, struct txn *t, uint32_t reqid)
{
	struct queue_commit_res res;
	struct envelope *env;
	struct lmtp_req *req;
	size_t i;
	int fd;

	req = lmtp_sync_find(q, t->msgid);
	if (req == NULL || req->armed || req->peer != t->peer ||
	    req->nent != t->nenv || q->sched == NULL ||
	    queue_ctl_paused(q, ENVELOPE_MDA))
		return 0;
	env = xreallocarray(NULL, req->nent, sizeof(*env));
	for (i = 0; i < req->nent; i++)
		if (!lmtp_direct_entry(t, req, i, &env[i])) {
			free(env);
			return 0;
		}
	if ((fd = lmtp_direct_open(q, t->msgid)) == -1) {
		free(env);
		return 0;
	}
	memset(&res, 0, sizeof(res));
	res.status = QUEUE_DIRECT;
	res.msgid = t->msgid;
	queue_send(q, t->peer, IMSG_QUEUE_COMMIT_RES, reqid, -1, &res,
	    sizeof(res));
	t->state = TXN_DIRECT;
	log_debug("%08x queue event=lmtp-direct envelopes=%zu session=%016llx",
	    t->msgid, req->nent, (unsigned long long)t->session);
	lmtp_direct_start(req, env, fd);
	free(env);
	return 1;
}

static int
lmtp_direct_evpid_cmp(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key;
	const struct txn_env *b = elem;

	return a < b->evpid ? -1 : a > b->evpid;
}

/* 1 if entry i may be delivered directly; its envelope in *env. */
static int
lmtp_direct_entry(const struct txn *t, const struct lmtp_req *req, size_t i,
    struct envelope *env)
{
	const struct lmtp_ent *e = &req->ent[i];
	const struct txn_env *te;
	char err[ENVELOPE_ERR_MAX];

	if (!e->sync || !e->claimed ||
	    (i > 0 && req->ent[i - 1].rcpt == e->rcpt))
		return 0;
	/* t->env is sorted by evpid (queue.c checked it before COMMIT). */
	te = bsearch(&e->evpid, t->env, t->nenv, sizeof(*t->env),
	    lmtp_direct_evpid_cmp);
	if (te == NULL ||
	    envelope_decode(te->data, te->len, env, err, sizeof(err)) == -1)
		return 0;
	return env->type == ENVELOPE_MDA && env->runflags == 0 &&
	    !(env->dsn_notify & ENVELOPE_DSN_SUCCESS);
}

/* The message in incoming/, read-only; -1 if it cannot be opened. */
static int
lmtp_direct_open(struct queue *q, uint32_t msgid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x/" COMMIT_MESSAGE,
	    msgid);
	if ((fd = openat(q->spoolfd, path, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		log_warnx("%08x queue event=lmtp-direct error=\"open: %s\" "
		    "note=\"committing instead\"", msgid, strerror(errno));
	return fd;
}

/*
 * Every envelope to the parent, each with its own descriptor of the
 * message (takes fd). Until an outcome comes, an entry counts as a
 * temporary failure: the client was told nothing yet.
 */
static void
lmtp_direct_start(struct lmtp_req *req, struct envelope *env, int fd)
{
	struct lmtp_ent *e;
	size_t i;
	int dfd;

	req->direct = 1;
	req->armed = 1;
	for (i = 0; i < req->nent; i++) {
		e = &req->ent[i];
		e->outcome = LMTP_TEMPFAIL;
		dfd = i + 1 < req->nent ? dup(fd) : fd;
		if (dfd == -1 || queue_dispatch_direct(req->q, &env[i],
		    dfd) == -1) {
			log_warnx("%016llx queue event=lmtp-direct "
			    "error=\"cannot hand it to the parent\" "
			    "result=TempFail", (unsigned long long)e->evpid);
			lmtp_sync_take(req->q, e->evpid);
		}
	}
	if (req->nwait == 0) {
		lmtp_sync_answer(req);
		return;
	}
	ev_timer_set(&req->timer, LMTP_SYNC_WAIT, 0.0);
	ev_timer_start(req->q->role->loop, &req->timer);
}

/*
 * A direct request answered (or its session lost): incoming/ emptied.
 * With a delivery still out, the message may still be read through its
 * descriptor: removed then, never emptied and reused as a spare.
 */
void
lmtp_direct_over(struct lmtp_req *req)
{
	struct queue *q = req->q;
	uint32_t msgid = req->msgid;
	int reuse = req->late == 0;

	lmtp_sync_free(req);
	queue_txn_discard(q, msgid, "lmtp-direct", reuse);
}

/*
 * dispatch.c, the outcome of a direct delivery whose session was already
 * answered (a 451 for it, or the session lost): nothing to apply, the
 * client keeps the message.
 */
void
lmtp_direct_late(struct queue *q, const struct envelope *env)
{
	(void)q;
	log_info("%016llx queue event=lmtp-late rcpt=<%s> note=\"answered "
	    "before this outcome: the client keeps the message\"",
	    (unsigned long long)env->evpid, env->rcpt);
}

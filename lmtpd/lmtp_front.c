/*
 * lmtp_front.c: the smtp role's side of the LMTP front. Called by
 * session_txn.c: just before COMMIT of an LMTP session's message, the
 * envelopes that deliver to a local mailbox (lmtp_policy_sync) are named
 * to the queue role (IMSG_LMTP_DELIVER), which delivers them as soon as
 * they are committed and answers one verdict per recipient
 * (IMSG_LMTP_RESULT, queue/lmtp_sync.c). After the commit the session
 * reads no command until the verdicts are in; then it writes one reply
 * per accepted RCPT, in order, and resumes. With no such envelope, or if
 * the request could not be sent, the caller answers at once, as today.
 * When each recipient is one mailbox the queue does not commit at all
 * (QUEUE_DIRECT, queue/lmtp_sync.c): the deliveries are the only copy.
 * Must never lose a reply's meaning: every fallback here is a 4xx (or
 * "accepted" for what the queue said it keeps), never a guess at success.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "lmtpd/lmtp_front.h"
#include "lmtpd/lmtp_msg.h"
#include "lmtpd/lmtp_policy.h"
#include "smtpd/role.h"
#include "smtpd/session.h"
#include "smtpd/smtp.h"

static void	lmtp_front_timeout(struct ev_loop *, ev_timer *, int);
static void	lmtp_front_reply(struct session *, const struct lmtp_verdict *,
		    struct session_rcpt *);
static void	lmtp_front_finish(struct session *);
static struct session *lmtp_front_session(const struct lmtp_result_hdr *);

/*
 * Before COMMIT, envelopes sent: tell the queue which envelopes this LMTP
 * session will wait for, so it holds their outcomes from the moment they
 * are committed (a fast failure may come back before any later message
 * could). Nothing is sent when no envelope is delivered synchronously.
 */
void
lmtp_front_request(struct session *s)
{
	struct lmtp_deliver_hdr *h;
	struct lmtp_deliver_ent *e;
	struct session_rcpt *r;
	uint8_t *buf;
	uint32_t idx = 0, n = 0, nsync = 0;
	size_t i;
	int queued, sync;

	buf = xcalloc(1, LMTP_DELIVER_MAX);
	h = (struct lmtp_deliver_hdr *)buf;
	e = (struct lmtp_deliver_ent *)(buf + sizeof(*h));
	TAILQ_FOREACH(r, &s->txn.rcpts, entry) {
		queued = 0;
		for (i = 0; i < r->nevp; i++) {
			sync = lmtp_policy_sync(s->server->conf, &r->evp[i]);
			if (!sync && queued++)
				continue;	/* one per recipient */
			nsync += sync;
			if (n == LMTP_ENT_MAX || idx >= LMTP_RCPT_MAX) {
				log_info("%08x smtp event=lmtp-deliver "
				    "session=%016llx note=\"too many envelopes "
				    "to wait for: replying at once\"",
				    s->txn.msgid, (unsigned long long)s->id);
				free(buf);
				return;
			}
			e[n].evpid = r->evp[i].evpid;
			e[n].rcpt = idx;
			e[n].flags = sync ? LMTP_ENT_SYNC : 0;
			n++;
		}
		idx++;
	}
	if (nsync > 0) {
		h->session = s->id;
		h->msgid = s->txn.msgid;
		h->nrcpt = idx;
		h->nent = n;
		if (role_send(s->server->role, PROC_QUEUE, IMSG_LMTP_DELIVER, 0,
		    -1, buf, sizeof(*h) + n * sizeof(*e)) == 0)
			s->txn.lmtp_sent = 1;
		log_debug("%08x smtp event=lmtp-deliver session=%016llx "
		    "rcpts=%u sync=%u sent=%d", s->txn.msgid,
		    (unsigned long long)s->id, idx, nsync, s->txn.lmtp_sent);
	}
	free(buf);
}

/*
 * COMMIT_RES OK for msgid: 1 if the session now waits for the verdicts
 * (IMSG_LMTP_RESULT), 0 if the caller answers at once.
 */
int
lmtp_front_wait(struct session *s, uint32_t msgid)
{
	if (!s->txn.lmtp_sent)
		return 0;
	session_wait(s, W_LMTP);
	s->lmtp_msgid = msgid;
	s->lmtp_done = 0;
	s->lmtp_next = TAILQ_FIRST(&s->txn.rcpts);
	ev_timer_init(&s->lmtp_timer, lmtp_front_timeout, LMTP_FRONT_WAIT, 0.0);
	s->lmtp_timer.data = s;
	ev_timer_start(s->server->loop, &s->lmtp_timer);
	return 1;
}

/*
 * The queue never answered in time (it answers after LMTP_SYNC_WAIT
 * whatever happened, so this is a bug or an overloaded queue): 421 and
 * close. The session stays allocated until the answer comes.
 */
static void
lmtp_front_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;

	(void)loop;
	(void)revents;
	log_warnx("%08x smtp event=lmtp-timeout session=%016llx "
	    "answered=%u result=TempFail", s->lmtp_msgid,
	    (unsigned long long)s->id, s->lmtp_done);
	if (s->state == S_DEAD)
		return;
	session_reply(s, "421 4.4.2 %s Timeout waiting for local delivery",
	    s->name);
	s->state = S_QUIT;
	session_flush(s);
}

static void
lmtp_front_reply(struct session *s, const struct lmtp_verdict *v,
    struct session_rcpt *r)
{
	char line[LMTP_REPLY_MAX];
	const char *result;

	if (v == NULL || lmtp_policy_reply(v, r->text, s->lmtp_msgid, line,
	    sizeof(line)) == -1) {
		/* Nothing trustworthy: the client tries again. */
		log_warnx("%08x smtp event=lmtp-reply session=%016llx "
		    "rcpt=<%s> error=\"%s\"", s->lmtp_msgid,
		    (unsigned long long)s->id, r->text, v == NULL ?
		    "no verdict" : "invalid verdict");
		snprintf(line, sizeof(line), "451 4.3.0 <%s> Temporary failure",
		    r->text);
	}
	result = line[0] == '2' ? "Ok" : line[0] == '4' ? "TempFail" :
	    "PermFail";
	log_info("%08x smtp event=lmtp-reply session=%016llx rcpt=<%s> "
	    "result=%s reply=\"%s\"", s->lmtp_msgid, (unsigned long long)s->id,
	    r->text, result, line);
	session_reply(s, "%s", line);
}

/* The session waiting for these verdicts, dead or alive; NULL if none. */
static struct session *
lmtp_front_session(const struct lmtp_result_hdr *h)
{
	struct session *s;

	TAILQ_FOREACH(s, &smtp_server_get()->sessions, entry)
		if (s->id == h->session && s->wait == W_LMTP &&
		    s->lmtp_msgid == h->msgid)
			return s;
	return NULL;
}

/* The last frame came: the session reads commands again. */
static void
lmtp_front_finish(struct session *s)
{
	ev_timer_stop(s->server->loop, &s->lmtp_timer);
	session_by_reqid(s->reqid);
	s->lmtp_next = NULL;
	if (s->state == S_DEAD) {
		session_reap(s);
		return;
	}
	s->state = S_CMD;
	session_reset_txn(s);
	session_resume(s);
}

/* IMSG_LMTP_RESULT: a chunk of verdicts, in RCPT order. */
int
lmtp_front_result(struct ipc_msg *m)
{
	struct lmtp_result_hdr h;
	struct lmtp_verdict v;
	struct session *s;
	uint32_t i;

	if (m->len < sizeof(h))
		return -1;
	memcpy(&h, m->data, sizeof(h));
	if (h.n > LMTP_RESULT_CHUNK ||
	    m->len != sizeof(h) + (size_t)h.n * sizeof(v))
		return -1;
	if ((s = lmtp_front_session(&h)) == NULL) {
		/* The client left before the commit was done. */
		log_info("%08x smtp event=lmtp-result session=%016llx "
		    "note=no-waiting-session", h.msgid,
		    (unsigned long long)h.session);
		return 0;
	}
	if (h.first != s->lmtp_done) {
		log_warnx("%08x smtp event=lmtp-result session=%016llx "
		    "error=\"out of step\"", h.msgid,
		    (unsigned long long)s->id);
		return -1;
	}
	if (s->state == S_DEAD) {
		if (h.last) {
			log_info("%08x smtp event=lmtp-result session=%016llx "
			    "note=client-gone-before-reply", h.msgid,
			    (unsigned long long)s->id);
			lmtp_front_finish(s);
		} else
			s->lmtp_done += h.n;
		return 0;
	}
	for (i = 0; i < h.n && s->lmtp_next != NULL; i++) {
		memcpy(&v, m->data + sizeof(h) + (size_t)i * sizeof(v),
		    sizeof(v));
		lmtp_front_reply(s, &v, s->lmtp_next);
		s->lmtp_next = TAILQ_NEXT(s->lmtp_next, entry);
		s->lmtp_done++;
	}
	if (i < h.n)
		log_warnx("%08x smtp event=lmtp-result session=%016llx "
		    "error=\"more verdicts than recipients\"", h.msgid,
		    (unsigned long long)s->id);
	if (!h.last)
		return 0;
	/* Recipients the queue left out still get an answer. */
	for (; s->lmtp_next != NULL; s->lmtp_next = TAILQ_NEXT(s->lmtp_next,
	    entry))
		lmtp_front_reply(s, NULL, s->lmtp_next);
	lmtp_front_finish(s);
	return 0;
}

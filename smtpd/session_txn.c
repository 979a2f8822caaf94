/*
 * session_txn.c: DATA and the queue transaction. DATA asks the queue role
 * for a message file (IMSG_QUEUE_CREATE); the smtp role writes our
 * Received: field and the unstuffed content into it while data.c checks
 * the limits (and, on submission, adds a missing Date: or Message-Id:,
 * received.c); at the end of data it sends one envelope per final
 * recipient and COMMIT, and answers 250 only when the queue says the
 * message and its envelopes are durable. Any failure rolls back: nothing
 * half-received ever reaches queue/. An LMTP session with local mailbox
 * recipients answers only after their deliveries (lmtpd/lmtp_front.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "lmtpd/lmtp_front.h"
#include "queue/queue_msg.h"
#include "smtpd/role.h"
#include "smtpd/session.h"

static void	txn_write(struct session *, int);
static const char *txn_verdict(struct session *);
static void	txn_commit(struct session *);
static void	txn_reply_all(struct session *, const char *);
static void	txn_fill(struct session *, struct session_rcpt *,
		    struct envelope *, uint64_t);
static int	txn_send_rollback(struct smtp_server *, uint32_t);

void
session_data_start(struct session *s)
{
	struct queue_create_req req;

	memset(&req, 0, sizeof(req));
	req.session = s->id;
	session_wait(s, W_CREATE);
	if (role_send(s->server->role, PROC_QUEUE, IMSG_QUEUE_CREATE, s->reqid,
	    -1, &req, sizeof(req)) == -1) {
		session_by_reqid(s->reqid);
		s->state = S_CMD;
		session_reply(s, "451 4.3.0 Temporary failure");
	}
}

static int
txn_send_rollback(struct smtp_server *srv, uint32_t msgid)
{
	struct queue_rollback_req req;

	memset(&req, 0, sizeof(req));
	req.msgid = msgid;
	return role_send(srv->role, PROC_QUEUE, IMSG_QUEUE_ROLLBACK, 0, -1,
	    &req, sizeof(req));
}

/*
 * The message file closed first: after ROLLBACK the queue may reuse its
 * directory for another message (queue/recycle.c).
 */
void
session_txn_abort(struct session *s)
{
	if (s->txn.msgfd != -1) {
		close(s->txn.msgfd);
		s->txn.msgfd = -1;
	}
	if (s->txn.msgid) {
		txn_send_rollback(s->server, s->txn.msgid);
		log_info("%016llx smtp event=rollback msgid=%08x",
		    (unsigned long long)s->id, s->txn.msgid);
		s->txn.msgid = 0;
	}
}

int
session_queue_created(struct ipc_msg *m)
{
	struct queue_create_res res;
	struct smtp_server *srv = smtp_server_get();
	struct session *s;

	memcpy(&res, m->data, sizeof(res));
	if (res.status == QUEUE_OK && (res.msgid == 0 || m->fd == -1)) {
		if (m->fd != -1)
			close(m->fd);
		return -1;
	}
	if ((s = session_by_reqid(m->reqid)) == NULL || s->state == S_DEAD) {
		if (m->fd != -1)
			close(m->fd);
		if (res.status == QUEUE_OK)
			txn_send_rollback(srv, res.msgid);
		if (s)
			session_reap(s);
		return 0;
	}
	s->state = S_CMD;
	if (res.status != QUEUE_OK) {
		if (m->fd != -1)
			close(m->fd);
		session_reply(s, res.status == QUEUE_NOSPACE ?
		    "452 4.3.1 Insufficient system storage" :
		    "451 4.3.0 Temporary failure");
		session_resume(s);
		return 0;
	}
	s->txn.msgid = res.msgid;
	s->txn.msgfd = m->fd;
	s->txn.started = time(NULL);
	buf_reset(&s->txn.wbuf);
	received_header(s, &s->txn.wbuf);
	data_init(&s->txn.dp, srv->conf->bare_newline,
	    srv->conf->max_message_size, &s->txn.wbuf);
	if (received_submission(s))
		received_submission_fields(s, &s->txn.dp);
	if (buf_avail(&s->in)) {
		/* Content sent before our 354: a pipelining violation. */
		log_info("%016llx smtp event=sync-error phase=data",
		    (unsigned long long)s->id);
		session_txn_abort(s);
		buf_consume(&s->in, buf_avail(&s->in));
		session_reply(s, "554 5.5.0 Error: SMTP protocol "
		    "synchronization");
		s->state = S_QUIT;
		session_flush(s);
		return 0;
	}
	session_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	s->state = S_DATA;
	session_resume(s);
	return 0;
}

/* Write buffered content to the message file once enough has gathered. */
static void
txn_write(struct session *s, int all)
{
	struct buf *w = &s->txn.wbuf;
	ssize_t n;

	if (!all && buf_avail(w) < SESSION_WRITE_CHUNK)
		return;
	while (buf_avail(w) && !s->txn.write_error) {
		n = write(s->txn.msgfd, buf_head(w), buf_avail(w));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			s->txn.write_error = errno;
			log_warnx("%016llx smtp event=write-error msgid=%08x "
			    "error=\"%s\"", (unsigned long long)s->id,
			    s->txn.msgid, strerror(errno));
			break;
		}
		buf_consume(w, (size_t)n);
	}
	/* After an error, keep reading to the end but store nothing. */
	if (s->txn.write_error)
		buf_reset(w);
}

void
session_data_input(struct session *s)
{
	size_t n;

	n = data_feed(&s->txn.dp, (const char *)buf_head(&s->in),
	    buf_avail(&s->in));
	buf_consume(&s->in, n);
	txn_write(s, s->txn.dp.done);
	if (!s->txn.dp.done)
		return;
	s->state = S_CMD;
	txn_commit(s);
}

/* NULL if the content may be queued, else the reply for every recipient. */
static const char *
txn_verdict(struct session *s)
{
	static char reply[256];
	struct data_parser *dp = &s->txn.dp;

	if ((dp->bare_lf || dp->bare_cr) &&
	    s->server->conf->bare_newline == BARE_NEWLINE_REJECT) {
		snprintf(reply, sizeof(reply), "550 5.5.2 %s Error: bare <LF> "
		    "received", s->name);
		return reply;
	}
	if (dp->too_big)
		return "552 5.3.4 Message too big for system";
	if (dp->too_long)
		return "500 5.5.2 Line too long";
	if (dp->header_too_large)
		return "552 5.3.4 Message header too large";
	if (dp->nreceived >= DATA_HOPS_MAX)
		return "554 5.4.6 Too many hops";
	if (s->txn.write_error == ENOSPC || s->txn.write_error == EDQUOT)
		return "452 4.3.1 Insufficient system storage";
	if (s->txn.write_error)
		return "451 4.3.0 Temporary failure";
	return NULL;
}

/* SMTP: one reply; LMTP: one per accepted recipient, in order (A.8). */
static void
txn_reply_all(struct session *s, const char *reply)
{
	struct session_rcpt *r;

	if (!s->lmtp) {
		session_reply(s, "%s", reply);
		return;
	}
	TAILQ_FOREACH(r, &s->txn.rcpts, entry)
		session_reply(s, "%s", reply);
}

static void
txn_fill(struct session *s, struct session_rcpt *r, struct envelope *e,
    uint64_t evpid)
{
	struct session_txn *t = &s->txn;

	e->evpid = evpid;
	e->flags &= ~(ENVELOPE_F_ESMTP | ENVELOPE_F_TLS | ENVELOPE_F_AUTH |
	    ENVELOPE_F_SMTPUTF8 | ENVELOPE_F_8BITMIME);
	if (s->esmtp)
		e->flags |= ENVELOPE_F_ESMTP;
	if (s->tls)
		e->flags |= ENVELOPE_F_TLS;
	if (s->auth_user[0])
		e->flags |= ENVELOPE_F_AUTH;
	if (t->smtputf8)
		e->flags |= ENVELOPE_F_SMTPUTF8;
	if (t->body8bit)
		e->flags |= ENVELOPE_F_8BITMIME;
	strlcpy(e->sender, t->sender_text, sizeof(e->sender));
	strlcpy(e->rcpt, r->text, sizeof(e->rcpt));
	if (e->dest[0] == '\0')
		strlcpy(e->dest, r->text, sizeof(e->dest));
	e->dsn_notify = r->notify;
	e->dsn_ret = t->ret;
	strlcpy(e->dsn_envid, t->envid, sizeof(e->dsn_envid));
	e->dsn_orcpt_type = r->orcpt_type;
	strlcpy(e->dsn_orcpt, r->orcpt, sizeof(e->dsn_orcpt));
	e->ctime = t->started;
	if (e->ttl == 0)
		e->ttl = s->server->conf->queue_ttl;
}

static void
txn_commit(struct session *s)
{
	struct session_txn *t = &s->txn;
	struct queue_commit_req req;
	struct session_rcpt *r;
	const char *verdict;
	char err[ENVELOPE_ERR_MAX];
	uint8_t *buf;
	size_t len, i;
	uint32_t low, n = 0;

	if ((verdict = txn_verdict(s)) != NULL) {
		log_info("%016llx smtp event=data msgid=%08x size=%llu "
		    "result=%s reply=\"%s\"", (unsigned long long)s->id,
		    t->msgid, (unsigned long long)t->dp.size,
		    verdict[0] == '5' ? "PermFail" : "TempFail", verdict);
		session_txn_abort(s);
		txn_reply_all(s, verdict);
		session_reset_txn(s);
		return;
	}
	close(t->msgfd);
	t->msgfd = -1;
	/* evpids: a random start, then consecutive: unique in the message. */
	low = arc4random();
	TAILQ_FOREACH(r, &t->rcpts, entry) {
		for (i = 0; i < r->nevp; i++) {
			if (++low == 0)
				low = 1;
			txn_fill(s, r, &r->evp[i],
			    (uint64_t)t->msgid << 32 | low);
			if (envelope_encode(&r->evp[i], &buf, &len, err,
			    sizeof(err)) == -1) {
				log_warnx("%016llx smtp event=envelope-error "
				    "error=\"%s\"", (unsigned long long)s->id,
				    err);
				session_txn_abort(s);
				txn_reply_all(s, "451 4.3.0 Temporary failure");
				session_reset_txn(s);
				return;
			}
			role_send(s->server->role, PROC_QUEUE,
			    IMSG_QUEUE_ENVELOPE, 0, -1, buf, len);
			free(buf);
			n++;
		}
	}
	if (s->lmtp)
		lmtp_front_request(s);
	memset(&req, 0, sizeof(req));
	req.msgid = t->msgid;
	req.nenvelopes = n;
	req.session = s->id;
	session_wait(s, W_COMMIT);
	if (role_send(s->server->role, PROC_QUEUE, IMSG_QUEUE_COMMIT, s->reqid,
	    -1, &req, sizeof(req)) == -1) {
		session_by_reqid(s->reqid);
		s->state = S_CMD;
		t->msgid = 0;
		txn_reply_all(s, "451 4.3.0 Temporary failure");
		session_reset_txn(s);
	}
}

int
session_queue_committed(struct ipc_msg *m)
{
	struct queue_commit_res res;
	struct session_rcpt *r;
	struct session *s;
	char reply[ADDR_MAILBOX_SIZE + 128];

	memcpy(&res, m->data, sizeof(res));
	if ((s = session_by_reqid(m->reqid)) == NULL)
		return 0;
	if (s->state == S_DEAD) {
		if (res.status == QUEUE_OK)
			log_info("%08x smtp event=commit session=%016llx "
			    "note=client-gone-before-reply", res.msgid,
			    (unsigned long long)s->id);
		session_reap(s);
		return 0;
	}
	if (res.msgid != s->txn.msgid)
		return -1;
	s->state = S_CMD;
	s->txn.msgid = 0;	/* committed or rolled back by the queue */
	if (res.status == QUEUE_DIRECT && !s->txn.lmtp_sent)
		return -1;	/* only an LMTP front's request may get it */
	if (res.status == QUEUE_OK || res.status == QUEUE_DIRECT) {
		s->nmails++;
		log_info("%08x smtp event=accepted session=%016llx from=<%s> "
		    "rcpts=%zu size=%llu result=Ok%s", res.msgid,
		    (unsigned long long)s->id, s->txn.sender_text,
		    s->txn.nrcpt, (unsigned long long)s->txn.dp.size,
		    res.status == QUEUE_DIRECT ? " queue=direct" : "");
		if (!s->lmtp)
			session_reply(s, "250 2.0.0 %08x Message accepted for "
			    "delivery", res.msgid);
		else if (lmtp_front_wait(s, res.msgid)) {
			/* Replies after the local deliveries (lmtpd/). */
			session_resume(s);
			return 0;
		} else
			TAILQ_FOREACH(r, &s->txn.rcpts, entry) {
				snprintf(reply, sizeof(reply), "250 2.0.0 <%s> "
				    "%08x Message accepted for delivery",
				    r->text, res.msgid);
				session_reply(s, "%s", reply);
			}
	} else
		txn_reply_all(s, res.status == QUEUE_NOSPACE ?
		    "452 4.3.1 Insufficient system storage" :
		    "451 4.3.0 Temporary failure");
	session_reset_txn(s);
	session_resume(s);
	return 0;
}

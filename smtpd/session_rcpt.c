/*
 * session_rcpt.c: RCPT checks through the lookup role. The session sends
 * the recipient with the session's facts (IMSG_LKA_RCPT) and pauses; the
 * lookup role answers with the envelopes the recipient expands to, then a
 * verdict. Accepted recipients join the transaction; a reject or a
 * temporary failure is answered with the lookup's reply line, in order,
 * so a pipelined batch never gets out of step.
 * Must never guess: a lost lookup role or a bad answer is 451 4.3.0.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/lka_msg.h"
#include "smtpd/role.h"
#include "smtpd/session.h"

#define RCPT_EXPANSIONS_MAX	1000	/* tables.md §3 expansion limit */

static void	rcpt_tempfail(struct session *);

static void
rcpt_tempfail(struct session *s)
{
	struct session_rcpt *r = s->txn.pending;

	s->txn.pending = NULL;
	if (r) {
		free(r->evp);
		free(r);
	}
	session_reply(s, "451 4.3.0 Temporary failure");
}

void
session_rcpt_lookup(struct session *s, struct session_rcpt *r)
{
	struct lka_rcpt_req req;
	uint8_t *buf;
	size_t len;

	memset(&req, 0, sizeof(req));
	req.session = s->id;
	strlcpy(req.tag, s->listener->conf->tag, sizeof(req.tag));
	strlcpy(req.helo, s->helo, sizeof(req.helo));
	strlcpy(req.listener_host, s->name, sizeof(req.listener_host));
	strlcpy(req.src, s->addr, sizeof(req.src));
	req.local_src = s->local_src;
	req.enqueue = s->enqueue;
	req.tls = s->tls;
	strlcpy(req.auth_user, s->auth_user, sizeof(req.auth_user));
	strlcpy(req.sender, s->txn.sender_text, sizeof(req.sender));
	strlcpy(req.rcpt, r->text, sizeof(req.rcpt));
	s->txn.pending = r;
	if (lka_rcpt_req_encode(&req, &buf, &len) == -1) {
		rcpt_tempfail(s);
		return;
	}
	session_wait(s, W_RCPT);
	if (role_send(s->server->role, PROC_LOOKUP, IMSG_LKA_RCPT, s->reqid,
	    -1, buf, len) == -1) {
		session_by_reqid(s->reqid);
		s->state = S_CMD;
		rcpt_tempfail(s);
	}
	free(buf);
}

/* One envelope of an accepted recipient; the verdict follows. */
int
session_lka_expansion(struct ipc_msg *m)
{
	struct session *s;
	struct session_rcpt *r;
	struct envelope evp;
	char err[ENVELOPE_ERR_MAX];

	if ((s = session_find(m->reqid)) == NULL || s->wait != W_RCPT)
		return 0;	/* the session is gone: nothing to keep */
	if (envelope_decode(m->data, m->len, &evp, err, sizeof(err)) == -1) {
		log_warnx("%016llx smtp event=bad-expansion error=%s",
		    (unsigned long long)s->id, err);
		return -1;
	}
	r = s->txn.pending;
	if (r->nevp >= RCPT_EXPANSIONS_MAX)
		return -1;
	r->evp = xreallocarray(r->evp, r->nevp + 1, sizeof(*r->evp));
	r->evp[r->nevp++] = evp;
	return 0;
}

int
session_lka_result(struct ipc_msg *m)
{
	struct lka_rcpt_res res;
	struct session *s;
	struct session_rcpt *r;

	if (lka_rcpt_res_decode(m->data, m->len, &res) == -1)
		return -1;
	if ((s = session_by_reqid(m->reqid)) == NULL)
		return 0;
	r = s->txn.pending;
	if (s->state == S_DEAD) {
		s->txn.pending = NULL;
		free(r->evp);
		free(r);
		session_reap(s);
		return 0;
	}
	s->state = S_CMD;
	if (res.status == LKA_OK && r->nevp > 0 && r->nevp == res.nexpansions) {
		s->txn.pending = NULL;
		TAILQ_INSERT_TAIL(&s->txn.rcpts, r, entry);
		s->txn.nrcpt++;
		/* The lookup role logged the decision; this is detail. */
		log_debug("%016llx smtp event=rcpt to=<%s> envelopes=%zu "
		    "result=Ok", (unsigned long long)s->id, r->text, r->nevp);
		session_reply(s, "250 2.1.5 Recipient ok");
	} else if (res.status != LKA_OK && strlen(res.reply) >= 4 &&
	    (res.reply[0] == '4' || res.reply[0] == '5')) {
		log_info("%016llx smtp event=rcpt to=<%s> result=%s reply=\"%s\"",
		    (unsigned long long)s->id, r->text, res.reply[0] == '5' ?
		    "PermFail" : "TempFail", res.reply);
		s->txn.pending = NULL;
		free(r->evp);
		free(r);
		session_reply(s, "%s", res.reply);
		if (res.reply[0] == '5')
			session_error(s);
	} else {
		log_warnx("%016llx smtp event=rcpt to=<%s> result=TempFail "
		    "reason=inconsistent-lookup-answer",
		    (unsigned long long)s->id, r->text);
		rcpt_tempfail(s);
	}
	session_resume(s);
	return 0;
}

/*
 * relay_mail.c: one mail transaction of a relay client session
 * (protocol.md B.3 items 4 to 7, B.4): the checks that refuse a
 * recipient before anything is sent (8-bit content to a server without
 * 8BITMIME, SMTPUTF8 needed and not offered, a size over the server's
 * limit, an address with a control byte), MAIL, RCPT and DATA pipelined
 * in one write when PIPELINING is offered and one at a time otherwise,
 * and their replies read in order.
 *
 * Never sends content before a 354, nor any of it when no recipient
 * was accepted: a 354 to a pipelined DATA then gets a lone "." (an empty
 * content, RFC 2920 §3.1), and a transaction that ends without its
 * content, MAIL having been accepted, is closed with RSET so that the
 * connection can carry the next one.
 */
#include <stdio.h>
#include <string.h>

#include "deliver/relay_cmd.h"
#include "deliver/relay_sess_priv.h"

static size_t	relay_mail_check(struct relay_sess *);
static void	relay_mail_all(struct relay_sess *, int, const char *,
		    const char *);
static void	relay_mail_mail_reply(struct relay_sess *);
static void	relay_mail_rcpt_reply(struct relay_sess *, size_t);
static int	relay_mail_data_reply(struct relay_sess *);
static int	relay_mail_next(struct relay_sess *);
static int	relay_mail_abort(struct relay_sess *);

int
relay_mail_begin(struct relay_sess *s)
{
	struct relay_txn *t = s->txn;
	size_t i, start;

	s->nsent = s->naccepted = s->next = s->eod = 0;
	s->mail_ok = 0;
	for (i = 0; i < t->nrcpt; i++) {
		t->rcpt[i].status = t->rcpt[i].code = 0;
		t->rcpt[i].esc[0] = t->rcpt[i].text[0] = '\0';
	}
	if (relay_mail_check(s) == 0)
		return relay_sess_txn_done(s);
	start = buf_avail(&s->io.out);
	relay_cmd_mail(&s->io.out, t, s->ext);
	if (s->ext & LMTP_EXT_PIPELINING) {
		for (i = 0; i < s->nsent; i++)
			relay_cmd_rcpt(&s->io.out, &t->rcpt[s->sent[i]],
			    s->ext);
		buf_addstr(&s->io.out, "DATA\r\n");
	}
	relay_sess_sent(s, start);
	relay_sess_expect(s, RS_TXN, RELAY_STAGE_MAIL);
	return 0;
}

/* Every recipient still without an outcome gets this one. */
static void
relay_mail_all(struct relay_sess *s, int status, const char *esc,
    const char *why)
{
	struct relay_txn *t = s->txn;
	size_t i;

	for (i = 0; i < t->nrcpt; i++)
		if (t->rcpt[i].status == 0)
			relay_sess_refuse(&t->rcpt[i], status, esc, why);
}

/* What may go to this server at all; the recipients to send in s->sent. */
static size_t
relay_mail_check(struct relay_sess *s)
{
	struct relay_txn *t = s->txn;
	struct relay_rcpt *r;
	char why[RELAY_TEXT_MAX];
	size_t i;

	switch (relay_cmd_addr(t->sender, t->smtputf8)) {
	case RELAY_ADDR_BAD:
		relay_mail_all(s, 5, "5.1.7", "bad sender address syntax");
		return 0;
	case RELAY_ADDR_UTF8:
		relay_mail_all(s, 5, "5.6.7", "non-ASCII sender address "
		    "without SMTPUTF8");
		return 0;
	default:
		break;
	}
	if (t->smtputf8 && !(s->ext & LMTP_EXT_SMTPUTF8)) {
		relay_mail_all(s, 5, "5.6.7", "the message needs SMTPUTF8, "
		    "which the server does not offer");
		return 0;
	}
	if (t->eightbit && !(s->ext & LMTP_EXT_8BITMIME)) {
		relay_mail_all(s, 5, "5.6.3", "the message has 8-bit content, "
		    "the server does not offer 8BITMIME");
		return 0;
	}
	if ((s->ext & LMTP_EXT_SIZE) && s->size > 0 && t->msgsize > 0 &&
	    (uint64_t)t->msgsize > s->size) {
		snprintf(why, sizeof(why), "message size %lld exceeds the "
		    "server's limit of %llu", (long long)t->msgsize,
		    (unsigned long long)s->size);
		relay_mail_all(s, 5, "5.3.4", why);
		return 0;
	}
	for (i = 0; i < t->nrcpt; i++) {
		r = &t->rcpt[i];
		switch (relay_cmd_addr(r->addr, t->smtputf8)) {
		case RELAY_ADDR_BAD:
			relay_sess_refuse(r, 5, "5.1.3", "bad recipient "
			    "address syntax");
			break;
		case RELAY_ADDR_UTF8:
			relay_sess_refuse(r, 5, "5.6.7", "non-ASCII recipient "
			    "address without SMTPUTF8");
			break;
		default:
			s->sent[s->nsent++] = i;
		}
	}
	return s->nsent;
}

int
relay_mail_reply(struct relay_sess *s)
{
	size_t k;

	if (s->state == RS_RSET || s->state == RS_DOT)
		return relay_sess_txn_done(s);
	k = s->next++;
	if (k == 0)
		relay_mail_mail_reply(s);
	else if (k <= s->nsent)
		relay_mail_rcpt_reply(s, s->sent[k - 1]);
	else
		return relay_mail_data_reply(s);
	return relay_mail_next(s);
}

static void
relay_mail_mail_reply(struct relay_sess *s)
{
	size_t i;

	if (s->reply.code / 100 == 2) {
		s->mail_ok = 1;
		return;
	}
	for (i = 0; i < s->nsent; i++)
		relay_sess_outcome(&s->txn->rcpt[s->sent[i]], &s->reply);
}

static void
relay_mail_rcpt_reply(struct relay_sess *s, size_t idx)
{
	if (!s->mail_ok)
		return;		/* pipelined after a refused MAIL */
	if (s->reply.code / 100 == 2)
		s->accepted[s->naccepted++] = idx;
	else
		relay_sess_outcome(&s->txn->rcpt[idx], &s->reply);
}

static int
relay_mail_data_reply(struct relay_sess *s)
{
	struct relay_rcpt *r;
	size_t i;

	if (s->reply.code == 354) {
		if (s->mail_ok && s->naccepted > 0)
			return relay_data_start(s);
		relay_sess_cmd(s, ".");
		relay_sess_expect(s, RS_DOT, RELAY_STAGE_BODY);
		return 0;
	}
	for (i = 0; s->mail_ok && i < s->naccepted; i++) {
		r = &s->txn->rcpt[s->accepted[i]];
		relay_sess_outcome(r, &s->reply);
		if (r->status == 2)
			r->status = 4;	/* no 2xx to DATA */
	}
	return relay_mail_abort(s);
}

/* The next command without PIPELINING; the next timeout with it. */
static int
relay_mail_next(struct relay_sess *s)
{
	struct relay_rcpt *r;
	size_t start;

	if (s->ext & LMTP_EXT_PIPELINING) {
		relay_sess_expect(s, RS_TXN, s->next <= s->nsent ?
		    RELAY_STAGE_RCPT : RELAY_STAGE_DATA);
		return 0;
	}
	if (!s->mail_ok)
		return relay_sess_txn_done(s);
	if (s->next <= s->nsent) {
		r = &s->txn->rcpt[s->sent[s->next - 1]];
		start = buf_avail(&s->io.out);
		relay_cmd_rcpt(&s->io.out, r, s->ext);
		relay_sess_sent(s, start);
		relay_sess_expect(s, RS_TXN, RELAY_STAGE_RCPT);
		return 0;
	}
	if (s->naccepted == 0)
		return relay_mail_abort(s);
	relay_sess_cmd(s, "DATA");
	relay_sess_expect(s, RS_TXN, RELAY_STAGE_DATA);
	return 0;
}

/* Over without content: RSET if MAIL opened a transaction. */
static int
relay_mail_abort(struct relay_sess *s)
{
	if (!s->mail_ok)
		return relay_sess_txn_done(s);
	relay_sess_cmd(s, "RSET");
	relay_sess_expect(s, RS_RSET, RELAY_STAGE_MAIL);
	return 0;
}

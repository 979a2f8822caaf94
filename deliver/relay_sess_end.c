/*
 * relay_sess_end.c: how a relay client session reports (relay_sess.h):
 * a recipient's outcome from a reply ("CODE ESC text", printable, cut
 * to RELAY_TEXT_MAX) or from a check of ours ("ESC text"), the end of a
 * transaction (done(), then ready() unless the caller went on from
 * done()), and the one way out, relay_sess_close(): done() for a
 * transaction in progress, its recipients without an outcome keeping
 * status 0, then closed(). Called by the other relay_sess parts only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deliver/relay_sess_priv.h"
#include "lib/log.h"

/* 2, 4 or 5 for a reply code; a 3xx where none belongs is temporary. */
int
relay_sess_class(int code)
{
	if (code / 100 == 2)
		return 2;
	if (code / 100 == 5)
		return 5;
	return 4;
}

void
relay_sess_outcome(struct relay_rcpt *r, const struct lmtp_reply *rep)
{
	r->status = relay_sess_class(rep->code);
	r->code = rep->code;
	if (rep->esc[0] != '\0')
		strlcpy(r->esc, rep->esc, sizeof(r->esc));
	else
		snprintf(r->esc, sizeof(r->esc), "%d.0.0", r->status);
	if (snprintf(r->text, sizeof(r->text), "%d%s%s%s%s", rep->code,
	    rep->esc[0] ? " " : "", rep->esc, rep->text[0] ? " " : "",
	    rep->text) < 0)
		r->text[0] = '\0';
}

/* An outcome of ours, no reply: "ESC text". */
void
relay_sess_refuse(struct relay_rcpt *r, int status, const char *esc,
    const char *why)
{
	r->status = status;
	r->code = 0;
	strlcpy(r->esc, esc, sizeof(r->esc));
	if (snprintf(r->text, sizeof(r->text), "%s %s", esc, why) < 0)
		r->text[0] = '\0';
}

int
relay_sess_txn_done(struct relay_sess *s)
{
	struct relay_txn *t = s->txn;
	struct relay_rcpt *r;
	char text[RELAY_TEXT_MAX];
	size_t i;

	s->txn = NULL;
	for (i = 0; i < t->nrcpt; i++) {
		r = &t->rcpt[i];
		relay_sess_printable(text, sizeof(text), r->text, 1);
		log_info("%016llx relay event=rcpt session=%016llx host=%s "
		    "result=%s esc=%s reply=\"%s\"",
		    (unsigned long long)r->evpid, (unsigned long long)s->id,
		    s->host, r->status == 2 ? "Ok" : r->status == 5 ?
		    "PermFail" : "TempFail", r->esc[0] ? r->esc : "-", text);
	}
	s->state = RS_READY;
	s->stage = RELAY_STAGE_MAIL;
	ev_timer_stop(s->loop, &s->timer);
	s->cb.done(s, t, s->arg);
	if (s->dead || s->state == RS_CLOSED)
		return -1;
	if (s->state != RS_READY)	/* sent again or quit from done() */
		return 0;
	return relay_sess_ready(s);
}

/*
 * The end of the session: done() for a transaction in progress (its
 * recipients without an outcome keep status 0), then closed(). polite:
 * the connection is sound, a QUIT goes out first (not waited for).
 */
int
relay_sess_close(struct relay_sess *s, int status, const char *esc,
    int polite, const char *fmt, ...)
{
	char text[RELAY_TEXT_MAX], logtext[RELAY_TEXT_MAX];
	struct relay_txn *t;
	va_list ap;

	if (s->state == RS_CLOSED)
		return -1;
	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	relay_sess_stop(s);
	if (polite && s->io.fd != -1) {
		if (s->io.out.data != NULL)
			explicit_bzero(s->io.out.data, s->io.out.cap);
		buf_reset(&s->io.out);
		buf_addstr(&s->io.out, "QUIT\r\n");
		(void)relay_io_flush(&s->io);
	}
	relay_io_close(&s->io);
	s->state = RS_CLOSED;
	relay_sess_printable(logtext, sizeof(logtext), text, 1);
	log_info("%016llx relay event=closed host=%s address=%s stage=%s "
	    "result=%s esc=%s text=\"%s\"", (unsigned long long)s->id,
	    s->host, s->addr, relay_sess_stage_name(s->stage),
	    status == 2 ? "Ok" : status == 5 ? "PermFail" : "TempFail",
	    esc[0] ? esc : "-", logtext);
	if ((t = s->txn) != NULL) {
		s->txn = NULL;
		s->cb.done(s, t, s->arg);
		if (s->dead)
			return -1;
	}
	s->cb.closed(s, status, s->stage, esc, text, s->arg);
	return -1;
}

/* The reply in s->reply ends the session: its class decides. */
int
relay_sess_fail_reply(struct relay_sess *s, const char *dflt)
{
	char esc[RELAY_ESC_MAX];
	int status = relay_sess_class(s->reply.code);

	if (status == 2)
		status = 4;	/* a 2xx where it makes no sense */
	if (s->reply.esc[0] != '\0')
		strlcpy(esc, s->reply.esc, sizeof(esc));
	else {
		strlcpy(esc, dflt, sizeof(esc));
		esc[0] = (char)('0' + status);
	}
	return relay_sess_close(s, status, esc, s->reply.code != 421,
	    "%d%s%s%s%s", s->reply.code, s->reply.esc[0] ? " " : "",
	    s->reply.esc, s->reply.text[0] ? " " : "", s->reply.text);
}

/* The connection failed: 4.4.1 before it was up, 4.4.2 after. */
int
relay_sess_lost(struct relay_sess *s, const char *why)
{
	return relay_sess_close(s, 4, s->stage == RELAY_STAGE_CONNECT ?
	    "4.4.1" : "4.4.2", 0, "%s: %s at stage %s", s->addr, why,
	    relay_sess_stage_name(s->stage));
}

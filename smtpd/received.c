/*
 * received.c: the one Received: field the smtp role prepends to every
 * message (RFC 5321 §4.4, delivery.md §1.1), folded like OpenSMTPD's,
 * and the Date: and Message-Id: values a submission gets when it has
 * none (delivery.md §1.1, RFC 6409 §8; smtpd/data.c places them).
 * Every piece of client text in it (the HELO name) was validated as a
 * domain or address literal, so it cannot break the header; the TLS
 * comment is made of GnuTLS's own names (session_tls.c). `mask-src`
 * omits the whole `from` clause (config.md §4.1).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/version.h"
#include "smtpd/session.h"

#define RECEIVED_DATE_MAX	64
#define RECEIVED_SUBMISSION_PORT 587	/* RFC 6409 */

static const char *received_proto(struct session *, char *, size_t);

/* SMTP/ESMTP/LMTP, +S under TLS, +A authenticated, UTF8 prefix (RFC 3848). */
static const char *
received_proto(struct session *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", s->txn.smtputf8 ? "UTF8" : "",
	    s->lmtp ? "LMTP" : s->esmtp ? (s->txn.smtputf8 ? "SMTP" : "ESMTP") :
	    "SMTP", s->tls ? "S" : "", s->auth_user[0] ? "A" : "");
	return buf;
}

void
received_header(struct session *s, struct buf *b)
{
	char date[RECEIVED_DATE_MAX], proto[32];
	struct session_rcpt *r;
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (s->listener->conf->flags & LISTENER_MASK_SRC)
		buf_printf(b, "Received: by %s (%s)", s->name, SMTPD_PRODUCT);
	else {
		buf_printf(b, "Received: from %s ", s->helo);
		if (s->local_src)
			buf_printf(b, "(localhost)");
		else if (s->ss.ss_family == AF_INET6)
			buf_printf(b, "(<unknown> %s)", s->addr);
		else
			buf_printf(b, "(<unknown> [%s])", s->addr);
		buf_printf(b, "\r\n\tby %s (%s)", s->name, SMTPD_PRODUCT);
	}
	buf_printf(b, " with %s id %08x",
	    received_proto(s, proto, sizeof(proto)), s->txn.msgid);
	/* (VERSION:CIPHER:BITS:VERIFIED); client certificates: LATER. */
	if (s->tls)
		buf_printf(b, "\r\n\t(%s:NO)", s->tls_info);
	if (s->txn.nrcpt == 1 && (r = TAILQ_FIRST(&s->txn.rcpts)) != NULL)
		buf_printf(b, "\r\n\tfor <%s>", r->text);
	buf_printf(b, ";\r\n\t%s\r\n", date);
}

/*
 * A submission: an authenticated session, or any session of a listener
 * on the submission port (RFC 6409). LMTP never; the sendmail interface
 * adds these fields itself (ctl.md §9).
 */
int
received_submission(const struct session *s)
{
	const struct listener *l = s->listener->conf;

	if (s->lmtp || s->enqueue)
		return 0;
	return s->auth_user[0] != '\0' || (l->kind == LISTENER_INET &&
	    l->port == RECEIVED_SUBMISSION_PORT);
}

/* Date: now, local zone; Message-Id: <UTCSTAMP.RANDOM@NAME>. */
void
received_submission_fields(struct session *s, struct data_parser *dp)
{
	struct session_txn *t = &s->txn;
	struct tm tm;
	time_t now = time(NULL);
	uint64_t rnd;

	localtime_r(&now, &tm);
	strftime(t->add_date, sizeof(t->add_date),
	    "%a, %d %b %Y %H:%M:%S %z", &tm);
	gmtime_r(&now, &tm);
	rnd = ((uint64_t)arc4random() << 32) | arc4random();
	snprintf(t->add_msgid, sizeof(t->add_msgid),
	    "<%04d%02d%02d%02d%02d%02d.%016llx@%s>", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned long long)rnd, s->name);
	data_add_fields(dp, t->add_date, t->add_msgid);
}

/*
 * received.c: the one Received: field the smtp role prepends to every
 * message (RFC 5321 §4.4, delivery.md §1.1), folded like OpenSMTPD's.
 * Every piece of client text in it (the HELO name) was validated as a
 * domain or address literal, so it cannot break the header; the TLS
 * comment is made of GnuTLS's own names (session_tls.c).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/version.h"
#include "smtpd/session.h"

#define RECEIVED_DATE_MAX	64

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

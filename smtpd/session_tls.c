/*
 * session_tls.c: the TLS layer of a session (protocol.md A.6). STARTTLS
 * on `tls`/`tls-require` listeners and implicit TLS on `smtps` ones: the
 * handshake runs on the session's libev watchers, never blocking, bounded
 * by TLS_HANDSHAKE_TIMEOUT; afterwards every read and write of session.c
 * goes through session_tls_read()/session_tls_write(), which use GnuTLS
 * records once the handshake is done and the socket before.
 * Must never interpret a byte received in plaintext after the STARTTLS
 * line (CVE-2011-0411 class): those are discarded, and the session forgets
 * everything learnt in plaintext (RFC 3207 §4.2). A TLS error closes that
 * session only, without a reply.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/session.h"
#include "smtpd/smtp_limits.h"
#include "smtpd/tls.h"

#define TLS_HANDSHAKE_TIMEOUT	60.0	/* seconds, or the idle timeout */
#define TLS_HANDSHAKE_LOOPS	64	/* non-fatal results per call */
#define TLS_RECORD_MAX		16384	/* plaintext bytes per record */

struct session_tls {
	gnutls_session_t	 gs;
	int			 established;
	int			 failed;	/* no close_notify then */
	int			 read_wants_write;
	size_t			 wlen;		/* send to repeat (EAGAIN) */
};

static void	session_tls_begin(struct session *);
static int	session_tls_done(struct session *);
static void	session_tls_describe(struct session *);

/* The session's state when a handshake starts: no reading of commands. */
static void
session_tls_begin(struct session *s)
{
	double t = smtp_limits.timeout;

	s->state = S_TLS;
	s->timer.repeat = t > 0 && t < TLS_HANDSHAKE_TIMEOUT ? t :
	    TLS_HANDSHAKE_TIMEOUT;
	ev_timer_again(s->server->loop, &s->timer);
}

/*
 * STARTTLS was accepted: the 220 reply, then (once it is written) the
 * handshake. -1 if no TLS session could be made (the caller answers 454).
 */
int
session_tls_starttls(struct session *s)
{
	gnutls_session_t gs;
	size_t n;

	if ((gs = tls_session_new(s->listener->conf, s->fd)) == NULL) {
		log_warnx("%016llx smtp event=tls-unavailable",
		    (unsigned long long)s->id);
		return -1;
	}
	s->tlsc = xcalloc(1, sizeof(*s->tlsc));
	s->tlsc->gs = gs;
	session_reply(s, "220 2.0.0 Ready to start TLS");
	/* Pipelined after STARTTLS: never interpreted, in or out of TLS. */
	if ((n = buf_avail(&s->in)) > 0) {
		log_info("%016llx smtp event=starttls-discard address=%s "
		    "bytes=%zu", (unsigned long long)s->id, s->addr, n);
		buf_consume(&s->in, n);
	}
	s->discarding = 0;
	/* RFC 3207 §4.2: back to the state right after the greeting. */
	session_reset_txn(s);
	s->helo_done = 0;
	s->helo[0] = '\0';
	s->esmtp = 0;
	s->pipelining = 0;
	s->auth_user[0] = '\0';
	session_tls_begin(s);
	return 0;
}

/* An smtps listener: the handshake first, the greeting after it. */
void
session_tls_smtps(struct session *s)
{
	gnutls_session_t gs;

	if ((gs = tls_session_new(s->listener->conf, s->fd)) == NULL) {
		log_warnx("%016llx smtp event=tls-unavailable",
		    (unsigned long long)s->id);
		session_close(s, "tls-unavailable");
		return;
	}
	s->tlsc = xcalloc(1, sizeof(*s->tlsc));
	s->tlsc->gs = gs;
	session_tls_begin(s);
	ev_io_start(s->server->loop, &s->rio);
	session_tls_step(s);
}

/*
 * Drive the handshake as far as the socket allows. Called by the read and
 * write callbacks and by session_flush in state S_TLS. 0 if the session
 * waits for its socket; otherwise the session may be gone (closed on
 * failure, or it ran on after the handshake): the caller must not use it.
 */
int
session_tls_step(struct session *s)
{
	struct session_tls *t = s->tlsc;
	struct ev_loop *loop = s->server->loop;
	int rc, loops = 0;

	if (t == NULL || t->established) {
		session_close(s, "tls-state");
		return -1;
	}
	if (buf_avail(&s->out)) {
		/* The 220 goes out in plaintext first (RFC 2920 §3.2). */
		ev_io_stop(loop, &s->rio);
		ev_io_start(loop, &s->wio);
		return 0;
	}
	do {
		rc = gnutls_handshake(t->gs);
	} while (rc < 0 && rc != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(rc) &&
	    ++loops < TLS_HANDSHAKE_LOOPS);
	if (rc == GNUTLS_E_AGAIN) {
		if (gnutls_record_get_direction(t->gs)) {
			ev_io_stop(loop, &s->rio);
			ev_io_start(loop, &s->wio);
		} else {
			ev_io_stop(loop, &s->wio);
			ev_io_start(loop, &s->rio);
		}
		return 0;
	}
	if (rc < 0) {
		log_info("%016llx smtp event=tls-failed address=%s "
		    "error=\"%s\"", (unsigned long long)s->id, s->addr,
		    gnutls_strerror(rc));
		t->failed = 1;
		session_close(s, "tls-handshake-failed");
		return -1;
	}
	return session_tls_done(s);
}

/* "TLS1.3:TLS_AES_256_GCM_SHA384:256" for Received: and the logs. */
static void
session_tls_describe(struct session *s)
{
	gnutls_session_t gs = s->tlsc->gs;
	const char *version, *suite;
	size_t bits;

	version = gnutls_protocol_get_name(gnutls_protocol_get_version(gs));
	suite = gnutls_ciphersuite_get(gs);
	bits = gnutls_cipher_get_key_size(gnutls_cipher_get(gs)) * 8;
	snprintf(s->tls_info, sizeof(s->tls_info), "%s:%s:%zu",
	    version ? version : "unknown", suite ? suite : "unknown", bits);
}

static int
session_tls_done(struct session *s)
{
	struct session_tls *t = s->tlsc;
	char sni[TLS_NAME_MAX];
	size_t len = sizeof(sni) - 1;
	unsigned int type;

	t->established = 1;
	s->tls = 1;
	session_tls_describe(s);
	memset(sni, 0, sizeof(sni));
	if (gnutls_server_name_get(t->gs, sni, &len, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS)
		strlcpy(sni, "-", sizeof(sni));
	/* Printable only: the client chose it. */
	for (len = 0; sni[len]; len++)
		if ((unsigned char)sni[len] <= ' ' ||
		    (unsigned char)sni[len] >= 0x7f || sni[len] == '"')
			sni[len] = '?';
	log_info("%016llx smtp event=tls address=%s tls=%s pki=%s sni=\"%s\"",
	    (unsigned long long)s->id, s->addr, s->tls_info,
	    tls_session_pki(t->gs), sni);
	s->timer.repeat = smtp_limits.timeout;
	ev_timer_again(s->server->loop, &s->timer);
	s->state = S_CMD;
	if (s->listener->conf->flags & LISTENER_SMTPS)
		session_greet(s);
	session_resume(s);
	return 1;
}

/* Decrypted bytes GnuTLS holds beyond what was read: read again. */
int
session_tls_pending(struct session *s)
{
	return s->tlsc && s->tlsc->established &&
	    gnutls_record_check_pending(s->tlsc->gs) > 0;
}

/* A record read that waited for the socket to take a write. */
int
session_tls_write_ready(struct session *s)
{
	if (s->tlsc == NULL || !s->tlsc->read_wants_write)
		return 0;
	s->tlsc->read_wants_write = 0;
	return 1;
}

/*
 * The session's read: the socket before the handshake, GnuTLS records
 * after it. read(2) semantics: >0 bytes, 0 end of stream, -1 and errno
 * (EPROTO for a TLS error).
 */
ssize_t
session_tls_read(struct session *s, void *buf, size_t len)
{
	struct session_tls *t = s->tlsc;
	ssize_t rc;
	int loops = 0;

	if (t == NULL || !t->established)
		return read(s->fd, buf, len);
	for (;;) {
		rc = gnutls_record_recv(t->gs, buf, len);
		if (rc >= 0)
			return rc;
		switch (rc) {
		case GNUTLS_E_AGAIN:
			if (gnutls_record_get_direction(t->gs)) {
				t->read_wants_write = 1;
				ev_io_start(s->server->loop, &s->wio);
			}
			errno = EAGAIN;
			return -1;
		case GNUTLS_E_INTERRUPTED:
			continue;
		case GNUTLS_E_PREMATURE_TERMINATION:
			return 0;	/* EOF without close_notify */
		case GNUTLS_E_REHANDSHAKE:
			/* A TLS 1.2 renegotiation: not offered. */
			break;
		default:
			if (!gnutls_error_is_fatal((int)rc) &&
			    ++loops < TLS_HANDSHAKE_LOOPS)
				continue;	/* a warning alert */
			break;
		}
		log_info("%016llx smtp event=tls-error address=%s error=\"%s\"",
		    (unsigned long long)s->id, s->addr,
		    gnutls_strerror((int)rc));
		t->failed = 1;
		errno = EPROTO;
		return -1;
	}
}

/*
 * The session's write, likewise; write(2) semantics. After EAGAIN the
 * caller offers the same bytes again (they stay at the head of s->out).
 */
ssize_t
session_tls_write(struct session *s, const void *buf, size_t len)
{
	struct session_tls *t = s->tlsc;
	ssize_t rc;
	size_t n;

	if (t == NULL || !t->established)
		return write(s->fd, buf, len);
	/* GnuTLS wants the interrupted record repeated exactly. */
	n = t->wlen ? t->wlen : len < TLS_RECORD_MAX ? len : TLS_RECORD_MAX;
	if (n > len)
		n = len;	/* never: the head of s->out stays put */
	for (;;) {
		rc = gnutls_record_send(t->gs, buf, n);
		if (rc >= 0) {
			t->wlen = 0;
			return rc;
		}
		if (rc == GNUTLS_E_INTERRUPTED)
			continue;
		if (rc == GNUTLS_E_AGAIN) {
			t->wlen = n;
			errno = EAGAIN;
			return -1;
		}
		log_info("%016llx smtp event=tls-error address=%s error=\"%s\"",
		    (unsigned long long)s->id, s->addr,
		    gnutls_strerror((int)rc));
		t->failed = 1;
		errno = EPIPE;
		return -1;
	}
}

/* Before the socket is closed: close_notify if it may go, and free. */
void
session_tls_close(struct session *s)
{
	struct session_tls *t = s->tlsc;

	if (t == NULL)
		return;
	if (t->established && !t->failed && s->fd != -1)
		(void)gnutls_bye(t->gs, GNUTLS_SHUT_WR);	/* no waiting */
	gnutls_deinit(t->gs);
	free(t);
	s->tlsc = NULL;
}

/*
 * relay_hello.c: the opening of a relay client session (protocol.md
 * B.3 items 1 to 3), up to ready(): the implicit TLS handshake (smtps),
 * the greeting, EHLO with the HELO fallback on 5xx (LHLO for LMTP),
 * STARTTLS (opportunistic or mandatory, then EHLO again), AUTH PLAIN or
 * LOGIN, only under TLS.
 *
 * Must never: go on in plaintext when TLS is mandatory; read a byte the
 * server sent before the handshake as if it came after it (everything
 * received up to then is dropped, RFC 3207 §4.2); log or keep the AUTH
 * password (the lines holding it are wiped once written, the stack
 * copies at once).
 */
#include <string.h>

#include "auth/base64.h"
#include "deliver/relay_sess_priv.h"
#include "lib/log.h"

#define RELAY_AUTH_MAX		512	/* user name or password */
#define RELAY_PLAIN_MAX		(2 * RELAY_AUTH_MAX + 2)
#define RELAY_B64_MAX		(AUTH_B64_ENCODED_LEN(RELAY_PLAIN_MAX) + 1)
#define RELAY_AUTH_LINE_MAX	(sizeof("AUTH PLAIN ") + RELAY_B64_MAX)
#define RELAY_TLS_INFO_MAX	128

static int	relay_hello_send(struct relay_sess *);
static int	relay_hello_next(struct relay_sess *);
static int	relay_hello_tls_begin(struct relay_sess *);
static int	relay_hello_tls_done(struct relay_sess *);
static int	relay_hello_starttls_reply(struct relay_sess *);
static int	relay_hello_auth(struct relay_sess *);
static int	relay_hello_auth_reply(struct relay_sess *);
static int	relay_hello_auth_fail(struct relay_sess *);
static int	relay_hello_b64(struct relay_sess *, const char *,
		    const void *, size_t);

/* Connected: the implicit handshake, or the greeting first. */
int
relay_hello_start(struct relay_sess *s)
{
	if (s->conf.tls == RELAY_SESS_TLS_IMPLICIT)
		return relay_hello_tls_begin(s);
	relay_sess_expect(s, RS_GREETING, RELAY_STAGE_GREETING);
	return 0;
}

int
relay_hello_reply(struct relay_sess *s)
{
	int class = relay_sess_class(s->reply.code);

	switch (s->state) {
	case RS_GREETING:
		if (class != 2 || s->reply.code / 100 != 2)
			return relay_sess_fail_reply(s, "4.0.0");
		s->greeted = 1;
		return relay_hello_send(s);
	case RS_EHLO:
		if (class == 2) {
			s->ext = s->reply.ext;
			s->size = s->reply.size;
			return relay_hello_next(s);
		}
		if (class == 5 && !s->conf.lmtp) {
			relay_sess_cmd(s, "HELO %s", s->conf.helo);
			relay_sess_expect(s, RS_HELO, RELAY_STAGE_HELO);
			return 0;
		}
		return relay_sess_fail_reply(s, "4.0.0");
	case RS_HELO:
		if (class != 2)
			return relay_sess_fail_reply(s, "4.0.0");
		s->ext = 0;
		s->size = 0;
		return relay_hello_next(s);
	case RS_STARTTLS:
		return relay_hello_starttls_reply(s);
	default:
		return relay_hello_auth_reply(s);
	}
}

/* EHLO (or LHLO); whatever an earlier one said is forgotten. */
static int
relay_hello_send(struct relay_sess *s)
{
	s->ext = 0;
	s->size = 0;
	relay_sess_cmd(s, "%s %s", s->conf.lmtp ? "LHLO" : "EHLO",
	    s->conf.helo);
	relay_sess_expect(s, RS_EHLO, RELAY_STAGE_HELO);
	return 0;
}

/* After a hello: STARTTLS if it is to be, then AUTH, then ready(). */
static int
relay_hello_next(struct relay_sess *s)
{
	enum relay_tls_mode mode = s->conf.tls;

	if (!s->io.tls && !s->tls_tried && s->conf.cred != NULL &&
	    (s->ext & LMTP_EXT_STARTTLS) &&
	    (mode == RELAY_SESS_TLS_OPPORTUNISTIC ||
	    mode == RELAY_SESS_TLS_STARTTLS)) {
		relay_sess_cmd(s, "STARTTLS");
		relay_sess_expect(s, RS_STARTTLS, RELAY_STAGE_STARTTLS);
		return 0;
	}
	if (!s->io.tls && mode == RELAY_SESS_TLS_STARTTLS) {
		s->stage = RELAY_STAGE_STARTTLS;
		return relay_sess_close(s, 4, "4.7.5", 1, "%s: TLS is "
		    "required, but the server does not offer STARTTLS",
		    s->addr);
	}
	if (s->conf.auth_user != NULL)
		return relay_hello_auth(s);
	return relay_sess_ready(s);
}

static int
relay_hello_starttls_reply(struct relay_sess *s)
{
	if (s->reply.code == 220) {
		if (s->io.inlen > 0)
			log_info("%016llx relay event=starttls-discard "
			    "host=%s bytes=%zu", (unsigned long long)s->id,
			    s->host, s->io.inlen);
		relay_io_discard(&s->io);
		return relay_hello_tls_begin(s);
	}
	s->tls_tried = 1;
	if (s->conf.tls == RELAY_SESS_TLS_STARTTLS)
		return relay_sess_close(s, 4, "4.7.5", 1, "%s: TLS is "
		    "required, but STARTTLS was refused: %d %s", s->addr,
		    s->reply.code, s->reply.text);
	return relay_hello_next(s);	/* opportunistic: plaintext */
}

static int
relay_hello_tls_begin(struct relay_sess *s)
{
	s->tls_tried = 1;
	if (relay_io_tls_init(&s->io, s->conf.cred, s->conf.servername,
	    s->conf.verify) != RELAY_IO_OK) {
		s->stage = RELAY_STAGE_STARTTLS;
		return relay_sess_close(s, 4, "4.7.5", 0, "%s: %s", s->addr,
		    s->io.err);
	}
	relay_sess_expect(s, RS_HANDSHAKE, RELAY_STAGE_STARTTLS);
	return relay_hello_handshake(s);
}

/* Drives the handshake as far as the socket allows. */
int
relay_hello_handshake(struct relay_sess *s)
{
	switch (relay_io_handshake(&s->io)) {
	case RELAY_IO_AGAIN:
		if (relay_io_wants_write(&s->io))
			ev_io_start(s->loop, &s->wio);
		else
			ev_io_stop(s->loop, &s->wio);
		return 0;
	case RELAY_IO_OK:
		return relay_hello_tls_done(s);
	default:
		return relay_sess_close(s, 4, "4.7.5", 0, "%s: %s", s->addr,
		    s->io.err);
	}
}

static int
relay_hello_tls_done(struct relay_sess *s)
{
	gnutls_session_t gs = s->io.gs;
	const char *version, *suite;

	ev_io_stop(s->loop, &s->wio);
	s->io.want_write = 0;
	version = gnutls_protocol_get_name(gnutls_protocol_get_version(gs));
	suite = gnutls_ciphersuite_get(gs);
	log_info("%016llx relay event=tls host=%s address=%s tls=%s:%s "
	    "verified=%s", (unsigned long long)s->id, s->host, s->addr,
	    version ? version : "unknown", suite ? suite : "unknown",
	    s->conf.verify ? "yes" : "no");
	relay_io_discard(&s->io);
	lmtp_reply_init(&s->reply);
	/* GnuTLS may hold records read with the last handshake ones. */
	ev_feed_event(s->loop, &s->rio, EV_READ);
	if (!s->greeted) {
		relay_sess_expect(s, RS_GREETING, RELAY_STAGE_GREETING);
		return 0;
	}
	return relay_hello_send(s);
}

/* ------------------------------------------------------------- AUTH */

static int
relay_hello_auth(struct relay_sess *s)
{
	const char *user = s->conf.auth_user;
	const char *pass = s->conf.auth_pass ? s->conf.auth_pass : "";
	unsigned char plain[RELAY_PLAIN_MAX];
	size_t ulen = strlen(user), plen = strlen(pass);
	int rc;

	s->stage = RELAY_STAGE_AUTH;
	if (!s->io.tls)
		return relay_sess_close(s, 4, "4.7.5", 1, "%s: AUTH is only "
		    "done under TLS, and TLS is not on", s->addr);
	if (ulen > RELAY_AUTH_MAX || plen > RELAY_AUTH_MAX)
		return relay_sess_close(s, 4, "4.7.0", 1, "%s: AUTH user "
		    "name or password too long", s->addr);
	if (s->ext & LMTP_EXT_AUTH_PLAIN) {
		plain[0] = '\0';
		memcpy(plain + 1, user, ulen);
		plain[1 + ulen] = '\0';
		memcpy(plain + 2 + ulen, pass, plen);
		rc = relay_hello_b64(s, "AUTH PLAIN ", plain, ulen + plen + 2);
		explicit_bzero(plain, sizeof(plain));
		if (rc == -1)
			return -1;
		relay_sess_expect(s, RS_AUTH, RELAY_STAGE_AUTH);
		return 0;
	}
	if (s->ext & LMTP_EXT_AUTH_LOGIN) {
		relay_sess_cmd(s, "AUTH LOGIN");
		relay_sess_expect(s, RS_AUTH_USER, RELAY_STAGE_AUTH);
		return 0;
	}
	return relay_sess_close(s, 4, "4.7.0", 1, "%s: the server offers no "
	    "AUTH mechanism we use (PLAIN, LOGIN)", s->addr);
}

/* prefix and the base64 of p[0..len), as a secret line. */
static int
relay_hello_b64(struct relay_sess *s, const char *prefix, const void *p,
    size_t len)
{
	char line[RELAY_AUTH_LINE_MAX];
	size_t n = strlen(prefix);

	memcpy(line, prefix, n);
	if (auth_b64_encode(p, len, line + n, sizeof(line) - n) == -1) {
		explicit_bzero(line, sizeof(line));
		return relay_sess_close(s, 4, "4.7.0", 1, "%s: AUTH response "
		    "too long", s->addr);
	}
	relay_sess_secret(s, line, "(AUTH data)");
	explicit_bzero(line, sizeof(line));
	return 0;
}

static int
relay_hello_auth_reply(struct relay_sess *s)
{
	const char *pass = s->conf.auth_pass ? s->conf.auth_pass : "";
	const char *user = s->conf.auth_user;

	switch (s->state) {
	case RS_AUTH_USER:
		if (s->reply.code != 334)
			return relay_hello_auth_fail(s);
		if (relay_hello_b64(s, "", user, strlen(user)) == -1)
			return -1;
		relay_sess_expect(s, RS_AUTH_PASS, RELAY_STAGE_AUTH);
		return 0;
	case RS_AUTH_PASS:
		if (s->reply.code != 334)
			return relay_hello_auth_fail(s);
		if (relay_hello_b64(s, "", pass, strlen(pass)) == -1)
			return -1;
		relay_sess_expect(s, RS_AUTH, RELAY_STAGE_AUTH);
		return 0;
	default:
		if (s->reply.code / 100 != 2)
			return relay_hello_auth_fail(s);
		log_info("%016llx relay event=auth host=%s result=Ok",
		    (unsigned long long)s->id, s->host);
		return relay_sess_ready(s);
	}
}

/* 535 and any 5xx: permanent (5.7.8); 4xx or a stray reply: temporary. */
static int
relay_hello_auth_fail(struct relay_sess *s)
{
	log_info("%016llx relay event=auth host=%s result=%s code=%d",
	    (unsigned long long)s->id, s->host, s->reply.code / 100 == 5 ?
	    "PermFail" : "TempFail", s->reply.code);
	if (s->reply.code == 535)	/* RFC 4954: credentials invalid */
		return relay_sess_close(s, 5, "5.7.8", 1, "%d %s%s%s",
		    s->reply.code, s->reply.esc, s->reply.esc[0] ? " " : "",
		    s->reply.text);
	return relay_sess_fail_reply(s, s->reply.code / 100 == 5 ? "5.7.8" :
	    "4.7.0");
}

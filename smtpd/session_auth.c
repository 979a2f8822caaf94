/*
 * session_auth.c: AUTH in an SMTP session (protocol.md A.7, RFC 4954).
 * session_cmd.c checks the sequencing (a listener with `auth` or
 * `auth-optional`, under TLS, after EHLO, once, outside a transaction)
 * and calls session_auth_command(); the exchange itself is auth/sasl.c's
 * state machine, fed with the AUTH arguments and then, in state S_AUTH,
 * with each response line (up to AUTH_SASL_LINE_MAX octets). A complete
 * login goes to the lookup role (IMSG_LKA_AUTH, auth/auth_msg.h), which
 * holds the credentials tables and verifies it in a worker thread; the
 * session waits (W_AUTH) like an RCPT does. On OK the session is
 * authenticated for good (s->auth_user: the rules, the envelopes and
 * Received: see it); a failure is counted by auth/throttle.h and its
 * reply - 535 5.7.8, or 421 and the end of the session at the third -
 * goes out after the throttle's delay (state S_AUTH_DELAY: nothing else
 * is read or answered meanwhile); a table error is 454 4.7.0.
 * Called by session_cmd.c, session.c (lines, close) and smtp.c (the
 * verdict). Must never log or keep a password: the exchange is wiped
 * when it ends, the encoded request once sent, and the input bytes of
 * every AUTH line when they are consumed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth_msg.h"
#include "auth/sasl.h"
#include "auth/throttle.h"
#include "lib/line.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/role.h"
#include "smtpd/session.h"

#define AUTH_KEY_MAX	(INET6_ADDRSTRLEN + 4)	/* "2001:db8::/64" */

static void	auth_step(struct session *, enum auth_sasl_status);
static void	auth_send(struct session *);
static void	auth_failed(struct session *, const char *);
static void	auth_end(struct session *);
static void	auth_delay_cb(struct ev_loop *, ev_timer *, int);
static const char *auth_key(const struct session *, char *, size_t);
static uint64_t	auth_now_ms(void);

void
session_auth_init(struct session *s)
{
	ev_init(&s->auth_timer, auth_delay_cb);
	s->auth_timer.data = s;
}

/* EHLO says AUTH PLAIN LOGIN: an auth listener, under TLS only (A.7). */
int
session_auth_advertised(const struct session *s)
{
	return (s->listener->conf->flags & (LISTENER_AUTH |
	    LISTENER_AUTH_OPTIONAL)) && s->tls && !s->lmtp;
}

/* Consume n bytes of input that held an AUTH line, wiping them first. */
void
session_auth_consume(struct session *s, size_t n)
{
	if (n > buf_avail(&s->in))
		n = buf_avail(&s->in);
	explicit_bzero(s->in.data + s->in.off, n);
	buf_consume(&s->in, n);
}

/* The session closes or times out: no exchange, no delayed reply. */
void
session_auth_stop(struct session *s)
{
	ev_timer_stop(s->server->loop, &s->auth_timer);
	auth_end(s);
	explicit_bzero(s->auth_login, sizeof(s->auth_login));
}

static uint64_t
auth_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The throttle's key for the client: its address, or for IPv6 its /64
 * (one host usually holds a whole /64).
 */
static const char *
auth_key(const struct session *s, char *buf, size_t len)
{
	struct sockaddr_in6 sin6;
	char a[INET6_ADDRSTRLEN];

	if (s->ss.ss_family != AF_INET6) {
		strlcpy(buf, s->addr, len);
		return buf;
	}
	memcpy(&sin6, &s->ss, sizeof(sin6));
	memset(&sin6.sin6_addr.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &sin6.sin6_addr, a, sizeof(a)) == NULL)
		strlcpy(buf, s->addr, len);
	else
		snprintf(buf, len, "%s/64", a);
	return buf;
}

/* The exchange is over: wipe it. */
static void
auth_end(struct session *s)
{
	if (s->sasl == NULL)
		return;
	auth_sasl_clear(s->sasl);
	explicit_bzero(s->sasl, sizeof(*s->sasl));
	free(s->sasl);
	s->sasl = NULL;
}

/* AUTH mechanism [initial-response]; the sequencing was checked. */
void
session_auth_command(struct session *s, char *arg)
{
	char key[AUTH_KEY_MAX];

	if (auth_throttle_refused(s->server->throttle,
	    auth_key(s, key, sizeof(key)), auth_now_ms())) {
		log_info("%016llx smtp event=auth address=%s error=\"too many "
		    "failures from this address\" result=PermFail",
		    (unsigned long long)s->id, s->addr);
		session_reply(s, AUTH_THROTTLE_REPLY_FMT, s->name);
		s->state = S_QUIT;
		return;
	}
	auth_end(s);
	s->sasl = xcalloc(1, sizeof(*s->sasl));
	auth_step(s, auth_sasl_command(s->sasl, arg, strlen(arg)));
}

/*
 * State S_AUTH: one response line of the client after our 334. 1 if a
 * line was handled, 0 if more input is needed.
 */
int
session_auth_line(struct session *s)
{
	char line[AUTH_SASL_LINE_MAX];
	struct line l;
	const char *p = (const char *)buf_head(&s->in);
	const char *lf;
	size_t avail = buf_avail(&s->in);
	enum auth_sasl_status st;

	switch (line_next(p, avail, AUTH_SASL_LINE_MAX, &l)) {
	case LINE_MORE:
		return 0;
	case LINE_TOOLONG:
		/* Discarded up to its LF (the command loop skips the rest). */
		lf = memchr(p, '\n', avail);
		session_auth_consume(s, lf ? (size_t)(lf - p) + 1 : avail);
		if (lf == NULL)
			s->discarding = 1;
		auth_end(s);
		s->state = S_CMD;
		session_reply(s, "%s", AUTH_SASL_REPLY_TOOLONG);
		session_error(s);
		return 1;
	case LINE_OK:
		break;
	}
	memcpy(line, l.data, l.len);
	line[l.len] = '\0';
	session_auth_consume(s, l.consumed);
	log_trace(TRACE_SMTP, "%016llx smtp <<< (AUTH response, %zu octets)",
	    (unsigned long long)s->id, l.len);
	/* A NUL or a bare CR is no base64: the exchange says 501. */
	st = auth_sasl_step(s->sasl, line, l.len);
	explicit_bzero(line, l.len);
	auth_step(s, st);
	return 1;
}

/* What the state machine said: a 334, an error, a failure, or a login. */
static void
auth_step(struct session *s, enum auth_sasl_status st)
{
	switch (st) {
	case AUTH_SASL_MORE:
		session_reply(s, "%s", s->sasl->reply);
		s->state = S_AUTH;
		return;
	case AUTH_SASL_ERROR:
		log_info("%016llx smtp event=auth mech=%s result=PermFail "
		    "reply=\"%s\"", (unsigned long long)s->id,
		    auth_sasl_mech_name(s->sasl->mech), s->sasl->reply);
		session_reply(s, "%s", s->sasl->reply);
		auth_end(s);
		s->state = S_CMD;
		session_error(s);
		return;
	case AUTH_SASL_FAIL:
		/* A refused identity: counted and delayed like a password. */
		strlcpy(s->auth_login, s->sasl->user, sizeof(s->auth_login));
		auth_end(s);
		auth_failed(s, "bad identity");
		return;
	case AUTH_SASL_DONE:
		auth_send(s);
		return;
	}
}

/* A complete login: to the lookup role, and wait. */
static void
auth_send(struct session *s)
{
	struct auth_req q;
	uint8_t *buf = NULL;
	size_t len = 0;

	memset(&q, 0, sizeof(q));
	strlcpy(s->auth_login, s->sasl->user, sizeof(s->auth_login));
	if (auth_req_make(&q, s->id, s->listener->idx, s->sasl) == -1 ||
	    auth_req_encode(&q, &buf, &len) == -1) {
		auth_req_clear(&q);
		auth_end(s);
		log_warnx("%016llx smtp event=auth error=\"cannot encode the "
		    "request\" result=TempFail", (unsigned long long)s->id);
		s->state = S_CMD;
		session_reply(s, "%s", AUTH_SASL_REPLY_TEMPFAIL);
		return;
	}
	auth_req_clear(&q);
	auth_end(s);
	session_wait(s, W_AUTH);
	if (role_send(s->server->role, PROC_LOOKUP, IMSG_LKA_AUTH, s->reqid,
	    -1, buf, len) == -1) {
		session_by_reqid(s->reqid);
		s->state = S_CMD;
		session_reply(s, "%s", AUTH_SASL_REPLY_TEMPFAIL);
	}
	auth_msg_free(buf, len);
}

/* IMSG_LKA_AUTH_RES: the verdict of the lookup role. */
int
session_auth_result(struct ipc_msg *m)
{
	struct auth_res res;
	struct session *s;

	if (auth_res_decode(m->data, m->len, &res) == -1)
		return -1;
	if ((s = session_find(m->reqid)) == NULL || s->wait != W_AUTH)
		return 0;	/* not ours (any more) */
	session_by_reqid(m->reqid);
	if (s->state == S_DEAD) {
		session_reap(s);
		return 0;
	}
	s->state = S_CMD;
	switch (res.status) {
	case AUTH_RES_OK:
		strlcpy(s->auth_user, s->auth_login, sizeof(s->auth_user));
		log_info("%016llx smtp event=auth user=%s address=%s "
		    "result=Ok", (unsigned long long)s->id, s->auth_user,
		    s->addr);
		session_reply(s, "%s", AUTH_SASL_REPLY_OK);
		break;
	case AUTH_RES_FAIL:
		auth_failed(s, "invalid credentials");
		break;
	default:
		log_info("%016llx smtp event=auth user=%s address=%s "
		    "error=\"lookup failed\" result=TempFail",
		    (unsigned long long)s->id, s->auth_login, s->addr);
		session_reply(s, "%s", AUTH_SASL_REPLY_TEMPFAIL);
		break;
	}
	explicit_bzero(s->auth_login, sizeof(s->auth_login));
	session_resume(s);
	return 0;
}

/* A failed authentication: counted; its reply waits for the delay. */
static void
auth_failed(struct session *s, const char *why)
{
	struct auth_throttle_verdict v;
	char key[AUTH_KEY_MAX];

	auth_throttle_failure(s->server->throttle, &s->auth_fails,
	    auth_key(s, key, sizeof(key)), auth_now_ms(), &v);
	s->auth_close = v.close;
	log_info("%016llx smtp event=auth user=%s address=%s error=\"%s\" "
	    "failures=%u delay=%llums%s result=PermFail",
	    (unsigned long long)s->id, s->auth_login, s->addr, why,
	    s->auth_fails.failures, (unsigned long long)v.delay_ms,
	    v.close ? " action=close" : "");
	explicit_bzero(s->auth_login, sizeof(s->auth_login));
	s->state = S_AUTH_DELAY;
	ev_timer_set(&s->auth_timer, (double)v.delay_ms / 1000.0, 0.0);
	ev_timer_start(s->server->loop, &s->auth_timer);
}

/* The delay is over: 535, or 421 and the end of the session. */
static void
auth_delay_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;

	(void)loop;
	(void)revents;
	if (s->state != S_AUTH_DELAY)
		return;
	if (s->auth_close) {
		session_reply(s, AUTH_THROTTLE_REPLY_FMT, s->name);
		s->state = S_QUIT;
		session_flush(s);
		return;
	}
	session_reply(s, "%s", AUTH_SASL_REPLY_INVALID);
	s->state = S_CMD;
	ev_timer_again(s->server->loop, &s->timer);
	session_resume(s);
}

/*
 * relay_sess.c: one outbound SMTP/LMTP session of the relay role
 * (relay_sess.h, protocol.md B.3/B.4): its life cycle, its libev
 * watchers and timeout, the reply loop that hands each whole reply to
 * the part in charge (relay_hello.c, relay_mail.c, relay_data.c), and the
 * way out, relay_sess_close() (relay_sess_end.c).
 *
 * The caller may free the session from any callback: relay_sess_free()
 * then only stops everything and marks it dead, and the event handler
 * that called out frees it on the way back. Nothing here blocks; bad
 * bytes from a server close the session with a 4xx, never abort.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/relay_sess_priv.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define RELAY_READ_LOOPS	64	/* reads per event, then yield */
#define RELAY_CMD_MAX		1024	/* a command line of ours */

static const char *relay_stage_names[] = {
	"connect", "greeting", "helo", "starttls", "auth", "mail", "rcpt",
	"data", "body", "quit",
};

static void	relay_sess_read_cb(struct ev_loop *, ev_io *, int);
static void	relay_sess_write_cb(struct ev_loop *, ev_io *, int);
static void	relay_sess_timer_cb(struct ev_loop *, ev_timer *, int);
static void	relay_sess_later_cb(struct ev_loop *, ev_timer *, int);
static void	relay_sess_leave(struct relay_sess *);
static void	relay_sess_destroy(struct relay_sess *);
static void	relay_sess_read(struct relay_sess *);
static void	relay_sess_write_ready(struct relay_sess *);
static int	relay_sess_dispatch(struct relay_sess *);
static int	relay_sess_expecting(enum relay_state);
static int	relay_sess_timeout_of(const struct relay_sess *);
static void	relay_sess_addr(struct relay_sess *);
static void	relay_sess_quit_now(struct relay_sess *);

struct relay_sess *
relay_sess_new(struct ev_loop *loop, const struct relay_sess_conf *conf,
    const struct sockaddr *sa, socklen_t salen, const char *host,
    const struct relay_sess_cb *cb, void *arg)
{
	struct relay_sess *s;
	int rc;

	if (salen > sizeof(s->ss) || salen < sizeof(sa_family_t))
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->id = ((uint64_t)arc4random() << 32) | arc4random();
	s->loop = loop;
	s->conf = *conf;
	s->cb = *cb;
	s->arg = arg;
	memcpy(&s->ss, sa, salen);
	s->sslen = salen;
	relay_sess_printable(s->host, sizeof(s->host), host ? host : "", 0);
	relay_sess_addr(s);
	relay_io_init(&s->io);
	lmtp_reply_init(&s->reply);
	ev_init(&s->timer, relay_sess_timer_cb);
	s->timer.data = s;
	ev_init(&s->later, relay_sess_later_cb);
	s->later.data = s;
	s->state = RS_CONNECT;
	s->stage = RELAY_STAGE_CONNECT;

	if (conf->cred == NULL && (conf->tls == RELAY_SESS_TLS_STARTTLS ||
	    conf->tls == RELAY_SESS_TLS_IMPLICIT)) {
		s->stage = RELAY_STAGE_STARTTLS;
		strlcpy(s->err_esc, "4.7.5", sizeof(s->err_esc));
		strlcpy(s->err, "TLS is required but no TLS credentials are "
		    "configured", sizeof(s->err));
	} else if ((rc = relay_io_connect(&s->io, sa, salen)) ==
	    RELAY_IO_ERROR) {
		strlcpy(s->err_esc, "4.4.1", sizeof(s->err_esc));
		snprintf(s->err, sizeof(s->err), "%s: %s", s->addr, s->io.err);
	}
	if (s->err[0] != '\0') {
		/* Reported from the loop: the caller has no session yet. */
		ev_timer_set(&s->later, 0., 0.);
		ev_timer_start(loop, &s->later);
		return s;
	}
	ev_io_init(&s->rio, relay_sess_read_cb, s->io.fd, EV_READ);
	s->rio.data = s;
	ev_io_init(&s->wio, relay_sess_write_cb, s->io.fd, EV_WRITE);
	s->wio.data = s;
	relay_sess_expect(s, RS_CONNECT, RELAY_STAGE_CONNECT);
	ev_io_start(loop, &s->wio);
	return s;
}

int
relay_sess_send(struct relay_sess *s, struct relay_txn *t)
{
	if (s->state != RS_READY || s->quit_asked || t == NULL ||
	    t->nrcpt == 0 || t->nrcpt > RELAY_RCPT_MAX || t->sender == NULL)
		return -1;
	s->txn = t;
	s->state = RS_SEND;
	ev_timer_set(&s->later, 0., 0.);
	ev_timer_start(s->loop, &s->later);
	return 0;
}

void
relay_sess_quit(struct relay_sess *s)
{
	if (s->state == RS_CLOSED || s->state == RS_QUIT)
		return;
	if (s->state == RS_READY)
		relay_sess_quit_now(s);
	else
		s->quit_asked = 1;
}

static void
relay_sess_quit_now(struct relay_sess *s)
{
	relay_sess_cmd(s, "QUIT");
	relay_sess_expect(s, RS_QUIT, RELAY_STAGE_QUIT);
}

void
relay_sess_free(struct relay_sess *s)
{
	if (s == NULL)
		return;
	if (s->depth > 0) {
		/* In one of our callbacks: freed on the way out. */
		relay_sess_stop(s);
		relay_io_close(&s->io);
		s->state = RS_CLOSED;
		s->dead = 1;
		return;
	}
	relay_sess_destroy(s);
}

static void
relay_sess_destroy(struct relay_sess *s)
{
	relay_sess_stop(s);
	relay_io_close(&s->io);
	free(s);
}

int
relay_sess_tls(const struct relay_sess *s)
{
	return s->io.tls;
}

const char *
relay_sess_host(const struct relay_sess *s)
{
	return s->host;
}

const char *
relay_sess_stage_name(enum relay_stage st)
{
	if ((size_t)st >= sizeof(relay_stage_names) /
	    sizeof(relay_stage_names[0]))
		return "unknown";
	return relay_stage_names[st];
}

/*
 * Printable ASCII without quote or backslash, safe in a log field;
 * blanks too when blank is set (a quoted field).
 */
void
relay_sess_printable(char *dst, size_t size, const char *src, int blank)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (src[i] > ' ' || (blank && src[i] == ' ')) &&
		    src[i] < 0x7f && src[i] != '"' && src[i] != '\\' ?
		    src[i] : '?';
	dst[i] = '\0';
}

/* "[192.0.2.1]:25", "[2001:db8::1]:25", "unix:/path" */
static void
relay_sess_addr(struct relay_sess *s)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&s->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&s->ss;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&s->ss;
	char a[INET6_ADDRSTRLEN], path[sizeof(sun->sun_path) + 1];
	size_t n;

	switch (s->ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(s->addr, sizeof(s->addr), "[%s]:%u", a,
		    ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(s->addr, sizeof(s->addr), "[%s]:%u", a,
		    ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		n = s->sslen - offsetof(struct sockaddr_un, sun_path);
		if (n > sizeof(sun->sun_path))
			n = sizeof(sun->sun_path);
		memcpy(path, sun->sun_path, n);
		path[n] = '\0';
		strlcpy(s->addr, "unix:", sizeof(s->addr));
		relay_sess_printable(s->addr + 5, sizeof(s->addr) - 5, path,
		    0);
		break;
	default:
		strlcpy(s->addr, "unknown", sizeof(s->addr));
	}
}

/* ------------------------------------------------------------ events */

static void
relay_sess_leave(struct relay_sess *s)
{
	if (--s->depth == 0 && s->dead)
		relay_sess_destroy(s);
}

void
relay_sess_stop(struct relay_sess *s)
{
	ev_io_stop(s->loop, &s->rio);
	ev_io_stop(s->loop, &s->wio);
	ev_timer_stop(s->loop, &s->timer);
	ev_timer_stop(s->loop, &s->later);
	s->reading = 0;
}

static void
relay_sess_later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_sess *s = w->data;

	(void)loop;
	(void)revents;
	s->depth++;
	if (s->err[0] != '\0')
		(void)relay_sess_close(s, 4, s->err_esc, 0, "%s", s->err);
	else if (s->state == RS_SEND)
		(void)relay_mail_begin(s);
	relay_sess_leave(s);
}

static void
relay_sess_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_sess *s = w->data;

	(void)loop;
	(void)revents;
	s->depth++;
	if (s->state == RS_QUIT)
		(void)relay_sess_close(s, 2, "", 0, "no reply to QUIT");
	else if (s->state == RS_CONNECT)
		(void)relay_sess_close(s, 4, "4.4.1", 0, "connect to %s: "
		    "timed out", s->addr);
	else
		(void)relay_sess_close(s, 4, "4.4.2", 0, "%s: timed out "
		    "at stage %s", s->addr, relay_sess_stage_name(s->stage));
	relay_sess_leave(s);
}

static void
relay_sess_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct relay_sess *s = w->data;

	(void)loop;
	(void)revents;
	s->depth++;
	if (s->state == RS_HANDSHAKE)
		(void)relay_hello_handshake(s);
	else
		relay_sess_read(s);
	relay_sess_leave(s);
}

static void
relay_sess_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct relay_sess *s = w->data;

	(void)loop;
	(void)revents;
	s->depth++;
	if (s->state == RS_CONNECT) {
		ev_io_stop(s->loop, &s->wio);
		if (relay_io_connected(&s->io) == RELAY_IO_ERROR)
			(void)relay_sess_close(s, 4, "4.4.1", 0, "%s: %s",
			    s->addr, s->io.err);
		else {
			log_info("%016llx relay event=connected host=%s "
			    "address=%s", (unsigned long long)s->id, s->host,
			    s->addr);
			(void)relay_hello_start(s);
		}
	} else if (s->state == RS_HANDSHAKE)
		(void)relay_hello_handshake(s);
	else
		relay_sess_write_ready(s);
	relay_sess_leave(s);
}

static void
relay_sess_write_ready(struct relay_sess *s)
{
	int rc;

	if (s->io.want_write) {
		/* A TLS read that waited for the socket to take a write. */
		s->io.want_write = 0;
		relay_sess_read(s);
		if (s->state == RS_CLOSED)
			return;
	}
	rc = relay_io_flush(&s->io);
	if (rc == RELAY_IO_ERROR) {
		(void)relay_sess_lost(s, s->io.err);
		return;
	}
	if (s->state == RS_BODY)	/* each write has its timeout */
		ev_timer_again(s->loop, &s->timer);
	if (rc == RELAY_IO_AGAIN)
		return;
	ev_io_stop(s->loop, &s->wio);
	if (s->state == RS_BODY)
		(void)relay_data_written(s);
}

static void
relay_sess_read(struct relay_sess *s)
{
	int i, rc;

	for (i = 0; i < RELAY_READ_LOOPS; i++) {
		switch ((rc = relay_io_read(&s->io))) {
		case RELAY_IO_OK:
			if (relay_sess_input(s) == -1)
				return;
			continue;
		case RELAY_IO_AGAIN:
			if (relay_io_wants_write(&s->io))
				relay_sess_write(s);
			return;
		case RELAY_IO_FULL:
			/* Only while the content goes out: wait for it. */
			ev_io_stop(s->loop, &s->rio);
			s->reading = 0;
			return;
		case RELAY_IO_EOF:
			if (s->state == RS_QUIT)
				(void)relay_sess_close(s, 2, "", 0,
				    "connection closed after QUIT");
			else
				(void)relay_sess_lost(s, "connection closed "
				    "by the server");
			return;
		default:
			(void)relay_sess_lost(s, s->io.err);
			return;
		}
	}
	ev_feed_event(s->loop, &s->rio, EV_READ);	/* more later */
}

/* ---------------------------------------------------------- replies */

static int
relay_sess_expecting(enum relay_state st)
{
	return st != RS_CONNECT && st != RS_HANDSHAKE && st != RS_SEND &&
	    st != RS_BODY && st != RS_CLOSED;
}

/* Whole replies out of the input, each to the part in charge. */
int
relay_sess_input(struct relay_sess *s)
{
	enum lmtp_reply_state st;
	size_t used;

	while (s->io.inlen > 0 && relay_sess_expecting(s->state)) {
		st = lmtp_reply_feed(&s->reply, s->io.in, s->io.inlen, &used);
		relay_io_consume(&s->io, used);
		if (st == LMTP_REPLY_MORE)
			return 0;
		if (st == LMTP_REPLY_ERROR)
			return relay_sess_close(s, 4, "4.5.0", 0, "%s: "
			    "malformed reply at stage %s: %s", s->addr,
			    relay_sess_stage_name(s->stage), s->reply.error);
		log_trace(TRACE_SMTP, "%016llx relay <<< %d %s %s",
		    (unsigned long long)s->id, s->reply.code, s->reply.esc,
		    s->reply.text);
		if (relay_sess_dispatch(s) == -1)
			return -1;
		lmtp_reply_init(&s->reply);
	}
	return 0;
}

static int
relay_sess_dispatch(struct relay_sess *s)
{
	if (s->reply.code == 421 && s->state != RS_QUIT)
		return relay_sess_fail_reply(s, "4.4.2");
	switch (s->state) {
	case RS_GREETING:
	case RS_EHLO:
	case RS_HELO:
	case RS_STARTTLS:
	case RS_AUTH:
	case RS_AUTH_USER:
	case RS_AUTH_PASS:
		return relay_hello_reply(s);
	case RS_TXN:
	case RS_DOT:
	case RS_RSET:
		return relay_mail_reply(s);
	case RS_EOD:
		return relay_data_reply(s);
	case RS_QUIT:
		return relay_sess_close(s, 2, "", 0, "%d %s%s%s", s->reply.code,
		    s->reply.esc, s->reply.esc[0] ? " " : "", s->reply.text);
	default:
		return relay_sess_close(s, 4, "4.5.0", 0, "%s: unexpected "
		    "reply while idle: %d %s", s->addr, s->reply.code,
		    s->reply.text);
	}
}

/* ------------------------------------------------- for the parts */

/* One command line of ours; a control byte in it becomes '?'. */
void
relay_sess_cmd(struct relay_sess *s, const char *fmt, ...)
{
	char line[RELAY_CMD_MAX];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		line[0] = '\0';
	va_end(ap);
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = '?';
	log_trace(TRACE_SMTP, "%016llx relay >>> %s",
	    (unsigned long long)s->id, line);
	buf_addstr(&s->io.out, line);
	buf_addstr(&s->io.out, "\r\n");
	relay_sess_write(s);
}

/*
 * Lines built straight into the output (relay_cmd.c): traced from start,
 * what buf_avail() was before them.
 */
void
relay_sess_sent(struct relay_sess *s, size_t start)
{
	log_trace(TRACE_SMTP, "%016llx relay >>> %.*s",
	    (unsigned long long)s->id, (int)(buf_avail(&s->io.out) - start),
	    (const char *)buf_head(&s->io.out) + start);
	relay_sess_write(s);
}

/* A line holding a secret: logged as what, wiped once written. */
void
relay_sess_secret(struct relay_sess *s, const char *line, const char *what)
{
	size_t len = strlen(line);

	/* Reserved first: no copy of the secret is left in freed memory. */
	buf_reserve(&s->io.out, len + 2);
	buf_add(&s->io.out, line, len);
	buf_add(&s->io.out, "\r\n", 2);
	s->io.secret = 1;
	log_trace(TRACE_SMTP, "%016llx relay >>> %s",
	    (unsigned long long)s->id, what);
	relay_sess_write(s);
}

void
relay_sess_write(struct relay_sess *s)
{
	if (s->state != RS_CLOSED && s->io.fd != -1)
		ev_io_start(s->loop, &s->wio);
}

static int
relay_sess_timeout_of(const struct relay_sess *s)
{
	const struct relay_sess_conf *c = &s->conf;

	switch (s->stage) {
	case RELAY_STAGE_CONNECT:
		return c->connect_timeout > 0 ? c->connect_timeout : 30;
	case RELAY_STAGE_STARTTLS:
		return c->starttls_timeout > 0 ? c->starttls_timeout : 300;
	case RELAY_STAGE_MAIL:
		return c->mail_timeout > 0 ? c->mail_timeout : 300;
	case RELAY_STAGE_RCPT:
		return c->rcpt_timeout > 0 ? c->rcpt_timeout : 300;
	case RELAY_STAGE_DATA:
		return c->data_init_timeout > 0 ? c->data_init_timeout : 120;
	case RELAY_STAGE_BODY:
		if (s->state == RS_BODY)
			return c->data_xfer_timeout > 0 ?
			    c->data_xfer_timeout : 180;
		return c->data_done_timeout > 0 ? c->data_done_timeout : 600;
	case RELAY_STAGE_QUIT:
		return c->quit_timeout > 0 ? c->quit_timeout : 300;
	default:
		return c->helo_timeout > 0 ? c->helo_timeout : 300;
	}
}

/* A new state and stage: its timeout starts, replies are read. */
void
relay_sess_expect(struct relay_sess *s, enum relay_state st,
    enum relay_stage stage)
{
	s->state = st;
	s->stage = stage;
	ev_timer_stop(s->loop, &s->timer);
	ev_timer_set(&s->timer, (double)relay_sess_timeout_of(s),
	    (double)relay_sess_timeout_of(s));
	ev_timer_start(s->loop, &s->timer);
	if (st != RS_CONNECT && !s->reading && s->io.fd != -1) {
		ev_io_start(s->loop, &s->rio);
		s->reading = 1;
	}
}

int
relay_sess_ready(struct relay_sess *s)
{
	if (s->quit_asked) {
		relay_sess_quit_now(s);
		return 0;
	}
	s->state = RS_READY;
	s->stage = RELAY_STAGE_MAIL;
	ev_timer_stop(s->loop, &s->timer);
	s->cb.ready(s, s->arg);
	return s->dead || s->state == RS_CLOSED ? -1 : 0;
}

/*
 * session.c: connection life of an SMTP/LMTP session in the smtp role:
 * accept-time limits, the greeting, non-blocking reads and writes, the
 * idle timer, and the command loop. Commands are processed strictly in
 * order and unread input is never discarded (RFC 2920 §3.2); while a
 * lookup or queue request is outstanding the loop pauses and input waits
 * in the buffer. Replies are batched and flushed when no complete command
 * is left to process.
 * Under TLS every byte goes through session_tls.c (session_tls_read and
 * session_tls_write), and in state S_TLS the handshake owns the socket.
 * AUTH lines (the command and the responses of state S_AUTH) may be
 * longer than commands (auth/sasl.h) and are never logged whole: they
 * carry passwords.
 * Must never block: every descriptor is non-blocking, disk writes go to
 * the message file only (page cache; the queue role does the fsyncs).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/sasl.h"
#include "lib/line.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/version.h"
#include "lib/xmalloc.h"
#include "smtpd/session.h"
#include "smtpd/smtp_limits.h"

#define SESSION_READ_CHUNK	16384

static int	session_cmp(struct session *, struct session *);
RB_HEAD(session_tree, session);
RB_PROTOTYPE(session_tree, session, tree, session_cmp);
RB_GENERATE(session_tree, session, tree, session_cmp)

static struct session_tree waiting = RB_INITIALIZER(&waiting);
static uint32_t next_reqid;

static void	session_read_cb(struct ev_loop *, ev_io *, int);
static void	session_write_cb(struct ev_loop *, ev_io *, int);
static void	session_timeout_cb(struct ev_loop *, ev_timer *, int);
static void	session_free(struct session *);
static int	session_next_command(struct session *);
static int	session_check_line(struct session *, struct line *);
static void	session_addr_text(struct session *);
static void	session_read_start(struct session *);
static int	session_auth_cmdline(const struct session *, const char *,
		    size_t);

static int
session_cmp(struct session *a, struct session *b)
{
	return a->reqid < b->reqid ? -1 : a->reqid > b->reqid;
}

static void
session_addr_text(struct session *s)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&s->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&s->ss;

	switch (s->ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, s->addr, sizeof(s->addr));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, s->addr, sizeof(s->addr));
		break;
	default:
		strlcpy(s->addr, "local", sizeof(s->addr));
		s->local_src = 1;
		break;
	}
}

void
smtp_session_start(struct smtp_listener *sl, int fd,
    const struct sockaddr_storage *ss, socklen_t sslen)
{
	session_begin(session_new(sl, fd, ss, sslen));
}

/* A session for a connected socket; nothing is sent before session_begin. */
struct session *
session_new(struct smtp_listener *sl, int fd,
    const struct sockaddr_storage *ss, socklen_t sslen)
{
	struct session *s;

	s = xcalloc(1, sizeof(*s));
	s->id = ((uint64_t)arc4random() << 32) | arc4random();
	s->listener = sl;
	s->server = sl->server;
	s->fd = fd;
	memcpy(&s->ss, ss, sslen < sizeof(s->ss) ? sslen : sizeof(s->ss));
	session_addr_text(s);
	s->lmtp = (sl->conf->flags & LISTENER_LMTP) != 0;
	s->name = sl->conf->hostname[0] ? sl->conf->hostname :
	    s->server->conf->hostname;
	s->txn.msgfd = -1;
	buf_init(&s->in);
	buf_init(&s->out);
	buf_init(&s->txn.wbuf);
	TAILQ_INIT(&s->txn.rcpts);
	s->state = S_CMD;
	TAILQ_INSERT_TAIL(&s->server->sessions, s, entry);

	ev_io_init(&s->rio, session_read_cb, fd, EV_READ);
	ev_io_init(&s->wio, session_write_cb, fd, EV_WRITE);
	ev_init(&s->timer, session_timeout_cb);
	s->timer.repeat = smtp_limits.timeout;
	s->rio.data = s->wio.data = s->timer.data = s;
	session_auth_init(s);
	return s;
}

/* The session limits, then the greeting; s may be freed on return. */
void
session_begin(struct session *s)
{
	const char *why;
	char uid[32] = "";

	if (s->enqueue)
		snprintf(uid, sizeof(uid), " enqueue uid=%u",
		    (unsigned int)s->uid);
	log_info("%016llx smtp event=connected address=%s listener=%s%s%s",
	    (unsigned long long)s->id, s->addr, s->name,
	    s->lmtp ? " proto=lmtp" : "", uid);
	if ((why = smtp_limits_admit(s->addr)) != NULL) {
		/* Over a session limit: say so and close. */
		s->state = S_QUIT;
		session_reply(s, "421 4.7.0 %s Error: %s", s->name, why);
		session_flush(s);
		return;
	}
	s->counted = 1;
	smtp_ctl_session_open(s);
	ev_timer_again(s->server->loop, &s->timer);
	if (s->listener->conf->flags & LISTENER_SMTPS) {
		/* Implicit TLS: the greeting comes after the handshake. */
		session_tls_smtps(s);
		return;
	}
	ev_io_start(s->server->loop, &s->rio);
	session_greet(s);
	session_flush(s);
}

void
session_greet(struct session *s)
{
	session_reply(s, "220 %s %s %s", s->name, s->lmtp ? "LMTP" : "ESMTP",
	    SMTPD_PRODUCT);
}

/* Append one reply line (CRLF added); a multi-line reply is several calls. */
void
session_reply(struct session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	log_trace(TRACE_SMTP, "%016llx smtp >>> %.*s",
	    (unsigned long long)s->id, n, line);
	buf_add(&s->out, line, (size_t)n);
	buf_add(&s->out, "\r\n", 2);
}

/*
 * Write what the socket takes. 0 if the session lives on; otherwise it
 * was closed (QUIT, an error) or went on into or past a TLS handshake,
 * and the caller must not use it any more.
 */
int
session_flush(struct session *s)
{
	ssize_t n;

	while (buf_avail(&s->out)) {
		n = session_tls_write(s, buf_head(&s->out), buf_avail(&s->out));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ev_io_start(s->server->loop, &s->wio);
				return 0;
			}
			session_close(s, "write error");
			return -1;
		}
		buf_consume(&s->out, (size_t)n);
	}
	ev_io_stop(s->server->loop, &s->wio);
	if (s->state == S_QUIT) {
		session_close(s, "quit");
		return -1;
	}
	if (s->state == S_TLS)
		return session_tls_step(s);	/* the 220 is out */
	return 0;
}

static void
session_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;

	(void)revents;
	/* A TLS record read that needed the socket writable first. */
	if (session_tls_write_ready(s))
		ev_feed_event(loop, &s->rio, EV_READ);
	if (session_flush(s) != 0)
		return;
	if (s->state == S_CMD || s->state == S_DATA || s->state == S_AUTH)
		session_resume(s);
}

/* Read on; decrypted bytes GnuTLS already holds do not wake the socket. */
static void
session_read_start(struct session *s)
{
	ev_io_start(s->server->loop, &s->rio);
	if (session_tls_pending(s))
		ev_feed_event(s->server->loop, &s->rio, EV_READ);
}

void
session_stop_reading(struct session *s)
{
	ev_io_stop(s->server->loop, &s->rio);
}

static void
session_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;
	ssize_t n;

	(void)revents;
	if (s->state == S_TLS) {
		/* Handshake bytes: never read as plaintext commands. */
		session_tls_step(s);
		return;
	}
	if (buf_avail(&s->in) >= SESSION_INBUF_MAX) {
		/* Enough is waiting; read again once it is processed. */
		ev_io_stop(loop, &s->rio);
		return;
	}
	buf_reserve(&s->in, SESSION_READ_CHUNK);
	n = session_tls_read(s, s->in.data + s->in.len, SESSION_READ_CHUNK);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		session_close(s, errno == EPROTO ? "tls error" : "read error");
		return;
	}
	if (n == 0) {
		session_close(s, "disconnected");
		return;
	}
	s->in.len += (size_t)n;
	if (s->state != S_WAIT && s->state != S_AUTH_DELAY)
		ev_timer_again(loop, &s->timer);
	session_resume(s);
}

static void
session_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;

	(void)revents;
	if (s->state == S_WAIT || s->state == S_AUTH_DELAY) {
		/* The client waits for us, not the other way round. */
		ev_timer_again(loop, w);
		return;
	}
	if (s->state == S_TLS) {
		/* No reply: the stream is neither plaintext nor TLS yet. */
		log_info("%016llx smtp event=tls-timeout address=%s",
		    (unsigned long long)s->id, s->addr);
		session_close(s, "tls-timeout");
		return;
	}
	log_info("%016llx smtp event=timeout state=%d",
	    (unsigned long long)s->id, s->state);
	if (s->state == S_DATA)
		session_txn_abort(s);
	session_auth_stop(s);
	s->state = S_QUIT;
	session_reply(s, "421 4.4.2 %s Timeout exceeded", s->name);
	session_flush(s);
}

/* Count a syntax or sequence error; 1 if the session was closed for it. */
int
session_error(struct session *s)
{
	if (++s->nerrors < SESSION_ERRORS_MAX)
		return 0;
	session_reply(s, "421 4.7.0 %s Error: too many errors", s->name);
	s->state = S_QUIT;
	return 1;
}

/* Line policy of protocol.md A.11/A.12; 0 if the line may be parsed. */
static int
session_check_line(struct session *s, struct line *l)
{
	if (l->end == LINE_LF || l->bare_cr) {
		if (s->server->conf->bare_newline == BARE_NEWLINE_REJECT) {
			session_reply(s, "550 5.5.2 %s Error: bare <LF> received",
			    s->name);
			s->state = S_QUIT;
			return -1;
		}
		if (l->bare_cr) {
			session_reply(s, "500 5.5.2 Error: bare <CR> received");
			session_error(s);
			return -1;
		}
	}
	if (l->nul || !utf8_valid(l->data, l->len)) {
		session_reply(s, "500 5.5.2 Error: bad UTF-8 syntax");
		session_error(s);
		return -1;
	}
	return 0;
}

/*
 * An AUTH command: never logged whole, wiped once read (it may hold a
 * password, wherever it is sent). 2 on a listener that offers AUTH: read
 * with the longer limit of RFC 4954 (an initial response).
 */
static int
session_auth_cmdline(const struct session *s, const char *p, size_t len)
{
	if (len < 5 || strncasecmp(p, "AUTH ", 5) != 0)
		return 0;
	return (s->listener->conf->flags & (LISTENER_AUTH |
	    LISTENER_AUTH_OPTIONAL)) ? 2 : 1;
}

/* 1 if a command was handled, 0 if more input is needed. */
static int
session_next_command(struct session *s)
{
	char cmd[AUTH_SASL_LINE_MAX];
	struct line l;
	const char *p = (const char *)buf_head(&s->in);
	size_t avail = buf_avail(&s->in);
	int auth = session_auth_cmdline(s, p, avail);

	if (s->discarding) {
		const char *lf = memchr(p, '\n', avail);

		buf_consume(&s->in, lf ? (size_t)(lf - p) + 1 : avail);
		if (lf == NULL)
			return 0;
		s->discarding = 0;
		return 1;
	}
	switch (line_next(p, avail, auth == 2 ? AUTH_SASL_LINE_MAX :
	    SESSION_CMD_MAX, &l)) {
	case LINE_MORE:
		return 0;
	case LINE_TOOLONG:
		/* Discard up to the next LF, wherever it is. */
		if ((p = memchr(p, '\n', avail)) != NULL)
			avail = (size_t)(p - (const char *)buf_head(&s->in)) +
			    1;
		else
			s->discarding = 1;
		if (auth)
			session_auth_consume(s, avail);
		else
			buf_consume(&s->in, avail);
		session_reply(s, "%s", auth == 2 ? AUTH_SASL_REPLY_TOOLONG :
		    "500 5.5.2 Line too long");
		session_error(s);
		return 1;
	case LINE_OK:
		break;
	}
	/* Commands sent ahead of our reply without PIPELINING (A.4). */
	if (!s->pipelining && avail > l.consumed) {
		log_info("%016llx smtp event=sync-error address=%s",
		    (unsigned long long)s->id, s->addr);
		if (auth)
			session_auth_consume(s, avail);
		else
			buf_consume(&s->in, avail);
		session_reply(s, "554 5.5.0 Error: SMTP protocol synchronization");
		s->state = S_QUIT;
		return 1;
	}
	memcpy(cmd, l.data, l.len);
	cmd[l.len] = '\0';
	l.data = cmd;	/* the input is consumed (and an AUTH line wiped) */
	if (auth) {
		session_auth_consume(s, l.consumed);
		/* "AUTH PLAIN <secret>": the mechanism only */
		log_trace(TRACE_SMTP, "%016llx smtp <<< %.*s ...",
		    (unsigned long long)s->id, (int)strcspn(cmd + 5, " ") + 5,
		    cmd);
	} else {
		buf_consume(&s->in, l.consumed);
		log_trace(TRACE_SMTP, "%016llx smtp <<< %s",
		    (unsigned long long)s->id, cmd);
	}
	if (session_check_line(s, &l) == 0)
		session_command(s, cmd, l.len);
	explicit_bzero(cmd, l.len);
	return 1;
}

/*
 * Process as much buffered input as the state allows, then flush replies
 * if no complete command is left (the batching rule of RFC 2920 §3.2).
 */
void
session_resume(struct session *s)
{
	struct line l;

	for (;;) {
		if (s->state == S_DATA) {
			session_data_input(s);
			if (s->state == S_DATA)
				break;
			continue;
		}
		if (s->state == S_AUTH) {
			if (!session_auth_line(s))
				break;
			continue;
		}
		if (s->state != S_CMD)
			break;
		if (buf_avail(&s->out) > SESSION_OUTBUF_MAX)
			return;		/* resumed by session_write_cb */
		if (buf_avail(&s->in) == 0 || !session_next_command(s))
			break;
	}
	if (s->state == S_DEAD)
		return;
	if ((s->state == S_WAIT || s->state == S_AUTH_DELAY) &&
	    buf_avail(&s->in) &&
	    line_next((const char *)buf_head(&s->in), buf_avail(&s->in),
	    SESSION_CMD_MAX, &l) == LINE_OK)
		return;		/* more commands follow: keep batching */
	if (buf_avail(&s->in) < SESSION_INBUF_MAX && s->state != S_QUIT)
		session_read_start(s);
	session_flush(s);
}

void
session_wait(struct session *s, enum session_wait what)
{
	if (++next_reqid == 0)
		next_reqid = 1;
	s->reqid = next_reqid;
	s->wait = what;
	s->state = S_WAIT;
	RB_INSERT(session_tree, &waiting, s);
}

struct session *
session_find(uint32_t reqid)
{
	struct session key;

	key.reqid = reqid;
	return RB_FIND(session_tree, &waiting, &key);
}

/* The session a reply is for, taken off the waiting list; NULL if none. */
struct session *
session_by_reqid(uint32_t reqid)
{
	struct session key, *s;

	key.reqid = reqid;
	if ((s = RB_FIND(session_tree, &waiting, &key)) == NULL)
		return NULL;
	RB_REMOVE(session_tree, &waiting, s);
	s->wait = W_NONE;
	return s;
}

void
session_reset_txn(struct session *s)
{
	struct session_rcpt *r;

	while ((r = TAILQ_FIRST(&s->txn.rcpts)) != NULL) {
		TAILQ_REMOVE(&s->txn.rcpts, r, entry);
		free(r->evp);
		free(r);
	}
	if (s->txn.pending) {
		free(s->txn.pending->evp);
		free(s->txn.pending);
	}
	if (s->txn.msgfd != -1)
		close(s->txn.msgfd);
	buf_free(&s->txn.wbuf);
	memset(&s->txn, 0, sizeof(s->txn));
	s->txn.msgfd = -1;
	buf_init(&s->txn.wbuf);
	TAILQ_INIT(&s->txn.rcpts);
}

void
session_close(struct session *s, const char *reason)
{
	if (s->state == S_DEAD)
		return;
	log_info("%016llx smtp event=closed reason=%s",
	    (unsigned long long)s->id, reason);
	if (s->wait == W_NONE && s->txn.msgid)
		session_txn_abort(s);
	ev_io_stop(s->server->loop, &s->rio);
	ev_io_stop(s->server->loop, &s->wio);
	ev_timer_stop(s->server->loop, &s->timer);
	session_auth_stop(s);
	session_tls_close(s);
	close(s->fd);
	s->fd = -1;
	if (s->counted) {
		smtp_limits_release(s->addr);
		smtp_ctl_session_close(s);
	}
	s->counted = 0;
	s->state = S_DEAD;
	/* An outstanding reply still refers to us: freed when it comes. */
	if (s->wait == W_NONE)
		session_free(s);
}

/* Called by the reply handlers for a session that closed meanwhile. */
void
session_reap(struct session *s)
{
	session_free(s);
}

/* SIGTERM: every open session hears why, at once (protocol.md A.1). */
void
session_shutdown_all(struct smtp_server *srv)
{
	struct session *s, *next;

	TAILQ_FOREACH_SAFE(s, &srv->sessions, entry, next) {
		if (s->state == S_DEAD || s->fd == -1)
			continue;
		buf_reset(&s->out);
		session_reply(s, "421 4.3.2 %s Service shutting down", s->name);
		if (s->state == S_TLS || session_tls_write(s, buf_head(&s->out),
		    buf_avail(&s->out)) == -1)
			log_debug("%016llx smtp event=shutdown-reply-lost",
			    (unsigned long long)s->id);
		session_close(s, "shutdown");
	}
}

static void
session_free(struct session *s)
{
	TAILQ_REMOVE(&s->server->sessions, s, entry);
	session_auth_stop(s);
	session_tls_close(s);
	session_reset_txn(s);
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->txn.wbuf);
	free(s);
}

/*
 * lmtp_io.c: the transport of the LMTP client (lmtp.c): DEST parsed by
 * the config's own parser (smtpd/parse_dest.c: unix:/path, /path,
 * inet:host:port, [addr]:port, ...), the connection (UNIX-domain stream
 * socket, or TCP to each address of the host in turn) with a connect
 * timeout, buffered writes and reply reads, each bounded by a deadline
 * through poll(2).
 *
 * Runs as the delivering user, never as root (main.c drops first). A
 * failure is text in c->why for the caller to turn into outcomes; bad
 * bytes from the server are a parser result (lmtp_reply.c), never an
 * abort.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "smtpd/parse.h"

#define LMTP_PORT_SIZE	8

static long long lmtp_io_now(void);
static int	lmtp_io_wait(struct lmtp_io *, short, long long);
static int	lmtp_io_connect_fd(struct lmtp_io *, int, const struct sockaddr *,
		    socklen_t, int);
static void	lmtp_io_why(struct lmtp_io *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static long long
lmtp_io_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
lmtp_io_why(struct lmtp_io *c, int timeout, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->why_timeout = timeout;
}

/* Waits for events on c->fd until deadline (ms); -1 on timeout. */
static int
lmtp_io_wait(struct lmtp_io *c, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		if ((left = deadline - lmtp_io_now()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n > 0)
			return 0;
	}
}

/* A non-blocking connect of fd within timeout seconds; -1 with errno. */
static int
lmtp_io_connect_fd(struct lmtp_io *c, int fd, const struct sockaddr *sa,
    socklen_t len, int timeout)
{
	socklen_t elen = sizeof(int);
	int err = 0;

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	c->fd = fd;
	if (lmtp_io_wait(c, POLLOUT, lmtp_io_now() + timeout * 1000LL) == -1) {
		c->fd = -1;
		return -1;
	}
	c->fd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * Connects to dest within timeout seconds per address. -1 with a
 * temporary outcome: a DEST that does not parse (4.3.5, a
 * configuration error), a name that does not resolve (4.4.3), no
 * connection (4.4.1). A DEST that is only a local mistake must not
 * bounce mail, hence temporary throughout.
 */
int
lmtp_io_connect(struct lmtp_io *c, const char *dest, int timeout,
    struct outcome *o)
{
	struct lmtp_dest d;
	struct sockaddr_un sun;
	struct addrinfo hints, *res = NULL, *ai;
	char err[128], port[LMTP_PORT_SIZE], q[sizeof(c->dest)];
	int fd, gai, save = 0;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	outcome_quote(q, sizeof(q), dest, strlen(dest));
	strlcpy(c->dest, q, sizeof(c->dest));
	if (parse_dest_lmtp(dest, 0, &d, err, sizeof(err)) == -1) {
		outcome_set(o, OUTCOME_TEMP, "4.3.5", "LMTP destination "
		    "\"%s\": %s", q, err);
		return -1;
	}
	if (d.unix_socket) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strlcpy(sun.sun_path, d.path, sizeof(sun.sun_path));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (fd == -1 || lmtp_io_connect_fd(c, fd, (struct sockaddr *)&sun,
		    sizeof(sun), timeout) == -1) {
			save = errno;
			if (fd != -1)
				close(fd);
			outcome_set(o, OUTCOME_TEMP, "4.4.1", "connect to %s: "
			    "%s", c->dest, strerror(save));
			return -1;
		}
		c->fd = fd;
		return 0;
	}

	snprintf(port, sizeof(port), "%d", d.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (d.literal ? AI_NUMERICHOST : 0);
	if ((gai = getaddrinfo(d.host, port, &hints, &res)) != 0) {
		outcome_set(o, OUTCOME_TEMP, "4.4.3", "LMTP server %s: %s",
		    c->dest, gai == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			save = errno;
			continue;
		}
		if (lmtp_io_connect_fd(c, fd, ai->ai_addr, ai->ai_addrlen,
		    timeout) == 0) {
			c->fd = fd;
			break;
		}
		save = errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (c->fd == -1) {
		outcome_set(o, OUTCOME_TEMP, "4.4.1", "connect to %s: %s",
		    c->dest, save == ETIMEDOUT ? "connection timed out" :
		    strerror(save));
		return -1;
	}
	return 0;
}

/*
 * Reads one whole reply into r within timeout seconds. -1 on a timeout,
 * a closed connection, a read error or a malformed reply (c->why).
 */
int
lmtp_io_reply(struct lmtp_io *c, struct lmtp_reply *r, int timeout)
{
	long long deadline = lmtp_io_now() + timeout * 1000LL;
	enum lmtp_reply_state st;
	size_t used;
	ssize_t n;

	lmtp_reply_init(r);
	for (;;) {
		st = lmtp_reply_feed(r, c->in + c->inpos, c->inlen - c->inpos,
		    &used);
		c->inpos += used;
		if (st == LMTP_REPLY_DONE)
			return 0;
		if (st == LMTP_REPLY_ERROR) {
			lmtp_io_why(c, 0, "protocol error: %s", r->error);
			return -1;
		}
		c->inpos = c->inlen = 0;
		if (lmtp_io_wait(c, POLLIN, deadline) == -1) {
			lmtp_io_why(c, errno == ETIMEDOUT, "%s",
			    errno == ETIMEDOUT ? "timeout" : strerror(errno));
			return -1;
		}
		n = read(c->fd, c->in, sizeof(c->in));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			lmtp_io_why(c, 0, "%s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			lmtp_io_why(c, 0, "connection closed by the server");
			return -1;
		}
		c->inlen = (size_t)n;
	}
}

/* Sends what is buffered within timeout seconds; -1 (c->why) if not. */
int
lmtp_io_flush(struct lmtp_io *c, int timeout)
{
	long long deadline = lmtp_io_now() + timeout * 1000LL;
	size_t off = 0;
	ssize_t n;

	while (off < c->outlen) {
		n = send(c->fd, c->out + off, c->outlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN) {
			lmtp_io_why(c, 0, "%s", strerror(errno));
			return -1;
		}
		if (lmtp_io_wait(c, POLLOUT, deadline) == -1) {
			lmtp_io_why(c, errno == ETIMEDOUT, "%s",
			    errno == ETIMEDOUT ? "timeout" : strerror(errno));
			return -1;
		}
	}
	c->outlen = 0;
	return 0;
}

/* Buffers p[0..len), flushing whenever the buffer is full. */
int
lmtp_io_write(struct lmtp_io *c, const void *p, size_t len, int timeout)
{
	const uint8_t *q = p;
	size_t n;

	while (len > 0) {
		if (c->outlen == sizeof(c->out) && lmtp_io_flush(c, timeout) == -1)
			return -1;
		n = sizeof(c->out) - c->outlen;
		if (n > len)
			n = len;
		memcpy(c->out + c->outlen, q, n);
		c->outlen += n;
		q += n;
		len -= n;
	}
	return 0;
}

/* One command line; the caller has checked its arguments. */
int
lmtp_io_printf(struct lmtp_io *c, int timeout, const char *fmt, ...)
{
	char line[LMTP_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		lmtp_io_why(c, 0, "command line too long");
		return -1;
	}
	return lmtp_io_write(c, line, (size_t)n, timeout);
}

void
lmtp_io_close(struct lmtp_io *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/*
 * sendmail_smtp.c: the SMTP client side of a local submission, on the
 * session socket smtpd handed over (sendmail_ctl.c): EHLO, MAIL FROM with
 * SIZE/BODY/SMTPUTF8/RET/ENVID, RCPT with NOTIFY, DATA, QUIT; and -bs,
 * which relays the caller's own SMTP dialogue between stdin/stdout and
 * that socket. Called by sendmail.c and sendmail_offline.c. Any reply
 * that is not the expected one ends the submission: printed on stderr,
 * 5xx is a permanent failure (69), anything else temporary (75).
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl/sendmail.h"
#include "lib/writeall.h"

#define SMTP_LINE_MAX	4096	/* one reply line */
#define SMTP_REPLY_MAX	(SMTP_LINE_MAX + 64)	/* with our words around it */
#define SMTP_CMD_MAX	1024	/* one command we send */
#define PROXY_CHUNK	16384

struct smtp_conn {
	int		 fd;
	int		 verbose;
	struct buf	 in;
	char		 reply[SMTP_REPLY_MAX];	/* the last reply line */
	/* EHLO keywords */
	int		 size, body8, dsn, utf8;
};

static int	smtp_line(struct smtp_conn *, char *, size_t);
static int	smtp_reply(struct smtp_conn *);
static int	smtp_cmd(struct smtp_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	smtp_fail(struct smtp_conn *, int);
static int	smtp_addr_utf8(const struct sm_env *);
static int	proxy_copy(int, int, int, int *);


/* One reply line without CRLF; -1 on error, EOF or timeout. */
static int
smtp_line(struct smtp_conn *c, char *line, size_t size)
{
	struct pollfd pfd;
	const uint8_t *lf;
	size_t n;
	ssize_t r;

	for (;;) {
		lf = buf_avail(&c->in) > 0 ? memchr(buf_head(&c->in), '\n',
		    buf_avail(&c->in)) : NULL;
		if (lf != NULL) {
			n = (size_t)(lf - buf_head(&c->in));
			if (n > 0 && lf[-1] == '\r')
				n--;
			snprintf(line, size, "%.*s", (int)n,
			    (const char *)buf_head(&c->in));
			buf_consume(&c->in, (size_t)(lf - buf_head(&c->in)) +
			    1);
			return 0;
		}
		if (buf_avail(&c->in) > SMTP_LINE_MAX)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, SM_TIMEOUT * 1000) <= 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf_reserve(&c->in, SMTP_LINE_MAX);
		r = read(c->fd, c->in.data + c->in.len, SMTP_LINE_MAX);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c->in.len += (size_t)r;
	}
}

/* A whole reply; its code, or -1. EHLO keywords are noted on the way. */
static int
smtp_reply(struct smtp_conn *c)
{
	char line[SMTP_LINE_MAX];
	const char *kw;

	for (;;) {
		if (smtp_line(c, line, sizeof(line)) == -1) {
			snprintf(c->reply, sizeof(c->reply),
			    "connection to smtpd lost");
			return -1;
		}
		if (c->verbose)
			fprintf(stderr, "<<< %s\n", line);
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (line[3] != '\0' && line[3] != ' ' &&
		    line[3] != '-')) {
			snprintf(c->reply, sizeof(c->reply),
			    "bad reply from smtpd: %s", line);
			return -1;
		}
		kw = line[3] ? line + 4 : "";
		if (strncasecmp(kw, "SIZE", 4) == 0 && (kw[4] == '\0' ||
		    kw[4] == ' '))
			c->size = 1;
		else if (strcasecmp(kw, "8BITMIME") == 0)
			c->body8 = 1;
		else if (strcasecmp(kw, "DSN") == 0)
			c->dsn = 1;
		else if (strcasecmp(kw, "SMTPUTF8") == 0)
			c->utf8 = 1;
		if (line[3] != '-') {
			strlcpy(c->reply, line, sizeof(c->reply));
			return (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			    (line[2] - '0');
		}
	}
}

/* Send a command, read its reply: SM_EX_OK if the code is `expect`. */
static int
smtp_cmd(struct smtp_conn *c, int expect, const char *fmt, ...)
{
	char cmd[SMTP_CMD_MAX + 2];
	va_list ap;
	int n, code;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 2) {
		snprintf(c->reply, sizeof(c->reply), "command too long");
		return SM_EX_SOFTWARE;
	}
	if (c->verbose)
		fprintf(stderr, ">>> %s\n", cmd);
	memcpy(cmd + n, "\r\n", 2);
	if (write_all(c->fd, cmd, (size_t)n + 2) == -1) {
		snprintf(c->reply, sizeof(c->reply),
		    "connection to smtpd lost");
		return SM_EX_TEMPFAIL;
	}
	return smtp_fail(c, (code = smtp_reply(c)) == expect ? 0 : code);
}

/* 0: fine; -1: lost; a reply code: its exit status. */
static int
smtp_fail(struct smtp_conn *c, int code)
{
	(void)c;
	if (code == 0)
		return SM_EX_OK;
	if (code >= 500 && code < 600)
		return SM_EX_UNAVAILABLE;
	return SM_EX_TEMPFAIL;
}

static int
smtp_addr_utf8(const struct sm_env *env)
{
	size_t i;

	if (sm_has_8bit((const uint8_t *)env->sender, strlen(env->sender)))
		return 1;
	for (i = 0; i < env->rcpts.n; i++)
		if (sm_has_8bit((const uint8_t *)env->rcpts.v[i],
		    strlen(env->rcpts.v[i])))
			return 1;
	return 0;
}

int
sm_smtp_submit(int fd, const struct sm_env *env, const struct buf *msg,
    int verbose)
{
	struct smtp_conn c;
	struct buf data;
	char params[SMTP_CMD_MAX], envid[SM_ENVID_MAX + 1];
	const char *body = env->body;
	size_t i, len = 0;
	int rc, code;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.verbose = verbose;
	buf_init(&c.in);
	buf_init(&data);
	params[0] = '\0';
	if ((code = smtp_reply(&c)) != 220) {
		rc = smtp_fail(&c, code == 220 ? 0 : code);
		goto fail;
	}
	if ((rc = smtp_cmd(&c, 250, "EHLO localhost")) != SM_EX_OK)
		goto fail;

	if (c.size)
		len += (size_t)snprintf(params + len, sizeof(params) - len,
		    " SIZE=%zu", buf_avail(msg));
	if (body[0] == '\0' && sm_has_8bit(buf_head(msg), buf_avail(msg)))
		body = "8BITMIME";
	if (body[0] != '\0' && c.body8)
		len += (size_t)snprintf(params + len, sizeof(params) - len,
		    " BODY=%s", body);
	if (smtp_addr_utf8(env) && c.utf8)
		len += (size_t)snprintf(params + len, sizeof(params) - len,
		    " SMTPUTF8");
	if (c.dsn && env->ret[0] != '\0')
		len += (size_t)snprintf(params + len, sizeof(params) - len,
		    " RET=%s", env->ret);
	if (c.dsn && env->envid[0] != '\0' &&
	    sm_xtext(env->envid, envid, sizeof(envid)) == 0)
		snprintf(params + len, sizeof(params) - len, " ENVID=%s",
		    envid);
	if ((rc = smtp_cmd(&c, 250, "MAIL FROM:<%s>%s", env->sender,
	    params)) != SM_EX_OK)
		goto fail;
	for (i = 0; i < env->rcpts.n; i++)
		if ((rc = smtp_cmd(&c, 250, "RCPT TO:<%s>%s%s",
		    env->rcpts.v[i], c.dsn && env->notify[0] ? " NOTIFY=" : "",
		    c.dsn ? env->notify : "")) != SM_EX_OK)
			goto fail;
	if ((rc = smtp_cmd(&c, 354, "DATA")) != SM_EX_OK)
		goto fail;
	sm_dot_stuff(buf_head(msg), buf_avail(msg), &data);
	if (c.verbose)
		fprintf(stderr, ">>> [%zu octets of message]\n>>> .\n",
		    buf_avail(msg));
	if (write_all(fd, buf_head(&data), buf_avail(&data)) == -1) {
		snprintf(c.reply, sizeof(c.reply), "connection to smtpd lost");
		rc = SM_EX_TEMPFAIL;
		goto fail;
	}
	if ((rc = smtp_fail(&c, (code = smtp_reply(&c)) == 250 ? 0 : code)) !=
	    SM_EX_OK)
		goto fail;
	(void)smtp_cmd(&c, 221, "QUIT");
	buf_free(&data);
	buf_free(&c.in);
	return SM_EX_OK;
 fail:
	fprintf(stderr, "sendmail: %s\n", c.reply);
	buf_free(&data);
	buf_free(&c.in);
	return rc;
}

/*
 * Copy what is readable on `from` to `to`; LF alone becomes CRLF when
 * crlf is set (*lastcr carries a CR across reads). 1 on EOF, -1 on error.
 */
static int
proxy_copy(int from, int to, int crlf, int *lastcr)
{
	uint8_t in[PROXY_CHUNK], out[2 * PROXY_CHUNK];
	size_t i, n = 0;
	ssize_t r;

	if ((r = read(from, in, sizeof(in))) == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		return 1;
	for (i = 0; i < (size_t)r; i++) {
		if (crlf && in[i] == '\n' && !*lastcr)
			out[n++] = '\r';
		out[n++] = in[i];
		*lastcr = in[i] == '\r';
	}
	return write_all(to, out, n) == -1 ? -1 : 0;
}

/* -bs: the caller's SMTP dialogue, relayed until smtpd closes. */
int
sm_smtp_proxy(int fd, int in, int out)
{
	struct pollfd pfd[2];
	int lastcr = 0, lastcr2 = 0, r, nfds;

	for (;;) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = in;
		pfd[1].events = POLLIN;
		nfds = in != -1 ? 2 : 1;
		if (poll(pfd, (nfds_t)nfds, -1) == -1) {
			if (errno == EINTR)
				continue;
			return SM_EX_TEMPFAIL;
		}
		if (pfd[0].revents) {
			if ((r = proxy_copy(fd, out, 0, &lastcr2)) == 1)
				return SM_EX_OK;
			if (r == -1)
				return SM_EX_TEMPFAIL;
		}
		if (nfds == 2 && pfd[1].revents) {
			if ((r = proxy_copy(in, fd, 1, &lastcr)) == -1)
				return SM_EX_TEMPFAIL;
			if (r == 1) {
				/* The caller is done: smtpd ends the session. */
				shutdown(fd, SHUT_WR);
				in = -1;
			}
		}
	}
}

/*
 * client.c: the client end of the control socket (client.h). The
 * configuration says where the socket and the spool are: -f FILE, else
 * $SMTPD_CONF, else the build-time default; a missing default file means
 * the build-time defaults (spec/ctl.md section 1). Frames are a 4-byte
 * big-endian length and a record stream (smtpd/ctl_msg.h); a reply frame
 * may carry one descriptor. Called by ctl/smtpctl.c and ctl/monitor.c.
 * Never trusts a reply: a length over CTL_FRAME_MAX or a stream that
 * does not decode is an error, never a crash; never waits forever.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "lib/xmalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR		"/etc/mail"
#endif
#ifndef SPOOLDIR
#define SPOOLDIR		"/var/spool/smtpd"
#endif
#ifndef RUNDIR
#define RUNDIR			"/var/run"
#endif
#define CLIENT_CONF		SYSCONFDIR "/smtpd.conf"
#define CLIENT_SOCKET		RUNDIR "/smtpd.sock"

static enum client_result client_wait(struct client *, short);
static enum client_result client_read(struct client *, uint8_t *, size_t,
		    int *);

/*
 * Fill conf from conffile (NULL: $SMTPD_CONF, else the default). Parse
 * errors go to stderr; 0, or -1 after a message prefixed with prog.
 */
int
client_conf_load(const char *prog, const char *conffile,
    struct client_conf *conf)
{
	struct config *c;
	int dflt = 0;

	memset(conf, 0, sizeof(*conf));
	if (conffile == NULL && (conffile = getenv("SMTPD_CONF")) != NULL &&
	    conffile[0] == '\0')
		conffile = NULL;
	if (conffile == NULL) {
		conffile = CLIENT_CONF;
		dflt = 1;
	}
	if (dflt && access(conffile, F_OK) == -1 && errno == ENOENT) {
		snprintf(conf->socket, sizeof(conf->socket), "%s",
		    CLIENT_SOCKET);
		snprintf(conf->spool, sizeof(conf->spool), "%s", SPOOLDIR);
		return 0;
	}
	if ((c = config_parse_file(conffile, NULL, CONFIG_NORESOLVE,
	    stderr)) == NULL) {
		fprintf(stderr, "%s: %s: cannot use the configuration\n", prog,
		    conffile);
		return -1;
	}
	snprintf(conf->path, sizeof(conf->path), "%s", conffile);
	snprintf(conf->socket, sizeof(conf->socket), "%s", c->control_socket);
	snprintf(conf->spool, sizeof(conf->spool), "%s", c->queue_dir);
	config_free(c);
	return 0;
}

/* CLIENT_DOWN when nobody listens there (or nothing is there). */
enum client_result
client_connect(struct client *cl, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->timeout_ms = CLIENT_TIMEOUT_MS;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return CLIENT_ERROR;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return CLIENT_ERROR;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		close(fd);
		if (errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTDIR || errno == ENOTSOCK)
			return CLIENT_DOWN;
		return CLIENT_ERROR;
	}
	cl->fd = fd;
	return CLIENT_OK;
}

static enum client_result
client_wait(struct client *cl, short events)
{
	struct pollfd pfd;
	int n;

	pfd.fd = cl->fd;
	pfd.events = events;
	for (;;) {
		n = poll(&pfd, 1, cl->timeout_ms);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return CLIENT_ERROR;
		if (n == 0)
			return CLIENT_TIMEOUT;
		return CLIENT_OK;
	}
}

/* One request frame. */
enum client_result
client_send(struct client *cl, const struct ctl_request *req)
{
	enum client_result r;
	uint8_t *stream = NULL, *frame;
	size_t len, off = 0;
	ssize_t n;

	if (ctl_request_encode(req, &stream, &len) == -1) {
		errno = EINVAL;
		return CLIENT_ERROR;
	}
	frame = xmalloc(len + CLIENT_FRAME_HDR);
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	memcpy(frame + CLIENT_FRAME_HDR, stream, len);
	free(stream);
	len += CLIENT_FRAME_HDR;
	r = CLIENT_OK;
	while (off < len) {
		if ((r = client_wait(cl, POLLOUT)) != CLIENT_OK)
			break;
		n = send(cl->fd, frame + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			r = errno == EPIPE || errno == ECONNRESET ?
			    CLIENT_EOF : CLIENT_ERROR;
			break;
		}
		off += (size_t)n;
	}
	free(frame);
	return r;
}

/*
 * Exactly len bytes; a descriptor that comes with them is kept in *fdp
 * (one at most: more are closed).
 */
static enum client_result
client_read(struct client *cl, uint8_t *buf, size_t len, int *fdp)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	enum client_result r;
	size_t off = 0;
	ssize_t n;
	int fd;

	while (off < len) {
		if ((r = client_wait(cl, POLLIN)) != CLIENT_OK)
			return r;
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf + off;
		iov.iov_len = len - off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		n = recvmsg(cl->fd, &msg, MSG_CMSG_CLOEXEC);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return errno == ECONNRESET ? CLIENT_EOF : CLIENT_ERROR;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
		    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			if (cmsg->cmsg_level != SOL_SOCKET ||
			    cmsg->cmsg_type != SCM_RIGHTS ||
			    cmsg->cmsg_len < CMSG_LEN(sizeof(int)))
				continue;
			memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
			if (fdp != NULL && *fdp == -1)
				*fdp = fd;
			else
				close(fd);
		}
		if (n == 0)
			return CLIENT_EOF;
		off += (size_t)n;
	}
	return CLIENT_OK;
}

/*
 * One reply frame into *rep (rep->data points into the client until the
 * next call). *fdp, if not NULL, gets a descriptor that came with it, or
 * -1. CLIENT_ERROR with errno EBADMSG: the frame is not a reply.
 */
enum client_result
client_recv(struct client *cl, struct ctl_reply *rep, int *fdp)
{
	enum client_result r;
	uint8_t hdr[CLIENT_FRAME_HDR];
	size_t len;

	if (fdp != NULL)
		*fdp = -1;
	if ((r = client_read(cl, hdr, sizeof(hdr), fdp)) != CLIENT_OK)
		return r;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > CTL_FRAME_MAX) {
		errno = EBADMSG;
		return CLIENT_ERROR;
	}
	if (cl->framecap < len) {
		free(cl->frame);
		cl->frame = xmalloc(CTL_FRAME_MAX);
		cl->framecap = CTL_FRAME_MAX;
	}
	if ((r = client_read(cl, cl->frame, len, fdp)) != CLIENT_OK)
		return r == CLIENT_EOF ? CLIENT_ERROR : r;
	memset(rep, 0, sizeof(*rep));
	if (ctl_reply_decode(cl->frame, len, rep) == -1) {
		errno = EBADMSG;
		return CLIENT_ERROR;
	}
	return CLIENT_OK;
}

/*
 * Send req and gather its answer: the text of every reply frame (a
 * newline added to a text that lacks one) and its data, into out. *last
 * is the final frame, or the first that was not CTL_OK (its status and
 * text say why; the rest of the answer is still read and dropped).
 */
enum client_result
client_text(struct client *cl, const struct ctl_request *req,
    struct buf *out, struct ctl_reply *last)
{
	struct ctl_reply rep;
	enum client_result r;
	int failed = 0;
	size_t n;

	if ((r = client_send(cl, req)) != CLIENT_OK)
		return r;
	do {
		if ((r = client_recv(cl, &rep, NULL)) != CLIENT_OK)
			return r;
		if (failed)
			continue;
		if (rep.status != CTL_OK) {
			*last = rep;
			last->data = NULL;
			last->datalen = 0;
			failed = 1;
			continue;
		}
		if ((n = strlen(rep.text)) > 0) {
			buf_add(out, rep.text, n);
			if (rep.text[n - 1] != '\n')
				buf_addstr(out, "\n");
		}
		if (rep.datalen > 0)
			buf_add(out, rep.data, rep.datalen);
		if (rep.last) {
			*last = rep;
			last->data = NULL;
			last->datalen = 0;
		}
	} while (!rep.last);
	return CLIENT_OK;
}

void
client_close(struct client *cl)
{
	if (cl->fd != -1)
		close(cl->fd);
	cl->fd = -1;
	free(cl->frame);
	cl->frame = NULL;
	cl->framecap = 0;
}

const char *
client_strerror(enum client_result r)
{
	switch (r) {
	case CLIENT_OK:
		return "no error";
	case CLIENT_DOWN:
		return "smtpd doesn't seem to be running";
	case CLIENT_ERROR:
		return errno == EBADMSG ? "malformed reply from smtpd" :
		    strerror(errno);
	case CLIENT_TIMEOUT:
		return "smtpd is not answering";
	case CLIENT_EOF:
		return "smtpd closed the connection";
	}
	return "unknown error";
}

/*
 * ipc.c: non-blocking framed messaging on libev, with descriptor passing.
 * Called by the parent and by every role. Outgoing frames are queued and
 * written when the socket is writable; a send never blocks the loop.
 * Must never trust a received header: everything is validated against
 * the rule table before a handler sees it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

struct ipc_out {
	struct ipc_out	*next;
	int		 fd;		/* descriptor to pass, closed once sent */
	size_t		 len;
	uint8_t		 frame[];	/* header + payload */
};

struct ipc_peer {
	struct ev_loop		*loop;
	ev_io			 rio;
	ev_io			 wio;
	int			 fd;
	int			 id;
	char			 name[32];
	const struct ipc_rule	*rules;
	size_t			 nrules;
	ipc_handler		 handler;
	ipc_closed		 closed;
	void			*arg;
	struct ipc_out		*head, **tail;
	size_t			 npending;
	uint8_t			*rbuf;		/* IPC_HDR_SIZE + max + 1 */
	int			 dispatching;
	int			 dead;
};

/* This process's names for message types (ipc_set_typename). */
static const char *(*ipc_typename)(uint32_t);

static void	ipc_read_cb(struct ev_loop *, ev_io *, int);
static void	ipc_write_cb(struct ev_loop *, ev_io *, int);
static void	ipc_close(struct ipc_peer *, const char *);
static int	ipc_flush(struct ipc_peer *);
static int	ipc_recv_one(struct ipc_peer *);
static int	ipc_dispatch(struct ipc_peer *, struct ipc_msg *);

void
ipc_set_typename(const char *(*fn)(uint32_t))
{
	ipc_typename = fn;
}

/*
 * Run the handler; with PROFILE_IMSG on, log how long it took:
 *	profile imsg type=NAME from=PEER len=N usec=N
 * Off, it costs one test of an int.
 */
static int
ipc_dispatch(struct ipc_peer *p, struct ipc_msg *m)
{
	struct timespec t0, t1;
	const char *name = NULL;
	char num[16];
	long long usec;
	uint32_t type = m->type;
	size_t len = m->len;
	int ret;

	if (!(log_getprofile() & PROFILE_IMSG))
		return p->handler(p, m, p->arg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = p->handler(p, m, p->arg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	usec = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000;
	if (ipc_typename != NULL)
		name = ipc_typename(type);
	if (name == NULL) {
		snprintf(num, sizeof(num), "%u", (unsigned int)type);
		name = num;
	}
	log_info("profile imsg type=%s from=%s len=%zu usec=%lld", name,
	    p->name, len, usec);
	return ret;
}

struct ipc_peer *
ipc_peer_new(struct ev_loop *loop, int fd, int peer_id, const char *name,
    const struct ipc_rule *rules, size_t nrules, ipc_handler handler,
    ipc_closed closed, void *arg)
{
	struct ipc_peer *p;
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("ipc: fcntl %s", name);
	p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->fd = fd;
	p->id = peer_id;
	strlcpy(p->name, name, sizeof(p->name));
	p->rules = rules;
	p->nrules = nrules;
	p->handler = handler;
	p->closed = closed;
	p->arg = arg;
	p->tail = &p->head;
	p->rbuf = xmalloc(IPC_HDR_SIZE + IPC_MAX_PAYLOAD + 1);
	ev_io_init(&p->rio, ipc_read_cb, fd, EV_READ);
	ev_io_init(&p->wio, ipc_write_cb, fd, EV_WRITE);
	p->rio.data = p->wio.data = p;
	ev_io_start(loop, &p->rio);
	return p;
}

void
ipc_peer_free(struct ipc_peer *p)
{
	struct ipc_out *o;

	if (p == NULL)
		return;
	ev_io_stop(p->loop, &p->rio);
	ev_io_stop(p->loop, &p->wio);
	while ((o = p->head) != NULL) {
		p->head = o->next;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	if (p->fd != -1)
		close(p->fd);
	free(p->rbuf);
	free(p);
}

int
ipc_peer_id(const struct ipc_peer *p)
{
	return p->id;
}

const char *
ipc_peer_name(const struct ipc_peer *p)
{
	return p->name;
}

size_t
ipc_pending(const struct ipc_peer *p)
{
	return p->npending;
}

/*
 * Queue one frame. Takes ownership of `fd` (closed once sent, or at once
 * if the peer is gone). Returns -1 if the peer is closed.
 */
int
ipc_send(struct ipc_peer *p, uint32_t type, uint32_t reqid, int fd,
    const void *data, size_t len)
{
	struct ipc_hdr hdr;
	struct ipc_out *o;

	if (len > IPC_MAX_PAYLOAD)
		fatalx("ipc_send: %zu bytes to %s exceed the frame limit",
		    len, p->name);
	if (p->dead) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len;
	hdr.reqid = reqid;
	hdr.version = IPC_VERSION;
	hdr.flags = fd != -1 ? IPC_F_FD : 0;
	o = xmalloc(sizeof(*o) + IPC_HDR_SIZE + len);
	o->next = NULL;
	o->fd = fd;
	o->len = IPC_HDR_SIZE + len;
	memcpy(o->frame, &hdr, IPC_HDR_SIZE);
	if (len)
		memcpy(o->frame + IPC_HDR_SIZE, data, len);
	*p->tail = o;
	p->tail = &o->next;
	p->npending++;
	log_trace(TRACE_IMSG, "ipc: to=%s type=%u reqid=%u len=%zu fd=%d",
	    p->name, type, reqid, len, fd);
	/*
	 * Nothing waiting before it: sent at once. A write watcher costs
	 * two epoll_ctl and a loop pass per frame; it is only for what the
	 * socket cannot take now, and for errors, which its callback
	 * handles outside the caller.
	 */
	if (p->head == o && ipc_flush(p) == 0 && p->head == NULL)
		return 0;
	ev_io_start(p->loop, &p->wio);
	return 0;
}

static int
ipc_flush(struct ipc_peer *p)
{
	struct ipc_out *o;
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr *cmsg;

	while ((o = p->head) != NULL) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = o->frame;
		iov.iov_len = o->len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (o->fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &o->fd, sizeof(int));
		}
		if (sendmsg(p->fd, &msg, MSG_NOSIGNAL) == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ENOBUFS)
				return 0;
			return -1;
		}
		p->head = o->next;
		if (p->head == NULL)
			p->tail = &p->head;
		p->npending--;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	ev_io_stop(p->loop, &p->wio);
	return 0;
}

static void
ipc_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_peer *p = w->data;

	(void)loop;
	(void)revents;
	if (ipc_flush(p) == -1)
		ipc_close(p, strerror(errno));
}

const char *
ipc_check_frame(const struct ipc_rule *rules, size_t nrules, int peer_id,
    const struct ipc_hdr *hdr, size_t payload_len, int has_fd)
{
	const struct ipc_rule *r = NULL;
	size_t i;

	if (hdr->version != IPC_VERSION)
		return "wrong version";
	if (hdr->len != payload_len)
		return "length mismatch";
	if (hdr->flags & ~IPC_F_FD)
		return "unknown flags";
	if (!!(hdr->flags & IPC_F_FD) != !!has_fd)
		return "descriptor flag mismatch";
	for (i = 0; i < nrules; i++)
		if (rules[i].type == hdr->type) {
			r = &rules[i];
			break;
		}
	if (r == NULL)
		return "unknown type";
	if (peer_id < 0 || peer_id >= 32 || !(r->peers & (1u << peer_id)))
		return "type not allowed from this peer";
	if (payload_len < r->min_len || payload_len > r->max_len)
		return "bad payload length";
	if (r->fd == IPC_FD_REQUIRED && !has_fd)
		return "descriptor missing";
	if (r->fd == IPC_FD_NONE && has_fd)
		return "unexpected descriptor";
	return NULL;
}

/* 1: a frame was handled, 0: nothing to read, -1: the peer was closed. */
static int
ipc_recv_one(struct ipc_peer *p)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cmsgbuf;
	struct cmsghdr *cmsg;
	struct ipc_hdr hdr;
	struct ipc_msg m;
	const char *why;
	ssize_t n;
	int fds[4], nfds = 0, i, k;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = p->rbuf;
	iov.iov_len = IPC_HDR_SIZE + IPC_MAX_PAYLOAD + 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	n = recvmsg(p->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno != ECONNRESET) {
			ipc_close(p, strerror(errno));
			return -1;
		}
		/* gone with our last message unread: an end like EOF */
	}
	if (n <= 0) {
		ipc_close(p, NULL);
		return -1;
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && nfds < 4; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
	}
	why = NULL;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC) ||
	    (size_t)n > IPC_HDR_SIZE + IPC_MAX_PAYLOAD)
		why = "oversized frame";
	else if ((size_t)n < IPC_HDR_SIZE)
		why = "truncated frame";
	else if (nfds > 1)
		why = "too many descriptors";
	else {
		memcpy(&hdr, p->rbuf, IPC_HDR_SIZE);
		why = ipc_check_frame(p->rules, p->nrules, p->id, &hdr,
		    (size_t)n - IPC_HDR_SIZE, nfds);
	}
	if (why) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		log_warnx("ipc: peer=%s malformed frame (%s), closing",
		    p->name, why);
		ipc_close(p, NULL);
		return -1;
	}
	m.type = hdr.type;
	m.reqid = hdr.reqid;
	m.fd = nfds ? fds[0] : -1;
	m.data = p->rbuf + IPC_HDR_SIZE;
	m.len = hdr.len;
	log_trace(TRACE_IMSG, "ipc: from=%s type=%u reqid=%u len=%u fd=%d",
	    p->name, m.type, m.reqid, hdr.len, m.fd);
	p->dispatching = 1;
	if (ipc_dispatch(p, &m) == -1) {
		p->dispatching = 0;
		log_warnx("ipc: peer=%s malformed payload type=%u, closing",
		    p->name, m.type);
		ipc_close(p, NULL);
		return -1;
	}
	p->dispatching = 0;
	if (p->dead) {
		ipc_close(p, NULL);
		return -1;
	}
	return 1;
}

static void
ipc_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_peer *p = w->data;
	int i;

	(void)loop;
	(void)revents;
	/* A bounded batch per wake-up keeps one busy peer from starving others. */
	for (i = 0; i < 64; i++)
		if (ipc_recv_one(p) <= 0)
			break;
}

/*
 * Closing is deferred while a handler runs on this peer, so handlers may
 * cause a close without freeing the peer under their own feet.
 */
static void
ipc_close(struct ipc_peer *p, const char *err)
{
	if (p->dispatching) {
		p->dead = 1;
		return;
	}
	if (err)
		log_warnx("ipc: peer=%s error: %s", p->name, err);
	p->dead = 1;
	ev_io_stop(p->loop, &p->rio);
	ev_io_stop(p->loop, &p->wio);
	if (p->closed)
		p->closed(p, p->arg);
	else
		ipc_peer_free(p);
}

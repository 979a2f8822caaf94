/*
 * control.c: the control role. The parent binds <rundir>/smtpd.sock (mode
 * 0666) and passes it here (IMSG_CONTROL_SOCKET); this file accepts
 * smtpctl clients on it, non-blocking on the loop, learns each one's uid
 * from SO_PEERCRED, reads one request frame at a time (a 4-byte
 * big-endian length, then a record stream: smtpd/ctl_msg.h), hands it to
 * control_route.c, and writes the reply frames back, a descriptor riding
 * with a frame's first byte when a role attached one.
 * Limits: CONTROL_CLIENTS_MAX clients, one request outstanding per client
 * (its socket is not read meanwhile), CONTROL_OUT_MAX bytes buffered per
 * client (roles stream under a window, ctl_msg.h CTL_WINDOW), an idle
 * timeout. A malformed frame, an over-long one or a client over a limit
 * closes that client only; nothing a client sends can end the role.
 * Unprivileged, chrooted to an empty directory: it opens no file.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/control.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

#define CONTROL_ACCEPT_RETRY	1.0	/* seconds, after EMFILE */

static const struct ipc_rule control_rules[] = {
	{ IMSG_CONTROL_SOCKET, PROC_BIT(PROC_PARENT), 0, 0, IPC_FD_REQUIRED },
	{ IMSG_CTL_REPLY, PROC_BIT(PROC_PARENT) | PROC_BIT(PROC_SMTP) |
	    PROC_BIT(PROC_LOOKUP) | PROC_BIT(PROC_QUEUE) | PROC_BIT(PROC_RELAY),
	    1, IPC_MAX_PAYLOAD, IPC_FD_OPTIONAL },
	{ IMSG_CTL_STAT, PROC_ALL & ~PROC_BIT(PROC_CONTROL),
	    sizeof(struct ctl_stat), sizeof(struct ctl_stat), IPC_FD_NONE },
};

static void	control_init(struct role *);
static void	control_start(struct role *);
static int	control_dispatch(struct role *, enum proc_id, struct ipc_msg *);
static void	control_peer_lost(struct role *, enum proc_id);
static void	control_shutdown(struct role *);
static int	control_stat_local(void *, const struct ctl_stat *);
static void	control_listen(struct control *, int);
static void	control_accept_cb(struct ev_loop *, ev_io *, int);
static void	control_accept_timer_cb(struct ev_loop *, ev_timer *, int);
static void	control_client_new(struct control *, int);
static void	control_read_cb(struct ev_loop *, ev_io *, int);
static void	control_write_cb(struct ev_loop *, ev_io *, int);
static void	control_timer_cb(struct ev_loop *, ev_timer *, int);
static int	control_flush(struct control_client *);
static void	control_update_io(struct control_client *);
static void	control_out_done(struct control_client *, struct control_out *);

const struct role_ops control_role_ops = {
	.id = PROC_CONTROL,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_EMPTY,
	.rules = control_rules,
	.nrules = sizeof(control_rules) / sizeof(control_rules[0]),
	.init = control_init,
	.start = control_start,
	.dispatch = control_dispatch,
	.peer_lost = control_peer_lost,
	.shutdown = control_shutdown,
};

/* Privileged still: whose uid is "the daemon's own" (design.md). */
static void
control_init(struct role *r)
{
	struct control *ctl;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->role = r;
	ctl->fd = -1;
	ctl->owner = getuid();
	TAILQ_INIT(&ctl->clients);
	ctl->mda_paused = (r->conf->start_paused & CONFIG_PAUSE_MDA) != 0;
	ctl->mta_paused = (r->conf->start_paused & CONFIG_PAUSE_MTA) != 0;
	ctl->smtp_paused = (r->conf->start_paused & CONFIG_PAUSE_SMTP) != 0;
	r->data = ctl;
}

static void
control_start(struct role *r)
{
	struct control *ctl = r->data;

	ctl->started = time(NULL);
	/* Our own counters (control.session) go straight into the table. */
	ctl_stat_attach(r->loop, control_stat_local, ctl);
}

static int
control_stat_local(void *arg, const struct ctl_stat *st)
{
	return control_stats_update(arg, st);
}

static void
control_shutdown(struct role *r)
{
	struct control *ctl = r->data;
	struct control_client *c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		control_client_close(c, NULL);
	if (ctl->fd != -1) {
		ev_io_stop(r->loop, &ctl->accept_io);
		ev_timer_stop(r->loop, &ctl->accept_timer);
		close(ctl->fd);
	}
	control_stats_free(ctl);
	free(ctl);
	r->data = NULL;
}

static int
control_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
	struct control *ctl = r->data;
	struct ctl_stat st;

	switch (m->type) {
	case IMSG_CONTROL_SOCKET:
		if (ctl->fd != -1) {
			close(m->fd);
			return -1;
		}
		control_listen(ctl, m->fd);
		return 0;
	case IMSG_CTL_REPLY:
		return control_role_reply(ctl, from, m);
	case IMSG_CTL_STAT:
		memcpy(&st, m->data, sizeof(st));
		if (!ctl_stat_key_ok(st.key, sizeof(st.key)) ||
		    st.op > CTL_STAT_SET) {
			log_warnx("control event=stat peer=%s error=\"bad "
			    "update\"", proc_name(from));
			return -1;
		}
		return control_stats_update(ctl, &st);
	}
	if (m->fd != -1)
		close(m->fd);
	return -1;
}

static void
control_peer_lost(struct role *r, enum proc_id id)
{
	control_role_lost(r->data, id);
}

/* ------------------------------------------------------------ accepting */

static void
control_listen(struct control *ctl, int fd)
{
	struct ev_loop *loop = ctl->role->loop;
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("control: fcntl");
	ctl->fd = fd;
	ev_io_init(&ctl->accept_io, control_accept_cb, fd, EV_READ);
	ctl->accept_io.data = ctl;
	ev_init(&ctl->accept_timer, control_accept_timer_cb);
	ctl->accept_timer.data = ctl;
	ev_io_start(loop, &ctl->accept_io);
	log_debug("role=control event=listening fd=%d owner=%u", fd,
	    (unsigned int)ctl->owner);
}

static void
control_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = w->data;
	int fd;

	(void)revents;
	for (;;) {
		fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/* Out of descriptors: pause instead of spinning. */
			log_warn("control: accept");
			ev_io_stop(loop, &ctl->accept_io);
			ev_timer_set(&ctl->accept_timer, CONTROL_ACCEPT_RETRY,
			    0.0);
			ev_timer_start(loop, &ctl->accept_timer);
			return;
		}
		if (ctl->nclients >= CONTROL_CLIENTS_MAX) {
			log_warnx("control event=refused reason=\"%d clients "
			    "connected\"", CONTROL_CLIENTS_MAX);
			close(fd);
			continue;
		}
		control_client_new(ctl, fd);
	}
}

static void
control_accept_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control *ctl = w->data;

	(void)revents;
	ev_io_start(loop, &ctl->accept_io);
}

static void
control_client_new(struct control *ctl, int fd)
{
	struct control_client *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    len != sizeof(cred)) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	do {
		if (++ctl->nextid == 0)
			ctl->nextid = 1;
	} while (control_client_find(ctl, ctl->nextid) != NULL);
	c->id = ctl->nextid;
	c->in = xmalloc(CONTROL_FRAME_HDR + CTL_FRAME_MAX);
	c->tail = &c->head;
	ev_io_init(&c->rio, control_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, control_write_cb, fd, EV_WRITE);
	ev_init(&c->timer, control_timer_cb);
	c->timer.repeat = CONTROL_IDLE_TIMEOUT;
	c->rio.data = c->wio.data = c->timer.data = c;
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->nclients++;
	ctl_stat_increment("control.session", 1);
	log_debug("control event=connected client=%u uid=%u pid=%d", c->id,
	    (unsigned int)c->uid, (int)c->pid);
	control_update_io(c);
}

struct control_client *
control_client_find(struct control *ctl, uint32_t id)
{
	struct control_client *c;

	TAILQ_FOREACH(c, &ctl->clients, entry)
		if (c->id == id)
			return c;
	return NULL;
}

/*
 * Frames not written yet are acknowledged all the same, so a role's
 * stream is never left waiting on a client that went away.
 */
void
control_client_close(struct control_client *c, const char *why)
{
	struct control *ctl = c->ctl;
	struct ev_loop *loop = ctl->role->loop;
	struct control_out *o;

	if (why != NULL)
		log_warnx("control event=closed client=%u uid=%u pid=%d "
		    "reason=\"%s\"", c->id, (unsigned int)c->uid, (int)c->pid,
		    why);
	else
		log_debug("control event=closed client=%u", c->id);
	ev_io_stop(loop, &c->rio);
	ev_io_stop(loop, &c->wio);
	ev_timer_stop(loop, &c->timer);
	while ((o = c->head) != NULL) {
		c->head = o->next;
		if (o->fd != -1)
			close(o->fd);
		if (o->ack)
			role_send(ctl->role, o->ackto, IMSG_CTL_ACK, c->id, -1,
			    NULL, 0);
		free(o);
	}
	close(c->fd);
	TAILQ_REMOVE(&ctl->clients, c, entry);
	ctl->nclients--;
	ctl_stat_decrement("control.session", 1);
	free(c->in);
	free(c);
}

/* ------------------------------------------------------------ reading */

static void
control_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_client *c = w->data;
	uint32_t flen = 0;
	size_t want;
	ssize_t n;

	(void)revents;
	for (;;) {
		if (c->inlen >= CONTROL_FRAME_HDR)
			flen = (uint32_t)c->in[0] << 24 |
			    (uint32_t)c->in[1] << 16 |
			    (uint32_t)c->in[2] << 8 | (uint32_t)c->in[3];
		want = c->inlen < CONTROL_FRAME_HDR ?
		    CONTROL_FRAME_HDR - c->inlen :
		    CONTROL_FRAME_HDR + flen - c->inlen;
		n = read(c->fd, c->in + c->inlen, want);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			control_client_close(c, strerror(errno));
			return;
		}
		if (n == 0) {
			control_client_close(c, c->inlen ? "truncated frame" :
			    NULL);
			return;
		}
		c->inlen += (size_t)n;
		ev_timer_again(loop, &c->timer);
		if (c->inlen < CONTROL_FRAME_HDR)
			continue;
		flen = (uint32_t)c->in[0] << 24 | (uint32_t)c->in[1] << 16 |
		    (uint32_t)c->in[2] << 8 | (uint32_t)c->in[3];
		if (flen == 0 || flen > CTL_FRAME_MAX) {
			control_client_close(c, "malformed frame length");
			return;
		}
		if (c->inlen < CONTROL_FRAME_HDR + flen)
			continue;
		c->inlen = 0;
		/* may close c: nothing touches it after this */
		control_request(c, c->in + CONTROL_FRAME_HDR, flen);
		return;
	}
}

static void
control_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	control_client_close(w->data, "idle timeout");
}

/* ------------------------------------------------------------ writing */

/*
 * Queue one frame: the 4-byte length, then stream (a reply as encoded).
 * fd (or -1) rides with its first byte; ack says to acknowledge it to
 * ackto once written. Over CONTROL_OUT_MAX the client is closed (its
 * descriptor too): callers must not touch c after a send then.
 */
void
control_send(struct control_client *c, const uint8_t *stream, size_t len,
    int fd, int ack, enum proc_id ackto)
{
	struct control_out *o;
	size_t flen = CONTROL_FRAME_HDR + len;

	if (len == 0 || len > CTL_FRAME_MAX ||
	    c->outbytes + flen > CONTROL_OUT_MAX) {
		if (fd != -1)
			close(fd);
		if (ack)
			role_send(c->ctl->role, ackto, IMSG_CTL_ACK, c->id, -1,
			    NULL, 0);
		control_client_close(c, "too much output buffered");
		return;
	}
	o = xmalloc(sizeof(*o) + flen);
	o->next = NULL;
	o->fd = fd;
	o->ack = ack;
	o->ackto = ackto;
	o->len = flen;
	o->off = 0;
	o->data[0] = (uint8_t)(len >> 24);
	o->data[1] = (uint8_t)(len >> 16);
	o->data[2] = (uint8_t)(len >> 8);
	o->data[3] = (uint8_t)len;
	memcpy(o->data + CONTROL_FRAME_HDR, stream, len);
	*c->tail = o;
	c->tail = &o->next;
	c->outbytes += flen;
	control_update_io(c);
}

/* A reply of the control role itself. */
void
control_reply(struct control_client *c, const struct ctl_reply *rep)
{
	uint8_t *buf;
	size_t len;

	if (ctl_reply_encode(rep, &buf, &len) == -1)
		fatalx("control: cannot encode a reply");
	control_send(c, buf, len, -1, 0, PROC_CONTROL);
	free(buf);
}

/* One frame that ends the request: status and text. */
void
control_reply_status(struct control_client *c, enum ctl_status status,
    const char *text)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = status;
	rep.last = 1;
	ctl_reply_text(&rep, "%s", text);
	c->busy = 0;
	control_reply(c, &rep);
}

/* The request's last frame is queued: read the next once it is out. */
void
control_client_done(struct control_client *c)
{
	c->busy = 0;
	control_update_io(c);
}

static void
control_out_done(struct control_client *c, struct control_out *o)
{
	c->head = o->next;
	if (c->head == NULL)
		c->tail = &c->head;
	c->outbytes -= o->len;
	if (o->ack)
		role_send(c->ctl->role, o->ackto, IMSG_CTL_ACK, c->id, -1,
		    NULL, 0);
	free(o);
}

/* 0, or -1 if the client was closed. */
static int
control_flush(struct control_client *c)
{
	struct control_out *o;
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr *cmsg;
	ssize_t n;

	while ((o = c->head) != NULL) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = o->data + o->off;
		iov.iov_len = o->len - o->off;
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
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			control_client_close(c, errno == EPIPE ||
			    errno == ECONNRESET ? NULL : strerror(errno));
			return -1;
		}
		if (o->fd != -1) {
			close(o->fd);	/* the client has its copy */
			o->fd = -1;
		}
		o->off += (size_t)n;
		ev_timer_again(c->ctl->role->loop, &c->timer);
		if (o->off == o->len)
			control_out_done(c, o);
	}
	return 0;
}

static void
control_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_client *c = w->data;

	(void)loop;
	(void)revents;
	if (control_flush(c) == 0)
		control_update_io(c);
}

/*
 * Write while output waits; read only when no request is outstanding
 * and everything was written (a client that does not read its replies
 * is not read either). The timer runs unless we wait on a role.
 */
static void
control_update_io(struct control_client *c)
{
	struct ev_loop *loop = c->ctl->role->loop;

	if (c->head != NULL)
		ev_io_start(loop, &c->wio);
	else
		ev_io_stop(loop, &c->wio);
	if (!c->busy && c->head == NULL)
		ev_io_start(loop, &c->rio);
	else
		ev_io_stop(loop, &c->rio);
	if (c->busy && c->head == NULL)
		ev_timer_stop(loop, &c->timer);
	else if (!ev_is_active(&c->timer))
		ev_timer_again(loop, &c->timer);
}

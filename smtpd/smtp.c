/*
 * smtp.c: the smtp role. Receives the listening sockets from the parent,
 * accepts connections (in a loop until EAGAIN, so a burst of clients is
 * never held back by a short backlog) and hands each one to a session.
 * Unprivileged, chrooted to an empty directory: it parses everything a
 * client sends, so it must never hold a privilege or open a file. The
 * only files it reads are the pki certificates and keys, in smtp_init,
 * before role.c drops the privileges (smtpd/tls.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth_msg.h"
#include "auth/throttle.h"
#include "lib/log.h"
#include "lib/version.h"
#include "lib/xmalloc.h"
#include "lmtpd/lmtp_front.h"
#include "lmtpd/lmtp_msg.h"
#include "smtpd/listen.h"
#include "smtpd/role.h"
#include "queue/envelope.h"
#include "queue/queue_msg.h"
#include "smtpd/session.h"
#include "smtpd/smtp.h"
#include "smtpd/smtp_limits.h"
#include "smtpd/tls.h"

static struct smtp_server smtp_server;

static const struct ipc_rule smtp_rules[] = {
	{ IMSG_LISTENER, PROC_BIT(PROC_PARENT), 4, 4, IPC_FD_REQUIRED },
	{ IMSG_LISTENERS_DONE, PROC_BIT(PROC_PARENT), 0, 0, IPC_FD_NONE },
	{ IMSG_LKA_EXPANSION, PROC_BIT(PROC_LOOKUP), 1, ENVELOPE_ENCODED_MAX,
	    IPC_FD_NONE },
	{ IMSG_LKA_RCPT_RESULT, PROC_BIT(PROC_LOOKUP), 1, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
	{ IMSG_QUEUE_CREATE_RES, PROC_BIT(PROC_QUEUE),
	    sizeof(struct queue_create_res), sizeof(struct queue_create_res),
	    IPC_FD_OPTIONAL },
	{ IMSG_QUEUE_SPACE, PROC_BIT(PROC_QUEUE), sizeof(struct queue_space),
	    sizeof(struct queue_space), IPC_FD_NONE },
	{ IMSG_QUEUE_COMMIT_RES, PROC_BIT(PROC_QUEUE),
	    sizeof(struct queue_commit_res), sizeof(struct queue_commit_res),
	    IPC_FD_NONE },
	{ IMSG_LMTP_RESULT, PROC_BIT(PROC_QUEUE),
	    sizeof(struct lmtp_result_hdr), LMTP_RESULT_MAX, IPC_FD_NONE },
	{ IMSG_CTL_REQUEST, PROC_BIT(PROC_CONTROL), 1, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
	{ IMSG_LKA_AUTH_RES, PROC_BIT(PROC_LOOKUP), AUTH_MSG_MIN,
	    AUTH_MSG_MAXSIZE, IPC_FD_NONE },
};

static int	smtp_dispatch(struct role *, enum proc_id, struct ipc_msg *);
static void	smtp_start(struct role *);
static void	smtp_init(struct role *);
static void	smtp_shutdown(struct role *);
static int	smtp_listener_add(struct role *, uint32_t, int);
static void	smtp_accept_cb(struct ev_loop *, ev_io *, int);

struct smtp_server *
smtp_server_get(void)
{
	return &smtp_server;
}

/*
 * Privileged: the TLS keys (readable by root only) are read here, before
 * the chroot; many sessions each hold a socket and a message file: raise
 * the descriptor limit to what we may.
 */
static void
smtp_init(struct role *r)
{
	char err[CONFIG_PATH_MAX * 2 + 256];
	struct rlimit rl;

	if (tls_init(r->conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit");
	}
}

static void
smtp_start(struct role *r)
{
	smtp_limits_init(r->conf);
	TAILQ_INIT(&smtp_server.sessions);
	smtp_server.role = r;
	smtp_server.conf = r->conf;
	smtp_server.loop = r->loop;
	smtp_server.throttle = auth_throttle_new(NULL);
	smtp_ctl_pause((r->conf->start_paused & CONFIG_PAUSE_SMTP) != 0);
	r->data = &smtp_server;
}

static int
smtp_listener_add(struct role *r, uint32_t idx, int fd)
{
	struct smtp_listener *sl;
	struct listener *l;
	char desc[CONFIG_PATH_MAX + 16];
	uint32_t i = 0;

	TAILQ_FOREACH(l, &r->conf->listeners, entry)
		if (i++ == idx)
			break;
	/* Both sides parsed the same file; a mismatch means it changed. */
	if (l == NULL || l->kind == LISTENER_ENQUEUE) {
		log_warnx("listener %u does not match the configuration", idx);
		close(fd);
		return -1;
	}
	sl = xcalloc(1, sizeof(*sl));
	sl->server = &smtp_server;
	sl->conf = l;
	sl->idx = idx;
	sl->fd = fd;
	ev_io_init(&sl->io, smtp_accept_cb, fd, EV_READ);
	sl->io.data = sl;
	ev_io_start(r->loop, &sl->io);
	log_debug("listener=%s event=accepting",
	    listen_describe(l, desc, sizeof(desc)));
	return 0;
}

static void
smtp_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct smtp_listener *sl = w->data;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, on = 1;

	(void)loop;
	(void)revents;
	for (;;) {
		sslen = sizeof(ss);
		fd = accept4(sl->fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/* EMFILE and friends: back off instead of spinning. */
			log_warn("accept");
			return;
		}
		/* Replies are batched by the session; never let Nagle hold them. */
		if (smtp_ctl_paused()) {
			smtp_ctl_refuse(sl, fd);
			continue;
		}
		if (ss.ss_family != AF_UNIX && setsockopt(fd, IPPROTO_TCP,
		    TCP_NODELAY, &on, sizeof(on)) == -1)
			log_debug("TCP_NODELAY: %s", strerror(errno));
		smtp_session_start(sl, fd, &ss, sslen);
	}
}

static int
smtp_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
	struct queue_space space;
	uint32_t idx;

	(void)from;
	switch (m->type) {
	case IMSG_LISTENER:
		memcpy(&idx, m->data, sizeof(idx));
		smtp_listener_add(r, idx, m->fd);
		return 0;
	case IMSG_LISTENERS_DONE:
		log_debug("role=smtp event=listening");
		return 0;
	case IMSG_LKA_EXPANSION:
		return session_lka_expansion(m);
	case IMSG_LKA_RCPT_RESULT:
		return session_lka_result(m);
	case IMSG_LKA_AUTH_RES:
		return session_auth_result(m);
	case IMSG_QUEUE_CREATE_RES:
		return session_queue_created(m);
	case IMSG_QUEUE_COMMIT_RES:
		return session_queue_committed(m);
	case IMSG_LMTP_RESULT:
		return lmtp_front_result(m);
	case IMSG_CTL_REQUEST:
		return smtp_ctl_request(r, m);
	case IMSG_QUEUE_SPACE:
		memcpy(&space, m->data, sizeof(space));
		smtp_server.spool_avail = space.avail;
		smtp_server.spool_known = 1;
		return 0;
	}
	if (m->fd != -1)
		close(m->fd);
	return -1;
}

static void
smtp_shutdown(struct role *r)
{
	(void)r;
	if (smtp_server.role)
		session_shutdown_all(&smtp_server);
	auth_throttle_free(smtp_server.throttle);
	smtp_server.throttle = NULL;
	tls_free();
}

const struct role_ops smtp_role_ops = {
	.id = PROC_SMTP,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_EMPTY,
	.rules = smtp_rules,
	.nrules = sizeof(smtp_rules) / sizeof(smtp_rules[0]),
	.init = smtp_init,
	.start = smtp_start,
	.dispatch = smtp_dispatch,
	.shutdown = smtp_shutdown,
};

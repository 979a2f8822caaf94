/*
 * smtp.c: the smtp role. Receives the listening sockets from the parent,
 * accepts connections (in a loop until EAGAIN, so a burst of clients is
 * never held back by a short backlog) and hands each one to a session.
 * Unprivileged, chrooted to an empty directory: it parses everything a
 * client sends, so it must never hold a privilege or open a file.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/version.h"
#include "lib/xmalloc.h"
#include "smtpd/listen.h"
#include "smtpd/role.h"
#include "smtpd/smtp.h"

static struct smtp_server smtp_server;

static const struct ipc_rule smtp_rules[] = {
	{ IMSG_LISTENER, PROC_BIT(PROC_PARENT), 4, 4, IPC_FD_REQUIRED },
	{ IMSG_LISTENERS_DONE, PROC_BIT(PROC_PARENT), 0, 0, IPC_FD_NONE },
};

static int	smtp_dispatch(struct role *, enum proc_id, struct ipc_msg *);
static void	smtp_start(struct role *);
static int	smtp_listener_add(struct role *, uint32_t, int);
static void	smtp_accept_cb(struct ev_loop *, ev_io *, int);

static void
smtp_start(struct role *r)
{
	smtp_server.role = r;
	smtp_server.conf = r->conf;
	smtp_server.loop = r->loop;
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
	int fd;

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
		smtp_session_start(sl, fd, &ss, sslen);
	}
}

static int
smtp_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
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
	}
	if (m->fd != -1)
		close(m->fd);
	return -1;
}

const struct role_ops smtp_role_ops = {
	.id = PROC_SMTP,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_EMPTY,
	.rules = smtp_rules,
	.nrules = sizeof(smtp_rules) / sizeof(smtp_rules[0]),
	.start = smtp_start,
	.dispatch = smtp_dispatch,
};

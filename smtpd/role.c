/*
 * role.c: common start-up and event handling of a role process
 * (`smtpd -x ROLE`). The parent re-executes itself per role, so each role
 * starts from a clean image with only its channels open. Order: adopt the
 * channels, run the role's privileged init, drop privileges (chroot and
 * user per design.md), tell the parent READY, run the loop.
 * Must never exit on a peer's bad frame: ipc.c closes that peer only.
 * Losing the parent channel ends the role: nobody supervises it any more.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/priv.h"
#include "lib/xmalloc.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

static const struct role_ops *role_table[PROC_COUNT] = {
	[PROC_SMTP]	= &smtp_role_ops,
	[PROC_LOOKUP]	= &lookup_role_ops,
	[PROC_QUEUE]	= &queue_role_ops,
	[PROC_RELAY]	= &relay_role_ops,
	[PROC_CONTROL]	= &control_role_ops,
};

static const struct ipc_rule role_common_rules[] = {
	{ IMSG_PING, PROC_ALL, 0, PING_MAX, IPC_FD_NONE },
	{ IMSG_PONG, PROC_ALL, 0, PING_MAX, IPC_FD_NONE },
	/*
	 * smtpctl log verbose|brief, trace|untrace, profile|unprofile: every
	 * process switches
	 */
	{ IMSG_CTL_LOG, PROC_BIT(PROC_PARENT), sizeof(struct ctl_log),
	    sizeof(struct ctl_log), IPC_FD_NONE },
};

static int	role_dispatch(struct ipc_peer *, struct ipc_msg *, void *);
static void	role_closed(struct ipc_peer *, void *);
static void	role_sigterm(struct ev_loop *, ev_signal *, int);
static void	role_channels(struct role *);
static const char *role_chroot_dir(struct role *);
static int	role_stat_send(void *, const struct ctl_stat *);

static void
role_channels(struct role *r)
{
	struct ipc_rule *rules;
	size_t nrules;
	int p, fd;

	nrules = r->ops->nrules + sizeof(role_common_rules) /
	    sizeof(role_common_rules[0]);
	rules = xcalloc(nrules, sizeof(*rules));
	memcpy(rules, role_common_rules, sizeof(role_common_rules));
	if (r->ops->nrules)
		memcpy(rules + nrules - r->ops->nrules, r->ops->rules,
		    r->ops->nrules * sizeof(*rules));
	for (p = 0; p < PROC_COUNT; p++) {
		if (p == (int)r->ops->id)
			continue;
		fd = PROC_CHANNEL_FD(p);
		if (fcntl(fd, F_GETFD) == -1)
			continue;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
			fatal("fcntl");
		r->peer[p] = ipc_peer_new(r->loop, fd, p, proc_name(p), rules,
		    nrules, role_dispatch, role_closed, r);
	}
	if (r->peer[PROC_PARENT] == NULL)
		fatalx("no channel to the parent on fd %d",
		    PROC_CHANNEL_FD(PROC_PARENT));
}

static const char *
role_chroot_dir(struct role *r)
{
	switch (r->ops->chroot) {
	case ROLE_CHROOT_EMPTY:
		return PATH_EMPTY;
	case ROLE_CHROOT_SPOOL:
		return r->conf->queue_dir;
	default:
		return NULL;
	}
}

void
role_main(enum proc_id id, struct config *conf, int foreground)
{
	struct role *r;

	if (id <= PROC_PARENT || id >= PROC_COUNT || role_table[id] == NULL)
		fatalx("no such role %d", (int)id);
	r = xcalloc(1, sizeof(*r));
	r->ops = role_table[id];
	r->conf = conf;
	r->foreground = foreground;
	r->loop = ev_default_loop(EVFLAG_AUTO);
	log_setrole(proc_name(id));

	signal(SIGPIPE, SIG_IGN);
	/* The parent orchestrates shutdown; ^C on a terminal reaches it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	ev_signal_init(&r->sigterm, role_sigterm, SIGTERM);
	r->sigterm.data = r;
	ev_signal_start(r->loop, &r->sigterm);

	role_channels(r);
	if (r->ops->init)
		r->ops->init(r);
	priv_drop(proc_name(id), r->ops->user, role_chroot_dir(r));
	/* show stats counters go to the control role (which may re-attach) */
	ctl_stat_attach(r->loop, role_stat_send, r);
	if (r->ops->start)
		r->ops->start(r);
	role_send(r, PROC_PARENT, IMSG_READY, 0, -1, NULL, 0);
	log_debug("role=%s pid=%d event=started", proc_name(id), (int)getpid());
	ev_run(r->loop, 0);
	role_exit(r, 0);
}

static int
role_stat_send(void *arg, const struct ctl_stat *st)
{
	return role_send(arg, PROC_CONTROL, IMSG_CTL_STAT, 0, -1, st,
	    sizeof(*st));
}

int
role_send(struct role *r, enum proc_id to, uint32_t type, uint32_t reqid,
    int fd, const void *data, size_t len)
{
	if (r->peer[to] == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return ipc_send(r->peer[to], type, reqid, fd, data, len);
}

int
role_ctl_reply(struct role *r, uint32_t reqid, const struct ctl_reply *rep,
    int fd)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (ctl_reply_encode(rep, &buf, &len) == -1) {
		log_warnx("%s event=control error=\"cannot encode a reply\"",
		    proc_name(r->ops->id));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rc = role_send(r, PROC_CONTROL, IMSG_CTL_REPLY, reqid, fd, buf, len);
	free(buf);
	return rc;
}

int
role_ctl_status(struct role *r, uint32_t reqid, enum ctl_status status,
    const char *text)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = status;
	rep.last = 1;
	ctl_reply_text(&rep, "%s", text);
	return role_ctl_reply(r, reqid, &rep, -1);
}

void
role_exit(struct role *r, int status)
{
	if (r->ops->shutdown)
		r->ops->shutdown(r);
	log_debug("role=%s pid=%d event=exit status=%d", proc_name(r->ops->id),
	    (int)getpid(), status);
	exit(status);
}

static int
role_dispatch(struct ipc_peer *peer, struct ipc_msg *m, void *arg)
{
	struct role *r = arg;
	enum proc_id from = ipc_peer_id(peer);
	struct ctl_log cl;

	switch (m->type) {
	case IMSG_PING:
		ipc_send(peer, IMSG_PONG, m->reqid, -1, m->data, m->len);
		return 0;
	case IMSG_PONG:
		return 0;
	case IMSG_CTL_LOG:
		memcpy(&cl, m->data, sizeof(cl));
		log_setverbose((int)cl.verbose);
		log_settrace((int)cl.trace);
		log_setprofile((int)cl.profile);
		log_debug("role=%s event=log verbose=%u trace=0x%x "
		    "profile=0x%x", proc_name(r->ops->id), cl.verbose,
		    cl.trace, cl.profile);
		return 0;
	}
	if (r->ops->dispatch == NULL) {
		if (m->fd != -1)
			close(m->fd);
		return -1;
	}
	return r->ops->dispatch(r, from, m);
}

static void
role_closed(struct ipc_peer *peer, void *arg)
{
	struct role *r = arg;
	enum proc_id id = ipc_peer_id(peer);

	r->peer[id] = NULL;
	ipc_peer_free(peer);
	if (id == PROC_PARENT) {
		log_debug("role=%s event=parent-gone", proc_name(r->ops->id));
		role_exit(r, 0);
	}
	/* At shutdown every role sees its peers go: not worth a warning. */
	log_debug("role=%s event=peer-lost peer=%s", proc_name(r->ops->id),
	    proc_name(id));
	if (r->ops->peer_lost)
		r->ops->peer_lost(r, id);
}

static void
role_sigterm(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct role *r = w->data;

	(void)loop;
	(void)revents;
	role_exit(r, 0);
}

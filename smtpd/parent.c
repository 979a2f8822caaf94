/*
 * parent.c: the privileged parent. Binds the listeners, prepares the
 * spool, wires a socketpair between every two processes, forks and
 * re-executes itself once per role (`smtpd -x ROLE`), hands the listening
 * sockets to the smtp role once every role is READY, and supervises: if a
 * role dies or its channel breaks, it logs which one and shuts the whole
 * daemon down; SIGTERM/SIGINT stop everything within 2 seconds.
 * Never parses anything that came from the network.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "aliases/userinfo_msg.h"
#include "lib/ipc.h"
#include "deliver/relay_tls.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/xmalloc.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/listen.h"
#include "smtpd/parent.h"
#include "smtpd/parent_ctl.h"
#include "smtpd/parent_forward.h"
#include "smtpd/parent_mda.h"
#include "smtpd/parent_offline.h"
#include "smtpd/proc.h"
#include "smtpd/tls.h"

#define PARENT_KILL_DELAY	1.5	/* seconds before SIGKILL at shutdown */
#define PARENT_ARGV_MAX		(16 + 2 * PARENT_TRACE_MAX + 2 * 64)

struct child {
	pid_t		 pid;
	int		 alive;
	int		 ready;
	ev_child	 watcher;
};

struct parent {
	struct ev_loop		*loop;
	struct config		*conf;
	struct parent_opts	*opts;
	char			 self[PATH_MAX];
	char			 conffile[PATH_MAX];
	struct child		 child[PROC_COUNT];
	struct ipc_peer		*peer[PROC_COUNT];
	int			*listen_fd;	/* per listener, -1 if none */
	size_t			 nlisten;
	int			 control_fd;
	int			 nready;
	int			 stopping;
	int			 status;
	struct mda_ctx		*mda;		/* parent_mda.c */
	struct offline_ctx	*offline;	/* parent_offline.c */
	ev_signal		 sigterm, sigint, sighup;
	ev_timer		 killtimer;
};

static const struct ipc_rule parent_rules[] = {
	{ IMSG_PING, PROC_ALL, 0, PING_MAX, IPC_FD_NONE },
	{ IMSG_PONG, PROC_ALL, 0, PING_MAX, IPC_FD_NONE },
	{ IMSG_READY, PROC_ALL & ~PROC_BIT(PROC_PARENT), 0, 0, IPC_FD_NONE },
	{ IMSG_LKA_FORWARD_OPEN, PROC_BIT(PROC_LOOKUP),
	    sizeof(struct forward_req), sizeof(struct forward_req),
	    IPC_FD_NONE },
	{ IMSG_LKA_USERINFO_RES, PROC_BIT(PROC_LOOKUP),
	    sizeof(struct userinfo_res), sizeof(struct userinfo_res),
	    IPC_FD_NONE },
	{ IMSG_MDA_DELIVER, PROC_BIT(PROC_QUEUE), 1, ENVELOPE_ENCODED_MAX,
	    IPC_FD_REQUIRED },
	{ IMSG_CTL_REQUEST, PROC_BIT(PROC_CONTROL), 1, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
};

static void	parent_checks(struct parent *);
static void	parent_sockets(struct parent *);
static void	parent_spawn(struct parent *);
static pid_t	parent_fork_role(struct parent *, enum proc_id,
		    int fds[PROC_COUNT][PROC_COUNT]);
static void	parent_exec_role(struct parent *, enum proc_id)
		    __attribute__((noreturn));
static void	parent_all_ready(struct parent *);
static void	parent_shutdown(struct parent *, int);
static void	parent_finish(struct parent *) __attribute__((noreturn));
static int	parent_dispatch(struct ipc_peer *, struct ipc_msg *, void *);
static void	parent_closed(struct ipc_peer *, void *);
static void	parent_child_cb(struct ev_loop *, ev_child *, int);
static void	parent_signal_cb(struct ev_loop *, ev_signal *, int);
static void	parent_kill_cb(struct ev_loop *, ev_timer *, int);
static int	parent_stat_send(void *, const struct ctl_stat *);

void
parent_main(struct parent_opts *opts, struct config *conf, const char *argv0)
{
	struct parent *p;
	ssize_t n;

	p = xcalloc(1, sizeof(*p));
	p->conf = conf;
	p->opts = opts;
	p->control_fd = -1;
	log_setrole("parent");
	if ((n = readlink("/proc/self/exe", p->self, sizeof(p->self) - 1)) == -1)
		fatal("cannot find my own executable (%s)", argv0);
	p->self[n] = '\0';
	if (realpath(opts->conffile, p->conffile) == NULL)
		fatal("%s", opts->conffile);

	parent_checks(p);
	parent_sockets(p);
	if (!opts->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	log_setrole("parent");		/* daemon(3) changed our pid */
	signal(SIGPIPE, SIG_IGN);

	p->loop = ev_default_loop(EVFLAG_AUTO);
	ev_signal_init(&p->sigterm, parent_signal_cb, SIGTERM);
	ev_signal_init(&p->sigint, parent_signal_cb, SIGINT);
	ev_signal_init(&p->sighup, parent_signal_cb, SIGHUP);
	p->sigterm.data = p->sigint.data = p->sighup.data = p;
	ev_signal_start(p->loop, &p->sigterm);
	ev_signal_start(p->loop, &p->sigint);
	ev_signal_start(p->loop, &p->sighup);

	parent_spawn(p);
	log_info("event=starting pid=%d config=%s uid=%d", (int)getpid(),
	    p->conffile, (int)getuid());
	ev_run(p->loop, 0);
	parent_finish(p);
}

/* Users, the empty chroot and the spool, before anything is started. */
static void
parent_checks(struct parent *p)
{
	char err[CONFIG_PATH_MAX * 2 + 256];
	struct priv_user smtpd, smtpq;
	struct stat st;
	int root = priv_is_root();

	smtpq.uid = getuid();
	smtpq.gid = getgid();
	if (root) {
		if (priv_lookup(SMTPD_USER, &smtpd) == -1)
			fatalx("unknown user %s: create it (make deps does)",
			    SMTPD_USER);
		if (priv_lookup(SMTPQ_USER, &smtpq) == -1)
			fatalx("unknown user %s: create it (make deps does)",
			    SMTPQ_USER);
		if (mkdir(PATH_EMPTY, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", PATH_EMPTY);
		if (stat(PATH_EMPTY, &st) == -1 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != 0 || (st.st_mode & 022))
			fatalx("%s must be a directory owned by root and "
			    "writable by nobody else", PATH_EMPTY);
	}
	if (spool_prepare(p->conf->queue_dir, smtpq.uid, smtpq.gid, root) == -1)
		fatalx("cannot prepare the spool %s", p->conf->queue_dir);
	/*
	 * The smtp role loads the pki itself before it drops privileges; a
	 * bad certificate, key or smtp ciphers is refused here, before any
	 * role starts, on the terminal.
	 */
	if (tls_init(p->conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	tls_free();
	/* likewise the relay actions' ca and pki */
	if (relay_tls_check(p->conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

static void
parent_sockets(struct parent *p)
{
	struct listener *l;
	size_t i = 0;

	TAILQ_FOREACH(l, &p->conf->listeners, entry)
		p->nlisten++;
	p->listen_fd = xcalloc(p->nlisten ? p->nlisten : 1, sizeof(int));
	TAILQ_FOREACH(l, &p->conf->listeners, entry) {
		p->listen_fd[i] = l->kind == LISTENER_ENQUEUE ? -1 :
		    listen_open(l);
		i++;
	}
	p->control_fd = listen_control_open(p->conf->control_socket);
}

static void
parent_spawn(struct parent *p)
{
	int fds[PROC_COUNT][PROC_COUNT];
	int sv[2], i, j;

	for (i = 0; i < PROC_COUNT; i++)
		for (j = i + 1; j < PROC_COUNT; j++) {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
			    0, sv) == -1)
				fatal("socketpair");
			fds[i][j] = sv[0];
			fds[j][i] = sv[1];
		}
	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++) {
		p->child[i].pid = parent_fork_role(p, i, fds);
		p->child[i].alive = 1;
		ev_child_init(&p->child[i].watcher, parent_child_cb,
		    p->child[i].pid, 0);
		p->child[i].watcher.data = p;
		ev_child_start(p->loop, &p->child[i].watcher);
	}
	/* Keep our own ends; every role-to-role pair now lives in the roles. */
	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++)
		for (j = PROC_PARENT + 1; j < PROC_COUNT; j++)
			if (i != j)
				close(fds[i][j]);
	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++) {
		close(fds[i][PROC_PARENT]);
		p->peer[i] = ipc_peer_new(p->loop, fds[PROC_PARENT][i], i,
		    proc_name(i), parent_rules,
		    sizeof(parent_rules) / sizeof(parent_rules[0]),
		    parent_dispatch, parent_closed, p);
	}
	ctl_stat_attach(p->loop, parent_stat_send, p);
	p->mda = parent_mda_new(p->loop, p->conf, p->self);
	p->offline = parent_offline_new(p->loop, p->conf, p->self);
	parent_mda_set_queue(p->mda, p->peer[PROC_QUEUE]);
	parent_mda_set_lookup(p->mda, p->peer[PROC_LOOKUP]);
}

/* show stats counters of the parent (mda.*) go to the control role. */
static int
parent_stat_send(void *arg, const struct ctl_stat *st)
{
	struct parent *p = arg;

	if (p->peer[PROC_CONTROL] == NULL)
		return -1;
	return ipc_send(p->peer[PROC_CONTROL], IMSG_CTL_STAT, 0, -1, st,
	    sizeof(*st));
}

static pid_t
parent_fork_role(struct parent *p, enum proc_id id,
    int fds[PROC_COUNT][PROC_COUNT])
{
	int tmp[PROC_COUNT], q;
	sigset_t none;
	pid_t pid;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid)
		return pid;

	/* Child: channel to process q goes to PROC_CHANNEL_FD(q). */
	for (q = 0; q < PROC_COUNT; q++) {
		if (q == (int)id)
			continue;
		if ((tmp[q] = fcntl(fds[id][q], F_DUPFD_CLOEXEC, 64)) == -1)
			_exit(127);
	}
	for (q = 0; q < PROC_COUNT; q++) {
		if (q == (int)id) {
			close(PROC_CHANNEL_FD(q));
			continue;
		}
		if (dup2(tmp[q], PROC_CHANNEL_FD(q)) == -1)
			_exit(127);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	parent_exec_role(p, id);
}

static void
parent_exec_role(struct parent *p, enum proc_id id)
{
	char *argv[PARENT_ARGV_MAX];
	int n = 0, i;

	argv[n++] = "smtpd";
	argv[n++] = "-x";
	argv[n++] = (char *)proc_name(id);
	argv[n++] = "-f";
	argv[n++] = p->conffile;
	if (p->opts->foreground)
		argv[n++] = "-d";
	if (p->opts->paused & CONFIG_PAUSE_MDA) {
		argv[n++] = "-P";
		argv[n++] = "mda";
	}
	if (p->opts->paused & CONFIG_PAUSE_MTA) {
		argv[n++] = "-P";
		argv[n++] = "mta";
	}
	if (p->opts->paused & CONFIG_PAUSE_SMTP) {
		argv[n++] = "-P";
		argv[n++] = "smtp";
	}
	for (i = 0; i < p->opts->verbose && i < 4; i++)
		argv[n++] = "-v";
	for (i = 0; i < p->opts->ntrace && i < PARENT_TRACE_MAX; i++) {
		argv[n++] = "-T";
		argv[n++] = (char *)p->opts->tracelist[i];
	}
	for (i = 0; p->opts->defines[i] && n < PARENT_ARGV_MAX - 3; i++) {
		argv[n++] = "-D";
		argv[n++] = p->opts->defines[i];
	}
	argv[n] = NULL;
	execv(p->self, argv);
	log_warn("exec %s -x %s", p->self, proc_name(id));
	_exit(127);
}

static int
parent_dispatch(struct ipc_peer *peer, struct ipc_msg *m, void *arg)
{
	struct parent *p = arg;
	enum proc_id from = ipc_peer_id(peer);

	switch (m->type) {
	case IMSG_PING:
		ipc_send(peer, IMSG_PONG, m->reqid, -1, m->data, m->len);
		return 0;
	case IMSG_PONG:
		return 0;
	case IMSG_READY:
		if (p->child[from].ready)
			return -1;
		p->child[from].ready = 1;
		log_debug("role=%s pid=%d event=ready", proc_name(from),
		    (int)p->child[from].pid);
		if (++p->nready == PROC_COUNT - 1)
			parent_all_ready(p);
		return 0;
	case IMSG_LKA_FORWARD_OPEN:
		return parent_forward(peer, m);
	case IMSG_LKA_USERINFO_RES:
		return parent_mda_userinfo(p->mda, m);
	case IMSG_MDA_DELIVER:
		return parent_mda(p->mda, m);
	case IMSG_CTL_REQUEST:
		return parent_ctl_request(p->peer, m);
	}
	return -1;
}

/* Every role runs unprivileged now: hand out the sockets. */
static void
parent_all_ready(struct parent *p)
{
	uint32_t idx;
	size_t i;

	for (i = 0; i < p->nlisten; i++) {
		if (p->listen_fd[i] == -1)
			continue;
		idx = (uint32_t)i;
		ipc_send(p->peer[PROC_SMTP], IMSG_LISTENER, idx,
		    p->listen_fd[i], &idx, sizeof(idx));
		p->listen_fd[i] = -1;
	}
	ipc_send(p->peer[PROC_SMTP], IMSG_LISTENERS_DONE, 0, -1, NULL, 0);
	ipc_send(p->peer[PROC_CONTROL], IMSG_CONTROL_SOCKET, 0, p->control_fd,
	    NULL, 0);
	p->control_fd = -1;
	log_info("event=ready pid=%d roles=%d listeners=%zu", (int)getpid(),
	    PROC_COUNT - 1, p->nlisten);
	/* sendmail's submissions made while we were down */
	parent_offline_start(p->offline);
}

static void
parent_closed(struct ipc_peer *peer, void *arg)
{
	struct parent *p = arg;
	enum proc_id id = ipc_peer_id(peer);

	p->peer[id] = NULL;
	if (id == PROC_QUEUE)
		parent_mda_set_queue(p->mda, NULL);
	if (id == PROC_LOOKUP)
		parent_mda_set_lookup(p->mda, NULL);
	ipc_peer_free(peer);
	if (!p->stopping)
		log_warnx("role=%s pid=%d event=channel-lost result=TempFail",
		    proc_name(id), (int)p->child[id].pid);
	parent_shutdown(p, 1);
}

static void
parent_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct parent *p = w->data;
	int i, status = w->rstatus;

	(void)revents;
	ev_child_stop(loop, w);
	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++)
		if (&p->child[i].watcher == w)
			break;
	if (i == PROC_COUNT)
		return;
	p->child[i].alive = 0;
	if (p->stopping) {
		/* Our own SIGTERM is expected; anything else is worth a line. */
		if ((WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) != 0))
			log_warnx("role=%s pid=%d event=died %s=%d",
			    proc_name(i), (int)w->rpid, WIFSIGNALED(status) ?
			    "signal" : "status", WIFSIGNALED(status) ?
			    WTERMSIG(status) : WEXITSTATUS(status));
	} else {
		if (WIFSIGNALED(status))
			log_warnx("role=%s pid=%d event=died signal=%d "
			    "result=TempFail", proc_name(i), (int)w->rpid,
			    WTERMSIG(status));
		else
			log_warnx("role=%s pid=%d event=died status=%d "
			    "result=TempFail", proc_name(i), (int)w->rpid,
			    WEXITSTATUS(status));
		parent_shutdown(p, 1);
	}
	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++)
		if (p->child[i].alive)
			return;
	ev_break(loop, EVBREAK_ALL);
}

static void
parent_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct parent *p = w->data;

	(void)loop;
	(void)revents;
	if (w->signum == SIGHUP) {
		log_warnx("event=sighup: configuration reload is not "
		    "supported yet; restart smtpd instead");
		return;
	}
	log_info("event=signal signal=%d", w->signum);
	parent_shutdown(p, 0);
}

static void
parent_shutdown(struct parent *p, int status)
{
	int i;

	if (p->stopping)
		return;
	p->stopping = 1;
	p->status = status;
	log_info("event=shutdown status=%d", status);
	if (p->mda != NULL)
		parent_mda_kill(p->mda, SIGTERM);
	parent_offline_kill(p->offline, SIGTERM);
	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++)
		if (p->child[i].alive)
			kill(p->child[i].pid, SIGTERM);
	ev_timer_init(&p->killtimer, parent_kill_cb, PARENT_KILL_DELAY, 0);
	p->killtimer.data = p;
	ev_timer_start(p->loop, &p->killtimer);
}

static void
parent_kill_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct parent *p = w->data;
	int i;

	(void)revents;
	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++)
		if (p->child[i].alive) {
			log_warnx("role=%s pid=%d event=kill reason=timeout",
			    proc_name(i), (int)p->child[i].pid);
			kill(p->child[i].pid, SIGKILL);
		}
	ev_break(loop, EVBREAK_ALL);
}

static void
parent_finish(struct parent *p)
{
	int i, status;

	for (i = PROC_PARENT + 1; i < PROC_COUNT; i++)
		if (p->child[i].alive && waitpid(p->child[i].pid, &status, 0) ==
		    p->child[i].pid)
			p->child[i].alive = 0;
	if (p->mda != NULL)
		parent_mda_reap(p->mda);
	parent_offline_reap(p->offline);
	listen_unlink(p->conf);
	log_info("event=exit status=%d", p->status);
	exit(p->status);
}

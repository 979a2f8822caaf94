/*
 * parent_mda.c: local deliveries. The queue role sends an envelope with
 * its message file (IMSG_MDA_DELIVER); the parent resolves the action
 * (maildir path or mda command with its %{} specifiers, mbox, the user),
 * starts `deliver` with the message on its stdin - deliver drops to the
 * user itself and never runs as uid 0 - and reports the outcome from its
 * exit status and first line of stderr (IMSG_MDA_RESULT). At most
 * MDA_PER_USER deliveries per user run at once; the rest wait in order.
 * Maildir and mbox-file deliveries go to a deliver agent of the user
 * instead (parent_agent.c: no fork and exec each); pipes, the system
 * spool and LMTP run one deliver each. The outcome is mapped the same
 * way from either. A delivery that runs longer than MDA_TIMEOUT is
 * killed (deliver, or the agent with it): temporary.
 * The user comes from getpwnam(3), or for a user of the action's
 * `userbase` (aliases/userinfo_msg.h) from the lookup role, which owns
 * the tables: IMSG_LKA_USERINFO, and the delivery waits for the answer
 * (not found: permanent 5.1.1; table error: temporary 4.3.0); deliver
 * then gets the ids and HOME as `-u UID:GID:HOME`.
 * Never parses anything from the network: the envelope was validated by
 * the queue, and is validated again here.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases/userinfo_msg.h"
#include "lib/esc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/envelope.h"
#include "queue/mda_msg.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/parent_agent.h"
#include "smtpd/parent_mda.h"
#include "smtpd/parent_mda_argv.h"
#include "smtpd/proc.h"

#define MDA_PER_USER	8
#ifndef MDA_TIMEOUT			/* t/78 builds one with a short one */
#define MDA_TIMEOUT	300.0		/* seconds (design: 5 minutes) */
#endif
#define MDA_USERINFO_TIMEOUT 60.0	/* the lookup role's answer */
#define MDA_IDS_MAX	(USERINFO_HOME_MAX + 32)	/* "UID:GID:HOME" */
#define MDA_STDERR_MAX	1024

struct mda {
	TAILQ_ENTRY(mda)	 entry;
	struct mda_ctx		*ctx;
	struct envelope		 env;
	int			 msgfd;
	pid_t			 pid;
	int			 errfd;
	char			 err[MDA_STDERR_MAX];
	size_t			 errlen;
	ev_child		 child;
	ev_io			 io;
	ev_timer		 timer;
	int			 timedout;
	struct agent		*agent;		/* the agent serving it */
	int			 viaagent;	/* sent to an agent */
	int			 check;		/* MDA_CHECK from the queue */
	uint32_t		 uireq;		/* userbase question asked */
	char			 ids[MDA_IDS_MAX];	/* deliver -u */
};
TAILQ_HEAD(mda_list, mda);

struct mda_ctx {
	struct ev_loop		*loop;
	const struct config	*conf;
	char			 deliver[PATH_MAX];
	struct ipc_peer		*queue;
	struct ipc_peer		*lookup;	/* userbase questions */
	struct agent_ctx	*agents;	/* parent_agent.c */
	uint32_t		 nextid;
	struct mda_list		 running, waiting;
};

static void	mda_start(struct mda *);
static void	mda_userinfo_ask(struct mda *, const struct action *);
static void	mda_spawn(struct mda *, const struct action *,
		    const struct passwd *, const char *);
static void	mda_agent(struct mda *, char **, const char *,
		    const char *);
static void	mda_agent_done(void *, int, const char *);
static void	mda_arm(struct mda *, double);
static int	mda_user_running(struct mda_ctx *, const char *);
static void	mda_report(struct mda *, enum mda_outcome, const char *);
static void	mda_finish(struct mda *);
static void	mda_child_cb(struct ev_loop *, ev_child *, int);
static void	mda_io_cb(struct ev_loop *, ev_io *, int);
static void	mda_timer_cb(struct ev_loop *, ev_timer *, int);
static void	mda_report_exit(struct mda *, int, const char *);
static void	mda_parse_status(const char *, struct mda_result *);
static void	mda_stat_users(struct mda_ctx *);

struct mda_ctx *
parent_mda_new(struct ev_loop *loop, const struct config *conf,
    const char *self)
{
	struct mda_ctx *c;
	const char *slash;

	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->conf = conf;
	TAILQ_INIT(&c->running);
	TAILQ_INIT(&c->waiting);
	/* deliver sits beside smtpd, installed or in the build directory */
	slash = strrchr(self, '/');
	snprintf(c->deliver, sizeof(c->deliver), "%.*s/deliver",
	    slash ? (int)(slash - self) : 1, slash ? self : ".");
	c->agents = parent_agent_new(loop, c->deliver);
	return c;
}

void
parent_mda_set_queue(struct mda_ctx *c, struct ipc_peer *queue)
{
	c->queue = queue;
}

void
parent_mda_set_lookup(struct mda_ctx *c, struct ipc_peer *lookup)
{
	c->lookup = lookup;
}

/* IMSG_MDA_DELIVER; -1 if the envelope does not decode. */
int
parent_mda(struct mda_ctx *c, struct ipc_msg *m)
{
	struct mda *d;
	char err[ENVELOPE_ERR_MAX];

	d = xcalloc(1, sizeof(*d));
	d->ctx = c;
	d->msgfd = m->fd;
	d->errfd = -1;
	d->check = m->reqid == MDA_CHECK;
	if (envelope_decode(m->data, m->len, &d->env, err, sizeof(err)) == -1 ||
	    d->env.type != ENVELOPE_MDA) {
		log_warnx("parent event=mda error=\"%s\"", err);
		close(d->msgfd);
		free(d);
		return -1;
	}
	ctl_stat_increment("mda.envelope", 1);
	if (mda_user_running(c, d->env.mda_user) >= MDA_PER_USER) {
		TAILQ_INSERT_TAIL(&c->waiting, d, entry);
		ctl_stat_increment("mda.pending", 1);
		mda_stat_users(c);
		return 0;
	}
	mda_start(d);
	return 0;
}

/* show stats mda.user: users with a delivery running or waiting. */
static void
mda_stat_users(struct mda_ctx *c)
{
	struct mda *d, *e;
	int64_t n = 0;

	TAILQ_FOREACH(d, &c->running, entry) {
		for (e = TAILQ_FIRST(&c->running); e != d;
		    e = TAILQ_NEXT(e, entry))
			if (strcmp(e->env.mda_user, d->env.mda_user) == 0)
				break;
		if (e == d)
			n++;
	}
	TAILQ_FOREACH(d, &c->waiting, entry)
		if (mda_user_running(c, d->env.mda_user) == 0) {
			for (e = TAILQ_FIRST(&c->waiting); e != d;
			    e = TAILQ_NEXT(e, entry))
				if (strcmp(e->env.mda_user,
				    d->env.mda_user) == 0)
					break;
			if (e == d)
				n++;
		}
	ctl_stat_set("mda.user", n);
}

static int
mda_user_running(struct mda_ctx *c, const char *user)
{
	struct mda *d;
	int n = 0;

	TAILQ_FOREACH(d, &c->running, entry)
		if (strcmp(d->env.mda_user, user) == 0)
			n++;
	return n;
}

static void
mda_start(struct mda *d)
{
	struct mda_ctx *c = d->ctx;
	const struct action *a;
	struct passwd *pw;
	const char *user;

	TAILQ_INSERT_TAIL(&c->running, d, entry);
	ctl_stat_increment("mda.running", 1);
	mda_stat_users(c);
	if ((a = config_action_find(c->conf, d->env.dispatcher)) == NULL) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 action no longer configured");
		return;
	}
	if (userinfo_wanted(a, &d->env)) {
		mda_userinfo_ask(d, a);
		return;
	}
	user = a->user ? a->user : d->env.mda_user;
	if ((pw = getpwnam(user)) == NULL) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 no such user");
		return;
	}
	mda_spawn(d, a, pw, NULL);
}

/* A userbase user: ask the lookup role; parent_mda_userinfo() goes on. */
static void
mda_userinfo_ask(struct mda *d, const struct action *a)
{
	struct mda_ctx *c = d->ctx;
	struct userinfo_req q;

	if (c->lookup == NULL ||
	    userinfo_req_make(&q, a->name, d->env.mda_user) == -1) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 cannot look up the user");
		return;
	}
	if (++c->nextid == 0)
		c->nextid = 1;
	d->uireq = c->nextid;
	ipc_send(c->lookup, IMSG_LKA_USERINFO, d->uireq, -1, &q, sizeof(q));
	mda_arm(d, MDA_USERINFO_TIMEOUT);
	log_trace(TRACE_LOOKUP, "%016llx parent event=userinfo action=%s "
	    "user=%s", (unsigned long long)d->env.evpid, a->name,
	    d->env.mda_user);
}

/* IMSG_LKA_USERINFO_RES; -1 if the answer is malformed. */
int
parent_mda_userinfo(struct mda_ctx *c, struct ipc_msg *m)
{
	char home[USERINFO_HOME_MAX + 1];
	struct userinfo_res res;
	const struct action *a;
	struct passwd pw;
	struct mda *d;

	if (userinfo_res_read(m->data, m->len, &res, home,
	    sizeof(home)) == -1) {
		log_warnx("parent event=userinfo error=\"malformed answer\"");
		return -1;
	}
	TAILQ_FOREACH(d, &c->running, entry)
		if (d->uireq != 0 && d->uireq == m->reqid)
			break;
	if (d == NULL)
		return 0;	/* timed out meanwhile */
	ev_timer_stop(c->loop, &d->timer);
	d->uireq = 0;
	if (res.status == USERINFO_NOTFOUND) {
		log_info("%016llx parent event=userinfo user=%s "
		    "error=\"not in the userbase\" result=PermFail",
		    (unsigned long long)d->env.evpid, d->env.mda_user);
		mda_report(d, MDA_PERMFAIL, "5.1.1 no such user");
		return 0;
	}
	if (res.status != USERINFO_FOUND) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 cannot look up the user");
		return 0;
	}
	if ((a = config_action_find(c->conf, d->env.dispatcher)) == NULL) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 action no longer configured");
		return 0;
	}
	memset(&pw, 0, sizeof(pw));
	pw.pw_name = d->env.mda_user;
	pw.pw_uid = (uid_t)res.uid;
	pw.pw_gid = (gid_t)res.gid;
	pw.pw_dir = home;
	snprintf(d->ids, sizeof(d->ids), "%lu:%lu:%s",
	    (unsigned long)res.uid, (unsigned long)res.gid, home);
	mda_spawn(d, a, &pw, d->ids);
	return 0;
}

/*
 * Runs deliver as pw (a passwd entry, or a userbase entry whose ids and
 * HOME go to deliver as -u ids).
 */
static void
mda_spawn(struct mda *d, const struct action *a, const struct passwd *pw,
    const char *ids)
{
	struct mda_ctx *c = d->ctx;
	struct mda_cmd cmd;
	const char *why = NULL;
	int pfd[2], r;

	if (pw->pw_uid == 0) {
		/* deliver never runs as root: alias root to a person. */
		mda_report(d, MDA_TEMPFAIL, "4.3.0 refusing to deliver as root");
		return;
	}
	if ((r = parent_mda_argv(&cmd, &d->env, a, pw, ids, d->check,
	    c->conf->subaddr_delim, &why)) != 0) {
		char text[MDA_TEXT_MAX];

		snprintf(text, sizeof(text), "%s %s", r == -2 ? "5.1.3" :
		    "4.3.0", why ? why : "expansion failed");
		mda_report(d, r == -2 ? MDA_PERMFAIL : MDA_TEMPFAIL, text);
		return;
	}
	if (cmd.agent) {
		mda_agent(d, cmd.argv, pw->pw_name, ids);
		return;
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 pipe failed");
		return;
	}
	if ((d->pid = fork()) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		mda_report(d, MDA_TEMPFAIL, "4.3.0 fork failed");
		return;
	}
	if (d->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if (dup2(d->msgfd, STDIN_FILENO) == -1 ||
		    dup2(pfd[1], STDERR_FILENO) == -1 ||
		    dup2(pfd[1], STDOUT_FILENO) == -1)
			_exit(EX_OSERR);
		execv(c->deliver, cmd.argv);
		_exit(EX_OSERR);
	}
	close(pfd[1]);
	close(d->msgfd);
	d->msgfd = -1;
	d->errfd = pfd[0];
	fcntl(d->errfd, F_SETFL, O_NONBLOCK);
	ev_io_init(&d->io, mda_io_cb, d->errfd, EV_READ);
	ev_child_init(&d->child, mda_child_cb, d->pid, 0);
	d->io.data = d->child.data = d;
	ev_io_start(c->loop, &d->io);
	ev_child_start(c->loop, &d->child);
	mda_arm(d, MDA_TIMEOUT);
	log_debug("%016llx parent event=mda pid=%d user=%s",
	    (unsigned long long)d->env.evpid, (int)d->pid, pw->pw_name);
}

/* The same command line to an agent of (user, ids), the same limit. */
static void
mda_agent(struct mda *d, char **argv, const char *user, const char *ids)
{
	struct mda_ctx *c = d->ctx;

	d->agent = parent_agent_deliver(c->agents, user, ids, argv, d->msgfd,
	    mda_agent_done, d);
	if (d->agent == NULL) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 no delivery agent");
		return;
	}
	/* the agent has its own copy of the descriptor */
	close(d->msgfd);
	d->msgfd = -1;
	d->viaagent = 1;
	mda_arm(d, MDA_TIMEOUT);
	log_debug("%016llx parent event=mda agent=yes user=%s",
	    (unsigned long long)d->env.evpid, user);
}

static void
mda_agent_done(void *arg, int code, const char *text)
{
	struct mda *d = arg;

	d->agent = NULL;
	if (d->timedout)
		mda_report(d, MDA_TEMPFAIL, "4.3.0 delivery time limit exceeded");
	else
		mda_report_exit(d, code, text);
}

/* The delivery's timer: the user lookup's, or the delivery's limit. */
static void
mda_arm(struct mda *d, double secs)
{
	ev_timer_init(&d->timer, mda_timer_cb, secs, 0);
	d->timer.data = d;
	ev_timer_start(d->ctx->loop, &d->timer);
}

static void
mda_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mda *d = w->data;
	char buf[512];
	ssize_t n;

	(void)revents;
	n = read(d->errfd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ev_io_stop(loop, w);
		return;
	}
	if (d->errlen + (size_t)n >= sizeof(d->err))
		n = (ssize_t)(sizeof(d->err) - 1 - d->errlen);
	memcpy(d->err + d->errlen, buf, (size_t)n);
	d->errlen += (size_t)n;
	d->err[d->errlen] = '\0';
}

static void
mda_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mda *d = w->data;

	(void)loop;
	(void)revents;
	if (d->agent != NULL) {
		/* mda_agent_done() follows once the agent is reaped */
		d->timedout = 1;
		parent_agent_kill(d->agent);
		return;
	}
	if (d->pid <= 0) {
		/* no answer to the userbase question */
		d->uireq = 0;
		mda_report(d, MDA_TEMPFAIL, "4.3.0 user lookup timed out");
		return;
	}
	d->timedout = 1;
	kill(-d->pid, SIGKILL);
	kill(d->pid, SIGKILL);
}

/* "X.Y.Z text" from deliver's first stderr line. */
static void
mda_parse_status(const char *line, struct mda_result *res)
{
	uint8_t c;
	uint16_t s, d;

	if (esc_parse(line, &c, &s, &d) != 0) {
		res->esc_class = c;
		res->esc_subject = s;
		res->esc_detail = d;
	}
	strlcpy(res->text, line, sizeof(res->text));
}

static void
mda_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct mda *d = w->data;
	int st = w->rstatus;
	char *nl;

	(void)revents;
	ev_child_stop(loop, w);
	/* Drain what stderr still holds. */
	mda_io_cb(loop, &d->io, EV_READ);
	if ((nl = strchr(d->err, '\n')) != NULL)
		*nl = '\0';
	if (d->timedout) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 delivery time limit exceeded");
		return;
	}
	if (WIFSIGNALED(st)) {
		mda_report(d, MDA_TEMPFAIL, "4.3.0 deliver died with a signal");
		return;
	}
	mda_report_exit(d, WEXITSTATUS(st), d->err);
}

/*
 * deliver's exit status (sysexits) and first line of stderr, from a
 * one-shot deliver or an agent's reply: the outcome.
 */
static void
mda_report_exit(struct mda *d, int code, const char *err)
{
	if (code == EX_OK)
		mda_report(d, MDA_OK, strncmp(err, "2.", 2) == 0 ? err :
		    "2.0.0 delivered");
	else if (code == EX_TEMPFAIL || code == EX_OSERR)
		mda_report(d, MDA_TEMPFAIL, err[0] ? err :
		    "4.3.0 temporary failure");
	else
		mda_report(d, MDA_PERMFAIL, err[0] ? err :
		    "5.3.0 delivery failed");
}

static void
mda_report(struct mda *d, enum mda_outcome outcome, const char *text)
{
	struct mda_result res;

	memset(&res, 0, sizeof(res));
	res.evpid = d->env.evpid;
	res.outcome = outcome;
	res.esc_class = outcome == MDA_OK ? 2 : outcome == MDA_TEMPFAIL ? 4 : 5;
	mda_parse_status(text, &res);
	/* the class follows the outcome, whatever the text claims */
	res.esc_class = outcome == MDA_OK ? 2 : outcome == MDA_TEMPFAIL ? 4 : 5;
	if (d->ctx->queue)
		ipc_send(d->ctx->queue, IMSG_MDA_RESULT, 0, -1, &res,
		    sizeof(res));
	mda_finish(d);
}

/*
 * The daemon stops: every running delivery's process group (deliver and
 * its command) gets sig. Their envelopes stay queued; the next start
 * checks the Maildir before delivering them again. Not one outlives the
 * daemon to race that next start.
 */
void
parent_mda_kill(struct mda_ctx *c, int sig)
{
	struct mda *d;

	TAILQ_FOREACH(d, &c->running, entry)
		if (d->pid > 0)
			kill(-d->pid, sig);
	/* idle agents too: none may outlive the daemon */
	parent_agent_kill_all(c->agents, sig);
}

/* At exit, after SIGKILL: reap them, so none is left a zombie orphan. */
void
parent_mda_reap(struct mda_ctx *c)
{
	struct mda *d;
	int status;

	parent_mda_kill(c, SIGKILL);
	TAILQ_FOREACH(d, &c->running, entry)
		if (d->pid > 0)
			waitpid(d->pid, &status, 0);
	parent_agent_reap(c->agents);
}

static void
mda_finish(struct mda *d)
{
	struct mda_ctx *c = d->ctx;
	struct mda *w, *next;

	TAILQ_REMOVE(&c->running, d, entry);
	ctl_stat_decrement("mda.running", 1);
	ctl_stat_decrement("mda.envelope", 1);
	if (d->errfd != -1) {
		ev_io_stop(c->loop, &d->io);
		close(d->errfd);
	}
	if (d->pid > 0 || d->uireq != 0 || d->viaagent)
		ev_timer_stop(c->loop, &d->timer);
	if (d->msgfd != -1)
		close(d->msgfd);
	free(d);
	/* A slot is free: the first waiting delivery whose user has room. */
	TAILQ_FOREACH_SAFE(w, &c->waiting, entry, next)
		if (mda_user_running(c, w->env.mda_user) < MDA_PER_USER) {
			TAILQ_REMOVE(&c->waiting, w, entry);
			ctl_stat_decrement("mda.pending", 1);
			mda_start(w);
			break;
		}
	mda_stat_users(c);
}

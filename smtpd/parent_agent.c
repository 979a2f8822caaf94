/*
 * parent_agent.c: the parent's deliver agents. A maildir or mbox-file
 * delivery goes to a `deliver -A -d USER [-u IDS]` process that has
 * become the user and serves one request after another on descriptor 3
 * (smtpd/agent_msg.h), instead of a fork and exec of deliver each time:
 * the loader and NSS cost ~1.5 ms per delivery, the largest cost end to
 * end. Called by parent_mda.c, which keeps each delivery's time limit;
 * agent_pool.c decides which agent serves and when one retires. An
 * agent is a child in a session of its own, like a one-shot deliver:
 * this file starts, signals and reaps it, and none outlives the daemon.
 * Never trusts a reply beyond its length: a short one drops the agent.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/fdpass.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/agent_msg.h"
#include "smtpd/agent_pool.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/parent_agent.h"

#define AGENT_FD	3	/* the agent's end of its socketpair */
#define AGENT_START_ARGS 8	/* deliver -A -d USER -u IDS */

struct agent {
	struct agent_slot	 slot;
	struct agent_ctx	*ctx;
	pid_t			 pid;
	int			 fd;		/* -1 once closed */
	ev_io			 io;
	ev_child		 child;
	agent_done_fn		 done;		/* set while a delivery is out */
	void			*arg;
};

struct agent_ctx {
	struct ev_loop		*loop;
	char			 deliver[PATH_MAX];
	struct agent_pool	 pool;
	ev_timer		 idle;
};

static struct agent *agent_get(struct agent_ctx *, const char *,
		    const char *, int);
static struct agent *agent_start(struct agent_ctx *, const char *,
		    const char *);
static void	agent_exec(const char *, char **, int)
		    __attribute__((noreturn));
static void	agent_retire(struct agent *, const char *);
static void	agent_drop(struct agent *, const char *);
static void	agent_close(struct agent *);
static void	agent_signal(struct agent *, int);
static void	agent_io_cb(struct ev_loop *, ev_io *, int);
static void	agent_reply(struct agent *, const char *, ssize_t);
static void	agent_child_cb(struct ev_loop *, ev_child *, int);
static void	agent_idle_arm(struct agent_ctx *);
static void	agent_idle_cb(struct ev_loop *, ev_timer *, int);

struct agent_ctx *
parent_agent_new(struct ev_loop *loop, const char *deliver)
{
	struct agent_ctx *c;

	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	strlcpy(c->deliver, deliver, sizeof(c->deliver));
	agent_pool_init(&c->pool, AGENT_IDLE_MAX);
	ev_timer_init(&c->idle, agent_idle_cb, AGENT_IDLE, 0);
	c->idle.data = c;
	return c;
}

struct agent *
parent_agent_deliver(struct agent_ctx *c, const char *user, const char *ids,
    char *const argv[], int msgfd, agent_done_fn done, void *arg)
{
	char req[AGENT_REQ_MAX];
	struct agent *a;
	ssize_t len;
	int fresh;

	if ((len = agent_msg_request(argv, req, sizeof(req))) == -1) {
		log_warnx("parent event=agent-send user=%s "
		    "error=\"request too long\"", user);
		return NULL;
	}
	/* An idle agent may have died unseen: then one fresh start. */
	for (fresh = 0; fresh < 2; fresh++) {
		if ((a = agent_get(c, user, ids, fresh)) == NULL)
			break;
		if (fdpass_send(a->fd, req, (size_t)len, msgfd) == 0) {
			a->done = done;
			a->arg = arg;
			break;
		}
		log_warn("parent event=agent-send pid=%d user=%s", (int)a->pid,
		    user);
		agent_drop(a, "send-failed");
		a = NULL;
	}
	agent_idle_arm(c);
	return a;
}

/* An idle agent of the key (unless fresh), else a new one; busy. */
static struct agent *
agent_get(struct agent_ctx *c, const char *user, const char *ids, int fresh)
{
	struct agent_slot *s;

	if (!fresh && (s = agent_pool_take(&c->pool, user, ids)) != NULL)
		return s->owner;
	if ((s = agent_pool_surplus(&c->pool, 1)) != NULL)
		agent_retire(s->owner, "surplus");
	return agent_start(c, user, ids);
}

static struct agent *
agent_start(struct agent_ctx *c, const char *user, const char *ids)
{
	char *argv[AGENT_START_ARGS];
	struct agent *a;
	int sv[2], n = 0;

	a = xcalloc(1, sizeof(*a));
	a->ctx = c;
	a->fd = -1;
	a->slot.owner = a;
	if (agent_slot_key(&a->slot, user, ids) == -1) {
		free(a);
		return NULL;
	}
	argv[n++] = "deliver";
	argv[n++] = "-A";
	argv[n++] = "-d";
	argv[n++] = a->slot.user;
	if (ids != NULL) {
		argv[n++] = "-u";
		argv[n++] = a->slot.ids;
	}
	argv[n] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("parent event=agent-start user=%s", user);
		free(a);
		return NULL;
	}
	if ((a->pid = fork()) == -1) {
		log_warn("parent event=agent-start user=%s", user);
		close(sv[0]);
		close(sv[1]);
		free(a);
		return NULL;
	}
	if (a->pid == 0)
		agent_exec(c->deliver, argv, sv[1]);
	close(sv[1]);
	a->fd = sv[0];
	ev_io_init(&a->io, agent_io_cb, a->fd, EV_READ);
	ev_child_init(&a->child, agent_child_cb, a->pid, 0);
	a->io.data = a->child.data = a;
	ev_io_start(c->loop, &a->io);
	ev_child_start(c->loop, &a->child);
	agent_pool_add(&c->pool, &a->slot);
	ctl_stat_set("mda.agent", (int64_t)c->pool.nall);
	log_info("parent event=agent-start pid=%d user=%s", (int)a->pid,
	    user);
	return a;
}

/*
 * The child: a session of its own (killed with its group), signals as
 * a fresh process, stdin and stdout on /dev/null, stderr the daemon's,
 * its socket as descriptor 3.
 */
static void
agent_exec(const char *path, char **argv, int sock)
{
	sigset_t none;
	int null;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1)
		_exit(EX_OSERR);
	/* dup2 onto itself would keep close-on-exec */
	if (sock == AGENT_FD ? fcntl(sock, F_SETFD, 0) == -1 :
	    dup2(sock, AGENT_FD) == -1)
		_exit(EX_OSERR);
	execv(path, argv);
	_exit(EX_OSERR);
}

/* Never taken again; closing its socket makes it exit (0). */
static void
agent_retire(struct agent *a, const char *reason)
{
	agent_pool_retire(&a->ctx->pool, &a->slot, reason);
	agent_close(a);
}

/* An agent in an unknown state: it goes now (killed before it sees EOF). */
static void
agent_drop(struct agent *a, const char *reason)
{
	agent_signal(a, SIGKILL);
	agent_retire(a, reason);
}

static void
agent_close(struct agent *a)
{
	if (a->fd == -1)
		return;
	ev_io_stop(a->ctx->loop, &a->io);
	close(a->fd);
	a->fd = -1;
}

static void
agent_signal(struct agent *a, int sig)
{
	kill(-a->pid, sig);
	kill(a->pid, sig);
}

static void
agent_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct agent *a = w->data;
	char buf[AGENT_REPLY_MAX + 1];
	ssize_t n;
	int fd;

	(void)loop;
	(void)revents;
	n = fdpass_recv(a->fd, buf, sizeof(buf), &fd);
	if (fd != -1)
		close(fd);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n == -1 && (errno == EMSGSIZE || errno == ETOOMANYREFS))
		n = 0;		/* oversized: as malformed as too short */
	else if (n <= 0) {
		/* It is going: its exit status tells the rest (reason=died). */
		agent_retire(a, NULL);
		return;
	}
	agent_reply(a, buf, n);
}

/* A datagram from the agent: the outcome of the delivery out. */
static void
agent_reply(struct agent *a, const char *buf, ssize_t n)
{
	struct agent_ctx *c = a->ctx;
	struct agent_slot *s;
	char text[AGENT_TEXT_MAX];
	agent_done_fn done = a->done;
	const char *out = text;
	int code;

	a->done = NULL;
	if (done == NULL ||
	    agent_msg_reply_parse(buf, (size_t)n, &code, text,
	    sizeof(text)) == -1) {
		log_warnx("parent event=agent-reply pid=%d user=%s "
		    "error=\"malformed reply\"", (int)a->pid, a->slot.user);
		agent_drop(a, "malformed");
		code = EX_TEMPFAIL;
		out = "4.3.0 malformed reply from the delivery agent";
	} else if (code == AGENT_REFUSED) {
		/* our request or its version is wrong: not the mail's fault */
		log_warnx("parent event=agent-reply pid=%d user=%s "
		    "error=\"refused: %s\"", (int)a->pid, a->slot.user, text);
		agent_retire(a, "refused");
		code = EX_TEMPFAIL;
		out = "4.3.0 the delivery agent refused the request";
	} else if (a->slot.state == AGENT_BUSY &&
	    agent_pool_release(&c->pool, &a->slot, ev_now(c->loop)) == -1)
		agent_close(a);
	if ((s = agent_pool_surplus(&c->pool, 0)) != NULL)
		agent_retire(s->owner, "surplus");
	agent_idle_arm(c);
	if (done != NULL)
		done(a->arg, code, out);
}

static void
agent_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct agent *a = w->data;
	struct agent_ctx *c = a->ctx;
	agent_done_fn done;
	void *arg;
	int st = w->rstatus;

	(void)revents;
	ev_child_stop(loop, w);
	/* Never taken again; a reply it sent before it went still counts. */
	agent_pool_retire(&c->pool, &a->slot, NULL);
	if (a->done != NULL && a->fd != -1)
		agent_io_cb(loop, &a->io, EV_READ);
	done = a->done;
	arg = a->arg;
	agent_close(a);
	agent_pool_remove(&c->pool, &a->slot);
	ctl_stat_set("mda.agent", (int64_t)c->pool.nall);
	log_info("parent event=agent-exit pid=%d user=%s uses=%u reason=%s "
	    "%s=%d", (int)a->pid, a->slot.user, a->slot.uses, a->slot.reason,
	    WIFSIGNALED(st) ? "signal" : "status",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	free(a);
	agent_idle_arm(c);
	if (done == NULL)
		return;
	done(arg, EX_TEMPFAIL, WIFSIGNALED(st) ?
	    "4.3.0 deliver died with a signal" : "4.3.0 delivery agent exited");
}

/* One timer for the pool: the oldest idle agent's AGENT_IDLE. */
static void
agent_idle_arm(struct agent_ctx *c)
{
	double at, now = ev_now(c->loop);

	ev_timer_stop(c->loop, &c->idle);
	if ((at = agent_pool_deadline(&c->pool)) < 0)
		return;
	ev_timer_set(&c->idle, at > now ? at - now : 0, 0);
	ev_timer_start(c->loop, &c->idle);
}

static void
agent_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_ctx *c = w->data;
	struct agent_slot *s;

	(void)revents;
	while ((s = agent_pool_expired(&c->pool, ev_now(loop))) != NULL)
		agent_retire(s->owner, "idle");
	agent_idle_arm(c);
}

void
parent_agent_kill(struct agent *a)
{
	agent_drop(a, "killed");
}

void
parent_agent_kill_all(struct agent_ctx *c, int sig)
{
	struct agent_slot *s;

	TAILQ_FOREACH(s, &c->pool.all, entry) {
		agent_pool_retire(&c->pool, s, "stop");
		agent_signal(s->owner, sig);
	}
	agent_idle_arm(c);
}

void
parent_agent_reap(struct agent_ctx *c)
{
	struct agent_slot *s;
	struct agent *a;
	int status;

	TAILQ_FOREACH(s, &c->pool.all, entry) {
		a = s->owner;
		agent_signal(a, SIGKILL);
		while (waitpid(a->pid, &status, 0) == -1 && errno == EINTR)
			;
	}
}

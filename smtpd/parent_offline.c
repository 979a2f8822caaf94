/*
 * parent_offline.c: the pick-up of SPOOL/offline/ (design.md "Spool",
 * spec/ctl.md section 9). sendmail writes a message there as a file of
 * its caller when smtpd is not running (ctl/sendmail_offline.c). Once
 * every role is ready, the parent looks at each file once: for a regular
 * file with one link and mode 0600 or stricter (a file sendmail wrote: no
 * symlink, nothing else), it forks, drops to the file's owner (uid, gid,
 * groups: never root for another user's file; started unprivileged, only
 * our own files are taken), and runs `sendmail -bO SOCKET` (smtpctl,
 * beside smtpd) with the file on stdin, which submits it through an
 * ordinary local session as that user. Exit 0: the file is removed; 65
 * (not an offline file) or 69 (refused for good): renamed NAME.failed and
 * left for the administrator; anything else: kept for the next start. At
 * most OFFLINE_PARALLEL at once. Never reads a file's content itself: the
 * parent parses nothing a user wrote; the owner's own sendmail does.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/spool.h"
#include "smtpd/parent_offline.h"

#define OFFLINE_PARALLEL	4
#define OFFLINE_TIMEOUT		300.0	/* seconds for one submission */
#define OFFLINE_ERR_MAX		512
#define OFFLINE_EX_DATAERR	65
#define OFFLINE_EX_UNAVAILABLE	69
#define OFFLINE_EX_OSERR	71

struct offline_job {
	TAILQ_ENTRY(offline_job) entry;
	struct offline_ctx	*ctx;
	char			 name[NAME_MAX + 1];
	uid_t			 uid;
	dev_t			 dev;
	ino_t			 ino;
	pid_t			 pid;
	int			 errfd;
	char			 err[OFFLINE_ERR_MAX];
	size_t			 errlen;
	int			 timedout;
	ev_io			 io;
	ev_child		 child;
	ev_timer		 timer;
};
TAILQ_HEAD(offline_list, offline_job);

struct offline_ctx {
	struct ev_loop		*loop;
	char			 dir[PATH_MAX];
	char			 smtpctl[PATH_MAX];
	char			 socket[CONFIG_PATH_MAX];
	int			 root;
	struct offline_list	 waiting;
	struct offline_list	 running;
	size_t			 nrunning;
};

static void	offline_scan(struct offline_ctx *);
static void	offline_next(struct offline_ctx *);
static void	offline_run(struct offline_job *);
static void	offline_child(struct offline_job *, int)
		    __attribute__((noreturn));
static void	offline_io_cb(struct ev_loop *, ev_io *, int);
static void	offline_child_cb(struct ev_loop *, ev_child *, int);
static void	offline_timer_cb(struct ev_loop *, ev_timer *, int);
static void	offline_done(struct offline_job *, int);
static int	offline_same(struct offline_job *);
static void	offline_free(struct offline_job *);

struct offline_ctx *
parent_offline_new(struct ev_loop *loop, const struct config *conf,
    const char *self)
{
	struct offline_ctx *c;
	const char *slash;

	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->root = geteuid() == 0;
	TAILQ_INIT(&c->waiting);
	TAILQ_INIT(&c->running);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", conf->queue_dir,
	    SPOOL_OFFLINE);
	strlcpy(c->socket, conf->control_socket, sizeof(c->socket));
	/* smtpctl sits beside smtpd, installed or in the build directory */
	slash = strrchr(self, '/');
	snprintf(c->smtpctl, sizeof(c->smtpctl), "%.*s/smtpctl",
	    slash ? (int)(slash - self) : 1, slash ? self : ".");
	return c;
}

void
parent_offline_start(struct offline_ctx *c)
{
	if (c == NULL)
		return;
	offline_scan(c);
	offline_next(c);
}

/* Every candidate file, once; anything odd is logged and left alone. */
static void
offline_scan(struct offline_ctx *c)
{
	struct offline_job *j;
	struct dirent *de;
	struct stat st;
	DIR *d;
	size_t n = 0;

	if ((d = opendir(c->dir)) == NULL) {
		log_warn("offline event=scan dir=%s", c->dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		/* .tmp-* being written, NAME.failed kept aside, . and .. */
		if (strchr(de->d_name, '.') != NULL)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
		    (st.st_mode & 077) != 0) {
			log_warnx("offline event=skip file=%s reason=\"not a "
			    "private regular file with one link\"",
			    de->d_name);
			continue;
		}
		if (!c->root && st.st_uid != getuid()) {
			log_warnx("offline event=skip file=%s uid=%u reason="
			    "\"another user's file, smtpd is not root\"",
			    de->d_name, (unsigned int)st.st_uid);
			continue;
		}
		j = xcalloc(1, sizeof(*j));
		j->ctx = c;
		strlcpy(j->name, de->d_name, sizeof(j->name));
		j->uid = st.st_uid;
		j->dev = st.st_dev;
		j->ino = st.st_ino;
		j->errfd = -1;
		TAILQ_INSERT_TAIL(&c->waiting, j, entry);
		n++;
	}
	closedir(d);
	if (n > 0)
		log_info("offline event=found files=%zu", n);
}

static void
offline_next(struct offline_ctx *c)
{
	struct offline_job *j;

	while (c->nrunning < OFFLINE_PARALLEL &&
	    (j = TAILQ_FIRST(&c->waiting)) != NULL) {
		TAILQ_REMOVE(&c->waiting, j, entry);
		TAILQ_INSERT_TAIL(&c->running, j, entry);
		c->nrunning++;
		offline_run(j);
	}
}

static void
offline_run(struct offline_job *j)
{
	struct offline_ctx *c = j->ctx;
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		log_warn("offline event=pipe file=%s", j->name);
		offline_done(j, -1);
		return;
	}
	if ((j->pid = fork()) == -1) {
		log_warn("offline event=fork file=%s", j->name);
		close(pfd[0]);
		close(pfd[1]);
		offline_done(j, -1);
		return;
	}
	if (j->pid == 0) {
		close(pfd[0]);
		offline_child(j, pfd[1]);
	}
	close(pfd[1]);
	j->errfd = pfd[0];
	fcntl(j->errfd, F_SETFL, O_NONBLOCK);
	ev_io_init(&j->io, offline_io_cb, j->errfd, EV_READ);
	ev_child_init(&j->child, offline_child_cb, j->pid, 0);
	ev_timer_init(&j->timer, offline_timer_cb, OFFLINE_TIMEOUT, 0);
	j->io.data = j->child.data = j->timer.data = j;
	ev_io_start(c->loop, &j->io);
	ev_child_start(c->loop, &j->child);
	ev_timer_start(c->loop, &j->timer);
	log_debug("offline event=submit file=%s uid=%u pid=%d", j->name,
	    (unsigned int)j->uid, (int)j->pid);
}

/* In the child: open, check, become the owner, run sendmail -bO. */
static void
offline_child(struct offline_job *j, int errfd)
{
	struct offline_ctx *c = j->ctx;
	struct passwd *pw;
	struct stat st;
	sigset_t none;
	char path[PATH_MAX + NAME_MAX + 2];
	char *argv[] = { "sendmail", "-bO", c->socket, NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	gid_t gid;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (dup2(errfd, STDOUT_FILENO) == -1 ||
	    dup2(errfd, STDERR_FILENO) == -1)
		_exit(OFFLINE_EX_OSERR);
	snprintf(path, sizeof(path), "%s/%s", c->dir, j->name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY)) == -1 || fstat(fd, &st) == -1) {
		dprintf(STDERR_FILENO, "open: %s\n", strerror(errno));
		_exit(OFFLINE_EX_OSERR);
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_mode & 077) != 0 || st.st_uid != j->uid ||
	    st.st_dev != j->dev || st.st_ino != j->ino) {
		dprintf(STDERR_FILENO, "the file changed\n");
		_exit(OFFLINE_EX_OSERR);
	}
	if (c->root) {
		if ((pw = getpwuid(st.st_uid)) == NULL) {
			dprintf(STDERR_FILENO, "no user with uid %u\n",
			    (unsigned int)st.st_uid);
			_exit(OFFLINE_EX_OSERR);
		}
		gid = pw->pw_gid;
		if (setgroups(1, &gid) == -1 ||
		    setresgid(gid, gid, gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
			dprintf(STDERR_FILENO, "cannot become uid %u: %s\n",
			    (unsigned int)pw->pw_uid, strerror(errno));
			_exit(OFFLINE_EX_OSERR);
		}
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || dup2(fd, STDIN_FILENO) == -1 ||
	    chdir("/") == -1)
		_exit(OFFLINE_EX_OSERR);
	execve(c->smtpctl, argv, envp);
	dprintf(STDERR_FILENO, "exec %s: %s\n", c->smtpctl, strerror(errno));
	_exit(OFFLINE_EX_OSERR);
}

static void
offline_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct offline_job *j = w->data;
	char buf[256];
	ssize_t n;

	(void)revents;
	n = read(j->errfd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ev_io_stop(loop, w);
		return;
	}
	if (j->errlen + (size_t)n >= sizeof(j->err))
		n = (ssize_t)(sizeof(j->err) - 1 - j->errlen);
	memcpy(j->err + j->errlen, buf, (size_t)n);
	j->errlen += (size_t)n;
	j->err[j->errlen] = '\0';
}

static void
offline_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct offline_job *j = w->data;

	(void)loop;
	(void)revents;
	j->timedout = 1;
	kill(-j->pid, SIGKILL);
	kill(j->pid, SIGKILL);
}

static void
offline_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct offline_job *j = w->data;
	int st = w->rstatus;

	(void)revents;
	ev_child_stop(loop, w);
	offline_io_cb(loop, &j->io, EV_READ);
	j->pid = 0;
	if (j->timedout)
		offline_done(j, -1);
	else
		offline_done(j, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* The name still is the file that was submitted. */
static int
offline_same(struct offline_job *j)
{
	struct stat st;
	char path[PATH_MAX + NAME_MAX + 2];

	snprintf(path, sizeof(path), "%s/%s", j->ctx->dir, j->name);
	return lstat(path, &st) == 0 && st.st_dev == j->dev &&
	    st.st_ino == j->ino;
}

static void
offline_done(struct offline_job *j, int status)
{
	struct offline_ctx *c = j->ctx;
	char path[PATH_MAX + NAME_MAX + 2], failed[PATH_MAX + NAME_MAX + 16];
	size_t i;

	/* sendmail's message on one log line, nothing it can forge there */
	while (j->errlen > 0 && j->err[j->errlen - 1] == '\n')
		j->err[--j->errlen] = '\0';
	for (i = 0; i < j->errlen; i++)
		if ((unsigned char)j->err[i] < ' ' || j->err[i] == 0x7f ||
		    j->err[i] == '"')
			j->err[i] = j->err[i] == '\n' ? ' ' : '?';
	snprintf(path, sizeof(path), "%s/%s", c->dir, j->name);
	if (status == 0) {
		if (offline_same(j) && unlink(path) == -1)
			log_warn("offline event=unlink file=%s", j->name);
		log_info("offline event=submitted file=%s uid=%u result=Ok",
		    j->name, (unsigned int)j->uid);
	} else if (status == OFFLINE_EX_DATAERR ||
	    status == OFFLINE_EX_UNAVAILABLE) {
		snprintf(failed, sizeof(failed), "%s.failed", path);
		if (offline_same(j) && rename(path, failed) == -1)
			log_warn("offline event=rename file=%s", j->name);
		log_warnx("offline event=failed file=%s uid=%u status=%d "
		    "result=PermFail kept=%s.failed error=\"%s\"", j->name,
		    (unsigned int)j->uid, status, j->name, j->err);
	} else
		log_warnx("offline event=deferred file=%s uid=%u status=%d "
		    "result=TempFail error=\"%s\"", j->name,
		    (unsigned int)j->uid, status, j->timedout ? "timeout" :
		    j->err);
	TAILQ_REMOVE(&c->running, j, entry);
	c->nrunning--;
	offline_free(j);
	offline_next(c);
}

static void
offline_free(struct offline_job *j)
{
	struct offline_ctx *c = j->ctx;

	if (j->errfd != -1) {
		ev_io_stop(c->loop, &j->io);
		close(j->errfd);
	}
	ev_timer_stop(c->loop, &j->timer);
	free(j);
}

/* The daemon stops: running submissions are stopped, files kept. */
void
parent_offline_kill(struct offline_ctx *c, int sig)
{
	struct offline_job *j;

	if (c == NULL)
		return;
	while ((j = TAILQ_FIRST(&c->waiting)) != NULL) {
		TAILQ_REMOVE(&c->waiting, j, entry);
		free(j);
	}
	TAILQ_FOREACH(j, &c->running, entry)
		if (j->pid > 0) {
			kill(-j->pid, sig);
			kill(j->pid, sig);
		}
}

void
parent_offline_reap(struct offline_ctx *c)
{
	struct offline_job *j;
	int status;

	if (c == NULL)
		return;
	parent_offline_kill(c, SIGKILL);
	TAILQ_FOREACH(j, &c->running, entry)
		if (j->pid > 0)
			waitpid(j->pid, &status, 0);
}

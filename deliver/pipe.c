/*
 * pipe.c: delivery to a command (delivery.md §6): /bin/sh -c COMMAND as
 * the user (deliver has already become the user), cwd HOME, umask 077,
 * a new session, only the environment of §6, every other descriptor
 * closed. The message (trace fields, LF endings) is written to its stdin
 * while stdout and stderr are read (the first PIPE_OUTPUT_MAX bytes kept);
 * the time limit ends with SIGTERM, then SIGKILL, to its process group.
 * The exit status decides (pipe_status.c); EPIPE is not an error.
 * Called by main.c, never as root. The command line is the user's own
 * (or the admin's): addresses reach it only through the environment.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "lib/log.h"

#define PIPE_SHELL	"/bin/sh"
#define PIPE_ENV_MAX	12
#define PIPE_POLL_MS	100	/* while descriptors are open */
#define PIPE_REAP_MS	10	/* both closed: waiting for the exit */
#define PIPE_DRAIN_MAX	64	/* reads after the exit */

struct pipe_io {
	pid_t			 pid;
	int			 in;		/* command's stdin, -1 closed */
	int			 out;		/* its stdout+stderr */
	const struct buf	*hdrs;
	size_t			 hoff;
	struct msgread		 rd;
	uint8_t			 chunk[MSGSRC_CHUNK];
	size_t			 clen, coff;
	char			 output[PIPE_OUTPUT_MAX];
	size_t			 outlen;
	int			 readerr;
};

static void	pipe_env(struct buf *, char **, const struct dlv_request *);
static void	pipe_child(const char *, int, int, char **, pid_t)
		    __attribute__((noreturn));
static void	pipe_kill(pid_t, int);
static void	pipe_feed(struct pipe_io *);
static int	pipe_read(struct pipe_io *);
static long	pipe_ms(const struct timespec *, const struct timespec *);

/* The environment of §6, NUL-separated in b, pointers in envp. */
static void
pipe_env(struct buf *b, char **envp, const struct dlv_request *r)
{
	size_t off[PIPE_ENV_MAX], i, n = 0;

#define PIPE_SETENV(...) do {				\
	off[n++] = b->len;				\
	buf_printf(b, __VA_ARGS__);			\
	buf_add(b, "", 1);				\
} while (0)
	PIPE_SETENV("DOMAIN=%s", r->final_addr.domain);
	if (r->tag[0] != '\0')
		PIPE_SETENV("EXTENSION=%s", r->tag);
	PIPE_SETENV("HOME=%s", r->user.home);
	PIPE_SETENV("LOCAL=%s", r->final_addr.local);
	PIPE_SETENV("LOGNAME=%s", r->user.name);
	PIPE_SETENV("ORIGINAL_RECIPIENT=%s", r->orig);
	PIPE_SETENV("PATH=%s", PIPE_PATH);
	PIPE_SETENV("RECIPIENT=%s", r->final);
	PIPE_SETENV("SENDER=%s", r->sender);
	PIPE_SETENV("SHELL=%s", PIPE_SHELL);
	PIPE_SETENV("USER=%s", r->user.name);
#undef PIPE_SETENV
	for (i = 0; i < n; i++)
		envp[i] = (char *)b->data + off[i];
	envp[n] = NULL;
}

/* In the child: become the command. Never returns. */
static void
pipe_child(const char *command, int in, int out, char **envp, pid_t parent)
{
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	sigset_t set;

	/*
	 * deliver killed (daemon stopped, timeout): the command goes too,
	 * also when deliver died before the setting was made.
	 */
	if (setsid() == -1 || prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    getppid() != parent || dup2(in, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 || dup2(out, STDERR_FILENO) == -1)
		_exit(EX_OSERR);
	closefrom(STDERR_FILENO + 1);
	umask(077);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	execve(PIPE_SHELL, argv, envp);
	_exit(EX_OSERR);
}

/* The whole process group; the child itself if setsid() has not run yet. */
static void
pipe_kill(pid_t pid, int sig)
{
	if (kill(-pid, sig) == -1)
		kill(pid, sig);
}

static long
pipe_ms(const struct timespec *from, const struct timespec *to)
{
	return (long)(to->tv_sec - from->tv_sec) * 1000 +
	    (to->tv_nsec - from->tv_nsec) / 1000000;
}

/* stdin is writable: the trace fields, then the message, then EOF. */
static void
pipe_feed(struct pipe_io *p)
{
	const uint8_t *data;
	size_t len;
	ssize_t n;

	if (p->hdrs != NULL && p->hoff < buf_avail(p->hdrs)) {
		data = buf_head(p->hdrs) + p->hoff;
		len = buf_avail(p->hdrs) - p->hoff;
	} else {
		if (p->coff == p->clen) {
			n = msgsrc_next(&p->rd, p->chunk, sizeof(p->chunk));
			if (n <= 0) {
				if (n == -1)
					p->readerr = errno;
				close(p->in);
				p->in = -1;
				return;
			}
			p->clen = (size_t)n;
			p->coff = 0;
		}
		data = p->chunk + p->coff;
		len = p->clen - p->coff;
	}
	if ((n = write(p->in, data, len)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		close(p->in);		/* EPIPE: the exit status decides */
		p->in = -1;
		return;
	}
	if (p->hdrs != NULL && p->hoff < buf_avail(p->hdrs))
		p->hoff += (size_t)n;
	else
		p->coff += (size_t)n;
}

/*
 * Output is readable: keep the first PIPE_OUTPUT_MAX bytes. 1 after data,
 * -1 when nothing is there yet, 0 at EOF (or an error: the same to us).
 */
static int
pipe_read(struct pipe_io *p)
{
	char buf[4096];
	size_t keep;
	ssize_t n;

	if ((n = read(p->out, buf, sizeof(buf))) == -1)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	if (n == 0)
		return 0;
	keep = sizeof(p->output) - p->outlen;
	if (keep > (size_t)n)
		keep = (size_t)n;
	memcpy(p->output + p->outlen, buf, keep);
	p->outlen += keep;
	return 1;
}

int
pipe_deliver(const struct dlv_request *r, struct msgsrc *m,
    const struct buf *hdrs, struct outcome *o)
{
	struct pipe_io *p;
	struct pollfd pfd[2];
	struct timespec now, deadline, killat;
	struct buf envbuf;
	char *envp[PIPE_ENV_MAX + 1];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int wstatus = 0, exited = 0, timedout = 0, killed = 0, i, nfd, ms;
	pid_t self;

	if (chdir(r->user.home) == -1) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot change to home "
		    "directory %s: %s", r->user.home, strerror(errno));
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "out of memory");
		return -1;
	}
	buf_init(&envbuf);
	pipe_env(&envbuf, envp, r);
	self = getpid();
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    (p->pid = fork()) == -1) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot run the command: "
		    "%s", strerror(errno));
		for (i = 0; i < 2; i++) {
			if (in[i] != -1)
				close(in[i]);
			if (out[i] != -1)
				close(out[i]);
		}
		buf_free(&envbuf);
		free(p);
		return -1;
	}
	if (p->pid == 0)
		pipe_child(r->path, in[0], out[1], envp, self);
	close(in[0]);
	close(out[1]);
	buf_free(&envbuf);
	p->in = in[1];
	p->out = out[0];
	p->hdrs = hdrs;
	msgsrc_reader(&p->rd, m, CONVERT_STRIP);
	fcntl(p->in, F_SETFL, O_NONBLOCK);
	fcntl(p->out, F_SETFL, O_NONBLOCK);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += r->timeout;
	for (;;) {
		if (waitpid(p->pid, &wstatus, killed ? 0 : WNOHANG) == p->pid)
			exited = 1;
		if (exited)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!timedout && pipe_ms(&now, &deadline) <= 0) {
			timedout = 1;
			pipe_kill(p->pid, SIGTERM);
			killat = now;
			killat.tv_sec += PIPE_KILL_DELAY;
		}
		if ((timedout && pipe_ms(&now, &killat) <= 0) || p->readerr) {
			pipe_kill(p->pid, SIGKILL);
			killed = 1;
			continue;
		}
		nfd = 0;
		if (p->out != -1) {
			pfd[nfd].fd = p->out;
			pfd[nfd++].events = POLLIN;
		}
		if (p->in != -1 && !timedout) {
			pfd[nfd].fd = p->in;
			pfd[nfd++].events = POLLOUT;
		}
		ms = nfd > 0 ? PIPE_POLL_MS : PIPE_REAP_MS;
		if (poll(pfd, (nfds_t)nfd, ms) <= 0)
			continue;
		for (i = 0; i < nfd; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == p->in)
				pipe_feed(p);
			else if (pipe_read(p) == 0) {
				close(p->out);
				p->out = -1;
			}
		}
	}
	for (i = 0; p->out != -1 && i < PIPE_DRAIN_MAX; i++)
		if (pipe_read(p) != 1)
			break;
	if (p->out != -1)
		close(p->out);
	if (p->in != -1)
		close(p->in);

	if (p->readerr)
		msgsrc_readerr(o, p->readerr);
	else
		pipe_status_outcome(o, wstatus, timedout, p->output,
		    p->outlen);
	free(p);
	return o->status == OUTCOME_OK ? 0 : -1;
}

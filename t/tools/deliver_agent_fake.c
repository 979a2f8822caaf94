/*
 * deliver_agent_fake.c: a stand-in for `deliver -A` in t/76-deliver-
 * agent.t, until the real agent mode exists and as a way to make an
 * agent misbehave. Installed as `deliver` beside a copy of smtpd, with
 * the real deliver as `real/deliver` (named deliver, as processes go):
 *
 *   deliver ARGS...          (no -A) execs real/deliver ARGS: pipes,
 *                            the spool and LMTP stay one-shot
 *   deliver -A -d USER [-u IDS]
 *                            serves smtpd/agent_msg.h requests on
 *                            descriptor 3, one at a time: each runs
 *                            real/deliver with the request's argv and
 *                            the message on stdin, and the reply is its
 *                            exit code and first stderr line. EOF: exit 0.
 *
 * Misbehaviour on demand, by the request's subaddress (-a TAG):
 * agent-die (SIGKILL itself while busy), agent-exit (exit 3 while busy),
 * agent-short (a 2-byte reply), agent-refuse (reply 76 and exit 76),
 * agent-hang (never answers, nor exits at EOF: only a kill ends it).
 * A request for another user, or for -p, -s or -L, is refused (76), as
 * the contract says. Test use only.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/fdpass.h"
#include "smtpd/agent_msg.h"

#define FAKE_FD		3

static char	fake_real[PATH_MAX];
static const char *fake_user;	/* -A -d USER */

static void	fake_serve(void) __attribute__((noreturn));
static const char *fake_opt(char **, const char *);
static int	fake_refused(char **);
static int	fake_misbehave(const char *);
static int	fake_run(char **, int, char *, size_t);
static void	fake_reply(int, const char *);

int
main(int argc, char **argv)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		err(EX_OSERR, "/proc/self/exe");
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	if (snprintf(fake_real, sizeof(fake_real), "%s/real/deliver",
	    self) >= (int)sizeof(fake_real))
		errx(EX_OSERR, "path too long");
	if (argc >= 2 && strcmp(argv[1], "-A") == 0) {
		fake_user = fake_opt(argv, "-d");
		fake_serve();
	}
	execv(fake_real, argv);
	err(EX_OSERR, "%s", fake_real);
}

static void
fake_serve(void)
{
	char buf[AGENT_REQ_MAX], text[AGENT_TEXT_MAX];
	char *argv[AGENT_ARGV_MAX + 1];
	const char *tag;
	struct pollfd pfd;
	ssize_t n;
	int msg, code;

	for (;;) {
		pfd.fd = FAKE_FD;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(EX_OSERR, "poll");
		}
		if ((n = fdpass_recv(FAKE_FD, buf, sizeof(buf), &msg)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			err(EX_OSERR, "recv");
		}
		if (n == 0)
			exit(0);
		if (msg == -1 || agent_msg_request_parse(buf, (size_t)n,
		    argv) == -1 || fake_refused(argv)) {
			fake_reply(AGENT_REFUSED, "5.3.0 request refused");
			exit(AGENT_REFUSED);
		}
		if ((tag = fake_opt(argv, "-a")) == NULL ||
		    !fake_misbehave(tag)) {
			code = fake_run(argv, msg, text, sizeof(text));
			fake_reply(code, text);
		}
		close(msg);
	}
}

/* The value of option opt in argv, or NULL. */
static const char *
fake_opt(char **argv, const char *opt)
{
	int i;

	for (i = 1; argv[i] != NULL && argv[i + 1] != NULL; i++)
		if (strcmp(argv[i], opt) == 0)
			return argv[i + 1];
	return NULL;
}

/* Only -m and -M, only for the agent's own user. */
static int
fake_refused(char **argv)
{
	const char *d = fake_opt(argv, "-d");
	int i;

	for (i = 1; argv[i] != NULL; i++)
		if (strcmp(argv[i], "-p") == 0 || strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "-L") == 0)
			return 1;
	return d == NULL || fake_user == NULL || strcmp(d, fake_user) != 0;
}

/* 1 if tag asked for a misbehaviour that took the request's place. */
static int
fake_misbehave(const char *tag)
{
	if (strcmp(tag, "agent-die") == 0)
		kill(getpid(), SIGKILL);
	if (strcmp(tag, "agent-exit") == 0)
		exit(3);
	if (strcmp(tag, "agent-hang") == 0)
		for (;;)
			pause();
	if (strcmp(tag, "agent-refuse") == 0) {
		fake_reply(AGENT_REFUSED, "5.3.0 refused on demand");
		exit(AGENT_REFUSED);
	}
	if (strcmp(tag, "agent-short") != 0)
		return 0;
	/* then it waits for the next request, or its end */
	if (fdpass_send(FAKE_FD, "\0\0", 2, -1) == -1)
		exit(0);
	return 1;
}

/* real/deliver with the message on stdin: its exit code, first line. */
static int
fake_run(char **argv, int msg, char *text, size_t size)
{
	char buf[512];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int pfd[2], st;

	text[0] = '\0';
	if (pipe(pfd) == -1 || (pid = fork()) == -1) {
		snprintf(text, size, "4.3.0 fake agent: %s", strerror(errno));
		return EX_TEMPFAIL;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(msg, STDIN_FILENO) == -1 ||
		    dup2(pfd[1], STDERR_FILENO) == -1)
			_exit(EX_OSERR);
		close(FAKE_FD);
		execv(fake_real, argv);
		_exit(EX_OSERR);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0 || (n == -1 &&
	    errno == EINTR)) {
		if (n > 0 && len < size - 1) {
			if ((size_t)n > size - 1 - len)
				n = (ssize_t)(size - 1 - len);
			memcpy(text + len, buf, (size_t)n);
			len += (size_t)n;
		}
	}
	text[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return EX_OSERR;
	if (WIFSIGNALED(st)) {
		snprintf(text, size, "4.3.0 deliver died with a signal");
		return EX_TEMPFAIL;
	}
	return WEXITSTATUS(st);
}

static void
fake_reply(int code, const char *text)
{
	char buf[AGENT_REPLY_MAX];
	size_t len;

	len = agent_msg_reply(code, text, buf, sizeof(buf));
	if (fdpass_send(FAKE_FD, buf, len, -1) == -1)
		exit(0);	/* the parent is gone */
}

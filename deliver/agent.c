/*
 * agent.c: the request loop of deliver -A (agent.h for the wire format,
 * doc/deliver.8). Receives one request at a time on the daemon's socket,
 * puts its message on fd 0 and a memfd on fd 2, so that the delivery code
 * reads and reports exactly as in a one-shot run, and answers with the
 * exit status and the first line of that stderr. Called by main.c once
 * it has become the user. It never runs a request it cannot check, and
 * keeps no descriptor or memory from one request to the next: an agent
 * serves many. A request it cannot serve is answered EX_PROTOCOL, a
 * failure of its own EX_OSERR, and then it exits.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver/agent.h"
#include "lib/fdpass.h"
#include "lib/log.h"

static int	agent_recv(int, char *, size_t *, int *, struct dlv_refusal *);
static int	agent_argv(char *, size_t, char **, int *,
		    struct dlv_refusal *);
static int	agent_enter(struct agent *, int);
static int	agent_leave(struct agent *);
static int	agent_reply(int, int, const char *, size_t);
static int	agent_answer(struct agent *, int);
static int	agent_fail(struct agent *, const struct dlv_refusal *);

/*
 * Checks that fd is the daemon's socket and opens what every request
 * needs; -1 with ref set.
 */
int
agent_init(struct agent *a, int fd, struct dlv_refusal *ref)
{
	socklen_t len;
	int type;

	a->sock = fd;
	a->errfd = a->nullfd = a->savefd = -1;
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET)
		return options_refuse(ref, EX_USAGE, "-A: descriptor %d is not "
		    "a SOCK_SEQPACKET socket", fd);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    (a->errfd = memfd_create("deliver-stderr", MFD_CLOEXEC)) == -1 ||
	    (a->nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    (a->savefd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    dup2(a->nullfd, STDIN_FILENO) == -1) {
		options_refuse(ref, EX_OSERR, "-A: %s", strerror(errno));
		agent_close(a);
		return -1;
	}
	return 0;
}

void
agent_close(struct agent *a)
{
	int *fds[] = { &a->errfd, &a->nullfd, &a->savefd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] != -1) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

/*
 * One datagram into buf (AGENT_REQ_MAX) and its descriptor: 1 a request,
 * 0 the end (EOF or an empty datagram), -1 a protocol error. The
 * descriptors of anything but a request are closed (lib/fdpass.c).
 */
static int
agent_recv(int sock, char *buf, size_t *len, int *msgfd,
    struct dlv_refusal *ref)
{
	struct pollfd pfd;
	ssize_t got;
	int fd;

	pfd.fd = sock;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			return options_refuse(ref, EX_PROTOCOL, "poll: %s",
			    strerror(errno));
	if ((got = fdpass_recv(sock, buf, AGENT_REQ_MAX, &fd)) == -1)
		return options_refuse(ref, EX_PROTOCOL, "%s",
		    errno == EMSGSIZE ? "request too long" :
		    errno == ETOOMANYREFS ? "request with more than one "
		    "descriptor" : strerror(errno));
	if (got == 0) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	if (fd == -1)
		return options_refuse(ref, EX_PROTOCOL, "request without a "
		    "descriptor");
	*len = (size_t)got;
	*msgfd = fd;
	return 1;
}

/* Splits the request (len > 0) in place into argv; -1 if malformed. */
static int
agent_argv(char *buf, size_t len, char **argv, int *argc,
    struct dlv_refusal *ref)
{
	size_t off;
	int n = 0;

	if (buf[len - 1] != '\0')
		return options_refuse(ref, EX_PROTOCOL, "request not "
		    "NUL-terminated");
	for (off = 0; off < len; off += strlen(buf + off) + 1) {
		if (n == AGENT_ARGV_MAX)
			return options_refuse(ref, EX_PROTOCOL, "more than %d "
			    "strings in a request", AGENT_ARGV_MAX);
		argv[n++] = buf + off;
	}
	argv[n] = NULL;
	if (strcmp(argv[0], "deliver") != 0)
		return options_refuse(ref, EX_PROTOCOL, "request does not "
		    "start with \"deliver\"");
	*argc = n;
	return 0;
}

/*
 * Before a request: its message on fd 0, read from the start (the
 * delivery reads from the current offset; a pipe stays as it is), and
 * fd 2 into the emptied memfd. msgfd is closed either way.
 */
static int
agent_enter(struct agent *a, int msgfd)
{
	int ok, save;

	(void)lseek(msgfd, 0, SEEK_SET);
	/* fd 2 shares the memfd's offset: back to 0 with the size. */
	ok = ftruncate(a->errfd, 0) == 0 &&
	    lseek(a->errfd, 0, SEEK_SET) == 0 &&
	    dup2(msgfd, STDIN_FILENO) != -1 &&
	    dup2(a->errfd, STDERR_FILENO) != -1;
	save = errno;
	close(msgfd);
	errno = save;
	return ok ? 0 : -1;
}

/* After a request: the message closed, fd 2 back to the original. */
static int
agent_leave(struct agent *a)
{
	if (dup2(a->nullfd, STDIN_FILENO) == -1 ||
	    dup2(a->savefd, STDERR_FILENO) == -1)
		return -1;
	return 0;
}

/* One reply datagram: code, then text. -1 if it cannot be sent. */
static int
agent_reply(int sock, int code, const char *text, size_t len)
{
	char buf[sizeof(int32_t) + AGENT_TEXT_MAX];
	int32_t c = code;
	ssize_t n;

	if (len > AGENT_TEXT_MAX - 1)
		len = AGENT_TEXT_MAX - 1;
	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), text, len);
	do
		n = send(sock, buf, sizeof(c) + len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)(sizeof(c) + len) ? 0 : -1;
}

/* The reply of a delivery: its exit status and first stderr line. */
static int
agent_answer(struct agent *a, int code)
{
	char text[AGENT_TEXT_MAX];
	char *nl;
	ssize_t n;

	if ((n = pread(a->errfd, text, sizeof(text) - 1, 0)) == -1)
		n = 0;
	if ((nl = memchr(text, '\n', (size_t)n)) != NULL)
		n = nl - text;
	return agent_reply(a->sock, code, text, (size_t)n);
}

/*
 * The last reply, "4.3.0 agent: why" with the refusal's code, made one
 * printable line by outcome_set(). Returns the exit status.
 */
static int
agent_fail(struct agent *a, const struct dlv_refusal *ref)
{
	char text[AGENT_TEXT_MAX];
	struct outcome o;
	int n;

	outcome_set(&o, OUTCOME_TEMP, "4.3.0", "agent: %s", ref->why);
	log_warnx("result=TempFail reason=\"%s\"", o.text);
	n = snprintf(text, sizeof(text), "%s %s", o.esc, o.text);
	if (n < 0)
		n = 0;
	(void)agent_reply(a->sock, ref->code, text, (size_t)n);
	return ref->code;
}

/*
 * Serves requests until the end of the conversation (exit status 0), a
 * protocol error (EX_PROTOCOL), a failure of the agent (EX_OSERR) or a
 * reply that cannot be sent (EX_IOERR). Returns that status.
 */
int
agent_serve(struct agent *a, agent_run_fn fn, void *arg)
{
	char req[AGENT_REQ_MAX], *argv[AGENT_ARGV_MAX + 1];
	struct dlv_refusal ref;
	size_t len = 0;
	int argc = 0, msgfd = -1, code, r;

	for (;;) {
		if ((r = agent_recv(a->sock, req, &len, &msgfd, &ref)) == 0)
			return EX_OK;
		if (r == -1)
			return agent_fail(a, &ref);
		if (agent_argv(req, len, argv, &argc, &ref) == -1) {
			close(msgfd);
			return agent_fail(a, &ref);
		}
		if (agent_enter(a, msgfd) == -1) {
			options_refuse(&ref, EX_OSERR, "%s", strerror(errno));
			agent_leave(a);
			return agent_fail(a, &ref);
		}
		code = fn(argc, argv, &ref, arg);
		if (agent_leave(a) == -1) {
			options_refuse(&ref, EX_OSERR, "%s", strerror(errno));
			return agent_fail(a, &ref);
		}
		if (code == -1) {
			ref.code = EX_PROTOCOL;
			return agent_fail(a, &ref);
		}
		if (agent_answer(a, code) == -1)
			return EX_IOERR;
	}
}

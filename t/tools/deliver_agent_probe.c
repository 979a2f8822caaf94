/*
 * deliver_agent_probe.c: a test driver for deliver -A (deliver/agent.c),
 * used by t/53-deliver-agent.t. Starts DELIVER -A -d USER [-u IDS] with
 * one end of a SOCK_SEQPACKET socketpair on descriptor 3, stdin and
 * stdout on /dev/null and its own stderr, then reads commands on stdin,
 * one per line, words separated by blanks ('' is an empty word), and
 * answers each with one line on stdout:
 *
 *   req FILE ARG...	request "deliver" ARG... with FILE's descriptor,
 *			positioned at its end (the agent must rewind it)
 *			-> reply CODE TEXT | noreply | timeout
 *   nofd ARG...	the same request without a descriptor
 *   twofd FILE ARG...	the same request with FILE's descriptor twice
 *   big FILE N		a request of N bytes ("deliver", then 'x'...)
 *   empty		an empty datagram -> sent
 *   pid		-> pid PID
 *   fds		-> fds N, the entries of /proc/PID/fd
 *   wait		the agent's end -> exit N | signal N | timeout
 *   close		closes the socket, then as wait
 *   hold		a child that keeps our end of the socket open for
 *			30 s, so that the agent sees no EOF when we die
 *			-> holder PID
 *
 * usage: deliver-agent-probe deliver user [ids]. Test use only.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_ALARM	120	/* seconds: a hung probe is killed */
#define PROBE_WAIT_MS	30000	/* for a reply or the agent's exit */
#define PROBE_LINE_MAX	16384
#define PROBE_WORDS_MAX	64
#define PROBE_REQ_MAX	65536
#define PROBE_REPLY_MAX	4096

static pid_t	probe_start(const char *, const char *, const char *, int *);
static int	probe_words(char *, char **);
static size_t	probe_pack(char **, int, char *, size_t);
static void	probe_send(int, const char *, size_t, const char *, int);
static void	probe_reply(int);
static void	probe_fds(pid_t);
static void	probe_wait(pid_t);
static void	probe_hold(int);
static void	usage(void);

static void
usage(void)
{
	fprintf(stderr, "usage: deliver-agent-probe deliver user [ids]\n");
	exit(2);
}

/* The agent, its socket on fd 3; *sock is our end. */
static pid_t
probe_start(const char *deliver, const char *user, const char *ids,
    int *sock)
{
	int sv[2], null;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
		    dup2(null, STDIN_FILENO) == -1 ||
		    dup2(null, STDOUT_FILENO) == -1)
			_exit(127);
		/* dup2 onto itself would keep close-on-exec */
		if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) == -1 :
		    dup2(sv[1], 3) == -1)
			_exit(127);
		if (ids != NULL)
			execl(deliver, "deliver", "-A", "-d", user, "-u", ids,
			    (char *)NULL);
		else
			execl(deliver, "deliver", "-A", "-d", user,
			    (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

/* Splits line in place at blanks; '' is an empty word. */
static int
probe_words(char *line, char **w)
{
	char *p;
	int n = 0;

	for (p = strtok(line, " \t\n"); p != NULL; p = strtok(NULL, " \t\n")) {
		if (n == PROBE_WORDS_MAX)
			errx(1, "too many words");
		w[n++] = strcmp(p, "''") == 0 ? p + 2 : p;
	}
	return n;
}

/* "deliver" and the words, each with its NUL, into buf. */
static size_t
probe_pack(char **w, int n, char *buf, size_t size)
{
	size_t len = 0, l;
	int i;

	memcpy(buf, "deliver", sizeof("deliver"));
	len = sizeof("deliver");
	for (i = 0; i < n; i++) {
		l = strlen(w[i]) + 1;
		if (len + l > size)
			errx(1, "request too long");
		memcpy(buf + len, w[i], l);
		len += l;
	}
	return len;
}

/* One datagram with file's descriptor nfd times (file NULL: none). */
static void
probe_send(int sock, const char *buf, size_t len, const char *file, int nfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cbuf;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	int fd = -1, i;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (file != NULL) {
		if ((fd = open(file, O_RDONLY)) == -1)
			err(1, "%s", file);
		if (lseek(fd, 0, SEEK_END) == -1)
			err(1, "lseek");
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		for (i = 0; i < nfd; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd,
			    sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) == -1)
		printf("sendmsg %s\n", strerror(errno));
	if (fd != -1)
		close(fd);
}

static void
probe_reply(int sock)
{
	char buf[PROBE_REPLY_MAX];
	struct pollfd pfd;
	int32_t code;
	ssize_t n;

	pfd.fd = sock;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, PROBE_WAIT_MS) != 1) {
		printf("timeout\n");
		return;
	}
	n = recv(sock, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(code)) {
		printf("noreply\n");
		return;
	}
	memcpy(&code, buf, sizeof(code));
	printf("reply %d %.*s\n", (int)code, (int)(n - (ssize_t)sizeof(code)),
	    buf + sizeof(code));
}

static void
probe_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL) {
		printf("fds error %s\n", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	printf("fds %d\n", n);
}

/* Reaps the agent, polling: it must end by itself. */
static void
probe_wait(pid_t pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int status, ms;
	pid_t r;

	for (ms = 0; ms < PROBE_WAIT_MS; ms += 10) {
		if ((r = waitpid(pid, &status, WNOHANG)) == -1)
			err(1, "waitpid");
		if (r == pid) {
			if (WIFEXITED(status))
				printf("exit %d\n", WEXITSTATUS(status));
			else
				printf("signal %d\n", WTERMSIG(status));
			return;
		}
		nanosleep(&ts, NULL);
	}
	printf("timeout\n");
}

static void
probe_hold(int sock)
{
	pid_t pid;
	int null;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		/* sock is kept; the test's pipes are not */
		(void)sock;
		if ((null = open("/dev/null", O_RDWR)) != -1) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		sleep(30);
		_exit(0);
	}
	printf("holder %ld\n", (long)pid);
}

int
main(int argc, char *argv[])
{
	static char line[PROBE_LINE_MAX], req[PROBE_REQ_MAX];
	char *w[PROBE_WORDS_MAX];
	size_t len;
	pid_t pid;
	int sock, n;
	long big;

	if (argc != 3 && argc != 4)
		usage();
	signal(SIGPIPE, SIG_IGN);
	alarm(PROBE_ALARM);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = probe_start(argv[1], argv[2], argc == 4 ? argv[3] : NULL, &sock);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((n = probe_words(line, w)) == 0)
			continue;
		if (strcmp(w[0], "req") == 0 && n >= 2) {
			len = probe_pack(w + 2, n - 2, req, sizeof(req));
			probe_send(sock, req, len, w[1], 1);
			probe_reply(sock);
		} else if (strcmp(w[0], "twofd") == 0 && n >= 2) {
			len = probe_pack(w + 2, n - 2, req, sizeof(req));
			probe_send(sock, req, len, w[1], 2);
			probe_reply(sock);
		} else if (strcmp(w[0], "nofd") == 0) {
			len = probe_pack(w + 1, n - 1, req, sizeof(req));
			probe_send(sock, req, len, NULL, 0);
			probe_reply(sock);
		} else if (strcmp(w[0], "big") == 0 && n == 3) {
			big = strtol(w[2], NULL, 10);
			if (big <= (long)sizeof("deliver") || big > PROBE_REQ_MAX)
				errx(1, "big: bad size");
			memset(req, 'x', (size_t)big);
			memcpy(req, "deliver", sizeof("deliver"));
			req[big - 1] = '\0';
			probe_send(sock, req, (size_t)big, w[1], 1);
			probe_reply(sock);
		} else if (strcmp(w[0], "empty") == 0) {
			probe_send(sock, req, 0, NULL, 0);
			printf("sent\n");
		} else if (strcmp(w[0], "pid") == 0)
			printf("pid %ld\n", (long)pid);
		else if (strcmp(w[0], "fds") == 0)
			probe_fds(pid);
		else if (strcmp(w[0], "hold") == 0)
			probe_hold(sock);
		else if (strcmp(w[0], "wait") == 0)
			probe_wait(pid);
		else if (strcmp(w[0], "close") == 0) {
			close(sock);
			probe_wait(pid);
		} else
			errx(1, "unknown command %s", w[0]);
	}
	return 0;
}

/*
 * fdpass_test.c: unit tests for lib/fdpass.c on a SOCK_SEQPACKET
 * socketpair: a datagram with its descriptor arrives whole, close on
 * exec; one without has none; nothing waiting is EAGAIN; the peer's
 * close is 0; a datagram longer than the buffer or with two descriptors
 * is EMSGSIZE (too long) or ETOOMANYREFS (two descriptors) with every
 * descriptor closed; a send to a closed peer is
 * EPIPE without a signal.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/fdpass.h"

static int	sv[2];

static int
pair_setup(void **state)
{
	(void)state;
	return socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
}

static int
pair_teardown(void **state)
{
	(void)state;
	close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	return 0;
}

/* A descriptor of a pipe's read end, the write end in *w. */
static int
pipe_fd(int *w)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	*w = p[1];
	return p[0];
}

static void
test_with_fd(void **state)
{
	char buf[16];
	int r, w, fd;

	(void)state;
	r = pipe_fd(&w);
	assert_int_equal(fdpass_send(sv[0], "hello", 5, r), 0);
	close(r);
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* the same pipe: what goes in w comes out of fd */
	assert_int_equal(write(w, "x", 1), 1);
	assert_int_equal(read(fd, buf, 1), 1);
	assert_int_equal(buf[0], 'x');
	close(fd);
	close(w);
}

static void
test_without_fd(void **state)
{
	char buf[16];
	int fd = 7;

	(void)state;
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fd, -1);
	assert_int_equal(fdpass_send(sv[1], "\0\0\0\0ok", 6, -1), 0);
	assert_int_equal(fdpass_recv(sv[0], buf, sizeof(buf), &fd), 6);
	assert_int_equal(fd, -1);
	assert_memory_equal(buf, "\0\0\0\0ok", 6);
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(fdpass_recv(sv[0], buf, sizeof(buf), &fd), 0);
	assert_int_equal(fdpass_send(sv[0], "x", 1, -1), -1);
	assert_int_equal(errno, EPIPE);
}

static void
test_refused(void **state)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cbuf;
	struct cmsghdr *cmsg;
	char buf[4];
	int r, w, fds[2], fd;

	(void)state;
	/* longer than the buffer: its descriptor is closed, not leaked */
	r = pipe_fd(&w);
	assert_int_equal(fdpass_send(sv[0], "too long", 8, w), 0);
	close(w);
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(fd, -1);
	assert_int_equal(read(r, buf, 1), 0);	/* every writer gone */
	close(r);
	/* two descriptors */
	fds[0] = pipe_fd(&fds[1]);
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = "ab";
	iov.iov_len = 2;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 2);
	close(fds[1]);
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), -1);
	assert_int_equal(errno, ETOOMANYREFS);
	assert_int_equal(fd, -1);
	assert_int_equal(read(fds[0], buf, 1), 0);
	close(fds[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_with_fd, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_without_fd, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_refused, pair_setup,
		    pair_teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fdpass.c: send and receive one datagram with at most one descriptor.
 * Used by the parent's deliver agents (smtpd/parent_agent.c) and the
 * agent side; a truncated datagram or an extra descriptor is an error,
 * never half a request.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/fdpass.h"

#define FDPASS_FDS_MAX	4	/* room to see, and close, extra ones */

int
fdpass_send(int sock, const void *data, size_t len, int fd)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

ssize_t
fdpass_recv(int sock, void *buf, size_t size, int *fdp)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * FDPASS_FDS_MAX)];
	} cbuf;
	struct cmsghdr *cmsg;
	int fds[FDPASS_FDS_MAX], nfds = 0, i, k;
	ssize_t n;

	*fdp = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = size;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) == -1)
		if (errno != EINTR)
			return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k && nfds < FDPASS_FDS_MAX; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfds > 1) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		errno = msg.msg_flags & MSG_TRUNC ? EMSGSIZE : ETOOMANYREFS;
		return -1;
	}
	if (nfds == 1)
		*fdp = fds[0];
	return n;
}

/*
 * fdpass.h: one datagram with at most one descriptor (SCM_RIGHTS) over
 * a SOCK_SEQPACKET or SOCK_DGRAM socket, for the deliver agents' channel
 * (smtpd/parent_agent.c and deliver -A). Neither call blocks nor raises
 * SIGPIPE.
 */
#ifndef LIB_FDPASS_H
#define LIB_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* 0, or -1 with errno (EAGAIN: try later; EPIPE: the peer is gone). */
int	fdpass_send(int, const void *, size_t, int);
/*
 * The datagram's length (0: the peer closed), or -1 with errno (EAGAIN:
 * nothing yet; EMSGSIZE: longer than the buffer; ETOOMANYREFS: more than
 * one descriptor; either way every descriptor is closed). *fdp is the
 * descriptor received (close on exec) or -1.
 */
ssize_t	fdpass_recv(int, void *, size_t, int *);

#endif

/*
 * agent.h: deliver -A, one process serving many deliveries for one user
 * (doc/deliver.8, AGENT MODE). agent.c owns the socket, the wire format
 * and the descriptors around each request; main.c runs each request as
 * a one-shot run would.
 *
 * Request, one SOCK_SEQPACKET datagram of at most AGENT_REQ_MAX bytes
 * with exactly one descriptor (SCM_RIGHTS), the message: NUL-terminated
 * strings, at most AGENT_ARGV_MAX, an argv whose first is "deliver".
 * Reply, one datagram: an int32_t exit status in host byte order, then
 * the first line the delivery wrote to stderr, without its newline, at
 * most AGENT_TEXT_MAX - 1 bytes, not NUL-terminated, maybe empty.
 */
#ifndef DELIVER_AGENT_H
#define DELIVER_AGENT_H

#include "deliver/deliver.h"
#include "smtpd/agent_msg.h"	/* the limits, shared with the daemon */

#define AGENT_FD		3	/* the daemon's socket */

/*
 * Runs one request: argc/argv from the datagram (in its buffer), the
 * message on fd 0, fd 2 captured. Returns the exit status a one-shot
 * deliver would have had, or -1 with the refusal filled: a protocol
 * error, after which the agent answers and exits.
 */
typedef int	(*agent_run_fn)(int, char **, struct dlv_refusal *, void *);

struct agent {
	int		 sock;
	int		 errfd;		/* memfd: fd 2 during a request */
	int		 nullfd;	/* /dev/null: fd 0 between requests */
	int		 savefd;	/* fd 2 as started: between requests */
};

int	agent_init(struct agent *, int, struct dlv_refusal *);
int	agent_serve(struct agent *, agent_run_fn, void *);
void	agent_close(struct agent *);

#endif

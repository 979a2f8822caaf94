/*
 * proc.h: the daemon's processes, how their channels are numbered, and the
 * IPC message types they exchange. Shared by the parent and every role.
 *
 * Channels: every pair of processes has its own SOCK_SEQPACKET socketpair.
 * In a role process the channel to process P sits on descriptor
 * PROC_CHANNEL_FD(P); the role's own slot is unused. A test can start a
 * single role (`smtpd -x ROLE`) with only some of these descriptors open.
 */
#ifndef SMTPD_PROC_H
#define SMTPD_PROC_H

enum proc_id {
	PROC_PARENT,
	PROC_SMTP,
	PROC_LOOKUP,
	PROC_QUEUE,
	PROC_RELAY,
	PROC_CONTROL,
	PROC_COUNT
};

#define PROC_CHANNEL_FD_BASE	3
#define PROC_CHANNEL_FD(p)	(PROC_CHANNEL_FD_BASE + (p))
#define PROC_BIT(p)		(1u << (p))
#define PROC_ALL		((1u << PROC_COUNT) - 1)

const char	*proc_name(enum proc_id);
int		 proc_byname(const char *);

/*
 * Message types. Numbers are part of the internal protocol version
 * (IPC_VERSION): renumbering one needs a version bump.
 */
enum imsg_type {
	IMSG_PING = 1,		/* any -> any: payload echoed in IMSG_PONG */
	IMSG_PONG,
	IMSG_READY,		/* role -> parent: initialised, privileges dropped */
	IMSG_LISTENER,		/* parent -> smtp: listening socket + index */
	IMSG_CONTROL_SOCKET,	/* parent -> control: the control socket */
	IMSG_LISTENERS_DONE,	/* parent -> smtp: every listener was sent */
};

#define PING_MAX		256

#endif

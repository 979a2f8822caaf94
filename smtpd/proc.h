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

#include <stdint.h>

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

	/*
	 * smtp <-> lookup: recipient checks at RCPT (smtpd/lka_msg.h).
	 * The reply carries the request's reqid. An accepted recipient
	 * comes back as one IMSG_LKA_EXPANSION per final envelope (an
	 * encoded struct envelope, evpid 0-filled by lookup, assigned by
	 * smtp), then IMSG_LKA_RCPT_RESULT with the verdict.
	 */
	IMSG_LKA_RCPT,		/* smtp -> lookup: struct lka_rcpt_req, encoded */
	IMSG_LKA_EXPANSION,	/* lookup -> smtp: one envelope template */
	IMSG_LKA_RCPT_RESULT,	/* lookup -> smtp: struct lka_rcpt_res, encoded */

	/*
	 * smtp <-> queue: the message transaction (queue/queue_msg.h).
	 * CREATE makes incoming/<msgid>/ and answers with the message file
	 * (write-only) as a descriptor; smtp streams the body into it, sends
	 * one IMSG_QUEUE_ENVELOPE per recipient, then COMMIT. The commit
	 * reply comes only after everything is durable (design.md step 4).
	 * ROLLBACK discards an incoming message; it has no reply.
	 */
	IMSG_QUEUE_CREATE,	/* smtp -> queue: struct queue_create_req */
	IMSG_QUEUE_CREATE_RES,	/* queue -> smtp: struct queue_create_res + fd */
	IMSG_QUEUE_ENVELOPE,	/* smtp -> queue: encoded struct envelope */
	IMSG_QUEUE_COMMIT,	/* smtp -> queue: struct queue_commit_req */
	IMSG_QUEUE_COMMIT_RES,	/* queue -> smtp: struct queue_commit_res */
	IMSG_QUEUE_ROLLBACK,	/* smtp -> queue: struct queue_rollback_req */
	IMSG_QUEUE_SPACE,	/* queue -> smtp: struct queue_space, periodic */

	/*
	 * lookup <-> parent: ~/.forward (smtpd/parent_forward.h). OPEN
	 * carries a user name; the parent opens HOME/.forward as that user
	 * with the secure-file checks and answers FD (struct forward_res,
	 * the descriptor only with FORWARD_OK), same reqid.
	 */
	IMSG_LKA_FORWARD_OPEN,	/* lookup -> parent: user name (bytes) */
	IMSG_LKA_FORWARD_FD,	/* parent -> lookup: struct forward_res [+ fd] */

	/* queue <-> parent: local deliveries (queue/mda_msg.h) */
	IMSG_MDA_DELIVER,	/* queue -> parent: encoded envelope + message fd */
	IMSG_MDA_RESULT,	/* parent -> queue: struct mda_result */

	/*
	 * parent <-> lookup: a user of an action's userbase table, asked
	 * before a local delivery (aliases/userinfo_msg.h).
	 */
	IMSG_LKA_USERINFO,	/* parent -> lookup: action and user name */
	IMSG_LKA_USERINFO_RES,	/* lookup -> parent: uid, gid, home */

	/*
	 * smtp <-> queue: the LMTP front (lmtpd/). After a commit an LMTP
	 * session asks the queue to deliver the message's local envelopes
	 * at once; the queue answers with one outcome per envelope.
	 */
	IMSG_LMTP_DELIVER,	/* smtp -> queue: msgid and envelope list */
	IMSG_LMTP_RESULT,	/* queue -> smtp: per-envelope outcomes */

	/*
	 * control <-> roles: smtpctl commands (smtpd/ctl_msg.h). REQUEST
	 * carries an encoded struct ctl_request, reqid = the control role's
	 * client id; the role answers with IMSG_CTL_REPLY frames (encoded
	 * struct ctl_reply, same reqid, the last one flagged; a reply may
	 * carry a descriptor: CTL_SMTP_SESSION). STAT: struct ctl_stat, a
	 * counter for show stats. LOG: struct ctl_log, verbose and trace
	 * settings, control -> parent, then parent -> every role.
	 */
	IMSG_CTL_REQUEST,
	IMSG_CTL_REPLY,
	IMSG_CTL_STAT,
	IMSG_CTL_LOG,
	IMSG_CTL_ACK,		/* control -> role: one streamed reply frame
				 * reached the client (ctl_msg.h CTL_WINDOW) */

	/*
	 * smtp <-> lookup: AUTH (auth/auth_msg.h). The lookup role checks
	 * the login against the listener's credentials table in a worker
	 * thread (auth/auth_lookup.c) and answers with the request's reqid.
	 */
	IMSG_LKA_AUTH,		/* smtp -> lookup: struct auth_req, encoded */
	IMSG_LKA_AUTH_RES,	/* lookup -> smtp: struct auth_res, encoded */

	/*
	 * queue <-> relay: relay deliveries (queue/mda_msg.h, the same
	 * struct mda_result). One TRANSFER per due MTA envelope, with the
	 * message file read-only; one RESULT per envelope.
	 */
	IMSG_MTA_TRANSFER,	/* queue -> relay: encoded envelope + fd */
	IMSG_MTA_RESULT,	/* relay -> queue: struct mda_result */
	IMSG_MTA_FLUSH,		/* queue -> relay: `smtpctl schedule` lifts
				 * the destinations' holds (no payload) */

	/* relay <-> lookup: smarthost credentials (aliases/creds_msg.h) */
	IMSG_LKA_CREDS,		/* relay -> lookup: struct creds_req */
	IMSG_LKA_CREDS_RES,	/* lookup -> relay: struct creds_res */
};

#define PING_MAX		256

/* "QUEUE_COMMIT" for IMSG_QUEUE_COMMIT; NULL for a number with no name. */
const char	*imsg_name(uint32_t);

#endif

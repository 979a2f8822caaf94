/*
 * ctl_msg.h: the control protocol (design.md "Control socket", ctl.md).
 *
 * smtpctl <-> control role, over <rundir>/smtpd.sock (SOCK_STREAM, mode
 * 0666): every message is a frame, a 4-byte big-endian length (at most
 * CTL_FRAME_MAX) followed by that many bytes of a record stream
 * (lib/record.h). The client sends one request frame and reads reply
 * frames until one has `last` set; then it may send the next request or
 * close. A reply frame may carry one descriptor (SCM_RIGHTS on its first
 * byte): CTL_SMTP_SESSION answers with a socket already connected to a
 * local SMTP session (sendmail). A malformed frame closes that client
 * only. Every stream carries the protocol version; a client speaking
 * another version gets CTL_FAIL "protocol version mismatch".
 *
 * control role <-> other roles (smtpd/proc.h): IMSG_CTL_REQUEST carries
 * an encoded request with ipc reqid = the control role's client id;
 * the role answers with one or more IMSG_CTL_REPLY (encoded replies, the
 * same reqid, the final one with `last` set). Roles report counters for
 * `show stats` with IMSG_CTL_STAT (struct ctl_stat), kept by the control
 * role.
 *
 * Authorisation is the control role's, from the peer's SO_PEERCRED uid
 * (ctl.md: root or the daemon's uid for anything that changes state or
 * shows mail; CTL_SHOW_STATUS... see ctl_cmd_needs_root()). Roles trust
 * what the control role forwards.
 */
#ifndef SMTPD_CTL_MSG_H
#define SMTPD_CTL_MSG_H

#include <stddef.h>
#include <stdint.h>

#define CTL_PROTO_VERSION	1
#define CTL_FRAME_MAX		(64 * 1024)	/* a frame's stream */
#define CTL_ARG_MAX		255		/* table name, trace word */
#define CTL_TEXT_MAX		1023		/* a reply's text line */
#define CTL_DATA_MAX		(48 * 1024)	/* a reply's data */
#define CTL_STAT_KEY_MAX	63

enum ctl_cmd {
	CTL_SHOW_QUEUE = 1,	/* id: none (all) or msgid */
	CTL_SHOW_ENVELOPE,	/* id: evpid */
	CTL_SHOW_MESSAGE,	/* id: msgid or evpid */
	CTL_SHOW_STATS,
	CTL_SHOW_STATUS,
	CTL_PAUSE_ENVELOPE,	/* id: evpid, msgid or all */
	CTL_RESUME_ENVELOPE,
	CTL_SCHEDULE,
	CTL_REMOVE,
	CTL_PAUSE_MDA,
	CTL_RESUME_MDA,
	CTL_PAUSE_MTA,
	CTL_RESUME_MTA,
	CTL_PAUSE_SMTP,
	CTL_RESUME_SMTP,
	CTL_UPDATE_TABLE,	/* arg: table name */
	CTL_LOG_VERBOSE,
	CTL_LOG_BRIEF,
	CTL_TRACE,		/* arg: subsystem word */
	CTL_UNTRACE,
	CTL_SHOW_HOSTS,		/* relay issue: answered CTL_UNAVAILABLE */
	CTL_SHOW_HOSTSTATS,
	CTL_SHOW_RELAYS,
	CTL_SHOW_ROUTES,
	CTL_RESUME_ROUTE,
	CTL_SMTP_SESSION,	/* sendmail: a connected local session fd */
	CTL_CMD_MAX = CTL_SMTP_SESSION
};

enum ctl_id_kind {
	CTL_ID_NONE = 0,
	CTL_ID_MSGID,		/* id holds a msgid (low 32 bits) */
	CTL_ID_EVPID,
	CTL_ID_ALL,
};

struct ctl_request {
	uint32_t		 version;	/* CTL_PROTO_VERSION */
	enum ctl_cmd		 cmd;
	enum ctl_id_kind	 idkind;
	uint64_t		 id;
	char			 arg[CTL_ARG_MAX + 1];	/* "" if none */
};

enum ctl_status {
	CTL_OK = 0,		/* "command succeeded", or data follows */
	CTL_FAIL,		/* "command failed[: text]" */
	CTL_DENIED,		/* "permission denied" */
	CTL_UNAVAILABLE,	/* the part that answers is not built yet */
	CTL_NOTFOUND,		/* unknown envelope / message */
};

/*
 * One reply frame. `data`: show queue and show envelope carry encoded
 * envelopes (queue/envelope.h, one per frame, with runstate and delay in
 * `count`/`delay`), show message carries message bytes, show stats and
 * show status carry "key=value" / status lines in `text`.
 */
struct ctl_reply {
	uint32_t		 version;
	enum ctl_status		 status;
	int			 last;		/* no more frames for this request */
	uint64_t		 count;		/* envelopes paused/removed...; */
	int64_t			 delay;		/* show queue: DELAY field */
	uint8_t			 runstate;	/* show queue: enum sched_runstate */
	char			 text[CTL_TEXT_MAX + 1];
	const uint8_t		*data;		/* points into the decoded frame */
	size_t			 datalen;
};

/* A counter update for show stats (role -> control, IMSG_CTL_STAT). */
enum ctl_stat_op {
	CTL_STAT_INCREMENT,
	CTL_STAT_DECREMENT,
	CTL_STAT_SET,
};

struct ctl_stat {
	char			 key[CTL_STAT_KEY_MAX + 1];
	uint32_t		 op;		/* enum ctl_stat_op */
	int64_t			 value;
};

int	 ctl_request_encode(const struct ctl_request *, uint8_t **, size_t *);
int	 ctl_request_decode(const uint8_t *, size_t, struct ctl_request *);
int	 ctl_reply_encode(const struct ctl_reply *, uint8_t **, size_t *);
int	 ctl_reply_decode(const uint8_t *, size_t, struct ctl_reply *);
int	 ctl_cmd_needs_root(enum ctl_cmd);
const char *ctl_cmd_name(enum ctl_cmd);

#endif

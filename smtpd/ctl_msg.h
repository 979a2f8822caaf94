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
 *
 * Reply frames, per command (every request ends with a frame whose
 * `last` is set; a frame with empty text and no data prints nothing):
 *   an error (status != CTL_OK): one frame, last set, text = the reason
 *     ("" allowed). CTL_DENIED -> "permission denied"; CTL_UNAVAILABLE
 *     text "not available: ..."; CTL_NOTFOUND for show envelope/message.
 *   simple commands (log, trace, profile, pause/resume mda|mta|smtp,
 *     update table): one frame, CTL_OK, last set, text "".
 *   pause/resume envelope, schedule, remove: one frame, CTL_OK, last set,
 *     count = envelopes changed (already paused ones are not counted...).
 *   discover: one frame, CTL_OK, last set, count = envelopes found in
 *     the message's directory that were not in the queue's index and
 *     were added to the schedule (0 for an unknown message).
 *   show queue: one frame per envelope (last 0, data = the envelope,
 *     envelope_encode(), with runstate and delay set), then an empty
 *     frame with last set and count = the number sent. Empty queue: only
 *     that final frame.
 *   show envelope: one frame, last set, data = the envelope, runstate,
 *     delay.
 *   show message: frames of data (at most CTL_DATA_MAX bytes each, the
 *     message file as stored), then an empty frame with last set.
 *   show stats: one frame per line, text "key=value", sorted by key,
 *     uptime= and uptime.human= included (ctl.md 6.2: print as they
 *     are), then an empty frame with last set.
 *   show status: three frames, text "MDA running" / "MTA paused" ...,
 *     then an empty frame with last set.
 *   monitor (CTL_MONITOR): one frame per counter, text "key=value", then
 *     an empty frame with last set. Keys, in ctl.md 6.3 column order:
 *     clients connected disconnected envelopes enqueued dequeued ok
 *     tempfail permfail loop expired removed bounced; clients and
 *     envelopes are current values, the others totals since the start
 *     (the client prints the differences).
 *   show hosts, hoststats, relays, routes (the relay role): frames of
 *     data, whole "\n"-ended lines, at most CTL_DATA_MAX bytes each, then
 *     the rest in a frame with last set (an empty one if no line).
 *   resume route: one frame, last set: CTL_OK, or CTL_FAIL "no such
 *     route".
 *   CTL_SMTP_SESSION: one frame, last set, with the descriptor on CTL_OK.
 *
 * Flow control between a role and the control role: a role never has
 * more than CTL_WINDOW frames without `last` outstanding for one reqid;
 * the control role sends IMSG_CTL_ACK (no payload, same reqid) for each
 * such frame once it was written to the client (or dropped, the client
 * being gone). Frames with `last` set need no acknowledgement.
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
#define CTL_WINDOW		16		/* unacknowledged frames */

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
	CTL_SHOW_HOSTS,		/* the relay role's (deliver/relay_ctl.c) */
	CTL_SHOW_HOSTSTATS,
	CTL_SHOW_RELAYS,
	CTL_SHOW_ROUTES,
	CTL_RESUME_ROUTE,	/* arg: the route id, decimal */
	CTL_SMTP_SESSION,	/* sendmail: a connected local session fd */
	CTL_MONITOR,		/* monitor: the counters of ctl.md 6.3 */
	CTL_DISCOVER,		/* id: evpid or msgid */
	CTL_PROFILE,		/* arg: profiling subsystem word */
	CTL_UNPROFILE,
	CTL_CMD_MAX = CTL_UNPROFILE
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
	/*
	 * The client's uid (SO_PEERCRED), set by the control role before it
	 * forwards a request (CTL_SMTP_SESSION: the sender's identity). A
	 * client's own value is ignored: send 0.
	 */
	uint32_t		 uid;
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

/*
 * Log settings (IMSG_CTL_LOG, parent -> every role and the control role):
 * the whole state, not a change. verbose: log_setverbose(); trace: the
 * mask of lib/log.h TRACE_* flags; profile: of its PROFILE_* flags.
 */
struct ctl_log {
	uint32_t		 verbose;
	uint32_t		 trace;
	uint32_t		 profile;
};

int	 ctl_request_encode(const struct ctl_request *, uint8_t **, size_t *);
int	 ctl_request_decode(const uint8_t *, size_t, struct ctl_request *);
int	 ctl_reply_encode(const struct ctl_reply *, uint8_t **, size_t *);
int	 ctl_reply_decode(const uint8_t *, size_t, struct ctl_reply *);
int	 ctl_cmd_needs_root(enum ctl_cmd);
const char *ctl_cmd_name(enum ctl_cmd);
/* Copies printf output into r->text, control characters made '?'. */
void	 ctl_reply_text(struct ctl_reply *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * A trace keyword of ctl.md 7 (imsg io smtp filters mta bounce scheduler
 * expand lookup stat rules mproc all) to lib/log.h TRACE_* bits, ORed
 * into *mask; -1 if it is not one.
 */
int	 ctl_trace_word(const char *, int *);
/*
 * A profile keyword (smtpctl(8): imsg, queue) to lib/log.h PROFILE_*
 * bits, ORed into *mask; -1 if it is not one.
 */
int	 ctl_profile_word(const char *, int *);

#endif

/*
 * lmtp_policy.h: the LMTP front's per-recipient reply policy (protocol.md
 * A.8, design.md "The LMTP front"). Pure functions, no I/O, no globals:
 * which envelopes an LMTP session waits for (local mailbox deliveries),
 * what one recipient's reply is given the outcomes of its envelopes, and
 * the reply line itself. Used by the queue role (lmtp_sync.c: what to
 * answer, which failed envelopes the client now owns) and by the smtp
 * role (lmtp_front.c: the line on the wire).
 */
#ifndef LMTPD_LMTP_POLICY_H
#define LMTPD_LMTP_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct envelope;

/* Failure text on a reply line, sanitized, without the NUL. */
#define LMTP_TEXT_MAX		200
#define LMTP_REPLY_MAX		(LMTP_TEXT_MAX + 512)	/* whole line */

/* One envelope's outcome as the LMTP front sees it. */
enum lmtp_outcome {
	LMTP_QUEUED,		/* stays in our queue: relay, pipe, not
				 * tried in time, or kept after an error */
	LMTP_DELIVERED,
	LMTP_TEMPFAIL,
	LMTP_PERMFAIL,
};

struct lmtp_env_outcome {
	enum lmtp_outcome	 outcome;
	uint8_t			 esc_class;	/* 0, or 4, 5 for failures */
	uint16_t		 esc_subject;
	uint16_t		 esc_detail;
	const char		*text;		/* deliver's line, or NULL */
};

/* One recipient's reply. */
enum lmtp_verdict_kind {
	LMTP_V_DELIVERED,	/* every envelope delivered */
	LMTP_V_ACCEPTED,	/* we keep what is not delivered */
	LMTP_V_FAILED,		/* every envelope failed: the client owns it */
};

struct lmtp_verdict {
	enum lmtp_verdict_kind	 kind;
	uint16_t		 code;		/* 250, 451, 452, 550, 552 */
	uint8_t			 esc_class;
	uint16_t		 esc_subject;
	uint16_t		 esc_detail;
	char			 text[LMTP_TEXT_MAX + 1];	/* FAILED */
};

int	 lmtp_policy_sync(const struct config *, const struct envelope *);
void	 lmtp_policy_verdict(const struct lmtp_env_outcome *, size_t,
	    struct lmtp_verdict *);
void	 lmtp_policy_failure(enum lmtp_outcome, uint8_t, uint16_t, uint16_t,
	    const char *, struct lmtp_verdict *);
int	 lmtp_policy_valid(const struct lmtp_verdict *);
void	 lmtp_policy_sanitize(const char *, char *, size_t);
int	 lmtp_policy_reply(const struct lmtp_verdict *, const char *,
	    uint32_t, char *, size_t);

#endif

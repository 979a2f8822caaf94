/*
 * throttle.h: failed AUTH attempts, slowed down and cut off (protocol.md
 * A.7; issue 5): a pure state machine the smtp role keeps, with the time
 * passed in by the caller (so tests use a fake clock).
 *
 * Every failed authentication (a 535: wrong password, unknown user, a
 * refused PLAIN identity) is reported with auth_throttle_failure(). The
 * verdict says how long to wait before the reply - delay_ms doubles per
 * failure, 1 s, 2 s, 4 s, 8 s, capped - and whether the reply is the 535
 * or, at the session's AUTH_THROTTLE_SESSION_MAX-th failure (3), "421
 * 4.7.0 NAME Error: too many authentication failures" and the end of
 * the connection. The session must not read its next command before it
 * has sent the delayed reply.
 *
 * Per client address, failures are also remembered across sessions for
 * AUTH_THROTTLE_WINDOW_MS after the last one: the delay grows with the
 * address's count too, and once an address has AUTH_THROTTLE_CLIENT_MAX
 * failures in the window, auth_throttle_refused() says its AUTH commands
 * get the 421 at once, without a verification. The table is bounded
 * (AUTH_THROTTLE_CLIENTS addresses, the oldest forgotten first); the key
 * is whatever the caller passes (the address as text; an IPv6 caller may
 * pass its /64).
 */
#ifndef AUTH_THROTTLE_H
#define AUTH_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_THROTTLE_DELAY_MS		1000	/* the first failure */
#define AUTH_THROTTLE_DELAY_MAX_MS	8000
#define AUTH_THROTTLE_SESSION_MAX	3	/* A.7: then 421 and close */
#define AUTH_THROTTLE_CLIENT_MAX	10	/* per address in the window */
#define AUTH_THROTTLE_WINDOW_MS		(15 * 60 * 1000)
#define AUTH_THROTTLE_CLIENTS		1024	/* addresses remembered */
#define AUTH_THROTTLE_KEY_MAX		64	/* longer keys are cut */

#define AUTH_THROTTLE_REPLY_FMT \
	"421 4.7.0 %s Error: too many authentication failures"

struct auth_throttle_conf {
	uint64_t	delay_ms;
	uint64_t	delay_max_ms;
	unsigned	session_max;
	unsigned	client_max;	/* 0: no per-address memory */
	uint64_t	window_ms;
};

/* One session's count; zero it when the session starts. */
struct auth_throttle_sess {
	unsigned	failures;
};

struct auth_throttle_verdict {
	uint64_t	delay_ms;	/* wait this long before replying */
	int		close;		/* reply 421 and disconnect */
};

struct auth_throttle;

/* conf NULL: the defaults above. */
struct auth_throttle *auth_throttle_new(const struct auth_throttle_conf *);
void		auth_throttle_free(struct auth_throttle *);
/* One failed authentication of this session, from this address. */
void		auth_throttle_failure(struct auth_throttle *,
		    struct auth_throttle_sess *, const char *addr,
		    uint64_t now_ms, struct auth_throttle_verdict *);
/* 1 if an AUTH from addr is answered 421 at once (and the session ends). */
int		auth_throttle_refused(struct auth_throttle *, const char *addr,
		    uint64_t now_ms);
/* The address's failures in the window (0 if forgotten); for tests, logs. */
unsigned	auth_throttle_count(struct auth_throttle *, const char *addr,
		    uint64_t now_ms);

#endif

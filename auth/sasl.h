/*
 * sasl.h: one AUTH exchange of an SMTP session (RFC 4954), mechanisms
 * PLAIN (RFC 4616) and LOGIN, as a pure state machine over the lines the
 * client sends (spec/protocol.md A.7). The session feeds it the AUTH
 * arguments, then each response line; it answers with what to do next
 * and the reply line to send. It never verifies anything itself: a DONE
 * exchange hands a user name and a password to the verification
 * (auth/auth_msg.h, sent to the lookup role).
 *
 *	auth_sasl_command(&a, "PLAIN AGFsaWNlAHNlY3JldA==", len)
 *	  -> AUTH_SASL_DONE: verify a.user / a.passwd
 *	auth_sasl_command(&a, "LOGIN", 5)
 *	  -> AUTH_SASL_MORE: send a.reply ("334 VXNlcm5hbWU6"), read a line,
 *	     auth_sasl_step(&a, line, len) -> MORE ... -> DONE
 *
 * ERROR and FAIL end the exchange with a.reply. FAIL is a failed
 * authentication (535 5.7.8: the session counts it, auth/throttle.h, and
 * delays the reply like a wrong password); ERROR is a protocol error
 * (501, 504, 500) that is answered at once and not counted. Which part
 * of a PLAIN or LOGIN response was wrong is never told to the client.
 * Call auth_sasl_clear() when done: it wipes the password.
 */
#ifndef AUTH_SASL_H
#define AUTH_SASL_H

#include <stddef.h>

/*
 * RFC 4954 section 4: an AUTH command or response line of up to 12288
 * octets, CRLF included, must be accepted; a longer one is answered
 * AUTH_SASL_REPLY_TOOLONG. The session reads AUTH lines with this limit
 * (its usual command limit is smaller).
 */
#define AUTH_SASL_LINE_MAX	12288
#define AUTH_USER_MAX		255	/* authcid, authzid: octets */
#define AUTH_PASSWD_MAX		1024	/* password: octets */
#define AUTH_SASL_REPLY_MAX	80	/* longest reply line, with NUL */
/* the most a response line can decode to */
#define AUTH_SASL_DECODED_MAX	((AUTH_SASL_LINE_MAX - 2) / 4 * 3)

#define AUTH_SASL_REPLY_CANCELLED \
	"501 5.7.0 Authentication cancelled"
#define AUTH_SASL_REPLY_DECODE \
	"501 5.5.2 Cannot decode response"
#define AUTH_SASL_REPLY_SYNTAX \
	"501 5.5.4 Syntax: AUTH mechanism [initial-response]"
#define AUTH_SASL_REPLY_TOOLONG \
	"500 5.5.6 Authentication Exchange line is too long"
#define AUTH_SASL_REPLY_MECH \
	"504 5.5.4 Unrecognized authentication type"
#define AUTH_SASL_REPLY_INVALID \
	"535 5.7.8 Authentication credentials invalid"
/* Replies of the session, after the verification. */
#define AUTH_SASL_REPLY_OK \
	"235 2.7.0 Authentication successful"
#define AUTH_SASL_REPLY_TEMPFAIL \
	"454 4.7.0 Temporary authentication failure"

enum auth_sasl_mech {
	AUTH_MECH_NONE,
	AUTH_MECH_PLAIN,
	AUTH_MECH_LOGIN,
};

enum auth_sasl_status {
	AUTH_SASL_MORE,		/* send reply (334 ...), then step */
	AUTH_SASL_DONE,		/* user, passwd set: verify them */
	AUTH_SASL_ERROR,	/* send reply (5xx); over, not counted */
	AUTH_SASL_FAIL,		/* send reply (535) after the throttle delay */
};

struct auth_sasl {
	enum auth_sasl_mech	 mech;
	int			 state;		/* sasl.c's */
	int			 bad;		/* LOGIN: fail at the end */
	char			 user[AUTH_USER_MAX + 1];	/* authcid */
	char			 passwd[AUTH_PASSWD_MAX + 1];
	size_t			 passwdlen;
	char			 reply[AUTH_SASL_REPLY_MAX];
};

/*
 * The arguments of the AUTH command: "MECHANISM" or "MECHANISM SP
 * initial-response", len octets (no CRLF). A mechanism name is matched
 * without regard to case.
 */
enum auth_sasl_status auth_sasl_command(struct auth_sasl *, const char *arg,
	    size_t len);
/*
 * The same with the parts already split: mech NUL-terminated, initial
 * NULL when the command had no initial response ("=" is an empty one).
 */
enum auth_sasl_status auth_sasl_start(struct auth_sasl *, const char *mech,
	    const char *initial, size_t initlen);
/* A response line of the client (no CRLF) after a 334. */
enum auth_sasl_status auth_sasl_step(struct auth_sasl *, const char *line,
	    size_t len);
/* Wipes the exchange (password included); the struct may be reused. */
void	auth_sasl_clear(struct auth_sasl *);

enum auth_sasl_mech auth_sasl_mech_byname(const char *);
const char	*auth_sasl_mech_name(enum auth_sasl_mech);

#endif

/*
 * userinfo_msg.h: users of an action's `userbase <table>` (spec/tables.md
 * section 6.3) at delivery time. The lookup role owns the tables, so the
 * parent asks it before it starts `deliver` for such a user:
 *
 *   IMSG_LKA_USERINFO      parent -> lookup: struct userinfo_req
 *                          (action name and user name, with lengths)
 *   IMSG_LKA_USERINFO_RES  lookup -> parent: struct userinfo_res
 *                          (found / not found / temporary failure,
 *                          uid, gid, home), same reqid
 *
 * Both payloads have a fixed size (the IPC rules check it) and carry the
 * length of every string: a NUL or any byte inside a field cannot forge
 * another. The readers check every field before the values are used.
 * Also here: the one userbase lookup (recipient checks at RCPT and the
 * answer above use it), and the rule saying which user of an envelope
 * is a userbase user. Called by aliases/recipient.c, aliases/lookup.c,
 * smtpd/parent_mda.c and the unit tests; no I/O besides the table.
 */
#ifndef ALIASES_USERINFO_MSG_H
#define ALIASES_USERINFO_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "aliases/table.h"
#include "queue/envelope.h"
#include "smtpd/config.h"

#define USERINFO_ACTION_MAX	ENVELOPE_NAME_MAX
#define USERINFO_USER_MAX	ENVELOPE_USER_MAX
#define USERINFO_HOME_MAX	(TABLE_HOME_MAX - 1)	/* without its NUL */

enum userinfo_status {
	USERINFO_FOUND = 1,	/* uid, gid and home are set */
	USERINFO_NOTFOUND,	/* no such user in the userbase: 5.1.1 */
	USERINFO_TEMPFAIL,	/* table error, bad value: 4.3.0 */
};

struct userinfo_req {
	uint32_t	actionlen;
	uint32_t	userlen;
	char		action[USERINFO_ACTION_MAX];
	char		user[USERINFO_USER_MAX];
};

struct userinfo_res {
	uint32_t	status;		/* enum userinfo_status */
	uint32_t	uid;		/* never 0 when FOUND */
	uint32_t	gid;
	uint32_t	homelen;
	char		home[USERINFO_HOME_MAX];	/* absolute */
};

/*
 * The userbase entry of `user` (folded by the table) in the action's
 * userbase table. A value that is not UID:GID:HOME (or has uid 0) is a
 * temporary failure, logged: a broken table must not bounce mail.
 */
enum userinfo_status userinfo_lookup(struct tableset *,
	    const struct action *, const char *user, struct table_userinfo *);

/*
 * 1 if the user of this envelope (mda_user) is resolved through the
 * action's userbase rather than getpwnam(3): the action has a userbase
 * and no `user NAME`, and the envelope is not a pipe or file of an alias
 * or virtual table (those run as the system user MAIL_USER).
 */
int	userinfo_wanted(const struct action *, const struct envelope *);

/* Fills a request; -1 if a name does not fit. */
int	userinfo_req_make(struct userinfo_req *, const char *action,
	    const char *user);
/*
 * Reads a request (data, len as received) into NUL-terminated action
 * and user; -1 if malformed.
 */
int	userinfo_req_read(const void *, size_t, char *action, size_t,
	    char *user, size_t);
/* Reads an answer; -1 if malformed (status, lengths, uid 0, home). */
int	userinfo_res_read(const void *, size_t, struct userinfo_res *,
	    char *home, size_t);
/*
 * The lookup role's answer to a request (data, len): fills *res. -1 if
 * the request is malformed (the caller closes the channel).
 */
int	userinfo_answer(struct tableset *, const struct config *,
	    const void *, size_t, struct userinfo_res *);

#endif

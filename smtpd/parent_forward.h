/*
 * parent_forward.h: ~/.forward between the lookup role and the parent
 * (spec/delivery.md section 5, design.md: the parent opens the file as
 * the user with no-follow and secure-file checks, and passes the fd).
 * IMSG_LKA_FORWARD_OPEN: struct forward_req: the user name (1 to
 * FORWARD_USER_MAX bytes of [A-Za-z0-9_.+-]), and for a user of an
 * action's userbase (tables.md 6.3) its uid (never 0), gid and absolute
 * HOME, since only the lookup role reads the tables. IMSG_LKA_FORWARD_FD:
 * struct forward_res, with the read-only descriptor when status is
 * FORWARD_OK.
 */
#ifndef SMTPD_PARENT_FORWARD_H
#define SMTPD_PARENT_FORWARD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "lib/ipc.h"

#define FORWARD_USER_MAX	255
#define FORWARD_HOME_MAX	1023	/* a userbase HOME, without NUL */

enum forward_status {
	FORWARD_OK = 1,		/* fd attached: a secure, non-empty file */
	FORWARD_NONE,		/* no .forward (or a symlink, or empty) */
	FORWARD_TEMPFAIL,	/* I/O error, sticky HOME, too large */
	FORWARD_INSECURE,	/* a failed check: 451 4.7.0 */
};

struct forward_req {
	uint32_t	userbase;	/* 1: uid, gid, home are set */
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	userlen;
	uint32_t	homelen;
	char		user[FORWARD_USER_MAX];
	char		home[FORWARD_HOME_MAX];
};

/* Whose .forward: a passwd entry or a userbase entry. */
struct forward_who {
	const char	*name;
	uid_t		 uid;
	gid_t		 gid;
	const char	*home;
};

struct forward_res {
	uint32_t	status;		/* enum forward_status */
	uint32_t	uid;		/* the user's uid (0: root) */
};

/* 1 if user[0..len) is a valid request (length and characters). */
int	forward_user_valid(const char *user, size_t len);
/*
 * Opens HOME/.forward of system user `user` with every check: the fd
 * (FORWARD_OK) or -1 with *status. *uid is the user's uid.
 */
int	forward_open(const char *user, enum forward_status *status,
	    uid_t *uid);
/* The same for a user known by its ids and HOME (a userbase entry). */
int	forward_open_who(const struct forward_who *,
	    enum forward_status *status);
/* Fills a request: userbase if who != NULL. -1 if something is too long. */
int	forward_req_make(struct forward_req *, const char *user,
	    const struct forward_who *who);
/* The parent's handler of IMSG_LKA_FORWARD_OPEN: 0, or -1 if malformed. */
int	parent_forward(struct ipc_peer *, struct ipc_msg *);

#endif

/*
 * parent_forward.h: ~/.forward between the lookup role and the parent
 * (spec/delivery.md section 5, design.md: the parent opens the file as
 * the user with no-follow and secure-file checks, and passes the fd).
 * IMSG_LKA_FORWARD_OPEN: payload = the user name, 1..FORWARD_USER_MAX
 * bytes of [A-Za-z0-9_.+-], no NUL. IMSG_LKA_FORWARD_FD: struct
 * forward_res, with the read-only descriptor when status is FORWARD_OK.
 */
#ifndef SMTPD_PARENT_FORWARD_H
#define SMTPD_PARENT_FORWARD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "lib/ipc.h"

#define FORWARD_USER_MAX	255

enum forward_status {
	FORWARD_OK = 1,		/* fd attached: a secure, non-empty file */
	FORWARD_NONE,		/* no .forward (or a symlink, or empty) */
	FORWARD_TEMPFAIL,	/* I/O error, sticky HOME, too large */
	FORWARD_INSECURE,	/* a failed check: 451 4.7.0 */
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
/* The parent's handler of IMSG_LKA_FORWARD_OPEN: 0, or -1 if malformed. */
int	parent_forward(struct ipc_peer *, struct ipc_msg *);

#endif

/*
 * parent_forward.c: the parent opens a user's ~/.forward for the lookup
 * role (spec/delivery.md section 5; design.md "roles"). The lookup role
 * runs unprivileged and cannot read users' homes; the parent looks the
 * user up (getpwnam) - or, for a user of an action's userbase, takes the
 * uid, gid and HOME the lookup role read from that table (tables.md 6.3;
 * never uid 0) - opens HOME/.forward *as that user* (effective ids
 * switched around the open, supplementary groups reduced to the user's
 * primary group), with O_NOFOLLOW, checks the file and HOME, and passes
 * the read-only descriptor; it never reads the contents itself (the
 * lookup role parses them with aliasfmt).
 *
 * Why seteuid in the parent rather than a short fork: the parent is
 * single-threaded (libev, no threads), the switch covers one stat and one
 * open, and a fork per RCPT would cost more and need an asynchronous
 * wait. Failing to switch back is a broken invariant: fatal().
 *
 * Checks (delivery.md section 5): HOME sticky -> temporary failure;
 * HOME must be a directory owned by the user or root, not group- or
 * world-writable; ENOENT -> no forward; ELOOP (a symlink) -> ignored
 * with a warning; the file must be a regular file (a FIFO is refused,
 * O_NONBLOCK keeps the open from waiting for a writer) owned by the user,
 * not group- or world-writable, with one link only [project: a hard link
 * could make someone else's file look like ours]; size 0 -> no forward;
 * size >= 4096 -> temporary failure. Started by a non-root user (tests),
 * the open runs with our own ids.
 * Called from parent.c's dispatch; the request is from the lookup role
 * and checked (length, characters) before use. Trusting the lookup role
 * with a userbase entry grants it no more than the delivery does: the
 * parent runs deliver with the ids the same role answers (parent_mda.c).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/parent_forward.h"
#include "smtpd/proc.h"

#define FORWARD_NAME		".forward"
#define FORWARD_SIZE_MAX	4096	/* this size or more: temporary failure */
#define FORWARD_GROUPS_MAX	1024

struct forward_ids {
	int	switched;
	gid_t	egid;
	int	ngroups;
	gid_t	groups[FORWARD_GROUPS_MAX];
};

static int	forward_become(const struct forward_who *,
		    struct forward_ids *);
static void	forward_restore(struct forward_ids *);
static int	forward_home(const struct forward_who *, enum forward_status *);
static int	forward_req_read(const struct ipc_msg *, char *, size_t,
		    char *, size_t, struct forward_who *);
static int	forward_name_valid(const char *, size_t, int);

int
forward_user_valid(const char *user, size_t len)
{
	size_t i;

	if (len == 0 || len > FORWARD_USER_MAX || user[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((user[i] >= 'a' && user[i] <= 'z') ||
		    (user[i] >= 'A' && user[i] <= 'Z') ||
		    (user[i] >= '0' && user[i] <= '9') ||
		    strchr("_.+-", user[i]) != NULL) || user[i] == '\0')
			return 0;
	return 1;
}

/*
 * A system user's name is looked up in passwd: [A-Za-z0-9_.+-] only. A
 * userbase user's name is only logged (its HOME comes with it): any
 * local part, so no blank, control character or '/'.
 */
static int
forward_name_valid(const char *user, size_t len, int userbase)
{
	size_t i;

	if (!userbase)
		return forward_user_valid(user, len);
	if (len == 0 || len > FORWARD_USER_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)user[i] <= 0x20 || user[i] == 0x7f ||
		    user[i] == '/')
			return 0;
	return 1;
}

static int
forward_become(const struct forward_who *pw, struct forward_ids *ids)
{
	memset(ids, 0, sizeof(*ids));
	if (geteuid() != 0)
		return 0;
	ids->egid = getegid();
	if ((ids->ngroups = getgroups(FORWARD_GROUPS_MAX, ids->groups)) == -1)
		return -1;
	ids->switched = 1;
	if (setgroups(1, &pw->gid) == -1 || setegid(pw->gid) == -1 ||
	    seteuid(pw->uid) == -1) {
		log_warn("forward: cannot switch to uid %d", (int)pw->uid);
		forward_restore(ids);
		return -1;
	}
	return 0;
}

static void
forward_restore(struct forward_ids *ids)
{
	int save = errno;

	if (!ids->switched)
		return;
	if (seteuid(0) == -1 || setegid(ids->egid) == -1 ||
	    setgroups((size_t)ids->ngroups, ids->groups) == -1)
		fatal("forward: cannot restore the parent's ids");
	ids->switched = 0;
	errno = save;
}

/* HOME itself: 0 if the open may go on, else -1 with *status. */
static int
forward_home(const struct forward_who *pw, enum forward_status *status)
{
	struct stat st;

	if (stat(pw->home, &st) == -1) {
		*status = errno == ENOENT || errno == ENOTDIR ? FORWARD_NONE :
		    FORWARD_TEMPFAIL;
		return -1;
	}
	if (st.st_mode & S_ISVTX) {
		log_info("forward user=%s home=%s event=sticky-home "
		    "result=TempFail", pw->name, pw->home);
		*status = FORWARD_TEMPFAIL;
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != pw->uid &&
	    st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_warnx("forward user=%s home=%s error=\"insecure home\" "
		    "result=TempFail", pw->name, pw->home);
		*status = FORWARD_INSECURE;
		return -1;
	}
	return 0;
}

int
forward_open(const char *user, enum forward_status *status, uid_t *uid)
{
	struct forward_who who;
	struct passwd *pw;

	*uid = 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		*status = errno == 0 || errno == ENOENT || errno == ESRCH ?
		    FORWARD_NONE : FORWARD_TEMPFAIL;
		return -1;
	}
	*uid = pw->pw_uid;
	if (pw->pw_dir == NULL) {
		*status = FORWARD_NONE;
		return -1;
	}
	who.name = user;
	who.uid = pw->pw_uid;
	who.gid = pw->pw_gid;
	who.home = pw->pw_dir;
	return forward_open_who(&who, status);
}

int
forward_open_who(const struct forward_who *pw, enum forward_status *status)
{
	char path[PATH_MAX];
	struct forward_ids ids;
	struct stat st;
	const char *user = pw->name, *why = NULL;
	int fd, err;

	if (pw->home[0] != '/' ||
	    snprintf(path, sizeof(path), "%s/%s", pw->home, FORWARD_NAME) >=
	    (int)sizeof(path)) {
		*status = FORWARD_NONE;
		return -1;
	}
	if (forward_become(pw, &ids) == -1) {
		*status = FORWARD_TEMPFAIL;
		return -1;
	}
	if (forward_home(pw, status) == -1) {
		forward_restore(&ids);
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	err = errno;
	forward_restore(&ids);
	if (fd == -1) {
		switch (err) {
		case ENOENT:
		case ENOTDIR:
			*status = FORWARD_NONE;
			return -1;
		case ELOOP:
			log_warnx("forward user=%s path=%s warning=\"symbolic "
			    "link ignored\"", user, path);
			*status = FORWARD_NONE;
			return -1;
		case EACCES:
			/*
			 * Unprivileged, we cannot act as another user: what
			 * we may not read is not there for us (the same
			 * logged no-op as the privilege drop).
			 */
			if (geteuid() != 0) {
				log_debug("forward user=%s path=%s note=\"not "
				    "readable unprivileged\"", user, path);
				*status = FORWARD_NONE;
				return -1;
			}
			/* FALLTHROUGH */
		default:
			errno = err;
			log_warn("forward user=%s path=%s result=TempFail",
			    user, path);
			*status = FORWARD_TEMPFAIL;
			return -1;
		}
	}
	if (fstat(fd, &st) == -1) {
		*status = FORWARD_TEMPFAIL;
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != pw->uid)
		why = "not owned by the user";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		why = "group or world writable";
	else if (st.st_nlink != 1)
		why = "hard linked";
	if (why != NULL) {
		log_warnx("forward user=%s path=%s error=\"insecure: %s\" "
		    "result=TempFail", user, path, why);
		*status = FORWARD_INSECURE;
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		*status = FORWARD_NONE;
		close(fd);
		return -1;
	}
	if (st.st_size >= FORWARD_SIZE_MAX) {
		log_warnx("forward user=%s path=%s error=\"too large\" "
		    "result=TempFail", user, path);
		*status = FORWARD_TEMPFAIL;
		close(fd);
		return -1;
	}
	*status = FORWARD_OK;
	return fd;
}

int
forward_req_make(struct forward_req *q, const char *user,
    const struct forward_who *who)
{
	size_t ulen = strlen(user), hlen;

	memset(q, 0, sizeof(*q));
	if (!forward_name_valid(user, ulen, who != NULL))
		return -1;
	q->userlen = (uint32_t)ulen;
	memcpy(q->user, user, ulen);
	if (who == NULL)
		return 0;
	hlen = strlen(who->home);
	if (who->uid == 0 || hlen == 0 || hlen > sizeof(q->home) ||
	    who->home[0] != '/')
		return -1;
	q->userbase = 1;
	q->uid = (uint32_t)who->uid;
	q->gid = (uint32_t)who->gid;
	q->homelen = (uint32_t)hlen;
	memcpy(q->home, who->home, hlen);
	return 0;
}

/* The request, checked: the user, and who->name NULL unless userbase. */
static int
forward_req_read(const struct ipc_msg *m, char *user, size_t usersz,
    char *home, size_t homesz, struct forward_who *who)
{
	struct forward_req q;
	size_t i;

	memset(who, 0, sizeof(*who));
	if (m->len != sizeof(q))
		return -1;
	memcpy(&q, m->data, sizeof(q));
	if (q.userbase > 1 || q.userlen > sizeof(q.user) ||
	    q.userlen >= usersz ||
	    !forward_name_valid(q.user, q.userlen, q.userbase))
		return -1;
	memcpy(user, q.user, q.userlen);
	user[q.userlen] = '\0';
	if (!q.userbase)
		return 0;
	if (q.uid == 0 || q.homelen == 0 || q.homelen > sizeof(q.home) ||
	    q.homelen >= homesz || q.home[0] != '/')
		return -1;
	for (i = 0; i < q.homelen; i++)
		if ((unsigned char)q.home[i] < 0x20 || q.home[i] == 0x7f)
			return -1;
	memcpy(home, q.home, q.homelen);
	home[q.homelen] = '\0';
	who->name = user;
	who->uid = (uid_t)q.uid;
	who->gid = (gid_t)q.gid;
	who->home = home;
	return 0;
}

int
parent_forward(struct ipc_peer *peer, struct ipc_msg *m)
{
	char user[FORWARD_USER_MAX + 1], home[FORWARD_HOME_MAX + 1];
	struct forward_who who;
	struct forward_res res;
	enum forward_status status;
	uid_t uid;
	int fd;

	if (forward_req_read(m, user, sizeof(user), home, sizeof(home),
	    &who) == -1) {
		log_warnx("forward event=bad-request");
		return -1;
	}
	if (who.name != NULL) {
		uid = who.uid;
		fd = forward_open_who(&who, &status);
	} else
		fd = forward_open(user, &status, &uid);
	memset(&res, 0, sizeof(res));
	res.status = status;
	res.uid = (uint32_t)uid;
	log_debug("forward user=%s status=%d", user, (int)status);
	/* ipc_send owns fd from here (closed once sent) */
	ipc_send(peer, IMSG_LKA_FORWARD_FD, m->reqid, fd, &res, sizeof(res));
	return 0;
}

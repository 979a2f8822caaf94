/*
 * mbox.c: mbox delivery (delivery.md §3): the safe open or create of the
 * mailbox (§3.3 step 1), the "From " separator line, and the append of
 * §3.4 (mboxrd-quoted message through convert.c, fsync, truncation back
 * to the original size on any error). Locking is mbox_lock.c's.
 * Called by main.c: for the system spool file (-s) mbox_open and
 * mbox_lock run as root before the privilege drop, mbox_append always as
 * the user. It never follows a symbolic link, never writes to a file
 * with other links, and never leaves a partial message behind.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "lib/log.h"

#define MBOX_OPEN_TRIES		3	/* races with another creator */
#define MBOX_MAIL_GROUP		"mail"
#define MBOX_NULL_SENDER	"MAILER-DAEMON"

static int	mbox_create(struct mbox *, const struct dlv_user *,
		    struct outcome *);
static int	mbox_open_existing(struct mbox *, const struct stat *,
		    const struct dlv_user *, struct outcome *);

void
mbox_init(struct mbox *mb)
{
	memset(mb, 0, sizeof(*mb));
	mb->fd = -1;
}

/*
 * The separator line of §3.2: "From SENDER Www Mmm dd hh:mm:ss yyyy\n",
 * local time, asctime(3) layout; the null sender is MAILER-DAEMON, any
 * blank or control character of the sender becomes '_'. -1 if it does
 * not fit.
 */
int
mbox_fromline(char *out, size_t size, const char *sender, time_t t)
{
	char date[64], who[ADDR_MAILBOX_SIZE];
	struct tm tm;
	size_t i;
	int n;

	strlcpy(who, sender[0] != '\0' ? sender : MBOX_NULL_SENDER,
	    sizeof(who));
	for (i = 0; who[i] != '\0'; i++)
		if ((unsigned char)who[i] <= ' ' || who[i] == 0x7f)
			who[i] = '_';
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		return -1;
	n = snprintf(out, size, "From %s %s\n", who, date);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* An absent mailbox: create it exclusively; a spool file goes to the user. */
static int
mbox_create(struct mbox *mb, const struct dlv_user *u, struct outcome *o)
{
	char dir[sizeof(mb->path)];
	struct stat st;
	struct group *gr;
	mode_t mode = 0600;
	gid_t gid;

	mb->fd = open(mb->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (mb->fd == -1)
		return -1;			/* errno: the caller decides */
	if (mb->spool) {
		strlcpy(dir, mb->path, sizeof(dir));
		if (stat(dirname(dir), &st) == -1) {
			outcome_errno(o, errno, "stat the spool of %s",
			    mb->path);
			goto fail;
		}
		gid = st.st_gid;
		if ((gr = getgrnam(MBOX_MAIL_GROUP)) != NULL &&
		    gr->gr_gid == st.st_gid)
			mode = 0660;
		/* Not root (the user's own run): the file is already ours. */
		if ((geteuid() == 0 && fchown(mb->fd, u->uid, gid) == -1) ||
		    fchmod(mb->fd, geteuid() == 0 ? mode : 0600) == -1) {
			outcome_errno(o, errno, "give %s to %s", mb->path,
			    u->name);
			goto fail;
		}
	}
	if (fstat(mb->fd, &st) == -1) {
		outcome_errno(o, errno, "fstat %s", mb->path);
		goto fail;
	}
	mb->dev = st.st_dev;
	mb->ino = st.st_ino;
	return 0;

 fail:
	close(mb->fd);
	mb->fd = -1;
	unlink(mb->path);
	errno = 0;
	return -1;
}

/* A present mailbox: checks of §3.3 step 1, then the same inode opened. */
static int
mbox_open_existing(struct mbox *mb, const struct stat *lst,
    const struct dlv_user *u, struct outcome *o)
{
	struct stat st;
	int flags;

	if (S_ISCHR(lst->st_mode) && strcmp(mb->path, "/dev/null") == 0) {
		if ((mb->fd = open(mb->path, O_WRONLY | O_CLOEXEC)) == -1) {
			outcome_errno(o, errno, "open %s", mb->path);
			return -1;
		}
		mb->nolock = 1;
		return 0;
	}
	if (S_ISLNK(lst->st_mode) || !S_ISREG(lst->st_mode)) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox %s is not a "
		    "regular file", mb->path);
		return -1;
	}
	if (lst->st_nlink != 1) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox %s has %lu "
		    "links", mb->path, (unsigned long)lst->st_nlink);
		return -1;
	}
	if (mb->spool && lst->st_uid != u->uid) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox %s is not "
		    "owned by %s", mb->path, u->name);
		return -1;
	}
	/* O_NONBLOCK: a FIFO swapped in after lstat must not block us. */
	mb->fd = open(mb->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (mb->fd == -1) {
		if (errno == ENOENT)
			return 1;		/* removed meanwhile: again */
		outcome_errno(o, errno, "open %s", mb->path);
		return -1;
	}
	if (fstat(mb->fd, &st) == -1 || st.st_dev != lst->st_dev ||
	    st.st_ino != lst->st_ino || !S_ISREG(st.st_mode)) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox changed during "
		    "open");
		goto fail;
	}
	if ((flags = fcntl(mb->fd, F_GETFL)) == -1 ||
	    fcntl(mb->fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		outcome_errno(o, errno, "fcntl %s", mb->path);
		goto fail;
	}
	mb->dev = st.st_dev;
	mb->ino = st.st_ino;
	return 0;

 fail:
	close(mb->fd);
	mb->fd = -1;
	return -1;
}

/*
 * §3.3 step 1 for path (absolute); spool: the user's system spool file
 * (created owned by the user, must be owned by the user). -1 with a
 * temporary outcome on failure.
 */
int
mbox_open(struct mbox *mb, const char *path, int spool,
    const struct dlv_user *u, struct outcome *o)
{
	struct stat lst;
	int tries, r;

	mb->spool = spool;
	if (strlcpy(mb->path, path, sizeof(mb->path)) >= sizeof(mb->path) ||
	    snprintf(mb->lockpath, sizeof(mb->lockpath), "%s.lock", path) >=
	    (int)sizeof(mb->lockpath)) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox path too long");
		return -1;
	}
	for (tries = 0; tries < MBOX_OPEN_TRIES; tries++) {
		if (lstat(mb->path, &lst) == 0) {
			if ((r = mbox_open_existing(mb, &lst, u, o)) <= 0)
				return r;
			continue;
		}
		if (errno != ENOENT) {
			outcome_errno(o, errno, "lstat %s", mb->path);
			return -1;
		}
		if (mbox_create(mb, u, o) == 0)
			return 0;
		if (errno == 0)
			return -1;		/* outcome already set */
		if (errno != EEXIST) {
			outcome_errno(o, errno, "create %s", mb->path);
			return -1;
		}
	}
	outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox %s changed during open",
	    mb->path);
	return -1;
}

/*
 * §3.4: separator, hdrs, the mboxrd-quoted message and one empty line,
 * then fsync. On any error the file is truncated back to its size before
 * the append (and synced), so the mailbox is left as it was.
 */
int
mbox_append(struct mbox *mb, struct msgsrc *m, const struct buf *hdrs,
    const char *sender, struct outcome *o)
{
	char from[MBOX_FROM_SIZE];
	struct buf head;
	struct stat st;
	uint64_t written;
	off_t orig = 0;
	int err;

	if (!mb->nolock) {
		if (fstat(mb->fd, &st) == -1) {
			outcome_errno(o, errno, "fstat %s", mb->path);
			return -1;
		}
		orig = st.st_size;
	}
	if (mbox_fromline(from, sizeof(from), sender, time(NULL)) == -1) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot format the From "
		    "line");
		return -1;
	}
	buf_init(&head);
	buf_addstr(&head, from);
	if (hdrs != NULL)
		buf_add(&head, buf_head(hdrs), buf_avail(hdrs));
	err = msgsrc_copy(m, CONVERT_QUOTE | CONVERT_STRIP, &head, mb->fd,
	    &written, mb->path, o);
	buf_free(&head);
	if (err == 0 && msgsrc_write(mb->fd, "\n", 1) == -1) {
		outcome_errno(o, errno, "write %s", mb->path);
		err = -1;
	}
	if (err == 0 && !mb->nolock && fsync(mb->fd) == -1) {
		outcome_errno(o, errno, "fsync %s", mb->path);
		err = -1;
	}
	if (err == -1) {
		if (!mb->nolock && (ftruncate(mb->fd, orig) == -1 ||
		    fsync(mb->fd) == -1))
			log_warn("mbox=%s cannot truncate back to %lld",
			    mb->path, (long long)orig);
		return -1;
	}
	outcome_set(o, OUTCOME_OK, "2.0.0", "appended to %s", mb->path);
	return 0;
}

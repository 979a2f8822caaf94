/*
 * mbox_lock.c: locking an mbox (delivery.md §3.3 steps 2-4) and letting
 * it go (§3.4 step 5). Order: the dot-lock PATH.lock first (what mail
 * readers on NFS and old MUAs honour), then an fcntl write lock on the
 * whole file (what mutt, Dovecot and procmail honour); each is retried
 * once a second, MBOX_LOCK_TRIES times. Release in reverse: F_UNLCK,
 * close, unlink PATH.lock.
 * Called by main.c, as root for the spool file (the dot-lock goes into
 * the root:mail spool directory), as the user otherwise. It never
 * removes a dot-lock it did not create, except once a stale one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "lib/log.h"

static int	mbox_dotlock(struct mbox *, struct outcome *);
static int	mbox_fcntl(struct mbox *, int);

/*
 * PATH.lock with our pid. EEXIST: wait a second and retry; a lock older
 * than MBOX_LOCK_STALE seconds is removed once. A directory where we may
 * not create it: for the spool a temporary failure, for another file
 * fcntl locking alone (returns 0 without the dot-lock).
 */
static int
mbox_dotlock(struct mbox *mb, struct outcome *o)
{
	char pid[32];
	struct stat st;
	int fd, tries, stale_done = 0, n;

	for (tries = 0; tries < MBOX_LOCK_TRIES; ) {
		fd = open(mb->lockpath, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1) {
			n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
			if (msgsrc_write(fd, pid, (size_t)n) == -1 ||
			    close(fd) == -1) {
				outcome_errno(o, errno, "write %s",
				    mb->lockpath);
				unlink(mb->lockpath);
				return -1;
			}
			mb->dotlocked = 1;
			return 0;
		}
		if (errno != EEXIST) {
			if (!mb->spool) {
				log_debug("mbox=%s dotlock=skipped "
				    "error=\"%s\"", mb->path, strerror(errno));
				return 0;
			}
			outcome_errno(o, errno, "create %s", mb->lockpath);
			return -1;
		}
		if (!stale_done && lstat(mb->lockpath, &st) == 0 &&
		    time(NULL) - st.st_mtime > MBOX_LOCK_STALE) {
			stale_done = 1;
			log_info("mbox=%s event=stale-lock-removed",
			    mb->path);
			unlink(mb->lockpath);
			continue;
		}
		if (++tries < MBOX_LOCK_TRIES)
			sleep(1);
	}
	outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox is locked");
	return -1;
}

/* F_SETLK on the whole file; type F_WRLCK or F_UNLCK. */
static int
mbox_fcntl(struct mbox *mb, int type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = (short)type;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0;
	return fcntl(mb->fd, F_SETLK, &fl);
}

/*
 * Takes both locks of an opened mailbox (nothing for /dev/null). -1 with
 * a temporary 4.2.0 outcome, and nothing held, on failure.
 */
int
mbox_lock(struct mbox *mb, struct outcome *o)
{
	int tries;

	if (mb->nolock)
		return 0;
	if (mbox_dotlock(mb, o) == -1)
		return -1;
	for (tries = 0; tries < MBOX_LOCK_TRIES; ) {
		if (mbox_fcntl(mb, F_WRLCK) == 0) {
			mb->fcntl_locked = 1;
			return 0;
		}
		if (errno != EACCES && errno != EAGAIN) {
			outcome_errno(o, errno, "lock %s", mb->path);
			mbox_unlock(mb);
			return -1;
		}
		if (++tries < MBOX_LOCK_TRIES)
			sleep(1);
	}
	outcome_set(o, OUTCOME_TEMP, "4.2.0", "mailbox is locked");
	mbox_unlock(mb);
	return -1;
}

/* Lets both locks go; the descriptor stays open. */
void
mbox_unlock(struct mbox *mb)
{
	if (mb->fcntl_locked && mbox_fcntl(mb, F_UNLCK) == -1)
		log_warn("mbox=%s unlock", mb->path);
	mb->fcntl_locked = 0;
	if (mb->dotlocked && unlink(mb->lockpath) == -1)
		log_warn("mbox=%s unlink %s", mb->path, mb->lockpath);
	mb->dotlocked = 0;
}

/* §3.4 step 5: F_UNLCK, close, unlink PATH.lock. */
void
mbox_close(struct mbox *mb)
{
	if (mb->fcntl_locked && mbox_fcntl(mb, F_UNLCK) == -1)
		log_warn("mbox=%s unlock", mb->path);
	mb->fcntl_locked = 0;
	if (mb->fd != -1)
		close(mb->fd);
	mb->fd = -1;
	mbox_unlock(mb);
}

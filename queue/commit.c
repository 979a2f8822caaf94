/*
 * commit.c: create, commit and discard a message in the spool (commit.h).
 * The commit is what makes "250 Ok" true: the body is fsynced, every
 * envelope is written and fsynced, the message directory is fsynced,
 * renamed from incoming/ into queue/<hh>/ and queue/<hh> is fsynced; only
 * then does it return success. A failure at any step moves what was
 * written to purge/, so an aborted transaction leaves nothing in queue/.
 * Called from the queue role's worker threads (many at once, so the
 * journal batches their fsyncs) and from unit tests. Never logs, never
 * calls fatal(), never touches the event loop.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/queue_msg.h"
#include "queue/spool.h"
#include "queue/spoolfs.h"

int	(*commit_fault)(enum commit_step, uint32_t) = NULL;

static int	commit_inject(enum commit_step, uint32_t);
static int	commit_bucket(struct commit_spool *, uint32_t,
		    enum commit_step *);
static int	commit_write_envelope(int, const struct commit_envelope *,
		    enum commit_step *);
static int	commit_to_purge(struct commit_spool *, const char *,
		    uint32_t);
static void	commit_fail(struct commit_result *, enum commit_step, int);

static const char *commit_step_names[COMMIT_STEP_COUNT] = {
	[COMMIT_STEP_NONE]		= "none",
	[COMMIT_STEP_MKDIR]		= "mkdir-incoming",
	[COMMIT_STEP_CREATE_MESSAGE]	= "create-message",
	[COMMIT_STEP_OPEN_MESSAGE]	= "open-message",
	[COMMIT_STEP_FSYNC_MESSAGE]	= "fsync-message",
	[COMMIT_STEP_OPEN_DIR]		= "open-dir",
	[COMMIT_STEP_WRITE_ENVELOPE]	= "write-envelope",
	[COMMIT_STEP_FSYNC_ENVELOPE]	= "fsync-envelope",
	[COMMIT_STEP_FSYNC_DIR]		= "fsync-dir",
	[COMMIT_STEP_MKDIR_BUCKET]	= "mkdir-bucket",
	[COMMIT_STEP_FSYNC_QUEUE]	= "fsync-queue",
	[COMMIT_STEP_RENAME]		= "rename",
	[COMMIT_STEP_FSYNC_BUCKET]	= "fsync-bucket",
	[COMMIT_STEP_DISCARD]		= "discard",
};

/* Test hook: a non-zero errno fails the step (errno is set). */
static int
commit_inject(enum commit_step step, uint32_t msgid)
{
	int e;

	if (commit_fault == NULL || (e = commit_fault(step, msgid)) == 0)
		return 0;
	errno = e;
	return -1;
}

const char *
commit_step_name(enum commit_step step)
{
	if ((unsigned int)step >= COMMIT_STEP_COUNT)
		return "unknown";
	return commit_step_names[step];
}

/* The reply a failed disk call deserves. */
int
commit_status(int error)
{
	if (error == ENOSPC || error == EDQUOT)
		return QUEUE_NOSPACE;
	return QUEUE_TEMPFAIL;
}

static void
commit_fail(struct commit_result *res, enum commit_step step, int error)
{
	res->status = commit_status(error);
	res->error = error;
	res->step = step;
}

void
commit_spool_init(struct commit_spool *cs, int fd)
{
	size_t i;

	cs->fd = fd;
	groupsync_init(&cs->gs, fd);
	if (pthread_mutex_init(&cs->bucket_lock, NULL) != 0)
		abort();	/* only fails for lack of resources at start */
	for (i = 0; i < COMMIT_BUCKETS; i++)
		atomic_init(&cs->bucket_ok[i], 0);
}

void
commit_spool_clear(struct commit_spool *cs)
{
	pthread_mutex_destroy(&cs->bucket_lock);
	groupsync_clear(&cs->gs);
	cs->fd = -1;
}

/*
 * Draw a msgid unique against incoming/ (mkdir is the lock) and queue/,
 * create incoming/<msgid>/message. On success *fdp is a write-only
 * descriptor of the message file for the smtp role.
 */
int
commit_create(struct commit_spool *cs, uint32_t *msgidp, int *fdp,
    struct commit_result *res)
{
	char dir[SPOOLFS_PATH_MAX], path[SPOOLFS_PATH_MAX];
	struct stat st;
	uint32_t msgid;
	int fd, i, saved;

	memset(res, 0, sizeof(*res));
	*msgidp = 0;
	*fdp = -1;
	for (i = 0; i < COMMIT_CREATE_TRIES; i++) {
		msgid = ids_msgid_new();
		snprintf(dir, sizeof(dir), SPOOL_INCOMING "/%08x", msgid);
		if (commit_inject(COMMIT_STEP_MKDIR, msgid) == -1 ||
		    mkdirat(cs->fd, dir, 0700) == -1) {
			if (errno == EEXIST)
				continue;
			commit_fail(res, COMMIT_STEP_MKDIR, errno);
			return -1;
		}
		snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x",
		    COMMIT_BUCKET(msgid), msgid);
		if (fstatat(cs->fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			unlinkat(cs->fd, dir, AT_REMOVEDIR);
			continue;
		}
		snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x/"
		    COMMIT_MESSAGE, msgid);
		if (commit_inject(COMMIT_STEP_CREATE_MESSAGE, msgid) == -1 ||
		    (fd = openat(cs->fd, path, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
			saved = errno;
			unlinkat(cs->fd, dir, AT_REMOVEDIR);
			commit_fail(res, COMMIT_STEP_CREATE_MESSAGE, saved);
			return -1;
		}
		res->msgid = msgid;
		res->status = QUEUE_OK;
		*msgidp = msgid;
		*fdp = fd;
		return 0;
	}
	commit_fail(res, COMMIT_STEP_MKDIR, EEXIST);
	return -1;
}

/*
 * Make sure queue/<hh> exists and its entry is durable. The first commit
 * into a bucket in this process makes it (or finds it) and fsyncs queue/;
 * the lock keeps a second thread from trusting the bucket before that
 * fsync is over.
 */
static int
commit_bucket(struct commit_spool *cs, uint32_t msgid, enum commit_step *step)
{
	char path[SPOOLFS_PATH_MAX];
	struct stat st;
	unsigned int hh = COMMIT_BUCKET(msgid);
	int ret = -1;

	if (atomic_load(&cs->bucket_ok[hh]))
		return 0;
	snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x", hh);
	pthread_mutex_lock(&cs->bucket_lock);
	if (atomic_load(&cs->bucket_ok[hh])) {
		ret = 0;
		goto done;
	}
	*step = COMMIT_STEP_MKDIR_BUCKET;
	if (commit_inject(*step, msgid) == -1)
		goto done;
	if (mkdirat(cs->fd, path, 0700) == -1) {
		if (errno != EEXIST)
			goto done;
		if (fstatat(cs->fd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
			goto done;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			goto done;
		}
	}
	/* Made now or by an earlier run that may have crashed before it
	 * fsynced queue/: either way the entry is made durable here. */
	*step = COMMIT_STEP_FSYNC_QUEUE;
	if (commit_inject(*step, msgid) == -1 ||
	    spoolfs_fsync_dir(cs->fd, SPOOL_QUEUE) == -1)
		goto done;
	atomic_store(&cs->bucket_ok[hh], 1);
	ret = 0;
done:
	pthread_mutex_unlock(&cs->bucket_lock);
	return ret;
}

/* incoming/<msgid>/<evpid>: exclusive create, write, fsync, close. */
static int
commit_write_envelope(int dfd, const struct commit_envelope *ce,
    enum commit_step *step)
{
	char name[IDS_EVPID_SIZE];
	size_t off = 0;
	ssize_t n;
	int fd, saved;

	*step = COMMIT_STEP_WRITE_ENVELOPE;
	ids_evpid_fmt(ce->evpid, name);
	if (commit_inject(*step, ids_evpid_msgid(ce->evpid)) == -1)
		return -1;
	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	while (off < ce->len) {
		if ((n = write(fd, ce->data + off, ce->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	/* Made durable with the rest by the commit's first group sync. */
	*step = COMMIT_STEP_FSYNC_ENVELOPE;
	if (commit_inject(*step, ids_evpid_msgid(ce->evpid)) == -1)
		goto fail;
	if (close(fd) == -1)
		return -1;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Move a message directory (incoming/<msgid> or queue/<hh>/<msgid>) to
 * purge/<msgid>.<random>; if even that fails, remove it where it is.
 */
static int
commit_to_purge(struct commit_spool *cs, const char *from, uint32_t msgid)
{
	char to[SPOOLFS_PATH_MAX];
	struct stat st;

	snprintf(to, sizeof(to), SPOOL_PURGE "/%08x.%08x", msgid,
	    ids_msgid_new());
	if (commit_inject(COMMIT_STEP_DISCARD, msgid) == 0 &&
	    spoolfs_move_unique(cs->fd, from, cs->fd, to, NULL, 0) == 0)
		return 0;
	if (fstatat(cs->fd, from, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;		/* nothing to discard (ENOENT) */
	return spoolfs_rmtree(cs->fd, from, NULL);
}

/*
 * Commit incoming/<msgid> with its n envelopes (n may be 0 in tests; the
 * role refuses it). 0 when everything is durable in queue/<hh>/<msgid>/,
 * -1 with res filled in and the message gone to purge/ otherwise.
 */
int
commit_message(struct commit_spool *cs, uint32_t msgid,
    const struct commit_envelope *envs, size_t n, struct commit_result *res)
{
	char in[SPOOLFS_PATH_MAX], out[SPOOLFS_PATH_MAX];
	char bucket[SPOOLFS_PATH_MAX], path[SPOOLFS_PATH_MAX];
	enum commit_step step;
	struct stat st;
	unsigned int hh = COMMIT_BUCKET(msgid);
	size_t i;
	int fd = -1, dfd = -1, renamed = 0, retried = 0, saved;

	memset(res, 0, sizeof(*res));
	res->msgid = msgid;
	snprintf(in, sizeof(in), SPOOL_INCOMING "/%08x", msgid);
	snprintf(bucket, sizeof(bucket), SPOOL_QUEUE "/%02x", hh);
	snprintf(out, sizeof(out), SPOOL_QUEUE "/%02x/%08x", hh, msgid);
	snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x/" COMMIT_MESSAGE,
	    msgid);

	/* Its size for the log; its data is made durable by the group sync. */
	step = COMMIT_STEP_OPEN_MESSAGE;
	if (commit_inject(step, msgid) == -1 ||
	    fstatat(cs->fd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	res->size = (int64_t)st.st_size;
	step = COMMIT_STEP_FSYNC_MESSAGE;
	if (commit_inject(step, msgid) == -1)
		goto fail;

	step = COMMIT_STEP_OPEN_DIR;
	if (commit_inject(step, msgid) == -1 ||
	    (dfd = openat(cs->fd, in, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (commit_write_envelope(dfd, &envs[i], &step) == -1)
			goto fail;
	/*
	 * The message, its envelopes and incoming/<msgid>'s entries: one
	 * filesystem sync shared with every commit waiting at this moment.
	 */
	step = COMMIT_STEP_FSYNC_DIR;
	if (commit_inject(step, msgid) == -1 || groupsync_wait(&cs->gs) == -1)
		goto fail;
	close(dfd);
	dfd = -1;

again:
	if (commit_bucket(cs, msgid, &step) == -1)
		goto fail;
	step = COMMIT_STEP_RENAME;
	if (commit_inject(step, msgid) == -1 ||
	    spoolfs_rename_noreplace(cs->fd, in, cs->fd, out) == -1) {
		/* queue/<hh> removed behind our back: make it again, once */
		if (errno == ENOENT && !retried &&
		    fstatat(cs->fd, in, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			retried = 1;
			atomic_store(&cs->bucket_ok[hh], 0);
			goto again;
		}
		goto fail;
	}
	renamed = 1;
	/* The rename: a second shared sync, then the 250 may go out. */
	step = COMMIT_STEP_FSYNC_BUCKET;
	if (commit_inject(step, msgid) == -1 || groupsync_wait(&cs->gs) == -1)
		goto fail;
	res->status = QUEUE_OK;
	return 0;

fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	commit_fail(res, step, saved);
	commit_to_purge(cs, renamed ? out : in, msgid);
	if (renamed)
		spoolfs_fsync_dir(cs->fd, bucket);
	errno = saved;
	return -1;
}

/* Rollback: incoming/<msgid> to purge/. No trace of it stays behind. */
int
commit_discard(struct commit_spool *cs, uint32_t msgid,
    struct commit_result *res)
{
	char in[SPOOLFS_PATH_MAX];

	memset(res, 0, sizeof(*res));
	res->msgid = msgid;
	snprintf(in, sizeof(in), SPOOL_INCOMING "/%08x", msgid);
	if (commit_to_purge(cs, in, msgid) == -1) {
		commit_fail(res, COMMIT_STEP_DISCARD, errno);
		return -1;
	}
	res->status = QUEUE_OK;
	return 0;
}

/* Empty purge/ (a background job); *count gets the entries removed. */
int
commit_purge(struct commit_spool *cs, const atomic_int *stop, size_t *count)
{
	return spoolfs_empty(cs->fd, SPOOL_PURGE, stop, count);
}

/*
 * commit.c: create, commit and discard a message in the spool (commit.h).
 * The commit is what makes "250 Ok" true: every envelope is written
 * beside the body in incoming/<msgid>/, a sync makes them durable, the
 * directory is renamed into queue/<hh>/ and a second sync makes the
 * rename durable; only then is it a success. The syncs are syncfs(2)
 * rounds shared by every commit waiting at the time (groupsync.c). A
 * failure at any step moves what was written to purge/, so an aborted
 * transaction leaves nothing in queue/. Called from the queue role
 * (commit_pipe.c, loop thread; bounce_make.c, worker threads) and from
 * unit tests. Never logs, never calls fatal(), never touches the event
 * loop.
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
static int	commit_incoming_dir(struct commit_spool *, uint32_t,
		    const char *);
static void	commit_drop_incoming(struct commit_spool *, const char *,
		    uint32_t, int);
static int	commit_envelope_file(int, const char *, int, off_t *);
static int	commit_write_envelope(int, const struct commit_envelope *,
		    int, enum commit_step *);
static int	commit_to_purge(struct commit_spool *, const char *, const char *,
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
	recycle_init(&cs->spares);
	if (pthread_mutex_init(&cs->bucket_lock, NULL) != 0)
		abort();	/* only fails for lack of resources at start */
	for (i = 0; i < COMMIT_BUCKETS; i++)
		atomic_init(&cs->bucket_ok[i], 0);
}

void
commit_spool_clear(struct commit_spool *cs)
{
	pthread_mutex_destroy(&cs->bucket_lock);
	recycle_clear(&cs->spares);
	groupsync_clear(&cs->gs);
	cs->fd = -1;
}

/*
 * incoming/<msgid>: a spare from free/ (recycle.c) renamed there, else a
 * new directory. 1 for a spare, 0 for a new one, -1 with errno (EEXIST:
 * the msgid is taken).
 */
static int
commit_incoming_dir(struct commit_spool *cs, uint32_t msgid, const char *dir)
{
	int k;

	if (commit_inject(COMMIT_STEP_MKDIR, msgid) == -1)
		return -1;
	if ((k = recycle_take(&cs->spares, cs->fd, dir)) != 0)
		return k;
	return mkdirat(cs->fd, dir, 0700);
}

/* A create gone wrong: a new directory removed, a spare to purge/. */
static void
commit_drop_incoming(struct commit_spool *cs, const char *dir, uint32_t msgid,
    int spare)
{
	if (spare)
		commit_to_purge(cs, dir, "", msgid);
	else
		unlinkat(cs->fd, dir, AT_REMOVEDIR);
}

/*
 * Draw a msgid unique against incoming/ (mkdir or rename is the lock) and
 * queue/, create incoming/<msgid>/message (in a spare directory, its
 * emptied message file is reused). On success *fdp is a write-only
 * descriptor of the message file for the smtp role.
 */
int
commit_create(struct commit_spool *cs, uint32_t *msgidp, int *fdp,
    struct commit_result *res)
{
	char dir[SPOOLFS_PATH_MAX], path[SPOOLFS_PATH_MAX];
	struct stat st;
	uint32_t msgid;
	int fd, i, saved, spare;

	memset(res, 0, sizeof(*res));
	*msgidp = 0;
	*fdp = -1;
	for (i = 0; i < COMMIT_CREATE_TRIES; i++) {
		msgid = ids_msgid_new();
		snprintf(dir, sizeof(dir), SPOOL_INCOMING "/%08x", msgid);
		if ((spare = commit_incoming_dir(cs, msgid, dir)) == -1) {
			if (errno == EEXIST)
				continue;
			commit_fail(res, COMMIT_STEP_MKDIR, errno);
			return -1;
		}
		snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x",
		    COMMIT_BUCKET(msgid), msgid);
		if (fstatat(cs->fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			commit_drop_incoming(cs, dir, msgid, spare);
			continue;
		}
		snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x/"
		    COMMIT_MESSAGE, msgid);
		if (commit_inject(COMMIT_STEP_CREATE_MESSAGE, msgid) == -1 ||
		    (fd = spare ? recycle_open(cs->fd, path) :
		    openat(cs->fd, path, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
			saved = errno;
			commit_drop_incoming(cs, dir, msgid, spare);
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
 * Make sure queue/<hh> exists. Its entry in queue/ is made durable by
 * the commit's second sync, which syncs the whole file system after the
 * rename: any commit that finds the bucket here is covered by that sync
 * too. The lock keeps two threads from making it at once.
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
	/* queue/'s entry: left to the commit's second sync (see above) */
	*step = COMMIT_STEP_FSYNC_QUEUE;
	if (commit_inject(*step, msgid) == -1)
		goto done;
	atomic_store(&cs->bucket_ok[hh], 1);
	ret = 0;
done:
	pthread_mutex_unlock(&cs->bucket_lock);
	return ret;
}

/*
 * incoming/<msgid>/<evpid>, a new file, or for the first envelope of a
 * spare directory the spare file renamed (recycle.c), *old bytes long:
 * the writer cuts it to what it wrote.
 */
static int
commit_envelope_file(int dfd, const char *name, int first, off_t *old)
{
	*old = 0;
	if (first) {
		if (renameat(dfd, RECYCLE_SPARE, dfd, name) == 0)
			return recycle_open_spare(dfd, name, old);
		if (errno != ENOENT)
			return -1;
	}
	return openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
}

/* incoming/<msgid>/<evpid>: exclusive create, write, close. */
static int
commit_write_envelope(int dfd, const struct commit_envelope *ce, int first,
    enum commit_step *step)
{
	char name[IDS_EVPID_SIZE];
	size_t off = 0;
	ssize_t n;
	off_t old;
	int fd, saved;

	*step = COMMIT_STEP_WRITE_ENVELOPE;
	ids_evpid_fmt(ce->evpid, name);
	if (commit_inject(*step, ids_evpid_msgid(ce->evpid)) == -1)
		return -1;
	if ((fd = commit_envelope_file(dfd, name, first, &old)) == -1)
		return -1;
	while (off < ce->len) {
		if ((n = write(fd, ce->data + off, ce->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	/* A spare written over: what is left of the old envelope goes. */
	if (old > (off_t)ce->len && ftruncate(fd, (off_t)ce->len) == -1)
		goto fail;
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
 * purge/<msgid>.<random><suffix>; if even that fails, remove it where it
 * is.
 */
static int
commit_to_purge(struct commit_spool *cs, const char *from, const char *suffix,
    uint32_t msgid)
{
	char to[SPOOLFS_PATH_MAX];
	struct stat st;

	snprintf(to, sizeof(to), SPOOL_PURGE "/%08x.%08x%s", msgid,
	    ids_msgid_new(), suffix);
	if (commit_inject(COMMIT_STEP_DISCARD, msgid) == 0 &&
	    spoolfs_move_unique(cs->fd, from, cs->fd, to, NULL, 0) == 0)
		return 0;
	if (fstatat(cs->fd, from, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;		/* nothing to discard (ENOENT) */
	return spoolfs_rmtree(cs->fd, from, NULL);
}

/*
 * A commit in three steps, so that the queue role can run the first and
 * the last on its loop thread and share the two syncs between every
 * commit waiting at the time (commit_pipe.c):
 *   commit_stage()    the envelopes into incoming/<msgid>/;
 *   a sync            the message, its envelopes and their entries;
 *   commit_publish()  incoming/<msgid> renamed into queue/<hh>/;
 *   a sync            the rename; only then may the 250 go out.
 * commit_message() runs them in a row (bounce reports, unit tests).
 * Each returns -1 with res filled in and the message gone to purge/.
 */

/*
 * Write the n envelopes of incoming/<msgid> (n may be 0 in tests; the
 * role refuses it). Nothing is durable yet.
 */
int
commit_stage(struct commit_spool *cs, uint32_t msgid,
    const struct commit_envelope *envs, size_t n, struct commit_result *res)
{
	char in[SPOOLFS_PATH_MAX], path[SPOOLFS_PATH_MAX];
	enum commit_step step;
	struct stat st;
	size_t i;
	int dfd = -1, saved;

	memset(res, 0, sizeof(*res));
	res->msgid = msgid;
	snprintf(in, sizeof(in), SPOOL_INCOMING "/%08x", msgid);
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
		if (commit_write_envelope(dfd, &envs[i], i == 0, &step) == -1)
			goto fail;
	close(dfd);
	return 0;

fail:
	saved = errno;
	if (dfd != -1)
		close(dfd);
	commit_abort(cs, msgid, step, saved, res);
	return -1;
}

/*
 * Rename incoming/<msgid> into queue/<hh>/, after a sync that covered
 * its staging. Nothing is durable until the next sync.
 */
int
commit_publish(struct commit_spool *cs, uint32_t msgid,
    struct commit_result *res)
{
	char in[SPOOLFS_PATH_MAX], out[SPOOLFS_PATH_MAX];
	enum commit_step step = COMMIT_STEP_NONE;
	struct stat st;
	unsigned int hh = COMMIT_BUCKET(msgid);
	int retried = 0;

	res->msgid = msgid;
	snprintf(in, sizeof(in), SPOOL_INCOMING "/%08x", msgid);
	snprintf(out, sizeof(out), SPOOL_QUEUE "/%02x/%08x", hh, msgid);
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
	return 0;
fail:
	commit_abort(cs, msgid, step, errno, res);
	return -1;
}

/*
 * A commit failed at step with error: what was written goes to purge/,
 * from incoming/ or, once renamed (a failed second sync), from queue/.
 */
void
commit_abort(struct commit_spool *cs, uint32_t msgid, enum commit_step step,
    int error, struct commit_result *res)
{
	char path[SPOOLFS_PATH_MAX];
	unsigned int hh = COMMIT_BUCKET(msgid);

	commit_fail(res, step, error);
	if (step == COMMIT_STEP_FSYNC_BUCKET) {
		snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x", hh,
		    msgid);
		commit_to_purge(cs, path, "", msgid);
		snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x", hh);
		spoolfs_fsync_dir(cs->fd, path);
	} else {
		snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x", msgid);
		commit_to_purge(cs, path, "", msgid);
	}
	errno = error;
}

/*
 * The whole commit in a row, sharing its syncs with other threads doing
 * the same. 0 when everything is durable in queue/<hh>/<msgid>/.
 */
int
commit_message(struct commit_spool *cs, uint32_t msgid,
    const struct commit_envelope *envs, size_t n, struct commit_result *res)
{
	if (commit_stage(cs, msgid, envs, n, res) == -1)
		return -1;
	if (commit_sync(cs, msgid, COMMIT_STEP_FSYNC_DIR, res) == -1)
		return -1;
	if (commit_publish(cs, msgid, res) == -1)
		return -1;
	if (commit_sync(cs, msgid, COMMIT_STEP_FSYNC_BUCKET, res) == -1)
		return -1;
	res->status = QUEUE_OK;
	return 0;
}

/*
 * One of a commit's two syncs (step FSYNC_DIR or FSYNC_BUCKET), shared
 * with every thread waiting at the moment; blocks. Aborts on failure.
 */
int
commit_sync(struct commit_spool *cs, uint32_t msgid, enum commit_step step,
    struct commit_result *res)
{
	if (commit_inject(step, msgid) == -1 || groupsync_wait(&cs->gs) == -1) {
		commit_abort(cs, msgid, step, errno, res);
		return -1;
	}
	return 0;
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
	if (commit_to_purge(cs, in, "", msgid) == -1) {
		commit_fail(res, COMMIT_STEP_DISCARD, errno);
		return -1;
	}
	res->status = QUEUE_OK;
	return 0;
}

/*
 * A message delivered from incoming/ without a commit (the LMTP front),
 * on the caller's thread, with no sync (nothing of it was ever
 * acknowledged as queued): its directory kept as a spare (recycle.c) if
 * reuse says nobody reads the message any more, or its files and
 * directory removed where they are. 0 if done; 1 if it could only go to
 * purge/ (the caller purges), under a name the sweep never keeps unless
 * reuse: a late delivery may still read that message, and a kept spare's
 * message is emptied. -1 if it could not even move (left in incoming/,
 * which the next start empties).
 */
int
commit_remove_incoming(struct commit_spool *cs, uint32_t msgid, int reuse)
{
	char path[SPOOLFS_PATH_MAX];

	snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x", msgid);
	if (reuse && recycle_keep(&cs->spares, cs->fd, cs->fd, path, NULL))
		return 0;
	/* the spare too (a spare directory that took no envelope) */
	snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x/" RECYCLE_SPARE,
	    msgid);
	if (unlinkat(cs->fd, path, 0) == -1 && errno != ENOENT)
		goto purge;
	snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x/" COMMIT_MESSAGE,
	    msgid);
	if (unlinkat(cs->fd, path, 0) == -1 && errno != ENOENT)
		goto purge;
	snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x", msgid);
	if (unlinkat(cs->fd, path, AT_REMOVEDIR) == 0)
		return 0;
 purge:
	snprintf(path, sizeof(path), SPOOL_INCOMING "/%08x", msgid);
	return commit_to_purge(cs, path, reuse ? "" : RECYCLE_NOKEEP,
	    msgid) == 0 ? 1 : -1;
}

/*
 * Empty purge/ (a background job): each entry kept as a spare directory
 * (recycle.c) or removed; *count gets the entries handled.
 */
int
commit_purge(struct commit_spool *cs, const atomic_int *stop, size_t *count)
{
	size_t removed, kept;
	int ret;

	ret = recycle_sweep(&cs->spares, cs->fd, SPOOL_PURGE, stop, &removed,
	    &kept);
	if (count != NULL)
		*count = removed + kept;
	return ret;
}

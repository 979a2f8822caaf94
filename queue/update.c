/*
 * update.c: rewrite or remove a committed envelope durably (update.h).
 *
 * Rewrite: <evpid>.tmp is created beside <evpid> (O_EXCL; a leftover of a
 * crash is removed first), written, fsynced, renamed over <evpid>, and
 * the message directory is fsynced. A reader sees the old file or the new
 * one, never a mix; a failure before the rename leaves the old one as it
 * was (the temporary file is removed).
 *
 * Removal: if no other envelope is left in the message directory, the
 * whole directory (message, this envelope) moves to purge/ in one rename,
 * so a crash never leaves a message without envelopes in queue/; else
 * <evpid> is unlinked, and if meanwhile a concurrent removal took the
 * other envelopes, the now empty message goes to purge/ all the same.
 * An unlinked envelope's directory is fsynced before success. The rename
 * of the message out of queue/ is not: the caller tells the syncer, whose
 * next group sync (within a second, commit_pipe_kick) covers it. Until
 * then a crash may bring the message back, and such an envelope is
 * checked against the Maildir before it is delivered again (design.md
 * "The queue role" and "Local delivery", exactly once).
 *
 * Called from the queue role's worker threads and unit tests. Never logs,
 * never calls fatal(), keeps no state besides the test hook.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/envelope.h"
#include "queue/queue_msg.h"
#include "queue/recycle.h"
#include "queue/spool.h"
#include "queue/spoolfs.h"
#include "queue/update.h"

int	(*update_fault)(enum update_step, uint64_t) = NULL;

static int	update_inject(enum update_step, uint64_t);
static void	update_fail(struct update_result *, enum update_step, int);
static int	update_msgdir(char *, size_t, uint64_t);
static int	update_others(int, uint64_t);
static int	update_purge(int, struct recycle *, uint64_t,
		    struct update_result *);
static int	update_put(int, uint64_t, const uint8_t *, size_t, int,
		    struct update_result *);
static int	update_encode_put(int, const struct envelope *, int,
		    struct update_result *);

static const char *update_step_names[UPDATE_STEP_COUNT] = {
	[UPDATE_STEP_NONE]		= "none",
	[UPDATE_STEP_ENCODE]		= "encode",
	[UPDATE_STEP_OPEN_DIR]		= "open-dir",
	[UPDATE_STEP_CREATE]		= "create-temp",
	[UPDATE_STEP_WRITE]		= "write",
	[UPDATE_STEP_FSYNC]		= "fsync",
	[UPDATE_STEP_RENAME]		= "rename",
	[UPDATE_STEP_FSYNC_DIR]		= "fsync-dir",
	[UPDATE_STEP_UNLINK]		= "unlink",
	[UPDATE_STEP_PURGE]		= "purge",
};

/* Test hook: a non-zero errno fails the step (errno is set). */
static int
update_inject(enum update_step step, uint64_t evpid)
{
	int e;

	if (update_fault == NULL || (e = update_fault(step, evpid)) == 0)
		return 0;
	errno = e;
	return -1;
}

const char *
update_step_name(enum update_step step)
{
	if ((unsigned int)step >= UPDATE_STEP_COUNT)
		return "unknown";
	return update_step_names[step];
}

static void
update_fail(struct update_result *res, enum update_step step, int error)
{
	res->status = commit_status(error);
	res->error = error;
	res->step = step;
}

/* "queue/<hh>/<msgid>" of an evpid. */
static int
update_msgdir(char *buf, size_t bufsz, uint64_t evpid)
{
	uint32_t msgid = ids_evpid_msgid(evpid);

	return spoolfs_path(buf, bufsz, SPOOL_QUEUE "/%02x/%08x",
	    COMMIT_BUCKET(msgid), msgid);
}

/*
 * Write the encoded envelope as queue/<hh>/<msgid>/<evpid>, replacing the
 * file that must be there. 0 when the new one is durable; -1 with res
 * filled in (ENOENT: no such envelope). the old file untouched unless the
 * step is UPDATE_STEP_FSYNC_DIR (then the new one is in place, maybe not
 * durable yet).
 */
int
update_envelope(int spoolfd, uint64_t evpid, const uint8_t *data,
    size_t len, struct update_result *res)
{
	return update_put(spoolfd, evpid, data, len, 0, res);
}

/*
 * The same for a new envelope of a message still queued (a delay
 * report's BOUNCE envelope): the message directory must be there, the
 * envelope must not (EEXIST).
 */
int
update_envelope_add(int spoolfd, const struct envelope *e,
    struct update_result *res)
{
	return update_encode_put(spoolfd, e, 1, res);
}

static int
update_put(int spoolfd, uint64_t evpid, const uint8_t *data, size_t len,
    int add, struct update_result *res)
{
	char dir[SPOOLFS_PATH_MAX], name[IDS_EVPID_SIZE];
	char tmp[IDS_EVPID_SIZE + sizeof(UPDATE_TMP_SUFFIX)];
	enum update_step step;
	struct stat st;
	size_t off = 0;
	ssize_t n;
	int dfd = -1, fd = -1, saved, tries;

	memset(res, 0, sizeof(*res));
	ids_evpid_fmt(evpid, name);
	snprintf(tmp, sizeof(tmp), "%s" UPDATE_TMP_SUFFIX, name);

	step = UPDATE_STEP_OPEN_DIR;
	if (update_msgdir(dir, sizeof(dir), evpid) == -1 ||
	    update_inject(step, evpid) == -1 ||
	    (dfd = openat(spoolfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	if (add) {
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			errno = EEXIST;
		if (errno != ENOENT)
			goto fail;
	} else {
		/* never bring back an envelope that was removed */
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			goto fail;
		if (!S_ISREG(st.st_mode)) {
			errno = EINVAL;
			goto fail;
		}
	}

	step = UPDATE_STEP_CREATE;
	for (tries = 0; ; tries++) {
		if (update_inject(step, evpid) == -1)
			goto fail;
		if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) != -1)
			break;
		/* a crash's leftover: only one job per envelope runs */
		if (errno != EEXIST || tries > 0 ||
		    unlinkat(dfd, tmp, 0) == -1)
			goto fail;
	}

	step = UPDATE_STEP_WRITE;
	while (off < len) {
		if (update_inject(step, evpid) == -1)
			goto fail_tmp;
		if ((n = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail_tmp;
		}
		off += (size_t)n;
	}
	step = UPDATE_STEP_FSYNC;
	if (update_inject(step, evpid) == -1 || fsync(fd) == -1)
		goto fail_tmp;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_tmp;
	}
	fd = -1;

	step = UPDATE_STEP_RENAME;
	if (update_inject(step, evpid) == -1 ||
	    renameat(dfd, tmp, dfd, name) == -1)
		goto fail_tmp;

	step = UPDATE_STEP_FSYNC_DIR;
	if (update_inject(step, evpid) == -1 || fsync(dfd) == -1)
		goto fail;
	close(dfd);
	res->status = QUEUE_OK;
	return 0;

fail_tmp:
	saved = errno;
	if (fd != -1)
		close(fd);
	fd = -1;
	unlinkat(dfd, tmp, 0);
	errno = saved;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	update_fail(res, step, saved);
	errno = saved;
	return -1;
}

/* Encode (envelope_encode validates) and update_envelope(). */
int
update_envelope_write(int spoolfd, const struct envelope *e,
    struct update_result *res)
{
	return update_encode_put(spoolfd, e, 0, res);
}

static int
update_encode_put(int spoolfd, const struct envelope *e, int add,
    struct update_result *res)
{
	char err[ENVELOPE_ERR_MAX];
	uint8_t *buf;
	size_t len;
	int r;

	if (envelope_encode(e, &buf, &len, err, sizeof(err)) == -1) {
		memset(res, 0, sizeof(*res));
		update_fail(res, UPDATE_STEP_ENCODE, EINVAL);
		errno = EINVAL;
		return -1;
	}
	r = update_put(spoolfd, e->evpid, buf, len, add, res);
	free(buf);
	return r;
}

/*
 * Does the message directory (an open descriptor, not consumed) hold an
 * envelope other than evpid? 1, 0, or -1 with errno.
 */
static int
update_others(int dfd, uint64_t evpid)
{
	struct dirent *de;
	DIR *d;
	uint64_t other;
	int fd, found = 0;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (ids_evpid_parse(de->d_name, &other) == 0 &&
		    other != evpid) {
			found = 1;
			break;
		}
	closedir(d);
	return found;
}

/*
 * queue/<hh>/<msgid> kept in free/ as a spare (res->recycled; spares may
 * be NULL: never), else to purge/ (res->purged). Made durable by the
 * caller's group sync either way.
 */
static int
update_purge(int spoolfd, struct recycle *spares, uint64_t evpid,
    struct update_result *res)
{
	char dir[SPOOLFS_PATH_MAX], to[SPOOLFS_PATH_MAX];
	uint32_t msgid = ids_evpid_msgid(evpid);

	if (update_msgdir(dir, sizeof(dir), evpid) == -1)
		return -1;
	snprintf(to, sizeof(to), SPOOL_PURGE "/%08x.%08x", msgid,
	    ids_msgid_new());
	res->step = UPDATE_STEP_PURGE;
	if (update_inject(UPDATE_STEP_PURGE, evpid) == -1)
		return -1;
	if (spares != NULL &&
	    recycle_keep(spares, spoolfd, spoolfd, dir, NULL)) {
		res->recycled = 1;
		res->step = UPDATE_STEP_NONE;
		return 0;
	}
	if (spoolfs_move_unique(spoolfd, dir, spoolfd, to, NULL, 0) == -1)
		return -1;
	res->purged = 1;
	res->step = UPDATE_STEP_NONE;
	return 0;
}

/*
 * update_remove()'s common case alone: evpid is its message's only
 * envelope, and the directory goes whole to free/ (res->recycled). No
 * sync and no fsync, so the loop thread may call it. 1 if done; 0 if not
 * (res is cleared), for update_remove() to do.
 */
int
update_remove_kept(int spoolfd, struct recycle *spares, uint64_t evpid,
    struct update_result *res)
{
	char dir[SPOOLFS_PATH_MAX], name[IDS_EVPID_SIZE];

	memset(res, 0, sizeof(*res));
	if (spares == NULL || update_inject(UPDATE_STEP_PURGE, evpid) == -1 ||
	    update_msgdir(dir, sizeof(dir), evpid) == -1)
		return 0;
	ids_evpid_fmt(evpid, name);
	if (!recycle_keep(spares, spoolfd, spoolfd, dir, name))
		return 0;
	res->recycled = 1;
	res->status = QUEUE_OK;
	return 1;
}

/*
 * Remove queue/<hh>/<msgid>/<evpid> for good; the message goes with its
 * last envelope to free/ (res->recycled: the caller asks for a group
 * sync) or to purge/ (res->purged: the caller purges, which syncs).
 * 0 on success, -1 with res filled in (ENOENT: no such envelope).
 */
int
update_remove(int spoolfd, struct recycle *spares, uint64_t evpid,
    struct update_result *res)
{
	/* The common case first: the message's only envelope, kept whole. */
	if (update_remove_kept(spoolfd, spares, evpid, res))
		return 0;
	return update_remove_unkept(spoolfd, spares, evpid, res);
}

/*
 * update_remove() once update_remove_kept() said no: other envelopes
 * beside it, no spare to be made, or an error. Waits for the disk (an
 * fsync of the directory): a worker's.
 */
int
update_remove_unkept(int spoolfd, struct recycle *spares, uint64_t evpid,
    struct update_result *res)
{
	char dir[SPOOLFS_PATH_MAX], name[IDS_EVPID_SIZE];
	enum update_step step;
	struct stat st;
	int dfd = -1, others, saved;

	memset(res, 0, sizeof(*res));
	ids_evpid_fmt(evpid, name);
	if (update_msgdir(dir, sizeof(dir), evpid) == -1) {
		update_fail(res, UPDATE_STEP_OPEN_DIR, errno);
		return -1;
	}
	step = UPDATE_STEP_OPEN_DIR;
	if (update_inject(step, evpid) == -1 ||
	    (dfd = openat(spoolfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		goto fail;
	if ((others = update_others(dfd, evpid)) == -1)
		goto fail;
	if (!others) {
		/* the last one: the message goes with it, in one rename */
		close(dfd);
		dfd = -1;
		if (update_purge(spoolfd, spares, evpid, res) == -1) {
			step = res->step;
			goto fail;
		}
		res->status = QUEUE_OK;
		return 0;
	}

	step = UPDATE_STEP_UNLINK;
	if (update_inject(step, evpid) == -1 || unlinkat(dfd, name, 0) == -1)
		goto fail;
	step = UPDATE_STEP_FSYNC_DIR;
	if (update_inject(step, evpid) == -1 || fsync(dfd) == -1)
		goto fail;
	/* a concurrent removal may have left us the last one out */
	if (update_others(dfd, evpid) == 0) {
		close(dfd);
		dfd = -1;
		if (update_purge(spoolfd, spares, evpid, res) == -1 &&
		    errno != ENOENT) {
			step = res->step;
			goto fail;
		}
	}
	if (dfd != -1)
		close(dfd);
	res->status = QUEUE_OK;
	res->step = UPDATE_STEP_NONE;
	return 0;

fail:
	saved = errno;
	if (dfd != -1)
		close(dfd);
	update_fail(res, step, saved);
	errno = saved;
	return -1;
}

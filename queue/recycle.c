/*
 * recycle.c: spare message directories (design.md "The queue role").
 * On ext4 without a journal the inode allocator passes over every inode
 * freed in the last minutes (recently_deleted()), so a spool that frees
 * three inodes per message (directory, message, envelope) and allocates
 * three for the next one makes each creation slower the busier it is.
 * Instead, a message directory that is no longer wanted and holds only
 * its message and at most one other file is moved to free/, its message
 * emptied there and that file renamed "spare"; the next CREATE renames
 * it into incoming/, and the message's first envelope is written over
 * the spare (commit.c). At most RECYCLE_MAX are kept, the rest are
 * deleted as before. free/ is emptied at start (walk.c): nothing in it
 * ever matters after a crash.
 * Only a directory whose message nobody reads any more may come here:
 * emptying it and handing it to the next message would show that
 * message to a late reader. The callers see to it (update.c: the last
 * envelope's outcome is in; lmtp_direct.c: no delivery is out; the smtp
 * role closes its descriptor before ROLLBACK).
 * The pool is shared: the workers (removals, the purge sweep) and the
 * loop thread (the LMTP front) fill it, CREATE takes from it.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/recycle.h"
#include "queue/spool.h"
#include "queue/spoolfs.h"

#define RECYCLE_PATH_MAX	32	/* free/<id> */

static int	recycle_reserve(struct recycle *);
static void	recycle_release(struct recycle *, uint32_t, int);
static int	recycle_inspect(int, char *, size_t);
static int	recycle_empty(int, const char *);
static int	recycle_ready(int, const char *);
static int	recycle_sweep_one(int, const char *, void *);

void
recycle_init(struct recycle *r)
{
	r->n = 0;
	r->reserved = 0;
	if (pthread_mutex_init(&r->lock, NULL) != 0)
		abort();	/* only fails for lack of resources at start */
}

void
recycle_clear(struct recycle *r)
{
	pthread_mutex_destroy(&r->lock);
	r->n = 0;
	r->reserved = 0;
}

/* A place in the pool for one more; 0 when it is full. */
static int
recycle_reserve(struct recycle *r)
{
	int ok;

	pthread_mutex_lock(&r->lock);
	if ((ok = r->n + r->reserved < RECYCLE_MAX))
		r->reserved++;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* The reserved place is used by free/<id> (ready) or given back. */
static void
recycle_release(struct recycle *r, uint32_t id, int ready)
{
	pthread_mutex_lock(&r->lock);
	r->reserved--;
	if (ready)
		r->id[r->n++] = id;
	pthread_mutex_unlock(&r->lock);
}

/*
 * 0 if the open directory dfd holds a regular file "message" and at most
 * one other regular file, whose name goes to other ("" if none); else -1.
 */
static int
recycle_inspect(int dfd, char *other, size_t othersz)
{
	/* the kernel's record (getdents64(2)); aligned for it */
	struct recycle_dirent {
		uint64_t	 d_ino;
		int64_t		 d_off;
		unsigned short	 d_reclen;
		unsigned char	 d_type;
		char		 d_name[];
	} *de;
	union {
		char		 b[2048];
		uint64_t	 align;
	} buf;
	struct stat st;
	ssize_t n, off;
	int message = 0, ret = 0;

	/*
	 * Read straight from dfd: no opendir's second descriptor and
	 * buffer, one call for a directory this small and one for its end.
	 * Only *at() calls use dfd afterwards; its offset does not matter.
	 */
	other[0] = '\0';
	while (ret == 0 && (n = getdents64(dfd, buf.b, sizeof(buf.b))) > 0)
		for (off = 0; ret == 0 && off < n; off += de->d_reclen) {
			de = (struct recycle_dirent *)(void *)(buf.b + off);
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (de->d_type != DT_REG && (de->d_type != DT_UNKNOWN ||
			    fstatat(dfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode)))
				ret = -1;
			else if (strcmp(de->d_name, COMMIT_MESSAGE) == 0)
				message = 1;
			else if (other[0] != '\0' || strlcpy(other,
			    de->d_name, othersz) >= othersz)
				ret = -1;
		}
	if (n == -1)
		ret = -1;
	return ret == 0 && message ? 0 : -1;
}

/* Truncate the regular file name in dfd to nothing. */
static int
recycle_empty(int dfd, const char *name)
{
	int fd;

	if ((fd = openat(dfd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	return close(fd);
}

/*
 * In a directory now in free/: other becomes the spare, the message is
 * emptied. The spare keeps its bytes: only the queue writes envelopes,
 * and the next one overwrites it in place and cuts it to its length
 * (recycle_open_spare()), so its block is neither freed nor allocated
 * again. The message is emptied here: the smtp role writes it, and must
 * never be handed anything of another message.
 */
static int
recycle_ready(int dfd, const char *other)
{
	if (other[0] != '\0' && strcmp(other, RECYCLE_SPARE) != 0 &&
	    renameat(dfd, other, dfd, RECYCLE_SPARE) == -1)
		return -1;
	return recycle_empty(dfd, COMMIT_MESSAGE);
}

/*
 * Open a file of a spare directory for writing: emptied when it was kept,
 * so no O_TRUNC (on ext4, truncating a file to nothing makes its next
 * close start writing it back at once); one that is not empty after all
 * is truncated. A descriptor, or -1 with errno.
 */
int
recycle_open(int dfd, const char *name)
{
	struct stat st;
	int fd, saved;

	if ((fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_size != 0 && ftruncate(fd, 0) == -1)) {
		saved = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * The spare envelope file, renamed to name, opened for writing as it is:
 * its size in *size, for the writer to cut it to what it wrote. A
 * descriptor, or -1 with errno.
 */
int
recycle_open_spare(int dfd, const char *name, off_t *size)
{
	struct stat st;
	int fd;

	if ((fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/*
 * The message directory name (relative to fromfd) is not wanted any
 * more: 1 if it left name (kept in free/, or removed when it could not be
 * made ready), 0 if it is still there for the caller to remove (the pool
 * is full, it holds something else, or an error). With only, the file
 * beside the message must be that one (an envelope known to be its last).
 */
int
recycle_keep(struct recycle *r, int spoolfd, int fromfd, const char *name,
    const char *only)
{
	char other[NAME_MAX + 1], to[RECYCLE_PATH_MAX];
	uint32_t id = 0;
	int dfd, moved = 0, ready = 0;

	if (!recycle_reserve(r))
		return 0;
	if ((dfd = openat(fromfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		recycle_release(r, 0, 0);
		return 0;
	}
	if (recycle_inspect(dfd, other, sizeof(other)) == 0 &&
	    (only == NULL || strcmp(other, only) == 0)) {
		id = ids_msgid_new();
		snprintf(to, sizeof(to), SPOOL_FREE "/%08x", id);
		if (spoolfs_rename_noreplace(fromfd, name, spoolfd, to) == 0) {
			moved = 1;
			/* dfd still names the directory, wherever it is */
			ready = recycle_ready(dfd, other) == 0;
			if (!ready)
				spoolfs_rmtree(spoolfd, to, NULL);
		}
	}
	close(dfd);
	recycle_release(r, id, ready);
	return moved;
}

/*
 * CREATE: a kept directory renamed to `to` (incoming/<msgid>). 1 if
 * done; 0 if none is kept or it cannot be used (the caller makes a new
 * directory; a spare lost that way stays in free/ until the next start);
 * -1 with errno EEXIST if `to` exists (the spare stays kept).
 */
int
recycle_take(struct recycle *r, int spoolfd, const char *to)
{
	char from[RECYCLE_PATH_MAX];
	uint32_t id;

	pthread_mutex_lock(&r->lock);
	if (r->n == 0) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	id = r->id[--r->n];
	pthread_mutex_unlock(&r->lock);
	snprintf(from, sizeof(from), SPOOL_FREE "/%08x", id);
	if (spoolfs_rename_noreplace(spoolfd, from, spoolfd, to) == 0)
		return 1;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return 0;
	pthread_mutex_lock(&r->lock);
	if (r->n + r->reserved < RECYCLE_MAX)
		r->id[r->n++] = id;
	pthread_mutex_unlock(&r->lock);
	errno = EEXIST;
	return -1;
}

/* recycle_sweep()'s state for each entry. */
struct recycle_sweep {
	struct recycle		*r;
	int			 spoolfd;
	const atomic_int	*stop;
	size_t			 kept;
};

static int
recycle_sweep_one(int dfd, const char *name, void *arg)
{
	struct recycle_sweep *sw = arg;
	size_t len = strlen(name), slen = strlen(RECYCLE_NOKEEP);

	if ((len < slen || strcmp(name + len - slen, RECYCLE_NOKEEP) != 0) &&
	    recycle_keep(sw->r, sw->spoolfd, dfd, name, NULL)) {
		sw->kept++;
		return 0;
	}
	return spoolfs_rmtree(dfd, name, sw->stop);
}

/*
 * The purge job: every entry of dir (purge/) kept in free/ or removed.
 * *removed and *kept count them. 0, or -1 with errno (EINTR: stopped).
 */
int
recycle_sweep(struct recycle *r, int spoolfd, const char *dir,
    const atomic_int *stop, size_t *removed, size_t *kept)
{
	struct recycle_sweep sw;
	size_t handled = 0;
	int ret;

	sw.r = r;
	sw.spoolfd = spoolfd;
	sw.stop = stop;
	sw.kept = 0;
	ret = spoolfs_each(spoolfd, dir, stop, recycle_sweep_one, &sw,
	    &handled);
	*kept = sw.kept;
	*removed = handled - sw.kept;
	return ret;
}

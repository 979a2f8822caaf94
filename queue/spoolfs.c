/*
 * spoolfs.c: directory-relative file operations for the queue: fsync of a
 * directory, rename that never replaces, move under a unique name, tree
 * removal that never follows a symbolic link, bounded reads of regular
 * files. Called by commit.c, walk.c and quarantine.c, in worker threads
 * and in unit tests. Never logs, never allocates more than a directory
 * stream, keeps no state; errors come back as -1 with errno set.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "queue/spoolfs.h"

static int	spoolfs_rmtree_at(int, const char *, const atomic_int *, int);
static int	spoolfs_empty_fd(int, const atomic_int *, int,
		    spoolfs_entry_fn, void *, size_t *);

/*
 * snprintf for a path: 0, or -1 with errno ENAMETOOLONG when it does not
 * fit (out then holds the cut string, good enough for a log line only).
 */
int
spoolfs_path(char *out, size_t outsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Open a directory (relative to dirfd) and fsync it. */
int
spoolfs_fsync_dir(int dirfd, const char *path)
{
	int fd, saved;

	if ((fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * rename(2) that fails with EEXIST instead of replacing a file or an empty
 * directory. Falls back to a check and a plain rename on filesystems
 * without RENAME_NOREPLACE (only the queue role writes the spool, so the
 * window between the two does not matter).
 */
int
spoolfs_rename_noreplace(int fromfd, const char *from, int tofd,
    const char *to)
{
	struct stat st;

	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fstatat(tofd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	return renameat(fromfd, from, tofd, to);
}

/*
 * Move from to `to`, or to "to.1", "to.2" ... when that exists. The name
 * used is copied to final (may be NULL). 0, or -1 with errno.
 */
int
spoolfs_move_unique(int fromfd, const char *from, int tofd, const char *to,
    char *final, size_t finalsz)
{
	char name[SPOOLFS_PATH_MAX];
	int i, n;

	for (i = 0; i < SPOOLFS_UNIQUE_TRIES; i++) {
		if (i == 0)
			n = snprintf(name, sizeof(name), "%s", to);
		else
			n = snprintf(name, sizeof(name), "%s.%d", to, i);
		if (n < 0 || (size_t)n >= sizeof(name)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (spoolfs_rename_noreplace(fromfd, from, tofd, name) == 0) {
			if (final != NULL &&
			    (size_t)snprintf(final, finalsz, "%s", name) >=
			    finalsz && finalsz > 0)
				final[finalsz - 1] = '\0';
			return 0;
		}
		if (errno != EEXIST && errno != ENOTEMPTY)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/*
 * Every entry inside the open directory fd (closed here) removed, or
 * handed to fn when it is not NULL.
 */
static int
spoolfs_empty_fd(int fd, const atomic_int *stop, int depth,
    spoolfs_entry_fn fn, void *arg, size_t *count)
{
	DIR *dir;
	struct dirent *de;
	int ret = 0, saved = 0;

	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (stop != NULL && atomic_load(stop)) {
			saved = EINTR;
			ret = -1;
			break;
		}
		if ((fn != NULL ? fn(dirfd(dir), de->d_name, arg) :
		    spoolfs_rmtree_at(dirfd(dir), de->d_name, stop,
		    depth + 1)) == -1) {
			if (ret == 0)
				saved = errno;
			ret = -1;
			continue;
		}
		if (count != NULL)
			(*count)++;
	}
	closedir(dir);
	if (ret == -1)
		errno = saved;
	return ret;
}

static int
spoolfs_rmtree_at(int dirfd, const char *name, const atomic_int *stop,
    int depth)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) == -1 && errno != ENOENT ?
		    -1 : 0;
	if (depth >= SPOOLFS_DEPTH_MAX) {
		errno = ELOOP;
		return -1;
	}
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (spoolfs_empty_fd(fd, stop, depth, NULL, NULL, NULL) == -1)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/* Remove name (a file, or a directory and all below it). Missing is OK. */
int
spoolfs_rmtree(int dirfd, const char *name, const atomic_int *stop)
{
	return spoolfs_rmtree_at(dirfd, name, stop, 0);
}

/*
 * Remove everything inside the directory path, keep the directory. The
 * number of top-level entries removed is added to *count (may be NULL).
 * Goes on after an error; returns -1 with the first errno if any.
 */
int
spoolfs_empty(int dirfd, const char *path, const atomic_int *stop,
    size_t *count)
{
	return spoolfs_each(dirfd, path, stop, NULL, NULL, count);
}

/*
 * spoolfs_empty(), with fn deciding for each top-level entry (0, or -1
 * with errno); fn NULL removes it.
 */
int
spoolfs_each(int dirfd, const char *path, const atomic_int *stop,
    spoolfs_entry_fn fn, void *arg, size_t *count)
{
	int fd;

	if ((fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	return spoolfs_empty_fd(fd, stop, 0, fn, arg, count);
}

/*
 * Read a regular file of at most cap bytes into buf. -1 with errno:
 * EINVAL if it is not a regular file, EFBIG if it is longer than cap.
 * Never opens through a symbolic link, never blocks on a FIFO.
 */
int
spoolfs_read(int dirfd, const char *name, uint8_t *buf, size_t cap,
    size_t *lenp)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	uint8_t extra;
	int fd, saved;

	*lenp = 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	while (len < cap) {
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == cap) {
		while ((n = read(fd, &extra, 1)) == -1 && errno == EINTR)
			;
		if (n == -1)
			goto fail;
		if (n == 1) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	*lenp = len;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * A name from the disk made safe for a key=value log line: bytes outside
 * printable ASCII, spaces, quotes and backslashes become '?', and a long
 * name is cut with "...". Returns out.
 */
const char *
spoolfs_logname(const char *in, char *out, size_t outsz)
{
	size_t i;

	if (outsz == 0)
		return out;
	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' ||
		    c == '=') ? '?' : (char)c;
	}
	out[i] = '\0';
	if (in[i] != '\0' && outsz > 4)
		memcpy(out + outsz - 4, "...", 4);
	return out;
}

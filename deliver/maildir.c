/*
 * maildir.c: Maildir delivery (delivery.md §2): the +tag folder choice,
 * creating a missing Maildir, the unique name with its exact ,S= size,
 * and the qmail write sequence tmp -> fsync -> link into new -> unlink
 * tmp -> fsync new/. Errors map through outcome_errno (§2.4).
 * Called by main.c as the recipient, never as root. It never creates a
 * folder for a tag, never leaves a file in tmp/ after a failure it saw,
 * and never reports success before new/ is on disk.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "lib/log.h"

#define MAILDIR_PATH_MAX	4096
#define MAILDIR_NAME_MAX	256	/* NAME_MAX and NUL */
#define MAILDIR_TAG_BAD		"!#$%&'*?`{|}~"

/* Deliveries made by this process: the Q<n> of the unique name. */
static unsigned long maildir_seq;

/*
 * The Maildir this process last found or made whole (tmp/, new/, cur/):
 * an agent (-A) delivers to one user's, and checking it for every
 * message cost a stat and three mkdir. A tmp/ or new/ removed since is
 * made again when it cannot be opened (maildir_opensub()).
 */
static char	maildir_ready[MAILDIR_PATH_MAX];

static int	maildir_mkpath(char *, struct outcome *);
static int	maildir_opensub(const char *, const char *, struct outcome *);
static int	maildir_unique(char *, size_t, const struct timespec *,
		    uint64_t, const char *, uint64_t);

/*
 * HOST of the unique name: '/' written \057 and ':' written \072 (§2.3).
 * -1 if it does not fit.
 */
int
maildir_host(char *out, size_t size, const char *host)
{
	size_t o = 0;
	const char *s;

	for (s = host; *s != '\0'; s++) {
		if (*s == '/' || *s == ':') {
			if (o + 4 >= size)
				return -1;
			memcpy(out + o, *s == '/' ? "\\057" : "\\072", 4);
			o += 4;
		} else {
			if (o + 1 >= size)
				return -1;
			out[o++] = *s;
		}
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/*
 * SECONDS.M<usec>P<pid>Q<n>[E<evpid>].HOST,S=<size>; -1 if it does not
 * fit. E<evpid> (16 hex digits, from the queue) lets a redelivery after a
 * crash see that this envelope already arrived (design.md step 7).
 */
int
maildir_name(char *out, size_t size, long long sec, long usec, long pid,
    unsigned long q, uint64_t evpid, const char *host, uint64_t fsize)
{
	char e[20];
	int n;

	e[0] = '\0';
	if (evpid)
		snprintf(e, sizeof(e), "E%016llx", (unsigned long long)evpid);
	n = snprintf(out, size, "%lld.M%ldP%ldQ%lu%s.%s,S=%llu", sec, usec,
	    pid, q, e, host, (unsigned long long)fsize);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * A delivery of evpid cut short (killed, crashed) may have left its file
 * in DIR/tmp, maybe linked into new/ already: the tmp name goes.
 */
static void
maildir_clean_tmp(const char *dir, const char *tag)
{
	char path[MAILDIR_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((size_t)snprintf(path, sizeof(path), "%s/tmp", dir) >=
	    sizeof(path) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, tag) != NULL)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/*
 * Before delivering evpid again after an attempt whose end is unknown:
 * its leftovers in DIR/tmp are removed, then 1 if DIR/new or DIR/cur
 * holds a file named for evpid, 0 if not, -1.
 */
int
maildir_has_evpid(const char *dir, uint64_t evpid)
{
	static const char *subs[] = { "new", "cur" };
	char path[MAILDIR_PATH_MAX], tag[20];
	struct dirent *de;
	DIR *d;
	size_t i;

	snprintf(tag, sizeof(tag), "E%016llx.", (unsigned long long)evpid);
	maildir_clean_tmp(dir, tag);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    subs[i]) >= sizeof(path))
			return -1;
		if ((d = opendir(path)) == NULL) {
			if (errno == ENOENT)
				continue;
			return -1;
		}
		while ((de = readdir(d)) != NULL)
			if (strstr(de->d_name, tag) != NULL) {
				closedir(d);
				return 1;
			}
		closedir(d);
	}
	return 0;
}

/*
 * The Maildir++ folder name ".TAG" for a sub-address tag (§2.1):
 * characters of MAILDIR_TAG_BAD become ':'. -1 when the tag is unusable
 * (empty, containing '/' or "..", starting with '.', a control
 * character, or too long): then the mail goes to the Maildir root.
 */
int
maildir_tag(char *out, size_t size, const char *tag)
{
	size_t i, len = strlen(tag);

	if (len == 0 || tag[0] == '.' || strchr(tag, '/') != NULL ||
	    strstr(tag, "..") != NULL || len + 2 > size)
		return -1;
	out[0] = '.';
	for (i = 0; i < len; i++) {
		if ((unsigned char)tag[i] < 0x20 || tag[i] == 0x7f)
			return -1;
		out[i + 1] = strchr(MAILDIR_TAG_BAD, tag[i]) ? ':' : tag[i];
	}
	out[len + 1] = '\0';
	return 0;
}

/*
 * The delivery directory: ROOT/.TAG, else ROOT/.tag (lower case), if one
 * of them already is a directory; else ROOT. Folders are never created.
 */
int
maildir_choose(char *dir, size_t size, const char *root, const char *tag,
    struct outcome *o)
{
	char folder[DLV_TAG_MAX + 2];
	struct stat st;
	size_t i;
	int pass, n;

	if (tag != NULL && maildir_tag(folder, sizeof(folder), tag) == 0) {
		for (pass = 0; pass < 2; pass++) {
			if (pass == 1)
				for (i = 0; folder[i] != '\0'; i++)
					folder[i] = (char)tolower(
					    (unsigned char)folder[i]);
			n = snprintf(dir, size, "%s/%s", root, folder);
			if (n < 0 || (size_t)n >= size)
				break;
			if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
				return 0;
		}
	}
	if (strlcpy(dir, root, size) >= size) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "Maildir path too long");
		return -1;
	}
	return 0;
}

/* mkdir every missing component of path, mode 0700 (path is modified). */
static int
maildir_mkpath(char *path, struct outcome *o)
{
	char *p;

	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			outcome_errno(o, errno, "mkdir %s", path);
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		outcome_errno(o, errno, "mkdir %s", path);
		return -1;
	}
	return 0;
}

/*
 * §2.2: create DIR (every missing component) if it does not exist, then
 * DIR/tmp, DIR/new and DIR/cur, each 0700; EEXIST is fine. A component
 * that is not a directory fails later with ENOTDIR: temporary 4.2.0.
 */
int
maildir_prepare(const char *dir, struct outcome *o)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char path[MAILDIR_PATH_MAX];
	struct stat st;
	size_t i;

	if (strcmp(dir, maildir_ready) == 0)
		return 0;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			outcome_set(o, OUTCOME_TEMP, "4.2.0", "Maildir %s is "
			    "not a directory", dir);
			return -1;
		}
	} else if (errno != ENOENT) {
		outcome_errno(o, errno, "stat %s", dir);
		return -1;
	} else {
		if (strlcpy(path, dir, sizeof(path)) >= sizeof(path)) {
			outcome_set(o, OUTCOME_TEMP, "4.2.0", "Maildir path "
			    "too long");
			return -1;
		}
		if (maildir_mkpath(path, o) == -1)
			return -1;
	}
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, sub[i]) >=
		    (int)sizeof(path)) {
			outcome_set(o, OUTCOME_TEMP, "4.2.0", "Maildir path "
			    "too long");
			return -1;
		}
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			outcome_errno(o, errno, "mkdir %s", path);
			return -1;
		}
	}
	strlcpy(maildir_ready, dir, sizeof(maildir_ready));
	return 0;
}

/* DIR/sub (tmp or new) opened; one gone is made again, once. */
static int
maildir_opensub(const char *dir, const char *sub, struct outcome *o)
{
	char path[MAILDIR_PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    (int)sizeof(path)) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "Maildir path too long");
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		maildir_ready[0] = '\0';
		if (maildir_prepare(dir, o) == -1)
			return -1;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd == -1)
		outcome_errno(o, errno, "open %s", path);
	return fd;
}

/* The next unique name: Q<n> counts this process's deliveries from 1. */
static int
maildir_unique(char *name, size_t size, const struct timespec *ts,
    uint64_t evpid, const char *host, uint64_t fsize)
{
	return maildir_name(name, size, (long long)ts->tv_sec,
	    ts->tv_nsec / 1000, (long)getpid(), ++maildir_seq, evpid, host,
	    fsize);
}

/*
 * §2.3: writes hdrs and the converted message into DIR/tmp/NAME and moves
 * it into DIR/new. The size in NAME is measured first (msgsrc.c); a
 * message that changes between the passes is a temporary failure.
 */
int
maildir_deliver(const char *dir, struct msgsrc *m, const struct buf *hdrs,
    uint64_t evpid, struct outcome *o)
{
	char path[MAILDIR_PATH_MAX], hostname[HOST_NAME_MAX + 1];
	char host[MAILDIR_HOST_SIZE], name[MAILDIR_NAME_MAX];
	char newname[MAILDIR_NAME_MAX];
	struct timespec ts;
	uint64_t body, size, written;
	int tmpfd = -1, newfd = -1, fd = -1, tries, err = 0, linked = 0;

	if (msgsrc_measure(m, CONVERT_STRIP, &body, o) == -1)
		return -1;
	size = body + (hdrs ? buf_avail(hdrs) : 0);

	if (gethostname(hostname, sizeof(hostname)) == -1)
		strlcpy(hostname, "localhost", sizeof(hostname));
	hostname[sizeof(hostname) - 1] = '\0';
	if (maildir_host(host, sizeof(host), hostname) == -1)
		strlcpy(host, "localhost", sizeof(host));

	if ((tmpfd = maildir_opensub(dir, "tmp", o)) == -1 ||
	    (newfd = maildir_opensub(dir, "new", o)) == -1)
		goto fail;

	/* 1. A new file in tmp/; EEXIST: the next Q<n>. */
	clock_gettime(CLOCK_REALTIME, &ts);
	for (tries = 0; tries < MAILDIR_TRIES; tries++) {
		if (maildir_unique(name, sizeof(name), &ts, evpid, host,
		    size) == -1) {
			outcome_set(o, OUTCOME_TEMP, "4.2.0", "Maildir file "
			    "name too long");
			goto fail;
		}
		fd = openat(tmpfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		if (tries == MAILDIR_TRIES)
			outcome_set(o, OUTCOME_TEMP, "4.2.0", "no unique file "
			    "name in %s/tmp", dir);
		else
			outcome_errno(o, errno, "create %s/tmp/%s", dir, name);
		goto fail;
	}

	/* 2, 3. Write, fsync, close; any error removes tmp/NAME. */
	snprintf(path, sizeof(path), "%s/tmp/%s", dir, name);
	if (msgsrc_copy(m, CONVERT_STRIP, hdrs, fd, &written, path, o) == -1)
		goto failtmp;
	if (written != size) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "message changed while "
		    "being delivered");
		goto failtmp;
	}
	if (fsync(fd) == -1) {
		outcome_errno(o, errno, "fsync %s", path);
		goto failtmp;
	}
	err = close(fd);
	fd = -1;
	if (err == -1) {
		outcome_errno(o, errno, "close %s", path);
		goto failtmp;
	}

	/* 4. Link into new/ (EEXIST: the next Q<n>), or rename if no links. */
	strlcpy(newname, name, sizeof(newname));
	for (tries = 0; tries < MAILDIR_TRIES; tries++) {
		if (linkat(tmpfd, name, newfd, newname, 0) == 0) {
			linked = 1;
			break;
		}
		err = errno;
		if (err == EPERM || err == EXDEV || err == ENOTSUP ||
		    err == ENOSYS) {
			if (renameat(tmpfd, name, newfd, newname) == 0)
				break;
			err = errno;
		}
		if (err != EEXIST) {
			outcome_errno(o, err, "link %s into %s/new", path, dir);
			goto failtmp;
		}
		if (maildir_unique(newname, sizeof(newname), &ts, evpid, host,
		    size) == -1)
			break;
	}
	if (tries == MAILDIR_TRIES || (!linked && err == EEXIST)) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "no unique file name in "
		    "%s/new", dir);
		goto failtmp;
	}
	if (linked && unlinkat(tmpfd, name, 0) == -1)
		log_warn("user-maildir=%s unlink tmp/%s", dir, name);

	/* 5. Only a durable new/ makes the delivery. */
	if (fsync(newfd) == -1) {
		err = errno;
		outcome_errno(o, err, "fsync %s/new", dir);
		if (err == EIO)
			unlinkat(newfd, newname, 0);
		goto fail;
	}
	close(tmpfd);
	close(newfd);
	outcome_set(o, OUTCOME_OK, "2.0.0", "delivered to %s/new/%s", dir,
	    newname);
	return 0;

 failtmp:
	if (fd != -1)
		close(fd);
	fd = -1;
	unlinkat(tmpfd, name, 0);
 fail:
	if (fd != -1)
		close(fd);
	if (tmpfd != -1)
		close(tmpfd);
	if (newfd != -1)
		close(newfd);
	return -1;
}

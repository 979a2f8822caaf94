/*
 * queue_util.h: helpers shared by the queue unit tests (queue_*_test.c):
 * a throw-away spool under $TMPDIR, directory listings to compare with
 * what a test expects, and a valid envelope to encode. Static inline, so
 * each test binary takes what it uses (the GNUmakefile links one .c per
 * test). Not library code: it asserts with cmocka.
 */
#ifndef T_UNIT_QUEUE_UTIL_H
#define T_UNIT_QUEUE_UTIL_H

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/envelope.h"
#include "queue/queue_msg.h"
#include "queue/spool.h"
#include "queue/spoolfs.h"

#define QT_PATH_MAX	512
#define QT_LIST_MAX	4096

struct qt_spool {
	char	dir[QT_PATH_MAX];
	int	fd;
};

/* A fresh spool: root and the directories spool_prepare() makes. */
static inline void
qt_spool_new(struct qt_spool *s)
{
	static const char *sub[] = { SPOOL_INCOMING, SPOOL_QUEUE,
	    SPOOL_CORRUPT, SPOOL_PURGE, SPOOL_FREE };
	const char *tmp = getenv("TMPDIR");
	size_t i;

	snprintf(s->dir, sizeof(s->dir), "%s/queue-test-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(s->dir));
	s->fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->fd >= 0);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		assert_int_equal(mkdirat(s->fd, sub[i], 0700), 0);
}

static inline void
qt_spool_free(struct qt_spool *s)
{
	assert_int_equal(spoolfs_empty(s->fd, ".", NULL, NULL), 0);
	close(s->fd);
	assert_int_equal(rmdir(s->dir), 0);
}

static inline int
qt_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in directory path, sorted, joined by spaces ("" if empty,
 * "-" if it cannot be opened).
 */
static inline const char *
qt_list(int fd, const char *path, char *out, size_t outsz)
{
	char *names[256];
	struct dirent *de;
	DIR *d;
	size_t n = 0, i;
	int dfd;

	out[0] = '\0';
	if ((dfd = openat(fd, path, O_RDONLY | O_DIRECTORY)) == -1 ||
	    (d = fdopendir(dfd)) == NULL) {
		snprintf(out, outsz, "-");
		return out;
	}
	while ((de = readdir(d)) != NULL && n < 256)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), qt_cmp);
	for (i = 0; i < n; i++) {
		if (i)
			strlcat(out, " ", outsz);
		strlcat(out, names[i], outsz);
		free(names[i]);
	}
	return out;
}

static inline int
qt_exists(int fd, const char *path)
{
	struct stat st;

	return fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static inline void
qt_write(int fd, const char *path, const void *data, size_t len)
{
	int f;

	f = openat(fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(f >= 0);
	assert_int_equal(write(f, data, len), (ssize_t)len);
	close(f);
}

/* The whole file, NUL-terminated, in a malloc'ed buffer. */
static inline char *
qt_read(int fd, const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	int f;

	if ((f = openat(fd, path, O_RDONLY)) == -1)
		return NULL;
	assert_int_equal(fstat(f, &st), 0);
	buf = calloc(1, (size_t)st.st_size + 1);
	assert_int_equal(read(f, buf, (size_t)st.st_size), st.st_size);
	close(f);
	if (lenp)
		*lenp = (size_t)st.st_size;
	return buf;
}

/* A minimal valid envelope (envelope_validate) for evpid. */
static inline void
qt_envelope(struct envelope *e, uint64_t evpid, const char *rcpt)
{
	memset(e, 0, sizeof(*e));
	e->evpid = evpid;
	e->type = ENVELOPE_MDA;
	strlcpy(e->dispatcher, "local", sizeof(e->dispatcher));
	e->family = ENVELOPE_LOCAL;
	strlcpy(e->sockaddr, "local", sizeof(e->sockaddr));
	strlcpy(e->sender, "alice@example.org", sizeof(e->sender));
	strlcpy(e->rcpt, rcpt, sizeof(e->rcpt));
	strlcpy(e->dest, rcpt, sizeof(e->dest));
	e->ctime = 1732180200;
	e->ttl = 4 * 86400;
}

/* Encoded envelope bytes (free them). */
static inline uint8_t *
qt_encode(uint64_t evpid, const char *rcpt, size_t *lenp)
{
	struct envelope e;
	char err[ENVELOPE_ERR_MAX];
	uint8_t *buf;

	qt_envelope(&e, evpid, rcpt);
	if (envelope_encode(&e, &buf, lenp, err, sizeof(err)) == -1)
		fail_msg("envelope_encode: %s", err);
	return buf;
}

/* create + body: the msgid, its message fd closed. */
static inline uint32_t
qt_message(struct commit_spool *cs, const char *body)
{
	struct commit_result res;
	uint32_t msgid;
	int fd;

	assert_int_equal(commit_create(cs, &msgid, &fd, &res), 0);
	assert_int_equal(res.status, QUEUE_OK);
	assert_true(msgid != 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
	return msgid;
}

#endif

/*
 * offline.c: the spool read by smtpctl itself when no daemon answers
 * (offline.h, spec/ctl.md section 4.1). Layout (queue/walk.c enforces
 * it): queue/<hh>/<msgid>/<evpid>, envelope files decoded with
 * envelope_decode(). Envelopes are reported in evpid order, so those of
 * one message are consecutive. Read-only: unlike the daemon's start-up
 * walk it never moves, quarantines or deletes anything; a file that does
 * not decode is reported through out->warning and skipped. Called by
 * ctl/smtpctl.c.
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

#include "ctl/offline.h"
#include "lib/ids.h"
#include "lib/xmalloc.h"
#include "queue/commit.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "queue/spoolfs.h"

#define OFFLINE_WARN_MAX	(SPOOLFS_PATH_MAX + ENVELOPE_ERR_MAX + 64)

struct offline {
	int			 qfd;		/* queue/ */
	uint64_t		*ids;
	size_t			 nids, cap;
	const struct offline_out *out;
};

static int	offline_hex(const char *, size_t);
static void	offline_warn(struct offline *, const char *, const char *);
static void	offline_message(struct offline *, int, const char *,
		    uint32_t);
static void	offline_bucket(struct offline *, const char *);
static int	offline_cmp(const void *, const void *);
static void	offline_report(struct offline *, uint64_t, uint8_t *,
		    struct envelope *);

/* Exactly len lowercase hex digits: the only names the queue writes. */
static int
offline_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

static void
offline_warn(struct offline *o, const char *where, const char *what)
{
	char msg[OFFLINE_WARN_MAX];

	snprintf(msg, sizeof(msg), "%s/%s: %s, skipped", SPOOL_QUEUE, where,
	    what);
	o->out->warning(o->out->arg, msg);
}

/* The envelope files of one message directory, by name. */
static void
offline_message(struct offline *o, int bfd, const char *name, uint32_t msgid)
{
	char where[SPOOLFS_PATH_MAX];
	struct dirent *de;
	DIR *dir;
	uint64_t evpid;
	int fd;

	if ((fd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		if (errno == ENOENT)
			return;
		snprintf(where, sizeof(where), "%02x/%s",
		    COMMIT_BUCKET(msgid), name);
		offline_warn(o, where, strerror(errno));
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!offline_hex(de->d_name, IDS_EVPID_LEN) ||
		    ids_evpid_parse(de->d_name, &evpid) == -1 ||
		    ids_evpid_msgid(evpid) != msgid)
			continue;	/* message, updates in progress */
		if (o->nids == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 256;
			o->ids = xreallocarray(o->ids, o->cap,
			    sizeof(*o->ids));
		}
		o->ids[o->nids++] = evpid;
	}
	closedir(dir);
}

static void
offline_bucket(struct offline *o, const char *name)
{
	struct dirent *de;
	DIR *dir;
	uint32_t msgid;
	int fd;

	if ((fd = openat(o->qfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		if (errno != ENOENT)
			offline_warn(o, name, strerror(errno));
		return;
	}
	while ((de = readdir(dir)) != NULL)
		if (offline_hex(de->d_name, IDS_MSGID_LEN) &&
		    ids_msgid_parse(de->d_name, &msgid) == 0)
			offline_message(o, dirfd(dir), de->d_name, msgid);
	closedir(dir);
}

static int
offline_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Read, check and hand over one envelope file. */
static void
offline_report(struct offline *o, uint64_t evpid, uint8_t *buf,
    struct envelope *env)
{
	char path[SPOOLFS_PATH_MAX], err[ENVELOPE_ERR_MAX];
	char what[ENVELOPE_ERR_MAX + 32];
	uint32_t msgid = ids_evpid_msgid(evpid);
	size_t len;

	snprintf(path, sizeof(path), "%02x/%08x/%016llx",
	    COMMIT_BUCKET(msgid), (unsigned int)msgid,
	    (unsigned long long)evpid);
	if (spoolfs_read(o->qfd, path, buf, ENVELOPE_ENCODED_MAX, &len) == -1) {
		if (errno == ENOENT)
			return;		/* delivered meanwhile */
		offline_warn(o, path, errno == EFBIG ? "corrupt envelope: "
		    "too large" : strerror(errno));
		return;
	}
	if (envelope_decode(buf, len, env, err, sizeof(err)) == -1) {
		snprintf(what, sizeof(what), "corrupt envelope: %s", err);
		offline_warn(o, path, what);
		return;
	}
	if (env->evpid != evpid) {
		offline_warn(o, path, "corrupt envelope: its id is not its "
		    "name");
		return;
	}
	o->out->envelope(o->out->arg, env);
}

/*
 * Every envelope under spool/queue (or only message msgid's when
 * haveid), in evpid order. 0, or -1 with errno when the spool or its
 * queue/ cannot be opened.
 */
int
offline_walk(const char *spool, int haveid, uint32_t msgid,
    const struct offline_out *out)
{
	char name[IDS_MSGID_SIZE + 4];
	struct offline o;
	struct envelope *env;
	struct dirent *de;
	DIR *dir;
	uint8_t *buf;
	size_t i;
	int sfd, fd, saved;

	memset(&o, 0, sizeof(o));
	o.out = out;
	if ((sfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	o.qfd = openat(sfd, SPOOL_QUEUE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	saved = errno;
	close(sfd);
	if (o.qfd == -1) {
		errno = saved;
		return -1;
	}
	if (haveid) {
		snprintf(name, sizeof(name), "%02x", COMMIT_BUCKET(msgid));
		if ((fd = openat(o.qfd, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) != -1) {
			offline_message(&o, fd, ids_msgid_fmt(msgid, name),
			    msgid);
			close(fd);
		}
	} else {
		if ((fd = dup(o.qfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
			saved = errno;
			if (fd != -1)
				close(fd);
			close(o.qfd);
			errno = saved;
			return -1;
		}
		while ((de = readdir(dir)) != NULL)
			if (offline_hex(de->d_name, 2))
				offline_bucket(&o, de->d_name);
		closedir(dir);
	}
	if (o.nids > 0)
		qsort(o.ids, o.nids, sizeof(*o.ids), offline_cmp);
	buf = xmalloc(ENVELOPE_ENCODED_MAX);
	env = xmalloc(sizeof(*env));
	for (i = 0; i < o.nids; i++)
		offline_report(&o, o.ids[i], buf, env);
	free(env);
	free(buf);
	free(o.ids);
	close(o.qfd);
	return 0;
}

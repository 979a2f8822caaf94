/*
 * walk.c: the start-up walk (walk.h). Layout rules it enforces: queue/
 * holds only bucket directories named by two lowercase hex digits; a
 * bucket holds only directories named by the 8 hex digits of a msgid
 * whose low byte is the bucket; a message directory holds a regular file
 * `message` and envelope files named by their 16 hex digit evpid, each a
 * valid envelope (envelope_decode) with that very evpid. Anything else is
 * quarantined. Called by queue.c in a worker thread and by unit tests;
 * never aborts on what it reads, never deletes under queue/.
 * walk_discover() (smtpctl discover) runs the envelope checks on one
 * message of the running queue, leaving what is not an envelope alone.
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
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/commit.h"
#include "queue/envelope.h"
#include "queue/index.h"
#include "queue/quarantine.h"
#include "queue/spool.h"
#include "queue/spoolfs.h"
#include "queue/update.h"
#include "queue/walk.h"

/* A path for a log line: a few components, each cut by spoolfs_logname. */
#define WALK_NAME_LOG	80

struct walk {
	int			 spoolfd;
	struct index		*idx;
	struct walk_stats	*st;
	const atomic_int	*stop;
	uint8_t			*buf;		/* ENVELOPE_ENCODED_MAX */
	struct envelope		 env;
	char			 err[ENVELOPE_ERR_MAX];
};

static int	walk_stopped(struct walk *);
static void	walk_clear(struct walk *, const char *, size_t *);
static int	walk_hexname(const char *, size_t);
static int	walk_msgid_name(const char *, uint32_t *);
static int	walk_evpid_name(const char *, uint64_t *);
static int	walk_update_leftover(const char *);
static void	walk_queue(struct walk *);
static void	walk_bucket(struct walk *, int, const char *, unsigned int);
static void	walk_message(struct walk *, int, const char *, uint32_t,
		    const char *);
static int	walk_envelope(struct walk *, int, const char *, uint32_t,
		    uint64_t, const char *);
static void	walk_quarantine(struct walk *, int, const char *, uint32_t,
		    const char *, const char *, const char *);
static int	walk_known(const uint64_t *, size_t, uint64_t);
static int	walk_discover_one(struct walk *, int, const char *,
		    uint32_t, uint64_t, const char *);

static int
walk_stopped(struct walk *w)
{
	if (w->stop != NULL && atomic_load(w->stop)) {
		w->st->cancelled = 1;
		return 1;
	}
	return 0;
}

/* Empty a directory the walk owns outright (incoming/, purge/, free/). */
static void
walk_clear(struct walk *w, const char *dir, size_t *count)
{
	if (spoolfs_empty(w->spoolfd, dir, w->stop, count) == 0)
		return;
	if (errno == ENOENT && mkdirat(w->spoolfd, dir, 0700) == 0) {
		log_warnx("queue event=walk dir=%s result=Ok note=created",
		    dir);
		return;
	}
	if (errno == EINTR && walk_stopped(w))
		return;
	log_warn("queue event=walk dir=%s result=TempFail", dir);
	w->st->errors++;
}

/* Exactly len lowercase hex digits: the only spelling we ever write. */
static int
walk_hexname(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[len] == '\0';
}

static int
walk_msgid_name(const char *s, uint32_t *msgid)
{
	return walk_hexname(s, IDS_MSGID_LEN) &&
	    ids_msgid_parse(s, msgid) == 0;
}

static int
walk_evpid_name(const char *s, uint64_t *evpid)
{
	return walk_hexname(s, IDS_EVPID_LEN) &&
	    ids_evpid_parse(s, evpid) == 0 && ids_evpid_valid(*evpid);
}

/* <evpid>.tmp: what queue/update.c writes before its rename. */
static int
walk_update_leftover(const char *s)
{
	char name[IDS_EVPID_LEN + 1];
	uint64_t evpid;

	if (strlen(s) != IDS_EVPID_LEN + strlen(UPDATE_TMP_SUFFIX) ||
	    strcmp(s + IDS_EVPID_LEN, UPDATE_TMP_SUFFIX) != 0)
		return 0;
	memcpy(name, s, IDS_EVPID_LEN);
	name[IDS_EVPID_LEN] = '\0';
	return walk_evpid_name(name, &evpid);
}

static void
walk_quarantine(struct walk *w, int dirfd, const char *name, uint32_t msgid,
    const char *where, const char *reason, const char *detail)
{
	if (quarantine_file(w->spoolfd, dirfd, name, msgid, where, reason,
	    detail) == 0)
		w->st->quarantined++;
	else
		w->st->errors++;
}

/*
 * Walk everything. 0 when the walk went through (problems are counted in
 * st->errors and logged), -1 if it was stopped.
 */
int
walk_spool(int spoolfd, struct index *idx, struct walk_stats *st,
    const atomic_int *stop)
{
	struct walk w;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	w.spoolfd = spoolfd;
	w.idx = idx;
	w.st = st;
	w.stop = stop;
	w.buf = xmalloc(ENVELOPE_ENCODED_MAX);

	walk_clear(&w, SPOOL_INCOMING, &st->incoming);
	if (!walk_stopped(&w))
		walk_clear(&w, SPOOL_PURGE, &st->purged);
	if (!walk_stopped(&w))
		walk_clear(&w, SPOOL_FREE, &st->purged);
	if (!walk_stopped(&w) && mkdirat(spoolfd, SPOOL_CORRUPT, 0700) == 0)
		log_warnx("queue event=walk dir=" SPOOL_CORRUPT " result=Ok "
		    "note=created");
	if (!walk_stopped(&w))
		walk_queue(&w);
	free(w.buf);
	return st->cancelled ? -1 : 0;
}

static void
walk_queue(struct walk *w)
{
	char where[SPOOLFS_PATH_MAX], lname[WALK_NAME_LOG];
	struct dirent *de;
	struct stat sb;
	DIR *dir;
	unsigned int hh;
	int fd;

	if ((fd = openat(w->spoolfd, SPOOL_QUEUE, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && mkdirat(w->spoolfd, SPOOL_QUEUE,
		    0700) == 0) {
			log_warnx("queue event=walk dir=" SPOOL_QUEUE
			    " result=Ok note=created");
			return;
		}
		log_warn("queue event=walk dir=" SPOOL_QUEUE
		    " result=TempFail");
		w->st->errors++;
		return;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		log_warn("queue event=walk dir=" SPOOL_QUEUE
		    " result=TempFail");
		close(fd);
		w->st->errors++;
		return;
	}
	while ((de = readdir(dir)) != NULL && !walk_stopped(w)) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(where, sizeof(where), SPOOL_QUEUE "/%s",
		    spoolfs_logname(de->d_name, lname, sizeof(lname)));
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				w->st->errors++;
			continue;
		}
		if (S_ISDIR(sb.st_mode) && walk_hexname(de->d_name, 2) &&
		    sscanf(de->d_name, "%2x", &hh) == 1)
			walk_bucket(w, fd, de->d_name, hh);
		else
			walk_quarantine(w, fd, de->d_name, 0, where,
			    QUARANTINE_STRAY, NULL);
	}
	closedir(dir);
}

static void
walk_bucket(struct walk *w, int qfd, const char *name, unsigned int hh)
{
	char where[SPOOLFS_PATH_MAX], lname[WALK_NAME_LOG];
	struct dirent *de;
	struct stat sb;
	DIR *dir;
	uint32_t msgid;
	int fd;

	if ((fd = openat(qfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("queue event=walk dir=" SPOOL_QUEUE "/%s "
		    "result=TempFail", name);
		if (fd != -1)
			close(fd);
		w->st->errors++;
		return;
	}
	while ((de = readdir(dir)) != NULL && !walk_stopped(w)) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(where, sizeof(where), SPOOL_QUEUE "/%s/%s", name,
		    spoolfs_logname(de->d_name, lname, sizeof(lname)));
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				w->st->errors++;
			continue;
		}
		if (!walk_msgid_name(de->d_name, &msgid)) {
			walk_quarantine(w, fd, de->d_name, 0, where,
			    QUARANTINE_STRAY, NULL);
		} else if (!S_ISDIR(sb.st_mode)) {
			walk_quarantine(w, fd, de->d_name, msgid, where,
			    QUARANTINE_STRAY, NULL);
		} else if (COMMIT_BUCKET(msgid) != hh) {
			if (quarantine_dir(w->spoolfd, fd, de->d_name, msgid,
			    where, QUARANTINE_MISPLACED) == 0)
				w->st->quarantined++;
			else
				w->st->errors++;
		} else
			walk_message(w, fd, de->d_name, msgid, where);
	}
	closedir(dir);
}

/*
 * One envelope file: 1 if indexed, 0 if quarantined (or left in place
 * after a failed move, counted as an error).
 */
static int
walk_envelope(struct walk *w, int mfd, const char *name, uint32_t msgid,
    uint64_t evpid, const char *where)
{
	struct index_entry ie;
	const char *reason = NULL, *detail = NULL;
	size_t len;

	if (ids_evpid_msgid(evpid) != msgid)
		reason = QUARANTINE_MSGID;
	else if (spoolfs_read(mfd, name, w->buf, ENVELOPE_ENCODED_MAX,
	    &len) == -1) {
		if (errno == ENOENT)
			return 0;
		reason = errno == EFBIG ? QUARANTINE_TOO_LARGE :
		    errno == EINVAL ? QUARANTINE_STRAY : QUARANTINE_UNREADABLE;
		detail = errno == EINVAL ? NULL : strerror(errno);
	} else if (envelope_decode(w->buf, len, &w->env, w->err,
	    sizeof(w->err)) == -1) {
		reason = quarantine_classify(w->buf, len);
		detail = w->err;
	} else if (w->env.evpid != evpid)
		reason = ids_evpid_msgid(w->env.evpid) != msgid ?
		    QUARANTINE_MSGID : QUARANTINE_EVPID;
	else {
		index_entry_set(&ie, &w->env);
		if (index_add(w->idx, &ie) == 0) {
			w->st->envelopes++;
			return 1;
		}
		reason = QUARANTINE_DUPLICATE;
	}
	walk_quarantine(w, mfd, name, msgid, where, reason, detail);
	return 0;
}

static void
walk_message(struct walk *w, int bfd, const char *name, uint32_t msgid,
    const char *where)
{
	char ewhere[SPOOLFS_PATH_MAX], lname[WALK_NAME_LOG];
	struct dirent *de;
	struct stat sb;
	DIR *dir;
	uint64_t evpid;
	size_t good = 0, left = 0;
	int fd;

	if ((fd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("%08x queue event=walk dir=%s result=TempFail",
		    msgid, where);
		if (fd != -1)
			close(fd);
		w->st->errors++;
		return;
	}
	if (fstatat(fd, COMMIT_MESSAGE, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(sb.st_mode)) {
		closedir(dir);
		if (quarantine_dir(w->spoolfd, bfd, name, msgid, where,
		    QUARANTINE_NO_MESSAGE) == 0)
			w->st->quarantined++;
		else
			w->st->errors++;
		return;
	}
	while ((de = readdir(dir)) != NULL && !walk_stopped(w)) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, COMMIT_MESSAGE) == 0)
			continue;
		(void)spoolfs_path(ewhere, sizeof(ewhere), "%s/%s", where,
		    spoolfs_logname(de->d_name, lname, sizeof(lname)));
		if (walk_evpid_name(de->d_name, &evpid))
			good += walk_envelope(w, fd, de->d_name, msgid, evpid,
			    ewhere);
		else if (walk_update_leftover(de->d_name)) {
			/* An envelope update cut short: the old file stands. */
			if (unlinkat(fd, de->d_name, 0) == -1)
				w->st->errors++;
		} else
			walk_quarantine(w, fd, de->d_name, msgid, ewhere,
			    QUARANTINE_STRAY, NULL);
	}
	if (walk_stopped(w)) {
		closedir(dir);
		return;
	}
	if (good > 0) {
		w->st->messages++;
		closedir(dir);
		return;
	}
	/* Nothing left to deliver: the body joins its envelopes. */
	(void)spoolfs_path(ewhere, sizeof(ewhere), "%s/" COMMIT_MESSAGE,
	    where);
	walk_quarantine(w, fd, COMMIT_MESSAGE, msgid, ewhere,
	    QUARANTINE_NO_ENVELOPES, NULL);
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			left++;
	closedir(dir);
	if (left == 0 && unlinkat(bfd, name, AT_REMOVEDIR) == -1) {
		log_warn("%08x queue event=walk dir=%s result=TempFail",
		    msgid, where);
		w->st->errors++;
	}
}

/* ------------------------------------------------------------ discover */

/* Is evpid in the sorted array? */
static int
walk_known(const uint64_t *v, size_t n, uint64_t evpid)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] == evpid)
			return 1;
		if (v[mid] < evpid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* One envelope file of a live message, if it is still there. */
static int
walk_discover_one(struct walk *w, int mfd, const char *name, uint32_t msgid,
    uint64_t evpid, const char *where)
{
	char ewhere[SPOOLFS_PATH_MAX], lname[WALK_NAME_LOG];
	struct stat sb;

	if (fstatat(mfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;	/* gone meanwhile, or never there */
	(void)spoolfs_path(ewhere, sizeof(ewhere), "%s/%s", where,
	    spoolfs_logname(name, lname, sizeof(lname)));
	return walk_envelope(w, mfd, name, msgid, evpid, ewhere);
}

int
walk_discover(int spoolfd, uint32_t msgid, uint64_t evpid,
    const uint64_t *known, size_t nknown, struct index *idx,
    struct walk_stats *st)
{
	char where[SPOOLFS_PATH_MAX], name[IDS_EVPID_SIZE];
	struct dirent *de;
	struct stat sb;
	struct walk w;
	DIR *dir;
	uint64_t id;
	int fd, saved;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	w.spoolfd = spoolfd;
	w.idx = idx;
	w.st = st;
	snprintf(where, sizeof(where), SPOOL_QUEUE "/%02x/%08x",
	    COMMIT_BUCKET(msgid), msgid);
	if ((fd = openat(spoolfd, where, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstatat(fd, COMMIT_MESSAGE, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	w.buf = xmalloc(ENVELOPE_ENCODED_MAX);
	if (evpid != 0) {
		if (ids_evpid_msgid(evpid) == msgid &&
		    !walk_known(known, nknown, evpid))
			walk_discover_one(&w, fd, ids_evpid_fmt(evpid, name),
			    msgid, evpid, where);
		close(fd);
	} else if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		free(w.buf);
		errno = saved;
		return -1;
	} else {
		while ((de = readdir(dir)) != NULL)
			if (walk_evpid_name(de->d_name, &id) &&
			    !walk_known(known, nknown, id))
				walk_discover_one(&w, fd, de->d_name, msgid,
				    id, where);
		closedir(dir);
	}
	free(w.buf);
	return 0;
}

/*
 * quarantine.c: classify a bad envelope file and move bad files and
 * message directories to corrupt/ (quarantine.h). Called by walk.c, in a
 * worker thread at start-up. A move that fails is logged and left for the
 * next start: the daemon goes on whatever it finds, and nothing here ever
 * deletes or overwrites a file.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/record.h"
#include "queue/envelope.h"
#include "queue/quarantine.h"
#include "queue/spool.h"
#include "queue/spoolfs.h"

/* Longest part of a stray's own name kept in its corrupt/ name. */
#define QUARANTINE_STRAY_NAME	128
#define QUARANTINE_DETAIL_MAX	160

static uint32_t	quarantine_be32(const uint8_t *);
static void	quarantine_log(uint32_t, const char *, const char *,
		    const char *, const char *);
static void	quarantine_failed(uint32_t, const char *, const char *);

static uint32_t
quarantine_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Why bytes that envelope_decode() refused are bad, as a reason token,
 * from the framing alone (lib/record.h): not a version record with our
 * magic is garbage, another version is wrong-version, records that run
 * past the end or no END is truncated, anything else is invalid.
 */
const char *
quarantine_classify(const uint8_t *buf, size_t len)
{
	size_t off, vlen;

	if (len == 0)
		return QUARANTINE_EMPTY;
	if (len > ENVELOPE_ENCODED_MAX)
		return QUARANTINE_TOO_LARGE;
	if (len < RECORD_HDR_LEN + RECORD_VERSION_LEN) {
		/* a prefix of a version record is a cut-off envelope */
		if (buf[0] == RECORD_VERSION && (len < RECORD_HDR_LEN ||
		    quarantine_be32(buf + 1) == RECORD_VERSION_LEN))
			return QUARANTINE_TRUNCATED;
		return QUARANTINE_GARBAGE;
	}
	if (buf[0] != RECORD_VERSION ||
	    quarantine_be32(buf + 1) != RECORD_VERSION_LEN ||
	    quarantine_be32(buf + RECORD_HDR_LEN) != ENVELOPE_MAGIC)
		return QUARANTINE_GARBAGE;
	if (quarantine_be32(buf + RECORD_HDR_LEN + 4) != ENVELOPE_VERSION)
		return QUARANTINE_VERSION;
	off = RECORD_HDR_LEN + RECORD_VERSION_LEN;
	for (;;) {
		if (len - off < RECORD_HDR_LEN)
			return QUARANTINE_TRUNCATED;
		vlen = quarantine_be32(buf + off + 1);
		if (buf[off] == RECORD_END)
			return QUARANTINE_INVALID;
		if (vlen > len - off - RECORD_HDR_LEN)
			return QUARANTINE_TRUNCATED;
		off += RECORD_HDR_LEN + vlen;
	}
}

static void
quarantine_log(uint32_t msgid, const char *where, const char *reason,
    const char *to, const char *detail)
{
	char id[16], d[QUARANTINE_DETAIL_MAX];
	size_t i;

	if (msgid != 0)
		snprintf(id, sizeof(id), "%08x ", msgid);
	else
		id[0] = '\0';
	if (detail != NULL && detail[0] != '\0') {
		/* our own decoder's words: keep the spaces, quote them */
		for (i = 0; detail[i] != '\0' && i + 1 < sizeof(d); i++)
			d[i] = (detail[i] < 0x20 || detail[i] > 0x7e ||
			    detail[i] == '"' || detail[i] == '\\') ? '?' :
			    detail[i];
		d[i] = '\0';
		log_info("%squeue event=quarantine file=%s reason=%s to=%s "
		    "detail=\"%s\"", id, where, reason, to, d);
	} else
		log_info("%squeue event=quarantine file=%s reason=%s to=%s",
		    id, where, reason, to);
}

/* The move failed (errno): the file stays where it is until next start. */
static void
quarantine_failed(uint32_t msgid, const char *where, const char *reason)
{
	char id[16];

	if (msgid != 0)
		snprintf(id, sizeof(id), "%08x ", msgid);
	else
		id[0] = '\0';
	log_warn("%squeue event=quarantine file=%s reason=%s result=TempFail",
	    id, where, reason);
}

/*
 * Move the file (or any non-directory, or a stray directory) `name` in
 * dirfd to corrupt/<msgid>/<name>, or to corrupt/stray-<name> when msgid
 * is 0. where names it in the log. 0, or -1 (logged) if it stays.
 */
int
quarantine_file(int spoolfd, int dirfd, const char *name, uint32_t msgid,
    const char *where, const char *reason, const char *detail)
{
	char dir[SPOOLFS_PATH_MAX], to[SPOOLFS_PATH_MAX];
	char final[SPOOLFS_PATH_MAX], safe[QUARANTINE_STRAY_NAME + 1];
	size_t i;

	if (msgid != 0) {
		snprintf(dir, sizeof(dir), SPOOL_CORRUPT "/%08x", msgid);
		if (mkdirat(spoolfd, dir, 0700) == -1 && errno != EEXIST)
			goto fail;
		if (spoolfs_path(to, sizeof(to), "%s/%s", dir, name) == -1)
			goto fail;
	} else {
		/* keep the name readable, drop what a path cannot hold */
		for (i = 0; name[i] != '\0' && i < QUARANTINE_STRAY_NAME; i++)
			safe[i] = name[i];
		safe[i] = '\0';
		snprintf(to, sizeof(to), SPOOL_CORRUPT "/stray-%s", safe);
	}
	if (spoolfs_move_unique(dirfd, name, spoolfd, to, final,
	    sizeof(final)) == -1)
		goto fail;
	spoolfs_logname(final, to, sizeof(to));
	quarantine_log(msgid, where, reason, to, detail);
	return 0;
fail:
	quarantine_failed(msgid, where, reason);
	return -1;
}

/* Move a whole message directory to corrupt/<msgid> (or <msgid>.N). */
int
quarantine_dir(int spoolfd, int dirfd, const char *name, uint32_t msgid,
    const char *where, const char *reason)
{
	char to[SPOOLFS_PATH_MAX], final[SPOOLFS_PATH_MAX];

	snprintf(to, sizeof(to), SPOOL_CORRUPT "/%08x", msgid);
	if (spoolfs_move_unique(dirfd, name, spoolfd, to, final,
	    sizeof(final)) == -1) {
		quarantine_failed(msgid, where, reason);
		return -1;
	}
	quarantine_log(msgid, where, reason, final, NULL);
	return 0;
}

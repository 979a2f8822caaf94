/*
 * queue_recycle_test.c: unit tests for queue/recycle.c with commit.c and
 * update.c on a temporary spool. A removed message's directory, message
 * and envelope files come back, emptied, as the next message's (same
 * inodes); directories holding anything else are deleted, never kept;
 * the pool stops at RECYCLE_MAX; a taken name that exists leaves the
 * spare kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/queue_msg.h"
#include "queue/recycle.h"
#include "queue/update.h"

#include "queue_util.h"

#define BODY1	"Subject: first\r\n\r\na longer first body\r\n"
#define BODY2	"Subject: 2\r\n\r\nb\r\n"
#define LONG_RCPT	"a.rather.long.recipient.name.for.a.long.envelope@example.net"

/* Commit msgid with one envelope for rcpt; its evpid and encoding. */
static uint64_t
commit_one(struct commit_spool *cs, uint32_t msgid, const char *rcpt,
    uint8_t **enc, size_t *len)
{
	struct commit_result res;
	struct commit_envelope ce;

	ce.evpid = ids_evpid_new(msgid);
	*enc = qt_encode(ce.evpid, rcpt, len);
	ce.data = *enc;
	ce.len = *len;
	assert_int_equal(commit_message(cs, msgid, &ce, 1, &res), 0);
	return ce.evpid;
}

static ino_t
inode(int fd, const char *path)
{
	struct stat st;

	assert_int_equal(fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

static off_t
size(int fd, const char *path)
{
	struct stat st;

	assert_int_equal(fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_size;
}

static void
test_reuse(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct update_result ures;
	char dir[64], fdir[64], file[128], list[QT_LIST_MAX];
	ino_t idir, imsg, ienv;
	uint64_t evpid;
	uint32_t msgid, msgid2;
	uint8_t *enc;
	size_t len, len1, count;
	char *got;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	msgid = qt_message(&cs, BODY1);
	evpid = commit_one(&cs, msgid, LONG_RCPT, &enc, &len);
	free(enc);
	len1 = len;
	snprintf(dir, sizeof(dir), "queue/%02x/%08x", msgid & 0xff, msgid);
	idir = inode(s.fd, dir);
	snprintf(file, sizeof(file), "%s/message", dir);
	imsg = inode(s.fd, file);
	snprintf(file, sizeof(file), "%s/%016llx", dir,
	    (unsigned long long)evpid);
	ienv = inode(s.fd, file);

	/* removed: to purge/, then kept in free/ by the purge, emptied */
	assert_int_equal(update_remove(s.fd, NULL, evpid, &ures), 0);
	assert_int_equal(ures.purged, 1);
	assert_int_equal(commit_purge(&cs, NULL, &count), 0);
	assert_int_equal(count, 1);
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");
	qt_list(s.fd, "free", list, sizeof(list));
	assert_int_equal(strlen(list), 8);
	snprintf(fdir, sizeof(fdir), "free/%.8s", list);
	assert_string_equal(qt_list(s.fd, fdir, list, sizeof(list)),
	    "message spare");
	snprintf(file, sizeof(file), "%s/message", fdir);
	assert_int_equal(size(s.fd, file), 0);
	/* the envelope keeps its bytes, to be written over */
	snprintf(file, sizeof(file), "%s/spare", fdir);
	assert_int_equal(size(s.fd, file), (off_t)len1);

	/* the next message takes it: same directory and files */
	msgid2 = qt_message(&cs, BODY2);
	assert_string_equal(qt_list(s.fd, "free", list, sizeof(list)), "");
	snprintf(dir, sizeof(dir), "incoming/%08x", msgid2);
	assert_true(inode(s.fd, dir) == idir);
	assert_string_equal(qt_list(s.fd, dir, list, sizeof(list)),
	    "message spare");
	evpid = commit_one(&cs, msgid2, "b@example.net", &enc, &len);
	assert_true(len < len1);
	snprintf(dir, sizeof(dir), "queue/%02x/%08x", msgid2 & 0xff, msgid2);
	assert_true(inode(s.fd, dir) == idir);
	snprintf(file, sizeof(file), "%s/message", dir);
	assert_true(inode(s.fd, file) == imsg);
	got = qt_read(s.fd, file, NULL);
	assert_string_equal(got, BODY2);
	free(got);
	snprintf(file, sizeof(file), "%s/%016llx", dir,
	    (unsigned long long)evpid);
	assert_true(inode(s.fd, file) == ienv);
	got = qt_read(s.fd, file, &count);
	assert_int_equal(count, len);
	assert_memory_equal(got, enc, len);
	free(got);
	free(enc);
	snprintf(file, sizeof(file), "%016llx message",
	    (unsigned long long)evpid);
	assert_string_equal(qt_list(s.fd, dir, list, sizeof(list)), file);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/*
 * The queue's own removals (dispatch.c) keep the directory at once,
 * without purge/; with a second envelope left, nothing moves.
 */
static void
test_remove_keeps(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	struct commit_envelope ce[2];
	struct update_result ures;
	char dir[64], list[QT_LIST_MAX];
	uint8_t *enc[2];
	uint32_t msgid;
	size_t i;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	msgid = qt_message(&cs, BODY1);
	for (i = 0; i < 2; i++) {
		ce[i].evpid = ids_evpid_new(msgid);
		enc[i] = qt_encode(ce[i].evpid, "bob@example.net", &ce[i].len);
		ce[i].data = enc[i];
	}
	assert_int_equal(commit_message(&cs, msgid, ce, 2, &res), 0);
	assert_int_equal(update_remove(s.fd, &cs.spares, ce[0].evpid, &ures),
	    0);
	assert_int_equal(ures.recycled, 0);
	assert_int_equal(ures.purged, 0);
	snprintf(dir, sizeof(dir), "queue/%02x/%08x", msgid & 0xff, msgid);
	assert_true(qt_exists(s.fd, dir));
	assert_int_equal(update_remove(s.fd, &cs.spares, ce[1].evpid, &ures),
	    0);
	assert_int_equal(ures.recycled, 1);
	assert_int_equal(ures.purged, 0);
	assert_false(qt_exists(s.fd, dir));
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");
	qt_list(s.fd, "free", list, sizeof(list));
	assert_int_equal(strlen(list), 8);
	for (i = 0; i < 2; i++)
		free(enc[i]);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/* Only a message and at most one other regular file are ever kept. */
static void
test_keep_refuses(void **state)
{
	static const char *extra[][3] = {
		{ "message", "a", "b" },	/* two others */
		{ "a", NULL, NULL },		/* no message */
	};
	struct qt_spool s;
	struct commit_spool cs;
	char path[QT_PATH_MAX], list[QT_LIST_MAX];
	size_t i, k, count;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "purge/x%zu", i);
		assert_int_equal(mkdirat(s.fd, path, 0700), 0);
		for (k = 0; k < 3 && extra[i][k] != NULL; k++) {
			snprintf(path, sizeof(path), "purge/x%zu/%s", i,
			    extra[i][k]);
			qt_write(s.fd, path, "x", 1);
		}
	}
	/* a subdirectory */
	assert_int_equal(mkdirat(s.fd, "purge/x2", 0700), 0);
	qt_write(s.fd, "purge/x2/message", "x", 1);
	assert_int_equal(mkdirat(s.fd, "purge/x2/sub", 0700), 0);
	assert_int_equal(commit_purge(&cs, NULL, &count), 0);
	assert_int_equal(count, 3);
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "free", list, sizeof(list)), "");
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/* At most RECYCLE_MAX are kept; the rest are deleted as before. */
static void
test_pool_full(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	char path[QT_PATH_MAX], list[QT_LIST_MAX];
	size_t i, count, n;
	char *p;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	for (i = 0; i < RECYCLE_MAX + 3; i++) {
		snprintf(path, sizeof(path), "purge/m%zu", i);
		assert_int_equal(mkdirat(s.fd, path, 0700), 0);
		snprintf(path, sizeof(path), "purge/m%zu/message", i);
		qt_write(s.fd, path, "x", 1);
	}
	assert_int_equal(commit_purge(&cs, NULL, &count), 0);
	assert_int_equal(count, RECYCLE_MAX + 3);
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list) ), "");
	qt_list(s.fd, "free", list, sizeof(list));
	for (n = 0, p = list; *p != '\0'; p++)
		n += *p == ' ';
	assert_int_equal(n + 1, RECYCLE_MAX);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/* A taken name that exists: EEXIST, and the spare stays for the next. */
static void
test_take_exists(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	char list[QT_LIST_MAX];
	size_t count;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	assert_int_equal(mkdirat(s.fd, "purge/m", 0700), 0);
	qt_write(s.fd, "purge/m/message", "x", 1);
	assert_int_equal(commit_purge(&cs, NULL, &count), 0);
	assert_int_equal(mkdirat(s.fd, "incoming/00000001", 0700), 0);
	qt_write(s.fd, "incoming/00000001/message", "keep", 4);
	assert_int_equal(recycle_take(&cs.spares, s.fd, "incoming/00000001"),
	    -1);
	assert_int_equal(errno, EEXIST);
	assert_string_equal(qt_list(s.fd, "incoming/00000001", list,
	    sizeof(list)), "message");
	assert_int_equal(size(s.fd, "incoming/00000001/message"), 4);
	assert_int_equal(recycle_take(&cs.spares, s.fd, "incoming/00000002"),
	    1);
	assert_string_equal(qt_list(s.fd, "free", list, sizeof(list)), "");
	assert_int_equal(recycle_take(&cs.spares, s.fd, "incoming/00000003"),
	    0);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/* A spare file is opened without O_TRUNC, but never handed out full. */
static void
test_open(void **state)
{
	struct qt_spool s;
	struct stat st;
	int fd;

	(void)state;
	qt_spool_new(&s);
	qt_write(s.fd, "free/leftover", "not empty", 9);
	fd = recycle_open(s.fd, "free/leftover");
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	close(fd);
	assert_int_equal(recycle_open(s.fd, "free/none"), -1);
	assert_int_equal(errno, ENOENT);
	qt_spool_free(&s);
}

/* The LMTP front's removal of a message it delivered from incoming/. */
static void
test_remove_incoming(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	char list[QT_LIST_MAX], dir[64], path[QT_LIST_MAX + 32];
	uint32_t msgid;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	msgid = qt_message(&cs, BODY1);
	assert_int_equal(commit_remove_incoming(&cs, msgid, 1), 0);
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	assert_int_equal(strlen(qt_list(s.fd, "free", list, sizeof(list))), 8);
	/* the pool full: removed where it is */
	cs.spares.reserved = RECYCLE_MAX;
	msgid = qt_message(&cs, BODY1);
	assert_int_equal(commit_remove_incoming(&cs, msgid, 1), 0);
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	cs.spares.reserved = 0;
	/*
	 * A delivery may still read it: removed where it is, never kept,
	 * not even through purge/, spare file and all.
	 */
	assert_int_equal(mkdirat(s.fd, "purge/m", 0700), 0);
	qt_write(s.fd, "purge/m/message", "x", 1);
	qt_write(s.fd, "purge/m/0000000100000001", "y", 1);
	assert_int_equal(commit_purge(&cs, NULL, NULL), 0);
	msgid = qt_message(&cs, BODY1);
	snprintf(dir, sizeof(dir), "incoming/%08x", msgid);
	assert_string_equal(qt_list(s.fd, dir, list, sizeof(list)),
	    "message spare");
	assert_int_equal(commit_remove_incoming(&cs, msgid, 0), 0);
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "free", list, sizeof(list)), "");
	/*
	 * Its files cannot be removed (here the spare is a directory): to
	 * purge/ under a name the sweep removes and never keeps.
	 */
	msgid = qt_message(&cs, BODY1);
	snprintf(dir, sizeof(dir), "incoming/%08x/" RECYCLE_SPARE, msgid);
	unlinkat(s.fd, dir, 0);
	assert_int_equal(mkdirat(s.fd, dir, 0700), 0);
	assert_int_equal(commit_remove_incoming(&cs, msgid, 0), 1);
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	qt_list(s.fd, "purge", list, sizeof(list));
	assert_non_null(strstr(list, RECYCLE_NOKEEP));
	/* made keepable but for its name: message and nothing else */
	snprintf(path, sizeof(path), "purge/%s/" RECYCLE_SPARE, list);
	assert_int_equal(unlinkat(s.fd, path, AT_REMOVEDIR), 0);
	assert_int_equal(commit_purge(&cs, NULL, NULL), 0);
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "free", list, sizeof(list)), "");
	/* the same name without the suffix would have been kept */
	msgid = qt_message(&cs, BODY1);
	assert_int_equal(commit_remove_incoming(&cs, msgid, 1), 0);
	assert_int_equal(strlen(qt_list(s.fd, "free", list, sizeof(list))), 8);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_remove_keeps),
		cmocka_unit_test(test_keep_refuses),
		cmocka_unit_test(test_pool_full),
		cmocka_unit_test(test_take_exists),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_remove_incoming),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

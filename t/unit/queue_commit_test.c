/*
 * queue_commit_test.c: unit tests for queue/commit.c on a temporary spool
 * (no daemon, no IPC). Create + write + commit leaves exactly
 * queue/<hh>/<msgid>/{message,<evpid>...} with the right bytes; rollback
 * and every failing step of a commit leave nothing in queue/; create
 * retries on a msgid collision; many threads commit at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/queue_msg.h"

#include "queue_util.h"

#define BODY	"Received: by test\r\nSubject: hi\r\n\r\nbody\r\n"

static enum commit_step	fault_step;
static int		fault_errno;
static int		fault_collisions;
static struct qt_spool	*fault_spool;

static int
fault_at(enum commit_step step, uint32_t msgid)
{
	(void)msgid;
	return step == fault_step ? fault_errno : 0;
}

/* Every msgid drawn first collides with a committed message. */
static int
fault_collide(enum commit_step step, uint32_t msgid)
{
	char path[QT_PATH_MAX];

	if (step != COMMIT_STEP_MKDIR || fault_collisions == 0)
		return 0;
	fault_collisions--;
	if (fault_collisions % 2 == 0)
		return EEXIST;		/* incoming/<msgid> taken */
	snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x", msgid & 0xff);
	mkdirat(fault_spool->fd, path, 0700);
	snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x", msgid & 0xff,
	    msgid);
	assert_int_equal(mkdirat(fault_spool->fd, path, 0700), 0);
	return 0;
}

static void
test_create_commit(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	struct commit_envelope ce[2];
	struct envelope e;
	char path[QT_PATH_MAX], list[QT_LIST_MAX], want[QT_LIST_MAX];
	char id0[IDS_EVPID_SIZE], id1[IDS_EVPID_SIZE], err[ENVELOPE_ERR_MAX];
	struct stat st;
	uint8_t *enc[2];
	size_t len = 0, i;
	uint32_t msgid;
	char *got;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	msgid = qt_message(&cs, BODY);
	snprintf(path, sizeof(path), "incoming/%08x", msgid);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)),
	    "message");

	for (i = 0; i < 2; i++) {
		ce[i].evpid = ids_evpid_new(msgid);
		enc[i] = qt_encode(ce[i].evpid, i ? "bob@example.net" :
		    "carol@example.net", &ce[i].len);
		ce[i].data = enc[i];
	}
	assert_int_equal(commit_message(&cs, msgid, ce, 2, &res), 0);
	assert_int_equal(res.status, QUEUE_OK);
	assert_int_equal(res.msgid, msgid);
	assert_int_equal(res.size, (int64_t)strlen(BODY));

	/* exactly queue/<hh>/<msgid>/{message,<evpid>,<evpid>} */
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	snprintf(want, sizeof(want), "%02x", msgid & 0xff);
	assert_string_equal(qt_list(s.fd, "queue", list, sizeof(list)), want);
	snprintf(path, sizeof(path), "queue/%02x", msgid & 0xff);
	snprintf(want, sizeof(want), "%08x", msgid);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), want);
	ids_evpid_fmt(ce[0].evpid, id0);
	ids_evpid_fmt(ce[1].evpid, id1);
	snprintf(want, sizeof(want), "%s %s message",
	    strcmp(id0, id1) < 0 ? id0 : id1, strcmp(id0, id1) < 0 ? id1 : id0);
	snprintf(path, sizeof(path), "queue/%02x/%08x", msgid & 0xff, msgid);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), want);

	snprintf(path, sizeof(path), "queue/%02x/%08x/message", msgid & 0xff,
	    msgid);
	got = qt_read(s.fd, path, &len);
	assert_non_null(got);
	assert_string_equal(got, BODY);
	free(got);
	assert_int_equal(fstatat(s.fd, path, &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "queue/%02x/%08x/%016llx",
		    msgid & 0xff, msgid, (unsigned long long)ce[i].evpid);
		got = qt_read(s.fd, path, &len);
		assert_non_null(got);
		assert_int_equal(len, ce[i].len);
		assert_memory_equal(got, enc[i], len);
		assert_int_equal(envelope_decode((uint8_t *)got, len, &e, err,
		    sizeof(err)), 0);
		assert_true(e.evpid == ce[i].evpid);
		free(got);
		assert_int_equal(fstatat(s.fd, path, &st, 0), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		free(enc[i]);
	}
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

static void
test_rollback(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	char list[QT_LIST_MAX];
	uint32_t msgid;
	size_t count = 0;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	msgid = qt_message(&cs, BODY);
	assert_int_equal(commit_discard(&cs, msgid, &res), 0);
	assert_int_equal(res.status, QUEUE_OK);
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "queue", list, sizeof(list)), "");
	assert_true(strlen(qt_list(s.fd, "purge", list, sizeof(list))) > 0);
	assert_int_equal(commit_purge(&cs, NULL, &count), 0);
	assert_int_equal(count, 1);
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");

	/* a second rollback of the same msgid finds nothing */
	assert_int_equal(commit_discard(&cs, msgid, &res), -1);
	assert_int_equal(res.error, ENOENT);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/*
 * The pipeline's steps one by one (queue/commit_pipe.c): staged, the
 * message waits in incoming/; published, in queue/; a failed second sync
 * takes it from queue/ to purge/, a failed first one from incoming/.
 */
static void
test_commit_steps(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	struct commit_envelope ce;
	char path[QT_PATH_MAX], list[QT_LIST_MAX], want[QT_LIST_MAX];
	char id[IDS_EVPID_SIZE];
	uint8_t *enc;
	uint32_t msgid;
	int round;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	for (round = 0; round < 2; round++) {
		msgid = qt_message(&cs, BODY);
		ce.evpid = ids_evpid_new(msgid);
		enc = qt_encode(ce.evpid, "bob@example.net", &ce.len);
		ce.data = enc;
		ids_evpid_fmt(ce.evpid, id);
		snprintf(want, sizeof(want), "%s message", id);

		assert_int_equal(commit_stage(&cs, msgid, &ce, 1, &res), 0);
		assert_int_equal(res.size, (int64_t)strlen(BODY));
		snprintf(path, sizeof(path), "incoming/%08x", msgid);
		assert_string_equal(qt_list(s.fd, path, list, sizeof(list)),
		    want);
		snprintf(path, sizeof(path), "queue/%02x/%08x", msgid & 0xff,
		    msgid);
		assert_false(qt_exists(s.fd, path));
		if (round == 1) {
			/* the first sync failed: out of incoming/ */
			commit_abort(&cs, msgid, COMMIT_STEP_FSYNC_DIR, EIO,
			    &res);
			assert_int_equal(res.status, QUEUE_TEMPFAIL);
			assert_int_equal(res.step, COMMIT_STEP_FSYNC_DIR);
			assert_string_equal(qt_list(s.fd, "incoming", list,
			    sizeof(list)), "");
			assert_false(qt_exists(s.fd, path));
			free(enc);
			continue;
		}
		assert_int_equal(commit_sync(&cs, msgid, COMMIT_STEP_FSYNC_DIR,
		    &res), 0);
		assert_int_equal(commit_publish(&cs, msgid, &res), 0);
		assert_string_equal(qt_list(s.fd, "incoming", list,
		    sizeof(list)), "");
		assert_string_equal(qt_list(s.fd, path, list, sizeof(list)),
		    want);
		/* the second sync failed: out of queue/ */
		commit_abort(&cs, msgid, COMMIT_STEP_FSYNC_BUCKET, ENOSPC, &res);
		assert_int_equal(res.status, QUEUE_NOSPACE);
		assert_int_equal(res.error, ENOSPC);
		assert_false(qt_exists(s.fd, path));
		free(enc);
	}
	assert_true(strlen(qt_list(s.fd, "purge", list, sizeof(list))) > 0);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/* Each step of a commit fails in turn: never anything left in queue/. */
static void
test_commit_fails(void **state)
{
	static const struct {
		enum commit_step	step;
		int			error;
		int			status;
	} cases[] = {
		{ COMMIT_STEP_OPEN_MESSAGE,	EIO,	QUEUE_TEMPFAIL },
		{ COMMIT_STEP_FSYNC_MESSAGE,	EIO,	QUEUE_TEMPFAIL },
		{ COMMIT_STEP_OPEN_DIR,		EMFILE,	QUEUE_TEMPFAIL },
		{ COMMIT_STEP_WRITE_ENVELOPE,	ENOSPC,	QUEUE_NOSPACE },
		{ COMMIT_STEP_FSYNC_ENVELOPE,	EDQUOT,	QUEUE_NOSPACE },
		{ COMMIT_STEP_FSYNC_DIR,	EIO,	QUEUE_TEMPFAIL },
		{ COMMIT_STEP_MKDIR_BUCKET,	ENOSPC,	QUEUE_NOSPACE },
		{ COMMIT_STEP_FSYNC_QUEUE,	EIO,	QUEUE_TEMPFAIL },
		{ COMMIT_STEP_RENAME,		EXDEV,	QUEUE_TEMPFAIL },
		{ COMMIT_STEP_FSYNC_BUCKET,	EIO,	QUEUE_TEMPFAIL },
	};
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	struct commit_envelope ce;
	char list[QT_LIST_MAX], path[QT_PATH_MAX];
	uint8_t *enc;
	uint32_t msgid;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qt_spool_new(&s);
		commit_spool_init(&cs, s.fd);
		msgid = qt_message(&cs, BODY);
		ce.evpid = ids_evpid_new(msgid);
		enc = qt_encode(ce.evpid, "bob@example.net", &ce.len);
		ce.data = enc;

		fault_step = cases[i].step;
		fault_errno = cases[i].error;
		commit_fault = fault_at;
		assert_int_equal(commit_message(&cs, msgid, &ce, 1, &res), -1);
		commit_fault = NULL;
		assert_int_equal(res.step, cases[i].step);
		assert_int_equal(res.error, cases[i].error);
		assert_int_equal(res.status, cases[i].status);

		snprintf(path, sizeof(path), "queue/%02x/%08x", msgid & 0xff,
		    msgid);
		assert_false(qt_exists(s.fd, path));
		assert_string_equal(qt_list(s.fd, "incoming", list,
		    sizeof(list)), "");
		/* and what was written waits in purge/ */
		assert_true(strlen(qt_list(s.fd, "purge", list,
		    sizeof(list))) > 0);
		assert_int_equal(commit_purge(&cs, NULL, NULL), 0);
		free(enc);
		commit_spool_clear(&cs);
		qt_spool_free(&s);
	}
}

/* A failed purge move still leaves neither incoming/ nor queue/ behind. */
static void
test_commit_fails_no_purge(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	struct commit_envelope ce;
	char list[QT_LIST_MAX], path[QT_PATH_MAX];
	uint8_t *enc;
	uint32_t msgid;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	msgid = qt_message(&cs, BODY);
	ce.evpid = ids_evpid_new(msgid);
	enc = qt_encode(ce.evpid, "bob@example.net", &ce.len);
	ce.data = enc;
	assert_int_equal(unlinkat(s.fd, "purge", AT_REMOVEDIR), 0);
	fault_step = COMMIT_STEP_FSYNC_BUCKET;
	fault_errno = EIO;
	commit_fault = fault_at;
	assert_int_equal(commit_message(&cs, msgid, &ce, 1, &res), -1);
	commit_fault = NULL;
	snprintf(path, sizeof(path), "queue/%02x", msgid & 0xff);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	free(enc);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

static void
test_create_fails(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	char list[QT_LIST_MAX];
	uint32_t msgid;
	int fd;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	commit_fault = fault_at;
	fault_step = COMMIT_STEP_MKDIR;
	fault_errno = EIO;
	assert_int_equal(commit_create(&cs, &msgid, &fd, &res), -1);
	assert_int_equal(res.status, QUEUE_TEMPFAIL);
	assert_int_equal(fd, -1);
	fault_step = COMMIT_STEP_CREATE_MESSAGE;
	fault_errno = EDQUOT;
	assert_int_equal(commit_create(&cs, &msgid, &fd, &res), -1);
	assert_int_equal(res.status, QUEUE_NOSPACE);
	assert_int_equal(res.step, COMMIT_STEP_CREATE_MESSAGE);
	assert_int_equal(fd, -1);
	commit_fault = NULL;
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");

	/* a spool without incoming/ is a temporary failure, not a crash */
	assert_int_equal(unlinkat(s.fd, "incoming", AT_REMOVEDIR), 0);
	assert_int_equal(commit_create(&cs, &msgid, &fd, &res), -1);
	assert_int_equal(res.status, QUEUE_TEMPFAIL);
	assert_int_equal(res.error, ENOENT);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/* Collisions with incoming/ and queue/ make create draw again. */
static void
test_create_collision(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	char list[QT_LIST_MAX], want[QT_LIST_MAX];
	uint32_t msgid;
	int fd;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	fault_spool = &s;
	fault_collisions = 4;
	commit_fault = fault_collide;
	assert_int_equal(commit_create(&cs, &msgid, &fd, &res), 0);
	commit_fault = NULL;
	assert_int_equal(fault_collisions, 0);
	close(fd);
	snprintf(want, sizeof(want), "%08x", msgid);
	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)),
	    want);
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

/* queue/<hh> removed behind the role's back is made again. */
static void
test_bucket_recreated(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct commit_result res;
	struct commit_envelope ce;
	char path[QT_PATH_MAX];
	uint8_t *enc;
	uint32_t msgid;
	int i;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	for (i = 0; i < 2; i++) {
		msgid = qt_message(&cs, BODY);
		ce.evpid = ids_evpid_new(msgid);
		enc = qt_encode(ce.evpid, "bob@example.net", &ce.len);
		ce.data = enc;
		/* pretend this process already made the bucket */
		atomic_store(&cs.bucket_ok[msgid & 0xff], 1);
		assert_int_equal(commit_message(&cs, msgid, &ce, 1, &res), 0);
		snprintf(path, sizeof(path), "queue/%02x/%08x/message",
		    msgid & 0xff, msgid);
		assert_true(qt_exists(s.fd, path));
		free(enc);
	}
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

#define THREADS		8
#define PER_THREAD	25

struct worker_arg {
	struct commit_spool	*cs;
	uint32_t		 msgid[PER_THREAD];
	int			 failed;
};

static void *
committer(void *arg)
{
	struct worker_arg *wa = arg;
	struct commit_result res;
	struct commit_envelope ce[3];
	uint8_t *enc[3];
	uint32_t msgid;
	int fd, i, k;

	for (i = 0; i < PER_THREAD; i++) {
		if (commit_create(wa->cs, &msgid, &fd, &res) == -1) {
			wa->failed++;
			continue;
		}
		if (write(fd, BODY, strlen(BODY)) != (ssize_t)strlen(BODY))
			wa->failed++;
		close(fd);
		for (k = 0; k < 3; k++) {
			ce[k].evpid = ids_evpid_new(msgid);
			enc[k] = qt_encode(ce[k].evpid, "bob@example.net",
			    &ce[k].len);
			ce[k].data = enc[k];
		}
		if (ce[0].evpid == ce[1].evpid || ce[1].evpid == ce[2].evpid ||
		    ce[0].evpid == ce[2].evpid)
			k = 1;		/* 1 in 2^31: write one only */
		if (commit_message(wa->cs, msgid, ce, (size_t)k, &res) == -1)
			wa->failed++;
		wa->msgid[i] = msgid;
		for (k = 0; k < 3; k++)
			free(enc[k]);
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct qt_spool s;
	struct commit_spool cs;
	struct worker_arg wa[THREADS];
	pthread_t t[THREADS];
	char path[QT_PATH_MAX];
	int i, k;

	(void)state;
	qt_spool_new(&s);
	commit_spool_init(&cs, s.fd);
	memset(wa, 0, sizeof(wa));
	for (i = 0; i < THREADS; i++) {
		wa[i].cs = &cs;
		assert_int_equal(pthread_create(&t[i], NULL, committer,
		    &wa[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(wa[i].failed, 0);
		for (k = 0; k < PER_THREAD; k++) {
			snprintf(path, sizeof(path), "queue/%02x/%08x/message",
			    wa[i].msgid[k] & 0xff, wa[i].msgid[k]);
			assert_true(qt_exists(s.fd, path));
		}
	}
	commit_spool_clear(&cs);
	qt_spool_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_commit),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_commit_steps),
		cmocka_unit_test(test_commit_fails),
		cmocka_unit_test(test_commit_fails_no_purge),
		cmocka_unit_test(test_create_fails),
		cmocka_unit_test(test_create_collision),
		cmocka_unit_test(test_bucket_recreated),
		cmocka_unit_test(test_concurrent),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

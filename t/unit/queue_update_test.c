/*
 * queue_update_test.c: unit tests for queue/update.c on a temporary spool:
 * an update replaces the envelope file atomically (a concurrent reader
 * always decodes the old or the new one), a fault at each step leaves the
 * old envelope intact and no temporary file, a crash's leftover temporary
 * file does not block the next update, a removed envelope is not brought
 * back, and removing the last envelope sends the message to purge/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/queue_msg.h"
#include "queue/update.h"

#include "queue_util.h"

#define BODY	"Subject: hi\r\n\r\nbody\r\n"

static enum update_step	fault_step;
static int		fault_errno;

static int
fault_at(enum update_step step, uint64_t evpid)
{
	(void)evpid;
	return step == fault_step ? fault_errno : 0;
}

/* A committed message with n envelopes; their evpids in evp[]. */
static uint32_t
committed(struct qt_spool *s, uint64_t *evp, size_t n)
{
	struct commit_spool cs;
	struct commit_result res;
	struct commit_envelope ce[4];
	uint8_t *enc[4];
	uint32_t msgid;
	size_t i;
	int fd;

	assert_true(n <= 4);
	commit_spool_init(&cs, s->fd);
	assert_int_equal(commit_create(&cs, &msgid, &fd, &res), 0);
	assert_int_equal(write(fd, BODY, strlen(BODY)), (ssize_t)strlen(BODY));
	close(fd);
	for (i = 0; i < n; i++) {
		evp[i] = ce[i].evpid = ids_evpid_new(msgid);
		enc[i] = qt_encode(ce[i].evpid, "bob@example.net", &ce[i].len);
		ce[i].data = enc[i];
	}
	assert_int_equal(commit_message(&cs, msgid, ce, n, &res), 0);
	for (i = 0; i < n; i++)
		free(enc[i]);
	commit_spool_clear(&cs);
	return msgid;
}

static void
evpath(char *buf, size_t sz, uint64_t evpid, const char *suffix)
{
	uint32_t msgid = ids_evpid_msgid(evpid);

	snprintf(buf, sz, "queue/%02x/%08x/%016llx%s", msgid & 0xff, msgid,
	    (unsigned long long)evpid, suffix);
}

/* Read and decode the envelope file: 0, or -1 if it does not decode. */
static int
load(int fd, uint64_t evpid, struct envelope *e)
{
	char path[QT_PATH_MAX], err[ENVELOPE_ERR_MAX];
	uint8_t buf[ENVELOPE_ENCODED_MAX];
	size_t len;
	int r;

	evpath(path, sizeof(path), evpid, "");
	if (spoolfs_read(fd, path, buf, sizeof(buf), &len) == -1)
		return -1;
	r = envelope_decode(buf, len, e, err, sizeof(err));
	return r;
}

static void
deferred(struct envelope *e, uint64_t evpid, uint32_t retry, size_t elen)
{
	qt_envelope(e, evpid, "bob@example.net");
	e->retry = retry;
	e->lasttry = 1732180200 + retry;
	e->nexttry = e->lasttry + 300;
	memset(e->errorline, 'x', elen);
	e->errorline[elen] = '\0';
}

static void
test_update(void **state)
{
	struct qt_spool s;
	struct update_result res;
	struct envelope e, got;
	char path[QT_PATH_MAX], list[QT_LIST_MAX], want[QT_LIST_MAX];
	char a[IDS_EVPID_SIZE], b[IDS_EVPID_SIZE];
	uint64_t evp[2];
	uint32_t msgid;

	(void)state;
	qt_spool_new(&s);
	msgid = committed(&s, evp, 2);
	deferred(&e, evp[0], 3, 40);
	assert_int_equal(update_envelope_write(s.fd, &e, &res), 0);
	assert_int_equal(res.status, QUEUE_OK);
	assert_int_equal(load(s.fd, evp[0], &got), 0);
	assert_true(envelope_equal(&e, &got));
	assert_int_equal(got.retry, 3);
	/* the other one untouched, no temporary file left */
	assert_int_equal(load(s.fd, evp[1], &got), 0);
	assert_int_equal(got.retry, 0);
	snprintf(path, sizeof(path), "queue/%02x/%08x", msgid & 0xff, msgid);
	ids_evpid_fmt(evp[0], a);
	ids_evpid_fmt(evp[1], b);
	snprintf(want, sizeof(want), "%s %s message",
	    strcmp(a, b) < 0 ? a : b, strcmp(a, b) < 0 ? b : a);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), want);

	/* a crash's leftover temporary file is replaced */
	evpath(path, sizeof(path), evp[0], UPDATE_TMP_SUFFIX);
	qt_write(s.fd, path, "junk", 4);
	deferred(&e, evp[0], 4, 10);
	assert_int_equal(update_envelope_write(s.fd, &e, &res), 0);
	assert_int_equal(load(s.fd, evp[0], &got), 0);
	assert_int_equal(got.retry, 4);
	assert_false(qt_exists(s.fd, path));

	/* an invalid envelope is refused before anything is written */
	e.rcpt[0] = '\0';
	assert_int_equal(update_envelope_write(s.fd, &e, &res), -1);
	assert_int_equal(res.step, UPDATE_STEP_ENCODE);
	assert_int_equal(load(s.fd, evp[0], &got), 0);
	assert_int_equal(got.retry, 4);

	/* no such envelope: nothing is created */
	deferred(&e, ids_evpid_new(msgid), 1, 5);
	assert_int_equal(update_envelope_write(s.fd, &e, &res), -1);
	assert_int_equal(res.error, ENOENT);
	assert_int_equal(res.status, QUEUE_TEMPFAIL);
	evpath(path, sizeof(path), e.evpid, "");
	assert_false(qt_exists(s.fd, path));
	deferred(&e, ids_evpid_new(0x01020304), 1, 5);
	assert_int_equal(update_envelope_write(s.fd, &e, &res), -1);
	assert_int_equal(res.step, UPDATE_STEP_OPEN_DIR);
	qt_spool_free(&s);
}

/* A fault at each step: the old envelope stays, byte for byte. */
static void
test_update_faults(void **state)
{
	static const struct {
		enum update_step	step;
		int			error;
		int			status;
		int			replaced;
	} cases[] = {
		{ UPDATE_STEP_OPEN_DIR,		EMFILE,	QUEUE_TEMPFAIL,	0 },
		{ UPDATE_STEP_CREATE,		ENOSPC,	QUEUE_NOSPACE,	0 },
		{ UPDATE_STEP_WRITE,		EDQUOT,	QUEUE_NOSPACE,	0 },
		{ UPDATE_STEP_FSYNC,		EIO,	QUEUE_TEMPFAIL,	0 },
		{ UPDATE_STEP_RENAME,		EIO,	QUEUE_TEMPFAIL,	0 },
		{ UPDATE_STEP_FSYNC_DIR,	EIO,	QUEUE_TEMPFAIL,	1 },
	};
	struct qt_spool s;
	struct update_result res;
	struct envelope e, got;
	char path[QT_PATH_MAX], tmp[QT_PATH_MAX];
	char *before, *after;
	size_t i, blen, alen;
	uint64_t evp[1];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qt_spool_new(&s);
		committed(&s, evp, 1);
		evpath(path, sizeof(path), evp[0], "");
		evpath(tmp, sizeof(tmp), evp[0], UPDATE_TMP_SUFFIX);
		before = qt_read(s.fd, path, &blen);
		deferred(&e, evp[0], 9, 500);

		fault_step = cases[i].step;
		fault_errno = cases[i].error;
		update_fault = fault_at;
		assert_int_equal(update_envelope_write(s.fd, &e, &res), -1);
		update_fault = NULL;
		assert_int_equal(res.step, cases[i].step);
		assert_int_equal(res.error, cases[i].error);
		assert_int_equal(res.status, cases[i].status);
		assert_false(qt_exists(s.fd, tmp));
		assert_int_equal(load(s.fd, evp[0], &got), 0);
		if (cases[i].replaced) {
			assert_true(envelope_equal(&e, &got));
		} else {
			after = qt_read(s.fd, path, &alen);
			assert_int_equal(alen, blen);
			assert_memory_equal(after, before, blen);
			assert_int_equal(got.retry, 0);
			free(after);
		}
		/* and the next try goes through */
		assert_int_equal(update_envelope_write(s.fd, &e, &res), 0);
		assert_int_equal(load(s.fd, evp[0], &got), 0);
		assert_true(envelope_equal(&e, &got));
		free(before);
		qt_spool_free(&s);
	}
}

struct reader {
	int		 fd;
	uint64_t	 evpid;
	atomic_int	 stop;
	size_t		 reads, bad;
	uint32_t	 seen_max;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct envelope e;

	while (!atomic_load(&r->stop)) {
		r->reads++;
		if (load(r->fd, r->evpid, &e) == -1)
			r->bad++;
		else if (e.retry > r->seen_max)
			r->seen_max = e.retry;
	}
	return NULL;
}

/* A reader racing the updates never sees a torn envelope. */
static void
test_update_atomic(void **state)
{
	struct qt_spool s;
	struct update_result res;
	struct reader r;
	struct envelope e;
	pthread_t t;
	uint64_t evp[1];
	uint32_t i;

	(void)state;
	qt_spool_new(&s);
	committed(&s, evp, 1);
	memset(&r, 0, sizeof(r));
	r.fd = s.fd;
	r.evpid = evp[0];
	atomic_init(&r.stop, 0);
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	for (i = 1; i <= 300; i++) {
		/* sizes vary a lot: a partial write would show */
		deferred(&e, evp[0], i, i % 2 ? 1000 : 3);
		assert_int_equal(update_envelope_write(s.fd, &e, &res), 0);
	}
	atomic_store(&r.stop, 1);
	pthread_join(t, NULL);
	assert_int_equal(r.bad, 0);
	assert_true(r.reads > 0);
	assert_true(r.seen_max <= 300);
	assert_int_equal(load(s.fd, evp[0], &e), 0);
	assert_int_equal(e.retry, 300);
	qt_spool_free(&s);
}

static void
test_remove(void **state)
{
	struct qt_spool s;
	struct update_result res;
	char path[QT_PATH_MAX], list[QT_LIST_MAX], ev[QT_LIST_MAX];
	char plist[64], *body;
	uint64_t evp[2];
	uint32_t msgid;

	(void)state;
	qt_spool_new(&s);
	msgid = committed(&s, evp, 2);
	snprintf(path, sizeof(path), "queue/%02x/%08x", msgid & 0xff, msgid);

	assert_int_equal(update_remove(s.fd, NULL, evp[0], &res), 0);
	assert_int_equal(res.status, QUEUE_OK);
	assert_int_equal(res.purged, 0);
	snprintf(ev, sizeof(ev), "%016llx message",
	    (unsigned long long)evp[1]);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), ev);
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");
	/* twice: no such envelope */
	assert_int_equal(update_remove(s.fd, NULL, evp[0], &res), -1);
	assert_int_equal(res.error, ENOENT);

	/* the last one: the message goes to purge/, whole */
	assert_int_equal(update_remove(s.fd, NULL, evp[1], &res), 0);
	assert_int_equal(res.purged, 1);
	assert_false(qt_exists(s.fd, path));
	snprintf(path, sizeof(path), "queue/%02x", msgid & 0xff);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), "");
	qt_list(s.fd, "purge", plist, sizeof(plist));
	snprintf(ev, sizeof(ev), "%08x.", msgid);
	assert_int_equal(strncmp(plist, ev, 9), 0);
	assert_null(strchr(plist, ' '));
	snprintf(path, sizeof(path), "purge/%s/message", plist);
	body = qt_read(s.fd, path, NULL);
	assert_non_null(body);
	assert_string_equal(body, BODY);
	free(body);
	assert_int_equal(spoolfs_empty(s.fd, "purge", NULL, NULL), 0);
	qt_spool_free(&s);
}

/* A failed removal leaves the envelope and its message in queue/. */
static void
test_remove_faults(void **state)
{
	static const struct {
		enum update_step	step;
		size_t			n;	/* envelopes */
		int			gone;	/* envelope gone anyway */
	} cases[] = {
		{ UPDATE_STEP_OPEN_DIR,		1, 0 },
		{ UPDATE_STEP_PURGE,		1, 0 },
		{ UPDATE_STEP_OPEN_DIR,		2, 0 },
		{ UPDATE_STEP_UNLINK,		2, 0 },
		{ UPDATE_STEP_FSYNC_DIR,	2, 1 },
	};
	struct qt_spool s;
	struct update_result res;
	struct envelope got;
	char path[QT_PATH_MAX];
	uint64_t evp[2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qt_spool_new(&s);
		committed(&s, evp, cases[i].n);
		fault_step = cases[i].step;
		fault_errno = EIO;
		update_fault = fault_at;
		assert_int_equal(update_remove(s.fd, NULL, evp[0], &res), -1);
		update_fault = NULL;
		assert_int_equal(res.step, cases[i].step);
		assert_int_equal(res.error, EIO);
		if (cases[i].gone) {
			assert_int_equal(load(s.fd, evp[0], &got), -1);
		} else {
			assert_int_equal(load(s.fd, evp[0], &got), 0);
			evpath(path, sizeof(path), evp[0], "");
			*strrchr(path, '/') = '\0';
			strlcat(path, "/message", sizeof(path));
			assert_true(qt_exists(s.fd, path));
			/* and the next try goes through */
			assert_int_equal(update_remove(s.fd, NULL, evp[0], &res),
			    0);
			assert_int_equal(res.purged, cases[i].n == 1);
		}
		qt_spool_free(&s);
	}
}

/* Two workers remove a message's two envelopes at once: it is purged. */
struct remover {
	int		 fd;
	uint64_t	 evpid;
	int		 ret;
	int		 purged;
};

static void *
remover_main(void *arg)
{
	struct remover *r = arg;
	struct update_result res;

	r->ret = update_remove(r->fd, NULL, r->evpid, &res);
	r->purged = res.purged;
	return NULL;
}

static void
test_remove_concurrent(void **state)
{
	struct qt_spool s;
	struct remover r[2];
	pthread_t t[2];
	char path[QT_PATH_MAX], list[QT_LIST_MAX];
	uint64_t evp[2];
	uint32_t msgid;
	int round, i;

	(void)state;
	for (round = 0; round < 50; round++) {
		qt_spool_new(&s);
		msgid = committed(&s, evp, 2);
		for (i = 0; i < 2; i++) {
			r[i].fd = s.fd;
			r[i].evpid = evp[i];
			assert_int_equal(pthread_create(&t[i], NULL,
			    remover_main, &r[i]), 0);
		}
		for (i = 0; i < 2; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(r[i].ret, 0);
		}
		assert_true(r[0].purged || r[1].purged);
		snprintf(path, sizeof(path), "queue/%02x", msgid & 0xff);
		assert_string_equal(qt_list(s.fd, path, list, sizeof(list)),
		    "");
		qt_spool_free(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_update_faults),
		cmocka_unit_test(test_update_atomic),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_remove_faults),
		cmocka_unit_test(test_remove_concurrent),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

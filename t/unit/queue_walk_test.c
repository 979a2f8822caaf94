/*
 * queue_walk_test.c: unit tests for the start-up walk (queue/walk.c) and
 * the quarantine (queue/quarantine.c) on a temporary spool planted by
 * hand: incoming/, purge/ and free/ are emptied; truncated, garbage,
 * wrong-version and mismatched envelope files, a message directory
 * without its message file and strays go to corrupt/; good envelopes
 * are indexed and stay where they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "lib/ids.h"
#include "queue/commit.h"
#include "queue/index.h"
#include "queue/quarantine.h"
#include "queue/walk.h"

#include "queue_util.h"

/* msgids chosen so that each lands in a bucket of its own */
#define M_GOOD		0x1a2b3c01U
#define M_NOMSG		0x1a2b3c02U
#define M_ONLYBAD	0x1a2b3c03U
#define M_MISPLACED	0x1a2b3c04U	/* planted in bucket 09 */
#define M_EMPTY		0x1a2b3c05U

static void	plant_dir(int, uint32_t, unsigned int);
static void	plant_envelope(int, uint32_t, const char *, const uint8_t *,
		    size_t);
static void	plant_good(int, uint32_t, uint64_t);

static void
plant_dir(int fd, uint32_t msgid, unsigned int hh)
{
	char path[QT_PATH_MAX];

	snprintf(path, sizeof(path), "queue/%02x", hh);
	if (mkdirat(fd, path, 0700) == -1)
		assert_int_equal(errno, EEXIST);
	snprintf(path, sizeof(path), "queue/%02x/%08x", hh, msgid);
	assert_int_equal(mkdirat(fd, path, 0700), 0);
}

static void
plant_envelope(int fd, uint32_t msgid, const char *name, const uint8_t *data,
    size_t len)
{
	char path[QT_PATH_MAX];

	snprintf(path, sizeof(path), "queue/%02x/%08x/%s", msgid & 0xff,
	    msgid, name);
	qt_write(fd, path, data, len);
}

static void
plant_good(int fd, uint32_t msgid, uint64_t evpid)
{
	char name[IDS_EVPID_SIZE];
	uint8_t *enc;
	size_t len;

	enc = qt_encode(evpid, "bob@example.net", &len);
	plant_envelope(fd, msgid, ids_evpid_fmt(evpid, name), enc, len);
	free(enc);
}

static void
test_classify(void **state)
{
	uint8_t *enc, buf[64];
	size_t len;

	(void)state;
	enc = qt_encode(((uint64_t)M_GOOD << 32) | 1, "bob@example.net", &len);
	assert_string_equal(quarantine_classify(enc, len - 3),
	    QUARANTINE_TRUNCATED);
	assert_string_equal(quarantine_classify(enc, 7), QUARANTINE_TRUNCATED);
	assert_string_equal(quarantine_classify(enc, 0), QUARANTINE_EMPTY);
	enc[12] ^= 0x07;			/* version 3 -> 4 */
	assert_string_equal(quarantine_classify(enc, len), QUARANTINE_VERSION);
	enc[12] ^= 0x07;
	enc[6] = 'X';				/* magic */
	assert_string_equal(quarantine_classify(enc, len), QUARANTINE_GARBAGE);
	free(enc);
	memset(buf, 'A', sizeof(buf));
	assert_string_equal(quarantine_classify(buf, sizeof(buf)),
	    QUARANTINE_GARBAGE);
}

static void
test_walk(void **state)
{
	struct qt_spool s;
	struct walk_stats st;
	struct index *idx;
	uint64_t good = ((uint64_t)M_GOOD << 32) | 0x11111111U;
	uint64_t good2 = ((uint64_t)M_GOOD << 32) | 0x22222222U;
	uint64_t trunc = ((uint64_t)M_GOOD << 32) | 0x33333333U;
	uint64_t garb = ((uint64_t)M_GOOD << 32) | 0x44444444U;
	uint64_t vers = ((uint64_t)M_GOOD << 32) | 0x55555555U;
	uint64_t other = ((uint64_t)M_GOOD << 32) | 0x66666666U;
	uint64_t foreign = ((uint64_t)M_NOMSG << 32) | 0x77777777U;
	char path[QT_PATH_MAX], list[QT_LIST_MAX], want[QT_LIST_MAX];
	char name[IDS_EVPID_SIZE];
	uint8_t *enc;
	size_t len;

	(void)state;
	qt_spool_new(&s);

	/* never acknowledged, or already discarded: deleted */
	assert_int_equal(mkdirat(s.fd, "incoming/0badf00d", 0700), 0);
	qt_write(s.fd, "incoming/0badf00d/message", "half", 4);
	qt_write(s.fd, "incoming/junk", "x", 1);
	assert_int_equal(mkdirat(s.fd, "purge/0badf00d.12345678", 0700), 0);
	qt_write(s.fd, "purge/0badf00d.12345678/message", "gone", 4);
	assert_int_equal(mkdirat(s.fd, "free/0badf00e", 0700), 0);
	qt_write(s.fd, "free/0badf00e/message", "", 0);

	/* a message with two good envelopes and every kind of bad one */
	plant_dir(s.fd, M_GOOD, M_GOOD & 0xff);
	plant_envelope(s.fd, M_GOOD, "message", (const uint8_t *)"body", 4);
	plant_good(s.fd, M_GOOD, good);
	plant_good(s.fd, M_GOOD, good2);
	enc = qt_encode(trunc, "bob@example.net", &len);
	plant_envelope(s.fd, M_GOOD, ids_evpid_fmt(trunc, name), enc, len / 2);
	free(enc);
	plant_envelope(s.fd, M_GOOD, ids_evpid_fmt(garb, name),
	    (const uint8_t *)"\x07garbage, not records", 21);
	enc = qt_encode(vers, "bob@example.net", &len);
	enc[12] = 2;				/* version 3 -> 2 */
	plant_envelope(s.fd, M_GOOD, ids_evpid_fmt(vers, name), enc, len);
	free(enc);
	/* a valid envelope under another evpid's name */
	enc = qt_encode(good, "bob@example.net", &len);
	plant_envelope(s.fd, M_GOOD, ids_evpid_fmt(other, name), enc, len);
	/* and under a name of another message */
	plant_envelope(s.fd, M_GOOD, ids_evpid_fmt(foreign, name), enc, len);
	free(enc);
	plant_envelope(s.fd, M_GOOD, "notes.txt", (const uint8_t *)"x", 1);
	/* an envelope update cut short (queue/update.c): simply removed */
	snprintf(path, sizeof(path), "%016llx.tmp", (unsigned long long)good);
	plant_envelope(s.fd, M_GOOD, path, (const uint8_t *)"half", 4);
	/* an uppercase spelling is not ours either */
	plant_envelope(s.fd, M_GOOD, "1A2B3C0100000001",
	    (const uint8_t *)"x", 1);

	/* no message file: the whole directory goes */
	plant_dir(s.fd, M_NOMSG, M_NOMSG & 0xff);
	plant_good(s.fd, M_NOMSG, ((uint64_t)M_NOMSG << 32) | 1);

	/* only a bad envelope: the message follows it */
	plant_dir(s.fd, M_ONLYBAD, M_ONLYBAD & 0xff);
	plant_envelope(s.fd, M_ONLYBAD, "message", (const uint8_t *)"body", 4);
	plant_envelope(s.fd, M_ONLYBAD, "1a2b3c0300000001",
	    (const uint8_t *)"", 0);

	/* a message directory in the wrong bucket */
	plant_dir(s.fd, M_MISPLACED, 0x09);
	snprintf(path, sizeof(path), "queue/09/%08x/message", M_MISPLACED);
	qt_write(s.fd, path, "body", 4);

	/* strays in queue/ and in a bucket */
	qt_write(s.fd, "queue/README", "x", 1);
	assert_int_equal(mkdirat(s.fd, "queue/zz", 0700), 0);
	qt_write(s.fd, "queue/09/stray file", "x", 1);
	assert_int_equal(symlinkat("/etc/passwd", s.fd, "queue/09/1a2b3c01"),
	    0);

	idx = index_new();
	assert_int_equal(walk_spool(s.fd, idx, &st, NULL), 0);

	assert_string_equal(qt_list(s.fd, "incoming", list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "purge", list, sizeof(list)), "");
	assert_string_equal(qt_list(s.fd, "free", list, sizeof(list)), "");
	assert_int_equal(st.incoming, 2);
	assert_int_equal(st.purged, 2);	/* purge/ and free/ */

	/* the good message keeps its message and its two good envelopes */
	snprintf(path, sizeof(path), "queue/%02x/%08x", M_GOOD & 0xff, M_GOOD);
	snprintf(want, sizeof(want), "%016llx %016llx message",
	    (unsigned long long)good, (unsigned long long)good2);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), want);
	assert_int_equal(index_count(idx), 2);
	assert_non_null(index_get(idx, good));
	assert_non_null(index_get(idx, good2));
	assert_int_equal(index_get(idx, good)->expire, 1732180200 + 4 * 86400);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.envelopes, 2);

	snprintf(path, sizeof(path), "corrupt/%08x", M_GOOD);
	/* sorted in ASCII; 1a2b3c01 is the symlink stray of queue/09 */
	snprintf(want, sizeof(want), "1A2B3C0100000001 1a2b3c01 %016llx "
	    "%016llx %016llx %016llx %016llx notes.txt", (unsigned long long)trunc,
	    (unsigned long long)garb, (unsigned long long)vers,
	    (unsigned long long)other, (unsigned long long)foreign);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), want);

	/* no message: the directory as it was */
	snprintf(path, sizeof(path), "corrupt/%08x", M_NOMSG);
	snprintf(want, sizeof(want), "%016llx",
	    (unsigned long long)(((uint64_t)M_NOMSG << 32) | 1));
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), want);
	snprintf(path, sizeof(path), "queue/%02x", M_NOMSG & 0xff);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), "");

	/* only bad envelopes: envelope and message in corrupt/, dir gone */
	snprintf(path, sizeof(path), "corrupt/%08x", M_ONLYBAD);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)),
	    "1a2b3c0300000001 message");
	snprintf(path, sizeof(path), "queue/%02x", M_ONLYBAD & 0xff);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)), "");

	/* misplaced and strays */
	snprintf(path, sizeof(path), "corrupt/%08x", M_MISPLACED);
	assert_string_equal(qt_list(s.fd, path, list, sizeof(list)),
	    "message");
	assert_string_equal(qt_list(s.fd, "queue/09", list, sizeof(list)),
	    "");
	assert_true(qt_exists(s.fd, "corrupt/stray-README"));
	assert_true(qt_exists(s.fd, "corrupt/stray-zz"));
	assert_true(qt_exists(s.fd, "corrupt/stray-stray file"));
	/* a symlink named like a msgid is a stray of that msgid */
	assert_true(qt_exists(s.fd, "corrupt/1a2b3c01/1a2b3c01"));

	assert_int_equal(st.errors, 0);
	assert_int_equal(st.quarantined, 7 + 1 + 2 + 1 + 4);
	index_free(idx);

	/* a second walk finds a clean spool and changes nothing */
	idx = index_new();
	assert_int_equal(walk_spool(s.fd, idx, &st, NULL), 0);
	assert_int_equal(st.quarantined, 0);
	assert_int_equal(st.envelopes, 2);
	assert_int_equal(st.errors, 0);
	index_free(idx);
	qt_spool_free(&s);
}

/* Quarantining twice never overwrites: the second copy gets ".1". */
static void
test_quarantine_unique(void **state)
{
	struct qt_spool s;
	struct walk_stats st;
	struct index *idx;
	char list[QT_LIST_MAX];
	int i;

	(void)state;
	qt_spool_new(&s);
	for (i = 0; i < 2; i++) {
		plant_dir(s.fd, M_NOMSG, M_NOMSG & 0xff);
		plant_envelope(s.fd, M_NOMSG, "1a2b3c0200000001",
		    (const uint8_t *)"x", 1);
		qt_write(s.fd, "queue/junk", "x", 1);
		idx = index_new();
		assert_int_equal(walk_spool(s.fd, idx, &st, NULL), 0);
		assert_int_equal(st.quarantined, 2);
		index_free(idx);
	}
	assert_string_equal(qt_list(s.fd, "corrupt", list, sizeof(list)),
	    "1a2b3c02 1a2b3c02.1 stray-junk stray-junk.1");
	qt_spool_free(&s);
}

/* An empty spool root: the walk makes what it can and goes on. */
static void
test_walk_bare(void **state)
{
	struct qt_spool s;
	struct walk_stats st;
	struct index *idx;
	char list[QT_LIST_MAX];
	atomic_int stop;

	(void)state;
	qt_spool_new(&s);
	assert_int_equal(spoolfs_empty(s.fd, ".", NULL, NULL), 0);
	idx = index_new();
	assert_int_equal(walk_spool(s.fd, idx, &st, NULL), 0);
	assert_int_equal(st.errors, 0);
	assert_string_equal(qt_list(s.fd, ".", list, sizeof(list)),
	    "corrupt free incoming purge queue");

	/* a stop request ends the walk early */
	atomic_init(&stop, 1);
	assert_int_equal(walk_spool(s.fd, idx, &st, &stop), -1);
	assert_int_equal(st.cancelled, 1);
	index_free(idx);
	qt_spool_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_quarantine_unique),
		cmocka_unit_test(test_walk_bare),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

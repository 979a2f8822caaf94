/*
 * record_test.c: unit tests for lib/record.c, the typed record codec.
 * Round trips at the limits, every corruption the reader must refuse
 * (truncation at each offset, version, duplicates, unknown types, END,
 * trailing bytes, oversize values, integer widths, NUL in strings) and the
 * writer refusing the same things.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/record.h"

#define T_MAGIC		0x54455354U	/* "TEST" */
#define T_NAME		0x10
#define T_ID		0x11
#define T_COUNT		0x12
#define T_FLAG		0x13
#define T_BLOB		0x14
#define T_ITEM		0x15
#define T_NAME_MAX	16
#define T_BLOB_MAX	32
#define T_STREAM_MAX	256

static const struct record_field t_fields[] = {
	{ T_NAME,  RECORD_STR,   RECORD_REQUIRED, T_NAME_MAX, "name" },
	{ T_ID,    RECORD_U64,   0, 0, "id" },
	{ T_COUNT, RECORD_U32,   0, 0, "count" },
	{ T_FLAG,  RECORD_U8,    0, 0, "flag" },
	{ T_BLOB,  RECORD_BYTES, 0, T_BLOB_MAX, "blob" },
	{ T_ITEM,  RECORD_STR,   RECORD_REPEAT, 8, "item" },
};

static const struct record_schema t_schema = {
	.name = "test",
	.magic = T_MAGIC,
	.version = 3,
	.version_min = 2,
	.maxsize = T_STREAM_MAX,
	.fields = t_fields,
	.nfields = sizeof(t_fields) / sizeof(t_fields[0]),
};

/* A raw stream built byte by byte, to forge what the writer refuses. */
struct raw {
	uint8_t	b[1024];
	size_t	n;
};

static void	raw_rec(struct raw *, uint8_t, uint32_t, const void *, size_t);
static void	raw_version(struct raw *, uint32_t, uint32_t);
static int	decode_all(const uint8_t *, size_t, char *, size_t);

static void
raw_rec(struct raw *r, uint8_t type, uint32_t len, const void *data,
    size_t n)
{
	assert_true(r->n + RECORD_HDR_LEN + n <= sizeof(r->b));
	r->b[r->n++] = type;
	r->b[r->n++] = len >> 24;
	r->b[r->n++] = len >> 16;
	r->b[r->n++] = len >> 8;
	r->b[r->n++] = len;
	if (n)
		memcpy(r->b + r->n, data, n);
	r->n += n;
}

static void
raw_version(struct raw *r, uint32_t magic, uint32_t version)
{
	uint8_t v[8] = { magic >> 24, magic >> 16, magic >> 8, magic,
	    version >> 24, version >> 16, version >> 8, version };

	raw_rec(r, RECORD_VERSION, 8, v, 8);
}

/* Reads a whole stream: 0 if well-formed, -1 with the reason in err. */
static int
decode_all(const uint8_t *buf, size_t len, char *err, size_t errsz)
{
	struct record_reader rd;
	struct record rec;
	char s[T_NAME_MAX + 1];
	uint64_t u64;
	uint32_t u32;
	uint8_t u8;
	int r, guard = 0;

	record_reader_init(&rd, &t_schema, buf, len);
	while ((r = record_next(&rd, &rec)) == 1) {
		assert_true(++guard < 1000);
		assert_true(rec.data >= buf && rec.data + rec.len <= buf + len);
		if (rec.type == T_ID)
			assert_int_equal(record_get_u64(&rd, &rec, &u64), 0);
		else if (rec.type == T_COUNT)
			assert_int_equal(record_get_u32(&rd, &rec, &u32), 0);
		else if (rec.type == T_FLAG)
			assert_int_equal(record_get_u8(&rd, &rec, &u8), 0);
		else if (rec.type == T_NAME || rec.type == T_ITEM)
			assert_int_equal(record_get_str(&rd, &rec, s,
			    sizeof(s)), 0);
	}
	if (r == -1) {
		strlcpy(err, record_reader_error(&rd), errsz);
		/* errors are sticky */
		assert_int_equal(record_next(&rd, &rec), -1);
		return -1;
	}
	assert_int_equal(record_next(&rd, &rec), 0);	/* END stays END */
	err[0] = '\0';
	return 0;
}

static void
test_roundtrip_limits(void **state)
{
	struct record_writer w;
	struct record_reader rd;
	struct record rec;
	char name[T_NAME_MAX + 1], got[T_NAME_MAX + 1];
	uint8_t blob[T_BLOB_MAX], *buf, u8;
	uint64_t u64;
	uint32_t u32;
	size_t len, i, items = 0;

	(void)state;
	memset(name, 'n', T_NAME_MAX);
	name[T_NAME_MAX] = '\0';
	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;	/* BYTES may hold NUL */

	record_writer_init(&w, &t_schema);
	assert_int_equal(record_put_str(&w, T_NAME, name), 0);
	assert_int_equal(record_put_u64(&w, T_ID, UINT64_MAX), 0);
	assert_int_equal(record_put_u32(&w, T_COUNT, 0x01020304), 0);
	assert_int_equal(record_put_u8(&w, T_FLAG, 0xff), 0);
	assert_int_equal(record_put(&w, T_BLOB, blob, sizeof(blob)), 0);
	assert_int_equal(record_put_str(&w, T_ITEM, "a"), 0);
	assert_int_equal(record_put_str(&w, T_ITEM, ""), 0);
	assert_int_equal(record_put_str(&w, T_ITEM, "12345678"), 0);
	assert_int_equal(record_finish(&w, &buf, &len), 0);
	assert_non_null(buf);

	/* version record first, END last, big-endian lengths */
	assert_int_equal(buf[0], RECORD_VERSION);
	assert_int_equal(buf[4], 8);
	assert_int_equal(buf[len - 5], RECORD_END);
	assert_int_equal(buf[len - 1], 0);

	record_reader_init(&rd, &t_schema, buf, len);
	while (record_next(&rd, &rec) == 1) {
		switch (rec.type) {
		case T_NAME:
			assert_int_equal(record_get_str(&rd, &rec, got,
			    sizeof(got)), 0);
			assert_string_equal(got, name);
			break;
		case T_ID:
			assert_int_equal(record_get_u64(&rd, &rec, &u64), 0);
			assert_true(u64 == UINT64_MAX);
			break;
		case T_COUNT:
			assert_int_equal(record_get_u32(&rd, &rec, &u32), 0);
			assert_int_equal(u32, 0x01020304);
			break;
		case T_FLAG:
			assert_int_equal(record_get_u8(&rd, &rec, &u8), 0);
			assert_int_equal(u8, 0xff);
			break;
		case T_BLOB:
			assert_int_equal(rec.len, sizeof(blob));
			assert_memory_equal(rec.data, blob, sizeof(blob));
			break;
		case T_ITEM:
			items++;
			break;
		default:
			fail();
		}
	}
	assert_string_equal(record_reader_error(&rd), "no error");
	assert_int_equal(rd.version, 3);
	assert_int_equal(items, 3);
	free(buf);
}

static void
test_truncated_everywhere(void **state)
{
	struct record_writer w;
	uint8_t *buf, *copy;
	char err[RECORD_ERR_MAX];
	size_t len, cut;

	(void)state;
	record_writer_init(&w, &t_schema);
	record_put_str(&w, T_NAME, "hello");
	record_put_u64(&w, T_ID, 42);
	record_put_u32(&w, T_COUNT, 7);
	record_put_str(&w, T_ITEM, "x");
	assert_int_equal(record_finish(&w, &buf, &len), 0);
	assert_int_equal(decode_all(buf, len, err, sizeof(err)), 0);

	/* each prefix in its own allocation, so ASan sees any overread */
	for (cut = 0; cut < len; cut++) {
		copy = malloc(cut ? cut : 1);
		memcpy(copy, buf, cut);
		assert_int_equal(decode_all(copy, cut, err, sizeof(err)), -1);
		assert_true(strcmp(err, "truncated") == 0 ||
		    strcmp(err, "missing END") == 0);
		free(copy);
	}
	assert_int_equal(decode_all(NULL, 0, err, sizeof(err)), -1);
	free(buf);
}

static void
test_bad_version(void **state)
{
	struct raw r;
	char err[RECORD_ERR_MAX];

	(void)state;
	memset(&r, 0, sizeof(r));
	raw_version(&r, T_MAGIC, 4);		/* newer than we know */
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "bad version 4");

	memset(&r, 0, sizeof(r));
	raw_version(&r, T_MAGIC, 1);		/* older than version_min */
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "bad version 1");

	memset(&r, 0, sizeof(r));
	raw_version(&r, T_MAGIC, 2);		/* oldest accepted */
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), 0);

	memset(&r, 0, sizeof(r));
	raw_version(&r, 0x454e564c, 3);		/* another schema */
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad magic"));

	memset(&r, 0, sizeof(r));		/* no version record */
	raw_rec(&r, T_NAME, 8, "abcdefgh", 8);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "bad version record");

	memset(&r, 0, sizeof(r));		/* version record of 9 bytes */
	raw_rec(&r, RECORD_VERSION, 9, "TEST\0\0\0\3x", 9);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "bad version record");

	memset(&r, 0, sizeof(r));		/* a second version record */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "unexpected version record");
}

static void
test_duplicate_unknown(void **state)
{
	struct raw r;
	char err[RECORD_ERR_MAX];

	(void)state;
	memset(&r, 0, sizeof(r));
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, T_NAME, 1, "b", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "duplicate field name");

	memset(&r, 0, sizeof(r));		/* repeatable: fine */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, T_ITEM, 1, "b", 1);
	raw_rec(&r, T_ITEM, 1, "b", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), 0);

	memset(&r, 0, sizeof(r));
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, 0x77, 1, "b", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown record type 119");
}

static void
test_end_rules(void **state)
{
	struct raw r;
	char err[RECORD_ERR_MAX];

	(void)state;
	memset(&r, 0, sizeof(r));		/* missing END */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "missing END");

	raw_rec(&r, RECORD_END, 0, NULL, 0);	/* now complete */
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), 0);

	r.b[r.n++] = 0;				/* one byte after END */
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "trailing bytes after END");

	r.n--;					/* a whole record after END */
	raw_rec(&r, T_ITEM, 1, "z", 1);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "trailing bytes after END");

	memset(&r, 0, sizeof(r));		/* END with a value */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, RECORD_END, 1, "x", 1);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "bad END record");

	memset(&r, 0, sizeof(r));		/* required field missing */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_FLAG, 1, "x", 1);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "missing field name");
}

static void
test_oversize_and_widths(void **state)
{
	struct raw r;
	char err[RECORD_ERR_MAX], big[T_NAME_MAX + 1];
	uint8_t stream[T_STREAM_MAX + 1];

	(void)state;
	memset(big, 'b', sizeof(big));
	memset(&r, 0, sizeof(r));		/* string one over its cap */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, sizeof(big), big, sizeof(big));
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "field name too long (17 > 16)");

	memset(&r, 0, sizeof(r));		/* length field 4 GiB - 1 */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_BLOB, 0xffffffff, "abc", 3);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));

	memset(&r, 0, sizeof(r));		/* length past the buffer */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 10, "abc", 3);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "truncated");

	memset(&r, 0, sizeof(r));		/* u64 of 7 bytes */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, T_ID, 7, "1234567", 7);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "field id: bad length 7");

	memset(&r, 0, sizeof(r));		/* u8 of 0 bytes */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 1, "a", 1);
	raw_rec(&r, T_FLAG, 0, NULL, 0);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "field flag: bad length 0");

	memset(&r, 0, sizeof(r));		/* NUL inside a string */
	raw_version(&r, T_MAGIC, 3);
	raw_rec(&r, T_NAME, 3, "a\0b", 3);
	raw_rec(&r, RECORD_END, 0, NULL, 0);
	assert_int_equal(decode_all(r.b, r.n, err, sizeof(err)), -1);
	assert_string_equal(err, "field name contains NUL");

	/* a stream longer than the schema allows, whatever it holds */
	memset(stream, 0, sizeof(stream));
	assert_int_equal(decode_all(stream, sizeof(stream), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "stream too long"));
}

static void
test_getters_validate(void **state)
{
	struct record_reader rd;
	struct record rec;
	uint64_t u64;
	uint32_t u32;
	uint8_t u8, data[8] = "abcdefg";
	char small[4];

	(void)state;
	record_reader_init(&rd, &t_schema, NULL, 0);
	memset(&rec, 0, sizeof(rec));
	rec.type = T_ID;
	rec.data = data;
	rec.len = 4;
	assert_int_equal(record_get_u64(&rd, &rec, &u64), -1);
	assert_int_equal(record_get_u8(&rd, &rec, &u8), -1);
	assert_int_equal(record_get_u32(&rd, &rec, &u32), 0);
	rec.len = 4;		/* "abcd" does not fit in 4 bytes with NUL */
	assert_int_equal(record_get_str(&rd, &rec, small, sizeof(small)), -1);
	rec.len = 3;
	assert_int_equal(record_get_str(&rd, &rec, small, sizeof(small)), 0);
	assert_string_equal(small, "abc");
	data[1] = '\0';
	assert_int_equal(record_get_str(&rd, &rec, small, sizeof(small)), -1);
	rec.data = NULL;
	assert_int_equal(record_get_u8(&rd, &rec, &u8), -1);
	/* the first error is kept */
	assert_string_equal(record_reader_error(&rd), "type 17: not a u64");
}

static void
test_writer_refuses(void **state)
{
	struct record_writer w;
	uint8_t *buf, blob[T_STREAM_MAX];
	size_t len;
	char big[T_NAME_MAX + 2];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	record_writer_init(&w, &t_schema);	/* too long: fails, sticky */
	assert_int_equal(record_put_str(&w, T_NAME, big), -1);
	assert_int_equal(record_put_u8(&w, T_FLAG, 1), -1);
	assert_int_equal(record_finish(&w, &buf, &len), -1);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_string_equal(record_writer_error(&w),
	    "field name too long (17 > 16)");

	record_writer_init(&w, &t_schema);
	assert_int_equal(record_put_str(&w, 0x77, "a"), -1);
	assert_string_equal(record_writer_error(&w), "unknown record type 119");
	record_writer_free(&w);

	record_writer_init(&w, &t_schema);
	assert_int_equal(record_put_str(&w, T_NAME, "a"), 0);
	assert_int_equal(record_put_str(&w, T_NAME, "b"), -1);
	assert_string_equal(record_writer_error(&w), "duplicate field name");
	record_writer_free(&w);

	record_writer_init(&w, &t_schema);
	assert_int_equal(record_put_u32(&w, T_ID, 1), -1);	/* wrong kind */
	record_writer_free(&w);

	record_writer_init(&w, &t_schema);
	assert_int_equal(record_put(&w, T_ID, "1234", 4), -1);	/* width */
	record_writer_free(&w);

	record_writer_init(&w, &t_schema);
	assert_int_equal(record_put(&w, T_NAME, "a\0b", 3), -1);
	assert_string_equal(record_writer_error(&w), "field name contains NUL");
	record_writer_free(&w);

	record_writer_init(&w, &t_schema);	/* required field missing */
	assert_int_equal(record_put_u8(&w, T_FLAG, 1), 0);
	assert_int_equal(record_finish(&w, &buf, &len), -1);
	assert_string_equal(record_writer_error(&w), "missing field name");

	/* the stream cap: items until it is reached, never past it */
	memset(blob, 'q', sizeof(blob));
	record_writer_init(&w, &t_schema);
	assert_int_equal(record_put_str(&w, T_NAME, "a"), 0);
	while (record_put(&w, T_ITEM, blob, 8) == 0)
		assert_true(w.buf.len + RECORD_HDR_LEN <= T_STREAM_MAX);
	assert_non_null(strstr(record_writer_error(&w), "stream too long"));
	record_writer_free(&w);

	record_writer_init(&w, &t_schema);	/* finished once only */
	assert_int_equal(record_put_str(&w, T_NAME, "a"), 0);
	assert_int_equal(record_finish(&w, &buf, &len), 0);
	free(buf);
	assert_int_equal(record_put_u8(&w, T_FLAG, 1), -1);
	assert_int_equal(record_finish(&w, &buf, &len), -1);
}

static void
test_stream_at_cap(void **state)
{
	struct record_writer w;
	uint8_t *buf, blob[8];
	char err[RECORD_ERR_MAX];
	size_t len;

	(void)state;
	memset(blob, 'q', sizeof(blob));
	record_writer_init(&w, &t_schema);
	record_put_str(&w, T_NAME, "a");
	while (record_put(&w, T_ITEM, blob, 8) == 0)
		;
	/* the last accepted record still left room for END */
	w.failed = 0;
	assert_int_equal(record_finish(&w, &buf, &len), 0);
	assert_true(len <= T_STREAM_MAX);
	assert_int_equal(decode_all(buf, len, err, sizeof(err)), 0);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_limits),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_duplicate_unknown),
		cmocka_unit_test(test_end_rules),
		cmocka_unit_test(test_oversize_and_widths),
		cmocka_unit_test(test_getters_validate),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_stream_at_cap),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

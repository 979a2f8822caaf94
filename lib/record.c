/*
 * record.c: the typed binary record codec (format in record.h).
 * Called by the envelope store (queue/envelope.c) and by IPC and control
 * frames. The reader takes bytes from disk or from a less privileged peer:
 * it must never read outside the buffer, allocate, or abort on bad input;
 * every failure is a short string in the reader. The writer refuses what
 * the reader would refuse, so we never write a stream we cannot read back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/record.h"

enum {
	RSTATE_START,		/* expecting VERSION */
	RSTATE_BODY,		/* fields, then END */
	RSTATE_DONE,		/* END read, stream complete */
	RSTATE_FAILED,
};

static void	record_schema_check(const struct record_schema *);
static const struct record_field *record_field_find(
		    const struct record_schema *, uint8_t);
static int	record_bit_test(const uint8_t *, uint8_t);
static void	record_bit_set(uint8_t *, uint8_t);
static uint32_t	record_be32(const uint8_t *);
static uint64_t	record_be64(const uint8_t *);
static int	record_value_check(const struct record_field *,
		    const uint8_t *, size_t, char *, size_t);
static int	record_read_version(struct record_reader *);
static int	record_read_end(struct record_reader *, size_t);
static void	record_append(struct record_writer *, uint8_t,
		    const void *, size_t);
static int	record_put_int(struct record_writer *, uint8_t,
		    enum record_kind, uint64_t);

/* ---------------------------------------------------------------- common */

static void
record_schema_check(const struct record_schema *s)
{
	size_t i;

	if (s == NULL || s->fields == NULL || s->maxsize > RECORD_STREAM_MAX ||
	    s->maxsize < 2 * RECORD_HDR_LEN + RECORD_VERSION_LEN ||
	    s->version_min > s->version)
		fatalx("record: bad schema");
	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].type < RECORD_TYPE_MIN ||
		    s->fields[i].maxlen > RECORD_VALUE_MAX ||
		    s->fields[i].name == NULL)
			fatalx("record: bad field %zu in schema %s", i,
			    s->name);
}

static const struct record_field *
record_field_find(const struct record_schema *s, uint8_t type)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].type == type)
			return &s->fields[i];
	return NULL;
}

static int
record_bit_test(const uint8_t *map, uint8_t type)
{
	return (map[type >> 3] >> (type & 7)) & 1;
}

static void
record_bit_set(uint8_t *map, uint8_t type)
{
	map[type >> 3] |= 1 << (type & 7);
}

static uint32_t
record_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t
record_be64(const uint8_t *p)
{
	return (uint64_t)record_be32(p) << 32 | record_be32(p + 4);
}

/*
 * The rules one value must follow for its field, shared by reader and
 * writer. Fills err and returns -1 on a violation.
 */
static int
record_value_check(const struct record_field *f, const uint8_t *data,
    size_t len, char *err, size_t errsz)
{
	size_t want = 0;

	switch (f->kind) {
	case RECORD_U8:
		want = 1;
		break;
	case RECORD_U32:
		want = 4;
		break;
	case RECORD_U64:
		want = 8;
		break;
	case RECORD_STR:
		if (len > 0 && memchr(data, '\0', len) != NULL) {
			snprintf(err, errsz, "field %s contains NUL",
			    f->name);
			return -1;
		}
		/* FALLTHROUGH */
	case RECORD_BYTES:
		if (len > f->maxlen) {
			snprintf(err, errsz, "field %s too long (%zu > %u)",
			    f->name, len, f->maxlen);
			return -1;
		}
		return 0;
	}
	if (len != want) {
		snprintf(err, errsz, "field %s: bad length %zu", f->name, len);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- reader */

void
record_reader_init(struct record_reader *rd, const struct record_schema *s,
    const void *buf, size_t len)
{
	record_schema_check(s);
	memset(rd, 0, sizeof(*rd));
	rd->schema = s;
	rd->buf = buf;
	rd->len = len;
	rd->state = RSTATE_START;
	if (buf == NULL)
		rd->len = 0;
}

void
record_reader_fail(struct record_reader *rd, const char *fmt, ...)
{
	va_list ap;

	if (rd->state == RSTATE_FAILED)
		return;		/* keep the first error */
	va_start(ap, fmt);
	vsnprintf(rd->err, sizeof(rd->err), fmt, ap);
	va_end(ap);
	rd->state = RSTATE_FAILED;
}

const char *
record_reader_error(const struct record_reader *rd)
{
	return rd->err[0] ? rd->err : "no error";
}

static int
record_read_version(struct record_reader *rd)
{
	const struct record_schema *s = rd->schema;
	const uint8_t *p;
	uint32_t magic, version;

	if (rd->len > s->maxsize) {
		record_reader_fail(rd, "stream too long (%zu > %zu)",
		    rd->len, s->maxsize);
		return -1;
	}
	if (rd->len < RECORD_HDR_LEN + RECORD_VERSION_LEN) {
		record_reader_fail(rd, "truncated");
		return -1;
	}
	p = rd->buf;
	if (p[0] != RECORD_VERSION ||
	    record_be32(p + 1) != RECORD_VERSION_LEN) {
		record_reader_fail(rd, "bad version record");
		return -1;
	}
	magic = record_be32(p + RECORD_HDR_LEN);
	version = record_be32(p + RECORD_HDR_LEN + 4);
	if (magic != s->magic) {
		record_reader_fail(rd, "bad magic 0x%08x, not %s", magic,
		    s->name);
		return -1;
	}
	if (version < s->version_min || version > s->version) {
		record_reader_fail(rd, "bad version %u", version);
		return -1;
	}
	rd->version = version;
	rd->off = RECORD_HDR_LEN + RECORD_VERSION_LEN;
	rd->state = RSTATE_BODY;
	return 0;
}

/* END at rd->off with the given length: finish the stream. */
static int
record_read_end(struct record_reader *rd, size_t len)
{
	const struct record_schema *s = rd->schema;
	size_t i;

	if (len != 0) {
		record_reader_fail(rd, "bad END record");
		return -1;
	}
	if (rd->len - rd->off != RECORD_HDR_LEN) {
		record_reader_fail(rd, "trailing bytes after END");
		return -1;
	}
	for (i = 0; i < s->nfields; i++)
		if ((s->fields[i].flags & RECORD_REQUIRED) &&
		    !record_bit_test(rd->seen, s->fields[i].type)) {
			record_reader_fail(rd, "missing field %s",
			    s->fields[i].name);
			return -1;
		}
	rd->off = rd->len;
	rd->state = RSTATE_DONE;
	return 0;
}

int
record_next(struct record_reader *rd, struct record *rec)
{
	const struct record_field *f;
	const uint8_t *p;
	size_t left, len;
	uint8_t type;

	memset(rec, 0, sizeof(*rec));
	if (rd->state == RSTATE_FAILED)
		return -1;
	if (rd->state == RSTATE_DONE)
		return 0;
	if (rd->state == RSTATE_START && record_read_version(rd) == -1)
		return -1;

	left = rd->len - rd->off;
	if (left == 0) {
		record_reader_fail(rd, "missing END");
		return -1;
	}
	if (left < RECORD_HDR_LEN) {
		record_reader_fail(rd, "truncated");
		return -1;
	}
	p = rd->buf + rd->off;
	type = p[0];
	len = record_be32(p + 1);
	left -= RECORD_HDR_LEN;

	if (type == RECORD_END) {
		if (record_read_end(rd, len) == -1)
			return -1;
		return 0;
	}
	if (type == RECORD_VERSION) {
		record_reader_fail(rd, "unexpected version record");
		return -1;
	}
	if ((f = record_field_find(rd->schema, type)) == NULL) {
		record_reader_fail(rd, "unknown record type %u", type);
		return -1;
	}
	if ((f->kind == RECORD_STR || f->kind == RECORD_BYTES) &&
	    len > f->maxlen) {
		record_reader_fail(rd, "field %s too long (%zu > %u)",
		    f->name, len, f->maxlen);
		return -1;
	}
	if (len > left) {
		record_reader_fail(rd, "truncated");
		return -1;
	}
	if (!(f->flags & RECORD_REPEAT) && record_bit_test(rd->seen, type)) {
		record_reader_fail(rd, "duplicate field %s", f->name);
		return -1;
	}
	if (record_value_check(f, p + RECORD_HDR_LEN, len, rd->err,
	    sizeof(rd->err)) == -1) {
		rd->state = RSTATE_FAILED;
		return -1;
	}
	record_bit_set(rd->seen, type);
	rec->type = type;
	rec->data = p + RECORD_HDR_LEN;
	rec->len = len;
	rec->field = f;
	rd->off += RECORD_HDR_LEN + len;
	return 1;
}

int
record_get_u8(struct record_reader *rd, const struct record *rec,
    uint8_t *v)
{
	if (rec->data == NULL || rec->len != 1) {
		record_reader_fail(rd, "type %u: not a u8", rec->type);
		return -1;
	}
	*v = rec->data[0];
	return 0;
}

int
record_get_u32(struct record_reader *rd, const struct record *rec,
    uint32_t *v)
{
	if (rec->data == NULL || rec->len != 4) {
		record_reader_fail(rd, "type %u: not a u32", rec->type);
		return -1;
	}
	*v = record_be32(rec->data);
	return 0;
}

int
record_get_u64(struct record_reader *rd, const struct record *rec,
    uint64_t *v)
{
	if (rec->data == NULL || rec->len != 8) {
		record_reader_fail(rd, "type %u: not a u64", rec->type);
		return -1;
	}
	*v = record_be64(rec->data);
	return 0;
}

/* Copies a string value into dst (NUL-terminated); never truncates. */
int
record_get_str(struct record_reader *rd, const struct record *rec,
    char *dst, size_t dstsz)
{
	if (rec->len > 0 && (rec->data == NULL ||
	    memchr(rec->data, '\0', rec->len) != NULL)) {
		record_reader_fail(rd, "type %u: string contains NUL",
		    rec->type);
		return -1;
	}
	if (dstsz == 0 || rec->len > dstsz - 1) {
		record_reader_fail(rd, "type %u: string too long (%zu)",
		    rec->type, rec->len);
		return -1;
	}
	if (rec->len > 0)
		memcpy(dst, rec->data, rec->len);
	dst[rec->len] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- writer */

void
record_writer_init(struct record_writer *w, const struct record_schema *s)
{
	uint8_t v[RECORD_VERSION_LEN];

	record_schema_check(s);
	memset(w, 0, sizeof(*w));
	buf_init(&w->buf);
	w->schema = s;
	v[0] = s->magic >> 24;
	v[1] = s->magic >> 16;
	v[2] = s->magic >> 8;
	v[3] = s->magic;
	v[4] = s->version >> 24;
	v[5] = s->version >> 16;
	v[6] = s->version >> 8;
	v[7] = s->version;
	record_append(w, RECORD_VERSION, v, sizeof(v));
}

void
record_writer_fail(struct record_writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;		/* keep the first error */
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	w->failed = 1;
}

const char *
record_writer_error(const struct record_writer *w)
{
	return w->err[0] ? w->err : "no error";
}

/* Caller checked that the stream stays under the schema's maxsize. */
static void
record_append(struct record_writer *w, uint8_t type, const void *data,
    size_t len)
{
	uint8_t hdr[RECORD_HDR_LEN];

	hdr[0] = type;
	hdr[1] = (uint32_t)len >> 24;
	hdr[2] = (uint32_t)len >> 16;
	hdr[3] = (uint32_t)len >> 8;
	hdr[4] = (uint32_t)len;
	buf_reserve(&w->buf, sizeof(hdr) + len);
	buf_add(&w->buf, hdr, sizeof(hdr));
	buf_add(&w->buf, data, len);
}

int
record_put(struct record_writer *w, uint8_t type, const void *data,
    size_t len)
{
	const struct record_field *f;

	if (w->failed)
		return -1;
	if ((f = record_field_find(w->schema, type)) == NULL) {
		record_writer_fail(w, "unknown record type %u", type);
		return -1;
	}
	if (len > 0 && data == NULL) {
		record_writer_fail(w, "field %s: no data", f->name);
		return -1;
	}
	if (!(f->flags & RECORD_REPEAT) && record_bit_test(w->seen, type)) {
		record_writer_fail(w, "duplicate field %s", f->name);
		return -1;
	}
	if (record_value_check(f, data, len, w->err, sizeof(w->err)) == -1) {
		w->failed = 1;
		return -1;
	}
	/* Room for this record and END, under the stream cap. */
	if (len > w->schema->maxsize ||
	    w->schema->maxsize - len < w->buf.len + 2 * RECORD_HDR_LEN) {
		record_writer_fail(w, "stream too long at field %s", f->name);
		return -1;
	}
	record_bit_set(w->seen, type);
	record_append(w, type, data, len);
	return 0;
}

int
record_put_str(struct record_writer *w, uint8_t type, const char *s)
{
	const struct record_field *f;

	if (w->failed)
		return -1;
	if ((f = record_field_find(w->schema, type)) != NULL &&
	    f->kind != RECORD_STR) {
		record_writer_fail(w, "field %s is not a string", f->name);
		return -1;
	}
	if (s == NULL)
		s = "";
	/* strnlen: an over-long string fails without a full scan. */
	return record_put(w, type, s, strnlen(s, RECORD_VALUE_MAX + 1));
}

static int
record_put_int(struct record_writer *w, uint8_t type, enum record_kind kind,
    uint64_t v)
{
	const struct record_field *f;
	uint8_t b[8];
	size_t i, n;

	if (w->failed)
		return -1;
	if ((f = record_field_find(w->schema, type)) != NULL &&
	    f->kind != kind) {
		record_writer_fail(w, "field %s: wrong integer kind", f->name);
		return -1;
	}
	n = kind == RECORD_U8 ? 1 : kind == RECORD_U32 ? 4 : 8;
	for (i = 0; i < n; i++)
		b[i] = v >> (8 * (n - 1 - i));
	return record_put(w, type, b, n);
}

int
record_put_u8(struct record_writer *w, uint8_t type, uint8_t v)
{
	return record_put_int(w, type, RECORD_U8, v);
}

int
record_put_u32(struct record_writer *w, uint8_t type, uint32_t v)
{
	return record_put_int(w, type, RECORD_U32, v);
}

int
record_put_u64(struct record_writer *w, uint8_t type, uint64_t v)
{
	return record_put_int(w, type, RECORD_U64, v);
}

int
record_finish(struct record_writer *w, uint8_t **bufp, size_t *lenp)
{
	const struct record_schema *s = w->schema;
	size_t i;

	*bufp = NULL;
	*lenp = 0;
	for (i = 0; !w->failed && i < s->nfields; i++)
		if ((s->fields[i].flags & RECORD_REQUIRED) &&
		    !record_bit_test(w->seen, s->fields[i].type))
			record_writer_fail(w, "missing field %s",
			    s->fields[i].name);
	if (w->failed) {
		record_writer_free(w);
		return -1;
	}
	record_append(w, RECORD_END, NULL, 0);	/* record_put kept room */
	/* Hand the bytes over; nothing was consumed, so they start at data. */
	*bufp = w->buf.data;
	*lenp = w->buf.len;
	buf_init(&w->buf);
	w->failed = 1;
	snprintf(w->err, sizeof(w->err), "stream already finished");
	return 0;
}

void
record_writer_free(struct record_writer *w)
{
	buf_free(&w->buf);
}

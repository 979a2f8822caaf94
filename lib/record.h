/*
 * record.h: the one typed binary record codec. Queue envelopes on disk
 * (queue/envelope.c) and control-socket/IPC payloads are record streams.
 *
 * A stream is a sequence of records, each
 *	type	1 byte
 *	length	4 bytes, unsigned, big-endian: the value's size
 *	value	length bytes
 * The first record is VERSION (type 0x01, value: 4-byte magic naming the
 * schema, then 4-byte version, both big-endian); the last is END (type
 * 0x00, length 0). Integers are big-endian and exactly 1, 4 or 8 bytes;
 * strings are raw bytes without a terminator and never contain NUL.
 *
 * A schema lists the types a stream may carry, with kind, cap and whether
 * they repeat or must appear. Writer and reader enforce the same rules:
 * unknown type, duplicate of a non-repeatable type, over-long value, wrong
 * integer width, NUL in a string, missing required field, missing END or
 * bytes after END make the stream corrupt. The reader never reads outside
 * its buffer, never allocates, never aborts on bad input; it reports a
 * short error string. Callers map corrupt streams to quarantine (spool)
 * or to closing the peer (IPC).
 */
#ifndef LIB_RECORD_H
#define LIB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define RECORD_HDR_LEN		5		/* type, 32-bit length */
#define RECORD_VALUE_MAX	(64 * 1024)	/* any value, any schema */
#define RECORD_STREAM_MAX	(1024 * 1024)	/* any schema maxsize */
#define RECORD_ERR_MAX		128		/* error, with NUL */

/* Types reserved by the codec; schemas use RECORD_TYPE_MIN..255. */
#define RECORD_END		0x00
#define RECORD_VERSION		0x01
#define RECORD_TYPE_MIN		0x02
#define RECORD_VERSION_LEN	8

enum record_kind {
	RECORD_BYTES,		/* opaque, NUL allowed: nested streams */
	RECORD_STR,		/* bytes without NUL */
	RECORD_U8,		/* exactly 1 byte */
	RECORD_U32,		/* exactly 4 bytes, big-endian */
	RECORD_U64,		/* exactly 8 bytes, big-endian */
};

#define RECORD_REPEAT		0x01	/* may appear more than once */
#define RECORD_REQUIRED		0x02	/* must appear */

struct record_field {
	uint8_t			 type;
	enum record_kind	 kind;
	uint8_t			 flags;		/* RECORD_REPEAT etc. */
	uint32_t		 maxlen;	/* BYTES, STR: <= VALUE_MAX */
	const char		*name;		/* for error strings */
};

struct record_schema {
	const char			*name;		/* "envelope" */
	uint32_t			 magic;
	uint32_t			 version;	/* written, newest */
	uint32_t			 version_min;	/* oldest read */
	size_t				 maxsize;	/* stream */
	const struct record_field	*fields;
	size_t				 nfields;
};

/* One decoded record; data points into the reader's buffer. */
struct record {
	uint8_t				 type;
	const uint8_t			*data;
	size_t				 len;
	const struct record_field	*field;
};

struct record_reader {
	const struct record_schema	*schema;
	const uint8_t			*buf;
	size_t				 len;
	size_t				 off;
	uint32_t			 version;	/* of the stream */
	int				 state;
	uint8_t				 seen[32];	/* by type */
	char				 err[RECORD_ERR_MAX];
};

struct record_writer {
	const struct record_schema	*schema;
	struct buf			 buf;
	int				 failed;
	uint8_t				 seen[32];
	char				 err[RECORD_ERR_MAX];
};

/* Reading: record_next() returns 1 with a record, 0 once END was read
 * (the stream is then known complete and well-formed), -1 if corrupt. */
void	 record_reader_init(struct record_reader *,
	    const struct record_schema *, const void *, size_t);
int	 record_next(struct record_reader *, struct record *);
int	 record_get_u8(struct record_reader *, const struct record *,
	    uint8_t *);
int	 record_get_u32(struct record_reader *, const struct record *,
	    uint32_t *);
int	 record_get_u64(struct record_reader *, const struct record *,
	    uint64_t *);
int	 record_get_str(struct record_reader *, const struct record *,
	    char *, size_t);
const char *record_reader_error(const struct record_reader *);
void	 record_reader_fail(struct record_reader *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Writing: errors are sticky; record_finish() reports the first one.
 * record_finish() appends END and hands the buffer (free(3) it) to the
 * caller; on failure, or with record_writer_free(), the buffer is freed. */
void	 record_writer_init(struct record_writer *,
	    const struct record_schema *);
int	 record_put(struct record_writer *, uint8_t, const void *, size_t);
int	 record_put_str(struct record_writer *, uint8_t, const char *);
int	 record_put_u8(struct record_writer *, uint8_t, uint8_t);
int	 record_put_u32(struct record_writer *, uint8_t, uint32_t);
int	 record_put_u64(struct record_writer *, uint8_t, uint64_t);
int	 record_finish(struct record_writer *, uint8_t **, size_t *);
void	 record_writer_free(struct record_writer *);
const char *record_writer_error(const struct record_writer *);
void	 record_writer_fail(struct record_writer *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif

/*
 * buf.h: a growable byte buffer with a read offset. Used for I/O queues,
 * record encoding and line assembly. Growth is bounded by the caller's
 * checks; buf_* never silently truncates.
 */
#ifndef LIB_BUF_H
#define LIB_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 len;		/* bytes stored */
	size_t	 off;		/* bytes already consumed from the front */
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_reserve(struct buf *, size_t);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
size_t	 buf_avail(const struct buf *);
const uint8_t *buf_head(const struct buf *);
void	 buf_consume(struct buf *, size_t);

#endif

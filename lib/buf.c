/*
 * buf.c: growable byte buffer. The consumed prefix is reclaimed lazily
 * when more room is needed, so a queue that is written and drained keeps
 * a stable allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define BUF_MIN		256

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
buf_reset(struct buf *b)
{
	b->len = b->off = 0;
}

void
buf_reserve(struct buf *b, size_t more)
{
	size_t need, cap;

	if (b->off && b->len - b->off + more > b->cap - b->len) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (more > SIZE_MAX - b->len)
		fatalx("buf_reserve: overflow");
	need = b->len + more;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : BUF_MIN;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			fatalx("buf_reserve: overflow");
		cap *= 2;
	}
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("buf_printf: bad format");
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t
buf_avail(const struct buf *b)
{
	return b->len - b->off;
}

/* Never NULL: an empty buffer that never grew has no data yet. */
const uint8_t *
buf_head(const struct buf *b)
{
	static const uint8_t none[1];

	return b->data != NULL ? b->data + b->off : none;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n > b->len - b->off)
		fatalx("buf_consume: past end");
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

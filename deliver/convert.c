/*
 * convert.c: the byte filter between the queued message and a local file
 * (delivery.md §2.3, §3.2). Converts CRLF line ends to LF (a bare CR is
 * content and stays), drops a first line starting with "From " (the
 * envelope line another MTA's mailbox_command prepends, e.g. Postfix),
 * applies mboxrd quoting (any line matching ^>*From gets one more '>')
 * for mbox, and ends a non-empty message with LF. It changes nothing
 * else. Called by msgsrc.c for every pass over a message.
 *
 * Pure and resumable: it may stop at any input or output byte and go on
 * at the next call, so the output never depends on chunking (the unit
 * tests feed byte by byte). Held-back bytes are a counter of '>' and at
 * most 8 literal bytes, so a line of a million '>' needs no memory.
 */
#include <string.h>

#include "deliver/deliver.h"

enum {
	CS_LINESTART,	/* at the first byte of a line */
	CS_PREFIX,	/* matching ^>*From , bytes held back */
	CS_MID,		/* inside a line: bytes pass through */
	CS_SKIP,	/* dropping the first "From " line */
};

static const char convert_from[] = "From ";
#define CONVERT_FROM_LEN	5

static void	convert_release(struct convert *);
static void	convert_byte(struct convert *, uint8_t);

void
convert_init(struct convert *c, int flags)
{
	memset(c, 0, sizeof(*c));
	c->flags = flags;
	c->state = CS_LINESTART;
	c->first = 1;
}

/* Gives back the '>' and "From " bytes held while matching. */
static void
convert_release(struct convert *c)
{
	c->pend_gt = c->gt;
	memcpy(c->pend, convert_from, c->match);
	c->npend = c->match;
	c->pendoff = 0;
	c->gt = c->match = 0;
	c->state = CS_MID;
}

/*
 * One byte of LF-normalised input. Output goes to pend_gt and pend[],
 * which the caller has flushed before (at most 4 held bytes and b).
 */
static void
convert_byte(struct convert *c, uint8_t b)
{
	int quote = c->flags & CONVERT_QUOTE;
	int strip = c->first && (c->flags & CONVERT_STRIP);

	switch (c->state) {
	case CS_SKIP:
		if (b == '\n') {
			c->state = CS_LINESTART;
			c->first = 0;
		}
		return;
	case CS_LINESTART:
		if (quote && b == '>') {
			c->gt = 1;
			c->state = CS_PREFIX;
			return;
		}
		if ((quote || strip) && b == (uint8_t)convert_from[0]) {
			c->match = 1;
			c->state = CS_PREFIX;
			return;
		}
		break;
	case CS_PREFIX:
		if (c->match == 0 && b == '>') {
			c->gt++;
			return;
		}
		if (b == (uint8_t)convert_from[c->match]) {
			if (++c->match < CONVERT_FROM_LEN)
				return;
			if (c->gt == 0 && strip) {
				c->match = 0;
				c->state = CS_SKIP;
				return;
			}
			convert_release(c);
			if (quote)
				c->pend_gt++;
			return;
		}
		convert_release(c);
		break;
	case CS_MID:
		break;
	}
	c->state = CS_MID;
	c->pend[c->npend++] = b;
	if (b == '\n') {
		c->state = CS_LINESTART;
		c->first = 0;
	}
}

/*
 * Converts in[0..inlen) into out[0..outcap), outcap > 0. *used is set to
 * the input bytes consumed; the return value is the output length. Call
 * again with the rest of the input; eof says no input follows in[]. At
 * the end, c->done is set once everything has been emitted.
 */
size_t
convert_run(struct convert *c, const uint8_t *in, size_t inlen, size_t *used,
    uint8_t *out, size_t outcap, int eof)
{
	size_t i = 0, o = 0, n;
	uint8_t b, last;

	for (;;) {
		while (c->pend_gt > 0 && o < outcap) {
			out[o++] = '>';
			c->pend_gt--;
		}
		if (c->pend_gt > 0)
			break;
		n = c->npend - c->pendoff;
		if (n > outcap - o)
			n = outcap - o;
		memcpy(out + o, c->pend + c->pendoff, n);
		o += n;
		c->pendoff += n;
		if (c->pendoff < c->npend)
			break;
		c->npend = c->pendoff = 0;
		if (o == outcap)
			break;

		if (i == inlen) {
			if (!eof || c->done)
				break;
			if (c->cr) {		/* a last CR ends a line */
				c->cr = 0;
				convert_byte(c, '\n');
				continue;
			}
			if (c->state == CS_PREFIX) {
				convert_release(c);
				continue;
			}
			last = o > 0 ? out[o - 1] : c->last;
			if (c->nout + o > 0 && last != '\n') {
				c->pend[0] = '\n';
				c->npend = 1;
				continue;
			}
			c->done = 1;
			break;
		}

		b = in[i];
		if (c->cr) {
			c->cr = 0;
			if (b == '\n')
				i++;
			convert_byte(c, b == '\n' ? '\n' : '\r');
			continue;
		}
		if (b == '\r') {
			c->cr = 1;
			i++;
			continue;
		}
		if (c->state != CS_MID) {
			i++;
			convert_byte(c, b);
			continue;
		}
		/* Inside a line: copy up to the next CR or LF. */
		while (i < inlen && o < outcap && in[i] != '\r') {
			b = out[o++] = in[i++];
			if (b == '\n') {
				c->state = CS_LINESTART;
				c->first = 0;
				break;
			}
		}
	}
	*used = i;
	if (o > 0) {
		c->last = out[o - 1];
		c->nout += o;
	}
	return o;
}

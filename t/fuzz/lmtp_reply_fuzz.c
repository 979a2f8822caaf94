/*
 * lmtp_reply_fuzz.c: libFuzzer harness for the LMTP client's reply
 * parser (deliver/lmtp_reply.c), which reads whatever an LMTP server
 * sends, and for the data path of deliver -L (convert.c then the
 * dot-stuffing of deliver/lmtp.c). The first input octet picks the
 * chunk sizes; the rest is the server's byte stream (and the message).
 *
 * Invariants: the replies read one after the other are the same fed
 * whole or in chunks; a complete reply has a code 200-559, at most
 * LMTP_LINES_MAX lines, printable NUL-terminated text of its recorded
 * length, an enhanced code that is empty or valid and of its class, and
 * ends right after an LF. The stuffed data has only CRLF line ends, no
 * line that is a lone "." (so no early end of data), and unstuffs to the
 * converted message. A broken invariant calls abort(). Built with
 * replay.c, `make check` replays t/fuzz/corpus/lmtp_reply_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "lib/esc.h"

#define FUZZ_REPLIES	64

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_seen {
	int		 n;
	int		 state[FUZZ_REPLIES];
	size_t		 used[FUZZ_REPLIES];
	int		 code[FUZZ_REPLIES];
	char		 esc[FUZZ_REPLIES][OUTCOME_ESC_SIZE];
	char		 text[FUZZ_REPLIES][OUTCOME_TEXT_SIZE];
};

static void	fuzz_check(const struct lmtp_reply *, const uint8_t *, size_t);
static void	fuzz_replies(const uint8_t *, size_t, size_t,
		    struct fuzz_seen *);
static void	fuzz_data(const uint8_t *, size_t, size_t);

static void
fuzz_check(const struct lmtp_reply *r, const uint8_t *end, size_t used)
{
	size_t i, e;

	if (r->code < 200 || r->code > 559 || r->nlines < 1 ||
	    r->nlines > LMTP_LINES_MAX || used == 0 || end[-1] != '\n')
		abort();
	if (r->textlen >= sizeof(r->text) || strlen(r->text) != r->textlen)
		abort();
	for (i = 0; i < r->textlen; i++)
		if (r->text[i] < 0x20 || r->text[i] >= 0x7f)
			abort();
	if (r->esc[0] != '\0') {
		e = strlen(r->esc);
		if (esc_len(r->esc, e) != e ||
		    r->esc[0] != '0' + r->code / 100)
			abort();
	}
}

/* Reads replies one after the other, feeding at most chunk at a time. */
static void
fuzz_replies(const uint8_t *p, size_t len, size_t chunk, struct fuzz_seen *s)
{
	struct lmtp_reply *r;
	enum lmtp_reply_state st;
	size_t off = 0, start, n, used;

	if ((r = malloc(sizeof(*r))) == NULL)
		abort();
	s->n = 0;
	while (off < len && s->n < FUZZ_REPLIES) {
		lmtp_reply_init(r);
		start = off;
		st = LMTP_REPLY_MORE;
		while (off < len) {
			n = len - off < chunk ? len - off : chunk;
			st = lmtp_reply_feed(r, p + off, n, &used);
			if (used > n)
				abort();
			off += used;
			if (st != LMTP_REPLY_MORE)
				break;
			if (used != n)
				abort();
		}
		s->state[s->n] = st;
		s->used[s->n] = off - start;
		s->code[s->n] = st == LMTP_REPLY_DONE ? r->code : 0;
		s->esc[s->n][0] = s->text[s->n][0] = '\0';
		if (st == LMTP_REPLY_DONE) {
			fuzz_check(r, p + off, off - start);
			memcpy(s->esc[s->n], r->esc, sizeof(r->esc));
			memcpy(s->text[s->n], r->text, sizeof(r->text));
		}
		s->n++;
		if (st != LMTP_REPLY_DONE)
			break;
	}
	free(r);
}

/* convert.c (as lmtp.c uses it), then the stuffing, then the checks. */
static void
fuzz_data(const uint8_t *p, size_t len, size_t chunk)
{
	struct convert c;
	struct lmtp_stuff st;
	uint8_t *conv, *out, *un;
	size_t cap = 2 * len + 16, clen = 0, olen = 0, ulen = 0, off, used;
	size_t i, n, room;

	if ((conv = malloc(cap)) == NULL || (out = malloc(2 * cap)) == NULL ||
	    (un = malloc(2 * cap)) == NULL)
		abort();
	convert_init(&c, CONVERT_STRIP);
	for (off = 0; !c.done; off += used) {
		n = len - off < chunk ? len - off : chunk;
		clen += convert_run(&c, p + off, n, &used, conv + clen,
		    cap - clen, off + n == len);
	}
	lmtp_stuff_init(&st);
	for (off = 0; off < clen; off += used) {
		room = chunk + 1 < 2 * cap - olen ? chunk + 1 : 2 * cap - olen;
		olen += lmtp_stuff_run(&st, conv + off, clen - off, &used,
		    out + olen, room);
		if (used == 0)
			abort();
	}
	/* CRLF only; a line starting with "." has a second one. */
	for (i = 0; i < olen; i++) {
		if (out[i] == '\r' && (i + 1 == olen || out[i + 1] != '\n'))
			abort();
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			abort();
		if (out[i] == '.' && (i == 0 || out[i - 1] == '\n')) {
			if (i + 1 == olen || out[i + 1] != '.')
				abort();
			i++;		/* the stuffed dot */
		}
	}
	/* Unstuffed and with CRLF as LF, it is the converted message. */
	for (i = 0; i < olen; i++) {
		if (out[i] == '.' && (i == 0 || out[i - 1] == '\n'))
			i++;
		if (out[i] == '\r')
			continue;
		un[ulen++] = out[i];
	}
	for (i = 0; i < clen; i++)
		if (conv[i] == '\r')
			conv[i] = '\n';
	if (ulen != clen || memcmp(un, conv, clen) != 0)
		abort();
	free(conv);
	free(out);
	free(un);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_seen *a, *b;
	size_t chunk;
	int i;

	if (size < 1)
		return 0;
	chunk = 1 + (data[0] & 0x1f);
	data++;
	size--;

	if ((a = malloc(sizeof(*a))) == NULL || (b = malloc(sizeof(*b))) ==
	    NULL)
		abort();
	fuzz_replies(data, size, size + 1, a);
	fuzz_replies(data, size, chunk, b);
	if (a->n != b->n)
		abort();
	for (i = 0; i < a->n; i++)
		if (a->state[i] != b->state[i] || a->used[i] != b->used[i] ||
		    a->code[i] != b->code[i] ||
		    strcmp(a->esc[i], b->esc[i]) != 0 ||
		    strcmp(a->text[i], b->text[i]) != 0)
			abort();
	free(a);
	free(b);

	fuzz_data(data, size, chunk);
	return 0;
}

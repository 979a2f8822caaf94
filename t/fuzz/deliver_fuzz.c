/*
 * deliver_fuzz.c: libFuzzer harness for the message filters of deliver
 * (deliver/convert.c, deliver/headers.c), which see every byte of every
 * locally delivered message. The first input octet picks the CONVERT_*
 * flags and the chunk sizes; the rest is the message. Invariants: the
 * output does not depend on chunking; a non-empty output ends with LF; an
 * mboxrd output has no line starting "From " (no forged separator) and
 * unquotes to exactly the unquoted conversion; the Delivered-To scanner
 * gives the same verdict fed whole or byte by byte. A broken invariant
 * calls abort(). Built with replay.c, `make check` replays
 * t/fuzz/corpus/deliver_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	*fuzz_convert(int, const uint8_t *, size_t, size_t, size_t,
		    size_t *);
static size_t	fuzz_unquote(uint8_t *, size_t);
static int	fuzz_loop(const uint8_t *, size_t, size_t);

/* The whole conversion with the given chunk sizes; malloc'ed result. */
static uint8_t *
fuzz_convert(int flags, const uint8_t *in, size_t len, size_t inchunk,
    size_t outchunk, size_t *outlen)
{
	struct convert c;
	uint8_t *out;
	size_t cap = 2 * len + 16, off = 0, o = 0, n, used, room;

	if ((out = malloc(cap)) == NULL)
		abort();
	convert_init(&c, flags);
	while (!c.done) {
		n = len - off < inchunk ? len - off : inchunk;
		room = cap - o < outchunk ? cap - o : outchunk;
		if (room == 0)
			abort();		/* output grew past 2x + 16 */
		o += convert_run(&c, in + off, n, &used, out + o, room,
		    off + n == len);
		if (used > n)
			abort();
		off += used;
	}
	if (off != len)
		abort();
	*outlen = o;
	return out;
}

/* mboxrd reading: one '>' less on every ^>+From  line, in place. */
static size_t
fuzz_unquote(uint8_t *p, size_t len)
{
	size_t i = 0, o = 0, k;

	while (i < len) {
		for (k = i; k < len && p[k] == '>'; k++)
			;
		if (k > i && len - k >= 5 && memcmp(p + k, "From ", 5) == 0)
			i++;			/* drop one '>' */
		while (i < len) {
			p[o++] = p[i];
			if (p[i++] == '\n')
				break;
		}
	}
	return o;
}

static int
fuzz_loop(const uint8_t *p, size_t len, size_t chunk)
{
	struct headers_loop h;
	size_t off, n;

	headers_loop_init(&h, "alice@example.org");
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (headers_loop_feed(&h, p + off, n))
			break;
	}
	return headers_loop_end(&h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a, *b, *plain;
	size_t alen, blen, plen, i, inchunk, outchunk;
	int flags;

	if (size < 1)
		return 0;
	flags = data[0] & (CONVERT_QUOTE | CONVERT_STRIP);
	inchunk = 1 + ((data[0] >> 2) & 7);
	outchunk = 1 + ((data[0] >> 5) & 7);
	data++;
	size--;

	a = fuzz_convert(flags, data, size, size + 1, 2 * size + 16, &alen);
	b = fuzz_convert(flags, data, size, inchunk, outchunk, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	if (alen > 0 && a[alen - 1] != '\n')
		abort();
	if (flags & CONVERT_QUOTE) {
		if (alen >= 5 && memcmp(a, "From ", 5) == 0)
			abort();
		for (i = 0; i + 6 <= alen; i++)
			if (a[i] == '\n' && memcmp(a + i + 1, "From ", 5) == 0)
				abort();
		plain = fuzz_convert(flags & ~CONVERT_QUOTE, data, size, 7, 5,
		    &plen);
		blen = fuzz_unquote(b, blen);
		if (blen != plen || memcmp(b, plain, plen) != 0)
			abort();
		free(plain);
	}
	free(a);
	free(b);

	if (fuzz_loop(data, size, size + 1) != fuzz_loop(data, size, 1) ||
	    fuzz_loop(data, size, size + 1) != fuzz_loop(data, size, inchunk))
		abort();
	return 0;
}

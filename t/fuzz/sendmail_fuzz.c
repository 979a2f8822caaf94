/*
 * sendmail_fuzz.c: libFuzzer harness for the message handling of
 * sendmail (ctl/sendmail_msg.c, ctl/sendmail_addr.c). The first input
 * octet picks -i or not and the chunk size; the rest is standard input.
 *
 * Invariants: the reader gives the same bytes fed whole or in chunks;
 * its output has only CRLF line ends (a CR alone may stay inside a line)
 * and, without -i, no line that is a lone "."; the header fields are
 * contiguous from the start and inside the message; every address of -t
 * that qualifies has no control character (it cannot end an SMTP
 * command) and lib/addr reads it back as itself; the built message has
 * From:, Date: and Message-Id:, no Bcc: or Resent-Bcc:, and every other
 * field of the original; dot-stuffing ends with "." CRLF, has no earlier
 * lone ".", and unstuffs to the message. A broken invariant calls
 * abort(). Built with replay.c, `make check` replays
 * t/fuzz/corpus/sendmail_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/sendmail_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_read(const uint8_t *, size_t, int, size_t, struct buf *,
		    int *);
static void	fuzz_lines(const struct buf *, int);
static void	fuzz_header(const uint8_t *, size_t, const struct sm_header *);
static void	fuzz_rcpts(const uint8_t *, const struct sm_header *);
static void	fuzz_build(const uint8_t *, size_t, const struct sm_header *);
static void	fuzz_stuff(const struct buf *);

static void
fuzz_read(const uint8_t *p, size_t len, int dot_ends, size_t chunk,
    struct buf *out, int *ended)
{
	struct sm_reader r;
	size_t off, n;

	sm_reader_init(&r, out, dot_ends);
	*ended = 0;
	for (off = 0; off < len && !*ended; off += n) {
		n = len - off < chunk ? len - off : chunk;
		*ended = sm_reader_feed(&r, p + off, n);
	}
	sm_reader_end(&r);
}

static void
fuzz_lines(const struct buf *b, int dot_ends)
{
	const uint8_t *m = buf_head(b);
	size_t len = buf_avail(b), i, start = 0;

	if (len > 0 && (len < 2 || m[len - 2] != '\r' || m[len - 1] != '\n'))
		abort();
	for (i = 0; i < len; i++) {
		if (m[i] != '\n')
			continue;
		if (i == 0 || m[i - 1] != '\r')
			abort();
		if (dot_ends && i - start == 2 && m[start] == '.')
			abort();
		start = i + 1;
	}
}

static void
fuzz_header(const uint8_t *m, size_t len, const struct sm_header *h)
{
	size_t i, off = 0;

	for (i = 0; i < h->nfields; i++) {
		if (h->fields[i].off != off || h->fields[i].len == 0 ||
		    h->fields[i].namelen == 0 ||
		    h->fields[i].voff + h->fields[i].vlen > off +
		    h->fields[i].len ||
		    memchr(m + off, ':', h->fields[i].namelen) != NULL)
			abort();
		off += h->fields[i].len;
	}
	if (h->end != off || h->end > len)
		abort();
	if (h->blank && (h->end + 2 > len || m[h->end] != '\r' ||
	    m[h->end + 1] != '\n'))
		abort();
}

static void
fuzz_rcpts(const uint8_t *m, const struct sm_header *h)
{
	struct sm_list l;
	struct mailaddr ma;
	char out[ADDR_MAILBOX_SIZE], again[ADDR_MAILBOX_SIZE];
	size_t i, j;

	memset(&l, 0, sizeof(l));
	if (sm_header_rcpts(m, h, &l) == 0)
		for (i = 0; i < l.n; i++) {
			if (l.v[i][0] == '\0')
				abort();
			if (sm_addr_qualify(l.v[i], "mx.example", 0, out,
			    sizeof(out)) != 0)
				continue;
			for (j = 0; out[j] != '\0'; j++)
				if ((unsigned char)out[j] < ' ' ||
				    out[j] == 0x7f)
					abort();
			/* lib/addr reads it back as itself */
			if (addr_parse_mailbox(out, strlen(out), ADDR_OPT_UTF8,
			    &ma) != ADDR_OK || addr_format(&ma, again,
			    sizeof(again)) == -1 || strcmp(out, again) != 0)
				abort();
		}
	sm_list_free(&l);
}

static void
fuzz_build(const uint8_t *m, size_t len, const struct sm_header *h)
{
	struct sm_add add = { "\"F\" <f@mx.example>", "Thu, 1 Jan 1970 "
	    "00:00:00 +0000", "<id@mx.example>" };
	struct sm_header h2;
	struct buf out;
	size_t i, kept = 0, added = 0;

	buf_init(&out);
	sm_message_build(m, len, h, &add, &out);
	for (i = 0; i < h->nfields; i++)
		if (!sm_field_is(m, &h->fields[i], "Bcc") &&
		    !sm_field_is(m, &h->fields[i], "Resent-Bcc"))
			kept++;
	added += !sm_header_has(m, h, "From") + !sm_header_has(m, h, "Date") +
	    !sm_header_has(m, h, "Message-Id");
	sm_header_parse(buf_head(&out), buf_avail(&out), &h2);
	if (h2.nfields != kept + added ||
	    !sm_header_has(buf_head(&out), &h2, "From") ||
	    !sm_header_has(buf_head(&out), &h2, "Date") ||
	    !sm_header_has(buf_head(&out), &h2, "Message-Id") ||
	    sm_header_has(buf_head(&out), &h2, "Bcc") ||
	    sm_header_has(buf_head(&out), &h2, "Resent-Bcc"))
		abort();
	sm_header_free(&h2);
	fuzz_stuff(&out);
	buf_free(&out);
}

static void
fuzz_stuff(const struct buf *msg)
{
	struct buf st, un;
	const uint8_t *s, *m = buf_head(msg);
	size_t len, i, mlen = buf_avail(msg);

	buf_init(&st);
	buf_init(&un);
	sm_dot_stuff(m, mlen, &st);
	s = buf_head(&st);
	len = buf_avail(&st);
	if (len < 3 || memcmp(s + len - 3, ".\r\n", 3) != 0 ||
	    (len > 3 && (s[len - 5] != '\r' || s[len - 4] != '\n')))
		abort();
	len -= 3;
	for (i = 0; i < len; i++) {
		if (s[i] == '.' && (i == 0 || (i >= 2 && s[i - 1] == '\n' &&
		    s[i - 2] == '\r'))) {
			if (i + 1 >= len || s[i + 1] != '.')
				abort();	/* an unstuffed dot at a start */
			i++;
		}
		buf_add(&un, s + i, 1);
	}
	/* The message, with a final CRLF added if it lacked one. */
	if (buf_avail(&un) < mlen || (mlen > 0 && memcmp(buf_head(&un), m,
	    mlen) != 0))
		abort();
	buf_free(&st);
	buf_free(&un);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, chunked;
	struct sm_header h;
	size_t chunk;
	int dot_ends, e1, e2;

	if (size < 1)
		return 0;
	dot_ends = data[0] & 1;
	chunk = 1 + ((data[0] >> 1) & 0x3f);
	data++;
	size--;

	buf_init(&whole);
	buf_init(&chunked);
	fuzz_read(data, size, dot_ends, size + 1, &whole, &e1);
	fuzz_read(data, size, dot_ends, chunk, &chunked, &e2);
	if (e1 != e2 || buf_avail(&whole) != buf_avail(&chunked) ||
	    (buf_avail(&whole) > 0 && memcmp(buf_head(&whole),
	    buf_head(&chunked), buf_avail(&whole)) != 0))
		abort();
	fuzz_lines(&whole, dot_ends);
	sm_header_parse(buf_head(&whole), buf_avail(&whole), &h);
	fuzz_header(buf_head(&whole), buf_avail(&whole), &h);
	fuzz_rcpts(buf_head(&whole), &h);
	fuzz_build(buf_head(&whole), buf_avail(&whole), &h);
	sm_header_free(&h);
	buf_free(&whole);
	buf_free(&chunked);
	return 0;
}

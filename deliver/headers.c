/*
 * headers.c: the trace fields deliver prepends to every local delivery
 * (delivery.md §1.2: Return-Path, X-Original-To, Delivered-To, in that
 * order) and the Delivered-To loop check of §4, a scanner fed with the
 * raw message (CRLF or LF) up to the empty line that ends the header
 * section. Called by main.c (trace fields) and msgsrc.c (loop check).
 * Pure: no I/O, bounded memory whatever the header size; it never
 * modifies the message.
 */
#include <string.h>
#include <strings.h>

#include "deliver/deliver.h"

#define HEADERS_DT	"Delivered-To"
#define HEADERS_DT_LEN	12

enum {
	HS_BOL,		/* at the start of a line */
	HS_LINE,	/* inside a line */
};

static void	headers_field_end(struct headers_loop *);

/*
 * Appends the three fields of §1.2 with LF endings. sender "" is the null
 * sender (Return-Path: <>). Addresses come from the one address parser
 * (addr_format), so they carry no CR, LF or control characters.
 */
void
headers_trace(struct buf *b, const char *sender, const char *orig,
    const char *final)
{
	buf_printf(b, "Return-Path: <%s>\n", sender);
	buf_printf(b, "X-Original-To: %s\n", orig);
	buf_printf(b, "Delivered-To: %s\n", final);
}

/*
 * 1 if the field value v[0..len) (unfolded) is addr: blanks trimmed,
 * optional angle brackets removed, compared without case (§4).
 */
int
headers_value_is(const char *v, size_t len, const char *addr)
{
	size_t alen = strlen(addr);

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= 2 && v[0] == '<' && v[len - 1] == '>') {
		v++;
		len -= 2;
	}
	return len == alen && strncasecmp(v, addr, len) == 0;
}

void
headers_loop_init(struct headers_loop *h, const char *addr)
{
	memset(h, 0, sizeof(*h));
	h->addr = addr;
	h->state = HS_BOL;
}

/* A whole (unfolded) field has been collected: is it our Delivered-To? */
static void
headers_field_end(struct headers_loop *h)
{
	size_t i = HEADERS_DT_LEN;

	if (!h->overflow && h->len > HEADERS_DT_LEN &&
	    strncasecmp(h->field, HEADERS_DT, HEADERS_DT_LEN) == 0) {
		while (i < h->len &&
		    (h->field[i] == ' ' || h->field[i] == '\t'))
			i++;
		if (i < h->len && h->field[i] == ':' &&
		    headers_value_is(h->field + i + 1, h->len - i - 1, h->addr))
			h->found = 1;
	}
	h->len = 0;
	h->overflow = 0;
}

/*
 * Feeds the next raw bytes of the message. Returns 1 once the header
 * section is over (the rest need not be fed), else 0. CR bytes are
 * ignored: they only matter as part of a line end. A continuation line
 * (starting with a blank) is unfolded into the current field; a field
 * longer than HEADERS_FIELD_MAX cannot be an address and is skipped.
 */
int
headers_loop_feed(struct headers_loop *h, const uint8_t *p, size_t len)
{
	size_t i;
	uint8_t b;

	for (i = 0; i < len && !h->done; i++) {
		b = p[i];
		if (b == '\r')
			continue;
		if (h->state == HS_BOL) {
			if (b == '\n') {
				headers_field_end(h);
				h->done = 1;
				break;
			}
			if (b != ' ' && b != '\t')
				headers_field_end(h);
			h->state = HS_LINE;
		}
		if (b == '\n') {
			h->state = HS_BOL;
			continue;
		}
		if (h->len < sizeof(h->field))
			h->field[h->len++] = (char)b;
		else
			h->overflow = 1;
	}
	return h->done;
}

/* The end of the message: returns 1 if a looping Delivered-To was seen. */
int
headers_loop_end(struct headers_loop *h)
{
	if (!h->done) {
		headers_field_end(h);
		h->done = 1;
	}
	return h->found;
}

/*
 * relay_body.c: the content encoder of the relay client (relay_body.h).
 * A bare LF, a bare CR and CRLF all become CRLF (a CR at the end of a
 * chunk waits for the next byte to know which it is); a '.' at the start
 * of a line is doubled, so the content can never hold an end of data;
 * relay_body_end() closes the last line before the final ".".
 * Called by deliver/relay_data.c; must never do I/O or allocate.
 */
#include "deliver/relay_body.h"

void
relay_body_init(struct relay_body *b)
{
	b->linestart = 1;
	b->cr = 0;
}

size_t
relay_body_run(struct relay_body *b, const uint8_t *in, size_t len,
    size_t *used, uint8_t *out, size_t room)
{
	size_t i = 0, n = 0;
	uint8_t c;

	while (i < len && room - n >= RELAY_BODY_STEP_MAX) {
		c = in[i];
		if (b->cr) {
			/* CRLF, or a bare CR: a line end either way. */
			out[n++] = '\r';
			out[n++] = '\n';
			b->cr = 0;
			b->linestart = 1;
			if (c == '\n')
				i++;
			continue;
		}
		i++;
		if (c == '\r') {
			b->cr = 1;
		} else if (c == '\n') {
			out[n++] = '\r';
			out[n++] = '\n';
			b->linestart = 1;
		} else {
			if (b->linestart && c == '.')
				out[n++] = '.';
			out[n++] = c;
			b->linestart = 0;
		}
	}
	*used = i;
	return n;
}

size_t
relay_body_end(struct relay_body *b, uint8_t *out, size_t room)
{
	size_t n = 0;

	if (room < RELAY_BODY_END_MAX)
		return 0;
	if (b->cr || !b->linestart) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	out[n++] = '.';
	out[n++] = '\r';
	out[n++] = '\n';
	b->cr = 0;
	b->linestart = 1;
	return n;
}

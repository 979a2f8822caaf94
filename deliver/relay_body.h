/*
 * relay_body.h: the content encoder of the relay's SMTP/LMTP client
 * (protocol.md A.11, output side): whatever the queue file holds, the
 * wire gets CRLF line ends only, every line starting with '.' doubled,
 * and the content closed by CRLF "." CRLF. Resumable across chunks of
 * any size; pure (no I/O, no allocation). Used by deliver/relay_data.c
 * and t/unit/relay_body_test.c.
 */
#ifndef DELIVER_RELAY_BODY_H
#define DELIVER_RELAY_BODY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_BODY_STEP_MAX	2	/* output bytes per input byte */
#define RELAY_BODY_END_MAX	5	/* CRLF "." CRLF */

struct relay_body {
	int	 linestart;	/* the next byte starts a line */
	int	 cr;		/* a CR was read, its line end not written */
};

void	relay_body_init(struct relay_body *);
/*
 * Encodes in[0..len) into out[0..room): returns the bytes written and
 * sets *used to the bytes consumed, which is all of in when room is at
 * least RELAY_BODY_STEP_MAX * len.
 */
size_t	relay_body_run(struct relay_body *, const uint8_t *, size_t, size_t *,
	    uint8_t *, size_t);
/*
 * The end: a CRLF if the content did not end with one, then ".\r\n".
 * room must be at least RELAY_BODY_END_MAX; returns the bytes written.
 */
size_t	relay_body_end(struct relay_body *, uint8_t *, size_t);

#endif

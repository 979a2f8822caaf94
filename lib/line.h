/*
 * line.h: the one strict line reader. Finds the next line in a buffer and
 * says exactly how it ended (CRLF, bare LF) and whether a bare CR sits
 * inside it, so each caller applies its own policy (protocol.md A.11).
 * Never reads past the buffer, never allocates.
 */
#ifndef LIB_LINE_H
#define LIB_LINE_H

#include <stddef.h>

enum line_end {
	LINE_CRLF,
	LINE_LF,	/* bare LF */
};

struct line {
	const char	*data;		/* without the line ending */
	size_t		 len;
	size_t		 consumed;	/* bytes including the ending */
	enum line_end	 end;
	int		 bare_cr;	/* a CR not followed by LF inside */
	int		 nul;		/* a NUL byte inside */
};

enum line_result {
	LINE_OK,		/* a complete line */
	LINE_MORE,		/* no line ending yet, within the limit */
	LINE_TOOLONG,		/* no line ending within max bytes */
};

enum line_result line_next(const char *, size_t, size_t max, struct line *);

#endif

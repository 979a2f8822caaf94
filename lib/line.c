/*
 * line.c: see line.h. Used by the SMTP command reader and the AUTH
 * exchange; the DATA phase has its own byte-level parser (smtpd/data.c)
 * because there a bare CR is itself a line boundary.
 */
#include <string.h>

#include "lib/line.h"

enum line_result
line_next(const char *p, size_t len, size_t max, struct line *l)
{
	const char *lf;
	size_t n, i;

	memset(l, 0, sizeof(*l));
	n = len < max ? len : max;
	if ((lf = memchr(p, '\n', n)) == NULL)
		return len >= max ? LINE_TOOLONG : LINE_MORE;
	l->data = p;
	l->consumed = (size_t)(lf - p) + 1;
	l->len = (size_t)(lf - p);
	if (l->len > 0 && p[l->len - 1] == '\r') {
		l->end = LINE_CRLF;
		l->len--;
	} else
		l->end = LINE_LF;
	for (i = 0; i < l->len; i++) {
		if (p[i] == '\r')
			l->bare_cr = 1;
		else if (p[i] == '\0')
			l->nul = 1;
	}
	return LINE_OK;
}

/*
 * dsn_text.h: text helpers of the DSN writer (queue/dsn.c): untrusted
 * text (a remote reply, an ENVID, an ORCPT, a host name) made safe for
 * one line of a report, and addresses in RFC 6533 form. Internal to
 * queue/dsn*.c.
 *
 * Must never: allocate, write past dstlen, or let a CR, LF or other
 * control character through.
 */
#ifndef QUEUE_DSN_TEXT_H
#define QUEUE_DSN_TEXT_H

#include <stddef.h>

#define DSN_TEXT_SIZE		901	/* a cleaned diagnostic or address */

void		 dsn_text_clean(char *, size_t, const char *, int);
void		 dsn_text_token(char *, size_t, const char *, const char *);
const char	*dsn_text_addr(char *, size_t, const char *, int);

#endif

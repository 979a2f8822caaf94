/*
 * dsn_out.h: the buffered output writer of the DSN writer (queue/dsn.c):
 * CRLF lines of our own text, RFC 5322 dates and folded lines of cleaned
 * text, written to a descriptor. Internal to queue/dsn*.c.
 *
 * Must never: allocate, read a clock or keep state outside the struct.
 * The first failure is kept in the struct and later output is dropped.
 */
#ifndef QUEUE_DSN_OUT_H
#define QUEUE_DSN_OUT_H

#include <stddef.h>
#include <time.h>

#define DSN_OUT_SIZE		4096	/* output buffer */

struct dsn_out {
	int		 fd;
	int		 error;		/* errno of the first failure */
	const char	*what;		/* what failed */
	size_t		 len;
	char		 buf[DSN_OUT_SIZE];
};

void	 dsn_out_init(struct dsn_out *, int);
void	 dsn_out_fail(struct dsn_out *, const char *, int);
void	 dsn_out_flush(struct dsn_out *);
void	 dsn_out_add(struct dsn_out *, const char *, size_t);
void	 dsn_out_str(struct dsn_out *, const char *);
void	 dsn_out_line(struct dsn_out *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 dsn_out_date(struct dsn_out *, const char *, time_t);
void	 dsn_out_fold(struct dsn_out *, const char *, const char *,
	    const char *);

#endif

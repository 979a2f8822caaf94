/*
 * data.h: the DATA-phase parser. Feeds raw client bytes, finds the one
 * true end of data (CRLF . CRLF), removes dot-stuffing, stores every line
 * with a CRLF ending, and records what was wrong (bare LF, bare CR, long
 * lines, size, headers, hop count) so the session answers after the end.
 * On submission it also adds `Date:` and `Message-Id:` when the header
 * section has none (data_add_fields): at the end of the header section,
 * existing fields untouched, a blank line inserted if the section ended
 * without one. Pure: no I/O, no allocation beyond the output buffer.
 */
#ifndef SMTPD_DATA_H
#define SMTPD_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "smtpd/config.h"

#define DATA_LINE_MAX		65536	/* text line, octets incl. CRLF */
#define DATA_HEADER_LINE_MAX	8192	/* one physical header line */
#define DATA_HEADERS_MAX	1000	/* header fields */
#define DATA_HOPS_MAX		100	/* Received: fields */

struct data_parser {
	enum bare_newline	 mode;
	uint64_t		 max_size;	/* 0: no limit */
	struct buf		*out;		/* stored bytes are appended */
	const char		*add_date;	/* Date: value if missing */
	const char		*add_msgid;	/* Message-Id: value if missing */

	/* state */
	int			 prev_crlf;	/* last line ended in CRLF */
	int			 in_long_line;
	int			 in_headers;
	int			 seen_date;
	int			 seen_msgid;

	/* outcome */
	int			 done;		/* end of data was read */
	int			 bare_lf;
	int			 bare_cr;
	int			 too_long;	/* a line over DATA_LINE_MAX */
	int			 too_big;	/* size over max_size */
	int			 header_too_large;
	unsigned int		 nheaders;
	unsigned int		 nreceived;
	int			 eightbit;	/* a byte >= 0x80 was seen */
	uint64_t		 size;		/* octets after unstuffing */
};

void	data_init(struct data_parser *, enum bare_newline, uint64_t,
	    struct buf *);
/*
 * Submission: the values to add (NUL-terminated, no CR or LF; NULL for
 * none); they must outlive the parser. Call before the first data_feed.
 */
void	data_add_fields(struct data_parser *, const char *date,
	    const char *msgid);
size_t	data_feed(struct data_parser *, const char *, size_t);

#endif

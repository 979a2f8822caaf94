/*
 * data.c: the DATA-phase parser (see data.h). Called by the session for
 * every chunk read while in DATA; returns how many bytes it consumed, and
 * stops right after the end-of-data line so pipelined commands that
 * follow stay in the session's input buffer.
 *
 * A line ends at CRLF, at a bare LF, or at a bare CR (a CR not followed
 * by LF). Only "." between two CRLF endings ends the data; a "." line next
 * to any other ending is dropped, never stored, so no input can make one
 * DATA become two messages here or downstream (protocol.md A.11).
 *
 * The header section ends at the first empty line, at the first line
 * that is neither a field nor a continuation (then the body starts
 * without a blank line), or at the end of data. That is where missing
 * submission fields go (data_add_fields): the content is streamed to the
 * message file as it arrives, so they cannot be placed above fields that
 * may already be written; RFC 5322 gives no order to these fields, and
 * `sendmail` (ctl/sendmail_msg.c) places them the same way.
 */
#include <string.h>
#include <strings.h>

#include "smtpd/data.h"

enum data_end {
	DATA_END_CRLF,
	DATA_END_LF,
	DATA_END_CR,
};

static void	data_line(struct data_parser *, const char *, size_t,
		    enum data_end);
static void	data_header(struct data_parser *, const char *, size_t);
static void	data_store(struct data_parser *, const char *, size_t);
static void	data_headers_end(struct data_parser *, int);
static int	data_field_is(const char *, size_t, const char *);

void
data_init(struct data_parser *dp, enum bare_newline mode, uint64_t max_size,
    struct buf *out)
{
	memset(dp, 0, sizeof(*dp));
	dp->mode = mode;
	dp->max_size = max_size;
	dp->out = out;
	dp->prev_crlf = 1;	/* the DATA command's own line */
	dp->in_headers = 1;
}

void
data_add_fields(struct data_parser *dp, const char *date, const char *msgid)
{
	dp->add_date = date;
	dp->add_msgid = msgid;
}

/* The field name of a header line is name (any case, blanks before ':'). */
static int
data_field_is(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(p, name, n) != 0)
		return 0;
	while (n < len && (p[n] == ' ' || p[n] == '\t'))
		n++;
	return n < len && p[n] == ':';
}

/*
 * The header section ends: the missing submission fields, and a blank
 * line when the body starts without one (blank: 0).
 */
static void
data_headers_end(struct data_parser *dp, int blank)
{
	int added = 0;

	dp->in_headers = 0;
	if (dp->add_date != NULL && !dp->seen_date) {
		buf_printf(dp->out, "Date: %s\r\n", dp->add_date);
		added = 1;
	}
	if (dp->add_msgid != NULL && !dp->seen_msgid) {
		buf_printf(dp->out, "Message-Id: %s\r\n", dp->add_msgid);
		added = 1;
	}
	if (added && !blank)
		buf_add(dp->out, "\r\n", 2);
}

static void
data_store(struct data_parser *dp, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && !dp->eightbit; i++)
		if ((unsigned char)p[i] >= 0x80)
			dp->eightbit = 1;
	dp->size += len + 2;
	if (dp->max_size && dp->size > dp->max_size)
		dp->too_big = 1;
	/* Once the transaction is doomed, stop filling the disk. */
	if (dp->too_big || dp->too_long || dp->header_too_large ||
	    (dp->mode == BARE_NEWLINE_REJECT && (dp->bare_lf || dp->bare_cr)))
		return;
	buf_add(dp->out, p, len);
	buf_add(dp->out, "\r\n", 2);
}

static void
data_header(struct data_parser *dp, const char *p, size_t len)
{
	if (len == 0) {
		data_headers_end(dp, 1);
		return;
	}
	if (len > DATA_HEADER_LINE_MAX)
		dp->header_too_large = 1;
	if (p[0] == ' ' || p[0] == '\t')
		return;		/* continuation of the previous field */
	if (memchr(p, ':', len) == NULL) {
		/* Not a header field: the body starts without a blank line. */
		data_headers_end(dp, 0);
		return;
	}
	if (++dp->nheaders > DATA_HEADERS_MAX)
		dp->header_too_large = 1;
	if (len >= 9 && strncasecmp(p, "Received:", 9) == 0)
		dp->nreceived++;
	else if (data_field_is(p, len, "Date"))
		dp->seen_date = 1;
	else if (data_field_is(p, len, "Message-ID"))
		dp->seen_msgid = 1;
}

static void
data_line(struct data_parser *dp, const char *p, size_t len, enum data_end end)
{
	int clean_before = dp->prev_crlf;

	if (end == DATA_END_LF)
		dp->bare_lf = 1;
	else if (end == DATA_END_CR)
		dp->bare_cr = 1;
	dp->prev_crlf = end == DATA_END_CRLF;

	if (len == 1 && p[0] == '.') {
		if (end == DATA_END_CRLF && clean_before) {
			dp->done = 1;
			if (dp->in_headers)	/* no body: fields last */
				data_headers_end(dp, 1);
		}
		/* otherwise a smuggling attempt or noise: dropped */
		return;
	}
	if (len > 0 && p[0] == '.') {
		p++;
		len--;
	}
	if (dp->in_headers)
		data_header(dp, p, len);
	data_store(dp, p, len);
}

size_t
data_feed(struct data_parser *dp, const char *p, size_t len)
{
	const char *cr, *lf, *e;
	size_t off = 0, n, adv;
	enum data_end end;

	while (off < len && !dp->done) {
		n = len - off;
		cr = memchr(p + off, '\r', n);
		lf = memchr(p + off, '\n', cr ? (size_t)(cr - (p + off)) : n);
		e = lf ? lf : cr;
		if (e == NULL) {
			if (n < DATA_LINE_MAX && !dp->in_long_line)
				break;		/* wait for the rest */
			/* An endless line: count it, never buffer it. */
			if (!dp->in_long_line)
				dp->too_long = 1;
			dp->in_long_line = 1;
			dp->size += n;
			if (dp->max_size && dp->size > dp->max_size)
				dp->too_big = 1;
			off = len;
			break;
		}
		if (*e == '\n') {
			end = DATA_END_LF;
			adv = 1;
		} else if ((size_t)(e - p) + 1 == len) {
			break;		/* a CR last: is an LF coming? */
		} else if (e[1] == '\n') {
			end = DATA_END_CRLF;
			adv = 2;
		} else {
			end = DATA_END_CR;
			adv = 1;
		}
		n = (size_t)(e - (p + off));
		if (dp->in_long_line) {
			/* The tail of an over-long line: discarded. */
			dp->in_long_line = 0;
			dp->size += n + 2;
			dp->prev_crlf = end == DATA_END_CRLF;
			if (end == DATA_END_LF)
				dp->bare_lf = 1;
			else if (end == DATA_END_CR)
				dp->bare_cr = 1;
		} else if (n + 2 > DATA_LINE_MAX) {
			dp->too_long = 1;
			data_line(dp, p + off, 0, end);
			dp->size += n;
		} else
			data_line(dp, p + off, n, end);
		off += n + adv;
	}
	return off;
}

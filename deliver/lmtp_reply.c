/*
 * lmtp_reply.c: the reply parser of the LMTP client (lmtp.c): one RFC
 * 5321 §4.2 reply, single or multi-line ("250-..." lines, then "250 ..."
 * or a bare "250"), fed in chunks of any size. It keeps the code, the
 * RFC 3463 enhanced status code of the first line, the text of every
 * line joined by blanks and cut to OUTCOME_TEXT_SIZE, with anything but
 * printable ASCII replaced by '?', and the LHLO/EHLO keywords it knows
 * (lines after the first): the flags of lmtp.c and of the relay's SMTP
 * client (deliver/relay_sess*.c): STARTTLS, AUTH with PLAIN and LOGIN
 * (also the old "AUTH=" form), SIZE and its value, DSN,
 * ENHANCEDSTATUSCODES.
 *
 * Bounded: a line longer than LMTP_LINE_MAX (CRLF included) or more than
 * LMTP_LINES_MAX lines is an error, as is a code outside 200-559 or a
 * code that changes between lines. It consumes input only up to the end
 * of the reply, so pipelined replies that follow stay with the caller.
 * Pure: no I/O, no allocation; a bad reply is a result, never an abort.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "deliver/deliver.h"
#include "lib/esc.h"

struct lmtp_keyword {
	const char	*name;
	int		 flag;
};

static const struct lmtp_keyword lmtp_keywords[] = {
	{ "PIPELINING",	LMTP_EXT_PIPELINING },
	{ "8BITMIME",	LMTP_EXT_8BITMIME },
	{ "SMTPUTF8",	LMTP_EXT_SMTPUTF8 },
	{ "STARTTLS",	LMTP_EXT_STARTTLS },
	{ "SIZE",	LMTP_EXT_SIZE },
	{ "DSN",	LMTP_EXT_DSN },
	{ "ENHANCEDSTATUSCODES", LMTP_EXT_ENHANCED },
	{ "AUTH",	0 },		/* flags from its mechanisms */
};

static const struct lmtp_keyword lmtp_mechs[] = {
	{ "PLAIN",	LMTP_EXT_AUTH_PLAIN },
	{ "LOGIN",	LMTP_EXT_AUTH_LOGIN },
};

#define LMTP_NKEYWORDS	(sizeof(lmtp_keywords) / sizeof(lmtp_keywords[0]))
#define LMTP_NMECHS	(sizeof(lmtp_mechs) / sizeof(lmtp_mechs[0]))

static enum lmtp_reply_state lmtp_reply_error(struct lmtp_reply *,
		    const char *);
static enum lmtp_reply_state lmtp_reply_line(struct lmtp_reply *);
static size_t	lmtp_reply_esc(const struct lmtp_reply *, const uint8_t *,
		    size_t);
static void	lmtp_reply_keyword(struct lmtp_reply *, const uint8_t *,
		    size_t);
static int	lmtp_reply_word(const uint8_t *, size_t, const char *);
static void	lmtp_reply_size(struct lmtp_reply *, const uint8_t *, size_t);
static void	lmtp_reply_auth(struct lmtp_reply *, const uint8_t *, size_t);
static void	lmtp_reply_text(struct lmtp_reply *, const uint8_t *, size_t);

void
lmtp_reply_init(struct lmtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->ext = 0;
	r->size = 0;
	r->esc[0] = '\0';
	r->text[0] = '\0';
	r->textlen = 0;
	r->error = NULL;
	r->linelen = 0;
}

static enum lmtp_reply_state
lmtp_reply_error(struct lmtp_reply *r, const char *why)
{
	r->error = why;
	return LMTP_REPLY_ERROR;
}

/*
 * Length of a valid enhanced status code at the start of text[0..len),
 * followed by a blank or the end, of the reply's class; 0 if none.
 */
static size_t
lmtp_reply_esc(const struct lmtp_reply *r, const uint8_t *text, size_t len)
{
	size_t n;

	n = esc_len((const char *)text, len);
	if (n == 0 || (n < len && text[n] != ' ') ||
	    text[0] != (uint8_t)('0' + r->code / 100))
		return 0;
	return n;
}

/* text[0..len) is the word name, in any case. */
static int
lmtp_reply_word(const uint8_t *text, size_t len, const char *name)
{
	return strlen(name) == len &&
	    strncasecmp((const char *)text, name, len) == 0;
}

/* SIZE's value: digits only, saturating; anything else is no limit. */
static void
lmtp_reply_size(struct lmtp_reply *r, const uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && p[i] != ' '; i++) {
		if (!isdigit(p[i])) {
			r->size = 0;
			return;
		}
		if (i < LMTP_SIZE_DIGITS)
			v = v * 10 + (uint64_t)(p[i] - '0');
		else
			v = UINT64_MAX;
	}
	r->size = v;
}

/* AUTH's mechanisms, blank separated: the ones we can use. */
static void
lmtp_reply_auth(struct lmtp_reply *r, const uint8_t *p, size_t len)
{
	size_t i, start, k;

	for (i = 0; i < len; i++) {
		if (p[i] == ' ')
			continue;
		for (start = i; i < len && p[i] != ' '; i++)
			;
		for (k = 0; k < LMTP_NMECHS; k++)
			if (lmtp_reply_word(p + start, i - start,
			    lmtp_mechs[k].name))
				r->ext |= lmtp_mechs[k].flag;
	}
}

/*
 * An LHLO/EHLO line: its first word, when it is a keyword we use, and
 * the parameters of SIZE and AUTH. "AUTH=" is the pre-RFC 4954 form.
 */
static void
lmtp_reply_keyword(struct lmtp_reply *r, const uint8_t *text, size_t len)
{
	size_t i, n, plen;
	const uint8_t *params;

	for (n = 0; n < len && text[n] != ' ' && text[n] != '='; n++)
		;
	params = text + n;
	plen = len - n;
	if (plen > 0) {
		params++;
		plen--;
	}
	if (n < len && text[n] == '=') {
		if (lmtp_reply_word(text, n, "AUTH"))
			lmtp_reply_auth(r, params, plen);
		return;
	}
	for (i = 0; i < LMTP_NKEYWORDS; i++) {
		if (!lmtp_reply_word(text, n, lmtp_keywords[i].name))
			continue;
		r->ext |= lmtp_keywords[i].flag;
		if (lmtp_keywords[i].flag == LMTP_EXT_SIZE)
			lmtp_reply_size(r, params, plen);
		else if (lmtp_keywords[i].flag == 0)
			lmtp_reply_auth(r, params, plen);
	}
}

/* Appends one line's text, printable, cut when the buffer is full. */
static void
lmtp_reply_text(struct lmtp_reply *r, const uint8_t *text, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	if (r->textlen > 0 && r->textlen < sizeof(r->text) - 1)
		r->text[r->textlen++] = ' ';
	for (i = 0; i < len && r->textlen < sizeof(r->text) - 1; i++)
		r->text[r->textlen++] = text[i] >= 0x20 && text[i] < 0x7f ?
		    (char)text[i] : '?';
	r->text[r->textlen] = '\0';
}

/* One complete line in r->line (its LF already dropped). */
static enum lmtp_reply_state
lmtp_reply_line(struct lmtp_reply *r)
{
	const uint8_t *s = r->line, *text;
	size_t n = r->linelen, tlen, e;
	int code, last;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' ||
	    !isdigit(s[2]) || (n > 3 && s[3] != ' ' && s[3] != '-'))
		return lmtp_reply_error(r, "malformed reply code");
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return lmtp_reply_error(r, "reply code changed within a "
		    "multi-line reply");
	r->code = code;
	last = n == 3 || s[3] == ' ';
	text = n > 3 ? s + 4 : s + 3;
	tlen = n > 3 ? n - 4 : 0;

	if ((e = lmtp_reply_esc(r, text, tlen)) > 0) {
		if (r->nlines == 0) {
			memcpy(r->esc, text, e);
			r->esc[e] = '\0';
		}
		text += e;
		tlen -= e;
	}
	while (tlen > 0 && text[0] == ' ') {
		text++;
		tlen--;
	}
	if (r->nlines > 0)
		lmtp_reply_keyword(r, text, tlen);
	lmtp_reply_text(r, text, tlen);
	r->nlines++;
	if (last)
		return LMTP_REPLY_DONE;
	if (r->nlines >= LMTP_LINES_MAX)
		return lmtp_reply_error(r, "too many lines in a reply");
	return LMTP_REPLY_MORE;
}

/*
 * Feeds p[0..len); *used is set to the bytes consumed, which stop right
 * after the LF that ends the reply. Call lmtp_reply_init() before each
 * reply. A bare LF ends a line like CRLF (lenient reading).
 */
enum lmtp_reply_state
lmtp_reply_feed(struct lmtp_reply *r, const uint8_t *p, size_t len,
    size_t *used)
{
	enum lmtp_reply_state st;
	size_t i;

	*used = 0;
	if (r->error != NULL)
		return LMTP_REPLY_ERROR;
	for (i = 0; i < len; i++) {
		if (p[i] != '\n') {
			if (r->linelen >= LMTP_LINE_MAX - 1) {
				*used = i;
				return lmtp_reply_error(r, "reply line too "
				    "long");
			}
			r->line[r->linelen++] = p[i];
			continue;
		}
		*used = i + 1;
		st = lmtp_reply_line(r);
		r->linelen = 0;
		if (st != LMTP_REPLY_MORE)
			return st;
	}
	*used = len;
	return LMTP_REPLY_MORE;
}

/*
 * parse_token.c: token-level helpers of the smtpd.conf parser: advancing,
 * keyword tests, values (a quoted string or an unquoted non-keyword word),
 * numbers, sizes and delays (spec/config.md section 1). Used by every
 * parse_*.c file. Values that do not fit are errors, never truncated.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

#define PARSE_DELAY_MAX	INT_MAX		/* seconds, about 68 years */

/* OpenSMTPD's reserved words: unquoted, they are never values. */
static const char *const parse_keywords[] = {
	"action", "admd", "alias", "any", "auth", "auth-optional", "backup",
	"bounce", "bypass", "ca", "cert", "chain", "chroot", "ciphers",
	"commit", "compression", "connect", "data", "data-line", "dhe",
	"disconnect", "domain", "ehlo", "encryption", "expand-only", "fcrdns",
	"filter", "for", "forward-only", "from", "group", "helo", "helo-src",
	"host", "hostname", "hostnames", "include", "inet4", "inet6", "junk",
	"key", "limit", "listen", "lmtp", "local", "mail-from", "maildir",
	"mask-src", "masquerade", "match", "max-deferred", "max-message-size",
	"mbox", "mda", "mta", "mx", "no-dsn", "no-verify", "noop", "on",
	"phase", "pki", "port", "proc", "proc-exec", "proxy-v2", "queue",
	"quit", "rcpt-to", "rdns", "received-auth", "recipient", "regex",
	"reject", "relay", "report", "rewrite", "rset", "scheduler", "senders",
	"smtp", "smtp-in", "smtp-out", "smtps", "socket", "src", "srs",
	"sub-addr-delim", "table", "tag", "tagged", "tls", "tls-require", "ttl",
	"user", "userbase", "verify", "virtual", "warn-interval", "wrapper",
};

static int	parse_keyword_cmp(const void *, const void *);

static int
parse_keyword_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int
parse_is_keyword(const char *word)
{
	return bsearch(word, parse_keywords,
	    sizeof(parse_keywords) / sizeof(parse_keywords[0]),
	    sizeof(parse_keywords[0]), parse_keyword_cmp) != NULL;
}

void
parse_next(struct parse *p)
{
	if (p->tok.type == TOK_EOF)
		return;
	p->prev_file = p->tok.file;
	p->prev_line = p->tok.line;
	free(p->tok.text);
	p->tok.text = NULL;
	lex_next(p, &p->tok);
}

int
parse_accept(struct parse *p, enum tok_type type)
{
	if (p->tok.type != type)
		return 0;
	parse_next(p);
	return 1;
}

int
parse_is_kw(struct parse *p, const char *kw)
{
	return p->tok.type == TOK_WORD && strcmp(p->tok.text, kw) == 0;
}

int
parse_accept_kw(struct parse *p, const char *kw)
{
	if (!parse_is_kw(p, kw))
		return 0;
	parse_next(p);
	return 1;
}

/* A quoted string, or an unquoted word that is not a keyword. */
int
parse_is_value(struct parse *p)
{
	return p->tok.type == TOK_STRING ||
	    (p->tok.type == TOK_WORD && !parse_is_keyword(p->tok.text));
}

const char *
parse_tokdesc(const struct token *t, char *buf, size_t size)
{
	switch (t->type) {
	case TOK_EOF:
		return "end of file";
	case TOK_NEWLINE:
		return "end of line";
	case TOK_WORD:
	case TOK_STRING:
		if (strlen(t->text) > PARSE_DESC_MAX - 8)
			(void)snprintf(buf, size, "\"%.*s...\"",
			    PARSE_DESC_MAX - 8, t->text);
		else
			(void)snprintf(buf, size, "\"%s\"", t->text);
		return buf;
	case TOK_LBRACE:
		return "\"{\"";
	case TOK_RBRACE:
		return "\"}\"";
	case TOK_LT:
		return "\"<\"";
	case TOK_GT:
		return "\">\"";
	case TOK_COMMA:
		return "\",\"";
	case TOK_EQUAL:
		return "\"=\"";
	case TOK_ARROW:
		return "\"=>\"";
	case TOK_BANG:
		return "\"!\"";
	case TOK_ERROR:
		break;
	}
	return "an invalid token";
}

/* Report "expected WHAT, got X" at the current token; always -1. */
int
parse_expected(struct parse *p, const char *what)
{
	char desc[PARSE_DESC_MAX];

	if (p->tok.type == TOK_ERROR)
		return -1;	/* the lexer said why */
	if (p->tok.type == TOK_WORD && parse_is_keyword(p->tok.text))
		parse_err_tok(p, "expected %s, got keyword \"%s\"", what,
		    p->tok.text);
	else
		parse_err_tok(p, "expected %s, got %s", what,
		    parse_tokdesc(&p->tok, desc, sizeof(desc)));
	return -1;
}

/* Consume a value into a new string. */
int
parse_value(struct parse *p, const char *what, char **out)
{
	*out = NULL;
	if (!parse_is_value(p)) {
		if (p->tok.type == TOK_WORD) {
			parse_err_tok(p, "expected %s, got keyword \"%s\" "
			    "(quote it to use it as a value)", what,
			    p->tok.text);
			return -1;
		}
		return parse_expected(p, what);
	}
	*out = xstrdup(p->tok.text);
	parse_next(p);
	return 0;
}

/* Consume a value into buf; longer than size - 1 is an error. */
int
parse_value_buf(struct parse *p, const char *what, char *buf, size_t size)
{
	char *v;

	if (parse_value(p, what, &v) == -1)
		return -1;
	if (strlen(v) >= size) {
		/* "a tag" -> "tag too long" */
		if (strncmp(what, "a ", 2) == 0)
			what += 2;
		else if (strncmp(what, "an ", 3) == 0)
			what += 3;
		parse_err(p, "%s too long (max %zu characters)", what,
		    size - 1);
		free(v);
		return -1;
	}
	memcpy(buf, v, strlen(v) + 1);
	free(v);
	return 0;
}

int
parse_number(struct parse *p, const char *what, long long min,
    long long max, long long *out)
{
	const char *s;
	long long v = 0;
	size_t i;

	if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
		return parse_expected(p, what);
	s = p->tok.text;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			break;
		if (v > (LLONG_MAX - 9) / 10) {
			v = LLONG_MAX;
			continue;
		}
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || s[i] != '\0') {
		parse_err_tok(p, "invalid %s \"%.64s\"", what, s);
		return -1;
	}
	if (v < min || v > max) {
		parse_err_tok(p, "%s %.32s is out of range (%lld-%lld)", what,
		    s, min, max);
		return -1;
	}
	*out = v;
	parse_next(p);
	return 0;
}

/* SIZE: digits with an optional B K M G T suffix (powers of 1024). */
int
parse_size_str(const char *s, uint64_t *out)
{
	const char *suffixes = "bkmgt";
	const char *sfx;
	uint64_t v = 0, mult = 1;
	size_t i;
	int shift;

	for (i = 0; isdigit((unsigned char)s[i]); i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return -1;
	if (s[i] != '\0') {
		if (s[i + 1] != '\0' || (unsigned char)s[i] >= 0x80 ||
		    (sfx = strchr(suffixes,
		    tolower((unsigned char)s[i]))) == NULL)
			return -1;
		for (shift = 0; shift < sfx - suffixes; shift++)
			mult *= 1024;
	}
	if (v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* DELAY: a positive integer immediately followed by one of s m h d. */
int
parse_delay_str(const char *s, time_t *out)
{
	long long v = 0, mult;
	size_t i;

	for (i = 0; isdigit((unsigned char)s[i]); i++) {
		if (v > PARSE_DELAY_MAX)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || s[i] == '\0' || s[i + 1] != '\0')
		return -1;
	switch (s[i]) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -1;
	}
	if (v <= 0 || v > PARSE_DELAY_MAX / mult)
		return -1;
	*out = (time_t)(v * mult);
	return 0;
}

int
parse_size(struct parse *p, const char *what, uint64_t *out)
{
	if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
		return parse_expected(p, what);
	if (parse_size_str(p->tok.text, out) == -1 || *out == 0) {
		parse_err_tok(p, "invalid %s \"%.64s\"", what, p->tok.text);
		return -1;
	}
	parse_next(p);
	return 0;
}

int
parse_delay(struct parse *p, const char *what, time_t *out)
{
	const char *s;
	size_t i;

	if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
		return parse_expected(p, what);
	s = p->tok.text;
	if (parse_delay_str(s, out) == -1) {
		for (i = 0; isdigit((unsigned char)s[i]); i++)
			;
		if (i > 0 && s[i] == '\0')
			parse_err_tok(p, "invalid %s \"%.64s\": a unit "
			    "(s, m, h or d) is required", what, s);
		else
			parse_err_tok(p, "invalid %s \"%.64s\"", what, s);
		return -1;
	}
	parse_next(p);
	return 0;
}

/* Printable ASCII without blanks: tags, host names sent on the wire. */
int
parse_printable(const char *s)
{
	size_t i;

	if (s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* After an error: drop the rest of the directive, quietly. */
void
parse_skip_line(struct parse *p)
{
	p->skipping = 1;
	while (p->tok.type != TOK_NEWLINE && p->tok.type != TOK_EOF)
		parse_next(p);
	p->skipping = 0;
}

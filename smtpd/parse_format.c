/*
 * parse_format.c: parse-time check of the format specifiers in a maildir
 * PATH or an mda COMMAND (spec/config.md section 8): %{token[slice]:mods}
 * with known tokens and modifiers, %% as a literal %. Called by
 * parse_action.c. It only validates: expansion happens at each delivery
 * and is not done here.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpd/parse.h"

#define FORMAT_OFFSET_MAX	CONFIG_PARAM_MAX	/* |slice bound| */
#define FORMAT_SPEC_MAX		128	/* one %{...} shown in a message */

static const char *const parse_format_tokens[] = {
	"sender", "sender.user", "sender.domain",
	"rcpt", "rcpt.user", "rcpt.domain",
	"dest", "dest.user", "dest.domain",
	"user.username", "user.directory", "mbox.from",
};

static const char *const parse_format_mods[] = {
	"lowercase", "uppercase", "strip", "raw",
};

static int	parse_format_offset(const char **, int *);
static int	parse_format_spec(const char *, size_t, char *, size_t);

/* [-]digits at *sp; 0 and no move if there is none. */
static int
parse_format_offset(const char **sp, int *present)
{
	const char *s = *sp;
	int v = 0;

	*present = 0;
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return *s == '-' || s != *sp ? -1 : 0;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v > FORMAT_OFFSET_MAX)
			return -1;
		s++;
	}
	*present = 1;
	*sp = s;
	return 0;
}

/* The inside of one %{...} (len bytes at s). */
static int
parse_format_spec(const char *s, size_t len, char *err, size_t errsz)
{
	char spec[FORMAT_SPEC_MAX];
	const char *q, *end = s + len, *mod, *bar;
	size_t n, i;
	int hasb, hase;

	(void)snprintf(spec, sizeof(spec), "%%{%.*s}",
	    len > FORMAT_SPEC_MAX - 8 ? FORMAT_SPEC_MAX - 8 : (int)len, s);
	for (q = s; q < end && *q != '[' && *q != ':'; q++)
		;
	n = (size_t)(q - s);
	for (i = 0; i < sizeof(parse_format_tokens) /
	    sizeof(parse_format_tokens[0]); i++)
		if (strlen(parse_format_tokens[i]) == n &&
		    strncasecmp(s, parse_format_tokens[i], n) == 0)
			break;
	if (i == sizeof(parse_format_tokens) / sizeof(parse_format_tokens[0])) {
		if (n == 3 && strncasecmp(s, "mda", 3) == 0)
			(void)snprintf(err, errsz, "format specifier %s is "
			    "only allowed in mda wrappers", spec);
		else
			(void)snprintf(err, errsz, "unknown format specifier "
			    "%s", spec);
		return -1;
	}
	if (q < end && *q == '[') {
		q++;
		if (parse_format_offset(&q, &hasb) == -1)
			goto badslice;
		hase = 0;
		if (q < end && *q == ':') {
			q++;
			if (parse_format_offset(&q, &hase) == -1)
				goto badslice;
			if (!hasb && !hase)
				goto badslice;
		} else if (!hasb)
			goto badslice;
		if (q >= end || *q != ']')
			goto badslice;
		q++;
	}
	if (q < end && *q == ':') {
		for (mod = q + 1; mod <= end; mod = bar + 1) {
			for (bar = mod; bar < end && *bar != '|'; bar++)
				;
			n = (size_t)(bar - mod);
			for (i = 0; i < sizeof(parse_format_mods) /
			    sizeof(parse_format_mods[0]); i++)
				if (strlen(parse_format_mods[i]) == n &&
				    strncasecmp(mod, parse_format_mods[i], n)
				    == 0)
					break;
			if (i == sizeof(parse_format_mods) /
			    sizeof(parse_format_mods[0])) {
				(void)snprintf(err, errsz, "unknown modifier "
				    "\"%.*s\" in %s", n > 32 ? 32 : (int)n,
				    mod, spec);
				return -1;
			}
		}
		q = end;
	}
	if (q != end) {
		(void)snprintf(err, errsz, "invalid format specifier %s",
		    spec);
		return -1;
	}
	return 0;

badslice:
	(void)snprintf(err, errsz, "invalid slice in format specifier %s",
	    spec);
	return -1;
}

/* Check every %{...} of s; a % not followed by { is literal. */
int
parse_format_check(const char *s, char *err, size_t errsz)
{
	const char *close;

	while ((s = strchr(s, '%')) != NULL) {
		if (s[1] == '%') {
			s += 2;
			continue;
		}
		if (s[1] != '{') {
			s++;
			continue;
		}
		if ((close = strchr(s + 2, '}')) == NULL) {
			(void)snprintf(err, errsz, "unterminated format "
			    "specifier \"%.32s\"", s);
			return -1;
		}
		if (parse_format_spec(s + 2, (size_t)(close - s - 2), err,
		    errsz) == -1)
			return -1;
		s = close + 1;
	}
	return 0;
}

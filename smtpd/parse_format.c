/*
 * parse_format.c: parse-time check of the format specifiers in a maildir
 * PATH or an mda COMMAND (spec/config.md section 8): %{token[slice]:mods}
 * with known tokens and modifiers, %% as a literal %. Called by
 * parse_action.c. It only validates, with format.c's one parser of a
 * specifier; expansion happens at each delivery (format_expand()).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpd/format.h"
#include "smtpd/parse.h"

#define FORMAT_SPEC_MAX		128	/* one %{...} shown in a message */

static int	parse_format_spec(const char *, size_t, char *, size_t);

/* The inside of one %{...} (len bytes at s), through the one parser. */
static int
parse_format_spec(const char *s, size_t len, char *err, size_t errsz)
{
	struct format_spec fs;
	char spec[FORMAT_SPEC_MAX];
	const char *why;

	if (format_spec_parse(s, len, &fs, &why) == 0)
		return 0;
	(void)snprintf(spec, sizeof(spec), "%%{%.*s}",
	    len > FORMAT_SPEC_MAX - 8 ? FORMAT_SPEC_MAX - 8 : (int)len, s);
	if (strcmp(why, "unknown format specifier") == 0 && len >= 3 &&
	    strncasecmp(s, "mda", 3) == 0 && (len == 3 || s[3] == '[' ||
	    s[3] == ':'))
		(void)snprintf(err, errsz, "format specifier %s is only "
		    "allowed in mda wrappers", spec);
	else if (strcmp(why, "unknown modifier") == 0)
		(void)snprintf(err, errsz, "unknown modifier \"%.*s\" in %s",
		    fs.badmodlen > 32 ? 32 : (int)fs.badmodlen, fs.badmod,
		    spec);
	else if (strcmp(why, "invalid slice") == 0)
		(void)snprintf(err, errsz, "invalid slice in format specifier "
		    "%s", spec);
	else
		(void)snprintf(err, errsz, "%s %s", why, spec);
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

/*
 * format.c: parsing and expansion of %{...} format specifiers
 * (spec/config.md §8). Called by the parser (parse_format.c, to refuse
 * unknown tokens at load time) and by whoever builds a delivery's maildir
 * path or mda command. Pure: no I/O, no allocation.
 * Never lets a value escape its place: unless `raw`, the shell's special
 * characters become ':' (OpenSMTPD's rule); in a path, a value with '/',
 * '..' or a leading '.' fails the delivery instead of being written.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpd/format.h"

#define FORMAT_OFFSET_MAX	FORMAT_MAX
#define FORMAT_SANITIZE		"!#$%&'*?`{|}~"

static const char *const format_tokens[] = {
	"sender", "sender.user", "sender.domain",
	"rcpt", "rcpt.user", "rcpt.domain",
	"dest", "dest.user", "dest.domain",
	"user.username", "user.directory", "mbox.from",
};

static const struct {
	const char	*name;
	int		 flag;
} format_mods[] = {
	{ "lowercase",	FORMAT_MOD_LOWER },
	{ "uppercase",	FORMAT_MOD_UPPER },
	{ "strip",	FORMAT_MOD_STRIP },
	{ "raw",	FORMAT_MOD_RAW },
};

static int	format_offset(const char **, const char *, long *, int *);
static int	format_mods_parse(const char *, const char *,
		    struct format_spec *);
static void	format_value(const struct format_spec *,
		    const struct format_vars *, char *, size_t);
static int	format_slice(const struct format_spec *, char *);
static void	format_apply_mods(int, char, char *);
static int	format_append(char *, size_t, size_t *, const char *, size_t);

/* [-]digits at *sp (before end); 0 and no move if there is none. */
static int
format_offset(const char **sp, const char *end, long *v, int *present)
{
	const char *s = *sp;
	int neg = 0;

	*present = 0;
	*v = 0;
	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (s == end || !isdigit((unsigned char)*s))
		return neg ? -1 : 0;
	while (s < end && isdigit((unsigned char)*s)) {
		*v = *v * 10 + (*s - '0');
		if (*v > FORMAT_OFFSET_MAX)
			return -1;
		s++;
	}
	if (neg)
		*v = -*v;
	*present = 1;
	*sp = s;
	return 0;
}

static int
format_mods_parse(const char *s, const char *end, struct format_spec *fs)
{
	const char *bar;
	size_t n, i;

	for (;;) {
		bar = memchr(s, '|', (size_t)(end - s));
		n = (size_t)((bar ? bar : end) - s);
		for (i = 0; i < sizeof(format_mods) / sizeof(format_mods[0]); i++)
			if (strlen(format_mods[i].name) == n &&
			    strncasecmp(format_mods[i].name, s, n) == 0)
				break;
		if (i == sizeof(format_mods) / sizeof(format_mods[0])) {
			fs->badmod = s;
			fs->badmodlen = n;
			return -1;
		}
		fs->mods |= format_mods[i].flag;
		if (bar == NULL)
			return 0;
		s = bar + 1;
	}
}

/*
 * The inside of one %{...}: s[0..len). 0, or -1 with *why: "unknown
 * format specifier", "invalid slice", "unknown modifier" (fs->badmod
 * says which), "invalid format specifier".
 */
int
format_spec_parse(const char *s, size_t len, struct format_spec *fs,
    const char **why)
{
	const char *end = s + len, *p = s, *close;
	size_t n, i;

	memset(fs, 0, sizeof(*fs));
	n = strcspn(s, "[:");
	if (n > len)
		n = len;
	for (i = 0; i < sizeof(format_tokens) / sizeof(format_tokens[0]); i++)
		if (strlen(format_tokens[i]) == n &&
		    strncasecmp(s, format_tokens[i], n) == 0)
			break;
	if (i == sizeof(format_tokens) / sizeof(format_tokens[0])) {
		*why = "unknown format specifier";
		return -1;
	}
	strlcpy(fs->token, format_tokens[i], sizeof(fs->token));
	p = s + n;
	if (p < end && *p == '[') {
		p++;
		if ((close = memchr(p, ']', (size_t)(end - p))) == NULL)
			goto badslice;
		if (format_offset(&p, close, &fs->begin, &fs->has_begin) == -1)
			goto badslice;
		if (p < close && *p == ':') {
			fs->has_colon = 1;
			p++;
			if (format_offset(&p, close, &fs->end, &fs->has_end) ==
			    -1)
				goto badslice;
		}
		if (p != close || (!fs->has_begin && !fs->has_end))
			goto badslice;
		if (!fs->has_colon && !fs->has_begin)
			goto badslice;
		p = close + 1;
	}
	if (p < end && *p != ':') {
		*why = "invalid format specifier";
		return -1;
	}
	if (p < end && format_mods_parse(p + 1, end, fs) == -1) {
		*why = "unknown modifier";
		return -1;
	}
	return 0;
badslice:
	*why = "invalid slice";
	return -1;
}

/* The raw value of a token, split at the last '@' for .user/.domain. */
static void
format_value(const struct format_spec *fs, const struct format_vars *v,
    char *buf, size_t len)
{
	const char *base = NULL, *at, *part = strchr(fs->token, '.');
	size_t n;

	buf[0] = '\0';
	if (strcmp(fs->token, "user.username") == 0) {
		strlcpy(buf, v->username ? v->username : "", len);
		return;
	}
	if (strcmp(fs->token, "user.directory") == 0) {
		strlcpy(buf, v->directory ? v->directory : "", len);
		return;
	}
	if (strcmp(fs->token, "mbox.from") == 0) {
		strlcpy(buf, v->sender && *v->sender ? v->sender :
		    "MAILER-DAEMON", len);
		return;
	}
	if (strncmp(fs->token, "sender", 6) == 0)
		base = v->sender;
	else if (strncmp(fs->token, "rcpt", 4) == 0)
		base = v->rcpt;
	else
		base = v->dest;
	if (base == NULL)
		base = "";
	if (part == NULL) {
		strlcpy(buf, base, len);
		return;
	}
	at = strrchr(base, '@');
	if (strcmp(part, ".user") == 0) {
		n = at ? (size_t)(at - base) : strlen(base);
		if (n >= len)
			n = len - 1;
		memcpy(buf, base, n);
		buf[n] = '\0';
	} else
		strlcpy(buf, at ? at + 1 : "", len);
}

/* OpenSMTPD slicing, end index inclusive; -1 if begin is out of range. */
static int
format_slice(const struct format_spec *fs, char *val)
{
	long len = (long)strlen(val), b, e;

	if (!fs->has_begin && !fs->has_end)
		return 0;
	b = fs->has_begin ? fs->begin : 0;
	if (b < 0)
		b += len;
	if (!fs->has_colon)
		e = b;
	else if (!fs->has_end)
		e = len - 1;
	else
		e = fs->end < 0 ? len - 1 + fs->end : fs->end;
	if (b < 0 || b >= len)
		return -1;
	if (e >= len)
		e = len - 1;
	if (e < b) {
		val[0] = '\0';
		return 0;
	}
	memmove(val, val + b, (size_t)(e - b + 1));
	val[e - b + 1] = '\0';
	return 0;
}

static void
format_apply_mods(int mods, char delim, char *val)
{
	char *d, *at;
	size_t i;

	if (mods & FORMAT_MOD_STRIP && delim && (d = strchr(val, delim)) &&
	    d != val) {
		at = strchr(d, '@');
		if (at)
			memmove(d, at, strlen(at) + 1);
		else
			*d = '\0';
	}
	for (i = 0; val[i]; i++) {
		if (mods & FORMAT_MOD_LOWER)
			val[i] = (char)tolower((unsigned char)val[i]);
		else if (mods & FORMAT_MOD_UPPER)
			val[i] = (char)toupper((unsigned char)val[i]);
		if (!(mods & FORMAT_MOD_RAW) && strchr(FORMAT_SANITIZE, val[i]))
			val[i] = ':';
	}
}

static int
format_append(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (*o + n >= outlen)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/*
 * Expand tmpl into out (outlen <= FORMAT_MAX). FORMAT_TEMPFAIL for an
 * expansion error (bad specifier, offset out of range, overflow),
 * FORMAT_PERMFAIL when a value would escape a path; *why says which.
 */
enum format_result
format_expand(const char *tmpl, const struct format_vars *v,
    enum format_use use, char *out, size_t outlen, const char **why)
{
	struct format_spec fs;
	char val[FORMAT_MAX];
	const char *p = tmpl, *close;
	size_t o = 0;

	*why = NULL;
	if (outlen == 0)
		return FORMAT_TEMPFAIL;
	out[0] = '\0';
	if (strncmp(p, "~/", 2) == 0) {
		if (v->directory == NULL || *v->directory == '\0') {
			*why = "no home directory for ~/";
			return FORMAT_TEMPFAIL;
		}
		if (format_append(out, outlen, &o, v->directory,
		    strlen(v->directory)) == -1 ||
		    format_append(out, outlen, &o, "/", 1) == -1)
			goto overflow;
		p += 2;
	}
	while (*p) {
		if (p[0] != '%') {
			if (format_append(out, outlen, &o, p, 1) == -1)
				goto overflow;
			p++;
			continue;
		}
		if (p[1] == '%') {
			if (format_append(out, outlen, &o, "%", 1) == -1)
				goto overflow;
			p += 2;
			continue;
		}
		if (p[1] != '{') {
			/* A lone '%' is literal, as the configuration check says. */
			if (format_append(out, outlen, &o, p, 1) == -1)
				goto overflow;
			p++;
			continue;
		}
		if ((close = strchr(p + 2, '}')) == NULL) {
			*why = "invalid format specifier";
			return FORMAT_TEMPFAIL;
		}
		if (format_spec_parse(p + 2, (size_t)(close - p - 2), &fs,
		    why) == -1)
			return FORMAT_TEMPFAIL;
		format_value(&fs, v, val, sizeof(val));
		if (format_slice(&fs, val) == -1) {
			*why = "offset out of range";
			return FORMAT_TEMPFAIL;
		}
		format_apply_mods(fs.mods, v->subaddr_delim ? v->subaddr_delim :
		    '+', val);
		if (use == FORMAT_PATH && strcmp(fs.token, "user.directory") != 0 &&
		    (strchr(val, '/') || strstr(val, "..") || val[0] == '.')) {
			*why = "Bad destination mailbox address syntax";
			return FORMAT_PERMFAIL;
		}
		if (format_append(out, outlen, &o, val, strlen(val)) == -1)
			goto overflow;
		p = close + 1;
	}
	return FORMAT_OK;
overflow:
	*why = "expansion too long";
	return FORMAT_TEMPFAIL;
}

/*
 * format.h: the %{...} format specifiers of maildir paths and mda
 * commands (spec/config.md §8): the one parser of a specifier, used by
 * the configuration check at parse time and by the expansion at each
 * delivery.
 */
#ifndef SMTPD_FORMAT_H
#define SMTPD_FORMAT_H

#include <stddef.h>

#define FORMAT_MAX		4096	/* expanded result, incl. NUL */
#define FORMAT_TOKEN_MAX	32

#define FORMAT_MOD_LOWER	0x01
#define FORMAT_MOD_UPPER	0x02
#define FORMAT_MOD_STRIP	0x04
#define FORMAT_MOD_RAW		0x08

/* One parsed %{token[begin:end]:mod|mod}. */
struct format_spec {
	char	token[FORMAT_TOKEN_MAX];	/* lower-cased */
	int	has_begin, has_end, has_colon;	/* [B], [B:], [:E], [B:E] */
	long	begin, end;
	int	mods;
	const char *badmod;		/* on "unknown modifier": which */
	size_t	badmodlen;
};

/* What a delivery knows; NULL or "" where it knows nothing. */
struct format_vars {
	const char	*sender;	/* "" for the null sender */
	const char	*rcpt;		/* as given in RCPT TO */
	const char	*dest;		/* after expansion */
	const char	*username;
	const char	*directory;	/* the user's home */
	char		 subaddr_delim;	/* for :strip, '+' by default */
};

enum format_use {
	FORMAT_PATH,		/* maildir PATH: unsafe values refused */
	FORMAT_COMMAND,		/* mda COMMAND */
};

enum format_result {
	FORMAT_OK,
	FORMAT_TEMPFAIL,	/* expansion error: retried, and logged */
	FORMAT_PERMFAIL,	/* 5.1.3: a value unfit for a path */
};

int	format_spec_parse(const char *, size_t, struct format_spec *,
	    const char **);
enum format_result format_expand(const char *, const struct format_vars *,
	    enum format_use, char *, size_t, const char **);

#endif

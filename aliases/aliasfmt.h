/*
 * aliasfmt.h: the one parser of aliases-format values (spec/tables.md
 * section 3): the right-hand side of `alias` and `virtual` table entries,
 * the lines of .forward and :include: files, makemap -t aliases and
 * newaliases. It splits a value into destinations and classifies each by
 * the first matching rule: error, include, pipe, file, address, \user,
 * user. Pure functions: no I/O, no logging, no global state, never reads
 * past the length given (the value need not be NUL-terminated), never
 * aborts on bad input; the only allocation is the list aliasfmt_parse()
 * returns.
 *
 * Splitting (section 3): `,` separates destinations except inside double
 * quotes; `\` escapes the next character (removed, the character kept);
 * an unquoted, unescaped `#` at the start of the value or of a line, or
 * preceded by a blank, starts a comment to the end of the line; each
 * destination is trimmed of blanks (space, tab, CR) and empty ones are
 * skipped. A newline ends a destination as `,` does (so a whole .forward
 * file may be given at once). Invalid: an unbalanced quote (a quote must
 * close on its line), a `\` at the end or before a newline, a NUL byte,
 * invalid UTF-8, a control character other than tab inside a destination.
 *
 * Classification, on the destination with escapes removed:
 *  1 error:NNN text, :error:NNN text (prefix in any case): NNN three
 *    digits, the first 4 or 5; one space; text starting with an ASCII
 *    letter or digit, printable ASCII (and tab) only. An enhanced code
 *    whose class is NNN's first digit may start the text ("550 5.1.1
 *    no such user"); it is split off. The reply "NNN[ X.Y.Z] text" must
 *    fit one SMTP reply line (ALIASFMT_REPLY_MAX).
 *  2 :include:/abs/path, include:/abs/path (prefix in any case)
 *  3 |command (the command must not be blank)
 *  4 /abs/path
 *  5 local@domain, checked by lib/addr (addr_parse_mailbox, no options);
 *    a quoted local part, an address literal or non-ASCII is refused
 *  6 \user: the destination was written with a leading `\` and is a
 *    user name: user, final (no further alias or .forward expansion)
 *  7 user: A-Za-z0-9_.+- only
 * [project] A destination written entirely inside one pair of double
 * quotes is classified by what is inside them: this is the documented
 * "|command args" form, and also allows "/path with blanks",
 * ":include:/path" and "error:550 text, with a comma" (Postfix and
 * sendmail accept the same). Quotes elsewhere are kept as written
 * (|/bin/foo "a b" runs with its quotes).
 * Anything else is invalid.
 *
 * A value with no destination at all (empty, or only a comment) parses to
 * an empty list; aliasfmt_entry_check() is what table entries must pass.
 */
#ifndef ALIASES_ALIASFMT_H
#define ALIASES_ALIASFMT_H

#include <stddef.h>

#include "lib/addr.h"

/* "5.123.123" and a NUL */
#define ALIASFMT_ENHANCED_MAX	10
/* An error reply "NNN X.Y.Z text" without its CRLF (RFC 5321 4.5.3.1.5). */
#define ALIASFMT_REPLY_MAX	510

enum aliasfmt_type {
	ALIASFMT_ERROR = 1,	/* rule 1 */
	ALIASFMT_INCLUDE,	/* rule 2 */
	ALIASFMT_PIPE,		/* rule 3 */
	ALIASFMT_FILE,		/* rule 4 */
	ALIASFMT_ADDRESS,	/* rule 5 */
	ALIASFMT_USER,		/* rules 6 (final) and 7 */
};

struct aliasfmt_dest {
	enum aliasfmt_type	 type;
	/* ALIASFMT_USER written as \user: deliver, expand no further */
	int			 final;
	/*
	 * NUL-terminated, never NULL, escapes and enclosing quotes removed;
	 * len = strlen(value). It lives in the storage of whoever filled the
	 * struct (the list of aliasfmt_parse, the buf of aliasfmt_classify):
	 *   ERROR:	  the text after the code and enhanced code (may be "")
	 *   INCLUDE:	  the absolute path (after the prefix)
	 *   PIPE:	  the command after `|`, for /bin/sh -c
	 *   FILE:	  the absolute path
	 *   ADDRESS:	  local@domain as written (no case folding)
	 *   USER:	  the user name without `\` (no case folding)
	 */
	const char		*value;
	size_t			 len;
	int			 code;		/* ERROR: 400..599 */
	/* ERROR: the enhanced status code ("5.1.1"), or "" if none */
	char			 enhanced[ALIASFMT_ENHANCED_MAX];
	struct mailaddr		 addr;		/* ADDRESS: lib/addr's result */
};

/*
 * The destinations of one value, in the order written (duplicates kept).
 * One allocation holds the struct, dests[] and every value string: the
 * caller owns it and releases it with aliasfmt_free() (or free()).
 */
struct aliasfmt_list {
	size_t			 count;
	struct aliasfmt_dest	 dests[];
};

/*
 * Parses value s[0..len). 0 with *listp set (count may be 0), or -1 with
 * *listp = NULL and *why (may be NULL) set to a static reason:
 * "unbalanced quotes", "trailing backslash", "NUL byte", "invalid UTF-8",
 * "control character", "invalid destination". Runs out of memory like
 * lib/xmalloc (exits), never on bad input.
 */
int		 aliasfmt_parse(const char *s, size_t len,
		    struct aliasfmt_list **listp, const char **why);
void		 aliasfmt_free(struct aliasfmt_list *);

/*
 * The check a table entry's value must pass (makemap -t aliases,
 * newaliases, alias/virtual tables): it parses, and it has at least one
 * destination ("no destination" otherwise: an entry that expands to
 * nothing would silently lose mail). 0, or -1 with *why. Allocates
 * nothing that outlives the call.
 */
int		 aliasfmt_entry_check(const char *s, size_t len,
		    const char **why);

/*
 * Classifies one destination raw[0..len) as the splitter yields it
 * (trimmed, escapes and quotes still in). buf (bufsz >= len + 1) receives
 * the value string that dest->value points to. 0, or -1 with *why
 * ("invalid destination", "control character", "trailing backslash").
 */
int		 aliasfmt_classify(const char *raw, size_t len, char *buf,
		    size_t bufsz, struct aliasfmt_dest *dest, const char **why);

/* "error", "include", "pipe", "file", "address", "user" ("?" if unknown). */
const char	*aliasfmt_type_name(enum aliasfmt_type);

#endif

/*
 * addr.h: the one RFC 5321 mail address parser. Every piece of code that
 * reads a mail address (MAIL/RCPT paths, HELO domains, config values, alias
 * destinations, decoded envelopes) calls it; nothing else may parse an
 * address. It checks syntax and the RFC 5321 §4.5.3.1 limits and returns a
 * canonical struct mailaddr; policy (quoted local parts, literals, which
 * domains are ours) is the caller's. Bad input is a result code, never an
 * abort; no allocation, no case folding, no lookups.
 */
#ifndef LIB_ADDR_H
#define LIB_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX		64	/* octets, §4.5.3.1.1 */
#define ADDR_DOMAIN_MAX		255	/* octets, §4.5.3.1.2 */
#define ADDR_PATH_MAX		256	/* incl. <, > and route, §4.5.3.1.3 */
#define ADDR_LABEL_MAX		63	/* octets of one DNS label, RFC 1035 */
/* Room for addr_format() output: local@domain plus NUL. */
#define ADDR_MAILBOX_SIZE	(ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX + 1)

/* struct mailaddr flags */
#define ADDR_QUOTED	0x01	/* local part was written as a quoted string */
#define ADDR_LITERAL	0x02	/* domain is [a.b.c.d] or [IPv6:...] */
#define ADDR_UTF8	0x04	/* non-ASCII in local part or domain */
#define ADDR_NULL	0x08	/* the null path <> (local, domain empty) */
#define ADDR_NODOMAIN	0x10	/* bare postmaster (domain empty) */
#define ADDR_ROUTE	0x20	/* a source route was given and dropped */

/* options */
#define ADDR_OPT_NULL		0x01	/* accept <> (mailbox: "") */
#define ADDR_OPT_POSTMASTER	0x02	/* accept <postmaster> without domain */
#define ADDR_OPT_UTF8		0x04	/* SMTPUTF8: UTF-8 local, U-labels */

/*
 * Replies (protocol.md A.1, A.2, A.12), MAIL / RCPT:
 *	ADDR_ESYNTAX	553 5.1.7 / 501 5.1.3
 *	ADDR_ETOOLONG	553 5.1.3 / 501 5.1.3
 *	ADDR_EUTF8	553 5.6.7 / 553 5.6.7
 * Policy stays with the caller, e.g. ADDR_QUOTED -> 553 5.1.3.
 */
enum addr_result {
	ADDR_OK = 0,
	ADDR_ESYNTAX,	/* not an address */
	ADDR_ETOOLONG,	/* local > 64, domain > 255 or path > 256 octets */
	ADDR_EUTF8,	/* valid, but non-ASCII without ADDR_OPT_UTF8 */
};

/*
 * local: canonical local part. A quoted string whose content is a valid
 * dot-atom is stored unquoted ("john.doe" -> john.doe); any other quoted
 * string is stored with its quotes and only " and \ escaped, so local[0]
 * is '"' exactly when the local part needs quoting.
 * domain: as written (no case folding; U-labels stay UTF-8), except that
 * an IPv6 literal's tag is spelt "IPv6:". Both are NUL-terminated and
 * never contain NUL, CR, LF or other control characters.
 */
struct mailaddr {
	char	local[ADDR_LOCAL_MAX + 1];
	char	domain[ADDR_DOMAIN_MAX + 1];
	int	flags;
};

enum addr_result addr_parse_path(const char *, size_t, int,
	    struct mailaddr *, size_t *);
enum addr_result addr_parse_mailbox(const char *, size_t, int,
	    struct mailaddr *);
enum addr_result addr_parse_domain(const char *, size_t, int, int *);
enum addr_result addr_domain_to_ascii(const char *, char *, size_t);
int	addr_format(const struct mailaddr *, char *, size_t);
const char *addr_result_str(enum addr_result);

#endif

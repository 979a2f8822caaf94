/*
 * listmatch.h: list matching for match rules (spec/tables.md section 7):
 * domain lists with `*.example.org` wildcards, netaddr lists (CIDR,
 * IPv4 and IPv6, the literal `local`), mailaddr lists (`@`, `@domain`,
 * `user`, `user@domain`, `user@*.domain`, sub-address tags) and user-name
 * lists, all case-insensitive (section 8).
 *
 * Two layers: the *_entry() functions say whether one list entry matches
 * one candidate (pure, for tests and scans); the table functions answer
 * for a whole table, tri-state. Domain, mailaddr and user lists are
 * answered by lookups only (a db: table is never scanned for them);
 * netaddr lists are scanned.
 */
#ifndef ALIASES_LISTMATCH_H
#define ALIASES_LISTMATCH_H

#include <stdint.h>

#include "aliases/table.h"

struct netaddr {
	int		family;		/* AF_INET, AF_INET6, or AF_UNSPEC: local */
	uint8_t		addr[16];	/* network order, masked to bits */
	int		bits;		/* prefix length */
};

/*
 * An address (allow_prefix 0) or a network (1): `192.0.2.1`,
 * `192.0.2.0/24`, `2001:db8::1`, `[2001:db8::1]`, `[IPv6:2001:db8::1]`,
 * `[2001:db8::]/32`, `local`. IPv4-mapped IPv6 becomes IPv4. 0 or -1.
 */
int	listmatch_netaddr_parse(const char *, int allow_prefix,
	    struct netaddr *);

int	listmatch_domain_entry(const char *entry, const char *domain);
int	listmatch_netaddr_entry(const char *entry, const char *src);
int	listmatch_mailaddr_entry(const char *entry, const char *addr,
	    char delim);
int	listmatch_user_entry(const char *entry, const char *user);

enum table_result listmatch_domain(struct table *, const char *domain);
enum table_result listmatch_netaddr(struct table *, const char *src);
enum table_result listmatch_mailaddr(struct table *, const char *addr,
	    char delim);
enum table_result listmatch_user(struct table *, const char *user);

#endif

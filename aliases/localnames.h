/*
 * localnames.h: what "local" means for match rules (spec/config.md
 * section 7): <localnames>, the destination domains of `for local`
 * (localhost, the server name, listener host names, and the address
 * literals [a.b.c.d] / [IPv6:...] of our interfaces), and <localhost>,
 * the client addresses of `from local` (our interfaces' addresses).
 * Built once by the lookup role at start-up (getifaddrs(3) needs no
 * privilege, but the set is fixed for the life of the process).
 */
#ifndef ALIASES_LOCALNAMES_H
#define ALIASES_LOCALNAMES_H

#include "smtpd/config.h"

#define LOCALNAMES_NOIFADDRS	0x01	/* do not read interfaces (tests) */

struct localnames;

struct localnames *localnames_new(const struct config *, int flags);
void	localnames_free(struct localnames *);
/* Adds a domain name, or an interface address as text; 0 or -1. */
int	localnames_add_name(struct localnames *, const char *);
int	localnames_add_addr(struct localnames *, const char *);
/* 1 if the domain (name or address literal) is one of ours. */
int	localnames_domain(const struct localnames *, const char *);
/* 1 if the client address (text, "local" excluded) is one of ours. */
int	localnames_source(const struct localnames *, const char *);

#endif

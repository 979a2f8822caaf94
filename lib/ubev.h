/*
 * ubev.h: a libunbound context driven by a libev loop through
 * libunbound's pluggable event API (ub_ctx_create_ub_event,
 * ub_resolve_event). Used by `smtpctl spf walk` (ctl/spfwalk_unbound.c)
 * and the relay role's resolver (deliver/relay_dns.c). Callers must
 * never use ub_resolve_async()/ub_wait(): see lib/ubev.c.
 */
#ifndef LIB_UBEV_H
#define LIB_UBEV_H

#include <stddef.h>

#include <ev.h>
#include <unbound.h>

#define UBEV_CLASS_IN		1
#define UBEV_SEC_BOGUS		1	/* sec: 0 insecure, 1 bogus, 2 secure */
#define UBEV_RCODE_NXDOMAIN	3

struct ubev;

int		 ubev_forwarder_valid(const char *);
struct ubev	*ubev_open(struct ev_loop *, const char *, char *, size_t);
struct ub_ctx	*ubev_ctx(const struct ubev *);
void		 ubev_close(struct ubev *);

#endif

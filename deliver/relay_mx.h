/*
 * relay_mx.h: the pure half of the relay role's resolver (protocol.md
 * B.2), used by deliver/relay_dns.c and unit-tested in
 * t/unit/relay_mx_test.c: MX and address answers read into a host list,
 * null MX, preference order with equal preferences shuffled, the own-MX
 * cut, address literals, and the final list of addresses with its caps.
 * No DNS, no loop, no allocation.
 */
#ifndef DELIVER_RELAY_MX_H
#define DELIVER_RELAY_MX_H

#include <netinet/in.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "deliver/relay_dns.h"

#define RELAY_MX_MAX		32	/* MX records of one answer used */
#define RELAY_MX_LOOKUP_MAX	16	/* MX hosts whose addresses are asked */
#define RELAY_MX_HOST_ADDRS	RELAY_DNS_ADDRS_MAX	/* per family */

/* What a lookup of one host's addresses of one family gave. */
enum relay_mx_lookup {
	RELAY_MX_UNASKED,
	RELAY_MX_FOUND,		/* NOERROR, maybe no record (NODATA) */
	RELAY_MX_NONE,		/* NXDOMAIN */
	RELAY_MX_TEMP,		/* SERVFAIL, timeout, malformed answer */
};

struct relay_mx_host {
	char			 name[RELAY_DNS_NAME_MAX + 1];
	int			 pref;
	enum relay_mx_lookup	 st6;
	enum relay_mx_lookup	 st4;
	size_t			 n6;
	size_t			 n4;
	struct in6_addr		 a6[RELAY_MX_HOST_ADDRS];
	struct in_addr		 a4[RELAY_MX_HOST_ADDRS];
};

struct relay_mx_list {
	size_t			 n;
	int			 null;		/* a lone "." record: null MX */
	int			 null_mixed;	/* "." beside others, dropped */
	int			 cut;		/* own-MX cut applied */
	struct relay_mx_host	 host[RELAY_MX_MAX];
};

/* A number in [0, bound): arc4random_uniform, or a test's sequence. */
typedef uint32_t (*relay_mx_rand)(uint32_t, void *);

int	relay_mx_parse(const uint8_t *, size_t, struct relay_mx_list *);
int	relay_mx_addrs(const uint8_t *, size_t, int, struct relay_mx_host *);
void	relay_mx_implicit(struct relay_mx_list *, const char *);
void	relay_mx_sort(struct relay_mx_list *, relay_mx_rand, void *);
int	relay_mx_cut(struct relay_mx_list *, const char *,
	    const struct sockaddr_storage *, size_t);
int	relay_mx_literal(const char *, int, char *, size_t,
	    struct relay_dns_result *);
void	relay_mx_result(const struct relay_mx_list *, const char *, int,
	    int, struct relay_dns_result *);
void	relay_mx_fail(struct relay_dns_result *, enum relay_dns_status,
	    const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

#endif

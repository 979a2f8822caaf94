/*
 * parse_addr.c: turns the WHERE of `listen on` into addresses
 * (spec/config.md 4.1): an IPv4 or IPv6 literal, every address of an
 * interface (getifaddrs), or every address of a host name (getaddrinfo),
 * limited to inet4/inet6. Called by parse_listen.c. With CONFIG_NORESOLVE
 * names are not looked up: they give one AF_UNSPEC entry.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "smtpd/parse.h"

static void	parse_addr_add(struct parse_addrs *, const struct sockaddr *);

int
parse_addr_same(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)a;
		b6 = (const struct sockaddr_in6 *)b;
		return a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	}
	return 0;
}

/* Add an AF_INET/AF_INET6 address once. */
static void
parse_addr_add(struct parse_addrs *a, const struct sockaddr *sa)
{
	struct sockaddr_storage ss;
	size_t i;

	memset(&ss, 0, sizeof(ss));
	if (sa->sa_family == AF_INET)
		memcpy(&ss, sa, sizeof(struct sockaddr_in));
	else if (sa->sa_family == AF_INET6)
		memcpy(&ss, sa, sizeof(struct sockaddr_in6));
	else
		return;
	for (i = 0; i < a->n; i++)
		if (parse_addr_same(&a->ss[i], &ss))
			return;
	if (a->n < PARSE_ADDR_MAX)
		a->ss[a->n++] = ss;
	else
		a->overflow = 1;
}

/*
 * WHERE: an address literal, an interface (every address on it) or a
 * host name (every address it resolves to), limited to `family`.
 */
int
parse_addr_resolve(struct parse *p, const char *where, int family,
    struct parse_addrs *out)
{
	const char *fname = family == AF_INET ? "inet4" : "inet6";
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct ifaddrs *ifap, *ifa;
	struct addrinfo hints, *res, *ai;
	struct sockaddr *literal = NULL;
	int iface = 0, rc;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	sin.sin_family = AF_INET;
	sin6.sin6_family = AF_INET6;
	if (inet_pton(AF_INET, where, &sin.sin_addr) == 1)
		literal = (struct sockaddr *)&sin;
	else if (inet_pton(AF_INET6, where, &sin6.sin6_addr) == 1)
		literal = (struct sockaddr *)&sin6;
	if (literal != NULL) {
		if (family != AF_UNSPEC && family != literal->sa_family) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "\"%s\" is not an %s address", where, fname);
			return -1;
		}
		parse_addr_add(out, literal);
		return 0;
	}
	if (strcmp(where, "egress") == 0 && (p->flags & CONFIG_NORESOLVE))
		goto later;
	if (p->flags & CONFIG_NORESOLVE) {
		out->ss[0].ss_family = AF_UNSPEC;
		out->n = 1;
		return 0;
	}
	if (getifaddrs(&ifap) == 0) {
		for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
			if (strcmp(ifa->ifa_name, where) != 0)
				continue;
			iface = 1;
			if (ifa->ifa_addr != NULL && (family == AF_UNSPEC ||
			    ifa->ifa_addr->sa_family == family))
				parse_addr_add(out, ifa->ifa_addr);
		}
		freeifaddrs(ifap);
	}
	if (iface) {
		if (out->n == 0) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "interface \"%s\" has no %saddress", where,
			    family == AF_INET ? "inet4 " :
			    family == AF_INET6 ? "inet6 " : "");
			return -1;
		}
		return 0;
	}
	if (strcmp(where, "egress") == 0)
		goto later;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(where, NULL, &hints, &res)) != 0) {
		parse_err_at(p, p->dir_file, p->dir_line, "cannot resolve "
		    "\"%s\": not an address, interface or known host (%s)",
		    where, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_addr != NULL)
			parse_addr_add(out, ai->ai_addr);
	freeaddrinfo(res);
	if (out->n == 0) {
		parse_err_at(p, p->dir_file, p->dir_line,
		    "\"%s\" has no usable address", where);
		return -1;
	}
	return 0;

later:
	/* interface groups are an OpenBSD feature */
	parse_err_at(p, p->dir_file, p->dir_line,
	    "\"egress\" is not supported yet");
	return -1;
}

const char *
parse_addr_ntop(const struct listener *l, char *buf, size_t size)
{
	const void *addr;

	if (l->ss.ss_family == AF_INET)
		addr = &((const struct sockaddr_in *)&l->ss)->sin_addr;
	else if (l->ss.ss_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)&l->ss)->sin6_addr;
	else
		return l->where;
	if (inet_ntop(l->ss.ss_family, addr, buf, size) == NULL)
		return l->where;
	return buf;
}


/*
 * localnames.c: the <localnames> and <localhost> sets of match rules
 * (see localnames.h). Called by the lookup role at start-up and by
 * rules.c for every recipient. Names are folded and compared without a
 * trailing dot; addresses are compared in binary, IPv4-mapped IPv6 as
 * IPv4, so "[IPv6:::1]" and "[127.0.0.1]" literals match however they
 * are spelt.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases/listmatch.h"
#include "aliases/localnames.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

struct localnames {
	char		**names;
	size_t		  nnames;
	struct netaddr	 *addrs;
	size_t		  naddrs;
};

static void	localnames_ifaddrs(struct localnames *);
static int	localnames_has_addr(const struct localnames *,
		    const struct netaddr *);

static void
localnames_ifaddrs(struct localnames *ln)
{
	struct ifaddrs *ifap, *ifa;
	char text[INET6_ADDRSTRLEN];
	const void *bin;

	if (getifaddrs(&ifap) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET)
			bin = &((struct sockaddr_in *)(void *)
			    ifa->ifa_addr)->sin_addr;
		else if (ifa->ifa_addr->sa_family == AF_INET6)
			bin = &((struct sockaddr_in6 *)(void *)
			    ifa->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ifa->ifa_addr->sa_family, bin, text,
		    sizeof(text)) != NULL)
			(void)localnames_add_addr(ln, text);
	}
	freeifaddrs(ifap);
}

struct localnames *
localnames_new(const struct config *conf, int flags)
{
	struct localnames *ln;
	struct listener *l;

	ln = xcalloc(1, sizeof(*ln));
	(void)localnames_add_name(ln, "localhost");
	if (conf != NULL) {
		(void)localnames_add_name(ln, conf->hostname);
		TAILQ_FOREACH(l, &conf->listeners, entry)
			(void)localnames_add_name(ln, l->hostname);
		if (conf->enqueue != NULL)
			(void)localnames_add_name(ln, conf->enqueue->hostname);
	}
	if (!(flags & LOCALNAMES_NOIFADDRS))
		localnames_ifaddrs(ln);
	return ln;
}

void
localnames_free(struct localnames *ln)
{
	size_t i;

	if (ln == NULL)
		return;
	for (i = 0; i < ln->nnames; i++)
		free(ln->names[i]);
	free(ln->names);
	free(ln->addrs);
	free(ln);
}

int
localnames_add_name(struct localnames *ln, const char *name)
{
	size_t len = strlen(name);
	char *folded;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return -1;
	folded = xmalloc(len + 1);
	(void)table_fold(name, len, folded, len + 1);
	if (localnames_domain(ln, folded)) {
		free(folded);
		return 0;
	}
	ln->names = xreallocarray(ln->names, ln->nnames + 1,
	    sizeof(*ln->names));
	ln->names[ln->nnames++] = folded;
	return 0;
}

int
localnames_add_addr(struct localnames *ln, const char *text)
{
	struct netaddr na;

	if (listmatch_netaddr_parse(text, 0, &na) == -1 ||
	    na.family == AF_UNSPEC)
		return -1;
	if (localnames_has_addr(ln, &na))
		return 0;
	ln->addrs = xreallocarray(ln->addrs, ln->naddrs + 1,
	    sizeof(*ln->addrs));
	ln->addrs[ln->naddrs++] = na;
	return 0;
}

static int
localnames_has_addr(const struct localnames *ln, const struct netaddr *na)
{
	size_t i;

	for (i = 0; i < ln->naddrs; i++)
		if (ln->addrs[i].family == na->family &&
		    memcmp(ln->addrs[i].addr, na->addr, 16) == 0)
			return 1;
	return 0;
}

int
localnames_domain(const struct localnames *ln, const char *domain)
{
	struct netaddr na;
	size_t i, len = strlen(domain);

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0)
		return 0;
	if (domain[0] == '[')
		return listmatch_netaddr_parse(domain, 0, &na) == 0 &&
		    na.family != AF_UNSPEC && localnames_has_addr(ln, &na);
	for (i = 0; i < ln->nnames; i++)
		if (strlen(ln->names[i]) == len &&
		    strncasecmp(ln->names[i], domain, len) == 0)
			return 1;
	return 0;
}

int
localnames_source(const struct localnames *ln, const char *src)
{
	struct netaddr na;

	return listmatch_netaddr_parse(src, 0, &na) == 0 &&
	    na.family != AF_UNSPEC && localnames_has_addr(ln, &na);
}

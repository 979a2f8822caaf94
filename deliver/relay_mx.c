/*
 * relay_mx.c: the pure half of the relay role's resolver (protocol.md
 * B.2) for deliver/relay_dns.c: an MX answer read into a host list (null
 * MX alone or mixed, duplicates dropped), sorted by preference with equal
 * preferences shuffled by the caller's random function, the own-MX cut,
 * A and AAAA answers added to a host, address literals, and the final
 * addresses (IPv6 then IPv4 per host, capped) or the failure with its
 * enhanced status code. DNS messages are read by ctl/spfwalk_packet.c,
 * the one DNS message reader. Never allocates, never trusts the message.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl/spfwalk_packet.h"
#include "deliver/relay_mx.h"

#define RELAY_MX_V6TAG		"ipv6:"
#define RELAY_MX_V6TAG_LEN	5

static int	relay_mx_find(const struct relay_mx_list *, const char *);
static void	relay_mx_add(struct relay_mx_list *, const char *, int);
static int	relay_mx_is_self(const struct relay_mx_host *, const char *,
		    const struct sockaddr_storage *, size_t);
static int	relay_mx_name_eq(const char *, const char *);
static void	relay_mx_push(struct relay_dns_result *, const char *, int,
		    int, const void *, int);

/* The index of host name in l, or -1. */
static int
relay_mx_find(const struct relay_mx_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->host[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A host once, at its lowest preference; beyond RELAY_MX_MAX dropped. */
static void
relay_mx_add(struct relay_mx_list *l, const char *name, int pref)
{
	struct relay_mx_host *h;
	int i;

	if ((i = relay_mx_find(l, name)) != -1) {
		if (pref < l->host[i].pref)
			l->host[i].pref = pref;
		return;
	}
	if (l->n >= RELAY_MX_MAX || strlen(name) > RELAY_DNS_NAME_MAX)
		return;
	h = &l->host[l->n++];
	memset(h, 0, sizeof(*h));
	(void)strlcpy(h->name, name, sizeof(h->name));
	h->pref = pref;
}

/*
 * The MX records of an answer (NOERROR) into l: 0, or -1 if the message
 * is malformed or holds MX records none of which is usable. No record
 * (NODATA): l->n == 0, the caller uses the implicit MX. A lone "."
 * (whatever its preference) is the null MX; "." beside other records is
 * dropped and l->null_mixed set.
 */
int
relay_mx_parse(const uint8_t *msg, size_t len, struct relay_mx_list *l)
{
	struct spfwalk_answer a;
	char name[SPFWALK_NAME_MAX + 1];
	size_t i, dots = 0;
	int pref;

	memset(l, 0, sizeof(*l));
	if (spfwalk_packet_parse(msg, len, SPFWALK_T_MX, &a) == -1 ||
	    a.status != SPFWALK_DNS_OK)
		return -1;
	for (i = 0; i < a.n; i++) {
		if (spfwalk_packet_mx(&a, i, name) == -1)
			continue;	/* checked: rdata >= 3 octets */
		pref = msg[a.rr[i].off] << 8 | msg[a.rr[i].off + 1];
		if (name[0] == '\0')
			dots++;
		else
			relay_mx_add(l, name, pref);
	}
	if (dots > 0 && l->n == 0)
		l->null = 1;
	else if (dots > 0)
		l->null_mixed = 1;
	if (a.n > 0 && l->n == 0 && !l->null)
		return -1;
	return 0;
}

/*
 * The A (AF_INET) or AAAA (AF_INET6) records of a NOERROR answer added
 * to h, at most RELAY_MX_HOST_ADDRS; records of another length skipped.
 * 0 (st4/st6 FOUND), or -1 if the message is malformed (TEMP).
 */
int
relay_mx_addrs(const uint8_t *msg, size_t len, int family,
    struct relay_mx_host *h)
{
	struct spfwalk_answer a;
	size_t i, alen = family == AF_INET6 ? 16 : 4;
	int type = family == AF_INET6 ? SPFWALK_T_AAAA : SPFWALK_T_A;
	enum relay_mx_lookup *st = family == AF_INET6 ? &h->st6 : &h->st4;

	if (spfwalk_packet_parse(msg, len, type, &a) == -1 ||
	    a.status != SPFWALK_DNS_OK) {
		*st = RELAY_MX_TEMP;
		return -1;
	}
	*st = RELAY_MX_FOUND;
	for (i = 0; i < a.n; i++) {
		if (a.rr[i].len != alen)
			continue;
		if (family == AF_INET6 && h->n6 < RELAY_MX_HOST_ADDRS)
			memcpy(&h->a6[h->n6++], msg + a.rr[i].off, alen);
		else if (family == AF_INET && h->n4 < RELAY_MX_HOST_ADDRS)
			memcpy(&h->a4[h->n4++], msg + a.rr[i].off, alen);
	}
	return 0;
}

/* No MX record: the domain itself at preference 0 (B.2 item 4). */
void
relay_mx_implicit(struct relay_mx_list *l, const char *domain)
{
	memset(l, 0, sizeof(*l));
	relay_mx_add(l, domain, 0);
}

/*
 * Ascending preference, equal preferences in random order: a shuffle
 * (Fisher-Yates with rnd), then a stable insertion sort.
 */
void
relay_mx_sort(struct relay_mx_list *l, relay_mx_rand rnd, void *arg)
{
	struct relay_mx_host tmp;
	size_t i, j;

	for (i = l->n; i > 1; i--) {
		j = rnd((uint32_t)i, arg) % i;
		tmp = l->host[i - 1];
		l->host[i - 1] = l->host[j];
		l->host[j] = tmp;
	}
	for (i = 1; i < l->n; i++) {
		tmp = l->host[i];
		for (j = i; j > 0 && l->host[j - 1].pref > tmp.pref; j--)
			l->host[j] = l->host[j - 1];
		l->host[j] = tmp;
	}
}

/* Host names equal, case aside, a final dot on b aside. */
static int
relay_mx_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

static int
relay_mx_is_self(const struct relay_mx_host *h, const char *servername,
    const struct sockaddr_storage *self, size_t nself)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	size_t i, k;

	if (servername != NULL && relay_mx_name_eq(h->name, servername))
		return 1;
	for (i = 0; i < nself; i++) {
		if (self[i].ss_family == AF_INET) {
			sin = (const struct sockaddr_in *)&self[i];
			for (k = 0; k < h->n4; k++)
				if (memcmp(&h->a4[k], &sin->sin_addr,
				    sizeof(h->a4[k])) == 0)
					return 1;
		} else if (self[i].ss_family == AF_INET6) {
			sin6 = (const struct sockaddr_in6 *)&self[i];
			for (k = 0; k < h->n6; k++)
				if (memcmp(&h->a6[k], &sin6->sin6_addr,
				    sizeof(h->a6[k])) == 0)
					return 1;
		}
	}
	return 0;
}

/*
 * The own-MX rule (B.2 item 6) on a sorted list: the first host named
 * servername or with one of the self addresses is dropped with every
 * host of an equal or higher preference. 1 if hosts were dropped.
 */
int
relay_mx_cut(struct relay_mx_list *l, const char *servername,
    const struct sockaddr_storage *self, size_t nself)
{
	size_t i, j;

	for (i = 0; i < l->n; i++)
		if (relay_mx_is_self(&l->host[i], servername, self, nself))
			break;
	if (i == l->n)
		return 0;
	for (j = 0; j < i && l->host[j].pref < l->host[i].pref; j++)
		;
	l->n = j;
	l->cut = 1;
	return 1;
}

/* One address into r, with its host, preference and port. */
static void
relay_mx_push(struct relay_dns_result *r, const char *host, int pref,
    int family, const void *addr, int port)
{
	struct relay_dns_addr *a = &r->addr[r->naddr++];
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	(void)strlcpy(a->host, host, sizeof(a->host));
	a->pref = pref;
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
		a->sslen = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
		a->sslen = sizeof(*sin);
	}
}

/*
 * An address literal, "192.0.2.1", "2001:db8::1" or "ipv6:2001:db8::1",
 * bracketed or not: 1 with the answer in r (PERMFAIL 5.1.2 for a bad
 * literal). Otherwise 0 with the name, brackets removed, in name.
 */
int
relay_mx_literal(const char *in, int port, char *name, size_t namelen,
    struct relay_dns_result *r)
{
	char text[RELAY_DNS_NAME_MAX + 1];
	unsigned char bin[sizeof(struct in6_addr)];
	size_t len = strlen(in);
	const char *p = text;
	int tagged;

	memset(r, 0, sizeof(*r));
	if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
		in++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(text) || len >= namelen) {
		relay_mx_fail(r, RELAY_DNS_PERMFAIL, "5.1.2",
		    "Host or domain name not found");
		return 1;
	}
	memcpy(text, in, len);
	text[len] = '\0';
	tagged = strncasecmp(text, RELAY_MX_V6TAG, RELAY_MX_V6TAG_LEN) == 0;
	if (tagged)
		p = text + RELAY_MX_V6TAG_LEN;
	if (inet_pton(AF_INET6, p, bin) == 1) {
		relay_mx_push(r, p, 0, AF_INET6, bin, port);
		return 1;
	}
	if (!tagged && inet_pton(AF_INET, p, bin) == 1) {
		relay_mx_push(r, p, 0, AF_INET, bin, port);
		return 1;
	}
	if (tagged) {
		relay_mx_fail(r, RELAY_DNS_PERMFAIL, "5.1.2",
		    "Host or domain name not found");
		return 1;
	}
	memcpy(name, text, len + 1);
	return 0;
}

/*
 * The answer for a resolved list: at most RELAY_DNS_HOSTS_MAX hosts with
 * addresses and RELAY_DNS_ADDRS_MAX addresses, each host's IPv6 before
 * its IPv4. No address: 5.4.6 after an own-MX cut that left nothing,
 * 4.4.3 if a lookup failed, else 5.1.2 (nomx: implicit MX or a host) or
 * 5.4.4 (MX hosts without addresses).
 */
void
relay_mx_result(const struct relay_mx_list *l, const char *domain, int port,
    int nomx, struct relay_dns_result *r)
{
	const struct relay_mx_host *h, *temp = NULL;
	size_t i, k, hosts = 0;

	memset(r, 0, sizeof(*r));
	if (l->n == 0 && l->cut) {
		relay_mx_fail(r, RELAY_DNS_PERMFAIL, "5.4.6",
		    "mail for %s loops back to myself", domain);
		return;
	}
	for (i = 0; i < l->n && hosts < RELAY_DNS_HOSTS_MAX; i++) {
		h = &l->host[i];
		if (h->n6 + h->n4 == 0) {
			if (temp == NULL && (h->st6 == RELAY_MX_TEMP ||
			    h->st4 == RELAY_MX_TEMP))
				temp = h;
			continue;
		}
		hosts++;
		for (k = 0; k < h->n6 && r->naddr < RELAY_DNS_ADDRS_MAX; k++)
			relay_mx_push(r, h->name, h->pref, AF_INET6, &h->a6[k],
			    port);
		for (k = 0; k < h->n4 && r->naddr < RELAY_DNS_ADDRS_MAX; k++)
			relay_mx_push(r, h->name, h->pref, AF_INET, &h->a4[k],
			    port);
	}
	if (r->naddr > 0)
		r->status = RELAY_DNS_OK;
	else if (temp != NULL)
		relay_mx_fail(r, RELAY_DNS_TEMPFAIL, "4.4.3",
		    "address lookup of %s failed", temp->name);
	else if (nomx)
		relay_mx_fail(r, RELAY_DNS_PERMFAIL, "5.1.2",
		    "Host or domain name not found");
	else
		relay_mx_fail(r, RELAY_DNS_PERMFAIL, "5.4.4",
		    "no MX host of %s has an address", domain);
}

/* A failed answer: no address, the status, its code and why. */
void
relay_mx_fail(struct relay_dns_result *r, enum relay_dns_status status,
    const char *esc, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	r->naddr = 0;
	(void)strlcpy(r->esc, esc, sizeof(r->esc));
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

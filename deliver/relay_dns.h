/*
 * relay_dns.h: the relay role's resolver (protocol.md B.2): libunbound
 * on the role's libev loop (lib/ubev.c). Given a domain it answers the
 * addresses to try, in order: MX sorted by preference, equal ones
 * shuffled, each host's IPv6 then IPv4 addresses, at most
 * RELAY_DNS_HOSTS_MAX hosts and RELAY_DNS_ADDRS_MAX addresses; implicit
 * MX; null MX; our own MX and anything after it dropped. Given a host
 * ([host], smarthost) only its addresses, never MX. Address literals are
 * answered without DNS.
 */
#ifndef DELIVER_RELAY_DNS_H
#define DELIVER_RELAY_DNS_H

#include <sys/socket.h>

#include <ev.h>

#define RELAY_DNS_HOSTS_MAX	5
#define RELAY_DNS_ADDRS_MAX	10
#define RELAY_DNS_NAME_MAX	255
#define RELAY_DNS_TEXT_MAX	256

enum relay_dns_status {
	RELAY_DNS_OK,
	RELAY_DNS_TEMPFAIL,	/* 4.4.3: SERVFAIL, timeout */
	RELAY_DNS_PERMFAIL,	/* 5.1.2, 5.1.10, 5.4.6 */
};

struct relay_dns_addr {
	char			 host[RELAY_DNS_NAME_MAX + 1];	/* MX host */
	int			 pref;		/* MX preference, 0 implicit */
	struct sockaddr_storage	 ss;		/* with the port asked for */
	socklen_t		 sslen;
};

struct relay_dns_result {
	enum relay_dns_status	 status;
	char			 esc[16];		/* "5.1.2" when failed */
	char			 text[RELAY_DNS_TEXT_MAX];	/* why */
	size_t			 naddr;
	struct relay_dns_addr	 addr[RELAY_DNS_ADDRS_MAX];
};

typedef void (*relay_dns_cb)(const struct relay_dns_result *, void *);

struct relay_dns;
struct relay_dns_query;

/* In the role's init, before the chroot: reads resolv.conf and hosts.
 * forwarder: "ADDRESS[@PORT]" (`mta resolver`) or NULL for the system. */
struct relay_dns *relay_dns_open(struct ev_loop *, const char *forwarder,
		    char *err, size_t errlen);
/* Our own names and addresses, for the own-MX rule (B.2 item 6). */
void		 relay_dns_set_self(struct relay_dns *, const char *servername,
		    const struct sockaddr_storage *, size_t);
/* The deadline of each later query, seconds (default 60): 4.4.3. */
void		 relay_dns_set_timeout(struct relay_dns *, double);
/* cb is always called later from the loop, never from inside. */
struct relay_dns_query *relay_dns_mx(struct relay_dns *, const char *domain,
		    int port, relay_dns_cb, void *);
struct relay_dns_query *relay_dns_host(struct relay_dns *, const char *host,
		    int port, relay_dns_cb, void *);
void		 relay_dns_cancel(struct relay_dns_query *);
void		 relay_dns_close(struct relay_dns *);

#endif

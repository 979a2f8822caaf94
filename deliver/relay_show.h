/*
 * relay_show.h: the lines of the relay role's smtpctl show commands
 * (relay_show.c, pure; the formats are in smtpctl(8) "RELAY STATE").
 */
#ifndef DELIVER_RELAY_SHOW_H
#define DELIVER_RELAY_SHOW_H

#include <sys/socket.h>

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

struct relay_dest;
struct relay_hoststat;
struct relay_route;

void	relay_show_duration(char *, size_t, long long);
void	relay_show_addr(char *, size_t, const struct sockaddr_storage *);
time_t	relay_show_route_expiry(const struct relay_route *);
void	relay_show_route(struct buf *, const struct relay_route *, time_t);
void	relay_show_host(struct buf *, const char *addr, const char *host,
	    size_t refcount, size_t nconn, time_t lastconn, time_t now);
void	relay_show_hoststat(struct buf *, const struct relay_hoststat *);
void	relay_show_relay(struct buf *, const struct relay_dest *,
	    size_t refcount, size_t ntask, time_t now);

#endif

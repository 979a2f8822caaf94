/*
 * relay_route.c: the relay role's routes (relay.h), the addresses its
 * destinations connected to, one per destination and address. A session
 * takes its route when it starts (relay_conn.c); a connection-level
 * failure adds one to the route's penalty and disables it for
 * relay_route_delay(penalty) seconds, during which relay_dest_run()
 * skips that address; a session that gets ready clears penalty and
 * disable. `smtpctl resume route ID` clears both, `smtpctl schedule`
 * (IMSG_MTA_FLUSH) lifts every disable. An unused route is kept while
 * disabled and RELAY_ROUTE_KEEP more, and never more than
 * RELAY_ROUTE_MAX unused ones (the one forgotten soonest goes first), so
 * the table stays bounded. Never frees a route a session still holds.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/relay.h"
#include "deliver/relay_show.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/ctl_stat.h"

static int	relay_route_cmp(struct relay_route *, struct relay_route *);
RB_GENERATE(relay_routes, relay_route, node, relay_route_cmp)

static void	relay_route_key(struct relay_route *, const struct relay_dest *,
		    size_t);
static void	relay_route_free(struct relay *, struct relay_route *);
static void	relay_route_evict(struct relay *);

static int
relay_route_cmp(struct relay_route *a, struct relay_route *b)
{
	int c;

	if ((c = memcmp(a->key, b->key, sizeof(a->key))) != 0)
		return c;
	if (a->sslen != b->sslen)
		return a->sslen < b->sslen ? -1 : 1;
	return memcmp(&a->ss, &b->ss, a->sslen);
}

/*
 * How long a route is disabled after its penalty-th failure in a row:
 * RELAY_ROUTE_DELAY doubled each time, at most RELAY_ROUTE_DELAY_MAX;
 * 0 without a penalty. Pure.
 */
int
relay_route_delay(int penalty)
{
	int delay = RELAY_ROUTE_DELAY, i;

	if (penalty <= 0)
		return 0;
	for (i = 1; i < penalty && delay < RELAY_ROUTE_DELAY_MAX; i++)
		delay *= 2;
	return delay < RELAY_ROUTE_DELAY_MAX ? delay : RELAY_ROUTE_DELAY_MAX;
}

static void
relay_route_key(struct relay_route *r, const struct relay_dest *d,
    size_t addr)
{
	const struct relay_dns_addr *ad = &d->dns.addr[addr];

	memset(r, 0, sizeof(*r));
	memcpy(r->key, d->key, sizeof(r->key));
	r->sslen = ad->sslen <= sizeof(r->ss) ? ad->sslen : sizeof(r->ss);
	memcpy(&r->ss, &ad->ss, r->sslen);
}

/* The route of address `addr` of d, made if new. */
struct relay_route *
relay_route_get(struct relay *rl, struct relay_dest *d, size_t addr)
{
	struct relay_route key, *r;
	time_t now = time(NULL);

	relay_route_key(&key, d, addr);
	if ((r = RB_FIND(relay_routes, &rl->routes, &key)) != NULL) {
		strlcpy(r->host, d->dns.addr[addr].host, sizeof(r->host));
		return r;
	}
	relay_route_gc(rl, now);
	if (rl->nroutes >= RELAY_ROUTE_MAX)
		relay_route_evict(rl);
	r = xmalloc(sizeof(*r));
	*r = key;
	r->id = ++rl->next_routeid;
	strlcpy(r->host, d->dns.addr[addr].host, sizeof(r->host));
	r->lastused = now;
	RB_INSERT(relay_routes, &rl->routes, r);
	rl->nroutes++;
	ctl_stat_increment("mta.route", 1);
	return r;
}

/* 1 if address `addr` of d must not be tried now. */
int
relay_route_disabled(struct relay *rl, struct relay_dest *d, size_t addr,
    time_t now)
{
	struct relay_route key, *r;

	relay_route_key(&key, d, addr);
	r = RB_FIND(relay_routes, &rl->routes, &key);
	return r != NULL && r->disabled_until > now;
}

/* A session on the route got ready: the route works. */
void
relay_route_ready(struct relay_route *r)
{
	r->established = 1;
	r->nerror = 0;
	r->penalty = 0;
	r->disabled_until = 0;
}

/* A connection-level failure on the route: disabled for a while. */
void
relay_route_failed(struct relay_route *r, time_t now)
{
	int delay;

	r->nerror++;
	if (r->penalty < 32)
		r->penalty++;
	delay = relay_route_delay(r->penalty);
	r->disabled_until = now + delay;
	log_info("relay event=route-disabled route=%llu host=%s penalty=%d "
	    "for=%ds", (unsigned long long)r->id, r->host, r->penalty, delay);
}

/* A session on the route ended. */
void
relay_route_closed(struct relay_route *r, time_t now)
{
	r->nconn--;
	r->lastused = now;
}

struct relay_route *
relay_route_find_id(struct relay *rl, uint64_t id)
{
	struct relay_route *r;

	RB_FOREACH(r, relay_routes, &rl->routes)
		if (r->id == id)
			return r;
	return NULL;
}

/* `smtpctl resume route`: enabled, penalty forgotten, new again. */
void
relay_route_resume(struct relay_route *r)
{
	r->disabled_until = 0;
	r->penalty = 0;
	r->nerror = 0;
	r->established = 0;
	r->lastused = time(NULL);
	log_info("relay event=route-resumed route=%llu host=%s",
	    (unsigned long long)r->id, r->host);
}

/* `smtpctl schedule`: every route may be tried; penalties stay. */
void
relay_route_flush(struct relay *rl)
{
	struct relay_route *r;
	time_t now = time(NULL);

	RB_FOREACH(r, relay_routes, &rl->routes)
		if (r->disabled_until > now) {
			r->disabled_until = 0;
			r->lastused = now;
		}
}

static void
relay_route_free(struct relay *rl, struct relay_route *r)
{
	RB_REMOVE(relay_routes, &rl->routes, r);
	rl->nroutes--;
	ctl_stat_decrement("mta.route", 1);
	free(r);
}

/* Forget the unused routes whose time is over. */
void
relay_route_gc(struct relay *rl, time_t now)
{
	struct relay_route *r, *next;

	RB_FOREACH_SAFE(r, relay_routes, &rl->routes, next)
		if (r->nconn == 0 && relay_show_route_expiry(r) <= now)
			relay_route_free(rl, r);
}

/* The table is full: the unused route forgotten soonest goes now. */
static void
relay_route_evict(struct relay *rl)
{
	struct relay_route *r, *old = NULL;

	RB_FOREACH(r, relay_routes, &rl->routes)
		if (r->nconn == 0 && (old == NULL ||
		    relay_show_route_expiry(r) < relay_show_route_expiry(old)))
			old = r;
	/* all in use: bounded by the sessions, let it grow */
	if (old != NULL)
		relay_route_free(rl, old);
}

/* The role stops (after every session was freed). */
void
relay_route_free_all(struct relay *rl)
{
	struct relay_route *r;

	while ((r = RB_ROOT(&rl->routes)) != NULL)
		relay_route_free(rl, r);
}

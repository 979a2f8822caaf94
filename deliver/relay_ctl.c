/*
 * relay_ctl.c: the relay role's smtpctl commands (IMSG_CTL_REQUEST from
 * the control role, which authorised them; smtpd/ctl_msg.h):
 *   show routes, show hosts, show relays, show hoststats: the lines of
 *     relay_show.c, made at once from the role's state into one buffer
 *     and streamed as data frames of at most CTL_DATA_MAX bytes, whole
 *     lines, never more than CTL_WINDOW unacknowledged (IMSG_CTL_ACK),
 *     then an empty frame with `last` set;
 *   resume route ID: the route enabled, its penalty forgotten; CTL_OK,
 *     or CTL_FAIL "no such route" for an id that is not (or no longer)
 *     in the table.
 * Also keeps show hoststats' table: each recipient domain's last outcome
 * (relay_rcpt_done()), at most RELAY_HOSTSTAT_MAX domains, the oldest
 * replaced, shown for RELAY_HOSTSTAT_AGE. A malformed request closes the
 * channel (-1); nothing here blocks or changes a delivery but resume.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/relay.h"
#include "deliver/relay_show.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/role.h"

#define RELAY_CTL_ROUTEID_MAX	19	/* decimal digits of a route id */

/* The lines of one show command on their way to the control role. */
struct relay_ctl_stream {
	TAILQ_ENTRY(relay_ctl_stream)	 entry;
	uint32_t			 reqid;
	struct buf			 text;
	size_t				 unacked;
};
TAILQ_HEAD(relay_ctl_list, relay_ctl_stream);

/* show hosts: the routes of one address. */
struct relay_ctl_host {
	const struct relay_route	*first;
	size_t				 refcount;
	size_t				 nconn;
	time_t				 lastconn;
};

static void	relay_ctl_frame(struct relay *, uint32_t, const uint8_t *,
		    size_t, int);
static void	relay_ctl_pump(struct relay *, struct relay_ctl_stream *);
static void	relay_ctl_resume(struct relay *, uint32_t, const char *);
static void	relay_ctl_routes(struct relay *, struct buf *, time_t);
static void	relay_ctl_hosts(struct relay *, struct buf *, time_t);
static void	relay_ctl_relays(struct relay *, struct buf *, time_t);
static void	relay_ctl_hoststats(struct relay *, struct buf *, time_t);
static int	relay_ctl_id_cmp(const void *, const void *);
static int	relay_ctl_addr_cmp(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static int	relay_ctl_host_cmp(const void *, const void *);
static int	relay_ctl_hoststat_cmp(const void *, const void *);

void
relay_ctl_init(struct relay *rl)
{
	rl->ctl = xcalloc(1, sizeof(*rl->ctl));
	TAILQ_INIT(rl->ctl);
	rl->hoststat = xcalloc(RELAY_HOSTSTAT_MAX, sizeof(*rl->hoststat));
}

/* ------------------------------------------------------------ frames */

static void
relay_ctl_frame(struct relay *rl, uint32_t reqid, const uint8_t *data,
    size_t len, int last)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = CTL_OK;
	rep.last = last;
	rep.data = len > 0 ? data : NULL;
	rep.datalen = len;
	(void)role_ctl_reply(rl->role, reqid, &rep, -1);
}

/*
 * As many whole-line frames as the window allows; the rest waits for
 * acknowledgements. The last bytes go with `last` set (an empty output:
 * one empty frame), and the stream is freed.
 */
static void
relay_ctl_pump(struct relay *rl, struct relay_ctl_stream *st)
{
	const uint8_t *p, *nl;
	size_t avail, n;

	for (;;) {
		avail = buf_avail(&st->text);
		p = buf_head(&st->text);
		n = avail;
		if (n > CTL_DATA_MAX) {
			n = CTL_DATA_MAX;
			for (nl = p + n; nl > p && nl[-1] != '\n'; nl--)
				;
			if (nl > p)
				n = (size_t)(nl - p);
		}
		if (n < avail && st->unacked >= CTL_WINDOW)
			return;
		relay_ctl_frame(rl, st->reqid, p, n, n == avail);
		if (n == avail) {
			TAILQ_REMOVE(rl->ctl, st, entry);
			buf_free(&st->text);
			free(st);
			return;
		}
		buf_consume(&st->text, n);
		st->unacked++;
	}
}

/* IMSG_CTL_ACK: a frame reached its client (late ones are ignored). */
int
relay_ctl_ack(struct relay *rl, struct ipc_msg *m)
{
	struct relay_ctl_stream *st;

	TAILQ_FOREACH(st, rl->ctl, entry)
		if (st->reqid == m->reqid)
			break;
	if (st == NULL || st->unacked == 0)
		return 0;
	st->unacked--;
	relay_ctl_pump(rl, st);
	return 0;
}

/* The control role is gone: nobody to stream to. */
void
relay_ctl_lost(struct relay *rl)
{
	struct relay_ctl_stream *st;

	if (rl->ctl == NULL)
		return;
	while ((st = TAILQ_FIRST(rl->ctl)) != NULL) {
		TAILQ_REMOVE(rl->ctl, st, entry);
		buf_free(&st->text);
		free(st);
	}
}

/* ------------------------------------------------------------ requests */

int
relay_ctl_request(struct relay *rl, struct ipc_msg *m)
{
	struct ctl_request req;
	struct relay_ctl_stream *st;
	time_t now = time(NULL);

	if (ctl_request_decode(m->data, m->len, &req) == -1) {
		log_warnx("relay event=control error=\"malformed request\"");
		return -1;
	}
	if (req.cmd == CTL_RESUME_ROUTE) {
		relay_ctl_resume(rl, m->reqid, req.arg);
		return 0;
	}
	if (req.cmd != CTL_SHOW_ROUTES && req.cmd != CTL_SHOW_HOSTS &&
	    req.cmd != CTL_SHOW_RELAYS && req.cmd != CTL_SHOW_HOSTSTATS) {
		role_ctl_status(rl->role, m->reqid, CTL_FAIL,
		    "not a command of the relay process");
		return 0;
	}
	st = xcalloc(1, sizeof(*st));
	st->reqid = m->reqid;
	buf_init(&st->text);
	relay_route_gc(rl, now);
	switch (req.cmd) {
	case CTL_SHOW_ROUTES:
		relay_ctl_routes(rl, &st->text, now);
		break;
	case CTL_SHOW_HOSTS:
		relay_ctl_hosts(rl, &st->text, now);
		break;
	case CTL_SHOW_RELAYS:
		relay_ctl_relays(rl, &st->text, now);
		break;
	default:
		relay_ctl_hoststats(rl, &st->text, now);
		break;
	}
	TAILQ_INSERT_TAIL(rl->ctl, st, entry);
	relay_ctl_pump(rl, st);
	return 0;
}

/* resume route ID: ID in decimal, as show routes prints it. */
static void
relay_ctl_resume(struct relay *rl, uint32_t reqid, const char *arg)
{
	struct relay_route *r = NULL;
	size_t n = strspn(arg, "0123456789");

	if (n > 0 && n <= RELAY_CTL_ROUTEID_MAX && arg[n] == '\0')
		r = relay_route_find_id(rl, strtoull(arg, NULL, 10));
	if (r == NULL) {
		role_ctl_status(rl->role, reqid, CTL_FAIL, "no such route");
		return;
	}
	relay_route_resume(r);
	role_ctl_status(rl->role, reqid, CTL_OK, "");
}

/* ------------------------------------------------------------ shows */

static int
relay_ctl_id_cmp(const void *a, const void *b)
{
	const struct relay_route *x = *(const struct relay_route *const *)a;
	const struct relay_route *y = *(const struct relay_route *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Family, then the address bytes; the port is not compared. */
static int
relay_ctl_addr_cmp(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return a->ss_family < b->ss_family ? -1 : 1;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr));
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr));
	return 0;
}

static int
relay_ctl_host_cmp(const void *a, const void *b)
{
	const struct relay_ctl_host *x = a, *y = b;

	return relay_ctl_addr_cmp(&x->first->ss, &y->first->ss);
}

/* show routes, in id order, K from the idle sessions. */
static void
relay_ctl_routes(struct relay *rl, struct buf *out, time_t now)
{
	struct relay_route *r, **v;
	struct relay_dest *d;
	struct relay_conn *c;
	size_t i, n = 0;

	RB_FOREACH(r, relay_routes, &rl->routes)
		r->idle = 0;
	RB_FOREACH(d, relay_dests, &rl->dests)
		TAILQ_FOREACH(c, &d->conns, entry)
			if (c->ready && !c->busy && !c->quitting)
				c->route->idle = 1;
	v = xreallocarray(NULL, rl->nroutes + 1, sizeof(*v));
	RB_FOREACH(r, relay_routes, &rl->routes)
		v[n++] = r;
	qsort(v, n, sizeof(*v), relay_ctl_id_cmp);
	for (i = 0; i < n; i++)
		relay_show_route(out, v[i], now);
	free(v);
}

/* show hosts: the routes gathered by address, in address order. */
static void
relay_ctl_hosts(struct relay *rl, struct buf *out, time_t now)
{
	struct relay_ctl_host *h;
	struct relay_route *r;
	char addr[INET6_ADDRSTRLEN + 1];
	size_t i, n = 0;

	h = xcalloc(rl->nroutes + 1, sizeof(*h));
	RB_FOREACH(r, relay_routes, &rl->routes) {
		for (i = 0; i < n; i++)
			if (relay_ctl_addr_cmp(&h[i].first->ss, &r->ss) == 0)
				break;
		if (i == n)
			h[n++].first = r;
		h[i].refcount++;
		h[i].nconn += r->nconn;
		if (r->lastconn > h[i].lastconn)
			h[i].lastconn = r->lastconn;
	}
	qsort(h, n, sizeof(*h), relay_ctl_host_cmp);
	for (i = 0; i < n; i++) {
		relay_show_addr(addr, sizeof(addr), &h[i].first->ss);
		relay_show_host(out, addr, h[i].first->host, h[i].refcount,
		    h[i].nconn, h[i].lastconn, now);
	}
	free(h);
}

/* show relays: each destination, in key order, and its connector. */
static void
relay_ctl_relays(struct relay *rl, struct buf *out, time_t now)
{
	const struct relay_env *re, *prev;
	struct relay_dest *d;
	struct relay_conn *c;
	size_t refcount, ntask, i;

	RB_FOREACH(d, relay_dests, &rl->dests) {
		refcount = ntask = 0;
		prev = NULL;
		TAILQ_FOREACH(re, &d->pending, entry) {
			refcount++;
			if (prev == NULL || re->msg != prev->msg)
				ntask++;
			prev = re;
		}
		TAILQ_FOREACH(c, &d->conns, entry)
			if (c->busy)
				for (i = 0; i < c->txn.nrcpt; i++)
					if (c->env[i] != NULL)
						refcount++;
		relay_show_relay(out, d, refcount, ntask, now);
	}
}

static int
relay_ctl_hoststat_cmp(const void *a, const void *b)
{
	const struct relay_hoststat *x, *y;

	x = *(const struct relay_hoststat *const *)a;
	y = *(const struct relay_hoststat *const *)b;

	return strcmp(x->domain, y->domain);
}

/* show hoststats: the domains with an outcome lately, by name. */
static void
relay_ctl_hoststats(struct relay *rl, struct buf *out, time_t now)
{
	struct relay_hoststat **v;
	size_t i, n = 0;

	v = xreallocarray(NULL, RELAY_HOSTSTAT_MAX, sizeof(*v));
	for (i = 0; i < RELAY_HOSTSTAT_MAX; i++)
		if (rl->hoststat[i].when != 0 &&
		    now - rl->hoststat[i].when < RELAY_HOSTSTAT_AGE)
			v[n++] = &rl->hoststat[i];
	qsort(v, n, sizeof(*v), relay_ctl_hoststat_cmp);
	for (i = 0; i < n; i++)
		relay_show_hoststat(out, v[i]);
	free(v);
}

/* A recipient's outcome: its domain's last status (lower case). */
void
relay_hoststat_update(struct relay *rl, const char *domain, const char *text)
{
	struct relay_hoststat *h, *use = NULL;
	char name[RELAY_DNS_NAME_MAX + 1];
	size_t i;

	for (i = 0; domain[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)tolower((unsigned char)domain[i]);
	name[i] = '\0';
	for (i = 0; i < RELAY_HOSTSTAT_MAX; i++) {
		h = &rl->hoststat[i];
		if (h->when != 0 && strcmp(h->domain, name) == 0) {
			use = h;
			break;
		}
		if (use == NULL || h->when < use->when)
			use = h;
	}
	strlcpy(use->domain, name, sizeof(use->domain));
	strlcpy(use->text, text, sizeof(use->text));
	use->when = time(NULL);
}

/*
 * relay_dns.c: the relay role's resolver (deliver/relay_dns.h,
 * protocol.md B.2): libunbound on the role's libev loop (lib/ubev.c),
 * the MX question, then AAAA and A for every host at once; the reading,
 * ordering and cutting in deliver/relay_mx.c. A query moves on from a
 * zero-delay timer, never from inside libunbound's callback, and calls
 * its owner back from that timer only: never from inside relay_dns_mx()
 * or relay_dns_host(), never with libunbound on the stack. Every query
 * has a deadline. Never calls fatal() on a DNS answer.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <unbound.h>
#include <unbound-event.h>

#include "ctl/spfwalk_packet.h"
#include "deliver/relay_dns.h"
#include "deliver/relay_mx.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/ubev.h"
#include "lib/xmalloc.h"

#define RELAY_DNS_TIMEOUT	60.	/* seconds, a whole query */
#define RELAY_DNS_ERR_MAX	256
#define RELAY_DNS_SUB_MAX	(1 + 2 * RELAY_MX_LOOKUP_MAX)	/* MX, AAAA+A */

enum relay_dns_phase {
	RELAY_DNS_START,
	RELAY_DNS_ASK_MX,
	RELAY_DNS_ASK_ADDRS,
	RELAY_DNS_DONE,
};

/* One question to libunbound. */
struct relay_dns_sub {
	struct relay_dns_query	*q;
	size_t			 host;		/* in q->list */
	int			 type;		/* SPFWALK_T_* */
	int			 id;		/* libunbound's, 0: none */
	int			 pending;
};

struct relay_dns_query {
	TAILQ_ENTRY(relay_dns_query) entry;
	struct relay_dns	*dns;
	relay_dns_cb		 cb;
	void			*arg;
	char			 name[RELAY_DNS_NAME_MAX + 1];	/* A-label */
	int			 port;
	int			 mx;		/* relay_dns_mx() */
	int			 nomx;		/* implicit MX or a host */
	enum relay_dns_phase	 phase;
	struct relay_dns_sub	 sub[RELAY_DNS_SUB_MAX];
	size_t			 nsub;
	size_t			 pending;
	ev_timer		 kick;		/* 0 s: the next step */
	ev_timer		 deadline;
	struct relay_mx_list	 list;
	struct relay_dns_result	 res;
};

struct relay_dns {
	struct ev_loop		*loop;
	struct ubev		*ubev;
	char			 servername[RELAY_DNS_NAME_MAX + 1];
	struct sockaddr_storage	*self;
	size_t			 nself;
	double			 timeout;
	TAILQ_HEAD(, relay_dns_query) queries;
};

static struct relay_dns_query *relay_dns_new(struct relay_dns *, int,
		    relay_dns_cb, void *);
static void	relay_dns_kick(struct relay_dns_query *);
static void	relay_dns_step(struct ev_loop *, ev_timer *, int);
static void	relay_dns_expire(struct ev_loop *, ev_timer *, int);
static void	relay_dns_ask(struct relay_dns_query *, size_t, int);
static void	relay_dns_answer(void *, int, void *, int, int, char *, int);
static void	relay_dns_mx_answer(struct relay_dns_query *, int,
		    const void *, int);
static void	relay_dns_addr_answer(struct relay_dns_query *, size_t, int,
		    int, const void *, int);
static void	relay_dns_after_mx(struct relay_dns_query *);
static void	relay_dns_ask_addrs(struct relay_dns_query *);
static void	relay_dns_stop(struct relay_dns_query *);
static uint32_t	relay_dns_random(uint32_t, void *);
static int	relay_dns_rcode(int, const void *, int);

struct relay_dns *
relay_dns_open(struct ev_loop *loop, const char *forwarder, char *err,
    size_t errlen)
{
	struct relay_dns *dns;

	dns = xcalloc(1, sizeof(*dns));
	dns->loop = loop;
	dns->timeout = RELAY_DNS_TIMEOUT;
	TAILQ_INIT(&dns->queries);
	if ((dns->ubev = ubev_open(loop, forwarder, err, errlen)) == NULL) {
		free(dns);
		return NULL;
	}
	return dns;
}

void
relay_dns_set_self(struct relay_dns *dns, const char *servername,
    const struct sockaddr_storage *ss, size_t n)
{
	(void)strlcpy(dns->servername, servername != NULL ? servername : "",
	    sizeof(dns->servername));
	free(dns->self);
	dns->self = NULL;
	dns->nself = 0;
	if (n == 0)
		return;
	dns->self = xreallocarray(NULL, n, sizeof(*dns->self));
	memcpy(dns->self, ss, n * sizeof(*dns->self));
	dns->nself = n;
}

/* The deadline of each query from now on (RELAY_DNS_TIMEOUT). */
void
relay_dns_set_timeout(struct relay_dns *dns, double seconds)
{
	if (seconds > 0)
		dns->timeout = seconds;
}

struct relay_dns_query *
relay_dns_mx(struct relay_dns *dns, const char *domain, int port,
    relay_dns_cb cb, void *arg)
{
	struct relay_dns_query *q;

	if (domain[0] == '[')
		return relay_dns_host(dns, domain, port, cb, arg);
	q = relay_dns_new(dns, port, cb, arg);
	q->mx = 1;
	if (addr_domain_to_ascii(domain, q->name, sizeof(q->name)) != ADDR_OK) {
		relay_mx_fail(&q->res, RELAY_DNS_PERMFAIL, "5.1.2",
		    "Host or domain name not found");
		q->phase = RELAY_DNS_DONE;
	}
	relay_dns_kick(q);
	return q;
}

struct relay_dns_query *
relay_dns_host(struct relay_dns *dns, const char *host, int port,
    relay_dns_cb cb, void *arg)
{
	struct relay_dns_query *q;
	char name[RELAY_DNS_NAME_MAX + 1];

	q = relay_dns_new(dns, port, cb, arg);
	q->nomx = 1;
	if (relay_mx_literal(host, port, name, sizeof(name), &q->res) == 1)
		q->phase = RELAY_DNS_DONE;
	else if (addr_domain_to_ascii(name, q->name, sizeof(q->name)) !=
	    ADDR_OK) {
		relay_mx_fail(&q->res, RELAY_DNS_PERMFAIL, "5.1.2",
		    "Host or domain name not found");
		q->phase = RELAY_DNS_DONE;
	}
	relay_dns_kick(q);
	return q;
}

/* Forgets q: no callback, its questions cancelled. */
void
relay_dns_cancel(struct relay_dns_query *q)
{
	if (q == NULL)
		return;
	relay_dns_stop(q);
	TAILQ_REMOVE(&q->dns->queries, q, entry);
	free(q);
}

/* Every query still running is cancelled: no callback. */
void
relay_dns_close(struct relay_dns *dns)
{
	struct relay_dns_query *q;

	if (dns == NULL)
		return;
	while ((q = TAILQ_FIRST(&dns->queries)) != NULL)
		relay_dns_cancel(q);
	ubev_close(dns->ubev);
	free(dns->self);
	free(dns);
}

/* ------------------------------------------------------------ steps */

static struct relay_dns_query *
relay_dns_new(struct relay_dns *dns, int port, relay_dns_cb cb, void *arg)
{
	struct relay_dns_query *q;

	q = xcalloc(1, sizeof(*q));
	q->dns = dns;
	q->cb = cb;
	q->arg = arg;
	q->port = port;
	q->phase = RELAY_DNS_START;
	ev_timer_init(&q->kick, relay_dns_step, 0., 0.);
	q->kick.data = q;
	ev_timer_init(&q->deadline, relay_dns_expire, dns->timeout, 0.);
	q->deadline.data = q;
	ev_timer_start(dns->loop, &q->deadline);
	TAILQ_INSERT_TAIL(&dns->queries, q, entry);
	return q;
}

/* The next step from the loop (starting an active timer does nothing). */
static void
relay_dns_kick(struct relay_dns_query *q)
{
	ev_timer_start(q->dns->loop, &q->kick);
}

static void
relay_dns_step(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_dns_query *q = w->data;

	(void)loop;
	(void)revents;
	if (q->pending > 0)
		return;		/* a later answer kicks again */
	switch (q->phase) {
	case RELAY_DNS_START:
		if (q->mx) {
			q->phase = RELAY_DNS_ASK_MX;
			relay_dns_ask(q, 0, SPFWALK_T_MX);
		} else {
			relay_mx_implicit(&q->list, q->name);
			relay_dns_ask_addrs(q);
		}
		break;
	case RELAY_DNS_ASK_MX:
		relay_dns_after_mx(q);
		break;
	case RELAY_DNS_ASK_ADDRS:
		/* own-MX rule for MX (implicit too); a named host is asked for */
		if (q->mx)
			(void)relay_mx_cut(&q->list, q->dns->servername,
			    q->dns->self, q->dns->nself);
		relay_mx_result(&q->list, q->name, q->port, q->nomx, &q->res);
		q->phase = RELAY_DNS_DONE;
		break;
	case RELAY_DNS_DONE:
		break;
	}
	if (q->phase != RELAY_DNS_DONE) {
		if (q->pending == 0)
			relay_dns_kick(q);
		return;
	}
	relay_dns_stop(q);
	TAILQ_REMOVE(&q->dns->queries, q, entry);
	q->cb(&q->res, q->arg);
	free(q);
}

/* The MX answer read: fail, or the hosts' addresses asked. */
static void
relay_dns_after_mx(struct relay_dns_query *q)
{
	if (q->res.status != RELAY_DNS_OK) {
		q->phase = RELAY_DNS_DONE;	/* the MX lookup failed */
		return;
	}
	if (q->list.null) {
		relay_mx_fail(&q->res, RELAY_DNS_PERMFAIL, "5.1.10",
		    "Recipient address has null MX");
		q->phase = RELAY_DNS_DONE;
		return;
	}
	if (q->list.null_mixed)
		log_warnx("relay: %s: null MX beside other MX records "
		    "ignored", q->name);
	if (q->list.n == 0) {
		relay_mx_implicit(&q->list, q->name);
		q->nomx = 1;
	}
	relay_mx_sort(&q->list, relay_dns_random, NULL);
	(void)relay_mx_cut(&q->list, q->dns->servername, NULL, 0);
	if (q->list.n == 0) {
		relay_mx_result(&q->list, q->name, q->port, q->nomx, &q->res);
		q->phase = RELAY_DNS_DONE;
		return;
	}
	relay_dns_ask_addrs(q);
}

/* AAAA and A of the first RELAY_MX_LOOKUP_MAX hosts, all at once. */
static void
relay_dns_ask_addrs(struct relay_dns_query *q)
{
	size_t i;

	if (q->list.n > RELAY_MX_LOOKUP_MAX)
		q->list.n = RELAY_MX_LOOKUP_MAX;
	q->phase = RELAY_DNS_ASK_ADDRS;
	for (i = 0; i < q->list.n; i++) {
		relay_dns_ask(q, i, SPFWALK_T_AAAA);
		relay_dns_ask(q, i, SPFWALK_T_A);
	}
}

/* The deadline: every question cancelled, a temporary failure. */
static void
relay_dns_expire(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_dns_query *q = w->data;

	(void)loop;
	(void)revents;
	relay_dns_stop(q);
	relay_mx_fail(&q->res, RELAY_DNS_TEMPFAIL, "4.4.3",
	    "DNS lookup for %s timed out", q->name);
	q->phase = RELAY_DNS_DONE;
	q->pending = 0;
	relay_dns_kick(q);
}

/* Timers stopped, questions still out cancelled. */
static void
relay_dns_stop(struct relay_dns_query *q)
{
	struct relay_dns_sub *s;
	size_t i;

	ev_timer_stop(q->dns->loop, &q->kick);
	ev_timer_stop(q->dns->loop, &q->deadline);
	for (i = 0; i < q->nsub; i++) {
		s = &q->sub[i];
		if (s->pending && s->id != 0)
			(void)ub_cancel(ubev_ctx(q->dns->ubev), s->id);
		s->pending = 0;
	}
}

static uint32_t
relay_dns_random(uint32_t bound, void *arg)
{
	(void)arg;
	return arc4random_uniform(bound);
}

/* ------------------------------------------------------------ questions */

/* One question; its answer may come before this returns. */
static void
relay_dns_ask(struct relay_dns_query *q, size_t host, int type)
{
	struct relay_dns_sub *s;
	const char *name = type == SPFWALK_T_MX ? q->name :
	    q->list.host[host].name;
	int id = 0;

	if (q->nsub >= RELAY_DNS_SUB_MAX)
		return;		/* RELAY_DNS_SUB_MAX covers every ask */
	s = &q->sub[q->nsub++];
	s->q = q;
	s->host = host;
	s->type = type;
	s->pending = 1;
	q->pending++;
	if (ub_resolve_event(ubev_ctx(q->dns->ubev), name, type,
	    UBEV_CLASS_IN, s, relay_dns_answer, &id) != 0) {
		relay_dns_answer(s, 2 /* SERVFAIL */, NULL, 0, 0, NULL, 0);
		return;
	}
	if (s->pending)
		s->id = id;
}

/* ub_event_callback_type: never calls the owner, kicks at most. */
static void
relay_dns_answer(void *arg, int rcode, void *packet, int len, int sec,
    char *why_bogus, int ratelimited)
{
	struct relay_dns_sub *s = arg;
	struct relay_dns_query *q = s->q;

	(void)why_bogus;
	(void)ratelimited;
	if (!s->pending)
		return;
	s->pending = 0;
	s->id = 0;
	q->pending--;
	rcode = relay_dns_rcode(rcode, packet, len);
	if (sec == UBEV_SEC_BOGUS)
		rcode = 2;	/* SERVFAIL, as a validating server says */
	if (s->type == SPFWALK_T_MX)
		relay_dns_mx_answer(q, rcode, packet, len);
	else
		relay_dns_addr_answer(q, s->host, s->type, rcode, packet, len);
	if (q->pending == 0)
		relay_dns_kick(q);
}

/*
 * The response code: libunbound passes NOERROR with the answers of its
 * local zones (e.g. an NXDOMAIN for .test), the message has the real one.
 */
static int
relay_dns_rcode(int rcode, const void *packet, int len)
{
	if (rcode == 0 && packet != NULL && len >= 4)
		return ((const uint8_t *)packet)[3] & 0x0f;
	return rcode;
}

static void
relay_dns_mx_answer(struct relay_dns_query *q, int rcode, const void *packet,
    int len)
{
	if (rcode == UBEV_RCODE_NXDOMAIN)
		relay_mx_fail(&q->res, RELAY_DNS_PERMFAIL, "5.1.2",
		    "Host or domain name not found");
	else if (rcode != 0)
		relay_mx_fail(&q->res, RELAY_DNS_TEMPFAIL, "4.4.3",
		    "DNS lookup for %s MX failed: %s", q->name,
		    spfwalk_packet_rcode(rcode));
	else if (packet == NULL || len < 0 ||
	    relay_mx_parse(packet, (size_t)len, &q->list) == -1)
		relay_mx_fail(&q->res, RELAY_DNS_TEMPFAIL, "4.4.3",
		    "DNS lookup for %s MX failed: malformed answer", q->name);
}

static void
relay_dns_addr_answer(struct relay_dns_query *q, size_t host, int type,
    int rcode, const void *packet, int len)
{
	struct relay_mx_host *h = &q->list.host[host];
	int family = type == SPFWALK_T_AAAA ? AF_INET6 : AF_INET;
	enum relay_mx_lookup *st = family == AF_INET6 ? &h->st6 : &h->st4;

	if (rcode == UBEV_RCODE_NXDOMAIN)
		*st = RELAY_MX_NONE;
	else if (rcode != 0 || packet == NULL || len < 0)
		*st = RELAY_MX_TEMP;
	else
		(void)relay_mx_addrs(packet, (size_t)len, family, h);
}

/*
 * spfwalk_unbound.c: the resolver of `smtpctl spf walk` (ctl/spfwalk.c):
 * libunbound driven by a libev loop of its own through libunbound's
 * pluggable event API (unbound-event.h: ub_ctx_create_ub_event,
 * ub_resolve_event), no thread and no process of libunbound's.
 *
 * Why not ub_ctx_create() and ub_resolve_async(): libunbound is built on
 * libevent, and libev exports libevent's event_* names too; in a program
 * linked with libev, libunbound's own loop binds to libev's emulation
 * and corrupts the heap. Through the pluggable API libunbound calls only
 * the functions of the table below, which are libev's native ones.
 *
 * By default the system's resolvers (resolv.conf) and hosts file;
 * SMTPCTL_RESOLVER="ADDRESS[@PORT]" forwards every query to that server
 * only, loopback allowed, iterator only (no DNSSEC validation): a testing
 * and debugging knob (t/83-spfwalk.t answers from a fake server). No
 * trust anchor is configured, so no answer is ever validated.
 */
#include <arpa/inet.h>
#include <sys/time.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <unbound.h>
#include <unbound-event.h>

#include "ctl/spfwalk.h"
#include "lib/xmalloc.h"

#define SPFWALK_RESOLVER_MAX	(INET6_ADDRSTRLEN + 8)	/* addr@port */
#define SPFWALK_UB_CLASS_IN	1
#define SPFWALK_UB_BOGUS	1	/* sec: 0 insecure, 1 bogus, 2 secure */

/* libunbound's event base on a libev loop. */
struct spfwalk_evbase {
	struct ub_event_base	 base;	/* first: libunbound's handle */
	struct ev_loop		*loop;
};

/* One libunbound event: a descriptor, a timeout, or both. */
struct spfwalk_ev {
	struct ub_event		 ev;	/* first: libunbound's handle */
	struct spfwalk_evbase	*b;
	int			 fd;
	short			 bits;	/* UB_EV_READ, _WRITE, _PERSIST */
	void			(*cb)(int, short, void *);
	void			*arg;
	ev_io			 io;
	ev_timer		 timer;
	ev_tstamp		 timeout;	/* > 0: armed with a timeout */
};

struct spfwalk_ub {
	struct spfwalk_dns	 dns;	/* first: the table is the handle */
	struct spfwalk_evbase	 evbase;
	struct ub_ctx		*ctx;
	size_t			 outstanding;
};

struct spfwalk_ubq {
	struct spfwalk_ub	*ub;
	int			 type;
	spfwalk_dns_cb		 cb;
	void			*arg;
};

static void	spfwalk_ev_io(struct ev_loop *, ev_io *, int);
static void	spfwalk_ev_timer(struct ev_loop *, ev_timer *, int);
static void	spfwalk_ev_add_bits(struct ub_event *, short);
static void	spfwalk_ev_del_bits(struct ub_event *, short);
static void	spfwalk_ev_set_fd(struct ub_event *, int);
static void	spfwalk_ev_free(struct ub_event *);
static int	spfwalk_ev_add(struct ub_event *, struct timeval *);
static int	spfwalk_ev_del(struct ub_event *);
static int	spfwalk_ev_add_timer(struct ub_event *, struct ub_event_base *,
		    void (*)(int, short, void *), void *, struct timeval *);
static int	spfwalk_ev_del_timer(struct ub_event *);
static int	spfwalk_ev_signal(struct ub_event *, struct timeval *);
static int	spfwalk_ev_del_signal(struct ub_event *);
static void	spfwalk_ev_wsa_unregister(struct ub_event *);
static void	spfwalk_ev_wsa_block(struct ub_event *, int);
static void	spfwalk_evbase_free(struct ub_event_base *);
static int	spfwalk_evbase_dispatch(struct ub_event_base *);
static int	spfwalk_evbase_loopexit(struct ub_event_base *,
		    struct timeval *);
static struct ub_event *spfwalk_evbase_new_event(struct ub_event_base *,
		    int, short, void (*)(int, short, void *), void *);
static struct ub_event *spfwalk_evbase_new_signal(struct ub_event_base *,
		    int, void (*)(int, short, void *), void *);
static struct ub_event *spfwalk_evbase_wsa_register(struct ub_event_base *,
		    void *, void (*)(int, short, void *), void *);
static int	spfwalk_ub_forwarder(const char *);
static int	spfwalk_ub_query(struct spfwalk_dns *, const char *, int,
		    spfwalk_dns_cb, void *);
static void	spfwalk_ub_done(void *, int, void *, int, int, char *, int);
static int	spfwalk_ub_run(struct spfwalk_dns *);
static void	spfwalk_ub_close(struct spfwalk_dns *);

static struct ub_event_vmt spfwalk_ev_vmt = {
	spfwalk_ev_add_bits, spfwalk_ev_del_bits, spfwalk_ev_set_fd,
	spfwalk_ev_free, spfwalk_ev_add, spfwalk_ev_del,
	spfwalk_ev_add_timer, spfwalk_ev_del_timer, spfwalk_ev_signal,
	spfwalk_ev_del_signal, spfwalk_ev_wsa_unregister,
	spfwalk_ev_wsa_block,
};

static struct ub_event_base_vmt spfwalk_evbase_vmt = {
	spfwalk_evbase_free, spfwalk_evbase_dispatch, spfwalk_evbase_loopexit,
	spfwalk_evbase_new_event, spfwalk_evbase_new_signal,
	spfwalk_evbase_wsa_register,
};

/* ------------------------------------------------ libev under libunbound */

/*
 * libevent's semantics: an event without UB_EV_PERSIST fires once and is
 * then inactive; a persistent one with a timeout has it restarted. The
 * callback is the last use of e: libunbound may free e in it.
 */
static void
spfwalk_ev_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct spfwalk_ev *e = w->data;
	short fired = 0;

	if (revents & EV_READ)
		fired |= UB_EV_READ;
	if (revents & EV_WRITE)
		fired |= UB_EV_WRITE;
	if (!(e->bits & UB_EV_PERSIST)) {
		ev_io_stop(loop, &e->io);
		ev_timer_stop(loop, &e->timer);
	} else if (e->timeout > 0) {
		ev_timer_stop(loop, &e->timer);
		ev_timer_set(&e->timer, e->timeout, 0.);
		ev_timer_start(loop, &e->timer);
	}
	e->cb(e->fd, fired, e->arg);
}

static void
spfwalk_ev_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct spfwalk_ev *e = w->data;

	(void)revents;
	if (!(e->bits & UB_EV_PERSIST))
		ev_io_stop(loop, &e->io);
	e->cb(e->fd, UB_EV_TIMEOUT, e->arg);
}

static void
spfwalk_ev_add_bits(struct ub_event *ev, short bits)
{
	((struct spfwalk_ev *)ev)->bits |= bits;
}

static void
spfwalk_ev_del_bits(struct ub_event *ev, short bits)
{
	((struct spfwalk_ev *)ev)->bits &= (short)~bits;
}

static void
spfwalk_ev_set_fd(struct ub_event *ev, int fd)
{
	((struct spfwalk_ev *)ev)->fd = fd;
}

static void
spfwalk_ev_free(struct ub_event *ev)
{
	if (ev == NULL)
		return;
	spfwalk_ev_del(ev);
	free(ev);
}

static int
spfwalk_ev_add(struct ub_event *ev, struct timeval *tv)
{
	struct spfwalk_ev *e = (struct spfwalk_ev *)ev;
	int what = 0;

	spfwalk_ev_del(ev);
	if (e->bits & UB_EV_READ)
		what |= EV_READ;
	if (e->bits & UB_EV_WRITE)
		what |= EV_WRITE;
	if (e->fd >= 0 && what != 0) {
		ev_io_set(&e->io, e->fd, what);
		ev_io_start(e->b->loop, &e->io);
	}
	if (tv != NULL) {
		e->timeout = (ev_tstamp)tv->tv_sec +
		    (ev_tstamp)tv->tv_usec / 1e6;
		if (e->timeout <= 0)
			e->timeout = 1e-6;
		ev_timer_set(&e->timer, e->timeout, 0.);
		ev_timer_start(e->b->loop, &e->timer);
	}
	return 0;
}

static int
spfwalk_ev_del(struct ub_event *ev)
{
	struct spfwalk_ev *e = (struct spfwalk_ev *)ev;

	ev_io_stop(e->b->loop, &e->io);
	ev_timer_stop(e->b->loop, &e->timer);
	e->timeout = 0;
	return 0;
}

static int
spfwalk_ev_add_timer(struct ub_event *ev, struct ub_event_base *base,
    void (*cb)(int, short, void *), void *arg, struct timeval *tv)
{
	struct spfwalk_ev *e = (struct spfwalk_ev *)ev;

	(void)base;
	spfwalk_ev_del(ev);
	e->fd = -1;
	e->bits = 0;
	e->cb = cb;
	e->arg = arg;
	return spfwalk_ev_add(ev, tv);
}

static int
spfwalk_ev_del_timer(struct ub_event *ev)
{
	return spfwalk_ev_del(ev);
}

/* Signals and winsock: never asked of a library context. */
static int
spfwalk_ev_signal(struct ub_event *ev, struct timeval *tv)
{
	(void)ev;
	(void)tv;
	return -1;
}

static int
spfwalk_ev_del_signal(struct ub_event *ev)
{
	(void)ev;
	return 0;
}

static void
spfwalk_ev_wsa_unregister(struct ub_event *ev)
{
	(void)ev;
}

static void
spfwalk_ev_wsa_block(struct ub_event *ev, int bits)
{
	(void)ev;
	(void)bits;
}

/* The base is spfwalk_ub's own and freed with it. */
static void
spfwalk_evbase_free(struct ub_event_base *base)
{
	(void)base;
}

static int
spfwalk_evbase_dispatch(struct ub_event_base *base)
{
	ev_run(((struct spfwalk_evbase *)base)->loop, 0);
	return 0;
}

static int
spfwalk_evbase_loopexit(struct ub_event_base *base, struct timeval *tv)
{
	(void)tv;
	ev_break(((struct spfwalk_evbase *)base)->loop, EVBREAK_ONE);
	return 0;
}

static struct ub_event *
spfwalk_evbase_new_event(struct ub_event_base *base, int fd, short bits,
    void (*cb)(int, short, void *), void *arg)
{
	struct spfwalk_ev *e;

	e = xcalloc(1, sizeof(*e));
	e->ev.magic = UB_EVENT_MAGIC;
	e->ev.vmt = &spfwalk_ev_vmt;
	e->b = (struct spfwalk_evbase *)base;
	e->fd = fd;
	e->bits = bits;
	e->cb = cb;
	e->arg = arg;
	ev_io_init(&e->io, spfwalk_ev_io, 0, 0);
	e->io.data = e;
	ev_timer_init(&e->timer, spfwalk_ev_timer, 0., 0.);
	e->timer.data = e;
	return &e->ev;
}

static struct ub_event *
spfwalk_evbase_new_signal(struct ub_event_base *base, int fd,
    void (*cb)(int, short, void *), void *arg)
{
	(void)base;
	(void)fd;
	(void)cb;
	(void)arg;
	return NULL;
}

static struct ub_event *
spfwalk_evbase_wsa_register(struct ub_event_base *base, void *wsaevent,
    void (*cb)(int, short, void *), void *arg)
{
	(void)base;
	(void)wsaevent;
	(void)cb;
	(void)arg;
	return NULL;
}

/* ------------------------------------------------------------ resolver */

/* "ADDRESS" or "ADDRESS@PORT", an IPv4 or IPv6 literal: 0, or -1. */
static int
spfwalk_ub_forwarder(const char *spec)
{
	char addr[SPFWALK_RESOLVER_MAX];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *at, *p;
	size_t alen;
	long port = 0;

	at = strchr(spec, '@');
	alen = at != NULL ? (size_t)(at - spec) : strlen(spec);
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, spec, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return -1;
	if (at == NULL)
		return 0;
	for (p = at + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || port > 65535)
			return -1;
		port = port * 10 + (*p - '0');
	}
	return p > at + 1 && port >= 1 && port <= 65535 ? 0 : -1;
}

/* The resolver; NULL after a message on stderr. */
struct spfwalk_dns *
spfwalk_unbound_open(const char *forwarder)
{
	struct spfwalk_ub *ub;
	int r = 0;

	if (forwarder != NULL && spfwalk_ub_forwarder(forwarder) == -1) {
		fprintf(stderr, "smtpctl: spf walk: SMTPCTL_RESOLVER: not "
		    "ADDRESS[@PORT]: %s\n", forwarder);
		return NULL;
	}
	ub = xcalloc(1, sizeof(*ub));
	ub->dns.query = spfwalk_ub_query;
	ub->dns.run = spfwalk_ub_run;
	ub->dns.close = spfwalk_ub_close;
	ub->evbase.base.magic = UB_EVENT_MAGIC;
	ub->evbase.base.vmt = &spfwalk_evbase_vmt;
	if ((ub->evbase.loop = ev_loop_new(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "smtpctl: spf walk: cannot create an event "
		    "loop\n");
		free(ub);
		return NULL;
	}
	if ((ub->ctx = ub_ctx_create_ub_event(&ub->evbase.base)) == NULL) {
		fprintf(stderr, "smtpctl: spf walk: cannot create the "
		    "resolver\n");
		goto fail;
	}
	if (forwarder != NULL) {
		if ((r = ub_ctx_set_option(ub->ctx, "do-not-query-localhost:",
		    "no")) != 0 ||
		    (r = ub_ctx_set_option(ub->ctx, "module-config:",
		    "iterator")) != 0 ||
		    (r = ub_ctx_set_fwd(ub->ctx, forwarder)) != 0) {
			fprintf(stderr, "smtpctl: spf walk: resolver: %s\n",
			    ub_strerror(r));
			goto fail;
		}
	} else {
		/* without resolv.conf, libunbound recurses from the root */
		(void)ub_ctx_resolvconf(ub->ctx, NULL);
		(void)ub_ctx_hosts(ub->ctx, NULL);
	}
	return &ub->dns;

fail:
	if (ub->ctx != NULL)
		ub_ctx_delete(ub->ctx);
	ev_loop_destroy(ub->evbase.loop);
	free(ub);
	return NULL;
}

static int
spfwalk_ub_query(struct spfwalk_dns *dns, const char *name, int type,
    spfwalk_dns_cb cb, void *arg)
{
	struct spfwalk_ub *ub = (struct spfwalk_ub *)dns;
	struct spfwalk_ubq *q;

	q = xmalloc(sizeof(*q));
	q->ub = ub;
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	ub->outstanding++;
	/* q may be answered and freed before this returns */
	if (ub_resolve_event(ub->ctx, name, type, SPFWALK_UB_CLASS_IN, q,
	    spfwalk_ub_done, NULL) != 0) {
		ub->outstanding--;
		free(q);
		return -1;
	}
	return 0;
}

/* ub_event_callback_type: the answer as a DNS message. */
static void
spfwalk_ub_done(void *arg, int rcode, void *packet, int len, int sec,
    char *why_bogus, int ratelimited)
{
	struct spfwalk_ubq *q = arg;
	struct spfwalk_answer a;

	(void)ratelimited;
	memset(&a, 0, sizeof(a));
	if (sec == SPFWALK_UB_BOGUS) {
		a.status = SPFWALK_DNS_TEMPFAIL;
		a.why = why_bogus != NULL ? why_bogus : "DNSSEC bogus";
	} else if (rcode == 3) {
		a.status = SPFWALK_DNS_NXDOMAIN;
	} else if (rcode != 0) {
		a.status = SPFWALK_DNS_TEMPFAIL;
		a.why = spfwalk_packet_rcode(rcode);
	} else if (packet == NULL || len < 0 ||
	    spfwalk_packet_parse(packet, (size_t)len, q->type, &a) == -1) {
		memset(&a, 0, sizeof(a));
		a.status = SPFWALK_DNS_TEMPFAIL;
		a.why = "malformed answer";
	}
	q->ub->outstanding--;
	q->cb(q->arg, &a);
	free(q);
}

/* Run the loop until every query was answered; 0, or -1. */
static int
spfwalk_ub_run(struct spfwalk_dns *dns)
{
	struct spfwalk_ub *ub = (struct spfwalk_ub *)dns;

	while (ub->outstanding > 0)
		if (!ev_run(ub->evbase.loop, EVRUN_ONCE) &&
		    ub->outstanding > 0)
			return -1;	/* nothing left to wait for */
	return 0;
}

static void
spfwalk_ub_close(struct spfwalk_dns *dns)
{
	struct spfwalk_ub *ub = (struct spfwalk_ub *)dns;

	ub_ctx_delete(ub->ctx);
	ev_loop_destroy(ub->evbase.loop);
	free(ub);
}

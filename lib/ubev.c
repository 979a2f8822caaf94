/*
 * ubev.c: libunbound driven by a libev loop through libunbound's
 * pluggable event API (unbound-event.h: ub_ctx_create_ub_event,
 * ub_resolve_event), no thread and no process of libunbound's. Used by
 * `smtpctl spf walk` and the relay role's resolver.
 *
 * Why not ub_ctx_create() and ub_resolve_async(): libunbound is built on
 * libevent, and libev exports libevent's event_* names too; in a program
 * linked with libev, libunbound's own loop binds to libev's emulation
 * and corrupts the heap. Through the pluggable API libunbound calls only
 * the functions of the table below, which are libev's native ones.
 *
 * By default the system's resolvers (resolv.conf) and hosts file; a
 * forwarder "ADDRESS[@PORT]" sends every query to that server only,
 * loopback allowed, iterator only (no DNSSEC validation): `mta resolver`
 * and the tests' fake servers. No trust anchor is configured, so no
 * answer is ever validated. Must never call fatal() on a DNS answer.
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

#include "lib/ubev.h"
#include "lib/xmalloc.h"

#define UBEV_FORWARDER_MAX	(INET6_ADDRSTRLEN + 8)	/* addr@port */

/* libunbound's event base on a libev loop. */
struct ubev {
	struct ub_event_base	 base;	/* first: libunbound's handle */
	struct ev_loop		*loop;
	struct ub_ctx		*ctx;
};

/* One libunbound event: a descriptor, a timeout, or both. */
struct ubev_ev {
	struct ub_event		 ev;	/* first: libunbound's handle */
	struct ubev		*b;
	int			 fd;
	short			 bits;	/* UB_EV_READ, _WRITE, _PERSIST */
	void			(*cb)(int, short, void *);
	void			*arg;
	ev_io			 io;
	ev_timer		 timer;
	ev_tstamp		 timeout;	/* > 0: armed with a timeout */
};

static void	ubev_ev_io(struct ev_loop *, ev_io *, int);
static void	ubev_ev_timer(struct ev_loop *, ev_timer *, int);
static void	ubev_ev_add_bits(struct ub_event *, short);
static void	ubev_ev_del_bits(struct ub_event *, short);
static void	ubev_ev_set_fd(struct ub_event *, int);
static void	ubev_ev_free(struct ub_event *);
static int	ubev_ev_add(struct ub_event *, struct timeval *);
static int	ubev_ev_del(struct ub_event *);
static int	ubev_ev_add_timer(struct ub_event *, struct ub_event_base *,
		    void (*)(int, short, void *), void *, struct timeval *);
static int	ubev_ev_del_timer(struct ub_event *);
static int	ubev_ev_signal(struct ub_event *, struct timeval *);
static int	ubev_ev_del_signal(struct ub_event *);
static void	ubev_ev_wsa_unregister(struct ub_event *);
static void	ubev_ev_wsa_block(struct ub_event *, int);
static void	ubev_base_free(struct ub_event_base *);
static int	ubev_base_dispatch(struct ub_event_base *);
static int	ubev_base_loopexit(struct ub_event_base *,
		    struct timeval *);
static struct ub_event *ubev_base_new_event(struct ub_event_base *,
		    int, short, void (*)(int, short, void *), void *);
static struct ub_event *ubev_base_new_signal(struct ub_event_base *,
		    int, void (*)(int, short, void *), void *);
static struct ub_event *ubev_base_wsa_register(struct ub_event_base *,
		    void *, void (*)(int, short, void *), void *);
static int	ubev_configure(struct ubev *, const char *, char *, size_t);
static struct ub_event_vmt ubev_ev_vmt = {
	ubev_ev_add_bits, ubev_ev_del_bits, ubev_ev_set_fd,
	ubev_ev_free, ubev_ev_add, ubev_ev_del,
	ubev_ev_add_timer, ubev_ev_del_timer, ubev_ev_signal,
	ubev_ev_del_signal, ubev_ev_wsa_unregister,
	ubev_ev_wsa_block,
};

static struct ub_event_base_vmt ubev_base_vmt = {
	ubev_base_free, ubev_base_dispatch, ubev_base_loopexit,
	ubev_base_new_event, ubev_base_new_signal,
	ubev_base_wsa_register,
};

/* ------------------------------------------------ libev under libunbound */

/*
 * libevent's semantics: an event without UB_EV_PERSIST fires once and is
 * then inactive; a persistent one with a timeout has it restarted. The
 * callback is the last use of e: libunbound may free e in it.
 */
static void
ubev_ev_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ubev_ev *e = w->data;
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
ubev_ev_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ubev_ev *e = w->data;

	(void)revents;
	if (!(e->bits & UB_EV_PERSIST))
		ev_io_stop(loop, &e->io);
	e->cb(e->fd, UB_EV_TIMEOUT, e->arg);
}

static void
ubev_ev_add_bits(struct ub_event *ev, short bits)
{
	((struct ubev_ev *)ev)->bits |= bits;
}

static void
ubev_ev_del_bits(struct ub_event *ev, short bits)
{
	((struct ubev_ev *)ev)->bits &= (short)~bits;
}

static void
ubev_ev_set_fd(struct ub_event *ev, int fd)
{
	((struct ubev_ev *)ev)->fd = fd;
}

static void
ubev_ev_free(struct ub_event *ev)
{
	if (ev == NULL)
		return;
	ubev_ev_del(ev);
	free(ev);
}

static int
ubev_ev_add(struct ub_event *ev, struct timeval *tv)
{
	struct ubev_ev *e = (struct ubev_ev *)ev;
	int what = 0;

	ubev_ev_del(ev);
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
ubev_ev_del(struct ub_event *ev)
{
	struct ubev_ev *e = (struct ubev_ev *)ev;

	ev_io_stop(e->b->loop, &e->io);
	ev_timer_stop(e->b->loop, &e->timer);
	e->timeout = 0;
	return 0;
}

static int
ubev_ev_add_timer(struct ub_event *ev, struct ub_event_base *base,
    void (*cb)(int, short, void *), void *arg, struct timeval *tv)
{
	struct ubev_ev *e = (struct ubev_ev *)ev;

	(void)base;
	ubev_ev_del(ev);
	e->fd = -1;
	e->bits = 0;
	e->cb = cb;
	e->arg = arg;
	return ubev_ev_add(ev, tv);
}

static int
ubev_ev_del_timer(struct ub_event *ev)
{
	return ubev_ev_del(ev);
}

/* Signals and winsock: never asked of a library context. */
static int
ubev_ev_signal(struct ub_event *ev, struct timeval *tv)
{
	(void)ev;
	(void)tv;
	return -1;
}

static int
ubev_ev_del_signal(struct ub_event *ev)
{
	(void)ev;
	return 0;
}

static void
ubev_ev_wsa_unregister(struct ub_event *ev)
{
	(void)ev;
}

static void
ubev_ev_wsa_block(struct ub_event *ev, int bits)
{
	(void)ev;
	(void)bits;
}

/* The base is struct ubev's own, freed by ubev_close(). */
static void
ubev_base_free(struct ub_event_base *base)
{
	(void)base;
}

static int
ubev_base_dispatch(struct ub_event_base *base)
{
	ev_run(((struct ubev *)base)->loop, 0);
	return 0;
}

static int
ubev_base_loopexit(struct ub_event_base *base, struct timeval *tv)
{
	(void)tv;
	ev_break(((struct ubev *)base)->loop, EVBREAK_ONE);
	return 0;
}

static struct ub_event *
ubev_base_new_event(struct ub_event_base *base, int fd, short bits,
    void (*cb)(int, short, void *), void *arg)
{
	struct ubev_ev *e;

	e = xcalloc(1, sizeof(*e));
	e->ev.magic = UB_EVENT_MAGIC;
	e->ev.vmt = &ubev_ev_vmt;
	e->b = (struct ubev *)base;
	e->fd = fd;
	e->bits = bits;
	e->cb = cb;
	e->arg = arg;
	ev_io_init(&e->io, ubev_ev_io, 0, 0);
	e->io.data = e;
	ev_timer_init(&e->timer, ubev_ev_timer, 0., 0.);
	e->timer.data = e;
	return &e->ev;
}

static struct ub_event *
ubev_base_new_signal(struct ub_event_base *base, int fd,
    void (*cb)(int, short, void *), void *arg)
{
	(void)base;
	(void)fd;
	(void)cb;
	(void)arg;
	return NULL;
}

static struct ub_event *
ubev_base_wsa_register(struct ub_event_base *base, void *wsaevent,
    void (*cb)(int, short, void *), void *arg)
{
	(void)base;
	(void)wsaevent;
	(void)cb;
	(void)arg;
	return NULL;
}

/* "ADDRESS" or "ADDRESS@PORT", an IPv4 or IPv6 literal: 0, or -1. */
int
ubev_forwarder_valid(const char *spec)
{
	char addr[UBEV_FORWARDER_MAX];
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

/* The forwarder, or the system's resolv.conf and hosts: 0, or -1. */
static int
ubev_configure(struct ubev *u, const char *forwarder, char *err,
    size_t errlen)
{
	int r;

	if (forwarder == NULL) {
		/* without resolv.conf, libunbound recurses from the root */
		(void)ub_ctx_resolvconf(u->ctx, NULL);
		(void)ub_ctx_hosts(u->ctx, NULL);
		return 0;
	}
	if ((r = ub_ctx_set_option(u->ctx, "do-not-query-localhost:",
	    "no")) != 0 ||
	    (r = ub_ctx_set_option(u->ctx, "module-config:",
	    "iterator")) != 0 ||
	    (r = ub_ctx_set_fwd(u->ctx, forwarder)) != 0) {
		(void)snprintf(err, errlen, "resolver: %s", ub_strerror(r));
		return -1;
	}
	return 0;
}

/*
 * A libunbound context on loop, forwarding to forwarder ("ADDRESS[@PORT]")
 * or NULL for the system's resolvers. NULL with a message in err.
 */
struct ubev *
ubev_open(struct ev_loop *loop, const char *forwarder, char *err,
    size_t errlen)
{
	struct ubev *u;

	if (forwarder != NULL && ubev_forwarder_valid(forwarder) == -1) {
		(void)snprintf(err, errlen, "resolver: not ADDRESS[@PORT]: %s",
		    forwarder);
		return NULL;
	}
	u = xcalloc(1, sizeof(*u));
	u->base.magic = UB_EVENT_MAGIC;
	u->base.vmt = &ubev_base_vmt;
	u->loop = loop;
	if ((u->ctx = ub_ctx_create_ub_event(&u->base)) == NULL) {
		(void)snprintf(err, errlen, "cannot create the resolver");
		free(u);
		return NULL;
	}
	if (ubev_configure(u, forwarder, err, errlen) == -1) {
		ubev_close(u);
		return NULL;
	}
	return u;
}

struct ub_ctx *
ubev_ctx(const struct ubev *u)
{
	return u->ctx;
}

/* Deletes the context (its outstanding queries never call back). */
void
ubev_close(struct ubev *u)
{
	if (u == NULL)
		return;
	if (u->ctx != NULL)
		ub_ctx_delete(u->ctx);
	free(u);
}

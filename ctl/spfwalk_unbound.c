/*
 * spfwalk_unbound.c: the resolver of `smtpctl spf walk` (ctl/spfwalk.c):
 * libunbound on a libev loop of its own (lib/ubev.c), no thread and no
 * process of libunbound's; answers read by ctl/spfwalk_packet.c.
 *
 * By default the system's resolvers (resolv.conf) and hosts file;
 * SMTPCTL_RESOLVER="ADDRESS[@PORT]" forwards every query to that server
 * only, loopback allowed, iterator only (no DNSSEC validation): a testing
 * and debugging knob (t/83-spfwalk.t answers from a fake server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <unbound.h>
#include <unbound-event.h>

#include "ctl/spfwalk.h"
#include "lib/ubev.h"
#include "lib/xmalloc.h"

#define SPFWALK_ERR_MAX		256

struct spfwalk_ub {
	struct spfwalk_dns	 dns;	/* first: the table is the handle */
	struct ev_loop		*loop;
	struct ubev		*ubev;
	size_t			 outstanding;
};

struct spfwalk_ubq {
	struct spfwalk_ub	*ub;
	int			 type;
	spfwalk_dns_cb		 cb;
	void			*arg;
};

static int	spfwalk_ub_query(struct spfwalk_dns *, const char *, int,
		    spfwalk_dns_cb, void *);
static void	spfwalk_ub_done(void *, int, void *, int, int, char *, int);
static int	spfwalk_ub_run(struct spfwalk_dns *);
static void	spfwalk_ub_close(struct spfwalk_dns *);

/* The resolver; NULL after a message on stderr. */
struct spfwalk_dns *
spfwalk_unbound_open(const char *forwarder)
{
	struct spfwalk_ub *ub;
	char err[SPFWALK_ERR_MAX];

	if (forwarder != NULL && ubev_forwarder_valid(forwarder) == -1) {
		fprintf(stderr, "smtpctl: spf walk: SMTPCTL_RESOLVER: not "
		    "ADDRESS[@PORT]: %s\n", forwarder);
		return NULL;
	}
	ub = xcalloc(1, sizeof(*ub));
	ub->dns.query = spfwalk_ub_query;
	ub->dns.run = spfwalk_ub_run;
	ub->dns.close = spfwalk_ub_close;
	if ((ub->loop = ev_loop_new(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "smtpctl: spf walk: cannot create an event "
		    "loop\n");
		free(ub);
		return NULL;
	}
	if ((ub->ubev = ubev_open(ub->loop, forwarder, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "smtpctl: spf walk: %s\n", err);
		ev_loop_destroy(ub->loop);
		free(ub);
		return NULL;
	}
	return &ub->dns;
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
	if (ub_resolve_event(ubev_ctx(ub->ubev), name, type, UBEV_CLASS_IN,
	    q, spfwalk_ub_done, NULL) != 0) {
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
	if (sec == UBEV_SEC_BOGUS) {
		a.status = SPFWALK_DNS_TEMPFAIL;
		a.why = why_bogus != NULL ? why_bogus : "DNSSEC bogus";
	} else if (rcode == UBEV_RCODE_NXDOMAIN) {
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
		if (!ev_run(ub->loop, EVRUN_ONCE) && ub->outstanding > 0)
			return -1;	/* nothing left to wait for */
	return 0;
}

static void
spfwalk_ub_close(struct spfwalk_dns *dns)
{
	struct spfwalk_ub *ub = (struct spfwalk_ub *)dns;

	ubev_close(ub->ubev);
	ev_loop_destroy(ub->loop);
	free(ub);
}

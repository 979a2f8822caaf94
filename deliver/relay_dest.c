/*
 * relay_dest.c: the relay role's destinations (relay.h). An envelope
 * joins the destination of its action and domain (or the action's
 * smarthost); the destination gets its smarthost login from the lookup
 * role if it needs one, resolves its addresses (relay_dns.c), opens up
 * to RELAY_DEST_CONN_MAX sessions, one per message waiting, walking the
 * address list: a session that fails at connection level moves the
 * destination to the next address (protocol.md B.4), the envelopes it
 * had go back to the front. When every address has failed, what waits
 * gets the last error: permanent if that was a 5xx greeting or hello,
 * else temporary, and the destination is held for RELAY_HOLD (new
 * envelopes are deferred at once with the same error) unless `smtpctl
 * schedule` lifts it. A connection-level failure also disables that
 * address's route for a while (relay_route.c): the walk skips it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "aliases/creds_msg.h"
#include "deliver/relay.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

static int	relay_dest_cmp(struct relay_dest *, struct relay_dest *);
RB_PROTOTYPE(relay_dests, relay_dest, node, relay_dest_cmp);
RB_GENERATE(relay_dests, relay_dest, node, relay_dest_cmp)

static struct relay_dest *relay_dest_get(struct relay *,
		    const struct action *, const char *);
static void	relay_dest_fail_all(struct relay_dest *, int, const char *);
static void	relay_dest_resolve(struct relay_dest *);
static void	relay_dest_resolved(const struct relay_dns_result *, void *);
static void	relay_dest_skip(struct relay_dest *);
static void	relay_dest_round_failed(struct relay_dest *);
static size_t	relay_dest_messages(const struct relay_dest *, size_t);
static int	relay_dest_unused(const struct relay_dest *);
static void	relay_dest_free(struct relay_dest *);

static int
relay_dest_cmp(struct relay_dest *a, struct relay_dest *b)
{
	return memcmp(a->key, b->key, sizeof(a->key));
}

/* The destination of an action and a domain, made if new. */
static struct relay_dest *
relay_dest_get(struct relay *rl, const struct action *a, const char *domain)
{
	struct relay_dest key, *d;
	const char *name = a->has_host ? a->relay.host : domain;
	size_t alen = strlen(a->name), i;

	memset(&key, 0, sizeof(key));
	memcpy(key.key, a->name, alen);
	for (i = 0; name[i] != '\0' && alen + 1 + i < sizeof(key.key) - 1;
	    i++)
		key.key[alen + 1 + i] = (char)tolower((unsigned char)name[i]);
	if ((d = RB_FIND(relay_dests, &rl->dests, &key)) != NULL)
		return d;
	d = xcalloc(1, sizeof(*d));
	memcpy(d->key, key.key, sizeof(d->key));
	d->relay = rl;
	d->action = a;
	strlcpy(d->name, key.key + alen + 1, sizeof(d->name));
	d->mx = !a->has_host;
	d->port = a->has_host ? a->relay.port : rl->role->conf->mta_port > 0 ?
	    rl->role->conf->mta_port : 25;
	TAILQ_INIT(&d->pending);
	TAILQ_INIT(&d->conns);
	RB_INSERT(relay_dests, &rl->dests, d);
	ctl_stat_increment("mta.domain", 1);
	return d;
}

/* An envelope from the queue joins its destination. */
void
relay_dest_add(struct relay *rl, struct relay_env *re)
{
	const struct action *a;
	struct relay_dest *d;
	const char *at;

	a = config_action_find(rl->role->conf, re->env.dispatcher);
	if (a == NULL || a->method != ACTION_RELAY) {
		/* both sides parsed the same file: a reload in between */
		relay_fail(rl, re, 4, "4.3.5 no relay action of that name");
		return;
	}
	if ((at = strrchr(re->env.dest, '@')) == NULL || at[1] == '\0') {
		relay_fail(rl, re, 5, "5.1.3 no domain in the address");
		return;
	}
	d = relay_dest_get(rl, a, at + 1);
	re->dest = d;
	if (d->held_until > time(NULL)) {
		relay_fail(rl, re, 4, d->err_text[0] != '\0' ? d->err_text :
		    "4.4.1 destination held after failures");
		return;
	}
	TAILQ_INSERT_TAIL(&d->pending, re, entry);
	relay_dest_run(d);
}

/* Every waiting envelope gets this outcome. */
static void
relay_dest_fail_all(struct relay_dest *d, int status, const char *text)
{
	struct relay_env *re;

	while ((re = TAILQ_FIRST(&d->pending)) != NULL) {
		TAILQ_REMOVE(&d->pending, re, entry);
		relay_fail(d->relay, re, status, text);
	}
}

/* Distinct messages among the first waiting envelopes, at most max. */
static size_t
relay_dest_messages(const struct relay_dest *d, size_t max)
{
	const struct relay_env *re, *prev = NULL;
	size_t n = 0;

	/* envelopes of a message arrive together: count the changes */
	TAILQ_FOREACH(re, &d->pending, entry) {
		if (prev == NULL || re->msg != prev->msg)
			n++;
		if (n >= max)
			break;
		prev = re;
	}
	return n;
}

static int
relay_dest_unused(const struct relay_dest *d)
{
	return TAILQ_EMPTY(&d->pending) && d->nconn == 0 &&
	    d->query == NULL && d->creds != RELAY_CREDS_ASKING &&
	    d->held_until <= time(NULL);
}

/*
 * Moves the destination on: login, resolution, work for idle sessions,
 * new sessions. May free d.
 */
void
relay_dest_run(struct relay_dest *d)
{
	struct relay_conn *c;
	size_t want, connecting = 0;

	if (relay_dest_unused(d)) {
		relay_dest_free(d);
		return;
	}
	if (TAILQ_EMPTY(&d->pending))
		return;
	if (d->action->relay_auth != NULL && d->creds != RELAY_CREDS_OK) {
		if (d->creds == RELAY_CREDS_NONE &&
		    relay_ask_creds(d->relay, d) == -1)
			relay_dest_fail_all(d, 4, "4.3.5 cannot ask for the "
			    "smarthost credentials");
		return;
	}
	if (d->resolved && d->nconn == 0 &&
	    time(NULL) - d->resolved_at > RELAY_DNS_TTL)
		d->resolved = 0;
	if (!d->resolved) {
		if (d->query == NULL)
			relay_dest_resolve(d);
		return;
	}
	TAILQ_FOREACH(c, &d->conns, entry) {
		if (c->ready && !c->busy && !c->quitting)
			relay_conn_take(c);
		else if (!c->ready && !c->quitting)
			connecting++;
	}
	want = relay_dest_messages(d, RELAY_DEST_CONN_MAX);
	while (!TAILQ_EMPTY(&d->pending) && d->nconn < RELAY_DEST_CONN_MAX &&
	    connecting < want && d->cur < d->dns.naddr) {
		if (relay_route_disabled(d->relay, d, d->cur, time(NULL))) {
			relay_dest_skip(d);
			continue;
		}
		if (relay_conn_new(d, d->cur) == NULL) {
			d->cur++;
			continue;
		}
		connecting++;
	}
	if (!TAILQ_EMPTY(&d->pending) && d->nconn == 0 &&
	    d->cur >= d->dns.naddr)
		relay_dest_round_failed(d);
}

/* The current address's route is disabled: the next address. */
static void
relay_dest_skip(struct relay_dest *d)
{
	if (d->err_status == 0) {
		d->err_status = 4;
		snprintf(d->err_text, sizeof(d->err_text), "4.4.1 route to %s "
		    "disabled after connection failures",
		    d->dns.addr[d->cur].host);
	}
	log_debug("relay event=route-skipped dest=%s host=%s", d->name,
	    d->dns.addr[d->cur].host);
	d->cur++;
}

static void
relay_dest_resolve(struct relay_dest *d)
{
	if (d->mx)
		d->query = relay_dns_mx(d->relay->dns, d->name, d->port,
		    relay_dest_resolved, d);
	else
		d->query = relay_dns_host(d->relay->dns, d->name, d->port,
		    relay_dest_resolved, d);
	if (d->query == NULL)
		relay_dest_fail_all(d, 4, "4.4.3 cannot start the DNS query");
}

static void
relay_dest_resolved(const struct relay_dns_result *res, void *arg)
{
	struct relay_dest *d = arg;
	char text[RELAY_TEXT_MAX];

	d->query = NULL;
	d->mxfail = res->status != RELAY_DNS_OK || res->naddr == 0;
	if (d->mxfail) {
		snprintf(text, sizeof(text), "%s %s", res->esc[0] != '\0' ?
		    res->esc : "4.4.3", res->text);
		log_info("relay event=resolve dest=%s error=\"%s\"", d->name,
		    text);
		relay_dest_fail_all(d, res->status == RELAY_DNS_PERMFAIL ? 5 :
		    4, text);
		relay_dest_run(d);
		return;
	}
	d->dns = *res;
	d->resolved = 1;
	d->resolved_at = time(NULL);
	d->cur = 0;
	d->err_status = 0;
	d->err_text[0] = '\0';
	relay_dest_run(d);
}

/*
 * A session ended with a connection-level failure (c is still listed):
 * the error is kept, and the next session goes to the next address,
 * or to the same one in plaintext after a failed opportunistic
 * handshake. 535 to AUTH fails every waiting envelope (B.3 item 3).
 */
void
relay_dest_conn_failed(struct relay_dest *d, struct relay_conn *c,
    int status, enum relay_stage stage, const char *text)
{
	d->err_status = status;
	strlcpy(d->err_text, text, sizeof(d->err_text));
	if (stage == RELAY_STAGE_AUTH && status == 5) {
		relay_dest_fail_all(d, 5, text);
		return;
	}
	if (stage == RELAY_STAGE_STARTTLS && c->opportunistic) {
		relay_tls_failed(d->relay, d->dns.addr[c->addr].host);
		return;
	}
	relay_route_failed(c->route, time(NULL));
	if (c->addr >= d->cur)
		d->cur = c->addr + 1;
}

/* Every address failed: the waiting envelopes get the last error. */
static void
relay_dest_round_failed(struct relay_dest *d)
{
	int status = d->err_status == 5 ? 5 : 4;
	char text[RELAY_TEXT_MAX];

	snprintf(text, sizeof(text), "%s", d->err_text[0] != '\0' ?
	    d->err_text : "4.4.1 no server could be reached");
	log_info("relay event=failed dest=%s addresses=%zu error=\"%s\"",
	    d->name, d->dns.naddr, text);
	if (status == 4)
		d->held_until = time(NULL) + RELAY_HOLD;
	d->routefail = 1;
	d->resolved = 0;
	d->cur = 0;
	relay_dest_fail_all(d, status, text);
}

/* IMSG_LKA_CREDS_RES for the destination that asked. */
void
relay_dest_creds(struct relay *rl, uint32_t reqid, int status,
    const char *user, const char *pass)
{
	struct relay_dest *d;

	RB_FOREACH(d, relay_dests, &rl->dests)
		if (d->creds == RELAY_CREDS_ASKING && d->creds_reqid == reqid)
			break;
	if (d == NULL)
		return;
	d->creds = RELAY_CREDS_NONE;
	if (status == CREDS_FOUND) {
		strlcpy(d->user, user, sizeof(d->user));
		strlcpy(d->pass, pass, sizeof(d->pass));
		d->creds = RELAY_CREDS_OK;
	} else {
		log_warnx("relay event=creds action=%s label=%s error=\"%s\"",
		    d->action->name, d->action->relay.label,
		    status == CREDS_NOTFOUND ? "no such label in the table" :
		    "table error");
		relay_dest_fail_all(d, 4, "4.7.0 no credentials for the "
		    "smarthost");
	}
	relay_dest_run(d);
}

/* `smtpctl schedule`: held destinations and disabled routes may be
 * tried again. */
void
relay_dest_flush(struct relay *rl)
{
	struct relay_dest *d;

	RB_FOREACH(d, relay_dests, &rl->dests)
		d->held_until = 0;
	relay_route_flush(rl);
}

/* Destinations with nothing to do, whose hold is over, are forgotten. */
void
relay_dest_gc(struct relay *rl)
{
	struct relay_dest *d, *next;

	RB_FOREACH_SAFE(d, relay_dests, &rl->dests, next)
		if (relay_dest_unused(d))
			relay_dest_free(d);
}

static void
relay_dest_free(struct relay_dest *d)
{
	RB_REMOVE(relay_dests, &d->relay->dests, d);
	if (d->query != NULL)
		relay_dns_cancel(d->query);
	sodium_memzero(d->pass, sizeof(d->pass));
	ctl_stat_decrement("mta.domain", 1);
	free(d);
}

/* The role stops: nothing is answered, the queue keeps every envelope. */
void
relay_dest_free_all(struct relay *rl)
{
	struct relay_dest *d;
	struct relay_conn *c;
	struct relay_env *re;

	while ((d = RB_ROOT(&rl->dests)) != NULL) {
		while ((c = TAILQ_FIRST(&d->conns)) != NULL)
			relay_conn_free(c);
		while ((re = TAILQ_FIRST(&d->pending)) != NULL) {
			TAILQ_REMOVE(&d->pending, re, entry);
			relay_env_free(rl, re);
		}
		relay_dest_free(d);
	}
}

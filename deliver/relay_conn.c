/*
 * relay_conn.c: the sessions of a destination (relay.h). A session is
 * made for one address of the destination's list with the action's TLS,
 * login and hello settings (config.md 5.2, 5.3); once ready it takes the
 * first waiting message with its other waiting envelopes as one
 * transaction, and after it the next, until none is left; then it waits
 * RELAY_IDLE seconds for more (a queue burst reuses the connection) and
 * quits. Each recipient's outcome goes to the queue; a recipient whose
 * outcome the session could not learn goes back to the front of the
 * destination, for the next address, and one refused with 452 4.5.3
 * (too many recipients) beside accepted ones goes there for the next
 * transaction. Each session holds the route of its
 * address (relay_route.c) and tells it when it gets ready and ends.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/relay.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

static void	relay_conn_setup(struct relay_conn *, const struct relay_dest *,
		    const struct relay_dns_addr *);
static void	relay_conn_tls(struct relay_conn *, const struct action *);
static void	relay_conn_ready(struct relay_sess *, void *);
static void	relay_conn_done(struct relay_sess *, struct relay_txn *,
		    void *);
static void	relay_conn_closed(struct relay_sess *, int, enum relay_stage,
		    const char *, const char *, void *);
static void	relay_conn_timer(struct ev_loop *, ev_timer *, int);
static int	relay_conn_utf8(const struct relay_conn *);

static const struct relay_sess_cb relay_conn_cb = {
	.ready = relay_conn_ready,
	.done = relay_conn_done,
	.closed = relay_conn_closed,
};

/* The TLS mode of config.md 5.2/5.3 for this action and host. */
static void
relay_conn_tls(struct relay_conn *c, const struct action *a)
{
	struct relay_sess_conf *sc = &c->conf;

	sc->verify = 0;
	if (a->has_host) {
		switch (a->relay.scheme) {
		case RELAY_SMTP:
			sc->tls = a->relay_tls == RELAY_TLS_DEFAULT ?
			    RELAY_SESS_TLS_OPPORTUNISTIC :
			    RELAY_SESS_TLS_STARTTLS;
			break;
		case RELAY_SMTP_TLS:
			sc->tls = RELAY_SESS_TLS_STARTTLS;
			sc->verify = a->relay_tls != RELAY_TLS_NO_VERIFY;
			break;
		case RELAY_SMTPS:
			sc->tls = RELAY_SESS_TLS_IMPLICIT;
			sc->verify = a->relay_tls != RELAY_TLS_NO_VERIFY;
			break;
		case RELAY_SMTP_NOTLS:
		case RELAY_LMTP:
			sc->tls = RELAY_SESS_TLS_NONE;
			break;
		}
	} else
		sc->tls = a->relay_tls == RELAY_TLS_DEFAULT ?
		    RELAY_SESS_TLS_OPPORTUNISTIC : RELAY_SESS_TLS_STARTTLS;
	if (a->relay_tls == RELAY_TLS_VERIFY)
		sc->verify = 1;
	if (sc->tls == RELAY_SESS_TLS_OPPORTUNISTIC) {
		if (relay_tls_failed_lately(c->dest->relay, c->host))
			sc->tls = RELAY_SESS_TLS_NONE;
		else
			c->opportunistic = 1;
	}
}

static void
relay_conn_setup(struct relay_conn *c, const struct relay_dest *d,
    const struct relay_dns_addr *ad)
{
	const struct action *a = d->action;
	struct relay_sess_conf *sc = &c->conf;

	strlcpy(c->host, ad->host, sizeof(c->host));
	memset(sc, 0, sizeof(*sc));
	sc->lmtp = a->has_host && a->relay.scheme == RELAY_LMTP;
	relay_conn_tls(c, a);
	sc->helo = a->helo != NULL ? a->helo : d->relay->role->conf->hostname;
	sc->servername = c->host;
	sc->cred = relay_cred(d->relay, a);
	if (d->creds == RELAY_CREDS_OK) {
		sc->auth_user = d->user;
		sc->auth_pass = d->pass;
	}
	sc->connect_timeout = 30;
	sc->helo_timeout = 300;
	sc->starttls_timeout = 300;
	sc->mail_timeout = 300;
	sc->rcpt_timeout = 300;
	sc->data_init_timeout = 120;
	sc->data_xfer_timeout = 180;
	sc->data_done_timeout = 600;
	sc->quit_timeout = 300;
}

/* A session to address `addr` of d; NULL if it cannot even start. */
struct relay_conn *
relay_conn_new(struct relay_dest *d, size_t addr)
{
	const struct relay_dns_addr *ad = &d->dns.addr[addr];
	struct relay_conn *c;

	c = xcalloc(1, sizeof(*c));
	c->dest = d;
	c->addr = addr;
	relay_conn_setup(c, d, ad);
	c->sess = relay_sess_new(d->relay->role->loop, &c->conf,
	    (const struct sockaddr *)&ad->ss, ad->sslen, c->host,
	    &relay_conn_cb, c);
	if (c->sess == NULL) {
		log_warnx("relay event=connect dest=%s host=%s "
		    "error=\"cannot start a session\"", d->name, c->host);
		free(c);
		return NULL;
	}
	ev_timer_init(&c->idle, relay_conn_timer, RELAY_IDLE, 0.0);
	c->idle.data = c;
	c->route = relay_route_get(d->relay, d, addr);
	c->route->nconn++;
	c->route->lastconn = d->lastconn = time(NULL);
	TAILQ_INSERT_TAIL(&d->conns, c, entry);
	d->nconn++;
	ctl_stat_increment("mta.session", 1);
	return c;
}

/* Whether the transaction needs SMTPUTF8 downstream (A.12). */
static int
relay_conn_utf8(const struct relay_conn *c)
{
	const struct envelope *e = &c->env[0]->env;
	char *buf, *end;
	ssize_t n;
	int needed;

	if (!(e->flags & ENVELOPE_F_SMTPUTF8))
		return 0;
	buf = xmalloc(RELAY_HEADER_SCAN);
	n = pread(c->txn.msgfd, buf, RELAY_HEADER_SCAN, 0);
	if (n < 0)
		n = 0;
	if ((end = memmem(buf, (size_t)n, "\r\n\r\n", 4)) != NULL)
		n = end - buf;
	needed = relay_txn_needs_utf8(e, buf, (size_t)n);
	free(buf);
	return needed;
}

/* The next transaction of the destination; 0 if there is none. */
int
relay_conn_take(struct relay_conn *c)
{
	struct relay_dest *d = c->dest;
	struct relay_env *re;
	size_t i;

	if (relay_txn_build(&c->txn, c->rcpt, c->orcpt, c->env,
	    &d->pending) == 0)
		return 0;
	c->txn.msgfd = c->env[0]->msg->fd;
	c->txn.msgsize = c->env[0]->msg->size;
	c->txn.smtputf8 = relay_conn_utf8(c);
	c->busy = 1;
	ev_timer_stop(d->relay->role->loop, &c->idle);
	if (relay_sess_send(c->sess, &c->txn) == 0)
		return 1;
	/* not taken after all: back to the front, in order */
	c->busy = 0;
	for (i = c->txn.nrcpt; i > 0; i--) {
		re = c->env[i - 1];
		TAILQ_INSERT_HEAD(&d->pending, re, entry);
	}
	return 0;
}

static void
relay_conn_ready(struct relay_sess *s, void *arg)
{
	struct relay_conn *c = arg;
	struct ev_loop *loop = c->dest->relay->role->loop;

	(void)s;
	c->ready = 1;
	relay_route_ready(c->route);
	c->dest->established = 1;
	c->dest->routefail = 0;
	if (c->busy || c->quitting)
		return;
	if (!relay_conn_take(c)) {
		ev_timer_set(&c->idle, RELAY_IDLE, 0.0);
		ev_timer_start(loop, &c->idle);
	}
}

static void
relay_conn_done(struct relay_sess *s, struct relay_txn *txn, void *arg)
{
	struct relay_conn *c = arg;
	struct relay_dest *d = c->dest;
	size_t i, accepted = 0;
	int again;

	(void)s;
	c->busy = 0;
	for (i = 0; i < txn->nrcpt; i++)
		if (c->rcpt[i].status == 2)
			accepted++;
	for (i = txn->nrcpt; i > 0; i--) {
		/* B.3 item 5: after 452 4.5.3, the rest in a new transaction */
		again = accepted > 0 && c->rcpt[i - 1].status == 4 &&
		    strcmp(c->rcpt[i - 1].esc, "4.5.3") == 0;
		if (c->rcpt[i - 1].status != 0 && !again)
			continue;
		TAILQ_INSERT_HEAD(&d->pending, c->env[i - 1], entry);
		c->env[i - 1] = NULL;
		if (!again)
			c->lost = 1;
	}
	for (i = 0; i < txn->nrcpt; i++)
		if (c->env[i] != NULL)
			relay_rcpt_done(d->relay, c->env[i], &c->rcpt[i],
			    c->host);
}

/* The session is over: freed from the loop, not from inside its call. */
static void
relay_conn_closed(struct relay_sess *s, int status, enum relay_stage stage,
    const char *esc, const char *text, void *arg)
{
	struct relay_conn *c = arg;
	struct relay_dest *d = c->dest;
	struct ev_loop *loop = d->relay->role->loop;
	char line[RELAY_TEXT_MAX];

	(void)s;
	TAILQ_REMOVE(&d->conns, c, entry);
	d->nconn--;
	relay_route_closed(c->route, time(NULL));
	ctl_stat_decrement("mta.session", 1);
	c->closed = 1;
	c->dest = NULL;
	ev_timer_stop(loop, &c->idle);
	ev_timer_set(&c->idle, 0.0, 0.0);
	c->idle.data = c;
	ev_timer_start(loop, &c->idle);
	/* an idle session's end loses nothing: not a failure */
	if (status != 2 && (!c->ready || c->lost)) {
		/* a reply line keeps its code; an I/O error gets the ESC */
		if (text[0] >= '2' && text[0] <= '5' && esc[0] != '\0' &&
		    strstr(text, esc) != NULL)
			strlcpy(line, text, sizeof(line));
		else
			snprintf(line, sizeof(line), "%s %s", esc[0] != '\0' ?
			    esc : status == 5 ? "5.0.0" : "4.4.2", text);
		log_info("relay event=session-failed dest=%s host=%s "
		    "stage=%d error=\"%s\"", d->name, c->host, (int)stage,
		    line);
		relay_dest_conn_failed(d, c, status, stage, line);
	}
	relay_dest_run(d);
}

/* Idle too long: QUIT. Closed: the deferred free. */
static void
relay_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->closed) {
		relay_sess_free(c->sess);
		free(c);
		return;
	}
	if (c->busy)
		return;
	c->quitting = 1;
	relay_sess_quit(c->sess);
}

/* Shutdown: the session ends at once; its envelopes stay queued. */
void
relay_conn_free(struct relay_conn *c)
{
	struct relay_dest *d = c->dest;
	size_t i;

	if (d != NULL) {
		ev_timer_stop(d->relay->role->loop, &c->idle);
		TAILQ_REMOVE(&d->conns, c, entry);
		d->nconn--;
		relay_route_closed(c->route, time(NULL));
		if (c->busy)
			for (i = 0; i < c->txn.nrcpt; i++)
				relay_env_free(d->relay, c->env[i]);
	}
	relay_sess_free(c->sess);
	free(c);
}

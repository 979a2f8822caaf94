/*
 * relay.c: the relay role, the outbound SMTP/LMTP client (relay.h).
 * Unprivileged and chrooted to an empty directory: its init hook reads
 * what it will need before the chroot (the resolver configuration and
 * hosts file through libunbound, the system trust store and each relay
 * action's `ca` and `pki` files through GnuTLS, the local addresses for
 * the own-MX rule). Here: the role, the messages and envelopes handed
 * over by the queue, their outcomes back to it, the smarthost
 * credentials asked from the lookup role, the hosts whose
 * opportunistic TLS failed lately, and each recipient domain's last
 * outcome for show hoststats (relay_ctl.c); smtpctl's requests go to
 * relay_ctl.c.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "aliases/creds_msg.h"
#include "deliver/relay.h"
#include "deliver/relay_tls.h"
#include "lib/esc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

#define RELAY_SELF_MAX	64	/* local addresses for the own-MX rule */

static int	relay_msg_cmp(struct relay_msg *, struct relay_msg *);
RB_PROTOTYPE(relay_msgs, relay_msg, node, relay_msg_cmp);
RB_GENERATE(relay_msgs, relay_msg, node, relay_msg_cmp)

static void	relay_init(struct role *);
static void	relay_init_self(struct relay *);
static void	relay_init_files(struct relay *);
static void	relay_init_tls(struct relay *, const struct config *);
static int	relay_dispatch(struct role *, enum proc_id, struct ipc_msg *);
static int	relay_transfer(struct relay *, struct ipc_msg *);
static int	relay_creds_res(struct relay *, struct ipc_msg *);
static void	relay_peer_lost(struct role *, enum proc_id);
static struct relay_msg *relay_msg_get(struct relay *, uint32_t, int);
static void	relay_shutdown(struct role *);
static void	relay_gc_cb(struct ev_loop *, ev_timer *, int);

static const struct ipc_rule relay_rules[] = {
	{ IMSG_MTA_TRANSFER, PROC_BIT(PROC_QUEUE), 1, ENVELOPE_ENCODED_MAX,
	    IPC_FD_REQUIRED },
	{ IMSG_MTA_FLUSH, PROC_BIT(PROC_QUEUE), 0, 0, IPC_FD_NONE },
	{ IMSG_LKA_CREDS_RES, PROC_BIT(PROC_LOOKUP), sizeof(struct creds_res),
	    sizeof(struct creds_res), IPC_FD_NONE },
	{ IMSG_CTL_REQUEST, PROC_BIT(PROC_CONTROL), 1, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
	{ IMSG_CTL_ACK, PROC_BIT(PROC_CONTROL), 0, 0, IPC_FD_NONE },
};

const struct role_ops relay_role_ops = {
	.id = PROC_RELAY,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_EMPTY,
	.rules = relay_rules,
	.nrules = sizeof(relay_rules) / sizeof(relay_rules[0]),
	.init = relay_init,
	.dispatch = relay_dispatch,
	.peer_lost = relay_peer_lost,
	.shutdown = relay_shutdown,
};

static int
relay_msg_cmp(struct relay_msg *a, struct relay_msg *b)
{
	return a->msgid < b->msgid ? -1 : a->msgid > b->msgid;
}

/* Privileged, before the chroot. */
static void
relay_init(struct role *r)
{
	struct relay *rl;
	char err[256];

	rl = xcalloc(1, sizeof(*rl));
	rl->role = r;
	RB_INIT(&rl->msgs);
	RB_INIT(&rl->dests);
	RB_INIT(&rl->routes);
	relay_ctl_init(rl);
	if ((rl->dns = relay_dns_open(r->loop, r->conf->mta_resolver[0] ?
	    r->conf->mta_resolver : NULL, err, sizeof(err))) == NULL)
		fatalx("relay: resolver: %s", err);
	relay_init_self(rl);
	relay_init_files(rl);
	relay_init_tls(rl, r->conf);
	ev_timer_init(&rl->gc, relay_gc_cb, RELAY_GC, RELAY_GC);
	rl->gc.data = rl;
	ev_timer_start(r->loop, &rl->gc);
	r->data = rl;
}

static void
relay_gc_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	relay_dest_gc(w->data);
}

/*
 * One descriptor per message held: the soft limit raised to the hard one,
 * and at most half of it for messages, so a full queue can never make a
 * descriptor passed by the queue fail to arrive (that would close the
 * channel); beyond that, envelopes are deferred.
 */
static void
relay_init_files(struct relay *rl)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) == -1) {
		rl->msgs_max = 256;
		return;
	}
	if (lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim) == -1)
			(void)getrlimit(RLIMIT_NOFILE, &lim);
	}
	rl->msgs_max = lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 65536 ?
	    32768 : (size_t)lim.rlim_cur / 2;
}

/* Our addresses (getifaddrs) and name, for the own-MX rule (B.2 6). */
static void
relay_init_self(struct relay *rl)
{
	struct sockaddr_storage ss[RELAY_SELF_MAX];
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) == -1) {
		log_warn("relay: getifaddrs");
		ifa = NULL;
	}
	for (i = ifa; i != NULL && n < RELAY_SELF_MAX; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			memcpy(&ss[n++], i->ifa_addr,
			    sizeof(struct sockaddr_in));
		else if (i->ifa_addr->sa_family == AF_INET6)
			memcpy(&ss[n++], i->ifa_addr,
			    sizeof(struct sockaddr_in6));
	}
	if (ifa != NULL)
		freeifaddrs(ifa);
	relay_dns_set_self(rl->dns, rl->role->conf->hostname, ss, n);
}

/*
 * One set of client credentials per relay action (its `ca` beside the
 * system store, its `pki` as the client certificate), and one with the
 * system store alone. A file that cannot be read stops the role: the
 * parent's check has the same verdict before anything starts.
 */
static void
relay_init_tls(struct relay *rl, const struct config *conf)
{
	const struct action *a;
	char err[256];
	size_t i = 0;

	if (relay_tls_cred(&rl->defcred, NULL, NULL, NULL, err,
	    sizeof(err)) == -1)
		fatalx("relay: %s", err);
	TAILQ_FOREACH(a, &conf->actions, entry)
		rl->ncred++;
	rl->cred = xcalloc(rl->ncred ? rl->ncred : 1, sizeof(*rl->cred));
	TAILQ_FOREACH(a, &conf->actions, entry) {
		if (a->method == ACTION_RELAY && (a->ca != NULL ||
		    a->pki != NULL) && relay_tls_cred(&rl->cred[i],
		    a->ca != NULL ? a->ca->cert_file : NULL, a->pki != NULL ?
		    a->pki->cert_file : NULL, a->pki != NULL ?
		    a->pki->key_file : NULL, err, sizeof(err)) == -1)
			fatalx("relay: action \"%s\": %s", a->name, err);
		i++;
	}
}

/* The credentials for an action's sessions. */
gnutls_certificate_credentials_t
relay_cred(struct relay *rl, const struct action *a)
{
	const struct action *b;
	size_t i = 0;

	TAILQ_FOREACH(b, &rl->role->conf->actions, entry) {
		if (b == a)
			return rl->cred[i] != NULL ? rl->cred[i] : rl->defcred;
		i++;
	}
	return rl->defcred;
}

static void
relay_shutdown(struct role *r)
{
	struct relay *rl = r->data;
	struct relay_msg *m;
	size_t i;

	if (rl == NULL)
		return;
	ev_timer_stop(r->loop, &rl->gc);
	relay_dest_free_all(rl);
	relay_route_free_all(rl);
	relay_ctl_lost(rl);
	free(rl->ctl);
	free(rl->hoststat);
	while ((m = RB_ROOT(&rl->msgs)) != NULL) {
		RB_REMOVE(relay_msgs, &rl->msgs, m);
		close(m->fd);
		free(m);
	}
	relay_dns_close(rl->dns);
	for (i = 0; i < rl->ncred; i++)
		if (rl->cred[i] != NULL)
			relay_tls_cred_free(rl->cred[i]);
	free(rl->cred);
	relay_tls_cred_free(rl->defcred);
	free(rl);
	r->data = NULL;
}

static int
relay_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
	struct relay *rl = r->data;

	(void)from;
	switch (m->type) {
	case IMSG_MTA_TRANSFER:
		return relay_transfer(rl, m);
	case IMSG_MTA_FLUSH:
		relay_dest_flush(rl);
		return 0;
	case IMSG_LKA_CREDS_RES:
		return relay_creds_res(rl, m);
	case IMSG_CTL_REQUEST:
		return relay_ctl_request(rl, m);
	case IMSG_CTL_ACK:
		return relay_ctl_ack(rl, m);
	}
	return -1;
}

/* The control role went away: its streams have nobody to go to. */
static void
relay_peer_lost(struct role *r, enum proc_id id)
{
	struct relay *rl = r->data;

	if (rl != NULL && id == PROC_CONTROL)
		relay_ctl_lost(rl);
}

/* The message of an envelope: one descriptor per message, kept. */
static struct relay_msg *
relay_msg_get(struct relay *rl, uint32_t msgid, int fd)
{
	struct relay_msg key, *m;
	struct stat st;

	key.msgid = msgid;
	if ((m = RB_FIND(relay_msgs, &rl->msgs, &key)) != NULL) {
		close(fd);
		m->refs++;
		return m;
	}
	if (rl->nmsgs >= rl->msgs_max || fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->msgid = msgid;
	m->fd = fd;
	m->size = st.st_size;
	m->refs = 1;
	RB_INSERT(relay_msgs, &rl->msgs, m);
	rl->nmsgs++;
	return m;
}

/* IMSG_MTA_TRANSFER: an envelope and its message; -1 if malformed. */
static int
relay_transfer(struct relay *rl, struct ipc_msg *m)
{
	struct relay_env *re;
	char err[ENVELOPE_ERR_MAX];

	re = xcalloc(1, sizeof(*re));
	if (envelope_decode(m->data, m->len, &re->env, err,
	    sizeof(err)) == -1 || re->env.type != ENVELOPE_MTA) {
		log_warnx("relay event=transfer error=\"%s\"", err);
		close(m->fd);
		m->fd = -1;
		free(re);
		return -1;
	}
	if ((re->msg = relay_msg_get(rl, envelope_msgid(&re->env),
	    m->fd)) == NULL) {
		m->fd = -1;
		relay_fail(rl, re, 4, rl->nmsgs >= rl->msgs_max ?
		    "4.3.0 too many messages at the relay at once" :
		    "4.3.0 cannot read the message");
		return 0;
	}
	m->fd = -1;
	rl->envelopes++;
	ctl_stat_set("mta.envelope", (int64_t)rl->envelopes);
	relay_dest_add(rl, re);
	return 0;
}

/* An envelope leaves the relay role. */
void
relay_env_free(struct relay *rl, struct relay_env *re)
{
	struct relay_msg *m = re->msg;

	if (m != NULL && --m->refs == 0) {
		RB_REMOVE(relay_msgs, &rl->msgs, m);
		close(m->fd);
		rl->nmsgs--;
		free(m);
	}
	if (m != NULL) {
		rl->envelopes--;
		ctl_stat_set("mta.envelope", (int64_t)rl->envelopes);
	}
	free(re);
}

/* A recipient's outcome goes to the queue; the envelope is freed. */
void
relay_rcpt_done(struct relay *rl, struct relay_env *re,
    const struct relay_rcpt *rc, const char *host)
{
	struct mda_result res;
	const char *at;

	relay_txn_result(rc, &res);
	/* the server's own reply: the report's Remote-MTA */
	if (host != NULL && rc->code != 0)
		strlcpy(res.mta, host, sizeof(res.mta));
	if ((at = strrchr(re->env.dest, '@')) != NULL && at[1] != '\0')
		relay_hoststat_update(rl, at + 1, res.text);
	log_info("%016llx relay event=delivery rcpt=<%s> host=%s result=%s "
	    "text=\"%s\"", (unsigned long long)re->env.evpid, re->env.dest,
	    host != NULL ? host : "-", rc->status == 2 ? "Ok" :
	    rc->status == 5 ? "PermFail" : "TempFail", res.text);
	ctl_stat_increment(rc->status == 2 ? "mta.delivery.ok" :
	    rc->status == 5 ? "mta.delivery.permfail" :
	    "mta.delivery.tempfail", 1);
	role_send(rl->role, PROC_QUEUE, IMSG_MTA_RESULT, 0, -1, &res,
	    sizeof(res));
	relay_env_free(rl, re);
}

/*
 * An outcome that is not a server's reply to the recipient (resolution,
 * hold, connection-level failure): status 4 or 5 and "X.Y.Z text" or a
 * reply line.
 */
void
relay_fail(struct relay *rl, struct relay_env *re, int status,
    const char *text)
{
	struct relay_rcpt rc;
	uint8_t c;
	uint16_t s, d;

	memset(&rc, 0, sizeof(rc));
	rc.evpid = re->env.evpid;
	rc.status = status;
	strlcpy(rc.text, text, sizeof(rc.text));
	if (esc_parse(text, &c, &s, &d) != 0 ||
	    (strlen(text) > 4 && esc_parse(text + 4, &c, &s, &d) != 0))
		snprintf(rc.esc, sizeof(rc.esc), "%u.%u.%u", c, s, d);
	relay_rcpt_done(rl, re, &rc, NULL);
}

/* Ask the lookup role for a smarthost's login; -1 if it cannot be. */
int
relay_ask_creds(struct relay *rl, struct relay_dest *d)
{
	struct creds_req q;

	if (creds_req_make(&q, d->action->name) == -1)
		return -1;
	d->creds_reqid = ++rl->next_reqid;
	d->creds = RELAY_CREDS_ASKING;
	return role_send(rl->role, PROC_LOOKUP, IMSG_LKA_CREDS,
	    d->creds_reqid, -1, &q, sizeof(q));
}

static int
relay_creds_res(struct relay *rl, struct ipc_msg *m)
{
	struct creds_res res;
	char user[CREDS_USER_MAX + 1], pass[CREDS_PASS_MAX + 1];

	if (creds_res_read(m->data, m->len, &res, user, sizeof(user), pass,
	    sizeof(pass)) == -1) {
		log_warnx("relay event=creds error=\"malformed answer\"");
		return -1;
	}
	relay_dest_creds(rl, m->reqid, (int)res.status, user, pass);
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(&res, sizeof(res));
	return 0;
}

/* 1 if host's opportunistic handshake failed within RELAY_TLS_FALLBACK. */
int
relay_tls_failed_lately(struct relay *rl, const char *host)
{
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < RELAY_TLSFAIL_MAX; i++)
		if (rl->tlsfail[i].when != 0 &&
		    now - rl->tlsfail[i].when < RELAY_TLS_FALLBACK &&
		    strcasecmp(rl->tlsfail[i].host, host) == 0)
			return 1;
	return 0;
}

/* Remember a failed handshake: the oldest entry makes room. */
void
relay_tls_failed(struct relay *rl, const char *host)
{
	size_t i, old = 0;

	for (i = 0; i < RELAY_TLSFAIL_MAX; i++) {
		if (strcasecmp(rl->tlsfail[i].host, host) == 0) {
			old = i;
			break;
		}
		if (rl->tlsfail[i].when < rl->tlsfail[old].when)
			old = i;
	}
	strlcpy(rl->tlsfail[old].host, host, sizeof(rl->tlsfail[old].host));
	rl->tlsfail[old].when = time(NULL);
	log_info("relay event=tls-fallback host=%s for=%ds", host,
	    RELAY_TLS_FALLBACK);
}

/*
 * relay.h: the relay role's state (design.md "The relay role"). The queue
 * hands over due MTA envelopes one at a time (IMSG_MTA_TRANSFER); they
 * wait in their destination (a relay action and a domain, or the
 * action's smarthost), whose sessions take them a message at a time as
 * transactions, and each envelope's outcome goes back to the queue
 * (IMSG_MTA_RESULT). Files: relay.c (the role and its messages),
 * relay_dest.c (destinations: resolution, holds, failures),
 * relay_conn.c (the sessions of a destination), relay_route.c (the
 * addresses connected to: penalties and disabled routes), relay_ctl.c
 * (the smtpctl commands show hosts/hoststats/relays/routes and resume
 * route), relay_show.c (their lines, pure), relay_txn.c (a transaction
 * built from envelopes, outcomes, pure).
 */
#ifndef DELIVER_RELAY_H
#define DELIVER_RELAY_H

#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>
#include <gnutls/gnutls.h>

#include "deliver/relay_dns.h"
#include "deliver/relay_sess.h"
#include "queue/envelope.h"
#include "queue/mda_msg.h"
#include "smtpd/config.h"

#define RELAY_DEST_CONN_MAX	10	/* sessions per destination (B.4) */
#define RELAY_HOLD		(5 * 60) /* after a connection-level failure */
#define RELAY_IDLE		2	/* seconds an idle session is kept */
#define RELAY_DNS_TTL		(5 * 60) /* a resolution is reused this long */
#define RELAY_GC		60	/* seconds between sweeps of idle
					 * destinations (a hold kept them) */
#define RELAY_TLS_FALLBACK	(60 * 60) /* plaintext after a failed
					 * opportunistic handshake */
#define RELAY_TLSFAIL_MAX	256	/* hosts remembered for that */
#define RELAY_HEADER_SCAN	(64 * 1024) /* SMTPUTF8: header bytes read */
#define RELAY_KEY_MAX		(ENVELOPE_NAME_MAX + 1 + RELAY_DNS_NAME_MAX + 1)
#define RELAY_ROUTE_MAX		1024	/* routes kept when unused */
#define RELAY_ROUTE_KEEP	(15 * 60) /* an unused route is forgotten */
#define RELAY_ROUTE_DELAY	60	/* disabled after a first failure, */
#define RELAY_ROUTE_DELAY_MAX	3600	/* doubling up to this */
#define RELAY_HOSTSTAT_MAX	1024	/* domains, the oldest evicted */
#define RELAY_HOSTSTAT_AGE	(4 * 60 * 60) /* shown this long */
#define RELAY_LINE_MAX		2048	/* one line of a show command */

struct ipc_msg;
struct relay;
struct relay_ctl_list;
struct relay_dest;

/* A message file, shared by its envelopes at the relay. */
struct relay_msg {
	RB_ENTRY(relay_msg)	 node;
	uint32_t		 msgid;
	int			 fd;
	off_t			 size;
	size_t			 refs;
};
RB_HEAD(relay_msgs, relay_msg);

/* An envelope waiting in, or given out by, its destination. */
struct relay_env {
	TAILQ_ENTRY(relay_env)	 entry;
	struct envelope		 env;
	struct relay_msg	*msg;
	struct relay_dest	*dest;
};
TAILQ_HEAD(relay_env_list, relay_env);

/*
 * A route: an address a destination connected to (the destination's key
 * and the address with its port). A connection-level failure adds to
 * its penalty and disables it for relay_route_delay(penalty); a session
 * that gets ready clears both. Kept while sessions use it, while
 * disabled, then RELAY_ROUTE_KEEP more (relay_route.c).
 */
struct relay_route {
	RB_ENTRY(relay_route)	 node;
	uint64_t		 id;		/* show routes, resume route */
	char			 key[RELAY_KEY_MAX];	/* the destination's */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[RELAY_DNS_NAME_MAX + 1];
	size_t			 nconn;
	size_t			 nerror;	/* failures since the last ready */
	int			 penalty;
	int			 established;	/* a session got ready */
	int			 idle;		/* show routes: K */
	time_t			 disabled_until;
	time_t			 lastconn;
	time_t			 lastused;	/* connect or close */
};
RB_HEAD(relay_routes, relay_route);
RB_PROTOTYPE(relay_routes, relay_route, node, relay_route_cmp);

/* The last outcome for a recipient domain (show hoststats). */
struct relay_hoststat {
	char			 domain[RELAY_DNS_NAME_MAX + 1];
	time_t			 when;
	char			 text[RELAY_TEXT_MAX];
};

/* One session of a destination, on one address of its list. */
struct relay_conn {
	TAILQ_ENTRY(relay_conn)	 entry;
	struct relay_dest	*dest;
	struct relay_sess	*sess;
	struct relay_route	*route;		/* of addr */
	size_t			 addr;		/* index in dest->dns */
	int			 opportunistic;	/* STARTTLS if offered */
	int			 ready;		/* idle and able to send */
	int			 busy;		/* a transaction is out */
	int			 quitting;	/* QUIT sent: no more work */
	int			 lost;		/* outcomes unknown: failed */
	int			 closed;	/* freed from the loop */
	ev_timer		 idle;		/* idle, then the deferred free */
	struct relay_sess_conf	 conf;
	char			 host[RELAY_DNS_NAME_MAX + 1];
	/* the transaction out, and the envelopes of its recipients */
	struct relay_txn	 txn;
	struct relay_rcpt	 rcpt[RELAY_RCPT_MAX];
	struct relay_env	*env[RELAY_RCPT_MAX];
	char			 orcpt[RELAY_RCPT_MAX][ENVELOPE_ORCPT_MAX + 8];
};
TAILQ_HEAD(relay_conn_list, relay_conn);

enum relay_creds_state {
	RELAY_CREDS_NONE,	/* not asked yet */
	RELAY_CREDS_ASKING,
	RELAY_CREDS_OK,
};

/* Where envelopes go: an action and a domain, or an action's smarthost. */
struct relay_dest {
	RB_ENTRY(relay_dest)	 node;
	char			 key[RELAY_KEY_MAX];	/* action \0 domain */
	struct relay		*relay;
	const struct action	*action;
	char			 name[RELAY_DNS_NAME_MAX + 1]; /* domain, host */
	int			 mx;		/* MX lookup, else A/AAAA */
	int			 port;
	struct relay_env_list	 pending;
	struct relay_conn_list	 conns;
	size_t			 nconn;
	/* resolution */
	struct relay_dns_query	*query;
	int			 resolved;
	time_t			 resolved_at;
	struct relay_dns_result	 dns;
	size_t			 cur;		/* next address to try */
	/* the round's last connection-level failure */
	int			 err_status;	/* 0, 4 or 5 */
	char			 err_text[RELAY_TEXT_MAX];
	time_t			 held_until;
	/* show relays */
	time_t			 lastconn;
	int			 established;	/* a session got ready */
	int			 mxfail;	/* the last resolution failed */
	int			 routefail;	/* the last round failed */
	/* smarthost AUTH */
	enum relay_creds_state	 creds;
	uint32_t		 creds_reqid;
	char			 user[256];
	char			 pass[256];
};
RB_HEAD(relay_dests, relay_dest);
RB_PROTOTYPE(relay_dests, relay_dest, node, relay_dest_cmp);

/* A host whose opportunistic handshake failed lately. */
struct relay_tlsfail {
	char			 host[RELAY_DNS_NAME_MAX + 1];
	time_t			 when;
};

struct relay {
	struct role		*role;
	struct relay_dns	*dns;
	struct relay_msgs	 msgs;
	size_t			 nmsgs;
	size_t			 msgs_max;	/* half the descriptor limit */
	struct relay_dests	 dests;
	gnutls_certificate_credentials_t *cred;	/* per action, by index */
	gnutls_certificate_credentials_t defcred;	/* system store only */
	size_t			 ncred;
	uint32_t		 next_reqid;
	struct relay_tlsfail	 tlsfail[RELAY_TLSFAIL_MAX];
	size_t			 envelopes;	/* for show stats */
	struct relay_routes	 routes;
	size_t			 nroutes;
	uint64_t		 next_routeid;
	struct relay_hoststat	*hoststat;	/* RELAY_HOSTSTAT_MAX */
	struct relay_ctl_list	*ctl;		/* streams of show lines */
	ev_timer		 gc;		/* RELAY_GC: idle destinations */
};

/* relay.c */
void	relay_fail(struct relay *, struct relay_env *, int status,
	    const char *text);
void	relay_rcpt_done(struct relay *, struct relay_env *,
	    const struct relay_rcpt *, const char *host);
void	relay_env_free(struct relay *, struct relay_env *);
gnutls_certificate_credentials_t relay_cred(struct relay *,
	    const struct action *);
int	relay_ask_creds(struct relay *, struct relay_dest *);
int	relay_tls_failed_lately(struct relay *, const char *);
void	relay_tls_failed(struct relay *, const char *);

/* relay_dest.c */
void	relay_dest_add(struct relay *, struct relay_env *);
void	relay_dest_run(struct relay_dest *);
void	relay_dest_conn_failed(struct relay_dest *, struct relay_conn *,
	    int, enum relay_stage, const char *);
void	relay_dest_creds(struct relay *, uint32_t, int, const char *,
	    const char *);
void	relay_dest_flush(struct relay *);
void	relay_dest_gc(struct relay *);
void	relay_dest_free_all(struct relay *);

/* relay_conn.c */
struct relay_conn *relay_conn_new(struct relay_dest *, size_t addr);
int	relay_conn_take(struct relay_conn *);
void	relay_conn_free(struct relay_conn *);

/* relay_route.c */
struct relay_route *relay_route_get(struct relay *, struct relay_dest *,
	    size_t addr);
int	relay_route_disabled(struct relay *, struct relay_dest *, size_t addr,
	    time_t);
void	relay_route_ready(struct relay_route *);
void	relay_route_failed(struct relay_route *, time_t);
void	relay_route_closed(struct relay_route *, time_t);
struct relay_route *relay_route_find_id(struct relay *, uint64_t);
void	relay_route_resume(struct relay_route *);
void	relay_route_flush(struct relay *);
void	relay_route_gc(struct relay *, time_t);
void	relay_route_free_all(struct relay *);
int	relay_route_delay(int penalty);

/* relay_ctl.c */
void	relay_ctl_init(struct relay *);
int	relay_ctl_request(struct relay *, struct ipc_msg *);
int	relay_ctl_ack(struct relay *, struct ipc_msg *);
void	relay_ctl_lost(struct relay *);
void	relay_hoststat_update(struct relay *, const char *domain,
	    const char *text);

/* relay_txn.c: pure */
size_t	relay_txn_build(struct relay_txn *, struct relay_rcpt *,
	    char (*)[ENVELOPE_ORCPT_MAX + 8], struct relay_env **,
	    struct relay_env_list *);
void	relay_txn_result(const struct relay_rcpt *, struct mda_result *);
int	relay_txn_needs_utf8(const struct envelope *, const char *header,
	    size_t);

#endif

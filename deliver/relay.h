/*
 * relay.h: the relay role's state (design.md "The relay role"). The queue
 * hands over due MTA envelopes one at a time (IMSG_MTA_TRANSFER); they
 * wait in their destination (a relay action and a domain, or the
 * action's smarthost), whose sessions take them a message at a time as
 * transactions, and each envelope's outcome goes back to the queue
 * (IMSG_MTA_RESULT). Files: relay.c (the role and its messages),
 * relay_dest.c (destinations: resolution, holds, failures),
 * relay_conn.c (the sessions of a destination), relay_txn.c (a
 * transaction built from envelopes, outcomes, pure).
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
#define RELAY_TLS_FALLBACK	(60 * 60) /* plaintext after a failed
					 * opportunistic handshake */
#define RELAY_TLSFAIL_MAX	256	/* hosts remembered for that */
#define RELAY_HEADER_SCAN	(64 * 1024) /* SMTPUTF8: header bytes read */
#define RELAY_KEY_MAX		(ENVELOPE_NAME_MAX + 1 + RELAY_DNS_NAME_MAX + 1)

struct relay;
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

/* One session of a destination, on one address of its list. */
struct relay_conn {
	TAILQ_ENTRY(relay_conn)	 entry;
	struct relay_dest	*dest;
	struct relay_sess	*sess;
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
	/* smarthost AUTH */
	enum relay_creds_state	 creds;
	uint32_t		 creds_reqid;
	char			 user[256];
	char			 pass[256];
};
RB_HEAD(relay_dests, relay_dest);

/* A host whose opportunistic handshake failed lately. */
struct relay_tlsfail {
	char			 host[RELAY_DNS_NAME_MAX + 1];
	time_t			 when;
};

struct relay {
	struct role		*role;
	struct relay_dns	*dns;
	struct relay_msgs	 msgs;
	struct relay_dests	 dests;
	gnutls_certificate_credentials_t *cred;	/* per action, by index */
	gnutls_certificate_credentials_t defcred;	/* system store only */
	size_t			 ncred;
	uint32_t		 next_reqid;
	struct relay_tlsfail	 tlsfail[RELAY_TLSFAIL_MAX];
	size_t			 envelopes;	/* for show stats */
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
void	relay_dest_free_all(struct relay *);

/* relay_conn.c */
struct relay_conn *relay_conn_new(struct relay_dest *, size_t addr);
int	relay_conn_take(struct relay_conn *);
void	relay_conn_free(struct relay_conn *);

/* relay_txn.c: pure */
size_t	relay_txn_build(struct relay_txn *, struct relay_rcpt *,
	    char (*)[ENVELOPE_ORCPT_MAX + 8], struct relay_env **,
	    struct relay_env_list *);
void	relay_txn_result(const struct relay_rcpt *, struct mda_result *);
int	relay_txn_needs_utf8(const struct envelope *, const char *header,
	    size_t);

#endif

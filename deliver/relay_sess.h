/*
 * relay_sess.h: one outbound SMTP or LMTP session of the relay role
 * (protocol.md B.3), non-blocking on the role's libev loop: connect,
 * greeting, EHLO (HELO fallback) or LHLO, STARTTLS, AUTH, then any number
 * of transactions handed in one at a time, then QUIT. The caller (the
 * relay role's routing, deliver/relay_route.c) picks the address, builds
 * the transactions and decides what an outcome means for the envelopes.
 */
#ifndef DELIVER_RELAY_SESS_H
#define DELIVER_RELAY_SESS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <gnutls/gnutls.h>

#define RELAY_TEXT_MAX		512	/* reply text kept, printable ASCII */
#define RELAY_ESC_MAX		16	/* "5.1.1" */
#define RELAY_RCPT_MAX		100	/* recipients per transaction */

enum relay_tls_mode {
	RELAY_SESS_TLS_OPPORTUNISTIC,	/* STARTTLS when offered, unverified */
	RELAY_SESS_TLS_NONE,		/* never (smtp+notls, lmtp, or a host
					 * whose handshake failed lately) */
	RELAY_SESS_TLS_STARTTLS,	/* STARTTLS mandatory */
	RELAY_SESS_TLS_IMPLICIT,	/* smtps: TLS from the first byte */
};

/* Where a session stopped (for logs, show hosts and B.4 decisions). */
enum relay_stage {
	RELAY_STAGE_CONNECT,
	RELAY_STAGE_GREETING,
	RELAY_STAGE_HELO,
	RELAY_STAGE_STARTTLS,	/* the command or the handshake */
	RELAY_STAGE_AUTH,
	RELAY_STAGE_MAIL,
	RELAY_STAGE_RCPT,
	RELAY_STAGE_DATA,	/* DATA command up to the 354 */
	RELAY_STAGE_BODY,	/* content and the end-of-data reply */
	RELAY_STAGE_QUIT,
};

struct relay_sess_conf {
	int			 lmtp;		/* LHLO; a reply per RCPT
						 * after the content */
	enum relay_tls_mode	 tls;
	int			 verify;	/* chain and name checked */
	const char		*helo;		/* EHLO/HELO/LHLO argument */
	const char		*servername;	/* SNI, and the name verified */
	gnutls_certificate_credentials_t cred;	/* trust store, client
						 * certificate; NULL: no TLS */
	const char		*auth_user;	/* NULL: no AUTH */
	const char		*auth_pass;
	/* seconds (protocol.md B.3; Postfix smtp(8) names) */
	int			 connect_timeout;	/* 30 */
	int			 helo_timeout;		/* 300: greeting, EHLO */
	int			 starttls_timeout;	/* 300 */
	int			 mail_timeout;		/* 300 */
	int			 rcpt_timeout;		/* 300 */
	int			 data_init_timeout;	/* 120 */
	int			 data_xfer_timeout;	/* 180: each write */
	int			 data_done_timeout;	/* 600 */
	int			 quit_timeout;		/* 300 */
};

/* One recipient of a transaction and, once known, its outcome. */
struct relay_rcpt {
	uint64_t		 evpid;
	const char		*addr;		/* RCPT TO, without <> */
	uint8_t			 notify;	/* ENVELOPE_DSN_*, 0 if none */
	const char		*orcpt;		/* "rfc822;a@b" or NULL */
	/* set by the session */
	int			 status;	/* 0 pending, 2, 4 or 5 */
	int			 code;		/* reply code, 0 if none */
	char			 esc[RELAY_ESC_MAX];	/* "" if none */
	char			 text[RELAY_TEXT_MAX];	/* "550 5.1.1 ..." */
};

/* One message to a set of recipients, in one MAIL transaction. */
struct relay_txn {
	int			 msgfd;		/* read with pread(), not ours */
	off_t			 msgsize;
	int			 eightbit;	/* content has 8-bit bytes */
	int			 smtputf8;	/* needs SMTPUTF8 (A.12) */
	const char		*sender;	/* "" for <> */
	int			 dsn_ret;	/* ENVELOPE_RET_*: 0 none */
	const char		*envid;		/* NULL or "" if none */
	struct relay_rcpt	*rcpt;
	size_t			 nrcpt;		/* 1..RELAY_RCPT_MAX */
};

struct relay_sess;

struct relay_sess_cb {
	/* Greeting, hello, TLS and AUTH done, or the last transaction
	 * over: relay_sess_send() or relay_sess_quit() now. */
	void	(*ready)(struct relay_sess *, void *);
	/* A transaction is over. Every recipient has status 2, 4 or 5,
	 * or 0 if the connection failed before its outcome was known
	 * (closed() follows then). */
	void	(*done)(struct relay_sess *, struct relay_txn *, void *);
	/* The session is over: after QUIT (status 2), or failed at
	 * stage with status 4 or 5 and the reply or error text. Nothing
	 * is called after this; the caller frees the session. */
	void	(*closed)(struct relay_sess *, int status, enum relay_stage,
		    const char *esc, const char *text, void *);
};

struct relay_sess *relay_sess_new(struct ev_loop *,
		    const struct relay_sess_conf *, const struct sockaddr *,
		    socklen_t, const char *host, const struct relay_sess_cb *,
		    void *);
int		 relay_sess_send(struct relay_sess *, struct relay_txn *);
void		 relay_sess_quit(struct relay_sess *);
void		 relay_sess_free(struct relay_sess *);
int		 relay_sess_tls(const struct relay_sess *);	/* TLS on */
const char	*relay_sess_host(const struct relay_sess *);

#endif

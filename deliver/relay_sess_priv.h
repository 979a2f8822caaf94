/*
 * relay_sess_priv.h: the inside of a relay client session, shared by its
 * parts and by nobody else: relay_sess.c (life cycle, events, replies),
 * relay_sess_end.c (outcomes, done(), closed()), relay_hello.c (greeting, EHLO/HELO/LHLO, STARTTLS, AUTH),
 * relay_mail.c (MAIL, RCPT, DATA, RSET), relay_data.c (the content and
 * the end-of-data replies).
 *
 * Handlers return 0 when the session goes on, -1 when it is closed or
 * freed: the caller must then not touch it again.
 */
#ifndef DELIVER_RELAY_SESS_PRIV_H
#define DELIVER_RELAY_SESS_PRIV_H

#include <sys/types.h>

#include "deliver/deliver.h"
#include "deliver/relay_body.h"
#include "deliver/relay_io.h"
#include "deliver/relay_sess.h"

#define RELAY_HOST_MAX		256	/* host name kept for logs */
#define RELAY_ADDR_MAX		128	/* "[2001:db8::1]:25", "unix:/path" */

enum relay_state {
	RS_CONNECT,		/* connect(2) in progress */
	RS_HANDSHAKE,		/* TLS handshake, implicit or STARTTLS */
	RS_GREETING,
	RS_EHLO,		/* EHLO or LHLO */
	RS_HELO,
	RS_STARTTLS,
	RS_AUTH,		/* AUTH PLAIN, or LOGIN's password sent */
	RS_AUTH_USER,		/* AUTH LOGIN sent */
	RS_AUTH_PASS,		/* LOGIN's user name sent */
	RS_READY,		/* idle between transactions */
	RS_SEND,		/* a transaction handed in, not begun */
	RS_TXN,			/* replies to MAIL, RCPT, DATA */
	RS_BODY,		/* the content going out */
	RS_EOD,			/* end-of-data reply or replies */
	RS_DOT,			/* the reply to a lone "." */
	RS_RSET,
	RS_QUIT,
	RS_CLOSED,
};

struct relay_sess {
	uint64_t		 id;		/* for the logs */
	struct ev_loop		*loop;
	struct relay_sess_conf	 conf;
	struct relay_sess_cb	 cb;
	void			*arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[RELAY_HOST_MAX];
	char			 addr[RELAY_ADDR_MAX];
	struct relay_io		 io;
	ev_io			 rio;
	ev_io			 wio;
	ev_timer		 timer;		/* the stage's timeout */
	ev_timer		 later;		/* relay_sess_later() */
	enum relay_state	 state;
	enum relay_stage	 stage;
	struct lmtp_reply	 reply;
	int			 ext;		/* of the last EHLO/LHLO */
	uint64_t		 size;		/* SIZE limit, 0 none */
	int			 greeted;
	int			 tls_tried;	/* STARTTLS sent once */
	int			 quit_asked;
	int			 reading;	/* rio started */
	int			 depth;		/* in our callbacks */
	int			 dead;		/* freed by the caller */
	char			 err[RELAY_TEXT_MAX];	/* a failure before */
	char			 err_esc[RELAY_ESC_MAX];	/* the loop ran */

	/* the transaction */
	struct relay_txn	*txn;
	size_t			 sent[RELAY_RCPT_MAX];	/* rcpt indices */
	size_t			 nsent;
	size_t			 accepted[RELAY_RCPT_MAX];
	size_t			 naccepted;
	size_t			 next;		/* reply: 0 MAIL, 1.. RCPT,
						 * nsent + 1 DATA */
	int			 mail_ok;
	size_t			 eod;		/* end-of-data replies */
	off_t			 off;		/* message bytes read */
	int			 body_done;	/* ".\r\n" queued */
	struct relay_body	 body;
};

/* relay_sess.c */
void	relay_sess_stop(struct relay_sess *);
void	relay_sess_printable(char *, size_t, const char *, int);
void	relay_sess_cmd(struct relay_sess *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	relay_sess_sent(struct relay_sess *, size_t);
void	relay_sess_secret(struct relay_sess *, const char *, const char *);
void	relay_sess_write(struct relay_sess *);
void	relay_sess_expect(struct relay_sess *, enum relay_state,
	    enum relay_stage);
int	relay_sess_input(struct relay_sess *);
int	relay_sess_ready(struct relay_sess *);
const char *relay_sess_stage_name(enum relay_stage);

/* relay_sess_end.c */
int	relay_sess_close(struct relay_sess *, int, const char *, int,
	    const char *, ...) __attribute__((format(printf, 5, 6)));
int	relay_sess_fail_reply(struct relay_sess *, const char *);
int	relay_sess_lost(struct relay_sess *, const char *);
int	relay_sess_txn_done(struct relay_sess *);
void	relay_sess_outcome(struct relay_rcpt *, const struct lmtp_reply *);
void	relay_sess_refuse(struct relay_rcpt *, int, const char *,
	    const char *);
int	relay_sess_class(int);

/* relay_hello.c */
int	relay_hello_start(struct relay_sess *);
int	relay_hello_reply(struct relay_sess *);
int	relay_hello_handshake(struct relay_sess *);

/* relay_mail.c */
int	relay_mail_begin(struct relay_sess *);
int	relay_mail_reply(struct relay_sess *);

/* relay_data.c */
int	relay_data_start(struct relay_sess *);
int	relay_data_fill(struct relay_sess *);
int	relay_data_written(struct relay_sess *);
int	relay_data_reply(struct relay_sess *);

#endif

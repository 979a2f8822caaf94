/*
 * session.h: one SMTP or LMTP client session in the smtp role, split by
 * phase: session.c (connection, I/O, timers, the command loop),
 * session_cmd.c (commands), session_params.c (ESMTP parameters),
 * session_rcpt.c (recipient checks through the lookup role),
 * session_txn.c (DATA and the queue transaction), session_tls.c
 * (STARTTLS, smtps, TLS record I/O), session_auth.c (AUTH, verified by
 * the lookup role), received.c (our Received: field and the fields
 * added on submission); lmtpd/lmtp_front.c (LMTP replies after the local
 * deliveries).
 */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/cdefs.h>
#include <sys/tree.h>

#include <stdint.h>

#include <ev.h>

#include "lib/addr.h"
#include "lib/buf.h"
#include "auth/throttle.h"
#include "lib/ipc.h"
#include "queue/envelope.h"
#include "smtpd/config.h"
#include "smtpd/data.h"
#include "smtpd/smtp.h"

#define SESSION_CMD_MAX		4096	/* command line incl. CRLF */
#define SESSION_ERRORS_MAX	20	/* syntax/sequence errors, then 421 */
#define SESSION_INBUF_MAX	(DATA_LINE_MAX + 65536)	/* stop reading */
#define SESSION_OUTBUF_MAX	(256 * 1024)	/* client not reading: wait */
#define SESSION_WRITE_CHUNK	(64 * 1024)	/* message file writes */
#define SESSION_HELO_MAX	CONFIG_HOSTNAME_MAX
#define SESSION_TLS_INFO_MAX	128	/* "TLS1.3:TLS_AES_256_GCM_SHA384:256" */

enum session_state {
	S_CMD,		/* reading commands */
	S_WAIT,		/* a lookup or queue request is outstanding */
	S_AUTH,		/* reading AUTH response lines (after a 334) */
	S_AUTH_DELAY,	/* a failed AUTH: the reply waits (auth/throttle.h) */
	S_DATA,		/* reading message content */
	S_TLS,		/* STARTTLS/smtps: the 220, then the handshake */
	S_QUIT,		/* flushing the last reply, then close */
	S_DEAD,		/* closed, waiting for an outstanding reply */
};

/* What the outstanding request is; replies are matched by reqid. */
enum session_wait {
	W_NONE,
	W_RCPT,
	W_CREATE,
	W_COMMIT,
	W_LMTP,		/* LMTP: local deliveries before the replies */
	W_AUTH,		/* the lookup role verifies a login */
};

/* DSN and other per-recipient facts from RCPT TO. */
struct session_rcpt {
	TAILQ_ENTRY(session_rcpt) entry;
	struct mailaddr		 addr;
	char			 text[ADDR_MAILBOX_SIZE];	/* as given */
	uint8_t			 notify;
	enum envelope_orcpt_type orcpt_type;
	char			 orcpt[ENVELOPE_ORCPT_MAX + 1];
	struct envelope		*evp;		/* expansions from lookup */
	size_t			 nevp;
};
TAILQ_HEAD(session_rcpt_list, session_rcpt);

struct session_txn {
	int			 active;	/* MAIL was accepted */
	struct mailaddr		 sender;
	char			 sender_text[ADDR_MAILBOX_SIZE];
	uint64_t		 size_decl;	/* SIZE= */
	int			 body8bit;	/* BODY=8BITMIME */
	int			 smtputf8;
	enum envelope_dsn_ret	 ret;
	char			 envid[ENVELOPE_ENVID_MAX + 1];
	struct session_rcpt_list rcpts;
	size_t			 nrcpt;
	struct session_rcpt	*pending;	/* RCPT waiting for lookup */
	uint32_t		 msgid;
	int			 msgfd;
	struct buf		 wbuf;		/* body bytes for msgfd */
	int			 write_error;	/* errno of a failed write */
	struct data_parser	 dp;
	char			 add_date[64];	/* submission: Date: */
	char			 add_msgid[CONFIG_HOSTNAME_MAX + 48];
	time_t			 started;
	int			 lmtp_sent;	/* IMSG_LMTP_DELIVER went out */
};

struct auth_sasl;
struct session_tls;

struct session {
	RB_ENTRY(session)	 tree;		/* by reqid, while waiting */
	TAILQ_ENTRY(session)	 entry;		/* smtp_server.sessions */
	uint64_t		 id;
	struct smtp_listener	*listener;
	struct smtp_server	*server;
	int			 fd;
	ev_io			 rio;
	ev_io			 wio;
	ev_timer		 timer;
	struct buf		 in;
	struct buf		 out;
	enum session_state	 state;
	enum session_wait	 wait;
	uint32_t		 reqid;

	/* client */
	struct sockaddr_storage	 ss;
	char			 addr[64];	/* text form, "local" */
	int			 local_src;	/* UNIX-domain listener */
	int			 enqueue;	/* sendmail (smtp_enqueue.c) */
	uid_t			 uid;		/* enqueue: the submitter */
	int			 lmtp;
	const char		*name;		/* our host name here */

	/* HELO state */
	int			 helo_done;
	int			 esmtp;
	int			 pipelining;	/* EHLO/LHLO was answered */
	char			 helo[SESSION_HELO_MAX];
	int			 tls;		/* the handshake is done */
	char			 tls_info[SESSION_TLS_INFO_MAX];
	struct session_tls	*tlsc;		/* session_tls.c */
	char			 auth_user[256];	/* "" until AUTH */

	/* AUTH (session_auth.c) */
	struct auth_sasl	*sasl;		/* the exchange; wiped after */
	char			 auth_login[256];	/* being verified */
	struct auth_throttle_sess auth_fails;
	ev_timer		 auth_timer;	/* the delayed 535 or 421 */
	int			 auth_close;	/* the delayed reply is 421 */

	int			 counted;	/* in the session limits */
	int			 discarding;	/* rest of an over-long line */
	int			 nerrors;
	int			 nmails;
	int			 eof;
	struct session_txn	 txn;

	/* LMTP, committed and waiting for the deliveries (lmtpd/) */
	ev_timer		 lmtp_timer;	/* bound on the wait */
	uint32_t		 lmtp_msgid;
	uint32_t		 lmtp_done;	/* recipients answered */
	struct session_rcpt	*lmtp_next;	/* the next one to answer */
};

/* session.c */
struct session *session_new(struct smtp_listener *, int,
	    const struct sockaddr_storage *, socklen_t);
void	session_begin(struct session *);
void	session_greet(struct session *);
void	session_reply(struct session *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	session_flush(struct session *);
void	session_close(struct session *, const char *);
void	session_reap(struct session *);
void	session_resume(struct session *);
void	session_wait(struct session *, enum session_wait);
struct session *session_by_reqid(uint32_t);
struct session *session_find(uint32_t);
int	session_error(struct session *);
void	session_reset_txn(struct session *);
void	session_stop_reading(struct session *);
void	session_shutdown_all(struct smtp_server *);

/* session_tls.c */
int	session_tls_starttls(struct session *);
void	session_tls_smtps(struct session *);
int	session_tls_step(struct session *);
int	session_tls_pending(struct session *);
int	session_tls_write_ready(struct session *);
void	session_tls_close(struct session *);
ssize_t	session_tls_read(struct session *, void *, size_t);
ssize_t	session_tls_write(struct session *, const void *, size_t);

/* session_cmd.c */
void	session_command(struct session *, char *, size_t);

/* session_auth.c */
void	session_auth_init(struct session *);
void	session_auth_command(struct session *, char *);
int	session_auth_line(struct session *);
int	session_auth_result(struct ipc_msg *);
void	session_auth_stop(struct session *);
void	session_auth_consume(struct session *, size_t);
int	session_auth_advertised(const struct session *);

/* session_params.c */
int	session_mail_params(struct session *, char *);
int	session_rcpt_params(struct session *, struct session_rcpt *, char *);
int	session_xtext_decode(const char *, char *, size_t);

/* session_rcpt.c */
void	session_rcpt_lookup(struct session *, struct session_rcpt *);
int	session_lka_expansion(struct ipc_msg *);
int	session_lka_result(struct ipc_msg *);

/* session_txn.c */
void	session_data_start(struct session *);
int	session_queue_created(struct ipc_msg *);
void	session_data_input(struct session *);
int	session_queue_committed(struct ipc_msg *);
void	session_txn_abort(struct session *);

/* received.c */
void	received_header(struct session *, struct buf *);
int	received_submission(const struct session *);
void	received_submission_fields(struct session *, struct data_parser *);

#endif

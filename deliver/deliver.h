/*
 * deliver.h: the local delivery agent (spec/delivery.md), shared by the
 * deliver program (deliver/main.c) and its unit tests. One delivery is a
 * struct dlv_request; every step reports into one struct outcome
 * (success, temporary or permanent failure with an RFC 3463 code and a
 * one-line diagnostic). Nothing here runs as root except the mbox spool
 * open and lock (mbox.c, mbox_lock.c), done by main.c before it drops
 * privileges; nothing here parses network input except the message
 * itself, which is copied, never interpreted beyond the header scan.
 */
#ifndef DELIVER_DELIVER_H
#define DELIVER_DELIVER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/addr.h"
#include "lib/buf.h"

/* ------------------------------------------------------------ outcome.c */

enum outcome_status {
	OUTCOME_OK = 0,
	OUTCOME_TEMP,		/* stays queued, retried */
	OUTCOME_PERM,		/* bounced */
};

#define OUTCOME_ESC_SIZE	16	/* "5.123.123" and NUL */
#define OUTCOME_TEXT_SIZE	512	/* one diagnostic line, printable */

struct outcome {
	enum outcome_status	status;
	char			esc[OUTCOME_ESC_SIZE];
	char			text[OUTCOME_TEXT_SIZE];
};

void	outcome_ok(struct outcome *);
void	outcome_set(struct outcome *, enum outcome_status, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	outcome_errno(struct outcome *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	outcome_exit(const struct outcome *);
const char *outcome_result(const struct outcome *);
size_t	outcome_quote(char *, size_t, const char *, size_t);

/* ------------------------------------------------------------ convert.c */

/*
 * The one streaming filter between the queued message and a local file:
 * CRLF -> LF, a leading mbox "From " line dropped, mboxrd quoting (mbox
 * only), a final LF added when missing. Pure: no I/O, resumable at any
 * byte, so chunking never changes the output.
 */
#define CONVERT_QUOTE	0x01	/* mboxrd: ^>*From  gets one more '>' */
#define CONVERT_STRIP	0x02	/* drop a first line starting "From " */

struct convert {
	int		flags;
	int		state;
	int		first;		/* still on the first line */
	int		cr;		/* a CR waits for its LF */
	int		done;		/* eof seen and everything flushed */
	size_t		gt;		/* '>' seen at line start, held back */
	size_t		match;		/* bytes of "From " matched, held */
	size_t		pend_gt;	/* '>' to emit before pend[] */
	uint8_t		pend[8];
	size_t		npend, pendoff;
	uint64_t	nout;		/* bytes emitted so far */
	uint8_t		last;		/* last byte emitted */
};

void	convert_init(struct convert *, int);
size_t	convert_run(struct convert *, const uint8_t *, size_t, size_t *,
	    uint8_t *, size_t, int);

/* ------------------------------------------------------------ headers.c */

#define HEADERS_FIELD_MAX	1024	/* unfolded field kept for the check */

struct headers_loop {
	const char	*addr;		/* final recipient */
	int		 state;
	int		 found;
	int		 done;
	int		 overflow;
	size_t		 len;
	char		 field[HEADERS_FIELD_MAX];
};

void	headers_trace(struct buf *, const char *, const char *,
	    const char *);
void	headers_loop_init(struct headers_loop *, const char *);
int	headers_loop_feed(struct headers_loop *, const uint8_t *, size_t);
int	headers_loop_end(struct headers_loop *);
int	headers_value_is(const char *, size_t, const char *);

/* ------------------------------------------------------------- msgsrc.c */

/*
 * The message as read from the input: the input descriptor itself when it
 * is a regular file (the queue's message file: no copy), else up to
 * MSGSRC_MEM_MAX bytes in memory and anything larger in an unlinked spill
 * file. Either way it can be read twice: once to measure, once to write.
 */
#define MSGSRC_MEM_MAX		(1024 * 1024)
#define MSGSRC_CHUNK		(64 * 1024)

struct msgsrc {
	int		 fd;		/* -1: memory only */
	int		 own;		/* fd is our spill file */
	off_t		 base;		/* message start in fd */
	off_t		 size;
	uint8_t		*mem;
};

struct msgread {
	struct msgsrc	*src;
	off_t		 off;
	struct convert	 conv;
	uint8_t		 in[MSGSRC_CHUNK];
	size_t		 inpos, inlen;
	int		 eof;
};

int	msgsrc_load(struct msgsrc *, int, const char *, struct outcome *);
void	msgsrc_free(struct msgsrc *);
ssize_t	msgsrc_pread(struct msgsrc *, void *, size_t, off_t);
void	msgsrc_reader(struct msgread *, struct msgsrc *, int);
ssize_t	msgsrc_next(struct msgread *, uint8_t *, size_t);
int	msgsrc_measure(struct msgsrc *, int, uint64_t *, struct outcome *);
int	msgsrc_copy(struct msgsrc *, int, const struct buf *, int, uint64_t *,
	    const char *, struct outcome *);
int	msgsrc_write(int, const void *, size_t);
void	msgsrc_readerr(struct outcome *, int);
int	msgsrc_loop(struct msgsrc *, const char *, struct outcome *);

/* ------------------------------------------------------------ request */

enum dlv_mode {
	DLV_MAILDIR = 0,
	DLV_MBOX,		/* -M path */
	DLV_SPOOL,		/* -s: MAILSPOOL/USER */
	DLV_PIPE,
	DLV_LMTP,		/* -L dest: LMTP hand-off */
};

#define DLV_USER_MAX	256
#define DLV_TAG_MAX	ADDR_LOCAL_MAX

struct dlv_user {
	char		name[DLV_USER_MAX];
	uid_t		uid;
	gid_t		gid;
	char		home[4096];
	int		userbase;	/* -u: no passwd entry, groups = gid */
};

struct dlv_request {
	enum dlv_mode	 mode;
	const char	*path;		/* Maildir root, mbox file or command */
	struct dlv_user	 user;
	char		 sender[ADDR_MAILBOX_SIZE];	/* "" = <> */
	char		 orig[ADDR_MAILBOX_SIZE];	/* X-Original-To */
	struct mailaddr	 final_addr;
	char		 final[ADDR_MAILBOX_SIZE];	/* Delivered-To */
	char		 tag[DLV_TAG_MAX + 1];		/* "" = none */
	int		 notrace;	/* -n: caller wrote the headers */
	uint64_t	 evpid;		/* -e: queue envelope id, 0 = none */
	int		 check;		/* -c: skip if evpid already delivered */
	int		 timeout;	/* pipe time limit, seconds */
	int		 timeout_set;	/* -t given (LMTP: else §7 values) */
};

/* ------------------------------------------------------------ mdauser.c */

int	mdauser_lookup(const char *, struct dlv_user *, struct outcome *);
int	mdauser_userbase(const char *, const char *, struct dlv_user *,
	    struct outcome *);
int	mdauser_self(struct dlv_user *, struct outcome *);
int	mdauser_drop(const struct dlv_user *, struct outcome *);

/* ------------------------------------------------------------ maildir.c */

#define MAILDIR_TRIES	10
#define MAILDIR_HOST_SIZE	(4 * 256 + 1)	/* gethostname, escaped */

int	maildir_host(char *, size_t, const char *);
int	maildir_name(char *, size_t, long long, long, long, unsigned long,
	    uint64_t, const char *, uint64_t);
int	maildir_has_evpid(const char *, uint64_t);
int	maildir_tag(char *, size_t, const char *);
int	maildir_choose(char *, size_t, const char *, const char *,
	    struct outcome *);
int	maildir_prepare(const char *, struct outcome *);
int	maildir_deliver(const char *, struct msgsrc *, const struct buf *,
	    uint64_t, struct outcome *);

/* ------------------------------------------------------- mbox.c, _lock.c */

#ifndef MAILSPOOL
#define MAILSPOOL	"/var/mail"
#endif
#define MBOX_LOCK_TRIES		20	/* one per second */
#define MBOX_LOCK_STALE		500	/* seconds */
#define MBOX_FROM_SIZE		(5 + ADDR_MAILBOX_SIZE + 1 + 24 + 2)

struct mbox {
	char		 path[4096];
	char		 lockpath[4096 + 8];
	int		 fd;
	int		 spool;		/* the system spool file of a user */
	int		 nolock;	/* /dev/null */
	int		 dotlocked;
	int		 fcntl_locked;
	dev_t		 dev;
	ino_t		 ino;
};

void	mbox_init(struct mbox *);
int	mbox_open(struct mbox *, const char *, int, const struct dlv_user *,
	    struct outcome *);
int	mbox_append(struct mbox *, struct msgsrc *, const struct buf *,
	    const char *, struct outcome *);
void	mbox_close(struct mbox *);
int	mbox_fromline(char *, size_t, const char *, time_t);
int	mbox_lock(struct mbox *, struct outcome *);
void	mbox_unlock(struct mbox *);

/* ---------------------------------------------------- pipe.c, _status.c */

#define PIPE_TIMEOUT	1000	/* seconds, Postfix's command_time_limit */
#define PIPE_KILL_DELAY	5	/* SIGTERM to SIGKILL */
#define PIPE_OUTPUT_MAX	4096	/* command output kept */
#ifndef PIPE_PATH
#define PIPE_PATH	"/usr/bin:/bin:/usr/sbin:/sbin"
#endif

int	pipe_deliver(const struct dlv_request *, struct msgsrc *,
	    const struct buf *, struct outcome *);
void	pipe_status_outcome(struct outcome *, int, int, const char *,
	    size_t);

/* ------------------------------------------ lmtp.c, _io.c, _reply.c */

/*
 * LMTP hand-off (delivery.md §7): one connection, several recipients,
 * one outcome each. lmtp_reply.c parses replies, lmtp_io.c connects and
 * moves bytes under deadlines, lmtp.c dot-stuffs and runs the session.
 */
#define LMTP_LINE_MAX		1024	/* reply line with CRLF (RFC: 512) */
#define LMTP_LINES_MAX		100	/* lines of one reply */
#define LMTP_RCPT_MAX		100	/* recipients per run (B.3 item 5) */
#define LMTP_CONNECT_TIMEOUT	30	/* seconds, delivery.md §7 */
#define LMTP_REPLY_TIMEOUT	300	/* greeting, commands, each write */
#define LMTP_DATA_TIMEOUT	600	/* each end-of-data reply */
#define LMTP_QUIT_TIMEOUT	10	/* QUIT is a courtesy */
#define LMTP_IO_SIZE		(16 * 1024)
#define LMTP_WHY_SIZE		256

#define LMTP_EXT_PIPELINING	0x01	/* LHLO/EHLO keywords, lines 2.. */
#define LMTP_EXT_8BITMIME	0x02
#define LMTP_EXT_SMTPUTF8	0x04
#define LMTP_EXT_STARTTLS	0x08	/* the relay's SMTP client too */
#define LMTP_EXT_AUTH_PLAIN	0x10	/* AUTH (or AUTH=) lists PLAIN */
#define LMTP_EXT_AUTH_LOGIN	0x20	/* AUTH lists LOGIN */
#define LMTP_EXT_SIZE		0x40	/* SIZE, its value in ->size */
#define LMTP_EXT_DSN		0x80
#define LMTP_EXT_ENHANCED	0x100	/* ENHANCEDSTATUSCODES */
#define LMTP_SIZE_DIGITS	19	/* longer SIZE values saturate */

enum lmtp_reply_state {
	LMTP_REPLY_MORE,	/* feed more bytes */
	LMTP_REPLY_DONE,	/* a whole reply */
	LMTP_REPLY_ERROR,	/* malformed: ->error says why */
};

struct lmtp_reply {
	int		 code;		/* 200-599, the same on every line */
	int		 nlines;
	int		 ext;		/* LMTP_EXT_* */
	uint64_t	 size;		/* SIZE value; 0: none or no limit */
	char		 esc[OUTCOME_ESC_SIZE];	/* "" when none */
	char		 text[OUTCOME_TEXT_SIZE];	/* printable ASCII */
	size_t		 textlen;
	const char	*error;
	size_t		 linelen;
	uint8_t		 line[LMTP_LINE_MAX];
};

void	lmtp_reply_init(struct lmtp_reply *);
enum lmtp_reply_state lmtp_reply_feed(struct lmtp_reply *, const uint8_t *,
	    size_t, size_t *);

/* lmtp.c: dot-stuffing and CRLF, resumable like convert.c. */
struct lmtp_stuff {
	int		 linestart;
};

void	lmtp_stuff_init(struct lmtp_stuff *);
size_t	lmtp_stuff_run(struct lmtp_stuff *, const uint8_t *, size_t,
	    size_t *, uint8_t *, size_t);

struct lmtp_io {
	int		 fd;
	char		 dest[320];	/* for diagnostics, printable */
	uint8_t		 in[LMTP_IO_SIZE];
	size_t		 inpos, inlen;
	uint8_t		 out[LMTP_IO_SIZE];
	size_t		 outlen;
	char		 why[LMTP_WHY_SIZE];	/* the last I/O failure */
	int		 why_timeout;	/* it was a timeout */
};

int	lmtp_io_connect(struct lmtp_io *, const char *, int, struct outcome *);
int	lmtp_io_reply(struct lmtp_io *, struct lmtp_reply *, int);
int	lmtp_io_write(struct lmtp_io *, const void *, size_t, int);
int	lmtp_io_printf(struct lmtp_io *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	lmtp_io_flush(struct lmtp_io *, int);
void	lmtp_io_close(struct lmtp_io *);

struct lmtp_rcpt {
	char		 name[ADDR_MAILBOX_SIZE];	/* RCPT TO:<name> */
	int		 accepted;	/* 2xx to RCPT */
	int		 done;		/* o is final */
	struct outcome	 o;
};

struct lmtp_job {
	const char	*dest;		/* unix:/path, inet:host:port, ... */
	const char	*helo;		/* LHLO argument */
	const char	*sender;	/* "" = <> */
	int		 timeout;	/* -t: every wait; 0: §7 values */
	struct lmtp_rcpt *rcpt;
	size_t		 nrcpt;
};

void	lmtp_deliver(struct lmtp_job *, struct msgsrc *);
int	lmtp_exit(const struct lmtp_rcpt *, size_t, size_t *);

/* ------------------------------------------------------------ options.c */

/*
 * The command line (doc/deliver.8), of a one-shot run or of one agent
 * request: the strings checked once the user is known, and a refusal,
 * what stops a run before any delivery.
 */
#define DLV_WHY_SIZE	512

struct dlv_args {
	const char	*user;		/* -d */
	const char	*sender;	/* -f, "" by default */
	const char	*rcpt;		/* -r */
	const char	*orig;		/* -o */
	const char	*ids;		/* -u uid:gid:home */
	const char	*lrcpt[LMTP_RCPT_MAX];	/* -R */
	size_t		 nlrcpt;
	int		 agent;		/* -A */
};

struct dlv_refusal {
	int		 code;		/* exit status, sysexits */
	int		 usage;		/* one-shot: print the usage text */
	char		 why[DLV_WHY_SIZE];
};

int	options_parse(int, char **, struct dlv_request *, struct dlv_args *,
	    struct dlv_refusal *);
int	options_addr(const char *, int, struct mailaddr *, char *, size_t);
int	options_refuse(struct dlv_refusal *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif

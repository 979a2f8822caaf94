/*
 * sendmail.h: the sendmail / send-mail personality of smtpctl (spec/ctl.md
 * section 9). ctl/main.c calls sendmail_main() for every sendmail command
 * line except -bi/-I (newaliases). The work is split by subject:
 *	sendmail.c		options, modes, the submission as a whole
 *	sendmail_msg.c		message and header handling (pure)
 *	sendmail_addr.c		address lists, -t, qualification (pure)
 *	sendmail_ctl.c		the session descriptor from the control socket
 *	sendmail_smtp.c		the SMTP dialogue on it, and -bs
 *	sendmail_offline.c	SPOOL/offline/ files while smtpd is down
 */
#ifndef CTL_SENDMAIL_H
#define CTL_SENDMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ctl/sendmail_msg.h"
#include "lib/addr.h"
#include "lib/buf.h"

/* Exit statuses (sysexits.h values, spelt out in ctl.md section 9). */
#define SM_EX_OK		0
#define SM_EX_USAGE		64
#define SM_EX_UNAVAILABLE	69	/* permanent rejection */
#define SM_EX_SOFTWARE		70	/* internal error */
#define SM_EX_TEMPFAIL		75	/* temporary rejection or error */
#define SM_OFFLINE		(-1)	/* smtpd is not running */

#define SM_NOTIFY_MAX		32	/* "SUCCESS,FAILURE,DELAY" */
#define SM_RET_MAX		8	/* "FULL", "HDRS" */
#define SM_BODY_MAX		16	/* "7BIT", "8BITMIME" */
#define SM_ENVID_MAX		100	/* RFC 3461: xtext-encoded */
#define SM_RCPT_MAX		10000	/* recipients of one message */
#define SM_TIMEOUT		300	/* seconds for any reply of smtpd */

/* What one submission tells smtpd besides the message. */
struct sm_env {
	char		 sender[ADDR_MAILBOX_SIZE];	/* "" = <> */
	struct sm_list	 rcpts;
	char		 notify[SM_NOTIFY_MAX];		/* "" = not given */
	char		 ret[SM_RET_MAX];
	char		 envid[SM_ENVID_MAX + 1];	/* as given by -V */
	char		 body[SM_BODY_MAX];
	time_t		 ctime;				/* submitted */
};

int	sendmail_main(int, char **);

/* sendmail_ctl.c: a socket connected to a local SMTP session. */
int	sm_ctl_session(const char *sockpath, int *fd);

/* sendmail_smtp.c */
int	sm_smtp_submit(int fd, const struct sm_env *, const struct buf *msg,
	    int verbose);
int	sm_smtp_proxy(int fd, int in, int out);

/* sendmail_offline.c */
int	sm_offline_write(const char *spool, const struct sm_env *,
	    const struct buf *msg, int verbose);
int	sm_offline_submit(const char *sockpath, int verbose);

#endif

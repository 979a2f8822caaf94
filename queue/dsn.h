/*
 * dsn.h: the delivery status notification writer (protocol.md A.13,
 * RFC 3464, RFC 6522, RFC 3834): a failure, delay or success report as a
 * multipart/report message, written to a descriptor. Called by the queue
 * when recipients of one message reach a state the sender must hear
 * about. Pure apart from the descriptors it is given: no clock (every
 * time is passed in), no global state, no allocation, no logging.
 *
 * Every string in the report is untrusted (a remote server's reply, an
 * ENVID or ORCPT from a client): it is cleaned so that it can never start
 * a line, forge a header field or a MIME boundary, or make a line longer
 * than 998 octets.
 */
#ifndef QUEUE_DSN_H
#define QUEUE_DSN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DSN_FULL_MAX	(1024 * 1024)	/* bigger originals: headers only */
#define DSN_STATUS_SIZE	16
#define DSN_ERR_SIZE	128		/* a good size for dsn_write's err */

enum dsn_kind { DSN_FAILED, DSN_DELAYED, DSN_DELIVERED };

struct dsn_rcpt {
	const char	*final_rcpt;	/* address as user@domain */
	const char	*orcpt;		/* DSN ORCPT, "" or NULL when not given */
	int		 orcpt_utf8;	/* ORCPT was utf-8 type */
	char		 status[DSN_STATUS_SIZE]; /* "5.1.1"; "": per kind */
	int		 local;		/* local delivery: Diagnostic-Code x-unix */
	const char	*diagnostic;	/* reply line or deliver's error; may be "" */
	const char	*remote_mta;	/* NULL or "" for local */
	time_t		 last_attempt;	/* 0: omit Last-Attempt-Date */
	int		 expired;	/* failed because the queue lifetime ended */
};

struct dsn_report {
	enum dsn_kind	 kind;
	const char	*reporting_mta;	/* the server's name, e.g. mx.example.org */
	const char	*to;		/* the original sender (report recipient) */
	const char	*envid;		/* "" or NULL when not given */
	uint32_t	 msgid;		/* original message id, 8 hex in boundary */
	const char	*unique;	/* Message-Id <unique@NAME>, boundary
					 * "MSGID.UNIQUE/NAME" */
	time_t		 arrival;	/* original message ctime */
	time_t		 now;		/* Date: */
	time_t		 retry_until;	/* delayed only: Will-Retry-Until; 0 omit */
	int		 ret_hdrs;	/* RET=HDRS: headers only */
	const struct dsn_rcpt *rcpts;
	size_t		 nrcpts;
};

/*
 * Writes the whole report with CRLF line endings to outfd. The original
 * message is read from msgfd with pread from offset 0 (the spool's CRLF
 * form); msgfd -1 leaves the third part out. Returns 0, or -1 with a
 * message in err.
 */
int	dsn_write(int, const struct dsn_report *, int, char *, size_t);

#endif

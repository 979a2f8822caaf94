/*
 * lka_msg.h: the recipient check between the smtp and lookup roles.
 * Encoded with the record codec (lib/record.h) so attacker-supplied text
 * (addresses, HELO names, AUTH user names) can never forge a field.
 */
#ifndef SMTPD_LKA_MSG_H
#define SMTPD_LKA_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "smtpd/config.h"

#define LKA_REPLY_MAX		512	/* "550 5.1.1 ..." without CRLF */

/* Facts of the session and transaction that match rules look at. */
struct lka_rcpt_req {
	uint64_t	session;
	char		tag[CONFIG_TAG_MAX];
	char		helo[CONFIG_HOSTNAME_MAX];
	char		listener_host[CONFIG_HOSTNAME_MAX];
	char		src[64];	/* client address as text, "local" */
	int		local_src;	/* UNIX socket or enqueue */
	int		enqueue;	/* the enqueue socket (from socket) */
	int		tls;
	char		auth_user[256];	/* "" if not authenticated */
	char		sender[ADDR_MAILBOX_SIZE];	/* "" = null sender */
	char		rcpt[ADDR_MAILBOX_SIZE];	/* as given in RCPT TO */
};

enum lka_status {
	LKA_OK,			/* accepted: expansions were sent */
	LKA_REJECT,		/* permanent: reply holds the 5xx line */
	LKA_TEMPFAIL,		/* temporary: reply holds the 4xx line */
};

struct lka_rcpt_res {
	uint32_t	status;		/* enum lka_status */
	uint32_t	nexpansions;	/* envelopes sent before this result */
	char		reply[LKA_REPLY_MAX];	/* "" for LKA_OK */
};

int	lka_rcpt_req_encode(const struct lka_rcpt_req *, uint8_t **, size_t *);
int	lka_rcpt_req_decode(const uint8_t *, size_t, struct lka_rcpt_req *);
int	lka_rcpt_res_encode(const struct lka_rcpt_res *, uint8_t **, size_t *);
int	lka_rcpt_res_decode(const uint8_t *, size_t, struct lka_rcpt_res *);

#endif

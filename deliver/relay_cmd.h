/*
 * relay_cmd.h: the command lines of the relay client (protocol.md B.3
 * items 4 and 5): MAIL FROM with SIZE, BODY, SMTPUTF8, RET and ENVID,
 * RCPT TO with NOTIFY and ORCPT, each parameter only when the server
 * offered its extension; the address checks that keep a CR, LF or NUL
 * from ever reaching the wire. Pure: used by relay_txn.c and the tests.
 */
#ifndef DELIVER_RELAY_CMD_H
#define DELIVER_RELAY_CMD_H

#include "deliver/relay_sess.h"
#include "lib/buf.h"

#define RELAY_XTEXT_MAX		1024	/* one xtext-encoded value */

enum relay_addr_check {
	RELAY_ADDR_OK,
	RELAY_ADDR_BAD,		/* a control byte: never sent */
	RELAY_ADDR_UTF8,	/* 8-bit without SMTPUTF8 */
};

enum relay_addr_check relay_cmd_addr(const char *, int utf8);
/* ext: the LMTP_EXT_* flags of the server's EHLO/LHLO reply. */
void	relay_cmd_mail(struct buf *, const struct relay_txn *, int ext);
void	relay_cmd_rcpt(struct buf *, const struct relay_rcpt *, int ext);

#endif

/*
 * relay_cmd.c: MAIL and RCPT lines of the relay client (relay_cmd.h).
 * ENVID and ORCPT values are xtext-encoded with the one xtext encoder
 * (ctl/sendmail_msg.c, sm_xtext); a value that does not fit is left out
 * rather than cut. Addresses are checked by relay_cmd_addr() before a
 * line is built: callers never pass one with a control byte here.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/sendmail_msg.h"
#include "deliver/deliver.h"
#include "deliver/relay_cmd.h"
#include "queue/envelope.h"

#define RELAY_ORCPT_TYPE_MAX	32	/* "rfc822", "utf-8" */

static void	relay_cmd_notify(struct buf *, uint8_t);
static void	relay_cmd_orcpt(struct buf *, const char *);

enum relay_addr_check
relay_cmd_addr(const char *addr, int utf8)
{
	const unsigned char *p;
	int eight = 0;

	for (p = (const unsigned char *)addr; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return RELAY_ADDR_BAD;
		if (*p >= 0x80)
			eight = 1;
	}
	return eight && !utf8 ? RELAY_ADDR_UTF8 : RELAY_ADDR_OK;
}

void
relay_cmd_mail(struct buf *b, const struct relay_txn *t, int ext)
{
	char x[RELAY_XTEXT_MAX];

	buf_printf(b, "MAIL FROM:<%s>", t->sender);
	if (ext & LMTP_EXT_SIZE)
		buf_printf(b, " SIZE=%lld", (long long)t->msgsize);
	if (t->eightbit && (ext & LMTP_EXT_8BITMIME))
		buf_addstr(b, " BODY=8BITMIME");
	if (t->smtputf8 && (ext & LMTP_EXT_SMTPUTF8))
		buf_addstr(b, " SMTPUTF8");
	if (ext & LMTP_EXT_DSN) {
		if (t->dsn_ret == ENVELOPE_RET_FULL)
			buf_addstr(b, " RET=FULL");
		else if (t->dsn_ret == ENVELOPE_RET_HDRS)
			buf_addstr(b, " RET=HDRS");
		if (t->envid != NULL && *t->envid != '\0' &&
		    sm_xtext(t->envid, x, sizeof(x)) == 0)
			buf_printf(b, " ENVID=%s", x);
	}
	buf_addstr(b, "\r\n");
}

static void
relay_cmd_notify(struct buf *b, uint8_t notify)
{
	const char *sep = "";

	if (notify & ENVELOPE_DSN_NEVER) {
		buf_addstr(b, " NOTIFY=NEVER");
		return;
	}
	buf_addstr(b, " NOTIFY=");
	if (notify & ENVELOPE_DSN_SUCCESS) {
		buf_addstr(b, "SUCCESS");
		sep = ",";
	}
	if (notify & ENVELOPE_DSN_FAILURE) {
		buf_printf(b, "%sFAILURE", sep);
		sep = ",";
	}
	if (notify & ENVELOPE_DSN_DELAY)
		buf_printf(b, "%sDELAY", sep);
}

/* "type;address": the type an atom as it is, the address xtext. */
static void
relay_cmd_orcpt(struct buf *b, const char *orcpt)
{
	char x[RELAY_XTEXT_MAX];
	const char *semi;
	size_t i, n;

	if ((semi = strchr(orcpt, ';')) == NULL || semi == orcpt ||
	    (n = (size_t)(semi - orcpt)) > RELAY_ORCPT_TYPE_MAX)
		return;
	for (i = 0; i < n; i++)
		if (!((orcpt[i] >= 'a' && orcpt[i] <= 'z') ||
		    (orcpt[i] >= 'A' && orcpt[i] <= 'Z') ||
		    (orcpt[i] >= '0' && orcpt[i] <= '9') || orcpt[i] == '-'))
			return;
	if (semi[1] == '\0' || sm_xtext(semi + 1, x, sizeof(x)) == -1)
		return;
	buf_printf(b, " ORCPT=%.*s;%s", (int)n, orcpt, x);
}

void
relay_cmd_rcpt(struct buf *b, const struct relay_rcpt *r, int ext)
{
	buf_printf(b, "RCPT TO:<%s>", r->addr);
	if (ext & LMTP_EXT_DSN) {
		if (r->notify & (ENVELOPE_DSN_NEVER | ENVELOPE_DSN_SUCCESS |
		    ENVELOPE_DSN_FAILURE | ENVELOPE_DSN_DELAY))
			relay_cmd_notify(b, r->notify);
		if (r->orcpt != NULL)
			relay_cmd_orcpt(b, r->orcpt);
	}
	buf_addstr(b, "\r\n");
}

/*
 * relay_txn.c: a relay transaction made of queued envelopes, and what a
 * recipient's outcome becomes for the queue. Pure: no I/O (the caller
 * reads the header section for relay_txn_needs_utf8()).
 *
 * A transaction is the first waiting envelope's message with every other
 * waiting envelope of that message, in order, up to RELAY_RCPT_MAX
 * (protocol.md B.3 item 5). RCPT TO is the envelope's final address
 * (dest); ORCPT is passed on as it came, or made from the address the
 * client gave (rcpt) when that differs, as RFC 3461 §4.2 suggests.
 */
#include <stdio.h>
#include <string.h>

#include "deliver/relay.h"
#include "lib/esc.h"

static int	relay_txn_ascii(const char *, size_t);
static void	relay_txn_orcpt(const struct envelope *, char *, size_t);

static int
relay_txn_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* "rfc822;ADDR" or "utf-8;ADDR", or "" when there is none to pass on. */
static void
relay_txn_orcpt(const struct envelope *e, char *buf, size_t size)
{
	buf[0] = '\0';
	if (e->dsn_orcpt_type == ENVELOPE_ORCPT_RFC822)
		snprintf(buf, size, "rfc822;%s", e->dsn_orcpt);
	else if (e->dsn_orcpt_type == ENVELOPE_ORCPT_UTF8)
		snprintf(buf, size, "utf-8;%s", e->dsn_orcpt);
}

/*
 * Takes the first envelope of `list` and the others of its message out of
 * the list into txn, rcpt and env (arrays of RELAY_RCPT_MAX). The caller
 * sets msgfd, msgsize and smtputf8. Returns the number of recipients, 0
 * if the list is empty.
 */
size_t
relay_txn_build(struct relay_txn *txn, struct relay_rcpt *rcpt,
    char (*orcpt)[ENVELOPE_ORCPT_MAX + 8], struct relay_env **env,
    struct relay_env_list *list)
{
	struct relay_env *re, *next, *first;
	size_t n = 0;

	memset(txn, 0, sizeof(*txn));
	if ((first = TAILQ_FIRST(list)) == NULL)
		return 0;
	for (re = first; re != NULL && n < RELAY_RCPT_MAX; re = next) {
		next = TAILQ_NEXT(re, entry);
		if (re->msg != first->msg)
			continue;
		TAILQ_REMOVE(list, re, entry);
		memset(&rcpt[n], 0, sizeof(rcpt[n]));
		rcpt[n].evpid = re->env.evpid;
		rcpt[n].addr = re->env.dest[0] != '\0' ? re->env.dest :
		    re->env.rcpt;
		rcpt[n].notify = re->env.dsn_notify;
		relay_txn_orcpt(&re->env, orcpt[n], sizeof(orcpt[n]));
		rcpt[n].orcpt = orcpt[n][0] != '\0' ? orcpt[n] : NULL;
		env[n++] = re;
	}
	txn->sender = first->env.sender;
	txn->eightbit = (first->env.flags & ENVELOPE_F_8BITMIME) != 0;
	txn->dsn_ret = first->env.dsn_ret;
	txn->envid = first->env.dsn_envid[0] != '\0' ?
	    first->env.dsn_envid : NULL;
	txn->rcpt = rcpt;
	txn->nrcpt = n;
	return n;
}

/*
 * A.12: an SMTPUTF8 transaction needs the extension downstream only if
 * an address or the header section is not ASCII.
 */
int
relay_txn_needs_utf8(const struct envelope *e, const char *header,
    size_t len)
{
	if (!(e->flags & ENVELOPE_F_SMTPUTF8))
		return 0;
	return !relay_txn_ascii(e->sender, sizeof(e->sender)) ||
	    !relay_txn_ascii(e->dest, sizeof(e->dest)) ||
	    !relay_txn_ascii(e->rcpt, sizeof(e->rcpt)) ||
	    !relay_txn_ascii(header, len);
}

/*
 * The queue's view of a recipient's outcome: the class from the status,
 * the enhanced code from the reply (else X.0.0), the reply as the text
 * (protocol.md B.4: kept for `show queue` and the report's
 * Diagnostic-Code).
 */
void
relay_txn_result(const struct relay_rcpt *r, struct mda_result *res)
{
	memset(res, 0, sizeof(*res));
	res->evpid = r->evpid;
	res->outcome = r->status == 2 ? MDA_OK : r->status == 5 ?
	    MDA_PERMFAIL : MDA_TEMPFAIL;
	if (esc_parse(r->esc, &res->esc_class, &res->esc_subject,
	    &res->esc_detail) == 0) {
		res->esc_subject = 0;
		res->esc_detail = 0;
	}
	/* the class follows the status, whatever the reply claims */
	res->esc_class = r->status == 2 ? 2 : r->status == 5 ? 5 : 4;
	snprintf(res->text, sizeof(res->text), "%s", r->text);
}

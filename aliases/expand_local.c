/*
 * expand_local.c: the local results of an expansion (tables.md section 3,
 * config.md section 5.1): delivery to a user's mailbox by the action's
 * method, and |command or /file destinations as MDA finals with
 * mda_method PIPE/FILE. Called by the nodes (expand_node.c,
 * expand_forward.c) and by expand_dest.c. This is the one place that
 * enforces forward-only and expand-only actions: it never adds a mailbox
 * under either, nor a pipe or file under forward-only; such a result
 * fails the recipient permanently.
 */
#include <stdio.h>
#include <string.h>

#include "aliases/expand_int.h"
#include "lib/log.h"

static int	expand_local_refuse(struct expand *, const struct action *,
		    const char *, const char *);

/*
 * A local result under a forward-only or expand-only action (config.md
 * section 5.1): the recipient fails permanently. what: "mailbox", "pipe"
 * or "file".
 */
static int
expand_local_refuse(struct expand *x, const struct action *a,
    const char *user, const char *what)
{
	log_info("%016llx lookup event=expand rcpt=<%s> action=%s user=%s "
	    "error=\"%s not allowed by %s\" result=PermFail",
	    (unsigned long long)x->req->session, x->req->rcpt, a->name, user,
	    what, a->method == ACTION_FORWARD_ONLY ? "forward-only" :
	    "expand-only");
	return expand_fail(x, EXPAND_REJECT, a->method == ACTION_FORWARD_ONLY ?
	    EXPAND_REPLY_FWDONLY : EXPAND_REPLY_EXPONLY);
}

/* Final delivery to user's mailbox by the action's method. */
int
expand_local_mailbox(struct expand *x, const struct action *a,
    const char *user, const char *domain, const char *tag)
{
	struct expand_final f;

	if (a->method == ACTION_FORWARD_ONLY || a->method == ACTION_EXPAND_ONLY)
		return expand_local_refuse(x, a, user, "mailbox");
	memset(&f, 0, sizeof(f));
	f.type = ENVELOPE_MDA;
	f.action = a;
	f.method = ENVELOPE_MDA_ACTION;
	if (snprintf(f.dest, sizeof(f.dest), "%s@%s", user, domain) >=
	    (int)sizeof(f.dest) ||
	    strlcpy(f.user, a->user != NULL ? a->user : user, sizeof(f.user))
	    >= sizeof(f.user))
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	strlcpy(f.subaddress, tag != NULL ? tag : "", sizeof(f.subaddress));
	log_trace(TRACE_EXPAND, "%016llx lookup event=expand final=mailbox "
	    "user=%s action=%s", (unsigned long long)x->req->session, f.user,
	    a->name);
	return expand_final(x, &f);
}

/*
 * A |command or /file destination of a value from o (not a root-owned
 * .forward: expand_dest() refused those). It runs as the .forward's owner,
 * else the action's user, else MAIL_USER.
 */
int
expand_local_exec(struct expand *x, const struct aliasfmt_dest *d,
    const struct expand_origin *o)
{
	struct expand_final f;

	if (o->action->method == ACTION_FORWARD_ONLY)
		return expand_local_refuse(x, o->action, o->fwd_user != NULL ?
		    o->fwd_user : "-", d->type == ALIASFMT_PIPE ?
		    "pipe" : "file");
	memset(&f, 0, sizeof(f));
	f.type = ENVELOPE_MDA;
	f.action = o->action;
	f.method = d->type == ALIASFMT_PIPE ? ENVELOPE_MDA_PIPE :
	    ENVELOPE_MDA_FILE;
	strlcpy(f.dest, o->dest, sizeof(f.dest));
	strlcpy(f.user, o->fwd_user != NULL ? o->fwd_user :
	    o->action->user != NULL ? o->action->user : MAIL_USER,
	    sizeof(f.user));
	if (strlcpy(f.exec, d->value, sizeof(f.exec)) >= sizeof(f.exec))
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	return expand_final(x, &f);
}

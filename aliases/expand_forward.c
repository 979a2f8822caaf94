/*
 * expand_forward.c: the .forward of a user node (delivery.md section 5):
 * asks ops->forward for it (a system user, or a userbase user whose file
 * is HOME/.forward of its entry), stops the run with EXPAND_PENDING when
 * the answer is not known yet, and expands its destinations, or delivers
 * to the mailbox when there is none. Called by expand_node.c. Never opens
 * or reads a file itself (the caller's ops do), and a .forward that is too
 * large, has too many destinations or does not parse is a 4xx, never a
 * silent delivery to the mailbox.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aliases/expand_int.h"
#include "lib/log.h"

/*
 * delivery.md section 5: the user's .forward, or the mailbox. ui: the
 * userbase entry of a userbase user (HOME/.forward), NULL for a system
 * user.
 */
int
expand_forward_user(struct expand *x, const struct action *a, const char *user,
    const char *domain, const char *tag, const struct table_userinfo *ui)
{
	struct expand_forward fw;
	struct aliasfmt_list *list;
	struct expand_origin o;
	char addr[ENVELOPE_ADDR_MAX + 1];
	const char *why;
	size_t i;
	int rc = 0;

	memset(&fw, 0, sizeof(fw));
	if (ui != NULL) {
		fw.userbase = 1;
		fw.ui = *ui;
	}
	x->ops->forward(x->ops->arg, user, &fw);
	switch (fw.status) {
	case EXPAND_FWD_NONE:
		return expand_local_mailbox(x, a, user, domain, tag);
	case EXPAND_FWD_PENDING:
		if (x->res->status == EXPAND_OK) {
			x->res->status = EXPAND_PENDING;
			strlcpy(x->res->pending_user, user,
			    sizeof(x->res->pending_user));
			x->res->pending_userbase = fw.userbase;
			x->res->pending_ui = fw.ui;
		}
		return -1;
	case EXPAND_FWD_TEMPFAIL:
		return expand_fail(x, EXPAND_TEMPFAIL, fw.reply[0] ? fw.reply :
		    RCPT_REPLY_TEMPFAIL);
	case EXPAND_FWD_FOUND:
		break;
	}
	if (fw.len == 0)
		return expand_local_mailbox(x, a, user, domain, tag);
	if (fw.len >= EXPAND_FORWARD_SIZE) {
		why = "too large";
		goto bad;
	}
	if (aliasfmt_parse(fw.buf, fw.len, &list, &why) == -1)
		goto bad;
	if (list->count > EXPAND_FORWARD_DESTS) {
		aliasfmt_free(list);
		why = "too many destinations";
		goto bad;
	}
	if (list->count == 0) {
		aliasfmt_free(list);
		return expand_local_mailbox(x, a, user, domain, tag);
	}
	snprintf(addr, sizeof(addr), "%s@%s", user, domain);
	memset(&o, 0, sizeof(o));
	o.action = a;
	o.dest = addr;
	o.domain = domain;
	o.fwd_user = user;
	o.owner_root = fw.owner_root;
	o.self = user;
	o.tag = tag;
	log_trace(TRACE_EXPAND, "%016llx lookup event=expand forward=%s "
	    "destinations=%zu", (unsigned long long)x->req->session, user,
	    list->count);
	for (i = 0; i < list->count && rc == 0; i++) {
		/* a user naming themselves: the mailbox (delivery.md 5.5) */
		if (list->dests[i].type == ALIASFMT_USER &&
		    strcasecmp(list->dests[i].value, user) == 0)
			rc = expand_local_mailbox(x, a, user, domain, tag);
		else
			rc = expand_dest(x, &list->dests[i], &o);
	}
	aliasfmt_free(list);
	return rc;
 bad:
	log_warnx("%016llx lookup event=forward user=%s error=\"%s\" "
	    "result=TempFail", (unsigned long long)x->req->session, user, why);
	return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
}

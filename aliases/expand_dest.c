/*
 * expand_dest.c: the values of the expansion (tables.md section 3, "Where
 * it leads"): an alias/virtual value, a .forward or an :include: file is
 * parsed by aliasfmt and each destination goes where its type says: an
 * error:NNN fails the recipient, an address is re-routed through the match
 * rules, a user becomes a user node, an :include: file is read through
 * ops->include, a |command or /file becomes a local result. Called by
 * expand_node.c and expand_forward.c. Never parses a value itself, never
 * lets a root-owned .forward name a pipe, file or include, and never
 * follows an include nested in an include.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases/expand_int.h"
#include "lib/log.h"

static int	expand_dest_error(struct expand *,
		    const struct aliasfmt_dest *);
static int	expand_dest_reroute(struct expand *, const char *);
static int	expand_dest_include(struct expand *, const char *,
		    const struct expand_origin *);

/* An alias/virtual value or an include file's contents. */
int
expand_dest_value(struct expand *x, const char *s, size_t len,
    const struct expand_origin *o, size_t max)
{
	struct aliasfmt_list *list;
	const char *why;
	size_t i;
	int rc = 0;

	if (aliasfmt_parse(s, len, &list, &why) == -1) {
		log_warnx("%016llx lookup event=expand dest=<%s> error=\"%s\" "
		    "result=TempFail", (unsigned long long)x->req->session,
		    o->dest, why);
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	}
	if (max != 0 && list->count > max) {
		aliasfmt_free(list);
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	}
	for (i = 0; i < list->count && rc == 0; i++)
		rc = expand_dest(x, &list->dests[i], o);
	aliasfmt_free(list);
	return rc;
}

/* One destination of a value (tables.md section 3, "Where it leads"). */
int
expand_dest(struct expand *x, const struct aliasfmt_dest *d,
    const struct expand_origin *o)
{
	const char *tag;

	switch (d->type) {
	case ALIASFMT_ERROR:
		return expand_dest_error(x, d);
	case ALIASFMT_ADDRESS:
		return expand_dest_reroute(x, d->value);
	case ALIASFMT_USER:
		tag = o->self != NULL && strcasecmp(d->value, o->self) == 0 ?
		    o->tag : NULL;
		return expand_node_user(x, o->action, d->value, o->domain, tag,
		    d->final, 0);
	case ALIASFMT_INCLUDE:
		if (o->owner_root)
			return expand_fail(x, EXPAND_REJECT,
			    EXPAND_REPLY_ROOTFWD);
		if (o->in_include) {
			log_warnx("%016llx lookup event=expand include=%s "
			    "warning=\"nested include ignored\"",
			    (unsigned long long)x->req->session, d->value);
			return 0;
		}
		return expand_dest_include(x, d->value, o);
	case ALIASFMT_PIPE:
	case ALIASFMT_FILE:
		if (o->owner_root)
			return expand_fail(x, EXPAND_REJECT,
			    EXPAND_REPLY_ROOTFWD);
		return expand_local_exec(x, d, o);
	}
	return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
}

/* error:NNN [X.Y.Z] text: the recipient fails with that reply. */
static int
expand_dest_error(struct expand *x, const struct aliasfmt_dest *d)
{
	char reply[LKA_REPLY_MAX];

	snprintf(reply, sizeof(reply), "%03d%s%s%s%s", d->code,
	    d->enhanced[0] ? " " : "", d->enhanced, d->value[0] ? " " : "",
	    d->value);
	return expand_fail(x, d->code >= 500 ? EXPAND_REJECT :
	    EXPAND_TEMPFAIL, reply);
}

/* An address: a new recipient through the match rules, same session. */
static int
expand_dest_reroute(struct expand *x, const char *address)
{
	struct lka_rcpt_req req;
	struct rules_match rm;
	struct expand_final f;

	req = *x->req;
	if (strlcpy(req.rcpt, address, sizeof(req.rcpt)) >= sizeof(req.rcpt))
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_UNKNOWN);
	rules_match(x->ctx, &req, &rm);
	log_trace(TRACE_EXPAND, "%016llx lookup event=expand address=<%s> "
	    "verdict=%d", (unsigned long long)x->req->session, address,
	    (int)rm.verdict);
	switch (rm.verdict) {
	case RULES_TEMPFAIL:
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	case RULES_REJECT:
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_REJECT);
	case RULES_NOMATCH:
		return expand_fail(x, EXPAND_REJECT, rm.local_domain ?
		    RCPT_REPLY_UNKNOWN : RCPT_REPLY_RELAY);
	case RULES_ACCEPT:
		break;
	}
	if (rm.match->action == NULL)
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	if (rm.match->action->method != ACTION_RELAY)
		return expand_node_address(x, rm.match->action, rm.rcpt,
		    rm.local_domain);
	memset(&f, 0, sizeof(f));
	f.type = ENVELOPE_MTA;
	f.action = rm.match->action;
	if (strlcpy(f.dest, rm.rcpt, sizeof(f.dest)) >= sizeof(f.dest))
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_UNKNOWN);
	return expand_final(x, &f);
}

/* An :include: file: its contents as a value, unless it is on the path. */
static int
expand_dest_include(struct expand *x, const char *path,
    const struct expand_origin *o)
{
	struct expand_origin io = *o;
	char key[EXPAND_KEY_MAX], *buf = NULL;
	size_t len = 0;
	int rc;

	snprintf(key, sizeof(key), "i:%s", path);
	if (expand_onpath(x, key) != NULL)
		return 0;
	if ((x->ops->include != NULL ? x->ops->include :
	    expand_include_file)(x->ops->arg, path, &buf, &len) == -1)
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	if (expand_push(x, key, NULL, o->action, o->dest) == -1) {
		free(buf);
		return -1;
	}
	io.in_include = 1;
	rc = expand_dest_value(x, buf, len, &io, 0);
	free(buf);
	x->depth--;
	return rc;
}

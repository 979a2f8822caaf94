/*
 * expand.c: the expansion tree of one recipient (see expand.h; spec
 * tables.md sections 3-5, delivery.md section 5). Called by the lookup
 * role and the unit tests. Values come from admins' tables and users'
 * .forward files: they are parsed by aliasfmt only, every limit (depth,
 * final destinations, nodes visited, .forward size) ends the run with a
 * reply, nothing here aborts on bad data, and every table error is a 4xx.
 *
 * Nodes and the path: an address node (action, folded local@domain), a
 * user node (action, folded user), an include node (path). A node that is
 * already on the path from the root is not expanded again; a user node
 * (or an address node that fell through to its user) is then delivered to
 * that user's mailbox (tables.md: `bob: bob, alice`).
 * Sub-address: the +tag of the recipient is kept for the final delivery
 * of the recipient's own user (no table hit, or a hit on the untagged key
 * whose value names that same user, e.g. `bob: \bob, |vacation`).
 * Users of an action's userbase have a .forward too (HOME/.forward of
 * their entry, tables.md 6.3); forward-only and expand-only actions
 * refuse local results (expand_nolocal, expand.h).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aliases/aliasfmt.h"
#include "aliases/expand.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define EXPAND_POSTMASTER	"postmaster"

/* Where a value came from: decides who runs its pipes and files. */
struct expand_origin {
	const struct action	*action;
	const char		*dest;		/* address the value belongs to */
	const char		*domain;	/* for user destinations */
	const char		*fwd_user;	/* .forward owner, NULL: table */
	int			 owner_root;
	int			 in_include;
	const char		*self;		/* user whose tag is kept */
	const char		*tag;
};

struct expand_path {
	char			 key[EXPAND_KEY_MAX];
	char			 user[ENVELOPE_USER_MAX + 1];	/* fell through */
	const struct action	*action;
	char			 dest[ENVELOPE_ADDR_MAX + 1];
};

struct expand {
	const struct rules_ctx	*ctx;
	const struct lka_rcpt_req *req;
	const struct expand_ops	*ops;
	struct expand_result	*res;
	struct expand_path	 path[EXPAND_DEPTH_MAX + 2];
	size_t			 depth;		/* entries on path[] */
	size_t			 nodes;
	size_t			 nalloc;
};

static int	expand_fail(struct expand *, enum expand_status, const char *);
static int	expand_push(struct expand *, const char *, const char *,
		    const struct action *, const char *);
static struct expand_path *expand_onpath(struct expand *, const char *);
static int	expand_final(struct expand *, const struct expand_final *);
static int	expand_deliver(struct expand *, const struct action *,
		    const char *, const char *, const char *);
static int	expand_nolocal(struct expand *, const struct action *,
		    const char *, const char *);
static int	expand_address(struct expand *, const struct action *,
		    const char *, int);
static int	expand_user(struct expand *, const struct action *,
		    const char *, const char *, const char *, int, int);
static int	expand_forward(struct expand *, const struct action *,
		    const char *, const char *, const char *,
		    const struct table_userinfo *);
static int	expand_value(struct expand *, const char *, size_t,
		    const struct expand_origin *, size_t);
static int	expand_dest(struct expand *, const struct aliasfmt_dest *,
		    const struct expand_origin *);
static int	expand_reroute(struct expand *, const char *);
static int	expand_include(struct expand *, const char *,
		    const struct expand_origin *);
static int	expand_error(struct expand *, const struct aliasfmt_dest *);
static enum table_result expand_lookup(struct expand *, struct table_decl *,
		    const char **, size_t, char **, size_t *);

static int
expand_fail(struct expand *x, enum expand_status st, const char *reply)
{
	if (x->res->status == EXPAND_OK) {
		x->res->status = st;
		strlcpy(x->res->reply, reply, sizeof(x->res->reply));
	}
	return -1;
}

/* Enters a node: the depth limit and the work bound. */
static int
expand_push(struct expand *x, const char *key, const char *user,
    const struct action *a, const char *dest)
{
	struct expand_path *p;

	if (x->depth > EXPAND_DEPTH_MAX || ++x->nodes > EXPAND_NODES_MAX) {
		log_warnx("%016llx lookup event=expand rcpt=<%s> error=\"%s\" "
		    "result=PermFail", (unsigned long long)x->req->session,
		    x->req->rcpt, x->nodes > EXPAND_NODES_MAX ?
		    "too many nodes" : "depth limit");
		return expand_fail(x, EXPAND_REJECT, EXPAND_REPLY_LOOP);
	}
	p = &x->path[x->depth++];
	strlcpy(p->key, key, sizeof(p->key));
	strlcpy(p->user, user != NULL ? user : "", sizeof(p->user));
	strlcpy(p->dest, dest != NULL ? dest : "", sizeof(p->dest));
	p->action = a;
	return 0;
}

static struct expand_path *
expand_onpath(struct expand *x, const char *key)
{
	size_t i;

	for (i = 0; i < x->depth; i++)
		if (strcmp(x->path[i].key, key) == 0)
			return &x->path[i];
	return NULL;
}

/* Adds a final destination unless an identical one is there. */
static int
expand_final(struct expand *x, const struct expand_final *f)
{
	struct expand_result *r = x->res;
	const struct expand_final *o;
	size_t i;

	for (i = 0; i < r->nfinals; i++) {
		o = &r->finals[i];
		if (o->type == f->type && o->action == f->action &&
		    o->method == f->method && strcmp(o->user, f->user) == 0 &&
		    strcmp(o->exec, f->exec) == 0 &&
		    (f->type == ENVELOPE_MDA ? f->method != ENVELOPE_MDA_ACTION
		    || strcmp(o->subaddress, f->subaddress) == 0 :
		    strcasecmp(o->dest, f->dest) == 0))
			return 0;
	}
	if (r->nfinals >= EXPAND_FINAL_MAX) {
		log_warnx("%016llx lookup event=expand rcpt=<%s> error=\"more "
		    "than %d destinations\" result=PermFail",
		    (unsigned long long)x->req->session, x->req->rcpt,
		    EXPAND_FINAL_MAX);
		return expand_fail(x, EXPAND_REJECT, EXPAND_REPLY_LOOP);
	}
	if (r->nfinals == x->nalloc) {
		x->nalloc = x->nalloc ? x->nalloc * 2 : 8;
		r->finals = xreallocarray(r->finals, x->nalloc,
		    sizeof(*r->finals));
	}
	r->finals[r->nfinals++] = *f;
	return 0;
}

/*
 * A local result under a forward-only or expand-only action (config.md
 * section 5.1): the recipient fails permanently. what: "mailbox", "pipe"
 * or "file".
 */
static int
expand_nolocal(struct expand *x, const struct action *a, const char *user,
    const char *what)
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
static int
expand_deliver(struct expand *x, const struct action *a, const char *user,
    const char *domain, const char *tag)
{
	struct expand_final f;

	if (a->method == ACTION_FORWARD_ONLY || a->method == ACTION_EXPAND_ONLY)
		return expand_nolocal(x, a, user, "mailbox");
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

/* The first key found: TABLE_FOUND with a malloc'd value and its index. */
static enum table_result
expand_lookup(struct expand *x, struct table_decl *decl, const char **keys,
    size_t nkeys, char **valuep, size_t *hitp)
{
	struct table *t;
	enum table_result r;
	size_t i;

	*valuep = NULL;
	if ((t = tableset_get(x->ctx->tables, decl)) == NULL)
		return TABLE_TEMPFAIL;
	for (i = 0; i < nkeys; i++) {
		if (i > 0 && strcmp(keys[i], keys[i - 1]) == 0)
			continue;
		r = table_lookup(t, keys[i], valuep);
		if (r == TABLE_FOUND && *valuep == NULL)
			return TABLE_TEMPFAIL;	/* a list used as a mapping */
		if (r != TABLE_NOTFOUND) {
			*hitp = i;
			return r;
		}
	}
	return TABLE_NOTFOUND;
}

/*
 * An address node in local action a (tables.md sections 4 and 5): the
 * virtual keys, or the alias keys, or else the user of its local part.
 */
static int
expand_address(struct expand *x, const struct action *a, const char *rcpt,
    int local_domain)
{
	char local[ADDR_LOCAL_MAX + 1], user[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1], addr[ENVELOPE_ADDR_MAX + 1];
	char k[3][ENVELOPE_ADDR_MAX + 2], key[EXPAND_KEY_MAX];
	const char *keys[6], *tag = NULL;
	struct expand_origin o;
	struct expand_path *p;
	struct mailaddr ma;
	char delim = x->ctx->conf->subaddr_delim, *value, *t;
	enum table_result r = TABLE_NOTFOUND;
	size_t hit = 0, len;
	int rc;

	if (addr_parse_mailbox(rcpt, strlen(rcpt), ADDR_OPT_UTF8, &ma) !=
	    ADDR_OK)
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_UNKNOWN);
	(void)table_fold(ma.local, strlen(ma.local), local, sizeof(local));
	strlcpy(user, local, sizeof(user));
	if (delim != '\0' && (t = strchr(ma.local, delim)) != NULL &&
	    t != ma.local) {
		user[t - ma.local] = '\0';
		tag = t + 1;
	}
	len = strlen(ma.domain);
	if (len > 0 && ma.domain[len - 1] == '.')
		len--;
	(void)table_fold(ma.domain, len, domain, sizeof(domain));
	if (snprintf(addr, sizeof(addr), "%s@%s", local, domain) >=
	    (int)sizeof(addr))
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_UNKNOWN);
	snprintf(key, sizeof(key), "a:%s:%s", a->name, addr);
	if ((p = expand_onpath(x, key)) != NULL) {
		/* a loop back to an address: its user's mailbox, if any */
		if (p->user[0] != '\0')
			return expand_deliver(x, p->action, p->user, domain,
			    NULL);
		return 0;
	}

	if (a->virtual != NULL && !(strcmp(user, EXPAND_POSTMASTER) == 0 &&
	    local_domain)) {
		/* both fit: addr did, and user is a prefix of local */
		strlcpy(k[0], addr, sizeof(k[0]));
		if (snprintf(k[1], sizeof(k[1]), "%s@%s", user, domain) >=
		    (int)sizeof(k[1]) ||
		    snprintf(k[2], sizeof(k[2]), "@%s", domain) >=
		    (int)sizeof(k[2]))
			return expand_fail(x, EXPAND_REJECT,
			    RCPT_REPLY_UNKNOWN);
		keys[0] = k[0];
		keys[1] = k[1];
		keys[2] = local;
		keys[3] = user;
		keys[4] = k[2];
		keys[5] = "@";
		r = expand_lookup(x, a->virtual, keys, 6, &value, &hit);
		if (r == TABLE_NOTFOUND && strcmp(user, EXPAND_POSTMASTER) != 0)
			return expand_fail(x, EXPAND_REJECT,
			    RCPT_REPLY_UNKNOWN);
	} else if (a->alias != NULL) {
		keys[0] = local;
		keys[1] = user;
		r = expand_lookup(x, a->alias, keys, 2, &value, &hit);
	}
	if (r == TABLE_TEMPFAIL)
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	if (r == TABLE_NOTFOUND) {
		/* the user of the local part (recipient_known's last step) */
		if (expand_push(x, key, user, a, addr) == -1)
			return -1;
		rc = expand_user(x, a, user, domain, tag, 0, 1);
		x->depth--;
		return rc;
	}
	if (expand_push(x, key, NULL, a, addr) == -1) {
		free(value);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.action = a;
	o.dest = addr;
	o.domain = domain;
	o.self = user;
	/* a hit on user+tag or user+tag@domain consumed the tag */
	o.tag = (a->virtual != NULL ? (hit == 0 || hit == 2) : hit == 0) ?
	    NULL : tag;
	rc = expand_value(x, value, strlen(value), &o, 0);
	free(value);
	x->depth--;
	return rc;
}

/*
 * A user node: the action's table again, then the user's .forward, then
 * the mailbox. `direct`: the user of the recipient's own local part,
 * already known to exist or to be postmaster.
 */
static int
expand_user(struct expand *x, const struct action *a, const char *name,
    const char *domain, const char *tag, int final, int direct)
{
	char user[ENVELOPE_USER_MAX + 1], key[EXPAND_KEY_MAX];
	char addr[ENVELOPE_ADDR_MAX + 1];
	struct table_userinfo ui;
	struct rcpt_decision d;
	struct expand_origin o;
	const char *keys[1];
	char *value;
	enum table_result r = TABLE_NOTFOUND;
	size_t hit;
	int rc;

	if (table_fold(name, strlen(name), user, sizeof(user)) == -1)
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_UNKNOWN);
	snprintf(key, sizeof(key), "u:%s:%s", a->name, user);
	if (final || expand_onpath(x, key) != NULL)
		goto known;
	snprintf(addr, sizeof(addr), "%s@%s", user, domain);
	if (!direct && (a->alias != NULL || a->virtual != NULL)) {
		keys[0] = user;
		r = expand_lookup(x, a->alias != NULL ? a->alias : a->virtual,
		    keys, 1, &value, &hit);
		if (r == TABLE_TEMPFAIL)
			return expand_fail(x, EXPAND_TEMPFAIL,
			    RCPT_REPLY_TEMPFAIL);
		if (r == TABLE_FOUND) {
			if (expand_push(x, key, user, a, addr) == -1) {
				free(value);
				return -1;
			}
			memset(&o, 0, sizeof(o));
			o.action = a;
			o.dest = addr;
			o.domain = domain;
			o.self = user;
			o.tag = tag;
			rc = expand_value(x, value, strlen(value), &o, 0);
			free(value);
			x->depth--;
			return rc;
		}
	}
 known:
	memset(&d, 0, sizeof(d));
	switch (recipient_user(x->ctx, a, user, &d, &ui)) {
	case TABLE_FOUND:
		break;
	case TABLE_TEMPFAIL:
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	case TABLE_NOTFOUND:
		if (strcmp(user, EXPAND_POSTMASTER) == 0)
			return expand_deliver(x, a, "root", domain, NULL);
		/* an alias name met again on its own path: a loop, no user */
		if (!final && expand_onpath(x, key) != NULL)
			return 0;
		log_info("%016llx lookup event=expand rcpt=<%s> user=%s "
		    "error=\"unknown user\" result=PermFail",
		    (unsigned long long)x->req->session, x->req->rcpt, user);
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_UNKNOWN);
	}
	if (final || expand_onpath(x, key) != NULL || x->ops->forward == NULL ||
	    (a->user != NULL && strcmp(a->user, user)))
		return expand_deliver(x, a, user, domain, tag);
	if (expand_push(x, key, user, a, NULL) == -1)
		return -1;
	/* with `user NAME`, NAME is a system user whatever the userbase says */
	rc = expand_forward(x, a, user, domain, tag,
	    a->userbase != NULL && a->user == NULL ? &ui : NULL);
	x->depth--;
	return rc;
}

/*
 * delivery.md section 5: the user's .forward, or the mailbox. ui: the
 * userbase entry of a userbase user (HOME/.forward), NULL for a system
 * user.
 */
static int
expand_forward(struct expand *x, const struct action *a, const char *user,
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
		return expand_deliver(x, a, user, domain, tag);
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
		return expand_deliver(x, a, user, domain, tag);
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
		return expand_deliver(x, a, user, domain, tag);
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
			rc = expand_deliver(x, a, user, domain, tag);
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

/* An alias/virtual value or an include file's contents. */
static int
expand_value(struct expand *x, const char *s, size_t len,
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
static int
expand_dest(struct expand *x, const struct aliasfmt_dest *d,
    const struct expand_origin *o)
{
	struct expand_final f;
	const char *tag;

	switch (d->type) {
	case ALIASFMT_ERROR:
		return expand_error(x, d);
	case ALIASFMT_ADDRESS:
		return expand_reroute(x, d->value);
	case ALIASFMT_USER:
		tag = o->self != NULL && strcasecmp(d->value, o->self) == 0 ?
		    o->tag : NULL;
		return expand_user(x, o->action, d->value, o->domain, tag,
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
		return expand_include(x, d->value, o);
	case ALIASFMT_PIPE:
	case ALIASFMT_FILE:
		if (o->owner_root)
			return expand_fail(x, EXPAND_REJECT,
			    EXPAND_REPLY_ROOTFWD);
		if (o->action->method == ACTION_FORWARD_ONLY)
			return expand_nolocal(x, o->action, o->fwd_user != NULL ?
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
			return expand_fail(x, EXPAND_TEMPFAIL,
			    RCPT_REPLY_TEMPFAIL);
		return expand_final(x, &f);
	}
	return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
}

/* error:NNN [X.Y.Z] text: the recipient fails with that reply. */
static int
expand_error(struct expand *x, const struct aliasfmt_dest *d)
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
expand_reroute(struct expand *x, const char *address)
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
		return expand_address(x, rm.match->action, rm.rcpt,
		    rm.local_domain);
	memset(&f, 0, sizeof(f));
	f.type = ENVELOPE_MTA;
	f.action = rm.match->action;
	if (strlcpy(f.dest, rm.rcpt, sizeof(f.dest)) >= sizeof(f.dest))
		return expand_fail(x, EXPAND_REJECT, RCPT_REPLY_UNKNOWN);
	return expand_final(x, &f);
}

static int
expand_include(struct expand *x, const char *path,
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
	rc = expand_value(x, buf, len, &io, 0);
	free(buf);
	x->depth--;
	return rc;
}

void
expand_run(const struct rules_ctx *ctx, const struct lka_rcpt_req *req,
    const struct expand_ops *ops, struct expand_result *res)
{
	struct rcpt_decision *d = &res->decision;
	struct rules_match rm;
	struct expand_final f;
	struct expand x;

	memset(res, 0, sizeof(*res));
	recipient_decide(ctx, req, d);
	if (d->status != LKA_OK) {
		res->status = d->status == LKA_REJECT ? EXPAND_REJECT :
		    EXPAND_TEMPFAIL;
		strlcpy(res->reply, d->reply, sizeof(res->reply));
		return;
	}
	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	x.req = req;
	x.ops = ops;
	x.res = res;
	if (d->action->method == ACTION_RELAY) {
		memset(&f, 0, sizeof(f));
		f.type = ENVELOPE_MTA;
		f.action = d->action;
		strlcpy(f.dest, d->dest, sizeof(f.dest));
		(void)expand_final(&x, &f);
	} else {
		/* local_domain again: recipient_decide keeps only the verdict */
		rules_match(ctx, req, &rm);
		(void)expand_address(&x, d->action, d->dest, rm.local_domain);
	}
	if (res->status == EXPAND_OK && res->nfinals == 0)
		(void)expand_fail(&x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	if (res->status != EXPAND_OK) {
		free(res->finals);
		res->finals = NULL;
		res->nfinals = 0;
	}
}

void
expand_result_free(struct expand_result *res)
{
	free(res->finals);
	res->finals = NULL;
	res->nfinals = 0;
}

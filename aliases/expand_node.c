/*
 * expand_node.c: the address and user nodes of the expansion tree
 * (tables.md sections 4 and 5). An address node looks up the virtual or
 * alias keys of its action, or else falls through to the user of its local
 * part; a user node looks up the action's table again, then the user's
 * .forward (expand_forward.c), then the mailbox (expand_local.c). Called
 * by expand_run() and expand_dest.c. Keys are folded by table_fold() and
 * addresses parsed by addr_parse_mailbox() only; a table error is a 4xx,
 * never "user unknown".
 *
 * Sub-address: the +tag of the recipient is kept for the final delivery
 * of the recipient's own user (no table hit, or a hit on the untagged key
 * whose value names that same user, e.g. `bob: \bob, |vacation`).
 * Users of an action's userbase have a .forward too (HOME/.forward of
 * their entry, tables.md 6.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/expand_int.h"
#include "lib/log.h"

#define EXPAND_POSTMASTER	"postmaster"

static enum table_result expand_node_lookup(struct expand *,
		    struct table_decl *, const char **, size_t, char **,
		    size_t *);
static int	expand_node_value(struct expand *, const char *, const char *,
		    const struct action *, const char *, const char *,
		    const char *, const char *, char *);

/* The first key found: TABLE_FOUND with a malloc'd value and its index. */
static enum table_result
expand_node_lookup(struct expand *x, struct table_decl *decl, const char **keys,
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
 * A table hit for the node of key (on the path with user pathuser, NULL
 * for an address): value, malloc'd and freed here, expanded for addr; the
 * tag is kept for the mailbox of user.
 */
static int
expand_node_value(struct expand *x, const char *key, const char *pathuser,
    const struct action *a, const char *addr, const char *domain,
    const char *user, const char *tag, char *value)
{
	struct expand_origin o;
	int rc;

	if (expand_push(x, key, pathuser, a, addr) == -1) {
		free(value);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.action = a;
	o.dest = addr;
	o.domain = domain;
	o.self = user;
	o.tag = tag;
	rc = expand_dest_value(x, value, strlen(value), &o, 0);
	free(value);
	x->depth--;
	return rc;
}

/*
 * An address node in local action a (tables.md sections 4 and 5): the
 * virtual keys, or the alias keys, or else the user of its local part.
 */
int
expand_node_address(struct expand *x, const struct action *a, const char *rcpt,
    int local_domain)
{
	char local[ADDR_LOCAL_MAX + 1], user[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1], addr[ENVELOPE_ADDR_MAX + 1];
	char k[3][ENVELOPE_ADDR_MAX + 2], key[EXPAND_KEY_MAX];
	const char *keys[6], *tag = NULL;
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
			return expand_local_mailbox(x, p->action, p->user,
			    domain, NULL);
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
		r = expand_node_lookup(x, a->virtual, keys, 6, &value, &hit);
		if (r == TABLE_NOTFOUND && strcmp(user, EXPAND_POSTMASTER) != 0)
			return expand_fail(x, EXPAND_REJECT,
			    RCPT_REPLY_UNKNOWN);
	} else if (a->alias != NULL) {
		keys[0] = local;
		keys[1] = user;
		r = expand_node_lookup(x, a->alias, keys, 2, &value, &hit);
	}
	if (r == TABLE_TEMPFAIL)
		return expand_fail(x, EXPAND_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
	if (r == TABLE_NOTFOUND) {
		/* the user of the local part (recipient_known's last step) */
		if (expand_push(x, key, user, a, addr) == -1)
			return -1;
		rc = expand_node_user(x, a, user, domain, tag, 0, 1);
		x->depth--;
		return rc;
	}
	/* a hit on user+tag or user+tag@domain consumed the tag */
	return expand_node_value(x, key, NULL, a, addr, domain, user,
	    (a->virtual != NULL ? (hit == 0 || hit == 2) : hit == 0) ?
	    NULL : tag, value);
}

/*
 * A user node: the action's table again, then the user's .forward, then
 * the mailbox. `direct`: the user of the recipient's own local part,
 * already known to exist or to be postmaster.
 */
int
expand_node_user(struct expand *x, const struct action *a, const char *name,
    const char *domain, const char *tag, int final, int direct)
{
	char user[ENVELOPE_USER_MAX + 1], key[EXPAND_KEY_MAX];
	char addr[ENVELOPE_ADDR_MAX + 1];
	struct table_userinfo ui;
	struct rcpt_decision d;
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
		r = expand_node_lookup(x, a->alias != NULL ? a->alias :
		    a->virtual, keys, 1, &value, &hit);
		if (r == TABLE_TEMPFAIL)
			return expand_fail(x, EXPAND_TEMPFAIL,
			    RCPT_REPLY_TEMPFAIL);
		if (r == TABLE_FOUND)
			return expand_node_value(x, key, user, a, addr, domain,
			    user, tag, value);
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
			return expand_local_mailbox(x, a, "root", domain, NULL);
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
		return expand_local_mailbox(x, a, user, domain, tag);
	if (expand_push(x, key, user, a, NULL) == -1)
		return -1;
	/* with `user NAME`, NAME is a system user whatever the userbase says */
	rc = expand_forward_user(x, a, user, domain, tag,
	    a->userbase != NULL && a->user == NULL ? &ui : NULL);
	x->depth--;
	return rc;
}

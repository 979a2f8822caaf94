/*
 * rules.c: match rule evaluation (spec/config.md section 7). For one
 * recipient, the rules are tried in file order and the first whose
 * conditions all hold decides. A rule without a `from` option behaves as
 * `from local`, one without `for` as `for local` (the parser adds these;
 * they are applied here too if it did not). `!` negates one condition.
 * A table that cannot answer makes the condition unknown: the rule then
 * decides nothing unless another of its conditions is false, and if it
 * would otherwise match, the verdict is RULES_TEMPFAIL (451 4.3.0), never
 * a guess. Called by recipient.c; never aborts on request contents.
 */
#include <stdio.h>
#include <string.h>

#include "aliases/listmatch.h"
#include "aliases/rules.h"
#include "lib/addr.h"
#include "lib/log.h"

static int	rules_is_from(enum match_cond_kind);
static int	rules_is_for(enum match_cond_kind);
static enum table_result rules_from_local(const struct rules_ctx *,
		    const struct lka_rcpt_req *);
static enum table_result rules_cond(const struct rules_ctx *,
		    const struct lka_rcpt_req *, const struct match_cond *,
		    const struct rules_match *);
static enum table_result rules_rule(const struct rules_ctx *,
		    const struct lka_rcpt_req *, const struct match *,
		    const struct rules_match *);

static int
rules_is_from(enum match_cond_kind kind)
{
	switch (kind) {
	case MATCH_FROM_ANY:
	case MATCH_FROM_LOCAL:
	case MATCH_FROM_SOCKET:
	case MATCH_FROM_SRC:
	case MATCH_FROM_AUTH:
	case MATCH_FROM_MAILFROM:
		return 1;
	default:
		return 0;
	}
}

static int
rules_is_for(enum match_cond_kind kind)
{
	switch (kind) {
	case MATCH_FOR_ANY:
	case MATCH_FOR_LOCAL:
	case MATCH_FOR_DOMAIN:
	case MATCH_FOR_RCPTTO:
		return 1;
	default:
		return 0;
	}
}

/* The enqueue socket, a UNIX listener, or an address of ours. */
static enum table_result
rules_from_local(const struct rules_ctx *ctx, const struct lka_rcpt_req *req)
{
	if (req->local_src || req->enqueue)
		return TABLE_FOUND;
	return localnames_source(ctx->localnames, req->src) ? TABLE_FOUND :
	    TABLE_NOTFOUND;
}

/* One condition, before negation. */
static enum table_result
rules_cond(const struct rules_ctx *ctx, const struct lka_rcpt_req *req,
    const struct match_cond *c, const struct rules_match *rm)
{
	struct table *t = NULL;
	char delim = ctx->conf->subaddr_delim;

	if (c->table != NULL &&
	    (t = tableset_get(ctx->tables, c->table)) == NULL) {
		log_warnx("lookup event=rules error=\"table %s not loaded\"",
		    c->table->name);
		return TABLE_TEMPFAIL;
	}
	switch (c->kind) {
	case MATCH_FROM_ANY:
	case MATCH_FOR_ANY:
		return TABLE_FOUND;
	case MATCH_FROM_LOCAL:
		return rules_from_local(ctx, req);
	case MATCH_FROM_SOCKET:
		return req->enqueue ? TABLE_FOUND : TABLE_NOTFOUND;
	case MATCH_FROM_AUTH:
	case MATCH_AUTH:
		if (req->auth_user[0] == '\0')
			return TABLE_NOTFOUND;
		return t == NULL ? TABLE_FOUND :
		    listmatch_user(t, req->auth_user);
	case MATCH_FOR_LOCAL:
		return rm->local_domain ? TABLE_FOUND : TABLE_NOTFOUND;
	case MATCH_TAG:
		return strcmp(req->tag, c->tag) == 0 ? TABLE_FOUND :
		    TABLE_NOTFOUND;
	case MATCH_TLS:
		return req->tls ? TABLE_FOUND : TABLE_NOTFOUND;
	default:
		break;
	}
	if (t == NULL)
		return TABLE_NOTFOUND;	/* the parser always sets one */
	switch (c->kind) {
	case MATCH_FROM_SRC:
		return listmatch_netaddr(t, req->local_src ? "local" :
		    req->src);
	case MATCH_FROM_MAILFROM:
	case MATCH_MAILFROM:
		return listmatch_mailaddr(t, req->sender, delim);
	case MATCH_FOR_DOMAIN:
		return listmatch_domain(t, rm->domain);
	case MATCH_FOR_RCPTTO:
	case MATCH_RCPTTO:
		return listmatch_mailaddr(t, rm->rcpt, delim);
	case MATCH_HELO:
		if (req->helo[0] == '\0')
			return TABLE_NOTFOUND;
		return listmatch_domain(t, req->helo);
	default:
		return TABLE_NOTFOUND;
	}
}

/* FOUND: the rule matches; NOTFOUND: it does not; TEMPFAIL: unknown. */
static enum table_result
rules_rule(const struct rules_ctx *ctx, const struct lka_rcpt_req *req,
    const struct match *m, const struct rules_match *rm)
{
	enum table_result r, verdict = TABLE_FOUND;
	int has_from = 0, has_for = 0;
	size_t i;

	for (i = 0; i < m->nconds && i < MATCH_COND_MAX; i++) {
		has_from |= rules_is_from(m->conds[i].kind);
		has_for |= rules_is_for(m->conds[i].kind);
		r = rules_cond(ctx, req, &m->conds[i], rm);
		if (m->conds[i].negate && r != TABLE_TEMPFAIL)
			r = r == TABLE_FOUND ? TABLE_NOTFOUND : TABLE_FOUND;
		if (r == TABLE_NOTFOUND)
			return TABLE_NOTFOUND;
		if (r == TABLE_TEMPFAIL)
			verdict = TABLE_TEMPFAIL;
	}
	if (!has_from && rules_from_local(ctx, req) == TABLE_NOTFOUND)
		return TABLE_NOTFOUND;
	if (!has_for && !rm->local_domain)
		return TABLE_NOTFOUND;
	return verdict;
}

void
rules_match(const struct rules_ctx *ctx, const struct lka_rcpt_req *req,
    struct rules_match *rm)
{
	const struct match *m;
	struct mailaddr ma;
	enum table_result r;

	memset(rm, 0, sizeof(*rm));
	rm->verdict = RULES_NOMATCH;
	if (addr_parse_mailbox(req->rcpt, strlen(req->rcpt),
	    ADDR_OPT_POSTMASTER | ADDR_OPT_UTF8, &ma) != ADDR_OK) {
		log_warnx("%016llx lookup event=rules error=\"unparsable "
		    "recipient\"", (unsigned long long)req->session);
		rm->verdict = RULES_TEMPFAIL;
		return;
	}
	if (ma.flags & ADDR_NODOMAIN)
		strlcpy(ma.domain, ctx->conf->hostname, sizeof(ma.domain));
	strlcpy(rm->domain, ma.domain, sizeof(rm->domain));
	if (snprintf(rm->rcpt, sizeof(rm->rcpt), "%s@%s", ma.local,
	    ma.domain) >= (int)sizeof(rm->rcpt)) {
		rm->verdict = RULES_TEMPFAIL;
		return;
	}
	rm->local_domain = localnames_domain(ctx->localnames, rm->domain);

	TAILQ_FOREACH(m, &ctx->conf->matches, entry) {
		r = rules_rule(ctx, req, m, rm);
		log_trace(TRACE_RULES, "%016llx lookup event=rule rule=%s:%d "
		    "result=%s", (unsigned long long)req->session, m->file,
		    m->line, r == TABLE_FOUND ? "match" : r == TABLE_NOTFOUND ?
		    "nomatch" : "tempfail");
		if (r == TABLE_NOTFOUND)
			continue;
		rm->match = m;
		if (r == TABLE_TEMPFAIL)
			rm->verdict = RULES_TEMPFAIL;
		else
			rm->verdict = m->reject ? RULES_REJECT : RULES_ACCEPT;
		return;
	}
}

/*
 * expand.c: the expansion tree of one recipient (see expand.h; spec
 * tables.md sections 3-5, delivery.md section 5): expand_run() decides the
 * recipient and starts the walk at its address node, and this file keeps
 * the state of the run: the path from the root, the limits, the set of
 * final destinations and the first reply. Called by the lookup role and
 * the unit tests; the nodes are in expand_node.c, .forward files in
 * expand_forward.c, the destinations of a value in expand_dest.c, local
 * results in expand_local.c, the edges in expand_io.c. Every limit (depth,
 * final destinations, nodes visited) ends the run with a reply: nothing
 * here aborts on bad data, and every table error is a 4xx.
 *
 * Nodes and the path: an address node (action, folded local@domain), a
 * user node (action, folded user), an include node (path). A node that is
 * already on the path from the root is not expanded again; a user node
 * (or an address node that fell through to its user) is then delivered to
 * that user's mailbox (tables.md: `bob: bob, alice`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases/expand_int.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

int
expand_fail(struct expand *x, enum expand_status st, const char *reply)
{
	if (x->res->status == EXPAND_OK) {
		x->res->status = st;
		strlcpy(x->res->reply, reply, sizeof(x->res->reply));
	}
	return -1;
}

/* Enters a node: the depth limit and the work bound. */
int
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

struct expand_path *
expand_onpath(struct expand *x, const char *key)
{
	size_t i;

	for (i = 0; i < x->depth; i++)
		if (strcmp(x->path[i].key, key) == 0)
			return &x->path[i];
	return NULL;
}

/* Adds a final destination unless an identical one is there. */
int
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
		(void)expand_node_address(&x, d->action, d->dest,
		    rm.local_domain);
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

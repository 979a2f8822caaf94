/*
 * recipient.c: the decision for one RCPT in the lookup role: the match
 * rules (rules.c), then for a local action whether the recipient is
 * known, then the reply and the envelope template sent back to smtp.
 * Called by aliases/lookup.c and the unit tests.
 *
 * Known recipients of a local action (tables.md sections 4-6):
 *   - postmaster: always at one of <localnames> (and bare <postmaster>),
 *     and at any domain a rule routed to an action without `virtual`
 *     (RFC 5321 4.5.1: postmaster of every domain we deliver for); a
 *     virtual domain has its own keys (tables.md section 5);
 *   - with `virtual <t>`: one of user+tag@domain, user@domain, user+tag,
 *     user, @domain, @ is a key of t (nothing else counts);
 *   - with `alias <t>`: user+tag or user is a key of t, or else
 *   - user is in the action's `userbase <t>` (value UID:GID:HOME), or,
 *     without a userbase, getpwnam(3) knows it (asked through
 *     pwmemo.c, which remembers answers for a second).
 * Keys are folded; `user` is the local part without the sub-address.
 * `relay` actions accept any recipient that reached them. Every table
 * error or getpwnam(3) failure other than "no such user" is a temporary
 * failure (451 4.3.0), never 550: a broken table must not bounce mail.
 * recipient_envelope() builds the template of an accepted recipient;
 * aliases/expand.c turns it into one envelope per final destination
 * (alias/virtual destinations, .forward).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aliases/pwmemo.h"
#include "aliases/rules.h"
#include "aliases/userinfo_msg.h"
#include "lib/addr.h"
#include "lib/log.h"

#define RCPT_KEY_SIZE		ADDR_MAILBOX_SIZE
#define RCPT_POSTMASTER		"postmaster"

struct rcpt_parts {
	char	local[ADDR_LOCAL_MAX + 1];	/* folded */
	char	user[ADDR_LOCAL_MAX + 1];	/* folded, tag removed */
	char	tag[ADDR_LOCAL_MAX + 1];	/* as written, "" if none */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* folded, no trailing dot */
};

static int	recipient_split(const char *, char, struct rcpt_parts *);
static enum table_result recipient_keys(struct table *, const char **,
		    size_t);
static void	recipient_reply(struct rcpt_decision *, enum lka_status,
		    const char *);

static int
recipient_split(const char *rcpt, char delim, struct rcpt_parts *p)
{
	struct mailaddr ma;
	const char *tag;
	size_t len;

	memset(p, 0, sizeof(*p));
	if (addr_parse_mailbox(rcpt, strlen(rcpt), ADDR_OPT_UTF8, &ma) !=
	    ADDR_OK)
		return -1;
	(void)table_fold(ma.local, strlen(ma.local), p->local,
	    sizeof(p->local));
	strlcpy(p->user, p->local, sizeof(p->user));
	if (delim != '\0' && (tag = strchr(ma.local, delim)) != NULL &&
	    tag != ma.local) {
		p->user[tag - ma.local] = '\0';
		strlcpy(p->tag, tag + 1, sizeof(p->tag));
	}
	len = strlen(ma.domain);
	if (len > 0 && ma.domain[len - 1] == '.')
		len--;
	(void)table_fold(ma.domain, len, p->domain, sizeof(p->domain));
	return 0;
}

/* The first key found wins; a table error stops the search. */
static enum table_result
recipient_keys(struct table *t, const char **keys, size_t nkeys)
{
	enum table_result r;
	size_t i;

	for (i = 0; i < nkeys; i++) {
		if (i > 0 && strcmp(keys[i], keys[i - 1]) == 0)
			continue;
		if ((r = table_lookup(t, keys[i], NULL)) != TABLE_NOTFOUND)
			return r;
	}
	return TABLE_NOTFOUND;
}

/* A user of the action's userbase, or of the system. */
enum table_result
recipient_user(const struct rules_ctx *ctx, const struct action *a,
    const char *user, struct rcpt_decision *d, struct table_userinfo *uip)
{
	struct table_userinfo ui;
	char name[sizeof(d->user)];

	if (uip == NULL)
		uip = &ui;
	memset(uip, 0, sizeof(*uip));
	if (a->userbase != NULL) {
		switch (userinfo_lookup(ctx->tables, a, user, uip)) {
		case USERINFO_FOUND:
			break;
		case USERINFO_NOTFOUND:
			return TABLE_NOTFOUND;
		default:
			return TABLE_TEMPFAIL;
		}
		if (d->user[0] == '\0')
			strlcpy(d->user, user, sizeof(d->user));
		return TABLE_FOUND;
	}

	switch (pwmemo_lookup(user, name, sizeof(name))) {
	case TABLE_FOUND:
		break;
	case TABLE_NOTFOUND:
		return TABLE_NOTFOUND;
	default:
		return TABLE_TEMPFAIL;
	}
	if (d->user[0] == '\0')
		strlcpy(d->user, name, sizeof(d->user));
	return TABLE_FOUND;
}

enum table_result
recipient_known(const struct rules_ctx *ctx, const struct action *a,
    const char *rcpt, int local_domain, struct rcpt_decision *d)
{
	char k[4][RCPT_KEY_SIZE];
	const char *keys[6];
	struct rcpt_parts p;
	struct table *t;
	enum table_result r;

	if (recipient_split(rcpt, ctx->conf->subaddr_delim, &p) == -1)
		return TABLE_NOTFOUND;
	strlcpy(d->subaddress, p.tag, sizeof(d->subaddress));
	if (a->user != NULL)
		strlcpy(d->user, a->user, sizeof(d->user));
	if (strcmp(p.user, RCPT_POSTMASTER) == 0 &&
	    (local_domain || a->virtual == NULL))
		return TABLE_FOUND;

	if (a->virtual != NULL) {
		if ((t = tableset_get(ctx->tables, a->virtual)) == NULL)
			return TABLE_TEMPFAIL;
		snprintf(k[0], sizeof(k[0]), "%s@%s", p.local, p.domain);
		snprintf(k[1], sizeof(k[1]), "%s@%s", p.user, p.domain);
		snprintf(k[2], sizeof(k[2]), "@%s", p.domain);
		keys[0] = k[0];
		keys[1] = k[1];
		keys[2] = p.local;
		keys[3] = p.user;
		keys[4] = k[2];
		keys[5] = "@";
		return recipient_keys(t, keys, 6);
	}
	if (a->alias != NULL) {
		if ((t = tableset_get(ctx->tables, a->alias)) == NULL)
			return TABLE_TEMPFAIL;
		keys[0] = p.local;
		keys[1] = p.user;
		if ((r = recipient_keys(t, keys, 2)) != TABLE_NOTFOUND)
			return r;
	}
	return recipient_user(ctx, a, p.user, d, NULL);
}

static void
recipient_reply(struct rcpt_decision *d, enum lka_status status,
    const char *reply)
{
	d->status = status;
	strlcpy(d->reply, reply, sizeof(d->reply));
}

void
recipient_decide(const struct rules_ctx *ctx, const struct lka_rcpt_req *req,
    struct rcpt_decision *d)
{
	struct rules_match rm;
	const struct action *a;

	memset(d, 0, sizeof(*d));
	rules_match(ctx, req, &rm);
	d->match = rm.match;
	switch (rm.verdict) {
	case RULES_TEMPFAIL:
		recipient_reply(d, LKA_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
		return;
	case RULES_REJECT:
		recipient_reply(d, LKA_REJECT, RCPT_REPLY_REJECT);
		return;
	case RULES_NOMATCH:
		recipient_reply(d, LKA_REJECT, rm.local_domain ?
		    RCPT_REPLY_UNKNOWN : RCPT_REPLY_RELAY);
		return;
	case RULES_ACCEPT:
		break;
	}
	a = rm.match->action;
	if (a == NULL || strlen(rm.rcpt) >= sizeof(d->dest)) {
		recipient_reply(d, LKA_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
		return;
	}
	strlcpy(d->dest, rm.rcpt, sizeof(d->dest));
	if (a->method != ACTION_RELAY) {
		switch (recipient_known(ctx, a, rm.rcpt, rm.local_domain, d)) {
		case TABLE_FOUND:
			break;
		case TABLE_NOTFOUND:
			recipient_reply(d, LKA_REJECT, RCPT_REPLY_UNKNOWN);
			return;
		case TABLE_TEMPFAIL:
			recipient_reply(d, LKA_TEMPFAIL, RCPT_REPLY_TEMPFAIL);
			return;
		}
	}
	d->action = a;
	d->status = LKA_OK;
	d->reply[0] = '\0';
}

#define RCPT_COPY(dst, src) do {					\
	if (strlcpy((dst), (src), sizeof(dst)) >= sizeof(dst)) {	\
		snprintf(err, errsz, "%s too long", #dst);		\
		return -1;						\
	}								\
} while (0)

int
recipient_envelope(const struct rules_ctx *ctx,
    const struct lka_rcpt_req *req, const struct rcpt_decision *d,
    struct envelope *e, char *err, size_t errsz)
{
	const struct action *a = d->action;
	unsigned char bin[16];

	memset(e, 0, sizeof(*e));
	if (d->status != LKA_OK || a == NULL) {
		snprintf(err, errsz, "recipient not accepted");
		return -1;
	}
	e->evpid = RCPT_TEMPLATE_EVPID;
	e->type = a->method == ACTION_RELAY ? ENVELOPE_MTA : ENVELOPE_MDA;
	RCPT_COPY(e->dispatcher, a->name);
	RCPT_COPY(e->tag, req->tag);
	RCPT_COPY(e->smtpname, req->listener_host[0] ? req->listener_host :
	    ctx->conf->hostname);
	RCPT_COPY(e->helo, req->helo);
	if (req->local_src || req->enqueue || strcmp(req->src, "local") == 0) {
		e->family = ENVELOPE_LOCAL;
		RCPT_COPY(e->sockaddr, "local");
	} else {
		e->family = inet_pton(AF_INET, req->src, bin) == 1 ?
		    ENVELOPE_INET4 : ENVELOPE_INET6;
		RCPT_COPY(e->sockaddr, req->src);
	}
	RCPT_COPY(e->username, req->auth_user);
	if (req->auth_user[0] != '\0')
		e->flags |= ENVELOPE_F_AUTH;
	if (req->tls)
		e->flags |= ENVELOPE_F_TLS;
	RCPT_COPY(e->sender, req->sender);
	RCPT_COPY(e->rcpt, req->rcpt);
	RCPT_COPY(e->dest, d->dest);
	if (e->type == ENVELOPE_MDA) {
		RCPT_COPY(e->mda_user, d->user);
		RCPT_COPY(e->mda_subaddress, d->subaddress);
	}
	e->ctime = time(NULL);
	e->ttl = a->ttl != 0 ? a->ttl : ctx->conf->queue_ttl;
	return envelope_validate(e, err, errsz);
}

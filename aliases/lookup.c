/*
 * lookup.c: the lookup role. It owns the tables, the match rules and the
 * recipient checks at RCPT (design.md); alias/virtual/.forward expansion
 * and credential checks plug in here later. It runs unprivileged without
 * a chroot, since tables and the passwd database live anywhere on disk.
 * Must never write to the spool or to mailboxes.
 *
 * init (privileged): load every table the config declares - a table that
 * cannot be loaded is fatal, "FILE:LINE: message" (tables.md section 2) -
 * and collect <localnames> (getifaddrs). dispatch: IMSG_LKA_RCPT from
 * smtp -> decide (aliases/recipient.c) -> for an accepted recipient one
 * IMSG_LKA_EXPANSION (an envelope template, placeholder evpid
 * RCPT_TEMPLATE_EVPID that smtp overwrites), then IMSG_LKA_RCPT_RESULT,
 * both with the request's reqid. A request that does not decode closes
 * the smtp channel (ipc.c); a decision never aborts the role.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/localnames.h"
#include "aliases/rules.h"
#include "aliases/table.h"
#include "lib/log.h"
#include "lib/record.h"
#include "lib/xmalloc.h"
#include "queue/envelope.h"
#include "smtpd/lka_msg.h"
#include "smtpd/role.h"

#define LOOKUP_MSG_MIN	(2 * RECORD_HDR_LEN + RECORD_VERSION_LEN)

struct lookup {
	struct tableset		*tables;
	struct localnames	*localnames;
	struct rules_ctx	 ctx;
};

static void	lookup_init(struct role *);
static int	lookup_dispatch(struct role *, enum proc_id, struct ipc_msg *);
static void	lookup_shutdown(struct role *);
static int	lookup_rcpt(struct role *, struct lookup *, struct ipc_msg *);
static void	lookup_log(const struct lka_rcpt_req *,
		    const struct rcpt_decision *);

static const struct ipc_rule lookup_rules[] = {
	{ IMSG_LKA_RCPT, PROC_BIT(PROC_SMTP), LOOKUP_MSG_MIN, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
};

const struct role_ops lookup_role_ops = {
	.id = PROC_LOOKUP,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_NONE,
	.rules = lookup_rules,
	.nrules = sizeof(lookup_rules) / sizeof(lookup_rules[0]),
	.init = lookup_init,
	.dispatch = lookup_dispatch,
	.shutdown = lookup_shutdown,
};

static void
lookup_init(struct role *r)
{
	char err[TABLE_ERR_MAX];
	struct lookup *lk;

	lk = xcalloc(1, sizeof(*lk));
	if ((lk->tables = tableset_open(r->conf, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	lk->localnames = localnames_new(r->conf, 0);
	lk->ctx.conf = r->conf;
	lk->ctx.tables = lk->tables;
	lk->ctx.localnames = lk->localnames;
	r->data = lk;
}

static void
lookup_shutdown(struct role *r)
{
	struct lookup *lk = r->data;

	if (lk == NULL)
		return;
	tableset_free(lk->tables);
	localnames_free(lk->localnames);
	free(lk);
	r->data = NULL;
}

static int
lookup_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
	(void)from;
	switch (m->type) {
	case IMSG_LKA_RCPT:
		return lookup_rcpt(r, r->data, m);
	}
	return -1;
}

static void
lookup_log(const struct lka_rcpt_req *req, const struct rcpt_decision *d)
{
	char rule[CONFIG_PATH_MAX + 16];
	const char *action = "none";

	if (d->match != NULL) {
		snprintf(rule, sizeof(rule), "%s:%d", d->match->file != NULL ?
		    d->match->file : "-", d->match->line);
		if (d->match->reject)
			action = "reject";
		else if (d->match->action != NULL)
			action = d->match->action->name;
	} else
		strlcpy(rule, "none", sizeof(rule));
	log_info("%016llx lookup event=rcpt rcpt=<%s> rule=%s action=%s "
	    "result=%s", (unsigned long long)req->session, req->rcpt, rule,
	    action, d->status == LKA_OK ? "Ok" : d->status == LKA_REJECT ?
	    "PermFail" : "TempFail");
}

static int
lookup_rcpt(struct role *r, struct lookup *lk, struct ipc_msg *m)
{
	char err[ENVELOPE_ERR_MAX];
	struct lka_rcpt_req req;
	struct lka_rcpt_res res;
	struct rcpt_decision d;
	struct envelope e;
	uint8_t *buf = NULL;
	size_t len;

	if (lka_rcpt_req_decode(m->data, m->len, &req) == -1) {
		log_warnx("lookup event=rcpt error=\"malformed request\"");
		return -1;
	}
	recipient_decide(&lk->ctx, &req, &d);

	memset(&res, 0, sizeof(res));
	if (d.status == LKA_OK) {
		if (recipient_envelope(&lk->ctx, &req, &d, &e, err,
		    sizeof(err)) == -1 ||
		    envelope_encode(&e, &buf, &len, err, sizeof(err)) == -1) {
			log_warnx("%016llx lookup event=rcpt rcpt=<%s> "
			    "error=\"envelope: %s\"",
			    (unsigned long long)req.session, req.rcpt, err);
			d.status = LKA_TEMPFAIL;
			strlcpy(d.reply, RCPT_REPLY_TEMPFAIL, sizeof(d.reply));
		} else {
			role_send(r, PROC_SMTP, IMSG_LKA_EXPANSION, m->reqid,
			    -1, buf, len);
			free(buf);
			buf = NULL;
			res.nexpansions = 1;
		}
	}
	lookup_log(&req, &d);
	res.status = d.status;
	strlcpy(res.reply, d.reply, sizeof(res.reply));
	if (lka_rcpt_res_encode(&res, &buf, &len) == -1)
		fatalx("lookup: cannot encode a recipient result");
	role_send(r, PROC_SMTP, IMSG_LKA_RCPT_RESULT, m->reqid, -1, buf, len);
	free(buf);
	return 0;
}

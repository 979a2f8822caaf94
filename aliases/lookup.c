/*
 * lookup.c: the lookup role. It owns the tables, the match rules and the
 * recipient checks at RCPT (design.md), with alias/virtual/.forward
 * expansion (aliases/expand.c), and the AUTH credential checks
 * (auth/auth_lookup.c, in worker threads). It runs unprivileged without
 * a chroot, since tables and the passwd database live anywhere on disk.
 * Must never write to the spool or to mailboxes.
 *
 * init (privileged): load every table the config declares - a table that
 * cannot be loaded is fatal, "FILE:LINE: message" (tables.md section 2) -
 * and collect <localnames> (getifaddrs). dispatch: IMSG_LKA_RCPT from
 * smtp -> expand (aliases/expand.c) -> for an accepted recipient one
 * IMSG_LKA_EXPANSION per final destination (an envelope, placeholder
 * evpid RCPT_TEMPLATE_EVPID that smtp overwrites), then
 * IMSG_LKA_RCPT_RESULT, all with the request's reqid. A request that
 * does not decode closes the smtp channel (ipc.c); a decision never
 * aborts the role.
 *
 * .forward makes a request asynchronous: when the expansion needs a
 * user's .forward, the request waits on a list, IMSG_LKA_FORWARD_OPEN
 * goes to the parent (which opens the file as the user, see
 * smtpd/parent_forward.c), and the IMSG_LKA_FORWARD_FD answer is read
 * here (at most 4 KiB), cached in the request, and the expansion runs
 * again from the start. At most LOOKUP_FORWARDS_MAX files per request.
 * :include: files are read here directly, as the unprivileged lookup
 * user: only world-readable files can be included. The .forward of a
 * userbase user is asked with its entry's uid, gid and HOME.
 *
 * IMSG_LKA_USERINFO from the parent (a local delivery for a userbase
 * user): the entry of the user in the action's userbase, answered at
 * once (aliases/userinfo_msg.c).
 *
 * IMSG_LKA_AUTH from smtp: a login and password for a listener's
 * `auth <table>`; auth/auth_lookup.c looks the hash up here and verifies
 * it in a worker thread, answering IMSG_LKA_AUTH_RES (same reqid).
 * IMSG_LKA_CREDS from relay: the login of a relay action's smarthost,
 * from its `auth` table (aliases/creds_msg.h).
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "aliases/creds_msg.h"
#include "aliases/expand.h"
#include "aliases/localnames.h"
#include "aliases/lookup_ctl.h"
#include "aliases/rules.h"
#include "aliases/table.h"
#include "aliases/userinfo_msg.h"
#include "auth/auth_lookup.h"
#include "auth/auth_msg.h"
#include "lib/log.h"
#include "lib/record.h"
#include "lib/xmalloc.h"
#include "queue/envelope.h"
#include "smtpd/lka_msg.h"
#include "smtpd/parent_forward.h"
#include "smtpd/role.h"

#define LOOKUP_MSG_MIN	(2 * RECORD_HDR_LEN + RECORD_VERSION_LEN)
#define LOOKUP_FORWARDS_MAX	100	/* .forward files per request */

/* One .forward answer, cached for the request's next expansion run. */
struct lookup_fwd {
	char			 user[FORWARD_USER_MAX + 1];
	int			 userbase;	/* and ui: whose file */
	struct table_userinfo	 ui;
	enum expand_fwd		 status;
	char			*buf;
	size_t			 len;
	int			 owner_root;
	char			 reply[LKA_REPLY_MAX];
};

/* A recipient request waiting for the parent. */
struct lookup_req {
	TAILQ_ENTRY(lookup_req)	 entry;
	uint32_t		 id;		/* reqid towards the parent */
	uint32_t		 reqid;		/* the asker's reqid */
	enum proc_id		 peer;		/* smtp, or queue for reports */
	struct lka_rcpt_req	 req;
	struct lookup_fwd	*fwd;
	size_t			 nfwd;
};
TAILQ_HEAD(lookup_reqs, lookup_req);

struct lookup {
	struct tableset		*tables;
	struct localnames	*localnames;
	struct rules_ctx	 ctx;
	struct lookup_reqs	 waiting;
	uint32_t		 nextid;
	struct auth_lookup	*auth;		/* AUTH verifications */
};

static void	lookup_init(struct role *);
static int	lookup_dispatch(struct role *, enum proc_id, struct ipc_msg *);
static void	lookup_shutdown(struct role *);
static int	lookup_rcpt(struct role *, struct lookup *, enum proc_id,
		    struct ipc_msg *);
static int	lookup_forward_fd(struct role *, struct lookup *,
		    struct ipc_msg *);
static int	lookup_userinfo(struct role *, struct lookup *,
		    struct ipc_msg *);
static int	lookup_creds(struct role *, struct lookup *,
		    struct ipc_msg *);
static int	lookup_forward_ask(struct role *, struct lookup_req *,
		    const struct expand_result *);
static void	lookup_expand(struct role *, struct lookup *,
		    struct lookup_req *);
static void	lookup_answer(struct role *, struct lookup *,
		    struct lookup_req *, struct expand_result *);
static void	lookup_forward_cb(void *, const char *,
		    struct expand_forward *);
static void	lookup_req_free(struct lookup_req *);
static void	lookup_log(const struct lka_rcpt_req *,
		    const struct rcpt_decision *, enum lka_status, size_t);

static const struct ipc_rule lookup_rules[] = {
	{ IMSG_LKA_RCPT, PROC_BIT(PROC_SMTP) | PROC_BIT(PROC_QUEUE),
	    LOOKUP_MSG_MIN, IPC_MAX_PAYLOAD, IPC_FD_NONE },
	{ IMSG_LKA_FORWARD_FD, PROC_BIT(PROC_PARENT),
	    sizeof(struct forward_res), sizeof(struct forward_res),
	    IPC_FD_OPTIONAL },
	{ IMSG_LKA_USERINFO, PROC_BIT(PROC_PARENT),
	    sizeof(struct userinfo_req), sizeof(struct userinfo_req),
	    IPC_FD_NONE },
	{ IMSG_CTL_REQUEST, PROC_BIT(PROC_CONTROL), 1, IPC_MAX_PAYLOAD,
	    IPC_FD_NONE },
	{ IMSG_LKA_AUTH, PROC_BIT(PROC_SMTP), AUTH_MSG_MIN, AUTH_MSG_MAXSIZE,
	    IPC_FD_NONE },
	{ IMSG_LKA_CREDS, PROC_BIT(PROC_RELAY), sizeof(struct creds_req),
	    sizeof(struct creds_req), IPC_FD_NONE },
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
	TAILQ_INIT(&lk->waiting);
	lk->auth = auth_lookup_new(r, lk->tables, IMSG_LKA_AUTH_RES);
	r->data = lk;
}

static void
lookup_shutdown(struct role *r)
{
	struct lookup *lk = r->data;
	struct lookup_req *lr;

	if (lk == NULL)
		return;
	while ((lr = TAILQ_FIRST(&lk->waiting)) != NULL) {
		TAILQ_REMOVE(&lk->waiting, lr, entry);
		lookup_req_free(lr);
	}
	/* before the tables: a running verification holds no table */
	auth_lookup_free(lk->auth);
	tableset_free(lk->tables);
	localnames_free(lk->localnames);
	free(lk);
	r->data = NULL;
}

static int
lookup_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
	switch (m->type) {
	case IMSG_LKA_RCPT:
		return lookup_rcpt(r, r->data, from, m);
	case IMSG_LKA_FORWARD_FD:
		return lookup_forward_fd(r, r->data, m);
	case IMSG_LKA_USERINFO:
		return lookup_userinfo(r, r->data, m);
	case IMSG_LKA_CREDS:
		return lookup_creds(r, r->data, m);
	case IMSG_LKA_AUTH:
		return lookup_auth(r, ((struct lookup *)r->data)->auth, from,
		    m);
	case IMSG_CTL_REQUEST:
		return lookup_ctl_request(r,
		    ((struct lookup *)r->data)->tables, m);
	}
	return -1;
}

static void
lookup_log(const struct lka_rcpt_req *req, const struct rcpt_decision *d,
    enum lka_status status, size_t n)
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
	    "envelopes=%zu result=%s", (unsigned long long)req->session,
	    req->rcpt, rule, action, n, status == LKA_OK ? "Ok" :
	    status == LKA_REJECT ? "PermFail" : "TempFail");
}

static void
lookup_req_free(struct lookup_req *lr)
{
	size_t i;

	for (i = 0; i < lr->nfwd; i++)
		free(lr->fwd[i].buf);
	free(lr->fwd);
	free(lr);
}

static int
lookup_rcpt(struct role *r, struct lookup *lk, enum proc_id from,
    struct ipc_msg *m)
{
	struct lookup_req *lr;

	lr = xcalloc(1, sizeof(*lr));
	if (lka_rcpt_req_decode(m->data, m->len, &lr->req) == -1) {
		log_warnx("lookup event=rcpt error=\"malformed request\"");
		free(lr);
		return -1;
	}
	lr->reqid = m->reqid;
	lr->peer = from;
	lookup_expand(r, lk, lr);
	return 0;
}

/* ops->forward: the cached answer, or "ask the parent". */
static void
lookup_forward_cb(void *arg, const char *user, struct expand_forward *fw)
{
	struct lookup_req *lr = arg;
	size_t i;

	for (i = 0; i < lr->nfwd; i++)
		if (strcmp(lr->fwd[i].user, user) == 0 &&
		    lr->fwd[i].userbase == fw->userbase &&
		    (!fw->userbase || (lr->fwd[i].ui.uid == fw->ui.uid &&
		    lr->fwd[i].ui.gid == fw->ui.gid &&
		    strcmp(lr->fwd[i].ui.home, fw->ui.home) == 0))) {
			fw->status = lr->fwd[i].status;
			fw->buf = lr->fwd[i].buf;
			fw->len = lr->fwd[i].len;
			fw->owner_root = lr->fwd[i].owner_root;
			strlcpy(fw->reply, lr->fwd[i].reply,
			    sizeof(fw->reply));
			return;
		}
	fw->status = EXPAND_FWD_PENDING;
}

/* One expansion run: an answer, or a question to the parent. */
static void
lookup_expand(struct role *r, struct lookup *lk, struct lookup_req *lr)
{
	struct expand_ops ops;
	struct expand_result res;
	size_t len;

	memset(&ops, 0, sizeof(ops));
	ops.forward = lookup_forward_cb;
	ops.arg = lr;
	expand_run(&lk->ctx, &lr->req, &ops, &res);
	if (res.status == EXPAND_PENDING) {
		len = strlen(res.pending_user);
		if (lr->nfwd >= LOOKUP_FORWARDS_MAX ||
		    (!res.pending_userbase &&
		    !forward_user_valid(res.pending_user, len))) {
			res.status = EXPAND_TEMPFAIL;
			strlcpy(res.reply, RCPT_REPLY_TEMPFAIL,
			    sizeof(res.reply));
		} else {
			lr->id = ++lk->nextid;
			if (lookup_forward_ask(r, lr, &res) == 0) {
				log_trace(TRACE_EXPAND, "%016llx lookup "
				    "event=forward-open user=%s",
				    (unsigned long long)lr->req.session,
				    res.pending_user);
				lr->fwd = xreallocarray(lr->fwd, lr->nfwd + 1,
				    sizeof(*lr->fwd));
				memset(&lr->fwd[lr->nfwd], 0,
				    sizeof(lr->fwd[lr->nfwd]));
				strlcpy(lr->fwd[lr->nfwd].user,
				    res.pending_user,
				    sizeof(lr->fwd[lr->nfwd].user));
				lr->fwd[lr->nfwd].userbase =
				    res.pending_userbase;
				lr->fwd[lr->nfwd].ui = res.pending_ui;
				lr->fwd[lr->nfwd].status = EXPAND_FWD_PENDING;
				lr->nfwd++;
				TAILQ_INSERT_TAIL(&lk->waiting, lr, entry);
				expand_result_free(&res);
				return;
			}
			res.status = EXPAND_TEMPFAIL;
			strlcpy(res.reply, RCPT_REPLY_TEMPFAIL,
			    sizeof(res.reply));
		}
	}
	lookup_answer(r, lk, lr, &res);
	expand_result_free(&res);
	lookup_req_free(lr);
}

/* IMSG_LKA_FORWARD_OPEN for the pending user of res. */
static int
lookup_forward_ask(struct role *r, struct lookup_req *lr,
    const struct expand_result *res)
{
	struct forward_req q;
	struct forward_who who;

	memset(&who, 0, sizeof(who));
	who.name = res->pending_user;
	who.uid = res->pending_ui.uid;
	who.gid = res->pending_ui.gid;
	who.home = res->pending_ui.home;
	if (forward_req_make(&q, res->pending_user,
	    res->pending_userbase ? &who : NULL) == -1)
		return -1;
	return role_send(r, PROC_PARENT, IMSG_LKA_FORWARD_OPEN, lr->id, -1,
	    &q, sizeof(q));
}

/* The parent asks for a userbase user before a delivery. */
static int
lookup_userinfo(struct role *r, struct lookup *lk, struct ipc_msg *m)
{
	struct userinfo_res res;

	if (userinfo_answer(lk->tables, lk->ctx.conf, m->data, m->len,
	    &res) == -1) {
		log_warnx("lookup event=userinfo error=\"malformed request\"");
		return -1;
	}
	role_send(r, PROC_PARENT, IMSG_LKA_USERINFO_RES, m->reqid, -1, &res,
	    sizeof(res));
	return 0;
}

/* IMSG_LKA_CREDS: a smarthost's login, for the relay role. */
static int
lookup_creds(struct role *r, struct lookup *lk, struct ipc_msg *m)
{
	struct creds_res res;

	if (creds_answer(lk->tables, lk->ctx.conf, m->data, m->len,
	    &res) == -1) {
		log_warnx("lookup event=creds error=\"malformed request\"");
		return -1;
	}
	role_send(r, PROC_RELAY, IMSG_LKA_CREDS_RES, m->reqid, -1, &res,
	    sizeof(res));
	sodium_memzero(&res, sizeof(res));
	return 0;
}

/* The parent's answer for the last .forward asked. */
static int
lookup_forward_fd(struct role *r, struct lookup *lk, struct ipc_msg *m)
{
	struct forward_res fres;
	struct lookup_req *lr;
	struct lookup_fwd *f;
	char buf[EXPAND_FORWARD_SIZE];
	size_t len;

	TAILQ_FOREACH(lr, &lk->waiting, entry)
		if (lr->id == m->reqid)
			break;
	if (lr == NULL || lr->nfwd == 0) {
		if (m->fd != -1)
			close(m->fd);
		return 0;
	}
	TAILQ_REMOVE(&lk->waiting, lr, entry);
	memcpy(&fres, m->data, sizeof(fres));
	f = &lr->fwd[lr->nfwd - 1];
	f->owner_root = fres.uid == 0;
	switch (fres.status) {
	case FORWARD_OK:
		if (m->fd == -1 ||
		    expand_read_forward(m->fd, buf, sizeof(buf), &len) == -1) {
			log_warnx("%016llx lookup event=forward user=%s "
			    "error=\"unreadable or too large\" "
			    "result=TempFail",
			    (unsigned long long)lr->req.session, f->user);
			f->status = EXPAND_FWD_TEMPFAIL;
			break;
		}
		f->status = EXPAND_FWD_FOUND;
		f->buf = xmalloc(len + 1);
		memcpy(f->buf, buf, len);
		f->buf[len] = '\0';
		f->len = len;
		break;
	case FORWARD_NONE:
		f->status = EXPAND_FWD_NONE;
		break;
	case FORWARD_INSECURE:
		f->status = EXPAND_FWD_TEMPFAIL;
		snprintf(f->reply, sizeof(f->reply),
		    "451 4.7.0 insecure .forward for %s", f->user);
		break;
	default:
		f->status = EXPAND_FWD_TEMPFAIL;
		break;
	}
	if (m->fd != -1)
		close(m->fd);
	lookup_expand(r, lk, lr);
	return 0;
}

/* Every envelope of an accepted recipient, then the verdict. */
static void
lookup_answer(struct role *r, struct lookup *lk, struct lookup_req *lr,
    struct expand_result *res)
{
	char err[ENVELOPE_ERR_MAX];
	struct lka_rcpt_res out;
	struct envelope e;
	uint8_t *buf = NULL, **bufs = NULL;
	size_t len, *lens = NULL, i, n = 0;

	memset(&out, 0, sizeof(out));
	if (res->status == EXPAND_OK) {
		/* encode all first: nothing is sent for a failed recipient */
		bufs = xcalloc(res->nfinals, sizeof(*bufs));
		lens = xcalloc(res->nfinals, sizeof(*lens));
		for (n = 0; n < res->nfinals; n++)
			if (expand_envelope(&lk->ctx, &lr->req, res, n, &e, err,
			    sizeof(err)) == -1 || envelope_encode(&e, &bufs[n],
			    &lens[n], err, sizeof(err)) == -1) {
				log_warnx("%016llx lookup event=rcpt "
				    "rcpt=<%s> error=\"envelope: %s\"",
				    (unsigned long long)lr->req.session,
				    lr->req.rcpt, err);
				res->status = EXPAND_TEMPFAIL;
				strlcpy(res->reply, RCPT_REPLY_TEMPFAIL,
				    sizeof(res->reply));
				break;
			}
		if (res->status == EXPAND_OK)
			for (i = 0; i < n; i++)
				role_send(r, lr->peer, IMSG_LKA_EXPANSION,
				    lr->reqid, -1, bufs[i], lens[i]);
		for (i = 0; i < res->nfinals; i++)
			free(bufs[i]);
		free(bufs);
		free(lens);
	}
	if (res->status == EXPAND_OK) {
		out.status = LKA_OK;
		out.nexpansions = (uint32_t)n;
	} else {
		out.status = res->status == EXPAND_REJECT ? LKA_REJECT :
		    LKA_TEMPFAIL;
		strlcpy(out.reply, res->reply, sizeof(out.reply));
		n = 0;
	}
	lookup_log(&lr->req, &res->decision, out.status, n);
	if (lka_rcpt_res_encode(&out, &buf, &len) == -1) {
		/* a reply line the codec refuses: never guess a 5xx */
		log_warnx("%016llx lookup event=rcpt rcpt=<%s> error=\"bad "
		    "reply %s\"", (unsigned long long)lr->req.session,
		    lr->req.rcpt, out.reply);
		memset(&out, 0, sizeof(out));
		out.status = LKA_TEMPFAIL;
		strlcpy(out.reply, RCPT_REPLY_TEMPFAIL, sizeof(out.reply));
		if (lka_rcpt_res_encode(&out, &buf, &len) == -1)
			fatalx("lookup: cannot encode a recipient result");
	}
	role_send(r, lr->peer, IMSG_LKA_RCPT_RESULT, lr->reqid, -1, buf,
	    len);
	free(buf);
}

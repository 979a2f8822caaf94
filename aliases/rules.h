/*
 * rules.h: the recipient decision of the lookup role at RCPT time:
 * match rules (spec/config.md section 7, rules.c), then, for a rule that
 * selects a local action, whether the recipient is known (recipient.c),
 * then the reply and the envelope template. Pure functions of the config,
 * the loaded tables, <localnames> and one request: no IPC, so unit tests
 * drive them directly.
 */
#ifndef ALIASES_RULES_H
#define ALIASES_RULES_H

#include "aliases/localnames.h"
#include "aliases/table.h"
#include "queue/envelope.h"
#include "smtpd/config.h"
#include "smtpd/lka_msg.h"

/* Everything a decision looks at besides the request. */
struct rules_ctx {
	const struct config	*conf;
	struct tableset		*tables;
	const struct localnames	*localnames;
};

enum rules_verdict {
	RULES_ACCEPT,		/* a rule with an action matched */
	RULES_REJECT,		/* a `reject` rule matched */
	RULES_NOMATCH,		/* no rule matched */
	RULES_TEMPFAIL,		/* a table could not answer */
};

struct rules_match {
	enum rules_verdict	 verdict;
	const struct match	*match;		/* ACCEPT, REJECT; TEMPFAIL: the rule */
	int			 local_domain;	/* rcpt domain in <localnames> */
	char			 domain[ADDR_DOMAIN_MAX + 1];	/* rcpt domain */
	/* rcpt as routed: bare <postmaster> becomes postmaster@NAME */
	char			 rcpt[ADDR_MAILBOX_SIZE];
};

/* The first rule, in file order, whose conditions all hold. */
void	rules_match(const struct rules_ctx *, const struct lka_rcpt_req *,
	    struct rules_match *);

/* recipient.c */

#define RCPT_REPLY_REJECT	"550 5.7.1 Delivery not authorized, message refused"
#define RCPT_REPLY_RELAY	"550 5.7.1 Relay denied"
#define RCPT_REPLY_UNKNOWN	"550 5.1.1 Invalid recipient"
#define RCPT_REPLY_TEMPFAIL	"451 4.3.0 Temporary failure"

/*
 * Placeholder evpid of an envelope template: envelope_validate() refuses
 * 0, so lookup sends this and the smtp role overwrites it with the real
 * evpid (msgid << 32 | random) before it queues the envelope.
 */
#define RCPT_TEMPLATE_EVPID	0x0000000100000001ULL

struct rcpt_decision {
	enum lka_status		 status;
	char			 reply[LKA_REPLY_MAX];	/* "" if LKA_OK */
	const struct match	*match;		/* NULL if none */
	const struct action	*action;	/* NULL unless LKA_OK */
	char			 user[ENVELOPE_USER_MAX + 1];	/* mda_user */
	char			 subaddress[ENVELOPE_ADDR_MAX + 1];
	char			 dest[ENVELOPE_ADDR_MAX + 1];
};

/*
 * Is the local part of rcpt a known recipient of a local action?
 * (alias / virtual keys, userbase or getpwnam(3), postmaster).
 * TABLE_FOUND fills d->user (may stay "" if known by alias/virtual only)
 * and d->subaddress.
 */
enum table_result recipient_known(const struct rules_ctx *,
	    const struct action *, const char *rcpt, int local_domain,
	    struct rcpt_decision *);
/*
 * Is `user` (folded, no tag) a user of the action's userbase, or without
 * one of the system (getpwnam)? FOUND sets d->user if it was "", and
 * with a userbase *ui (if not NULL; zeroed otherwise).
 */
enum table_result recipient_user(const struct rules_ctx *,
	    const struct action *, const char *user, struct rcpt_decision *,
	    struct table_userinfo *ui);
/* The whole decision for one request. */
void	recipient_decide(const struct rules_ctx *, const struct lka_rcpt_req *,
	    struct rcpt_decision *);
/* The envelope template of an accepted recipient; 0 or -1 with err. */
int	recipient_envelope(const struct rules_ctx *, const struct lka_rcpt_req *,
	    const struct rcpt_decision *, struct envelope *, char *err,
	    size_t errsz);

#endif

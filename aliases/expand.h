/*
 * expand.h: alias, virtual and ~/.forward expansion of one recipient at
 * RCPT time (spec/tables.md sections 3-5, spec/delivery.md section 5),
 * run by the lookup role (aliases/lookup.c) and the unit tests.
 *
 * expand_run() decides the recipient (match rules, recipient.c), then
 * walks its expansion tree: alias/virtual values parsed by aliasfmt,
 * addresses re-routed through the match rules with the session's facts,
 * users looked up again in the same action's table, then their .forward,
 * then delivered; |command and /file destinations become MDA envelopes
 * with mda_method PIPE/FILE; error:NNN fails the recipient; :include:
 * files are read through ops->include. The result is the set of final
 * destinations (deduplicated), or a reply (5xx/4xx).
 *
 * No I/O of its own except expand_include_file(): .forward contents and
 * include files come from the caller's ops, so the logic is testable
 * without privileges. .forward is asynchronous in the daemon (the parent
 * opens it): when ops->forward answers EXPAND_FWD_PENDING the run stops
 * with EXPAND_PENDING and pending_user set; the caller fetches that
 * file, caches the answer, and calls expand_run() again from the start
 * (the tree is a pure function of the tables and the cached answers).
 *
 * forward-only and expand-only actions (config.md section 5.1) have no
 * mailbox: a final delivery to a user's mailbox under such an action
 * fails the recipient (550 5.7.1 / 550 5.1.1), and so does a pipe or
 * file under forward-only. Addresses are forwarded: re-routed through
 * the rules, they are judged by the action they land on.
 */
#ifndef ALIASES_EXPAND_H
#define ALIASES_EXPAND_H

#include <stddef.h>

#include "aliases/rules.h"
#include "queue/envelope.h"
#include "smtpd/lka_msg.h"

#define EXPAND_DEPTH_MAX	10	/* tables.md section 3 */
#define EXPAND_FINAL_MAX	1000	/* final destinations per recipient */
#define EXPAND_NODES_MAX	20000	/* work bound: nodes visited per run */
#define EXPAND_FORWARD_SIZE	4096	/* .forward of this size or more: 4xx */
#define EXPAND_FORWARD_DESTS	100	/* destinations in one .forward */
#define EXPAND_INCLUDE_SIZE	(1024 * 1024)	/* one :include: file */
#define EXPAND_KEY_MAX		(ENVELOPE_EXEC_MAX + ENVELOPE_NAME_MAX + 16)

/* Who runs |command and /file destinations of alias and virtual tables. */
#ifndef MAIL_USER
#define MAIL_USER		SMTPD_USER
#endif

#define EXPAND_REPLY_LOOP	"524 5.2.4 Mailing list expansion problem"
#define EXPAND_REPLY_ROOTFWD	"550 5.7.1 Delivery not authorized, " \
				"message refused"
/* forward-only: a mailbox, pipe or file; expand-only: a mailbox. */
#define EXPAND_REPLY_FWDONLY	"550 5.7.1 Delivery not authorized, " \
				"forwarding only"
#define EXPAND_REPLY_EXPONLY	"550 5.1.1 Invalid recipient, " \
				"no delivery method"

enum expand_status {
	EXPAND_OK,		/* finals[] holds every destination */
	EXPAND_REJECT,		/* reply: 5xx */
	EXPAND_TEMPFAIL,	/* reply: 4xx */
	EXPAND_PENDING,		/* .forward of pending_user is needed */
};

/* The answer for one user's .forward (ops->forward). */
enum expand_fwd {
	EXPAND_FWD_NONE,	/* no file, empty, or a symlink: the mailbox */
	EXPAND_FWD_FOUND,	/* buf[0..len) is its content */
	EXPAND_FWD_PENDING,	/* not known yet: stop and ask */
	EXPAND_FWD_TEMPFAIL,	/* reply holds the 4xx line */
};

struct expand_forward {
	/*
	 * In, set by the expansion: a user of the action's userbase (the
	 * file is HOME/.forward of ui, opened as ui's uid and gid), or a
	 * system user (userbase 0, ui zeroed).
	 */
	int			 userbase;
	struct table_userinfo	 ui;
	/* Out, set by ops->forward. */
	enum expand_fwd		 status;
	const char		*buf;
	size_t			 len;
	int			 owner_root;	/* uid 0: no pipe/file/include */
	char			 reply[LKA_REPLY_MAX];	/* TEMPFAIL; "" = 451 4.3.0 */
};

struct expand_ops {
	/*
	 * .forward of `user` (fw->userbase and fw->ui say whose); fills
	 * the status and content of *fw. NULL: never any.
	 */
	void	(*forward)(void *arg, const char *user,
		    struct expand_forward *fw);
	/*
	 * Contents of an :include: file: 0 with a malloc'd *bufp, or -1
	 * (temporary failure). NULL: expand_include_file().
	 */
	int	(*include)(void *arg, const char *path, char **bufp,
		    size_t *lenp);
	void	*arg;
};

struct expand_final {
	enum envelope_type	 type;		/* MDA or MTA */
	const struct action	*action;
	enum envelope_mda_method method;
	char			 dest[ENVELOPE_ADDR_MAX + 1];
	char			 user[ENVELOPE_USER_MAX + 1];	/* MDA */
	char			 subaddress[ENVELOPE_ADDR_MAX + 1];
	char			 exec[ENVELOPE_EXEC_MAX + 1];	/* PIPE, FILE */
};

struct expand_result {
	enum expand_status	 status;
	char			 reply[LKA_REPLY_MAX];	/* REJECT, TEMPFAIL */
	struct rcpt_decision	 decision;	/* of the recipient itself */
	char			 pending_user[ENVELOPE_USER_MAX + 1];
	int			 pending_userbase;	/* and its entry: */
	struct table_userinfo	 pending_ui;
	struct expand_final	*finals;
	size_t			 nfinals;
};

/* The whole expansion of req->rcpt. Free with expand_result_free(). */
void	expand_run(const struct rules_ctx *, const struct lka_rcpt_req *,
	    const struct expand_ops *, struct expand_result *);
void	expand_result_free(struct expand_result *);

/*
 * The envelope of finals[i]: the template of recipient_envelope() with
 * type, dispatcher, dest, mda_* and ttl of that destination. 0, or -1
 * with err.
 */
int	expand_envelope(const struct rules_ctx *, const struct lka_rcpt_req *,
	    const struct expand_result *, size_t i, struct envelope *,
	    char *err, size_t errsz);

/*
 * Reads an :include: file in the (unprivileged) lookup role: an absolute
 * path, no symlink, a regular world-readable file of at most
 * EXPAND_INCLUDE_SIZE bytes. 0 with *bufp malloc'd, or -1 (logged).
 */
int	expand_include_file(void *arg, const char *path, char **bufp,
	    size_t *lenp);

/* Reads a .forward descriptor: 0 with buf, -1 if EXPAND_FORWARD_SIZE
 * or more or a read error. Closes nothing. */
int	expand_read_forward(int fd, char *buf, size_t bufsz, size_t *lenp);

#endif

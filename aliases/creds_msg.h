/*
 * creds_msg.h: the credentials of a smarthost (`relay host
 * smtp+tls://LABEL@host auth <table>`, spec/tables.md section 6.2). The
 * lookup role owns the tables, so the relay role asks it when a session
 * to that smarthost is about to authenticate:
 *
 *   IMSG_LKA_CREDS      relay -> lookup: struct creds_req (action name)
 *   IMSG_LKA_CREDS_RES  lookup -> relay: struct creds_res (found / not
 *                       found / temporary failure, user, password),
 *                       same reqid
 *
 * Fixed-size payloads with the length of every string. The label is the
 * action's own (the relay role sends only the action name), so the relay
 * role can learn no other line of the table. The answer holds a
 * password: both sides wipe it after use.
 */
#ifndef ALIASES_CREDS_MSG_H
#define ALIASES_CREDS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "aliases/table.h"
#include "queue/envelope.h"
#include "smtpd/config.h"

#define CREDS_ACTION_MAX	ENVELOPE_NAME_MAX
#define CREDS_USER_MAX		255
#define CREDS_PASS_MAX		255

enum creds_status {
	CREDS_FOUND = 1,
	CREDS_NOTFOUND,		/* no line for the label: a config error */
	CREDS_TEMPFAIL,		/* table error, bad value */
};

struct creds_req {
	uint32_t	actionlen;
	char		action[CREDS_ACTION_MAX];
};

struct creds_res {
	uint32_t	status;		/* enum creds_status */
	uint32_t	userlen;
	uint32_t	passlen;
	char		user[CREDS_USER_MAX];
	char		pass[CREDS_PASS_MAX];
};

/* Fills a request; -1 if the name does not fit. */
int	creds_req_make(struct creds_req *, const char *action);
/*
 * The lookup role's answer to a request (data, len): fills *res. -1 if
 * the request is malformed (the caller closes the channel).
 */
int	creds_answer(struct tableset *, const struct config *, const void *,
	    size_t, struct creds_res *);
/* Reads an answer into NUL-terminated user and pass; -1 if malformed. */
int	creds_res_read(const void *, size_t, struct creds_res *, char *user,
	    size_t, char *pass, size_t);
/* "username:password" split at the first ':'; -1 if there is none. */
int	creds_split(const char *, char *user, size_t, char *pass, size_t);

#endif

/*
 * creds_msg.c: smarthost credentials between the relay and lookup roles
 * (creds_msg.h): the request, the lookup in the action's `auth` table,
 * the answer and its checks. No I/O besides the table.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "aliases/creds_msg.h"
#include "lib/log.h"

static int	creds_text_ok(const char *, size_t);

/* Printable, no NUL: a value that goes on the wire base64-encoded. */
static int
creds_text_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

int
creds_req_make(struct creds_req *q, const char *action)
{
	size_t n = strlen(action);

	memset(q, 0, sizeof(*q));
	if (n == 0 || n > sizeof(q->action))
		return -1;
	q->actionlen = (uint32_t)n;
	memcpy(q->action, action, n);
	return 0;
}

int
creds_split(const char *v, char *user, size_t usz, char *pass, size_t psz)
{
	const char *colon;
	size_t ulen, plen;

	if ((colon = strchr(v, ':')) == NULL)
		return -1;
	ulen = (size_t)(colon - v);
	plen = strlen(colon + 1);
	if (ulen == 0 || ulen >= usz || plen >= psz)
		return -1;
	memcpy(user, v, ulen);
	user[ulen] = '\0';
	memcpy(pass, colon + 1, plen + 1);
	return 0;
}

int
creds_answer(struct tableset *tables, const struct config *conf,
    const void *data, size_t len, struct creds_res *res)
{
	char action[CREDS_ACTION_MAX + 1];
	char user[CREDS_USER_MAX + 1], pass[CREDS_PASS_MAX + 1];
	const struct creds_req *q = data;
	const struct action *a;
	struct table *t;
	char *value = NULL;

	memset(res, 0, sizeof(*res));
	if (len != sizeof(*q) || q->actionlen == 0 ||
	    q->actionlen > sizeof(q->action))
		return -1;
	memcpy(action, q->action, q->actionlen);
	action[q->actionlen] = '\0';
	res->status = CREDS_TEMPFAIL;
	if ((a = config_action_find(conf, action)) == NULL ||
	    a->relay_auth == NULL || a->relay.label[0] == '\0' ||
	    (t = tableset_get(tables, a->relay_auth)) == NULL) {
		log_warnx("lookup event=creds action=%s error=\"no such "
		    "action with an auth table and a label\" "
		    "result=TempFail", action);
		return 0;
	}
	switch (table_lookup(t, a->relay.label, &value)) {
	case TABLE_FOUND:
		break;
	case TABLE_NOTFOUND:
		res->status = CREDS_NOTFOUND;
		return 0;
	case TABLE_TEMPFAIL:
		return 0;
	}
	if (value == NULL || creds_split(value, user, sizeof(user), pass,
	    sizeof(pass)) == -1 || !creds_text_ok(user, strlen(user)) ||
	    !creds_text_ok(pass, strlen(pass))) {
		log_warnx("table=%s key=%s event=creds error=\"not "
		    "username:password\" result=TempFail", a->relay_auth->name,
		    a->relay.label);
	} else {
		res->status = CREDS_FOUND;
		res->userlen = (uint32_t)strlen(user);
		res->passlen = (uint32_t)strlen(pass);
		memcpy(res->user, user, res->userlen);
		memcpy(res->pass, pass, res->passlen);
	}
	if (value != NULL) {
		sodium_memzero(value, strlen(value));
		free(value);
	}
	sodium_memzero(pass, sizeof(pass));
	return 0;
}

int
creds_res_read(const void *data, size_t len, struct creds_res *res,
    char *user, size_t usz, char *pass, size_t psz)
{
	if (len != sizeof(*res))
		return -1;
	memcpy(res, data, sizeof(*res));
	user[0] = pass[0] = '\0';
	switch (res->status) {
	case CREDS_NOTFOUND:
	case CREDS_TEMPFAIL:
		return 0;
	case CREDS_FOUND:
		break;
	default:
		return -1;
	}
	if (res->userlen == 0 || res->userlen > sizeof(res->user) ||
	    res->passlen > sizeof(res->pass) || res->userlen >= usz ||
	    res->passlen >= psz ||
	    !creds_text_ok(res->user, res->userlen) ||
	    !creds_text_ok(res->pass, res->passlen))
		return -1;
	memcpy(user, res->user, res->userlen);
	user[res->userlen] = '\0';
	memcpy(pass, res->pass, res->passlen);
	pass[res->passlen] = '\0';
	sodium_memzero(res->pass, sizeof(res->pass));
	return 0;
}

/*
 * userinfo_msg.c: userbase users (see userinfo_msg.h): the lookup in the
 * action's userbase table, which envelope users it applies to, and the
 * IMSG_LKA_USERINFO request and answer between the parent and the lookup
 * role. Called by aliases/recipient.c (RCPT), aliases/lookup.c (the
 * answer), smtpd/parent_mda.c (the question) and the unit tests. Every
 * field read from a message is checked here before it is used; nothing
 * aborts on a bad message (-1: the caller closes that channel).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/expand.h"
#include "aliases/userinfo_msg.h"
#include "lib/log.h"

static int	userinfo_text_ok(const char *, size_t);

/* A name or a path as sent: not empty, no NUL, no control character. */
static int
userinfo_text_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

enum userinfo_status
userinfo_lookup(struct tableset *tables, const struct action *a,
    const char *user, struct table_userinfo *ui)
{
	struct table *t;
	const char *why;
	char *value = NULL;

	memset(ui, 0, sizeof(*ui));
	if (a->userbase == NULL ||
	    (t = tableset_get(tables, a->userbase)) == NULL)
		return USERINFO_TEMPFAIL;
	switch (table_lookup(t, user, &value)) {
	case TABLE_FOUND:
		break;
	case TABLE_NOTFOUND:
		return USERINFO_NOTFOUND;
	case TABLE_TEMPFAIL:
		return USERINFO_TEMPFAIL;
	}
	if (value == NULL || table_userinfo_parse(value, ui, &why) == -1) {
		log_warnx("table=%s key=%s event=userinfo error=\"%s\" "
		    "result=TempFail", a->userbase->name, user,
		    value == NULL ? "no value" : why);
		free(value);
		memset(ui, 0, sizeof(*ui));
		return USERINFO_TEMPFAIL;
	}
	free(value);
	return USERINFO_FOUND;
}

int
userinfo_wanted(const struct action *a, const struct envelope *e)
{
	if (a->userbase == NULL || a->user != NULL)
		return 0;
	/* pipes and files of alias/virtual tables: expand.c's MAIL_USER */
	if (e->mda_method != ENVELOPE_MDA_ACTION &&
	    strcmp(e->mda_user, MAIL_USER) == 0)
		return 0;
	return 1;
}

int
userinfo_req_make(struct userinfo_req *q, const char *action,
    const char *user)
{
	size_t alen = strlen(action), ulen = strlen(user);

	memset(q, 0, sizeof(*q));
	if (alen > sizeof(q->action) || ulen > sizeof(q->user) ||
	    !userinfo_text_ok(action, alen) || !userinfo_text_ok(user, ulen))
		return -1;
	q->actionlen = (uint32_t)alen;
	q->userlen = (uint32_t)ulen;
	memcpy(q->action, action, alen);
	memcpy(q->user, user, ulen);
	return 0;
}

int
userinfo_req_read(const void *data, size_t len, char *action,
    size_t actionsz, char *user, size_t usersz)
{
	struct userinfo_req q;

	if (len != sizeof(q))
		return -1;
	memcpy(&q, data, sizeof(q));
	if (q.actionlen > sizeof(q.action) || q.userlen > sizeof(q.user) ||
	    q.actionlen >= actionsz || q.userlen >= usersz ||
	    !userinfo_text_ok(q.action, q.actionlen) ||
	    !userinfo_text_ok(q.user, q.userlen))
		return -1;
	memcpy(action, q.action, q.actionlen);
	action[q.actionlen] = '\0';
	memcpy(user, q.user, q.userlen);
	user[q.userlen] = '\0';
	return 0;
}

int
userinfo_res_read(const void *data, size_t len, struct userinfo_res *res,
    char *home, size_t homesz)
{
	if (len != sizeof(*res))
		return -1;
	memcpy(res, data, sizeof(*res));
	home[0] = '\0';
	switch (res->status) {
	case USERINFO_NOTFOUND:
	case USERINFO_TEMPFAIL:
		return 0;
	case USERINFO_FOUND:
		break;
	default:
		return -1;
	}
	if (res->uid == 0 || res->homelen > sizeof(res->home) ||
	    res->homelen >= homesz ||
	    !userinfo_text_ok(res->home, res->homelen) || res->home[0] != '/')
		return -1;
	memcpy(home, res->home, res->homelen);
	home[res->homelen] = '\0';
	return 0;
}

int
userinfo_answer(struct tableset *tables, const struct config *conf,
    const void *data, size_t len, struct userinfo_res *res)
{
	char action[USERINFO_ACTION_MAX + 1], user[USERINFO_USER_MAX + 1];
	struct table_userinfo ui;
	const struct action *a;
	size_t hlen;

	memset(res, 0, sizeof(*res));
	if (userinfo_req_read(data, len, action, sizeof(action), user,
	    sizeof(user)) == -1)
		return -1;
	res->status = USERINFO_TEMPFAIL;
	if ((a = config_action_find(conf, action)) == NULL ||
	    a->userbase == NULL) {
		/* both sides parsed the same file: a reload in between */
		log_warnx("lookup event=userinfo action=%s user=%s "
		    "error=\"no such action with a userbase\" "
		    "result=TempFail", action, user);
		return 0;
	}
	res->status = userinfo_lookup(tables, a, user, &ui);
	if (res->status == USERINFO_FOUND) {
		hlen = strlen(ui.home);
		if (hlen > sizeof(res->home)) {
			res->status = USERINFO_TEMPFAIL;
			return 0;
		}
		res->uid = (uint32_t)ui.uid;
		res->gid = (uint32_t)ui.gid;
		res->homelen = (uint32_t)hlen;
		memcpy(res->home, ui.home, hlen);
	}
	log_trace(TRACE_LOOKUP, "lookup event=userinfo action=%s user=%s "
	    "status=%u", action, user, res->status);
	return 0;
}

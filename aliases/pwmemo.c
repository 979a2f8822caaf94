/*
 * pwmemo.c: the lookup role asks getpwnam(3) about the same user up to
 * four times for one RCPT (the check at RCPT, then each expansion step),
 * and each call reads /etc/passwd, or with an NSS backend such as LDAP
 * makes a round trip. The last PWMEMO_SIZE answers are remembered for
 * PWMEMO_TTL seconds: a user added or removed shows within a second,
 * sooner than with nscd. A failure to read the database is never
 * remembered. Lookup role only (single-threaded).
 */
#include <errno.h>
#include <string.h>

#include "aliases/pwmemo.h"
#include "queue/envelope.h"
#include "lib/log.h"

static time_t	pwmemo_now(void);

struct passwd	*(*pwmemo_getpwnam)(const char *) = getpwnam;
time_t		(*pwmemo_clock)(void) = pwmemo_now;

static struct pwmemo_entry {
	char		 user[ENVELOPE_USER_MAX + 1];
	char		 name[ENVELOPE_USER_MAX + 1];
	enum table_result result;	/* FOUND or NOTFOUND */
	time_t		 at;		/* 0: unused */
} pwmemo[PWMEMO_SIZE];
static size_t	pwmemo_next;		/* the slot to reuse next */

static time_t
pwmemo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1;		/* never 0 */
}

void
pwmemo_clear(void)
{
	memset(pwmemo, 0, sizeof(pwmemo));
	pwmemo_next = 0;
}

static enum table_result
pwmemo_ask(const char *user, char *name, size_t namesz)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = pwmemo_getpwnam(user)) != NULL) {
		strlcpy(name, pw->pw_name, namesz);
		return TABLE_FOUND;
	}
	switch (errno) {
	case 0:
	case ENOENT:
	case ESRCH:
	case EBADF:
	case EPERM:
		return TABLE_NOTFOUND;
	default:
		log_warn("getpwnam(%s)", user);
		return TABLE_TEMPFAIL;
	}
}

enum table_result
pwmemo_lookup(const char *user, char *name, size_t namesz)
{
	struct pwmemo_entry *e;
	enum table_result r;
	time_t now = pwmemo_clock();
	size_t i;

	for (i = 0; i < PWMEMO_SIZE; i++) {
		e = &pwmemo[i];
		if (e->at != 0 && now - e->at < PWMEMO_TTL &&
		    strcmp(e->user, user) == 0) {
			if (e->result == TABLE_FOUND)
				strlcpy(name, e->name, namesz);
			return e->result;
		}
	}
	r = pwmemo_ask(user, name, namesz);
	if (r == TABLE_TEMPFAIL || strlen(user) >= sizeof(e->user))
		return r;
	e = &pwmemo[pwmemo_next];
	pwmemo_next = (pwmemo_next + 1) % PWMEMO_SIZE;
	strlcpy(e->user, user, sizeof(e->user));
	e->name[0] = '\0';
	if (r == TABLE_FOUND)
		strlcpy(e->name, name, sizeof(e->name));
	e->result = r;
	e->at = now;
	return r;
}

/*
 * mdauser.c: the recipient user of a delivery: passwd lookup (tri-state:
 * found, unknown user 5.1.1, lookup failure 4.3.0) and the irreversible
 * switch from root to that user (initgroups, setresgid, setresuid, then
 * verified). Called by main.c before any user file is touched and before
 * the message is read. It never switches to uid 0 and never lets a
 * half-done switch continue: any failure is reported, never ignored.
 * A user of an action's userbase (-u UID:GID:HOME from the daemon) has
 * no passwd entry: mdauser_userbase() takes the ids as given, and the
 * switch sets the groups to GID alone (initgroups would look the name
 * up in the group database, where it may belong to someone else).
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver/deliver.h"

static int	mdauser_copy(const struct passwd *, struct dlv_user *,
		    struct outcome *);
static int	mdauser_notfound(int);
static int	mdauser_text_ok(const char *);
static int	mdauser_id(const char **, unsigned long *);

static int
mdauser_copy(const struct passwd *pw, struct dlv_user *u, struct outcome *o)
{
	if (strlcpy(u->name, pw->pw_name, sizeof(u->name)) >= sizeof(u->name) ||
	    strlcpy(u->home, pw->pw_dir, sizeof(u->home)) >= sizeof(u->home)) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "passwd entry of user "
		    "too long");
		return -1;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

/* getpwnam's "not found" errno values (getpwnam(3)); others are errors. */
static int
mdauser_notfound(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
	    err == EPERM;
}

int
mdauser_lookup(const char *name, struct dlv_user *u, struct outcome *o)
{
	char q[DLV_USER_MAX];
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		outcome_quote(q, sizeof(q), name, strlen(name));
		if (mdauser_notfound(errno))
			outcome_set(o, OUTCOME_PERM, "5.1.1", "user unknown: "
			    "\"%s\"", q);
		else
			outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot look up "
			    "user \"%s\": %s", q, strerror(errno));
		return -1;
	}
	return mdauser_copy(pw, u, o);
}

/* Not empty, no control character. */
static int
mdauser_text_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Decimal digits then ':'; *sp moves past the ':'. */
static int
mdauser_id(const char **sp, unsigned long *idp)
{
	const char *s = *sp;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*idp = strtoul(s, &end, 10);
	if (errno != 0 || *end != ':' || *idp >= UINT_MAX)
		return -1;
	*sp = end + 1;
	return 0;
}

/*
 * -d name -u UID:GID:HOME: a user of the daemon's userbase. UID 0, a
 * relative HOME or anything malformed is refused (temporary: the daemon
 * never sends it, so it is a bug to fix, not mail to bounce).
 */
int
mdauser_userbase(const char *spec, const char *name, struct dlv_user *u,
    struct outcome *o)
{
	unsigned long uid, gid;
	const char *p = spec;

	memset(u, 0, sizeof(*u));
	if (name == NULL || !mdauser_text_ok(name) ||
	    strlcpy(u->name, name, sizeof(u->name)) >= sizeof(u->name) ||
	    mdauser_id(&p, &uid) == -1 || mdauser_id(&p, &gid) == -1 ||
	    p[0] != '/' || !mdauser_text_ok(p) ||
	    strlcpy(u->home, p, sizeof(u->home)) >= sizeof(u->home)) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "invalid -u user "
		    "information");
		return -1;
	}
	if (uid == 0) {
		outcome_set(o, OUTCOME_PERM, "5.7.0", "refusing to deliver as "
		    "root (uid 0 in -u)");
		return -1;
	}
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	u->userbase = 1;
	return 0;
}

/* The user we run as (unprivileged use: Postfix's mailbox_command). */
int
mdauser_self(struct dlv_user *u, struct outcome *o)
{
	struct passwd *pw;
	uid_t uid = getuid();

	errno = 0;
	if ((pw = getpwuid(uid)) == NULL) {
		if (mdauser_notfound(errno))
			outcome_set(o, OUTCOME_PERM, "5.1.1", "no passwd entry "
			    "for uid %lu", (unsigned long)uid);
		else
			outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot look up "
			    "uid %lu: %s", (unsigned long)uid, strerror(errno));
		return -1;
	}
	return mdauser_copy(pw, u, o);
}

/*
 * As root: become u for good. Afterwards real, effective and saved ids
 * are u's, the groups are u's, and root cannot be regained.
 */
int
mdauser_drop(const struct dlv_user *u, struct outcome *o)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (u->uid == 0) {
		outcome_set(o, OUTCOME_PERM, "5.7.0", "refusing to deliver as "
		    "root");
		return -1;
	}
	if ((u->userbase ? setgroups(1, &u->gid) :
	    initgroups(u->name, u->gid)) == -1 ||
	    setresgid(u->gid, u->gid, u->gid) == -1 ||
	    setresuid(u->uid, u->uid, u->uid) == -1) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot switch to user "
		    "%s: %s", u->name, strerror(errno));
		return -1;
	}
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != u->uid || eu != u->uid || su != u->uid ||
	    rg != u->gid || eg != u->gid || sg != u->gid ||
	    setuid(0) != -1 || seteuid(0) != -1) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "switch to user %s "
		    "did not stick", u->name);
		return -1;
	}
	return 0;
}

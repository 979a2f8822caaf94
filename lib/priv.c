/*
 * priv.c: privilege drop for roles (see priv.h). Called once per role
 * after every file the role needs before chroot has been opened. Any
 * failure as root is fatal: a role never runs with more privilege than
 * planned.
 */
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/priv.h"

int
priv_is_root(void)
{
	return geteuid() == 0;
}

int
priv_lookup(const char *user, struct priv_user *pu)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		return -1;
	pu->uid = pw->pw_uid;
	pu->gid = pw->pw_gid;
	return 0;
}

void
priv_drop(const char *role, const char *user, const char *chroot_dir)
{
	struct priv_user pu;

	if (!priv_is_root()) {
		log_debug("role=%s privdrop=skipped reason=unprivileged "
		    "user=%s chroot=%s uid=%d", role, user,
		    chroot_dir ? chroot_dir : "-", (int)getuid());
		return;
	}
	if (priv_lookup(user, &pu) == -1)
		fatalx("role=%s unknown user %s", role, user);
	if (pu.uid == 0)
		fatalx("role=%s user %s has uid 0", role, user);
	if (chroot_dir) {
		if (chroot(chroot_dir) == -1)
			fatal("role=%s chroot %s", role, chroot_dir);
		if (chdir("/") == -1)
			fatal("role=%s chdir /", role);
	}
	if (setgroups(1, &pu.gid) == -1 ||
	    setresgid(pu.gid, pu.gid, pu.gid) == -1 ||
	    setresuid(pu.uid, pu.uid, pu.uid) == -1)
		fatal("role=%s cannot drop privileges to %s", role, user);
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("role=%s could regain root", role);
	log_debug("role=%s privdrop=done user=%s uid=%d gid=%d chroot=%s",
	    role, user, (int)pu.uid, (int)pu.gid,
	    chroot_dir ? chroot_dir : "-");
}

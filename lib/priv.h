/*
 * priv.h: dropping privileges in a role. As root: chroot (optional), then
 * the user's groups, gid and uid, verified irreversible. As anyone else:
 * the same steps are logged and skipped, so an unprivileged daemon runs
 * the very same code paths.
 */
#ifndef LIB_PRIV_H
#define LIB_PRIV_H

#include <sys/types.h>

struct priv_user {
	uid_t	uid;
	gid_t	gid;
};

int	priv_lookup(const char *user, struct priv_user *);
void	priv_drop(const char *role, const char *user, const char *chroot_dir);
int	priv_is_root(void);

#endif

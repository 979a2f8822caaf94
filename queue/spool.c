/*
 * spool.c: creates and checks the spool directories before the queue role
 * starts. Called by the parent (as root it sets the queue user as owner,
 * since the queue role chroots into the spool and runs as that user).
 * Never removes anything: existing mail is the queue role's business.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/log.h"
#include "queue/spool.h"

static int	spool_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid,
		    int asroot);

static int
spool_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid, int asroot)
{
	struct stat st;

	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		log_warn("spool: mkdir %s", path);
		return -1;
	}
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("spool: %s is not a directory", path);
		return -1;
	}
	if (!asroot)
		return 0;
	if ((st.st_uid != uid || st.st_gid != gid) &&
	    chown(path, uid, gid) == -1) {
		log_warn("spool: chown %s", path);
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) == -1) {
		log_warn("spool: chmod %s", path);
		return -1;
	}
	return 0;
}

int
spool_prepare(const char *dir, uid_t uid, gid_t gid, int asroot)
{
	static const char *subdirs[] = {
		SPOOL_INCOMING, SPOOL_QUEUE, SPOOL_CORRUPT, SPOOL_PURGE,
		SPOOL_FREE,
	};
	char path[4096];
	size_t i;

	/* The root stays root's (it is the queue role's chroot). */
	if (spool_mkdir(dir, 0711, 0, 0, asroot) == -1)
		return -1;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    subdirs[i]) >= sizeof(path))
			return -1;
		if (spool_mkdir(path, 0700, uid, gid, asroot) == -1)
			return -1;
	}
	/* offline/: sendmail writes here while the daemon is down. */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    SPOOL_OFFLINE) >= sizeof(path))
		return -1;
	if (spool_mkdir(path, 01777, uid, gid, asroot) == -1)
		return -1;
	return 0;
}

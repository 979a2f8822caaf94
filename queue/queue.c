/*
 * queue.c: the queue role, the only writer of the spool. It runs as the
 * queue user, chrooted to the spool directory (paths are relative to the
 * spool root once privileges are dropped). The commit protocol, the
 * start-up walk and the scheduler plug in here.
 */
#include "lib/log.h"
#include "smtpd/role.h"

const struct role_ops queue_role_ops = {
	.id = PROC_QUEUE,
	.user = SMTPQ_USER,
	.chroot = ROLE_CHROOT_SPOOL,
};

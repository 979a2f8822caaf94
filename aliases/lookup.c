/*
 * lookup.c: the lookup role. It will own the tables, rule matching,
 * alias/virtual/.forward expansion, recipient checks at RCPT and
 * credential checks (design.md); today it runs unprivileged without a
 * chroot, since tables and the passwd database live anywhere on disk.
 * Must never write to the spool or to mailboxes.
 */
#include "lib/log.h"
#include "smtpd/role.h"

const struct role_ops lookup_role_ops = {
	.id = PROC_LOOKUP,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_NONE,
};

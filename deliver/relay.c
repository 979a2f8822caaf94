/*
 * relay.c: the relay role, the outbound SMTP/LMTP client (MX lookups
 * through libunbound, STARTTLS, AUTH to a smarthost). Unprivileged and
 * chrooted to an empty directory: resolver and trust-store files must be
 * read in its init hook, before the chroot.
 */
#include "lib/log.h"
#include "smtpd/role.h"

const struct role_ops relay_role_ops = {
	.id = PROC_RELAY,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_EMPTY,
};

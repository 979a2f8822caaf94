/*
 * lookup_ctl.h: the lookup role's smtpctl command, update table NAME.
 */
#ifndef ALIASES_LOOKUP_CTL_H
#define ALIASES_LOOKUP_CTL_H

#include "lib/ipc.h"

struct role;
struct tableset;

int	lookup_ctl_request(struct role *, struct tableset *, struct ipc_msg *);

#endif

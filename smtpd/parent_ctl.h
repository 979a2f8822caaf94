/*
 * parent_ctl.h: the smtpctl commands the parent answers (log verbose,
 * log brief, trace, untrace), forwarded by the control role.
 */
#ifndef SMTPD_PARENT_CTL_H
#define SMTPD_PARENT_CTL_H

#include "lib/ipc.h"
#include "smtpd/proc.h"

int	parent_ctl_request(struct ipc_peer *[PROC_COUNT], struct ipc_msg *);

#endif

/*
 * parent_mda.h: local deliveries started by the parent (parent_mda.c).
 */
#ifndef SMTPD_PARENT_MDA_H
#define SMTPD_PARENT_MDA_H

#include <ev.h>

#include "lib/ipc.h"
#include "smtpd/config.h"

struct mda_ctx;

struct mda_ctx	*parent_mda_new(struct ev_loop *, const struct config *,
		    const char *self);
void		 parent_mda_set_queue(struct mda_ctx *, struct ipc_peer *);
void		 parent_mda_set_lookup(struct mda_ctx *, struct ipc_peer *);
int		 parent_mda(struct mda_ctx *, struct ipc_msg *);
/* IMSG_LKA_USERINFO_RES: 0, or -1 if malformed. */
int		 parent_mda_userinfo(struct mda_ctx *, struct ipc_msg *);
void		 parent_mda_kill(struct mda_ctx *, int);
void		 parent_mda_reap(struct mda_ctx *);

#endif

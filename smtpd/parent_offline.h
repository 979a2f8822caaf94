/*
 * parent_offline.h: at start, the parent submits what sendmail left in
 * SPOOL/offline/ while smtpd was down (parent_offline.c).
 */
#ifndef SMTPD_PARENT_OFFLINE_H
#define SMTPD_PARENT_OFFLINE_H

#include <ev.h>

#include "smtpd/config.h"

struct offline_ctx;

struct offline_ctx *parent_offline_new(struct ev_loop *,
		    const struct config *, const char *self);
/* Every role is ready and serving: scan offline/ and submit. */
void		 parent_offline_start(struct offline_ctx *);
void		 parent_offline_kill(struct offline_ctx *, int);
void		 parent_offline_reap(struct offline_ctx *);

#endif

/*
 * ctl_stat.h: counters for `smtpctl show stats` and `monitor`, kept by the
 * control role and fed by every process (ctl.md 6.2). A process counts
 * locally and sends what changed at most every CTL_STAT_FLUSH seconds
 * (IMSG_CTL_STAT, struct ctl_stat): increments and decrements as such (so
 * the control role can tell connections from disconnections for monitor),
 * values set with ctl_stat_set() as SET. Each key has one owning process;
 * a key is never both set and incremented.
 * Before ctl_stat_attach() (unit tests, tools) every call is a no-op.
 */
#ifndef SMTPD_CTL_STAT_H
#define SMTPD_CTL_STAT_H

#include <stdint.h>

#include <ev.h>

#include "smtpd/ctl_msg.h"

#define CTL_STAT_FLUSH		0.1	/* seconds */
#define CTL_STAT_LOCAL_MAX	64	/* keys one process may touch */

/* Sends one update; returns -1 if it could not (then it is dropped). */
typedef int	(*ctl_stat_send_fn)(void *, const struct ctl_stat *);

void	ctl_stat_attach(struct ev_loop *, ctl_stat_send_fn, void *);
void	ctl_stat_increment(const char *, int64_t);
void	ctl_stat_decrement(const char *, int64_t);
void	ctl_stat_set(const char *, int64_t);
void	ctl_stat_flush(void);
/* A key the control role accepts: 1..63 bytes of [a-z0-9._-]. */
int	ctl_stat_key_ok(const char *, size_t);

#endif

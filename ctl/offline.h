/*
 * offline.h: `show queue` without the daemon (spec/ctl.md section 4.1):
 * the spool's queue/ read directly; the caller prints each envelope with
 * runstate `offline`.
 */
#ifndef CTL_OFFLINE_H
#define CTL_OFFLINE_H

#include <stdint.h>

struct envelope;

struct offline_out {
	void	(*envelope)(void *, const struct envelope *);
	void	(*warning)(void *, const char *);	/* a skipped file */
	void	*arg;
};

int	offline_walk(const char *, int, uint32_t, const struct offline_out *);

#endif

/*
 * monitor.h: `smtpctl monitor` (spec/ctl.md section 6.3): the daemon's
 * CTL_MONITOR counters every second, one row of 13 columns per poll. The
 * daemon sends "key=value" lines (smtpd/ctl_msg.h), in column order:
 * clients connected disconnected envelopes enqueued dequeued ok tempfail
 * permfail loop expired removed bounced. clients and envelopes are
 * current values and printed as they are; the others are totals since
 * the start and printed as the increase since the previous row (the
 * first row: the totals). A total that went down counts 0.
 */
#ifndef CTL_MONITOR_H
#define CTL_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/format.h"

/* The daemon's keys, in column order. */
enum monitor_key {
	MONITOR_CLIENTS,	/* current */
	MONITOR_CONNECTED,
	MONITOR_DISCONNECTED,
	MONITOR_ENVELOPES,	/* current */
	MONITOR_ENQUEUED,
	MONITOR_DEQUEUED,
	MONITOR_OK,
	MONITOR_TEMPFAIL,
	MONITOR_PERMFAIL,
	MONITOR_LOOP,
	MONITOR_EXPIRED,
	MONITOR_REMOVED,
	MONITOR_BOUNCED,
	MONITOR_NKEYS
};

struct monitor_sample {
	int64_t	v[MONITOR_NKEYS];
};

struct client;

void	monitor_parse(const char *, size_t, struct monitor_sample *);
void	monitor_columns(const struct monitor_sample *,
	    const struct monitor_sample *, size_t [CTLFMT_MONITOR_COLS]);
int	monitor_run(struct client *);

#endif

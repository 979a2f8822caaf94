/*
 * format.h: smtpctl's output formatters (spec/ctl.md sections 3 to 7),
 * OpenSMTPD's formats byte for byte, and the -j JSON forms: envelopes in
 * format.c, the daemon's state and command results in format_stats.c,
 * the relay role's show commands in format_relay.c.
 * Pure: each function appends to a struct buf; the caller writes it out.
 * Functions are prefixed ctlfmt_ (smtpd/format.c owns format_).
 *
 * JSON (-j), our own design:
 *   show queue     an array of objects, one per envelope, with the keys
 *                  evpid family type flags sender rcpt dest ctime expire
 *                  last-try retry runstate delay errorline; flags is an
 *                  array of strings, delay null when offline, the null
 *                  sender "", errorline raw (not vis-escaped)
 *   show envelope  one object with show envelope's keys; numbers as
 *                  numbers, flags as an array of strings
 *   show stats     one object, key: number (uptime.human a string)
 *   show status    one object {"mda": "running", "mta": ..., "smtp": ...}
 *   show routes    an array of objects: id source address hostname flags
 *                  nconn nerror penalty timeout (source "" for [],
 *                  hostname and timeout null when "-"/absent)
 *   show hosts     an array of objects: address hostname refcount nconn
 *                  lastconn
 *   show hoststats an array of objects: domain time status
 *   show relays    an array of objects: relay (the [relay:...] name),
 *                  refcount ntask nconn lastconn timeout wait, and
 *                  connectors (objects: source refcount nconn lastconn
 *                  timeout flags)
 * Strings are JSON-escaped; bytes that are not UTF-8 become U+FFFD.
 */
#ifndef CTL_FORMAT_H
#define CTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "smtpd/ctl_msg.h"

struct envelope;

#define CTLFMT_MONITOR_COLS	13
#define CTLFMT_MONITOR_EVERY	25	/* rows between headers */
#define CTLFMT_HUMAN_MAX	32	/* "106751991167300d15h30m7s" */

/* show queue: one line, or one JSON object (no separator). */
void	ctlfmt_queue_line(struct buf *, const struct envelope *, int, int64_t);
void	ctlfmt_queue_json(struct buf *, const struct envelope *, int, int64_t);

/* show envelope: key: value lines, or one JSON object. */
void	ctlfmt_envelope(struct buf *, const struct envelope *);
void	ctlfmt_envelope_json(struct buf *, const struct envelope *);

/* show stats: the daemon's key=value lines, sorted, uptime.human added. */
void	ctlfmt_stats(struct buf *, const char *, size_t);
void	ctlfmt_stats_json(struct buf *, const char *, size_t);
void	ctlfmt_uptime_human(char *, size_t, int64_t);

/* show status: the daemon's three lines, or one JSON object. */
void	ctlfmt_status(struct buf *, const char *, size_t);
void	ctlfmt_status_json(struct buf *, const char *, size_t);

/*
 * show routes, hosts, hoststats, relays (-j; without it the daemon's
 * lines are printed as they are, ctlfmt_status()).
 */
void	ctlfmt_relay_json(struct buf *, enum ctl_cmd, const char *, size_t);

/* Simple commands and queue commands. */
void	ctlfmt_simple(struct buf *, int, const char *);
void	ctlfmt_count(struct buf *, uint64_t, const char *);
const char *ctlfmt_error(enum ctl_status);

/* monitor */
void	ctlfmt_monitor_header(struct buf *, int);
void	ctlfmt_monitor_row(struct buf *, const size_t [CTLFMT_MONITOR_COLS]);

/* Pieces, for tests and other formatters. */
void	ctlfmt_vis(struct buf *, const char *);
void	ctlfmt_json_str(struct buf *, const char *, size_t);
const char *ctlfmt_runstate(int);

#endif

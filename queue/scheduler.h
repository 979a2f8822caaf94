/*
 * scheduler.h: when the queue tries each envelope again, when it gives up,
 * when it warns the sender, and which envelopes are due now. Pure: no I/O,
 * no clock (every function takes `now`), no globals, so tests run on a
 * fake clock. Two layers:
 *
 * 1. Envelope rules, on a whole struct envelope read from the spool: the
 *    retry schedule (protocol.md B.4), expiry at ctime + ttl (the ttl in
 *    the envelope is already the action's `ttl` or `queue ttl`), delay
 *    warnings at the `bounce warn-interval` delays, and sched_apply(),
 *    which turns a delivery outcome into the envelope's next state and
 *    tells the caller what to write (update.h).
 *
 * 2. struct sched, the loop thread's view over the queue's index
 *    (index.h): pending envelopes ordered by next try, then msgid, so one
 *    message's envelopes go out together; picking a due batch marks it
 *    inflight; held and suspended envelopes are never picked. Once a
 *    struct sched is made over an index, add and remove entries only
 *    through sched_*; reading the index (show queue) stays direct.
 *
 * Runstates (ctl.md §4): inflight if ENVELOPE_R_INFLIGHT, else pending;
 * held and suspended envelopes are pending with the `hold` / `suspend`
 * flag; `offline` is smtpctl's, when no daemon answers.
 */
#ifndef QUEUE_SCHEDULER_H
#define QUEUE_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct envelope;
struct index;
struct index_entry;

/* Retry delays in seconds after the 1st, 2nd, 3rd, 4th failure; then CAP. */
#define SCHED_RETRY_FIRST	(5 * 60)
#define SCHED_RETRY_CAP		(60 * 60)
#define SCHED_JITTER_PERMILLE	100	/* +-10% */
#define SCHED_RETRY_MIN		60	/* never sooner after an attempt */

#define SCHED_WARN_MAX		4	/* bounce warn-interval delays */
#define SCHED_WARN_DEFAULT	(4 * 3600)

/* What the scheduler needs from the configuration (config.md §9). */
struct sched_conf {
	time_t	warn[SCHED_WARN_MAX];	/* delays after ctime, 0 = unused */
	size_t	nwarn;
};

enum sched_runstate {
	SCHED_PENDING,		/* waiting for its next try (or held) */
	SCHED_INFLIGHT,		/* handed to deliver/relay */
	SCHED_OFFLINE,		/* smtpctl reading the spool directly */
	SCHED_INVALID,
};

/* A delivery's outcome for one envelope. */
enum sched_outcome {
	SCHED_DELIVERED,
	SCHED_TEMPFAIL,		/* 4xx, connection trouble, deliver exit 75 */
	SCHED_PERMFAIL,		/* 5xx, deliver's permanent failure */
	SCHED_EXPIRED,		/* picked as SCHED_PICK_EXPIRE */
};

/* What the caller must do with the envelope after sched_apply(). */
enum sched_action {
	SCHED_ACT_REMOVE,	/* delivered: update_remove() */
	SCHED_ACT_UPDATE,	/* deferred: update_envelope(), then
				 * sched_retry() */
	SCHED_ACT_BOUNCE,	/* failed: a failure report to the sender
				 * from this envelope (errorline and esc
				 * hold the status), then update_remove() */
	SCHED_ACT_DISCARD,	/* failed, nobody to tell (a report itself
				 * or the null sender): log, update_remove() */
};

/* Why an envelope was picked. */
enum sched_pick {
	SCHED_PICK_DELIVER,	/* try it */
	SCHED_PICK_EXPIRE,	/* its ttl is over: sched_apply(EXPIRED) */
};

struct sched_status {
	enum sched_outcome	 outcome;
	const char		*errorline;	/* reply line; may be NULL */
	uint8_t			 esc_class;	/* 0, or 2, 4, 5 */
	uint16_t		 esc_subject;
	uint16_t		 esc_detail;
	const char		*remote_mta;	/* who replied; may be NULL */
};

/* ---- envelope rules */
void	 sched_conf_default(struct sched_conf *);
int	 sched_conf_set_warn(struct sched_conf *, const time_t *, size_t);
time_t	 sched_retry_base(uint32_t);
time_t	 sched_retry_delay(uint64_t, uint32_t);
time_t	 sched_nexttry(uint64_t, uint32_t, time_t, time_t);
int	 sched_expired(const struct envelope *, time_t);
int	 sched_warn_due(const struct sched_conf *, const struct envelope *,
	    time_t, time_t *);
enum sched_action sched_apply(const struct sched_conf *, struct envelope *,
	    const struct sched_status *, time_t, time_t *);

/* ---- runstates, for show queue */
enum sched_runstate sched_runstate(const struct index_entry *);
const char	*sched_runstate_name(enum sched_runstate);
time_t	 sched_when(const struct index_entry *);
int64_t	 sched_delay(const struct index_entry *, time_t);

/* ---- the scheduler over the index */
struct sched;

/* One picked envelope. */
struct sched_item {
	uint64_t		 evpid;
	enum sched_pick		 pick;
};

struct sched	*sched_new(struct index *);
void		 sched_free(struct sched *);
size_t		 sched_load(struct sched *);
int		 sched_add(struct sched *, const struct index_entry *);
int		 sched_remove(struct sched *, uint64_t);
size_t		 sched_batch(struct sched *, time_t, struct sched_item *,
		    size_t);
int		 sched_retry(struct sched *, const struct envelope *);
int		 sched_requeue(struct sched *, uint64_t, time_t);
int		 sched_hold(struct sched *, uint64_t, int);
int		 sched_suspend(struct sched *, uint64_t, int);
int		 sched_schedule_now(struct sched *, uint64_t, time_t);
time_t		 sched_wakeup(const struct sched *);
size_t		 sched_pending(const struct sched *);
size_t		 sched_inflight(const struct sched *);

#endif

/*
 * scheduler.c: retry schedule, expiry, delay warnings and the due-envelope
 * order (scheduler.h). Pure functions over values and over the queue's
 * index: no I/O, no clock, no globals. Called on the queue role's loop
 * thread and by unit tests with a fake clock.
 *
 * Schedule (protocol.md B.4): after the n-th temporary failure the next
 * try is 5, 10, 20, 40, then every 60 minutes later, each -10%..+10% by a
 * hash of the msgid and n (so one message's envelopes stay together and a
 * test can predict it), never sooner than 1 minute after the attempt and
 * never later than the expiry, when the envelope is picked to expire.
 */
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "queue/envelope.h"
#include "queue/index.h"
#include "queue/scheduler.h"

#define SCHED_RUNNABLE_MASK \
	(ENVELOPE_R_INFLIGHT | ENVELOPE_R_HOLD | ENVELOPE_R_SUSPEND)

/* One indexed envelope as the scheduler orders it. */
struct sched_node {
	RB_ENTRY(sched_node)	 by_when;	/* queued only */
	RB_ENTRY(sched_node)	 by_evpid;	/* queued only */
	LIST_ENTRY(sched_node)	 all;
	uint64_t		 evpid;
	time_t			 when;		/* sched_when() when queued */
	int			 queued;
};

RB_HEAD(sched_when_tree, sched_node);
RB_HEAD(sched_evpid_tree, sched_node);
LIST_HEAD(sched_node_list, sched_node);

struct sched {
	struct index		*idx;		/* not owned */
	struct sched_when_tree	 when;
	struct sched_evpid_tree	 evpid;		/* msgid is evpid's top half */
	struct sched_node_list	 all;
	size_t			 npending;
	size_t			 ninflight;
};

static int	sched_when_cmp(struct sched_node *, struct sched_node *);
static int	sched_evpid_cmp(struct sched_node *, struct sched_node *);

RB_PROTOTYPE(sched_when_tree, sched_node, by_when, sched_when_cmp)
RB_PROTOTYPE(sched_evpid_tree, sched_node, by_evpid, sched_evpid_cmp)
RB_GENERATE(sched_when_tree, sched_node, by_when, sched_when_cmp)
RB_GENERATE(sched_evpid_tree, sched_node, by_evpid, sched_evpid_cmp)

static uint64_t	sched_mix(uint64_t);
static void	sched_set_error(struct envelope *,
		    const struct sched_status *);
static enum sched_action sched_failed(const struct envelope *);
static void	sched_enqueue(struct sched *, struct index_entry *);
static void	sched_dequeue(struct sched *, struct sched_node *);
static void	sched_take(struct sched *, struct sched_node *, time_t);
static int	sched_load_cb(const struct index_entry *, void *);

static int
sched_cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* By time, then evpid: by msgid (its top half), then the envelope. */
static int
sched_when_cmp(struct sched_node *a, struct sched_node *b)
{
	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	return sched_cmp_u64(a->evpid, b->evpid);
}

static int
sched_evpid_cmp(struct sched_node *a, struct sched_node *b)
{
	return sched_cmp_u64(a->evpid, b->evpid);
}

/* ------------------------------------------------------------ rules */

void
sched_conf_default(struct sched_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->warn[0] = SCHED_WARN_DEFAULT;
	sc->nwarn = 1;
}

/* 0, or -1 if more than SCHED_WARN_MAX delays or one is not positive. */
int
sched_conf_set_warn(struct sched_conf *sc, const time_t *warn, size_t n)
{
	size_t i;

	if (n > SCHED_WARN_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (warn[i] <= 0)
			return -1;
	memset(sc->warn, 0, sizeof(sc->warn));
	for (i = 0; i < n; i++)
		sc->warn[i] = warn[i];
	sc->nwarn = n;
	return 0;
}

/* splitmix64's finaliser. */
static uint64_t
sched_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Delay after the n-th failure (n >= 1; 0 counts as 1), no jitter. */
time_t
sched_retry_base(uint32_t n)
{
	if (n <= 1)
		return SCHED_RETRY_FIRST;
	if (n > 5)
		return SCHED_RETRY_CAP;
	return (time_t)SCHED_RETRY_FIRST << (n - 1) > SCHED_RETRY_CAP ?
	    SCHED_RETRY_CAP : (time_t)SCHED_RETRY_FIRST << (n - 1);
}

/*
 * The same with jitter: base + base * j / 1000, j in -100..100 drawn
 * from the msgid (evpid >> 32) and n. Every envelope of a message gets
 * the same delay, so a message deferred whole stays together.
 */
time_t
sched_retry_delay(uint64_t evpid, uint32_t n)
{
	time_t base = sched_retry_base(n);
	int64_t j;

	j = (int64_t)(sched_mix((evpid >> 32) ^ ((uint64_t)n << 40)) %
	    (2 * SCHED_JITTER_PERMILLE + 1)) - SCHED_JITTER_PERMILLE;
	return base + (time_t)((int64_t)base * j / 1000);
}

/*
 * Next try after the n-th failure at `now`: now + the jittered delay, at
 * least SCHED_RETRY_MIN after now, at most expire (0: no limit).
 */
time_t
sched_nexttry(uint64_t evpid, uint32_t n, time_t now, time_t expire)
{
	time_t d = sched_retry_delay(evpid, n);

	if (d < SCHED_RETRY_MIN)
		d = SCHED_RETRY_MIN;
	if (expire > 0 && now + d > expire)
		return expire;
	return now + d;
}

/* Its time (ctime + ttl) is over. */
int
sched_expired(const struct envelope *e, time_t now)
{
	return now >= envelope_expire(e);
}

/*
 * Is a delay warning due at `now`? Warning i is due once ctime + warn[i]
 * has passed and no warning was sent since (lastbounce < ctime +
 * warn[i]). Several due at once make one warning, for the longest delay:
 * 1, *delayp = that delay; the caller sets lastbounce = now (sched_apply
 * does). Never for a report, the null sender, NOTIFY without DELAY, or
 * an expired envelope.
 */
int
sched_warn_due(const struct sched_conf *sc, const struct envelope *e,
    time_t now, time_t *delayp)
{
	time_t at, best = 0;
	size_t i;

	*delayp = 0;
	if (e->type == ENVELOPE_BOUNCE || (e->flags & ENVELOPE_F_BOUNCE) ||
	    e->sender[0] == '\0' || sched_expired(e, now))
		return 0;
	if (e->dsn_notify != 0 && !(e->dsn_notify & ENVELOPE_DSN_DELAY))
		return 0;
	for (i = 0; i < sc->nwarn && i < SCHED_WARN_MAX; i++) {
		if (sc->warn[i] <= 0)
			continue;
		at = e->ctime + sc->warn[i];
		if (at <= now && e->lastbounce < at && sc->warn[i] > best)
			best = sc->warn[i];
	}
	if (best == 0)
		return 0;
	*delayp = best;
	return 1;
}

/* errorline from a reply line: CR, LF and NUL-free, cut to fit. */
static void
sched_set_error(struct envelope *e, const struct sched_status *st)
{
	size_t i;

	if (st->errorline != NULL) {
		for (i = 0; st->errorline[i] != '\0' &&
		    i < ENVELOPE_ERROR_MAX; i++)
			e->errorline[i] = (st->errorline[i] == '\r' ||
			    st->errorline[i] == '\n') ? ' ' : st->errorline[i];
		e->errorline[i] = '\0';
		strlcpy(e->remote_mta, st->remote_mta != NULL ?
		    st->remote_mta : "", sizeof(e->remote_mta));
	}
	if ((st->esc_class == 2 || st->esc_class == 4 || st->esc_class == 5) &&
	    st->esc_subject <= ENVELOPE_ESC_MAX &&
	    st->esc_detail <= ENVELOPE_ESC_MAX) {
		e->esc_class = st->esc_class;
		e->esc_subject = st->esc_subject;
		e->esc_detail = st->esc_detail;
	} else if (st->errorline != NULL) {
		e->esc_class = 0;
		e->esc_subject = e->esc_detail = 0;
	}
}

/*
 * A failure: report it to the sender, unless there is nobody to tell. A
 * report that fails is reported once to the postmaster (A.13: a bounce
 * of a bounce), and that report's own failure only logged.
 */
static enum sched_action
sched_failed(const struct envelope *e)
{
	if (e->type == ENVELOPE_BOUNCE || (e->flags & ENVELOPE_F_DOUBLE))
		return SCHED_ACT_DISCARD;
	if (e->flags & ENVELOPE_F_BOUNCE)
		return SCHED_ACT_BOUNCE;
	if (e->sender[0] == '\0')
		return SCHED_ACT_DISCARD;
	if (e->dsn_notify != 0 && !(e->dsn_notify & ENVELOPE_DSN_FAILURE))
		return SCHED_ACT_DISCARD;
	return SCHED_ACT_BOUNCE;
}

/*
 * Apply a delivery outcome at `now` to the envelope read from the spool
 * and say what to write. *warnp (may be NULL) gets the delay of a
 * "delayed" report to send now, or 0.
 *   delivered: lasttry = now                           -> REMOVE
 *   temporary: retry++, lasttry = now, errorline/esc, nexttry by the
 *              schedule, lastbounce = now if a warning is due -> UPDATE;
 *              past its expiry already                 -> BOUNCE/DISCARD
 *   permanent: lasttry = now, errorline/esc            -> BOUNCE/DISCARD
 *   expired:   errorline/esc kept (the last temporary status), or
 *              "Envelope expired" 4.4.7 if never tried -> BOUNCE/DISCARD
 * INFLIGHT is cleared in every case.
 */
enum sched_action
sched_apply(const struct sched_conf *sc, struct envelope *e,
    const struct sched_status *st, time_t now, time_t *warnp)
{
	time_t delay;

	if (warnp != NULL)
		*warnp = 0;
	e->runflags &= ~(uint32_t)ENVELOPE_R_INFLIGHT;
	switch (st->outcome) {
	case SCHED_DELIVERED:
		e->lasttry = now;
		return SCHED_ACT_REMOVE;
	case SCHED_TEMPFAIL:
		if (e->retry < UINT32_MAX)
			e->retry++;
		e->lasttry = now;
		sched_set_error(e, st);
		if (sched_expired(e, now))
			return sched_failed(e);
		e->nexttry = sched_nexttry(e->evpid, e->retry, now,
		    envelope_expire(e));
		if (sched_warn_due(sc, e, now, &delay)) {
			e->lastbounce = now;
			if (warnp != NULL)
				*warnp = delay;
		}
		return SCHED_ACT_UPDATE;
	case SCHED_PERMFAIL:
		e->lasttry = now;
		sched_set_error(e, st);
		return sched_failed(e);
	case SCHED_EXPIRED:
	default:
		if (e->errorline[0] == '\0') {
			memcpy(e->errorline, "Envelope expired",
			    sizeof("Envelope expired"));
			e->esc_class = 4;
			e->esc_subject = 4;
			e->esc_detail = 7;
		}
		return sched_failed(e);
	}
}

/* ------------------------------------------------------------ runstates */

enum sched_runstate
sched_runstate(const struct index_entry *ie)
{
	if (ie == NULL || ie->evpid == 0)
		return SCHED_INVALID;
	return (ie->runflags & ENVELOPE_R_INFLIGHT) ? SCHED_INFLIGHT :
	    SCHED_PENDING;
}

const char *
sched_runstate_name(enum sched_runstate rs)
{
	switch (rs) {
	case SCHED_PENDING:	return "pending";
	case SCHED_INFLIGHT:	return "inflight";
	case SCHED_OFFLINE:	return "offline";
	default:		return "invalid";
	}
}

/* When it is due: nexttry (ctime if never set), at the latest expire. */
time_t
sched_when(const struct index_entry *ie)
{
	time_t t = ie->nexttry != 0 ? ie->nexttry : ie->ctime;

	if (ie->expire > 0 && t > ie->expire)
		t = ie->expire;
	return t;
}

/*
 * ctl.md §4 DELAY: pending, seconds until the next try (negative when
 * overdue); inflight, seconds since the attempt started.
 */
int64_t
sched_delay(const struct index_entry *ie, time_t now)
{
	if (sched_runstate(ie) == SCHED_INFLIGHT)
		return (int64_t)(now - ie->started);
	return (int64_t)(sched_when(ie) - now);
}

/* ------------------------------------------------------------ scheduler */

struct sched *
sched_new(struct index *idx)
{
	struct sched *s;

	s = xcalloc(1, sizeof(*s));
	s->idx = idx;
	RB_INIT(&s->when);
	RB_INIT(&s->evpid);
	LIST_INIT(&s->all);
	return s;
}

/* Frees the scheduler's nodes; the index stays, its entries unlinked. */
void
sched_free(struct sched *s)
{
	struct sched_node *n;
	struct index_entry *ie;

	if (s == NULL)
		return;
	while ((n = LIST_FIRST(&s->all)) != NULL) {
		LIST_REMOVE(n, all);
		if ((ie = index_get(s->idx, n->evpid)) != NULL)
			ie->sched = NULL;
		free(n);
	}
	free(s);
}

/* Queue a runnable entry (has a node, not queued). */
static void
sched_enqueue(struct sched *s, struct index_entry *ie)
{
	struct sched_node *n = ie->sched;

	if (n->queued || (ie->runflags & SCHED_RUNNABLE_MASK))
		return;
	n->when = sched_when(ie);
	RB_INSERT(sched_when_tree, &s->when, n);
	RB_INSERT(sched_evpid_tree, &s->evpid, n);
	n->queued = 1;
	s->npending++;
}

static void
sched_dequeue(struct sched *s, struct sched_node *n)
{
	if (!n->queued)
		return;
	RB_REMOVE(sched_when_tree, &s->when, n);
	RB_REMOVE(sched_evpid_tree, &s->evpid, n);
	n->queued = 0;
	s->npending--;
}

/* Attach a node to an indexed entry and queue it if runnable. */
static void
sched_attach(struct sched *s, struct index_entry *ie)
{
	struct sched_node *n;

	n = xcalloc(1, sizeof(*n));
	n->evpid = ie->evpid;
	LIST_INSERT_HEAD(&s->all, n, all);
	ie->sched = n;
	sched_enqueue(s, ie);
}

static int
sched_load_cb(const struct index_entry *cie, void *arg)
{
	struct sched *s = arg;
	struct index_entry *ie;

	if (cie->sched != NULL ||
	    (ie = index_get(s->idx, cie->evpid)) == NULL)
		return 0;
	/* nothing is in flight at start, and holds were this run's */
	ie->runflags &= ~(uint32_t)(ENVELOPE_R_INFLIGHT | ENVELOPE_R_HOLD);
	ie->started = 0;
	sched_attach(s, ie);
	return 0;
}

/*
 * Take over every entry of the index not known yet (after the start-up
 * walk filled it). INFLIGHT and HOLD from the disk are dropped. Returns
 * how many envelopes are pending now.
 */
size_t
sched_load(struct sched *s)
{
	index_foreach(s->idx, sched_load_cb, s);
	return s->npending;
}

/* A newly committed envelope: into the index and the schedule. */
int
sched_add(struct sched *s, const struct index_entry *ie0)
{
	struct index_entry ie = *ie0, *p;

	ie.sched = NULL;
	ie.started = 0;
	ie.runflags &= ~(uint32_t)(ENVELOPE_R_INFLIGHT | ENVELOPE_R_HOLD);
	if (index_add(s->idx, &ie) == -1)
		return -1;
	p = index_get(s->idx, ie.evpid);
	sched_attach(s, p);
	return 0;
}

/* Gone from the spool (delivered, bounced, removed): forget it. */
int
sched_remove(struct sched *s, uint64_t evpid)
{
	struct index_entry *ie;
	struct sched_node *n;

	if ((ie = index_get(s->idx, evpid)) == NULL)
		return -1;
	if ((n = ie->sched) != NULL) {
		sched_dequeue(s, n);
		LIST_REMOVE(n, all);
		free(n);
	}
	if (ie->runflags & ENVELOPE_R_INFLIGHT)
		s->ninflight--;
	return index_remove(s->idx, evpid);
}

static void
sched_take(struct sched *s, struct sched_node *n, time_t now)
{
	struct index_entry *ie = index_get(s->idx, n->evpid);

	sched_dequeue(s, n);
	ie->runflags |= ENVELOPE_R_INFLIGHT;
	ie->started = now;
	s->ninflight++;
}

/*
 * The next due batch at `now`, marked inflight: the first envelope in
 * (time, msgid, evpid) order whose time has come and, if it is to be
 * delivered, the other due envelopes of its message with the same batch
 * key (index_batch_key()), up to max in all. An expiry is always alone.
 * Returns how many were put in out[] (0: nothing due). Call again until
 * 0, or until the role has enough in flight.
 */
size_t
sched_batch(struct sched *s, time_t now, struct sched_item *out, size_t max)
{
	struct sched_node *first, *n, key;
	struct index_entry *fie, *ie;
	size_t i, k = 0;

	if (max == 0 || (first = RB_MIN(sched_when_tree, &s->when)) == NULL ||
	    first->when > now)
		return 0;
	fie = index_get(s->idx, first->evpid);
	out[k].evpid = first->evpid;
	out[k++].pick = now >= fie->expire ? SCHED_PICK_EXPIRE :
	    SCHED_PICK_DELIVER;
	if (out[0].pick == SCHED_PICK_DELIVER) {
		memset(&key, 0, sizeof(key));
		key.evpid = first->evpid & 0xffffffff00000000ULL;
		for (n = RB_NFIND(sched_evpid_tree, &s->evpid, &key);
		    n != NULL && k < max &&
		    (n->evpid >> 32) == (first->evpid >> 32);
		    n = RB_NEXT(sched_evpid_tree, &s->evpid, n)) {
			if (n == first || n->when > now)
				continue;
			ie = index_get(s->idx, n->evpid);
			if (ie->batch != fie->batch || ie->type != fie->type ||
			    now >= ie->expire)
				continue;
			out[k].evpid = n->evpid;
			out[k++].pick = SCHED_PICK_DELIVER;
		}
	}
	for (i = 0; i < k; i++)
		sched_take(s, index_get(s->idx, out[i].evpid)->sched, now);
	return k;
}

/*
 * After sched_apply() returned SCHED_ACT_UPDATE for an inflight envelope:
 * take its new times and queue it again (unless held or suspended
 * meanwhile). Call it whether or not the update reached the disk: the
 * old file only means an earlier retry after a restart.
 */
int
sched_retry(struct sched *s, const struct envelope *e)
{
	struct index_entry *ie;

	if ((ie = index_get(s->idx, e->evpid)) == NULL || ie->sched == NULL ||
	    !(ie->runflags & ENVELOPE_R_INFLIGHT))
		return -1;
	ie->nexttry = e->nexttry;
	ie->lasttry = e->lasttry;
	ie->retry = e->retry;
	ie->runflags &= ~(uint32_t)ENVELOPE_R_INFLIGHT;
	ie->started = 0;
	s->ninflight--;
	sched_enqueue(s, ie);
	return 0;
}

/*
 * An inflight envelope comes back without an attempt (its file could not
 * be read, the delivery could not start): pending again, tried no sooner
 * than SCHED_RETRY_MIN from now (and no later than its expiry).
 */
int
sched_requeue(struct sched *s, uint64_t evpid, time_t now)
{
	struct index_entry *ie;

	if ((ie = index_get(s->idx, evpid)) == NULL || ie->sched == NULL ||
	    !(ie->runflags & ENVELOPE_R_INFLIGHT))
		return -1;
	ie->nexttry = now + SCHED_RETRY_MIN;
	if (ie->expire > 0 && ie->nexttry > ie->expire)
		ie->nexttry = ie->expire;
	ie->runflags &= ~(uint32_t)ENVELOPE_R_INFLIGHT;
	ie->started = 0;
	s->ninflight--;
	sched_enqueue(s, ie);
	return 0;
}

/* Set or clear a runflag; out of the queue while set. */
static int
sched_flag(struct sched *s, uint64_t evpid, uint32_t flag, int on)
{
	struct index_entry *ie;

	if ((ie = index_get(s->idx, evpid)) == NULL || ie->sched == NULL)
		return -1;
	if (on) {
		ie->runflags |= flag;
		sched_dequeue(s, ie->sched);
	} else {
		ie->runflags &= ~flag;
		sched_enqueue(s, ie);
	}
	return 0;
}

/* Held by the scheduler (destination over its limit), or released. */
int
sched_hold(struct sched *s, uint64_t evpid, int on)
{
	return sched_flag(s, evpid, ENVELOPE_R_HOLD, on);
}

/* `pause envelope` / `resume envelope`. */
int
sched_suspend(struct sched *s, uint64_t evpid, int on)
{
	return sched_flag(s, evpid, ENVELOPE_R_SUSPEND, on);
}

/* `schedule EVPID`: due at now (a held or suspended one stays so). */
int
sched_schedule_now(struct sched *s, uint64_t evpid, time_t now)
{
	struct index_entry *ie;

	if ((ie = index_get(s->idx, evpid)) == NULL || ie->sched == NULL)
		return -1;
	if (ie->runflags & ENVELOPE_R_INFLIGHT)
		return 0;
	sched_dequeue(s, ie->sched);
	ie->nexttry = now;
	sched_enqueue(s, ie);
	return 0;
}

/*
 * When the timer should fire: the time of the first pending envelope
 * (maybe in the past: fire now), or -1 if nothing is pending.
 */
time_t
sched_wakeup(const struct sched *s)
{
	struct sched_node *n;

	if ((n = RB_MIN(sched_when_tree, (struct sched_when_tree *)&s->when))
	    == NULL)
		return (time_t)-1;
	return n->when;
}

size_t
sched_pending(const struct sched *s)
{
	return s->npending;
}

size_t
sched_inflight(const struct sched *s)
{
	return s->ninflight;
}

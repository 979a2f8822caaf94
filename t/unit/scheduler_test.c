/*
 * scheduler_test.c: unit tests for queue/scheduler.c on a fake clock: the
 * retry schedule (5, 10, 20, 40, then 60 minutes, +-10%, at least a
 * minute), expiry at ctime + ttl (queue ttl or the action's ttl), delay
 * warnings at each warn interval exactly once, outcomes applied to an
 * envelope, and the scheduler over an index: due order, batches of one
 * message, inflight never picked twice, held and suspended never picked,
 * the next wake-up time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "queue/envelope.h"
#include "queue/index.h"
#include "queue/scheduler.h"

#define T0	((time_t)1732180200)
#define HOUR	((time_t)3600)
#define DAY	(24 * HOUR)
#define EVP(m, l)	(((uint64_t)(m) << 32) | (uint32_t)(l))

static void
mkenv(struct envelope *e, uint64_t evpid, time_t ttl)
{
	memset(e, 0, sizeof(*e));
	e->evpid = evpid;
	e->type = ENVELOPE_MDA;
	strlcpy(e->dispatcher, "local", sizeof(e->dispatcher));
	e->family = ENVELOPE_LOCAL;
	strlcpy(e->sockaddr, "local", sizeof(e->sockaddr));
	strlcpy(e->sender, "alice@example.org", sizeof(e->sender));
	strlcpy(e->rcpt, "bob@example.net", sizeof(e->rcpt));
	strlcpy(e->dest, "bob@example.net", sizeof(e->dest));
	e->ctime = T0;
	e->ttl = ttl;
}

static const struct sched_status tempfail = {
	SCHED_TEMPFAIL, "421 4.7.0 Try again later", 4, 7, 0, "mx.example.net"
};

static void
test_retry_schedule(void **state)
{
	static const time_t base[] = { 300, 300, 600, 1200, 2400, 3600,
	    3600, 3600 };
	time_t d, lo, hi;
	uint64_t evpid;
	uint32_t n, i;
	int differs = 0;

	(void)state;
	for (n = 0; n < sizeof(base) / sizeof(base[0]); n++)
		assert_int_equal(sched_retry_base(n), base[n]);
	assert_int_equal(sched_retry_base(UINT32_MAX), 3600);

	for (n = 1; n < 8; n++) {
		lo = base[n] - base[n] / 10;
		hi = base[n] + base[n] / 10;
		for (i = 1; i <= 2000; i++) {
			evpid = EVP(i * 2654435761U, i);
			d = sched_retry_delay(evpid, n);
			assert_true(d >= lo && d <= hi);
			assert_true(d >= SCHED_RETRY_MIN);
			/* reproducible, and the same for the whole message */
			assert_int_equal(d, sched_retry_delay(evpid, n));
			assert_int_equal(d, sched_retry_delay(EVP(i *
			    2654435761U, i + 77), n));
			if (d != base[n])
				differs++;
			assert_int_equal(sched_nexttry(evpid, n, T0, 0),
			    T0 + d);
		}
	}
	assert_true(differs > 1000);	/* there is jitter */

	/* capped at the expiry; never sooner than a minute */
	evpid = EVP(0x1234, 1);
	assert_int_equal(sched_nexttry(evpid, 5, T0, T0 + 100), T0 + 100);
	assert_true(sched_nexttry(evpid, 1, T0, 0) >= T0 + SCHED_RETRY_MIN);
}

/* Defer from T0 on, each time at the next try: the whole 4 days. */
static void
test_retry_until_expiry(void **state)
{
	struct sched_conf sc;
	struct envelope e;
	time_t now = T0, warn, d, expected[] = { 300, 600, 1200, 2400 };
	enum sched_action act;
	uint32_t tries = 0;
	int warnings = 0;

	(void)state;
	sched_conf_default(&sc);
	mkenv(&e, EVP(0xcafe, 1), 4 * DAY);
	assert_int_equal(envelope_expire(&e), T0 + 4 * DAY);
	for (;;) {
		act = sched_apply(&sc, &e, &tempfail, now, &warn);
		tries++;
		if (act != SCHED_ACT_UPDATE)
			break;
		assert_int_equal(e.retry, tries);
		assert_int_equal(e.lasttry, now);
		assert_string_equal(e.errorline, "421 4.7.0 Try again later");
		assert_string_equal(e.remote_mta, "mx.example.net");
		d = e.nexttry - now;
		if (e.nexttry != T0 + 4 * DAY) {
			time_t b = tries <= 4 ? expected[tries - 1] : 3600;

			assert_true(d >= b - b / 10 && d <= b + b / 10);
		}
		assert_true(e.nexttry <= T0 + 4 * DAY);
		if (warn) {
			warnings++;
			assert_int_equal(warn, 4 * HOUR);
			assert_true(now >= T0 + 4 * HOUR);
			assert_true(now - 3960 < T0 + 4 * HOUR);
			assert_int_equal(e.lastbounce, now);
		}
		now = e.nexttry;
	}
	assert_int_equal(act, SCHED_ACT_BOUNCE);
	assert_int_equal(now, T0 + 4 * DAY);
	assert_int_equal(warnings, 1);
	/* 4 short tries (75 min) then hourly: about 96 - 1 tries */
	assert_true(tries > 85 && tries < 110);
	assert_string_equal(e.errorline, "421 4.7.0 Try again later");
	assert_int_equal(e.esc_class, 4);
}

/* The action's ttl is what the envelope carries. */
static void
test_expiry_per_action_ttl(void **state)
{
	struct sched_conf sc;
	struct sched_status expired = { SCHED_EXPIRED, NULL, 0, 0, 0, NULL };
	struct envelope e;
	time_t warn;

	(void)state;
	sched_conf_default(&sc);
	mkenv(&e, EVP(0xbeef, 1), HOUR);
	assert_false(sched_expired(&e, T0 + HOUR - 1));
	assert_true(sched_expired(&e, T0 + HOUR));
	/* a deferral just before: the next try is the expiry */
	e.retry = 7;
	assert_int_equal(sched_apply(&sc, &e, &tempfail, T0 + HOUR - 30,
	    &warn), SCHED_ACT_UPDATE);
	assert_int_equal(e.nexttry, T0 + HOUR);
	/* a deferral at the expiry: failed, with that status */
	assert_int_equal(sched_apply(&sc, &e, &tempfail, T0 + HOUR, &warn),
	    SCHED_ACT_BOUNCE);
	assert_int_equal(warn, 0);

	/* picked to expire: the last temporary status stays */
	assert_int_equal(sched_apply(&sc, &e, &expired, T0 + HOUR, &warn),
	    SCHED_ACT_BOUNCE);
	assert_string_equal(e.errorline, "421 4.7.0 Try again later");
	/* never tried at all: "Envelope expired", 4.4.7 */
	mkenv(&e, EVP(0xbeef, 2), HOUR);
	assert_int_equal(sched_apply(&sc, &e, &expired, T0 + HOUR, NULL),
	    SCHED_ACT_BOUNCE);
	assert_string_equal(e.errorline, "Envelope expired");
	assert_int_equal(e.esc_class, 4);
	assert_int_equal(e.esc_subject, 4);
	assert_int_equal(e.esc_detail, 7);
}

static void
test_warn_intervals(void **state)
{
	static const time_t iv[] = { HOUR, 4 * HOUR, 2 * HOUR, DAY };
	static const time_t want[] = { HOUR, 2 * HOUR, 4 * HOUR, DAY };
	struct sched_conf sc;
	struct envelope e;
	time_t now, warn, got[8], d;
	size_t n = 0;

	(void)state;
	sched_conf_default(&sc);
	assert_int_equal(sc.nwarn, 1);
	assert_int_equal(sc.warn[0], 4 * HOUR);
	mkenv(&e, EVP(0xabc, 1), 4 * DAY);
	assert_false(sched_warn_due(&sc, &e, T0 + 4 * HOUR - 1, &d));
	assert_true(sched_warn_due(&sc, &e, T0 + 4 * HOUR, &d));
	assert_int_equal(d, 4 * HOUR);
	e.lastbounce = T0 + 4 * HOUR;
	assert_false(sched_warn_due(&sc, &e, T0 + 3 * DAY, &d));

	/* four intervals (unsorted), each once, through a deferral loop */
	assert_int_equal(sched_conf_set_warn(&sc, iv, 4), 0);
	mkenv(&e, EVP(0xabc, 2), 4 * DAY);
	for (now = T0; ; now = e.nexttry) {
		if (sched_apply(&sc, &e, &tempfail, now, &warn) !=
		    SCHED_ACT_UPDATE)
			break;
		if (warn) {
			assert_true(n < 8);
			got[n++] = warn;
			assert_true(now >= T0 + warn);
		}
	}
	assert_int_equal(n, 4);
	assert_memory_equal(got, want, sizeof(want));

	/* several passed at once (daemon down): one warning, the longest */
	mkenv(&e, EVP(0xabc, 3), 4 * DAY);
	assert_true(sched_warn_due(&sc, &e, T0 + 5 * HOUR, &d));
	assert_int_equal(d, 4 * HOUR);
	e.lastbounce = T0 + 5 * HOUR;
	assert_false(sched_warn_due(&sc, &e, T0 + 23 * HOUR, &d));
	assert_true(sched_warn_due(&sc, &e, T0 + DAY, &d));
	assert_int_equal(d, DAY);

	/* nobody to warn */
	mkenv(&e, EVP(0xabc, 4), 4 * DAY);
	e.sender[0] = '\0';
	assert_false(sched_warn_due(&sc, &e, T0 + DAY, &d));
	mkenv(&e, EVP(0xabc, 5), 4 * DAY);
	e.dsn_notify = ENVELOPE_DSN_FAILURE;
	assert_false(sched_warn_due(&sc, &e, T0 + DAY, &d));
	e.dsn_notify = ENVELOPE_DSN_DELAY;
	assert_true(sched_warn_due(&sc, &e, T0 + DAY, &d));
	e.flags |= ENVELOPE_F_BOUNCE;
	assert_false(sched_warn_due(&sc, &e, T0 + DAY, &d));
	/* expired: a failure, not a delay */
	mkenv(&e, EVP(0xabc, 6), 2 * HOUR);
	assert_false(sched_warn_due(&sc, &e, T0 + 2 * HOUR, &d));

	assert_int_equal(sched_conf_set_warn(&sc, iv, 5), -1);
	assert_int_equal(sched_conf_set_warn(&sc, NULL, 0), 0);
	mkenv(&e, EVP(0xabc, 7), 4 * DAY);
	assert_false(sched_warn_due(&sc, &e, T0 + 3 * DAY, &d));
}

static void
test_outcomes(void **state)
{
	struct sched_conf sc;
	struct sched_status ok = { SCHED_DELIVERED, NULL, 0, 0, 0, NULL };
	struct sched_status perm = { SCHED_PERMFAIL,
	    "550 5.1.1 No such user\r\n", 5, 1, 1, NULL };
	struct sched_status bad = { SCHED_TEMPFAIL, "451 odd", 7, 1, 1, NULL };
	struct envelope e;
	char err[ENVELOPE_ERR_MAX], *big;

	(void)state;
	sched_conf_default(&sc);
	mkenv(&e, EVP(1, 1), 4 * DAY);
	e.runflags = ENVELOPE_R_INFLIGHT;
	assert_int_equal(sched_apply(&sc, &e, &ok, T0 + 5, NULL),
	    SCHED_ACT_REMOVE);
	assert_int_equal(e.lasttry, T0 + 5);
	assert_int_equal(e.runflags, 0);

	mkenv(&e, EVP(1, 2), 4 * DAY);
	assert_int_equal(sched_apply(&sc, &e, &perm, T0 + 5, NULL),
	    SCHED_ACT_BOUNCE);
	assert_string_equal(e.errorline, "550 5.1.1 No such user  ");
	assert_int_equal(e.esc_class, 5);
	assert_int_equal(envelope_validate(&e, err, sizeof(err)), 0);
	/* nobody to tell */
	e.sender[0] = '\0';
	assert_int_equal(sched_apply(&sc, &e, &perm, T0 + 5, NULL),
	    SCHED_ACT_DISCARD);
	mkenv(&e, EVP(1, 3), 4 * DAY);
	e.dsn_notify = ENVELOPE_DSN_NEVER;
	assert_int_equal(sched_apply(&sc, &e, &perm, T0 + 5, NULL),
	    SCHED_ACT_DISCARD);
	/* a failed report goes once to the postmaster, then no more */
	mkenv(&e, EVP(1, 5), 4 * DAY);
	e.sender[0] = '\0';
	e.flags |= ENVELOPE_F_BOUNCE;
	assert_int_equal(sched_apply(&sc, &e, &perm, T0 + 5, NULL),
	    SCHED_ACT_BOUNCE);
	e.flags |= ENVELOPE_F_DOUBLE;
	assert_int_equal(sched_apply(&sc, &e, &perm, T0 + 5, NULL),
	    SCHED_ACT_DISCARD);

	/* a bad esc is dropped, an over-long line cut: still valid */
	mkenv(&e, EVP(1, 4), 4 * DAY);
	big = malloc(5000);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	assert_int_equal(sched_apply(&sc, &e, &bad, T0, NULL),
	    SCHED_ACT_UPDATE);
	assert_int_equal(e.esc_class, 0);
	bad.errorline = big;
	bad.esc_class = 4;
	assert_int_equal(sched_apply(&sc, &e, &bad, T0 + 400, NULL),
	    SCHED_ACT_UPDATE);
	assert_int_equal(strlen(e.errorline), ENVELOPE_ERROR_MAX);
	assert_int_equal(e.retry, 2);
	assert_int_equal(envelope_validate(&e, err, sizeof(err)), 0);
	free(big);
}

/* ------------------------------------------------------------ sched */

static void
add(struct sched *s, uint64_t evpid, time_t nexttry, time_t ttl,
    const char *dest)
{
	struct envelope e;
	struct index_entry ie;

	mkenv(&e, evpid, ttl);
	e.nexttry = nexttry;
	if (dest != NULL)
		strlcpy(e.dest, dest, sizeof(e.dest));
	index_entry_set(&ie, &e);
	assert_int_equal(sched_add(s, &ie), 0);
}

static void
test_due_order(void **state)
{
	struct index *idx;
	struct sched *s;
	struct sched_item it[8];
	time_t now = T0 + 1000;

	(void)state;
	idx = index_new();
	s = sched_new(idx);
	assert_int_equal(sched_wakeup(s), -1);
	assert_int_equal(sched_batch(s, now, it, 8), 0);

	add(s, EVP(0x30, 1), T0 + 500, 4 * DAY, NULL);
	add(s, EVP(0x10, 2), T0 + 500, 4 * DAY, NULL);
	add(s, EVP(0x10, 1), T0 + 500, 4 * DAY, NULL);
	add(s, EVP(0x20, 1), T0 + 100, 4 * DAY, NULL);
	add(s, EVP(0x05, 1), T0 + 2000, 4 * DAY, NULL);	/* later */
	add(s, EVP(0x40, 1), 0, 4 * DAY, NULL);		/* new: ctime */
	assert_int_equal(index_add(idx, &(struct index_entry){ .evpid =
	    EVP(0x40, 1) }), -1);
	assert_int_equal(sched_add(s, &(struct index_entry){ .evpid =
	    EVP(0x40, 1) }), -1);
	assert_int_equal(sched_pending(s), 6);
	assert_int_equal(sched_wakeup(s), T0);

	/* one at a time: by time, then msgid, then evpid */
	assert_int_equal(sched_batch(s, now, it, 1), 1);
	assert_true(it[0].evpid == EVP(0x40, 1));
	assert_int_equal(it[0].pick, SCHED_PICK_DELIVER);
	assert_int_equal(sched_wakeup(s), T0 + 100);
	assert_int_equal(sched_batch(s, now, it, 1), 1);
	assert_true(it[0].evpid == EVP(0x20, 1));
	assert_int_equal(sched_batch(s, now, it, 1), 1);
	assert_true(it[0].evpid == EVP(0x10, 1));
	assert_int_equal(sched_batch(s, now, it, 1), 1);
	assert_true(it[0].evpid == EVP(0x10, 2));
	assert_int_equal(sched_batch(s, now, it, 1), 1);
	assert_true(it[0].evpid == EVP(0x30, 1));
	assert_int_equal(sched_batch(s, now, it, 8), 0);	/* not yet */
	assert_int_equal(sched_wakeup(s), T0 + 2000);
	assert_int_equal(sched_inflight(s), 5);
	assert_int_equal(sched_pending(s), 1);
	assert_int_equal(sched_batch(s, T0 + 2000, it, 8), 1);
	assert_true(it[0].evpid == EVP(0x05, 1));
	assert_int_equal(sched_wakeup(s), -1);
	sched_free(s);
	index_free(idx);
}

/* One message's envelopes for one user go together; others do not. */
static void
test_batch(void **state)
{
	struct index *idx;
	struct sched *s;
	struct sched_item it[8];
	struct index_entry *ie;

	(void)state;
	idx = index_new();
	s = sched_new(idx);
	add(s, EVP(0x10, 3), T0 + 50, 4 * DAY, NULL);	/* bob, due later */
	add(s, EVP(0x10, 1), T0, 4 * DAY, NULL);	/* bob */
	add(s, EVP(0x10, 2), T0 + 10, 4 * DAY, NULL);	/* bob */
	add(s, EVP(0x10, 4), T0, 4 * DAY, "carol@example.net");
	add(s, EVP(0x11, 1), T0, 4 * DAY, NULL);	/* other message */
	add(s, EVP(0x10, 5), T0, 4 * DAY, NULL);	/* bob, held */
	assert_int_equal(sched_hold(s, EVP(0x10, 5), 1), 0);

	assert_int_equal(sched_batch(s, T0 + 20, it, 8), 2);
	assert_true(it[0].evpid == EVP(0x10, 1));
	assert_true(it[1].evpid == EVP(0x10, 2));
	ie = index_get(idx, EVP(0x10, 2));
	assert_int_equal(sched_runstate(ie), SCHED_INFLIGHT);
	assert_int_equal(ie->started, T0 + 20);
	assert_int_equal(sched_delay(ie, T0 + 25), 5);
	assert_string_equal(sched_runstate_name(sched_runstate(ie)),
	    "inflight");
	assert_int_equal(sched_batch(s, T0 + 20, it, 8), 1);
	assert_true(it[0].evpid == EVP(0x10, 4));	/* carol alone */
	assert_int_equal(sched_batch(s, T0 + 20, it, 8), 1);
	assert_true(it[0].evpid == EVP(0x11, 1));
	assert_int_equal(sched_batch(s, T0 + 20, it, 8), 0);
	assert_int_equal(sched_batch(s, T0 + 60, it, 8), 1);
	assert_true(it[0].evpid == EVP(0x10, 3));
	/* max bounds a batch */
	assert_int_equal(sched_hold(s, EVP(0x10, 5), 0), 0);
	add(s, EVP(0x10, 6), T0, 4 * DAY, NULL);
	add(s, EVP(0x10, 7), T0, 4 * DAY, NULL);
	assert_int_equal(sched_batch(s, T0 + 60, it, 2), 2);
	assert_true(it[0].evpid == EVP(0x10, 5));
	assert_true(it[1].evpid == EVP(0x10, 6));
	assert_int_equal(sched_batch(s, T0 + 60, it, 2), 1);
	assert_true(it[0].evpid == EVP(0x10, 7));
	sched_free(s);
	index_free(idx);
}

/* Inflight is never picked again; an outcome brings it back or not. */
static void
test_inflight_and_outcome(void **state)
{
	struct sched_conf sc;
	struct index *idx;
	struct sched *s;
	struct sched_item it[4];
	struct envelope e;
	struct index_entry *ie;
	time_t now = T0;

	(void)state;
	sched_conf_default(&sc);
	idx = index_new();
	s = sched_new(idx);
	add(s, EVP(0x77, 1), 0, 4 * DAY, NULL);
	add(s, EVP(0x77, 2), 0, 4 * DAY, "carol@example.net");
	assert_int_equal(sched_batch(s, now, it, 4), 1);
	assert_true(it[0].evpid == EVP(0x77, 1));
	assert_int_equal(sched_batch(s, now, it, 4), 1);
	assert_true(it[0].evpid == EVP(0x77, 2));
	/* both inflight: nothing, whatever the time */
	assert_int_equal(sched_batch(s, now + 10 * DAY, it, 4), 0);
	assert_int_equal(sched_wakeup(s), -1);
	assert_int_equal(sched_inflight(s), 2);
	/* sched_retry refuses what is not inflight */
	mkenv(&e, EVP(0x99, 1), 4 * DAY);
	assert_int_equal(sched_retry(s, &e), -1);

	/* 1 deferred: back at its next try; 2 delivered: gone */
	now = T0 + 30;
	mkenv(&e, EVP(0x77, 1), 4 * DAY);
	assert_int_equal(sched_apply(&sc, &e, &tempfail, now, NULL),
	    SCHED_ACT_UPDATE);
	assert_int_equal(sched_retry(s, &e), 0);
	assert_int_equal(sched_retry(s, &e), -1);	/* once */
	ie = index_get(idx, EVP(0x77, 1));
	assert_int_equal(ie->retry, 1);
	assert_int_equal(ie->lasttry, now);
	assert_int_equal(sched_runstate(ie), SCHED_PENDING);
	assert_int_equal(sched_delay(ie, now), e.nexttry - now);
	assert_int_equal(sched_wakeup(s), e.nexttry);
	assert_int_equal(sched_remove(s, EVP(0x77, 2)), 0);
	assert_null(index_get(idx, EVP(0x77, 2)));
	assert_int_equal(sched_remove(s, EVP(0x77, 2)), -1);
	assert_int_equal(sched_inflight(s), 0);
	assert_int_equal(index_count(idx), 1);
	assert_int_equal(sched_batch(s, e.nexttry - 1, it, 4), 0);
	assert_int_equal(sched_batch(s, e.nexttry, it, 4), 1);

	/* requeued without an attempt: a minute later */
	assert_int_equal(sched_requeue(s, EVP(0x77, 1), e.nexttry), 0);
	assert_int_equal(sched_wakeup(s), e.nexttry + SCHED_RETRY_MIN);
	assert_int_equal(sched_requeue(s, EVP(0x77, 1), e.nexttry), -1);
	sched_free(s);
	index_free(idx);
}

static void
test_held_suspended_expired(void **state)
{
	struct index *idx;
	struct sched *s;
	struct sched_item it[4];
	struct index_entry *ie;

	(void)state;
	idx = index_new();
	s = sched_new(idx);
	add(s, EVP(0x1, 1), 0, 4 * DAY, NULL);
	add(s, EVP(0x2, 1), 0, 4 * DAY, NULL);
	add(s, EVP(0x3, 1), T0 + 3 * HOUR, 2 * HOUR, NULL);	/* ttl 2h */
	assert_int_equal(sched_hold(s, EVP(0x1, 1), 1), 0);
	assert_int_equal(sched_suspend(s, EVP(0x2, 1), 1), 0);
	assert_int_equal(sched_hold(s, EVP(0x9, 1), 1), -1);
	ie = index_get(idx, EVP(0x1, 1));
	assert_int_equal(sched_runstate(ie), SCHED_PENDING);
	assert_true(ie->runflags & ENVELOPE_R_HOLD);

	/* the expiry comes first (nexttry is capped at it) */
	assert_int_equal(sched_wakeup(s), T0 + 2 * HOUR);
	assert_int_equal(sched_batch(s, T0 + 2 * HOUR - 1, it, 4), 0);
	assert_int_equal(sched_batch(s, T0 + 2 * HOUR, it, 4), 1);
	assert_true(it[0].evpid == EVP(0x3, 1));
	assert_int_equal(it[0].pick, SCHED_PICK_EXPIRE);
	assert_int_equal(sched_remove(s, EVP(0x3, 1)), 0);

	/* held and suspended: never, however late */
	assert_int_equal(sched_batch(s, T0 + 100 * DAY, it, 4), 0);
	assert_int_equal(sched_wakeup(s), -1);
	assert_int_equal(sched_schedule_now(s, EVP(0x2, 1), T0 + 5), 0);
	assert_int_equal(sched_batch(s, T0 + 100 * DAY, it, 4), 0);
	/* suspended and held: both must go */
	assert_int_equal(sched_hold(s, EVP(0x2, 1), 1), 0);
	assert_int_equal(sched_suspend(s, EVP(0x2, 1), 0), 0);
	assert_int_equal(sched_batch(s, T0 + 10, it, 4), 0);
	assert_int_equal(sched_hold(s, EVP(0x2, 1), 0), 0);
	assert_int_equal(sched_wakeup(s), T0 + 5);
	assert_int_equal(sched_batch(s, T0 + 10, it, 4), 1);
	assert_true(it[0].evpid == EVP(0x2, 1));
	/* suspended while inflight: not queued again on its outcome */
	assert_int_equal(sched_suspend(s, EVP(0x2, 1), 1), 0);
	assert_int_equal(sched_requeue(s, EVP(0x2, 1), T0 + 20), 0);
	assert_int_equal(sched_batch(s, T0 + DAY, it, 4), 0);
	assert_int_equal(sched_hold(s, EVP(0x1, 1), 0), 0);
	assert_int_equal(sched_batch(s, T0 + 10, it, 4), 1);
	assert_true(it[0].evpid == EVP(0x1, 1));
	sched_free(s);
	index_free(idx);
}

/* An index the walk filled: taken over, inflight and hold dropped. */
static void
test_load(void **state)
{
	struct index *idx;
	struct sched *s;
	struct sched_item it[4];
	struct envelope e;
	struct index_entry ie;

	(void)state;
	idx = index_new();
	mkenv(&e, EVP(0x5, 1), 4 * DAY);
	e.runflags = ENVELOPE_R_INFLIGHT | ENVELOPE_R_HOLD;
	index_entry_set(&ie, &e);
	assert_int_equal(index_add(idx, &ie), 0);
	mkenv(&e, EVP(0x5, 2), 4 * DAY);
	e.runflags = ENVELOPE_R_SUSPEND;
	index_entry_set(&ie, &e);
	assert_int_equal(index_add(idx, &ie), 0);
	s = sched_new(idx);
	assert_int_equal(sched_load(s), 1);
	assert_int_equal(sched_load(s), 1);	/* nothing twice */
	assert_int_equal(index_get(idx, EVP(0x5, 1))->runflags, 0);
	assert_int_equal(sched_batch(s, T0, it, 4), 1);
	assert_true(it[0].evpid == EVP(0x5, 1));
	assert_string_equal(sched_runstate_name(SCHED_OFFLINE), "offline");
	assert_string_equal(sched_runstate_name(SCHED_PENDING), "pending");
	assert_int_equal(sched_runstate(NULL), SCHED_INVALID);
	sched_free(s);
	assert_null(index_get(idx, EVP(0x5, 1))->sched);
	index_free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_schedule),
		cmocka_unit_test(test_retry_until_expiry),
		cmocka_unit_test(test_expiry_per_action_ttl),
		cmocka_unit_test(test_warn_intervals),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_due_order),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_inflight_and_outcome),
		cmocka_unit_test(test_held_suspended_expired),
		cmocka_unit_test(test_load),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

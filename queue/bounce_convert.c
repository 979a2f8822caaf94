/*
 * bounce_convert.c: turning an envelope into the BOUNCE envelope of its
 * report (bounce.h). Pure: no I/O, the time is an argument, so the unit
 * tests check every field. The result always passes envelope_validate():
 * a report to the null sender cannot be made (the scheduler never asks),
 * and a failed report is addressed to the postmaster once (F_DOUBLE).
 */
#include <string.h>

#include "queue/bounce.h"
#include "queue/envelope.h"

static void	convert_common(struct envelope *, enum envelope_bounce_type,
		    time_t);

/* Fields of a delivery attempt that a report envelope does not carry. */
static void
convert_common(struct envelope *e, enum envelope_bounce_type type,
    time_t now)
{
	time_t left = e->ctime + e->ttl - now;

	e->type = ENVELOPE_BOUNCE;
	e->bounce_type = type;
	e->bounce_ttl = e->ttl;		/* the original's lifetime */
	memset(e->mda_user, 0, sizeof(e->mda_user));
	memset(e->mda_subaddress, 0, sizeof(e->mda_subaddress));
	memset(e->mda_exec, 0, sizeof(e->mda_exec));
	e->mda_method = ENVELOPE_MDA_ACTION;
	e->runflags = 0;
	e->retry = 0;
	e->nexttry = now;
	/* The report gets a lifetime of its own from now, never less. */
	if (left < e->bounce_ttl)
		e->ttl = now - e->ctime + e->bounce_ttl;
	if (e->ttl > ENVELOPE_TIME_MAX)
		e->ttl = ENVELOPE_TIME_MAX;
}

/*
 * In place: a failed (or, NOTIFY=SUCCESS, delivered) envelope becomes the
 * BOUNCE envelope of its report. A report that failed itself is reported
 * to `postmaster` (a full address) and marked F_DOUBLE. 0, or -1 when
 * there is nobody to tell.
 */
int
bounce_convert(struct envelope *e, enum envelope_bounce_type type,
    const char *postmaster, time_t now)
{
	size_t len;

	if (e->type == ENVELOPE_BOUNCE || (e->flags & ENVELOPE_F_DOUBLE))
		return -1;
	if (e->flags & ENVELOPE_F_BOUNCE) {
		if (type != ENVELOPE_BOUNCE_FAILED)
			return -1;
		len = strlen(postmaster);
		if (len == 0 || len >= sizeof(e->sender))
			return -1;
		memcpy(e->sender, postmaster, len + 1);
		e->flags &= ~(uint32_t)ENVELOPE_F_BOUNCE;
		e->flags |= ENVELOPE_F_DOUBLE;
	} else if (e->sender[0] == '\0')
		return -1;
	if (type == ENVELOPE_BOUNCE_DELIVERED) {
		e->esc_class = 2;
		e->esc_subject = 0;
		e->esc_detail = 0;
	}
	convert_common(e, type, now);
	return 0;
}

/*
 * A delay warning: a copy of the deferred envelope `e` under the new
 * envelope id `evpid` (same message), for the warn delay `delay`.
 */
int
bounce_delayed_copy(const struct envelope *e, uint64_t evpid, time_t delay,
    time_t now, struct envelope *out)
{
	if (e->type == ENVELOPE_BOUNCE || (e->flags & (ENVELOPE_F_BOUNCE |
	    ENVELOPE_F_DOUBLE)) || e->sender[0] == '\0' ||
	    (evpid >> 32) != (e->evpid >> 32) || evpid == e->evpid)
		return -1;
	*out = *e;
	out->evpid = evpid;
	out->bounce_delay = delay;
	convert_common(out, ENVELOPE_BOUNCE_DELAYED, now);
	return 0;
}

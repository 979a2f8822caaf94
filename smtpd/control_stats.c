/*
 * control_stats.c: the counters behind `smtpctl show stats` and `monitor`
 * (ctl.md 6), in the control role. Every process sends updates
 * (IMSG_CTL_STAT, see smtpd/ctl_stat.h); they land in one table sorted
 * by key, at most CONTROL_STATS_MAX keys (more are dropped with one
 * warning). A key appears once touched and then stays, 0 included.
 * Monitor needs totals that a gauge cannot give back (connections and
 * disconnections, envelopes in and out): they are counted here from the
 * increments and decrements of smtp.session, lmtp.session and
 * scheduler.envelope. Also answers show status from the pause states
 * control_route.c keeps. Arithmetic wraps instead of overflowing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/control.h"
#include "smtpd/ctl_stat.h"

static struct control_stat *control_stats_find(struct control *,
		    const char *, size_t *);
static int64_t	control_stats_get(struct control *, const char *);
static void	control_stats_line(struct control_client *, const char *,
		    int64_t);
static void	control_stats_end(struct control_client *, uint64_t);

/* Binary search; *pos is where key is or would go. */
static struct control_stat *
control_stats_find(struct control *ctl, const char *key, size_t *pos)
{
	size_t lo = 0, hi = ctl->nstats, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((cmp = strcmp(key, ctl->stats[mid].key)) == 0) {
			*pos = mid;
			return &ctl->stats[mid];
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*pos = lo;
	return NULL;
}

static int64_t
control_stats_get(struct control *ctl, const char *key)
{
	struct control_stat *s;
	size_t pos;

	return (s = control_stats_find(ctl, key, &pos)) ? s->value : 0;
}

/* The key was checked (ctl_stat_key_ok) by the caller. */
int
control_stats_update(struct control *ctl, const struct ctl_stat *st)
{
	static int warned;
	struct control_stat *s;
	uint64_t v = (uint64_t)st->value;
	size_t pos;

	if ((s = control_stats_find(ctl, st->key, &pos)) == NULL) {
		if (ctl->nstats == CONTROL_STATS_MAX) {
			if (!warned++)
				log_warnx("control event=stat key=%s "
				    "error=\"too many keys\"", st->key);
			return 0;
		}
		if (ctl->stats == NULL)
			ctl->stats = xcalloc(CONTROL_STATS_MAX,
			    sizeof(*ctl->stats));
		memmove(&ctl->stats[pos + 1], &ctl->stats[pos],
		    (ctl->nstats - pos) * sizeof(*ctl->stats));
		s = &ctl->stats[pos];
		memset(s, 0, sizeof(*s));
		strlcpy(s->key, st->key, sizeof(s->key));
		ctl->nstats++;
	}
	switch (st->op) {
	case CTL_STAT_INCREMENT:
		s->value = (int64_t)((uint64_t)s->value + v);
		break;
	case CTL_STAT_DECREMENT:
		s->value = (int64_t)((uint64_t)s->value - v);
		break;
	default:
		s->value = st->value;
		return 0;
	}
	if (strcmp(st->key, "smtp.session") == 0 ||
	    strcmp(st->key, "lmtp.session") == 0) {
		if (st->op == CTL_STAT_INCREMENT)
			ctl->digest.connected += (int64_t)(v & INT64_MAX);
		else
			ctl->digest.disconnected += (int64_t)(v & INT64_MAX);
	} else if (strcmp(st->key, "scheduler.envelope") == 0) {
		if (st->op == CTL_STAT_INCREMENT)
			ctl->digest.enqueued += (int64_t)(v & INT64_MAX);
		else
			ctl->digest.dequeued += (int64_t)(v & INT64_MAX);
	}
	return 0;
}

void
control_stats_free(struct control *ctl)
{
	free(ctl->stats);
	ctl->stats = NULL;
	ctl->nstats = 0;
}

/* "2d3h4m5s": zero components left out, "0s" for zero (ctl.md 6.2). */
void
control_stats_human(char *dst, size_t size, int64_t secs)
{
	static const struct {
		int64_t	 unit;
		char	 c;
	} parts[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i, len = 0;
	int64_t n;
	int w;

	if (size == 0)
		return;
	dst[0] = '\0';
	if (secs <= 0) {
		snprintf(dst, size, "0s");
		return;
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		n = secs / parts[i].unit;
		secs %= parts[i].unit;
		if (n == 0)
			continue;
		w = snprintf(dst + len, size - len, "%lld%c", (long long)n,
		    parts[i].c);
		if (w < 0 || (size_t)w >= size - len)
			return;
		len += (size_t)w;
	}
}

static void
control_stats_line(struct control_client *c, const char *key, int64_t v)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = CTL_OK;
	ctl_reply_text(&rep, "%s=%lld", key, (long long)v);
	control_reply(c, &rep);
}

static void
control_stats_end(struct control_client *c, uint64_t count)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = CTL_OK;
	rep.last = 1;
	rep.count = count;
	c->busy = 0;
	control_reply(c, &rep);
}

/* show stats: key=value by key, uptime and uptime.human in their place. */
void
control_stats_show(struct control *ctl, struct control_client *c)
{
	struct ctl_reply rep;
	char human[64];
	int64_t up = (int64_t)(time(NULL) - ctl->started);
	size_t i;
	int done = 0;

	ctl_stat_flush();	/* our own counters, up to date */
	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	for (i = 0; i <= ctl->nstats; i++) {
		if (!done && (i == ctl->nstats ||
		    strcmp(ctl->stats[i].key, "uptime") > 0)) {
			control_stats_line(c, "uptime", up);
			control_stats_human(human, sizeof(human), up);
			ctl_reply_text(&rep, "uptime.human=%s", human);
			control_reply(c, &rep);
			done = 1;
		}
		if (i < ctl->nstats)
			control_stats_line(c, ctl->stats[i].key,
			    ctl->stats[i].value);
	}
	control_stats_end(c, ctl->nstats + 2);
}

/* show status: three lines (ctl.md 6.1). */
void
control_stats_status(struct control *ctl, struct control_client *c)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	ctl_reply_text(&rep, "MDA %s", ctl->mda_paused ? "paused" : "running");
	control_reply(c, &rep);
	/* no relay client yet: nothing to pause */
	ctl_reply_text(&rep, "MTA %s", ctl->mta_paused ? "paused" : "running");
	control_reply(c, &rep);
	ctl_reply_text(&rep, "SMTP %s", ctl->smtp_paused ? "paused" :
	    "running");
	control_reply(c, &rep);
	control_stats_end(c, 3);
}

/* monitor: the 13 columns of ctl.md 6.3 as totals (ctl_msg.h). */
void
control_stats_monitor(struct control *ctl, struct control_client *c)
{
	const struct {
		const char	*name;
		int64_t		 v;
	} col[] = {
		{ "clients", control_stats_get(ctl, "smtp.session") +
		    control_stats_get(ctl, "lmtp.session") },
		{ "connected", ctl->digest.connected },
		{ "disconnected", ctl->digest.disconnected },
		{ "envelopes", control_stats_get(ctl, "scheduler.envelope") },
		{ "enqueued", ctl->digest.enqueued },
		{ "dequeued", ctl->digest.dequeued },
		{ "ok", control_stats_get(ctl, "scheduler.delivery.ok") },
		{ "tempfail", control_stats_get(ctl,
		    "scheduler.delivery.tempfail") },
		{ "permfail", control_stats_get(ctl,
		    "scheduler.delivery.permfail") },
		{ "loop", control_stats_get(ctl, "scheduler.delivery.loop") },
		{ "expired", control_stats_get(ctl,
		    "scheduler.envelope.expired") },
		{ "removed", control_stats_get(ctl,
		    "scheduler.envelope.removed") },
		{ "bounced", control_stats_get(ctl, "queue.bounce") },
	};
	size_t i;

	for (i = 0; i < sizeof(col) / sizeof(col[0]); i++)
		control_stats_line(c, col[i].name, col[i].v);
	control_stats_end(c, sizeof(col) / sizeof(col[0]));
}

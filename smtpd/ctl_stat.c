/*
 * ctl_stat.c: a process's side of the show stats counters (ctl_stat.h).
 * Called on the loop thread of the parent and of every role; updates are
 * gathered in a small table and sent by a timer, so a busy path costs a
 * table lookup, not a message. Never allocates after the first use of a
 * key and never fails its caller: a key beyond the table is dropped with
 * one warning.
 */
#include <string.h>

#include "lib/log.h"
#include "smtpd/ctl_stat.h"

struct ctl_stat_ent {
	char	 key[CTL_STAT_KEY_MAX + 1];
	int64_t	 inc, dec;	/* not sent yet */
	int64_t	 value;		/* SET keys */
	int	 isset;
	int	 dirty;
};

static struct {
	struct ev_loop		*loop;
	ctl_stat_send_fn	 send;
	void			*arg;
	ev_timer		 timer;
	struct ctl_stat_ent	 ent[CTL_STAT_LOCAL_MAX];
	size_t			 n;
	int			 warned;
} cs;

static struct ctl_stat_ent *ctl_stat_get(const char *);
static void	ctl_stat_touch(struct ctl_stat_ent *);
static void	ctl_stat_timer_cb(struct ev_loop *, ev_timer *, int);
static void	ctl_stat_send(struct ctl_stat_ent *, enum ctl_stat_op,
		    int64_t);

int
ctl_stat_key_ok(const char *key, size_t size)
{
	size_t len, i;

	if ((len = strnlen(key, size)) == 0 || len == size ||
	    len > CTL_STAT_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '.' ||
		    key[i] == '_' || key[i] == '-'))
			return 0;
	return 1;
}

void
ctl_stat_attach(struct ev_loop *loop, ctl_stat_send_fn send, void *arg)
{
	if (cs.loop != NULL)
		ev_timer_stop(cs.loop, &cs.timer);
	cs.loop = loop;
	cs.send = send;
	cs.arg = arg;
	ev_timer_init(&cs.timer, ctl_stat_timer_cb, CTL_STAT_FLUSH, 0.0);
}

static struct ctl_stat_ent *
ctl_stat_get(const char *key)
{
	size_t i;

	if (cs.loop == NULL)
		return NULL;
	for (i = 0; i < cs.n; i++)
		if (strcmp(cs.ent[i].key, key) == 0)
			return &cs.ent[i];
	if (cs.n == CTL_STAT_LOCAL_MAX ||
	    !ctl_stat_key_ok(key, CTL_STAT_KEY_MAX + 1)) {
		if (!cs.warned++)
			log_warnx("stat: key %s dropped", key);
		return NULL;
	}
	memset(&cs.ent[cs.n], 0, sizeof(cs.ent[cs.n]));
	strlcpy(cs.ent[cs.n].key, key, sizeof(cs.ent[cs.n].key));
	return &cs.ent[cs.n++];
}

static void
ctl_stat_touch(struct ctl_stat_ent *e)
{
	e->dirty = 1;
	if (ev_is_active(&cs.timer))
		return;
	/* A stopped one-shot timer keeps what was left of its delay
	 * (nothing, once it fired): set the delay again every time. */
	ev_timer_set(&cs.timer, CTL_STAT_FLUSH, 0.0);
	ev_timer_start(cs.loop, &cs.timer);
}

void
ctl_stat_increment(const char *key, int64_t v)
{
	struct ctl_stat_ent *e;

	if ((e = ctl_stat_get(key)) == NULL)
		return;
	e->inc += v;
	ctl_stat_touch(e);
}

void
ctl_stat_decrement(const char *key, int64_t v)
{
	struct ctl_stat_ent *e;

	if ((e = ctl_stat_get(key)) == NULL)
		return;
	e->dec += v;
	ctl_stat_touch(e);
}

void
ctl_stat_set(const char *key, int64_t v)
{
	struct ctl_stat_ent *e;

	if ((e = ctl_stat_get(key)) == NULL ||
	    (e->isset && e->value == v))
		return;
	e->isset = 1;
	e->value = v;
	ctl_stat_touch(e);
}

static void
ctl_stat_send(struct ctl_stat_ent *e, enum ctl_stat_op op, int64_t v)
{
	struct ctl_stat st;

	memset(&st, 0, sizeof(st));
	strlcpy(st.key, e->key, sizeof(st.key));
	st.op = op;
	st.value = v;
	log_trace(TRACE_STAT, "stat: key=%s op=%d value=%lld", st.key,
	    (int)op, (long long)v);
	if (cs.send(cs.arg, &st) == -1)
		log_debug("stat: key=%s update dropped", st.key);
}

void
ctl_stat_flush(void)
{
	struct ctl_stat_ent *e;
	size_t i;

	if (cs.loop == NULL)
		return;
	ev_timer_stop(cs.loop, &cs.timer);
	for (i = 0; i < cs.n; i++) {
		e = &cs.ent[i];
		if (!e->dirty)
			continue;
		e->dirty = 0;
		if (e->isset)
			ctl_stat_send(e, CTL_STAT_SET, e->value);
		if (e->inc)
			ctl_stat_send(e, CTL_STAT_INCREMENT, e->inc);
		if (e->dec)
			ctl_stat_send(e, CTL_STAT_DECREMENT, e->dec);
		e->inc = e->dec = 0;
	}
}

static void
ctl_stat_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	ctl_stat_flush();
}

/*
 * throttle.c: failed-AUTH throttling (see throttle.h). Called by the smtp
 * role's session and the tests; pure: no clock, no I/O, no timers - the
 * caller passes the time and arms its own timer with the verdict. The
 * per-address table is a fixed array with bounded probing, so an
 * attacker with many addresses can only push older addresses out.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "auth/throttle.h"
#include "lib/xmalloc.h"

#define AUTH_THROTTLE_PROBE	8	/* slots looked at per address */

struct auth_throttle_client {
	char		key[AUTH_THROTTLE_KEY_MAX + 1];	/* "" = free */
	unsigned	failures;
	uint64_t	last_ms;
};

struct auth_throttle {
	struct auth_throttle_conf	conf;
	struct auth_throttle_client	client[AUTH_THROTTLE_CLIENTS];
};

static uint32_t	auth_throttle_hash(const char *);
static int	auth_throttle_live(const struct auth_throttle *,
		    const struct auth_throttle_client *, uint64_t);
static struct auth_throttle_client *auth_throttle_find(struct auth_throttle *,
		    const char *, uint64_t, int);

struct auth_throttle *
auth_throttle_new(const struct auth_throttle_conf *conf)
{
	struct auth_throttle *t;

	t = xcalloc(1, sizeof(*t));
	if (conf != NULL)
		t->conf = *conf;
	else {
		t->conf.delay_ms = AUTH_THROTTLE_DELAY_MS;
		t->conf.delay_max_ms = AUTH_THROTTLE_DELAY_MAX_MS;
		t->conf.session_max = AUTH_THROTTLE_SESSION_MAX;
		t->conf.client_max = AUTH_THROTTLE_CLIENT_MAX;
		t->conf.window_ms = AUTH_THROTTLE_WINDOW_MS;
	}
	return t;
}

void
auth_throttle_free(struct auth_throttle *t)
{
	free(t);
}

/* FNV-1a over the key as stored (cut at AUTH_THROTTLE_KEY_MAX). */
static uint32_t
auth_throttle_hash(const char *key)
{
	uint32_t h = 2166136261U;
	size_t i;

	for (i = 0; key[i] != '\0' && i < AUTH_THROTTLE_KEY_MAX; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619U;
	}
	return h;
}

/* Within the window of its last failure (a clock going back: still). */
static int
auth_throttle_live(const struct auth_throttle *t,
    const struct auth_throttle_client *c, uint64_t now)
{
	return c->key[0] != '\0' && (now < c->last_ms ||
	    now - c->last_ms < t->conf.window_ms);
}

/*
 * The live slot of key, or NULL. With create: a new slot for it if it
 * has none - a free or expired slot, else the oldest of the probe.
 */
static struct auth_throttle_client *
auth_throttle_find(struct auth_throttle *t, const char *addr, uint64_t now,
    int create)
{
	struct auth_throttle_client *c, *victim = NULL;
	char key[AUTH_THROTTLE_KEY_MAX + 1];
	uint32_t h;
	size_t i;

	if (addr == NULL || addr[0] == '\0')
		return NULL;
	strlcpy(key, addr, sizeof(key));
	h = auth_throttle_hash(key);
	for (i = 0; i < AUTH_THROTTLE_PROBE; i++) {
		c = &t->client[(h + i) % AUTH_THROTTLE_CLIENTS];
		if (strcmp(c->key, key) == 0) {
			if (auth_throttle_live(t, c, now))
				return c;
			c->failures = 0;	/* expired: start again */
			return create ? c : NULL;
		}
		if (!auth_throttle_live(t, c, now)) {
			if (victim == NULL || auth_throttle_live(t, victim,
			    now))
				victim = c;
		} else if (victim == NULL || (auth_throttle_live(t, victim,
		    now) && c->last_ms < victim->last_ms))
			victim = c;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	strlcpy(victim->key, key, sizeof(victim->key));
	return victim;
}

void
auth_throttle_failure(struct auth_throttle *t, struct auth_throttle_sess *s,
    const char *addr, uint64_t now, struct auth_throttle_verdict *v)
{
	struct auth_throttle_client *c = NULL;
	unsigned n, shift;
	uint64_t delay;

	memset(v, 0, sizeof(*v));
	if (s->failures < UINT_MAX)
		s->failures++;
	n = s->failures;
	if (t->conf.client_max > 0 &&
	    (c = auth_throttle_find(t, addr, now, 1)) != NULL) {
		if (c->failures < UINT_MAX)
			c->failures++;
		if (now > c->last_ms)
			c->last_ms = now;
		if (c->failures > n)
			n = c->failures;
	}
	/* delay << (n - 1), capped, without overflowing */
	delay = t->conf.delay_ms;
	for (shift = 1; shift < n && delay < t->conf.delay_max_ms; shift++)
		delay *= 2;
	if (delay > t->conf.delay_max_ms)
		delay = t->conf.delay_max_ms;
	v->delay_ms = delay;
	v->close = s->failures >= t->conf.session_max ||
	    (c != NULL && c->failures >= t->conf.client_max);
}

int
auth_throttle_refused(struct auth_throttle *t, const char *addr,
    uint64_t now)
{
	struct auth_throttle_client *c;

	if (t->conf.client_max == 0 ||
	    (c = auth_throttle_find(t, addr, now, 0)) == NULL)
		return 0;
	return c->failures >= t->conf.client_max;
}

unsigned
auth_throttle_count(struct auth_throttle *t, const char *addr, uint64_t now)
{
	struct auth_throttle_client *c;

	if ((c = auth_throttle_find(t, addr, now, 0)) == NULL)
		return 0;
	return c->failures;
}

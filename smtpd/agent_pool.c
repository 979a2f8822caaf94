/*
 * agent_pool.c: which deliver agent serves a delivery and when one
 * retires (agent_pool.h). Called by smtpd/parent_agent.c and the unit
 * tests only; it never starts, signals or waits for a process.
 * Waiting agents are kept oldest first: the most recent one is reused
 * (its pages are warm), so surplus agents of a burst reach AGENT_IDLE
 * and go.
 */
#include <string.h>

#include "smtpd/agent_pool.h"

void
agent_pool_init(struct agent_pool *p, size_t idle_max)
{
	memset(p, 0, sizeof(*p));
	TAILQ_INIT(&p->all);
	TAILQ_INIT(&p->idle);
	p->idle_max = idle_max;
}

int
agent_slot_key(struct agent_slot *s, const char *user, const char *ids)
{
	if (ids == NULL)
		ids = "";
	if (strlcpy(s->user, user, sizeof(s->user)) >= sizeof(s->user) ||
	    strlcpy(s->ids, ids, sizeof(s->ids)) >= sizeof(s->ids))
		return -1;
	return 0;
}

void
agent_pool_add(struct agent_pool *p, struct agent_slot *s)
{
	s->state = AGENT_BUSY;
	s->uses = 0;
	s->reason = NULL;
	TAILQ_INSERT_TAIL(&p->all, s, entry);
	p->nall++;
}

struct agent_slot *
agent_pool_take(struct agent_pool *p, const char *user, const char *ids)
{
	struct agent_slot *s;

	if (ids == NULL)
		ids = "";
	TAILQ_FOREACH_REVERSE(s, &p->idle, agent_slots, idle)
		if (strcmp(s->user, user) == 0 && strcmp(s->ids, ids) == 0)
			break;
	if (s == NULL)
		return NULL;
	TAILQ_REMOVE(&p->idle, s, idle);
	p->nidle--;
	s->state = AGENT_BUSY;
	return s;
}

int
agent_pool_release(struct agent_pool *p, struct agent_slot *s, double now)
{
	if (s->state != AGENT_BUSY)
		return -1;
	if (++s->uses >= AGENT_USES) {
		/* a fresh process now and then bounds what one can leak */
		agent_pool_retire(p, s, "uses");
		return -1;
	}
	s->state = AGENT_WAITING;
	s->since = now;
	TAILQ_INSERT_TAIL(&p->idle, s, idle);
	p->nidle++;
	return 0;
}

struct agent_slot *
agent_pool_surplus(struct agent_pool *p, size_t room)
{
	if (p->nidle + room <= p->idle_max)
		return NULL;
	return TAILQ_FIRST(&p->idle);
}

struct agent_slot *
agent_pool_expired(struct agent_pool *p, double now)
{
	struct agent_slot *s = TAILQ_FIRST(&p->idle);

	if (s == NULL || now < s->since + AGENT_IDLE)
		return NULL;
	return s;
}

double
agent_pool_deadline(const struct agent_pool *p)
{
	const struct agent_slot *s = TAILQ_FIRST(&p->idle);

	return s == NULL ? -1 : s->since + AGENT_IDLE;
}

void
agent_pool_retire(struct agent_pool *p, struct agent_slot *s,
    const char *reason)
{
	if (s->reason == NULL)
		s->reason = reason;	/* the first one known stays */
	if (s->state == AGENT_RETIRED)
		return;
	if (s->state == AGENT_WAITING) {
		TAILQ_REMOVE(&p->idle, s, idle);
		p->nidle--;
	}
	s->state = AGENT_RETIRED;
}

void
agent_pool_remove(struct agent_pool *p, struct agent_slot *s)
{
	agent_pool_retire(p, s, "died");
	TAILQ_REMOVE(&p->all, s, entry);
	p->nall--;
}

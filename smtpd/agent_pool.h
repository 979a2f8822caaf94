/*
 * agent_pool.h: the bookkeeping of the parent's deliver agents
 * (smtpd/parent_agent.c runs the processes): which agent serves a
 * delivery, when one retires. Agents are keyed by user name and the
 * `-u UID:GID:HOME` string ("" without): an agent has become that user
 * and serves only its deliveries. Pure: no process, no clock, no event
 * loop (times are passed in), so the decisions are unit tests.
 */
#ifndef SMTPD_AGENT_POOL_H
#define SMTPD_AGENT_POOL_H

#include <sys/queue.h>

#include <stddef.h>

#define AGENT_IDLE	5.0	/* seconds an idle agent waits for work */
#define AGENT_USES	100	/* deliveries, then it retires */
#define AGENT_IDLE_MAX	32	/* idle agents kept, all users together */
#define AGENT_USER_MAX	256	/* user name, with its NUL */
#define AGENT_IDS_MAX	1100	/* "UID:GID:HOME", with its NUL */

enum agent_state {
	AGENT_BUSY,		/* a delivery is out */
	AGENT_WAITING,		/* idle, may be taken */
	AGENT_RETIRED,		/* never taken again; goes when reaped */
};

struct agent_slot {
	TAILQ_ENTRY(agent_slot)	 entry;		/* every live agent */
	TAILQ_ENTRY(agent_slot)	 idle;		/* waiting, oldest first */
	char			 user[AGENT_USER_MAX];
	char			 ids[AGENT_IDS_MAX];
	enum agent_state	 state;
	unsigned int		 uses;		/* deliveries answered */
	double			 since;		/* waiting since */
	const char		*reason;	/* why it retired */
	void			*owner;		/* parent_agent.c's agent */
};
TAILQ_HEAD(agent_slots, agent_slot);

struct agent_pool {
	struct agent_slots	 all;
	struct agent_slots	 idle;
	size_t			 nall;
	size_t			 nidle;
	size_t			 idle_max;
};

void	agent_pool_init(struct agent_pool *, size_t);
/* A new agent's key; -1 if a string is too long. */
int	agent_slot_key(struct agent_slot *, const char *, const char *);
/* A new agent joins, busy with its first delivery. */
void	agent_pool_add(struct agent_pool *, struct agent_slot *);
/* The agent that waited least for this key, now busy; NULL if none. */
struct agent_slot *agent_pool_take(struct agent_pool *, const char *,
	    const char *);
/* Its reply came: 0 if it now waits, -1 if it retires (reason set). */
int	agent_pool_release(struct agent_pool *, struct agent_slot *, double);
/*
 * The longest waiting agent if more than idle_max - room wait (room: 1
 * before a new agent starts, 0 after a release); NULL if none.
 */
struct agent_slot *agent_pool_surplus(struct agent_pool *, size_t);
/* A waiting agent idle for AGENT_IDLE at now, oldest first; NULL. */
struct agent_slot *agent_pool_expired(struct agent_pool *, double);
/* When the oldest waiting agent's idle time ends; -1 if none waits. */
double	agent_pool_deadline(const struct agent_pool *);
/*
 * Never taken again (a retirement, a kill, a death). The first reason
 * given stays; NULL (it closed by itself) leaves it to the next one.
 */
void	agent_pool_retire(struct agent_pool *, struct agent_slot *,
	    const char *);
/* Gone (reaped); reason "died" if none was given. */
void	agent_pool_remove(struct agent_pool *, struct agent_slot *);

#endif

/*
 * fresh.h: envelopes just committed, kept in memory until their first
 * dispatch (design.md "The queue role"). The loop thread wrote each one
 * a moment ago; reading it back from disk in a worker cost a thread
 * hand-off per message. Bounded: the oldest is forgotten first, and a
 * forgotten one is simply read from disk.
 */
#ifndef QUEUE_FRESH_H
#define QUEUE_FRESH_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#define FRESH_MAX	64

struct fresh_env;
TAILQ_HEAD(fresh_list, fresh_env);

struct fresh {
	struct fresh_list	 list;		/* oldest first */
	size_t			 n;
};

void	fresh_init(struct fresh *);
void	fresh_clear(struct fresh *);
void	fresh_keep(struct fresh *, uint64_t, uint8_t *, size_t);
int	fresh_take(struct fresh *, uint64_t, uint8_t **, size_t *);

#endif

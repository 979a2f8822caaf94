/*
 * index.h: the queue's in-memory index of committed envelopes, by evpid.
 * Filled by the start-up walk and by each commit, read by the scheduler.
 * It keeps a small summary per envelope, not the envelope: the rest is
 * read from the envelope file when it is needed. Not thread-safe: the
 * loop thread owns it (a walk in a worker fills its own and hands it
 * over whole).
 */
#ifndef QUEUE_INDEX_H
#define QUEUE_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct envelope;

struct index_entry {
	uint64_t	evpid;		/* 0: empty slot */
	time_t		ctime;
	time_t		expire;		/* ctime + ttl */
	time_t		nexttry;
	time_t		lasttry;
	uint32_t	retry;
	uint32_t	runflags;	/* ENVELOPE_R_* */
	uint8_t		type;		/* enum envelope_type */
	/* for the scheduler (scheduler.h) */
	uint32_t	batch;		/* batch key: type, action, user */
	time_t		started;	/* inflight since, 0 if not */
	void		*sched;		/* its node, owned by struct sched */
};

struct index;

struct index	*index_new(void);
void		 index_free(struct index *);
void		 index_entry_set(struct index_entry *, const struct envelope *);
int		 index_add(struct index *, const struct index_entry *);
struct index_entry *index_get(const struct index *, uint64_t);
int		 index_remove(struct index *, uint64_t);
size_t		 index_count(const struct index *);
int		 index_foreach(const struct index *,
		    int (*)(const struct index_entry *, void *), void *);
uint32_t	 index_batch_key(const struct envelope *);

#endif

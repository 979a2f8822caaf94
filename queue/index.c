/*
 * index.c: open-addressing hash table of index entries keyed by evpid
 * (index.h). Linear probing, at most half full, deletion by backward
 * shift (no tombstones), so lookups stay short however the queue churns.
 * Called on the loop thread by queue.c and by the walk on its own table.
 * Never fails on input: a duplicate evpid is refused with -1.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "queue/envelope.h"
#include "queue/index.h"

#define INDEX_MIN_SLOTS	64

struct index {
	struct index_entry	*slot;
	size_t			 nslots;	/* power of two */
	size_t			 count;
};

static size_t	index_hash(uint64_t, size_t);
static void	index_grow(struct index *);

/* evpids are random, but mix anyway: a test may use counters. */
static size_t
index_hash(uint64_t k, size_t nslots)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k & (nslots - 1);
}

struct index *
index_new(void)
{
	struct index *idx;

	idx = xcalloc(1, sizeof(*idx));
	idx->nslots = INDEX_MIN_SLOTS;
	idx->slot = xcalloc(idx->nslots, sizeof(*idx->slot));
	return idx;
}

void
index_free(struct index *idx)
{
	if (idx == NULL)
		return;
	free(idx->slot);
	free(idx);
}

void
index_entry_set(struct index_entry *ie, const struct envelope *e)
{
	memset(ie, 0, sizeof(*ie));
	ie->evpid = e->evpid;
	ie->ctime = e->ctime;
	ie->expire = envelope_expire(e);
	ie->nexttry = e->nexttry;
	ie->lasttry = e->lasttry;
	ie->retry = e->retry;
	ie->runflags = e->runflags;
	ie->type = (uint8_t)e->type;
	ie->batch = index_batch_key(e);
}

/*
 * The key under which envelopes of one message may share one delivery
 * request (FNV-1a): type, action and, for local delivery, the user (else
 * dest) and the pipe or file destination if any; for relay, the
 * destination domain. Equal keys are only a hint: whoever builds the
 * request compares the envelopes themselves.
 */
uint32_t
index_batch_key(const struct envelope *e)
{
	const char *who, *at;
	uint32_t h = 2166136261U;
	size_t i;

	h = (h ^ (uint8_t)e->type) * 16777619U;
	for (i = 0; e->dispatcher[i] != '\0'; i++)
		h = (h ^ (uint8_t)e->dispatcher[i]) * 16777619U;
	h = (h ^ 0xff) * 16777619U;
	if (e->type == ENVELOPE_MTA)
		who = (at = strrchr(e->dest, '@')) != NULL ? at + 1 : e->dest;
	else
		who = e->mda_user[0] != '\0' ? e->mda_user : e->dest;
	for (i = 0; who[i] != '\0'; i++)
		h = (h ^ (uint8_t)who[i]) * 16777619U;
	if (e->type == ENVELOPE_MDA) {
		/* a |command or /file destination goes its own way */
		h = (h ^ (uint8_t)e->mda_method) * 16777619U;
		for (i = 0; e->mda_exec[i] != '\0'; i++)
			h = (h ^ (uint8_t)e->mda_exec[i]) * 16777619U;
	}
	return h;
}

static void
index_grow(struct index *idx)
{
	struct index_entry *old = idx->slot;
	size_t i, j, oldn = idx->nslots;

	idx->nslots *= 2;
	idx->slot = xcalloc(idx->nslots, sizeof(*idx->slot));
	for (i = 0; i < oldn; i++) {
		if (old[i].evpid == 0)
			continue;
		j = index_hash(old[i].evpid, idx->nslots);
		while (idx->slot[j].evpid != 0)
			j = (j + 1) & (idx->nslots - 1);
		idx->slot[j] = old[i];
	}
	free(old);
}

/* 0, or -1 if evpid 0 or already present. */
int
index_add(struct index *idx, const struct index_entry *ie)
{
	size_t j;

	if (ie->evpid == 0 || index_get(idx, ie->evpid) != NULL)
		return -1;
	if ((idx->count + 1) * 2 > idx->nslots)
		index_grow(idx);
	j = index_hash(ie->evpid, idx->nslots);
	while (idx->slot[j].evpid != 0)
		j = (j + 1) & (idx->nslots - 1);
	idx->slot[j] = *ie;
	idx->count++;
	return 0;
}

struct index_entry *
index_get(const struct index *idx, uint64_t evpid)
{
	size_t j;

	if (evpid == 0)
		return NULL;
	j = index_hash(evpid, idx->nslots);
	while (idx->slot[j].evpid != 0) {
		if (idx->slot[j].evpid == evpid)
			return &idx->slot[j];
		j = (j + 1) & (idx->nslots - 1);
	}
	return NULL;
}

/* 0, or -1 if not present. */
int
index_remove(struct index *idx, uint64_t evpid)
{
	struct index_entry *ie;
	size_t i, j, home, mask = idx->nslots - 1;

	if ((ie = index_get(idx, evpid)) == NULL)
		return -1;
	i = (size_t)(ie - idx->slot);
	memset(&idx->slot[i], 0, sizeof(idx->slot[i]));
	/* Shift back every entry of the run that probed past slot i. */
	for (j = (i + 1) & mask; idx->slot[j].evpid != 0; j = (j + 1) & mask) {
		home = index_hash(idx->slot[j].evpid, idx->nslots);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			idx->slot[i] = idx->slot[j];
			memset(&idx->slot[j], 0, sizeof(idx->slot[j]));
			i = j;
		}
	}
	idx->count--;
	return 0;
}

size_t
index_count(const struct index *idx)
{
	return idx->count;
}

/* Calls fn for each entry until it returns non-zero (returned). */
int
index_foreach(const struct index *idx,
    int (*fn)(const struct index_entry *, void *), void *arg)
{
	size_t i;
	int r;

	for (i = 0; i < idx->nslots; i++)
		if (idx->slot[i].evpid != 0 &&
		    (r = fn(&idx->slot[i], arg)) != 0)
			return r;
	return 0;
}

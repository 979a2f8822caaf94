/*
 * fresh.c: the encoded envelopes of the last commits (fresh.h). Loop
 * thread only. An entry is exactly the bytes written to the envelope
 * file, and nothing rewrites an envelope before its first dispatch (a
 * `smtpctl remove` is checked by the dispatch either way), so the copy
 * stands for the file.
 */
#include <stdlib.h>

#include "lib/xmalloc.h"
#include "queue/fresh.h"

struct fresh_env {
	TAILQ_ENTRY(fresh_env)	 entry;
	uint64_t		 evpid;
	uint8_t			*data;
	size_t			 len;
};

void
fresh_init(struct fresh *f)
{
	TAILQ_INIT(&f->list);
	f->n = 0;
}

static void
fresh_drop(struct fresh *f, struct fresh_env *e)
{
	TAILQ_REMOVE(&f->list, e, entry);
	f->n--;
	free(e->data);
	free(e);
}

void
fresh_clear(struct fresh *f)
{
	while (!TAILQ_EMPTY(&f->list))
		fresh_drop(f, TAILQ_FIRST(&f->list));
}

/* Takes `data` (malloc'd), and forgets the oldest beyond FRESH_MAX. */
void
fresh_keep(struct fresh *f, uint64_t evpid, uint8_t *data, size_t len)
{
	struct fresh_env *e;

	e = xcalloc(1, sizeof(*e));
	e->evpid = evpid;
	e->data = data;
	e->len = len;
	TAILQ_INSERT_TAIL(&f->list, e, entry);
	if (++f->n > FRESH_MAX)
		fresh_drop(f, TAILQ_FIRST(&f->list));
}

/* The envelope's bytes, now the caller's to free; 0 if not kept. */
int
fresh_take(struct fresh *f, uint64_t evpid, uint8_t **data, size_t *len)
{
	struct fresh_env *e;

	/* dispatch goes oldest first: the match is near the head */
	TAILQ_FOREACH(e, &f->list, entry)
		if (e->evpid == evpid)
			break;
	if (e == NULL)
		return 0;
	*data = e->data;
	*len = e->len;
	e->data = NULL;
	fresh_drop(f, e);
	return 1;
}

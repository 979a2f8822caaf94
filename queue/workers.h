/*
 * workers.h: a fixed pool of threads for the queue's blocking disk calls,
 * so the event loop never waits on a disk. The loop thread owns every
 * piece of role state; a job is a self-contained struct the loop fills
 * in, a worker runs (run), and the loop gets back (done, called on the
 * loop thread through an ev_async). Between submit and done the loop
 * must not touch the job; run must not touch anything but the job and
 * what it points to that no one else writes.
 */
#ifndef QUEUE_WORKERS_H
#define QUEUE_WORKERS_H

#include <stdatomic.h>
#include <stddef.h>

#include <ev.h>

#define WORKERS_MAX	64

struct workers_job {
	struct workers_job	*next;		/* the pool's */
	void			(*run)(struct workers_job *);	/* worker */
	void			(*done)(struct workers_job *);	/* loop */
};

struct workers;

struct workers	*workers_new(struct ev_loop *, int);
void		 workers_submit(struct workers *, struct workers_job *);
size_t		 workers_busy(const struct workers *);
const atomic_int *workers_stopping(const struct workers *);
void		 workers_free(struct workers *);

#endif

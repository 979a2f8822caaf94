/*
 * workers.h: a fixed pool of threads for the queue's blocking disk calls,
 * so the event loop never waits on a disk. The loop thread owns every
 * piece of role state; a job is a self-contained struct the loop fills
 * in, a worker runs (run), and the loop gets back (done, called on the
 * loop thread through an ev_async). Between submit and done the loop
 * must not touch the job; run must not touch anything but the job and
 * what it points to that no one else writes.
 * With PROFILE_QUEUE on (smtpctl profile queue) when a job is submitted,
 * its times are logged before its done callback:
 *	profile queue op=OP usec=RUN wait=QUEUED
 * (microseconds in the worker, and waiting for one).
 */
#ifndef QUEUE_WORKERS_H
#define QUEUE_WORKERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <ev.h>

#define WORKERS_MAX	64

struct workers_job {
	struct workers_job	*next;		/* the pool's */
	void			(*run)(struct workers_job *);	/* worker */
	void			(*done)(struct workers_job *);	/* loop */
	const char		*op;		/* static name, for profile */
	/* the pool's: `smtpctl profile queue` timing */
	int			 profile;
	struct timespec		 queued;
	long long		 wait_usec, run_usec;
};

struct workers;

struct workers	*workers_new(struct ev_loop *, int);
void		 workers_submit(struct workers *, struct workers_job *);
size_t		 workers_busy(const struct workers *);
const atomic_int *workers_stopping(const struct workers *);
void		 workers_free(struct workers *);
long long	 workers_usec(const struct timespec *, const struct timespec *);

#endif

/*
 * workers.c: the queue's thread pool (workers.h). Jobs wait in one FIFO
 * guarded by a mutex; finished jobs go to a second list and an ev_async
 * wakes the loop, which runs their done callbacks. Threads block every
 * signal, so SIGTERM and friends reach the loop thread only. Called by
 * queue.c; never touches role state itself.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/workers.h"

struct workers {
	struct ev_loop		*loop;
	ev_async		 async;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct workers_job	*todo, **todo_tail;	/* under lock */
	struct workers_job	*done, **done_tail;	/* under lock */
	atomic_int		 stop;
	size_t			 busy;		/* loop thread only */
	int			 nthreads;
	pthread_t		 thread[WORKERS_MAX];
};

static void	*workers_main(void *);
static void	 workers_async_cb(struct ev_loop *, ev_async *, int);
/* Microseconds from one CLOCK_MONOTONIC reading to a later one. */
long long
workers_usec(const struct timespec *from, const struct timespec *to)
{
	return (long long)(to->tv_sec - from->tv_sec) * 1000000 +
	    (to->tv_nsec - from->tv_nsec) / 1000;
}

static void *
workers_main(void *arg)
{
	struct workers *w = arg;
	struct workers_job *job;
	struct timespec t0, t1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!atomic_load(&w->stop) && w->todo == NULL)
			pthread_cond_wait(&w->cond, &w->lock);
		if (atomic_load(&w->stop))
			break;
		job = w->todo;
		if ((w->todo = job->next) == NULL)
			w->todo_tail = &w->todo;
		job->next = NULL;
		pthread_mutex_unlock(&w->lock);

		if (job->profile) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			job->run(job);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			job->wait_usec = workers_usec(&job->queued, &t0);
			job->run_usec = workers_usec(&t0, &t1);
		} else
			job->run(job);

		pthread_mutex_lock(&w->lock);
		*w->done_tail = job;
		w->done_tail = &job->next;
		pthread_mutex_unlock(&w->lock);
		ev_async_send(w->loop, &w->async);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Loop thread: hand every finished job back to its owner. */
static void
workers_async_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct workers *w = a->data;
	struct workers_job *job, *next;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&w->lock);
	job = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->lock);
	for (; job != NULL; job = next) {
		next = job->next;
		job->next = NULL;
		w->busy--;
		if (job->profile)
			log_info("profile queue op=%s usec=%lld wait=%lld",
			    job->op != NULL ? job->op : "job", job->run_usec,
			    job->wait_usec);
		job->done(job);		/* may free the job */
	}
}

struct workers *
workers_new(struct ev_loop *loop, int nthreads)
{
	struct workers *w;
	sigset_t all, old;
	int i, e;

	if (nthreads < 1 || nthreads > WORKERS_MAX)
		fatalx("workers: bad thread count %d", nthreads);
	w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	atomic_init(&w->stop, 0);
	if (pthread_mutex_init(&w->lock, NULL) != 0 ||
	    pthread_cond_init(&w->cond, NULL) != 0)
		fatalx("workers: cannot initialise locks");
	ev_async_init(&w->async, workers_async_cb);
	w->async.data = w;
	ev_async_start(loop, &w->async);

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < nthreads; i++) {
		if ((e = pthread_create(&w->thread[i], NULL, workers_main,
		    w)) != 0) {
			errno = e;
			fatal("workers: pthread_create");
		}
		w->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return w;
}

/* Loop thread: queue a job; its done callback runs on the loop later. */
void
workers_submit(struct workers *w, struct workers_job *job)
{
	job->next = NULL;
	w->busy++;
	/* the loop thread reads the mask; the job carries it to the worker */
	if ((job->profile = (log_getprofile() & PROFILE_QUEUE) != 0))
		clock_gettime(CLOCK_MONOTONIC, &job->queued);
	pthread_mutex_lock(&w->lock);
	*w->todo_tail = job;
	w->todo_tail = &job->next;
	pthread_mutex_unlock(&w->lock);
	/* after the unlock: a woken worker does not block on the mutex */
	pthread_cond_signal(&w->cond);
}

/* Jobs submitted whose done callback has not run yet. */
size_t
workers_busy(const struct workers *w)
{
	return w->busy;
}

/* Long jobs (walk, purge) poll this and give up when it is set. */
const atomic_int *
workers_stopping(const struct workers *w)
{
	return &w->stop;
}

/*
 * Stop: running jobs finish, queued ones never start, no done callback
 * runs any more (the process is going away; their memory goes with it).
 */
void
workers_free(struct workers *w)
{
	int i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, 1);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->thread[i], NULL);
	ev_async_stop(w->loop, &w->async);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/*
 * queue_workers_test.c: unit tests for queue/workers.c: every job runs
 * once on a worker thread, its done callback runs once on the loop
 * thread; slow jobs overlap (a pool, not a queue served by one thread);
 * stopping the pool joins its threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "queue/workers.h"

#define JOBS	500

struct tjob {
	struct workers_job	 job;
	pthread_t		 loop_thread;
	int			 value, result, ran_on_loop, sleep_ms;
	int			*done_count, target;
	struct ev_loop		*loop;
};

static atomic_int	running, max_running;

static void
tjob_run(struct workers_job *job)
{
	struct tjob *t = (struct tjob *)job;
	int now, max;

	now = atomic_fetch_add(&running, 1) + 1;
	while ((max = atomic_load(&max_running)) < now &&
	    !atomic_compare_exchange_weak(&max_running, &max, now))
		;
	t->ran_on_loop = pthread_equal(pthread_self(), t->loop_thread);
	t->result = t->value * 2;
	if (t->sleep_ms)
		usleep((useconds_t)t->sleep_ms * 1000);
	atomic_fetch_sub(&running, 1);
}

static void
tjob_done(struct workers_job *job)
{
	struct tjob *t = (struct tjob *)job;

	assert_true(pthread_equal(pthread_self(), t->loop_thread));
	assert_false(t->ran_on_loop);
	assert_int_equal(t->result, t->value * 2);
	if (++*t->done_count == t->target)
		ev_break(t->loop, EVBREAK_ALL);
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
run_jobs(int nthreads, int njobs, int sleep_ms)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct workers *w;
	struct tjob *jobs;
	ev_timer timeout;
	int i, done = 0;

	atomic_store(&running, 0);
	atomic_store(&max_running, 0);
	w = workers_new(loop, nthreads);
	jobs = calloc((size_t)njobs, sizeof(*jobs));
	for (i = 0; i < njobs; i++) {
		jobs[i].job.run = tjob_run;
		jobs[i].job.done = tjob_done;
		jobs[i].loop_thread = pthread_self();
		jobs[i].value = i;
		jobs[i].sleep_ms = sleep_ms;
		jobs[i].done_count = &done;
		jobs[i].target = njobs;
		jobs[i].loop = loop;
		workers_submit(w, &jobs[i].job);
	}
	assert_int_equal(workers_busy(w), njobs);
	ev_timer_init(&timeout, timeout_cb, 20., 0.);
	ev_timer_start(loop, &timeout);
	ev_run(loop, 0);
	ev_timer_stop(loop, &timeout);
	assert_int_equal(done, njobs);
	assert_int_equal(workers_busy(w), 0);
	workers_free(w);
	free(jobs);
	ev_loop_destroy(loop);
}

static void
test_many(void **state)
{
	(void)state;
	run_jobs(8, JOBS, 0);
	run_jobs(1, 50, 0);
}

/* 16 jobs of 100 ms on 16 threads overlap. */
static void
test_overlap(void **state)
{
	struct timespec t0, t1;
	double took;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_jobs(16, 16, 100);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(atomic_load(&max_running) >= 8);
	assert_true(took < 1.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_overlap),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

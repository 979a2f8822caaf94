/*
 * groupsync.c: see groupsync.h. Called by the queue role's worker threads
 * from commit.c; never by the loop thread (it blocks).
 *
 * Correctness: a caller's writes happened before it called; it returns
 * only after a sync that *started* after its call has completed, so that
 * sync covered them. A sync that fails fails every caller of its round.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "queue/groupsync.h"

void
groupsync_init(struct groupsync *gs, int fd)
{
	size_t i;

	if (pthread_mutex_init(&gs->lock, NULL) != 0 ||
	    pthread_cond_init(&gs->cond, NULL) != 0)
		abort();	/* only fails for lack of resources at start */
	gs->fd = fd;
	gs->running = 0;
	gs->started = gs->completed = gs->nsyncs = 0;
	for (i = 0; i < GROUPSYNC_RING; i++) {
		gs->round[i] = 0;
		gs->error[i] = 0;
	}
}

void
groupsync_clear(struct groupsync *gs)
{
	pthread_cond_destroy(&gs->cond);
	pthread_mutex_destroy(&gs->lock);
}

/* 0 once everything written before the call is durable, else -1/errno. */
int
groupsync_wait(struct groupsync *gs)
{
	uint64_t target, mine;
	int err;

	pthread_mutex_lock(&gs->lock);
	/* A round already running may have begun before our writes. */
	target = gs->started + 1;
	while (gs->completed < target) {
		if (gs->running) {
			pthread_cond_wait(&gs->cond, &gs->lock);
			continue;
		}
		gs->running = 1;
		mine = ++gs->started;
		pthread_mutex_unlock(&gs->lock);
		err = syncfs(gs->fd) == -1 ? errno : 0;
		pthread_mutex_lock(&gs->lock);
		gs->round[mine % GROUPSYNC_RING] = mine;
		gs->error[mine % GROUPSYNC_RING] = err;
		gs->completed = mine;
		gs->nsyncs++;
		gs->running = 0;
		pthread_cond_broadcast(&gs->cond);
	}
	/* A round is rarely overwritten before its waiters wake; if it was,
	 * a later round covered them as well, and its result stands. */
	err = gs->error[target % GROUPSYNC_RING];
	pthread_mutex_unlock(&gs->lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

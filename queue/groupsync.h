/*
 * groupsync.h: group commit for the spool. A worker that needs everything
 * it wrote so far to be durable calls groupsync_wait(); the first waiter
 * runs one syncfs(2) of the spool's filesystem for every thread waiting
 * at that moment, later arrivals wait for the next round. N concurrent
 * commits then cost two filesystem syncs per round instead of 4N fsyncs,
 * and the block layer merges their writes.
 */
#ifndef QUEUE_GROUPSYNC_H
#define QUEUE_GROUPSYNC_H

#include <pthread.h>
#include <stdint.h>

#define GROUPSYNC_RING	64	/* results kept for late wakers */

struct groupsync {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 fd;		/* any descriptor on the filesystem */
	int		 running;
	uint64_t	 started;	/* rounds begun */
	uint64_t	 completed;	/* rounds finished */
	uint64_t	 round[GROUPSYNC_RING];
	int		 error[GROUPSYNC_RING];
	uint64_t	 nsyncs;	/* statistics */
};

void	groupsync_init(struct groupsync *, int);
void	groupsync_clear(struct groupsync *);
int	groupsync_wait(struct groupsync *);

#endif

/*
 * recycle.h: spare message directories in free/ (design.md "The queue
 * role", "Spare directories"). A removed message's directory, its message
 * file and one envelope file, emptied, wait there for the next CREATE
 * instead of being deleted and made again.
 */
#ifndef QUEUE_RECYCLE_H
#define QUEUE_RECYCLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RECYCLE_MAX	128		/* spare directories kept */
#define RECYCLE_SPARE	"spare"		/* the envelope file, overwritten */
#define RECYCLE_NOKEEP	".nokeep"	/* suffix of a purge/ entry never
					 * kept: a delivery may read it */

/* The spares ready in free/, shared by the loop thread and the workers. */
struct recycle {
	pthread_mutex_t	 lock;
	uint32_t	 id[RECYCLE_MAX];	/* free/<id>, as %08x */
	size_t		 n;
	size_t		 reserved;		/* being prepared */
};

void	recycle_init(struct recycle *);
void	recycle_clear(struct recycle *);
int	recycle_keep(struct recycle *, int, int, const char *, const char *);
int	recycle_take(struct recycle *, int, const char *);
int	recycle_open(int, const char *);
int	recycle_open_spare(int, const char *, off_t *);
int	recycle_sweep(struct recycle *, int, const char *, const atomic_int *,
	    size_t *, size_t *);

#endif

/*
 * commit.h: the spool side of a message transaction (design.md "A
 * message's way" steps 3-4): create incoming/<msgid>/message, commit it
 * with its envelopes to queue/<hh>/<msgid>/ durably, or discard it to
 * purge/. Blocking functions on the spool's directory descriptor, run by
 * the queue role's worker threads (queue.c) and by unit tests directly.
 * They never log and never touch the event loop: the outcome is a struct
 * commit_result the caller turns into a reply and a log line.
 */
#ifndef QUEUE_COMMIT_H
#define QUEUE_COMMIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/groupsync.h"
#include "queue/recycle.h"

#define COMMIT_MESSAGE		"message"	/* the body's file name */
#define COMMIT_BUCKETS		256		/* queue/00 ... queue/ff */
#define COMMIT_BUCKET(msgid)	((unsigned int)((msgid) & 0xff))
#define COMMIT_CREATE_TRIES	64		/* msgid draws per create */

/* Where a transaction failed; also the points a test can fail on. */
enum commit_step {
	COMMIT_STEP_NONE,
	COMMIT_STEP_MKDIR,		/* incoming/<msgid> */
	COMMIT_STEP_CREATE_MESSAGE,	/* incoming/<msgid>/message */
	COMMIT_STEP_OPEN_MESSAGE,
	COMMIT_STEP_FSYNC_MESSAGE,
	COMMIT_STEP_OPEN_DIR,
	COMMIT_STEP_WRITE_ENVELOPE,
	COMMIT_STEP_FSYNC_ENVELOPE,
	COMMIT_STEP_FSYNC_DIR,		/* incoming/<msgid> */
	COMMIT_STEP_MKDIR_BUCKET,	/* queue/<hh> */
	COMMIT_STEP_FSYNC_QUEUE,	/* queue/ after making <hh> */
	COMMIT_STEP_RENAME,		/* incoming/<msgid> -> queue/<hh>/ */
	COMMIT_STEP_FSYNC_BUCKET,	/* queue/<hh> */
	COMMIT_STEP_DISCARD,		/* incoming/<msgid> -> purge/ */
	COMMIT_STEP_COUNT
};

/*
 * The spool as the commit functions see it. Shared by every worker
 * thread: fd is read-only after init; bucket_ok[hh] says queue/<hh>
 * exists and its entry in queue/ was fsynced by this process.
 */
struct commit_spool {
	int			 fd;		/* spool root, not owned */
	struct groupsync	 gs;		/* shared syncfs rounds */
	pthread_mutex_t		 bucket_lock;
	atomic_uchar		 bucket_ok[COMMIT_BUCKETS];
	struct recycle		 spares;	/* free/ (recycle.c) */
};

/* One envelope to write: the encoded record stream (envelope.c). */
struct commit_envelope {
	uint64_t		 evpid;
	const uint8_t		*data;
	size_t			 len;
};

struct commit_result {
	uint32_t		 msgid;
	int			 status;	/* enum queue_status */
	int			 error;		/* errno when not QUEUE_OK */
	enum commit_step	 step;		/* where it failed */
	int64_t			 size;		/* message bytes (commit) */
};

/* Tests only: return an errno to make that step fail, 0 to go on. */
extern int	(*commit_fault)(enum commit_step, uint32_t msgid);

void	 commit_spool_init(struct commit_spool *, int);
void	 commit_spool_clear(struct commit_spool *);
int	 commit_create(struct commit_spool *, uint32_t *, int *,
	    struct commit_result *);
int	 commit_message(struct commit_spool *, uint32_t,
	    const struct commit_envelope *, size_t, struct commit_result *);
int	 commit_stage(struct commit_spool *, uint32_t,
	    const struct commit_envelope *, size_t, struct commit_result *);
int	 commit_publish(struct commit_spool *, uint32_t,
	    struct commit_result *);
int	 commit_sync(struct commit_spool *, uint32_t, enum commit_step,
	    struct commit_result *);
void	 commit_abort(struct commit_spool *, uint32_t, enum commit_step, int,
	    struct commit_result *);
int	 commit_remove_incoming(struct commit_spool *, uint32_t, int);
int	 commit_discard(struct commit_spool *, uint32_t,
	    struct commit_result *);
int	 commit_purge(struct commit_spool *, const atomic_int *, size_t *);
int	 commit_status(int);
const char *commit_step_name(enum commit_step);

#endif

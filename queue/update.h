/*
 * update.h: durable changes to committed envelopes, for the queue role's
 * worker threads (and unit tests): write queue/<hh>/<msgid>/<evpid> anew
 * after a deferral, remove it after a delivery or a bounce, and send the
 * message directory to purge/ with its last envelope. Blocking, on the
 * spool's directory descriptor, like commit.h; never logs, never touches
 * the event loop. One job per envelope at a time (the scheduler's
 * inflight mark sees to it); jobs on different envelopes of one message
 * may run at once.
 */
#ifndef QUEUE_UPDATE_H
#define QUEUE_UPDATE_H

#include <stddef.h>
#include <stdint.h>

struct recycle;

struct envelope;

#define UPDATE_TMP_SUFFIX	".tmp"	/* <evpid>.tmp beside <evpid> */

/* Where an update or removal failed; also the points a test can fail on. */
enum update_step {
	UPDATE_STEP_NONE,
	UPDATE_STEP_ENCODE,		/* update_envelope_write() only */
	UPDATE_STEP_OPEN_DIR,		/* queue/<hh>/<msgid> */
	UPDATE_STEP_CREATE,		/* <evpid>.tmp, O_EXCL */
	UPDATE_STEP_WRITE,
	UPDATE_STEP_FSYNC,		/* <evpid>.tmp */
	UPDATE_STEP_RENAME,		/* <evpid>.tmp over <evpid> */
	UPDATE_STEP_FSYNC_DIR,		/* queue/<hh>/<msgid> */
	UPDATE_STEP_UNLINK,		/* <evpid> */
	UPDATE_STEP_PURGE,		/* queue/<hh>/<msgid> -> purge/ */
	UPDATE_STEP_COUNT
};

struct update_result {
	int			 status;	/* enum queue_status */
	int			 error;		/* errno when not QUEUE_OK */
	enum update_step	 step;		/* where it failed */
	int			 purged;	/* removal took the message to
						 * purge/ (the caller purges) */
	int			 recycled;	/* ... or kept it in free/ */
};

/* Tests only: return an errno to make that step fail, 0 to go on. */
extern int	(*update_fault)(enum update_step, uint64_t evpid);

int	 update_envelope(int, uint64_t, const uint8_t *, size_t,
	    struct update_result *);
int	 update_envelope_write(int, const struct envelope *,
	    struct update_result *);
int	 update_envelope_add(int, const struct envelope *,
	    struct update_result *);
int	 update_remove(int, struct recycle *, uint64_t,
	    struct update_result *);
int	 update_remove_kept(int, struct recycle *, uint64_t,
	    struct update_result *);
int	 update_remove_unkept(int, struct recycle *, uint64_t,
	    struct update_result *);
const char *update_step_name(enum update_step);

#endif

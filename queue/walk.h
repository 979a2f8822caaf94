/*
 * walk.h: the queue's start-up walk over the spool. Deletes what was
 * never acknowledged (incoming/) or already discarded (purge/), checks
 * every committed message in queue/<hh>/<msgid>/, moves what fails to
 * corrupt/ (quarantine.c) and indexes the good envelopes. Runs once, in
 * a worker thread before the role takes its first message, or directly
 * in unit tests. Whatever it finds, it returns: the daemon keeps running.
 */
#ifndef QUEUE_WALK_H
#define QUEUE_WALK_H

#include <stdatomic.h>
#include <stddef.h>

struct index;

struct walk_stats {
	size_t	messages;	/* message directories kept */
	size_t	envelopes;	/* envelopes indexed */
	size_t	quarantined;	/* files and directories sent to corrupt/ */
	size_t	incoming;	/* entries deleted from incoming/ */
	size_t	purged;		/* entries deleted from purge/ */
	size_t	errors;		/* what could not be handled, left in place */
	int	cancelled;	/* stopped early: the role is exiting */
};

int	walk_spool(int, struct index *, struct walk_stats *,
	    const atomic_int *);

#endif

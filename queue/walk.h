/*
 * walk.h: the queue's start-up walk over the spool. Deletes what was
 * never acknowledged (incoming/) or already discarded (purge/), checks
 * every committed message in queue/<hh>/<msgid>/, moves what fails to
 * corrupt/ (quarantine.c) and indexes the good envelopes. Runs once, in
 * a worker thread before the role takes its first message, or directly
 * in unit tests. Whatever it finds, it returns: the daemon keeps running.
 * walk_discover() applies the same envelope checks to one message of a
 * running queue (smtpctl discover).
 */
#ifndef QUEUE_WALK_H
#define QUEUE_WALK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

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
/*
 * smtpctl discover (queue/ctl_discover.c, in a worker, on a live spool):
 * the envelope files of queue/<hh>/<msgid>/ (only `evpid`, unless it is
 * 0) that are not in `known` (evpids, sorted) are checked as the walk
 * checks them: good ones are added to the index given, bad ones are
 * quarantined (st->envelopes, st->quarantined). Nothing else is
 * touched: strays and update leftovers stay (an update may be writing),
 * the message itself is never quarantined. 0, or -1 with errno (ENOENT:
 * no such message directory, or no message file in it).
 */
int	walk_discover(int, uint32_t, uint64_t, const uint64_t *, size_t,
	    struct index *, struct walk_stats *);

#endif

/*
 * bounce.h: delivery reports (protocol.md A.13) in the queue role.
 *
 * A report starts as a BOUNCE envelope in the original message's
 * directory: a failed envelope is rewritten in place into one (failure
 * report), a delayed one gets a sibling copy (delay warning), a delivered
 * one with NOTIFY=SUCCESS is rewritten into one (success report). So the
 * report survives a crash exactly like the mail it is about, and the
 * original message stays on disk until every report that quotes it is
 * made.
 *
 * When the scheduler picks BOUNCE envelopes, those of one message, kind
 * and report recipient that come within BOUNCE_GATHER seconds make one
 * report (bounce.c). The report recipient is routed like any recipient:
 * the lookup role answers an IMSG_LKA_RCPT for it (from local, null
 * sender), then a worker writes the report as a new message with those
 * envelopes through the commit protocol, and only after that commit
 * removes the BOUNCE envelopes (bounce_make.c). A crash between the two
 * can send a report twice; it can never lose one.
 */
#ifndef QUEUE_BOUNCE_H
#define QUEUE_BOUNCE_H

#include <sys/queue.h>

#include <ev.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "queue/envelope.h"
#include "smtpd/proc.h"

#define BOUNCE_GATHER		1.0	/* seconds to wait for siblings */
#define BOUNCE_RCPTS_MAX	100	/* recipients in one report */
#define BOUNCE_EXPANSIONS_MAX	1000	/* envelopes of one report */
#define BOUNCE_POSTMASTER	"postmaster"

struct queue;
struct ipc_msg;

/* One report in the making; loop thread only, except the worker job. */
struct bounce {
	TAILQ_ENTRY(bounce)	 entry;
	struct queue		*q;
	uint32_t		 msgid;		/* the original message */
	enum envelope_bounce_type type;
	int			 twice;		/* to the postmaster: F_DOUBLE */
	char			 to[ENVELOPE_ADDR_MAX + 1];
	struct envelope		*envs;		/* the BOUNCE envelopes */
	size_t			 n, cap;
	ev_timer		 timer;
	uint32_t		 reqid;		/* towards lookup; 0: not asked */
	int			 making;	/* a worker writes it: hands off */
	struct envelope		*exp;		/* lookup's envelope templates */
	size_t			 nexp, expcap;
};
TAILQ_HEAD(bounce_list, bounce);

/* bounce_convert.c: pure */
int	 bounce_convert(struct envelope *, enum envelope_bounce_type,
	    const char *, time_t);
int	 bounce_delayed_copy(const struct envelope *, uint64_t, time_t,
	    time_t, struct envelope *);

/* bounce.c: the loop thread's side */
void	 bounce_init(struct queue *);
void	 bounce_add(struct queue *, const struct envelope *);
int	 bounce_lookup_reply(struct queue *, struct ipc_msg *);
void	 bounce_peer_lost(struct queue *, enum proc_id);
void	 bounce_done(struct bounce *, int);
void	 bounce_free(struct bounce *);

/* bounce_make.c: the worker job that writes and commits a report */
void	 bounce_make(struct bounce *);

#endif

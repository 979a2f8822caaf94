/*
 * ctl_discover.c: `smtpctl discover EVPID|MSGID` in the queue role
 * (smtpd/ctl_msg.h CTL_DISCOVER): envelope files that were put into a
 * message's directory by hand, behind the running daemon's back, join
 * the schedule as if the daemon had found them at start-up. Called by
 * ctl.c, one command at a time like the others that change envelopes.
 * The loop thread takes the message's indexed evpids; a worker reads the
 * directory with the start-up walk's checks (walk_discover(): a corrupt
 * envelope goes to corrupt/, nothing else is touched) into an index of
 * its own; back on the loop, every envelope still unknown is scheduled
 * (queue_dispatch_add) and counted for the reply ("N envelope(s)
 * discovered"). An unknown message or envelope counts 0.
 * Never schedules an envelope twice: what the index has is skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ids.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/ctl.h"
#include "queue/index.h"
#include "queue/queue.h"
#include "queue/walk.h"
#include "queue/workers.h"

struct qdisc_job {
	struct workers_job	 job;
	struct queue		*q;
	int			 spoolfd;
	uint32_t		 reqid;
	uint32_t		 uid;
	uint32_t		 msgid;
	uint64_t		 evpid;		/* 0: the whole message */
	uint64_t		*known;		/* indexed evpids, sorted */
	size_t			 nknown;
	struct index		*found;
	struct walk_stats	 st;
	int			 ret;
	int			 error;
};

/* The envelopes found, copied out of the job's index. */
struct qdisc_list {
	struct index_entry	*v;
	size_t			 n, cap;
};

static void	queue_ctl_discover_run(struct workers_job *);
static void	queue_ctl_discover_done(struct workers_job *);
static int	queue_ctl_discover_collect(const struct index_entry *, void *);

void
queue_ctl_discover(struct queue *q, uint32_t reqid,
    const struct ctl_request *req)
{
	struct qdisc_job *j;

	j = xcalloc(1, sizeof(*j));
	j->job.run = queue_ctl_discover_run;
	j->job.done = queue_ctl_discover_done;
	j->job.op = "discover";
	j->q = q;
	j->spoolfd = q->spoolfd;
	j->reqid = reqid;
	j->uid = req->uid;
	if (req->idkind == CTL_ID_EVPID) {
		j->evpid = req->id;
		j->msgid = ids_evpid_msgid(req->id);
	} else
		j->msgid = (uint32_t)req->id;
	j->nknown = queue_ctl_collect(q, CTL_ID_MSGID, j->msgid, 0,
	    &j->known);
	j->found = index_new();
	q->ctl->busy = 1;
	workers_submit(q->pool, &j->job);
}

static void
queue_ctl_discover_run(struct workers_job *job)
{
	struct qdisc_job *j = (struct qdisc_job *)job;

	j->ret = walk_discover(j->spoolfd, j->msgid, j->evpid, j->known,
	    j->nknown, j->found, &j->st);
	if (j->ret == -1)
		j->error = errno;
}

static int
queue_ctl_discover_collect(const struct index_entry *ie, void *arg)
{
	struct qdisc_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *ie;
	return 0;
}

static void
queue_ctl_discover_done(struct workers_job *job)
{
	struct qdisc_job *j = (struct qdisc_job *)job;
	struct queue *q = j->q;
	struct qdisc_list l;
	uint64_t n = 0;
	size_t i;

	memset(&l, 0, sizeof(l));
	index_foreach(j->found, queue_ctl_discover_collect, &l);
	for (i = 0; i < l.n; i++) {
		/* committed or discovered by another way meanwhile */
		if (index_get(q->index, l.v[i].evpid) != NULL)
			continue;
		queue_dispatch_add(q, &l.v[i]);
		log_info("%016llx queue event=discover",
		    (unsigned long long)l.v[i].evpid);
		n++;
	}
	if (j->ret == -1 && j->error != ENOENT)
		log_warnx("%08x queue event=discover result=TempFail "
		    "error=\"%s\" uid=%u", j->msgid, strerror(j->error),
		    j->uid);
	else
		log_info("%08x queue event=discover envelopes=%llu "
		    "quarantined=%zu%s uid=%u", j->msgid,
		    (unsigned long long)n, j->st.quarantined,
		    j->ret == -1 ? " note=no-message" : "", j->uid);
	if (n > 0)
		queue_dispatch_wake(q);
	if (j->ret == -1 && j->error != ENOENT)
		queue_ctl_status(q, j->reqid, CTL_FAIL, strerror(j->error));
	else
		queue_ctl_count(q, j->reqid, n);
	free(l.v);
	free(j->known);
	index_free(j->found);
	free(j);
	queue_ctl_done(q);
}

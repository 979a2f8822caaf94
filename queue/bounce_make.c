/*
 * bounce_make.c: the worker job that turns a gathered report (bounce.h)
 * into a queued message. In a worker: create incoming/<new msgid>/, write
 * the RFC 3464 report (dsn.c) quoting the original message, commit it
 * with one envelope per routed destination (commit.c: fsyncs, rename),
 * and only then remove the BOUNCE envelopes (update.c). Back on the loop
 * thread the new envelopes join the schedule. The worker reads only the
 * copies in its job and the struct bounce, which the loop thread leaves
 * alone while `making` is set.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ids.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/bounce.h"
#include "queue/commit.h"
#include "queue/dsn.h"
#include "queue/queue.h"
#include "queue/queue_msg.h"
#include "queue/spool.h"
#include "queue/update.h"
#include "queue/workers.h"
#include "smtpd/config.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

#define BOUNCE_UNIQUE_SIZE	32

struct job_bounce {
	struct workers_job	 job;
	struct bounce		*b;
	struct commit_spool	*cs;
	int			 spoolfd;
	char			 name[CONFIG_HOSTNAME_MAX];
	time_t			 now;
	uint32_t		 newid;
	struct envelope		*out;		/* the report's envelopes */
	uint8_t			**enc;
	size_t			*enclen;
	struct commit_result	 res;
	size_t			 unremoved;	/* BOUNCE envelopes left */
	int			 purged;	/* the original went too */
	char			 err[DSN_ERR_SIZE];
};

static void	bounce_make_run(struct workers_job *);
static void	bounce_make_done(struct workers_job *);
static int	bounce_write(struct job_bounce *, int);
static int	bounce_envelopes(struct job_bounce *);
static void	bounce_rcpt(const struct envelope *, struct dsn_rcpt *);
static int	bounce_open_original(int, uint32_t);

void
bounce_make(struct bounce *b)
{
	struct queue *q = b->q;
	struct job_bounce *j;

	j = xcalloc(1, sizeof(*j));
	j->job.run = bounce_make_run;
	j->job.done = bounce_make_done;
	j->job.op = "bounce";
	j->b = b;
	j->cs = &q->cs;
	j->spoolfd = q->spoolfd;
	strlcpy(j->name, q->role->conf->hostname, sizeof(j->name));
	j->now = time(NULL);
	b->making = 1;
	ctl_stat_increment("bounce.message", 1);
	ctl_stat_increment("bounce.session", 1);
	workers_submit(q->pool, &j->job);
}

static int
bounce_open_original(int spoolfd, uint32_t msgid)
{
	char path[128];

	snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x/" COMMIT_MESSAGE,
	    COMMIT_BUCKET(msgid), msgid);
	return openat(spoolfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

/* One recipient block from a BOUNCE envelope. */
static void
bounce_rcpt(const struct envelope *e, struct dsn_rcpt *r)
{
	memset(r, 0, sizeof(*r));
	r->final_rcpt = e->rcpt;
	r->orcpt = e->dsn_orcpt;
	r->orcpt_utf8 = e->dsn_orcpt_type == ENVELOPE_ORCPT_UTF8;
	if (e->esc_class != 0)
		snprintf(r->status, sizeof(r->status), "%u.%u.%u",
		    e->esc_class, e->esc_subject, e->esc_detail);
	else
		snprintf(r->status, sizeof(r->status), "%s",
		    e->bounce_type == ENVELOPE_BOUNCE_FAILED ? "5.0.0" :
		    e->bounce_type == ENVELOPE_BOUNCE_DELAYED ? "4.0.0" :
		    "2.0.0");
	/* a relay's reply line ("550 5.1.1 ...") is an SMTP diagnostic */
	r->local = !(isdigit((unsigned char)e->errorline[0]) &&
	    isdigit((unsigned char)e->errorline[1]) &&
	    isdigit((unsigned char)e->errorline[2]) &&
	    (e->errorline[3] == ' ' || e->errorline[3] == '-'));
	r->diagnostic = e->errorline;
	r->remote_mta = e->remote_mta[0] != '\0' ? e->remote_mta : NULL;
	r->last_attempt = e->lasttry;
	/* failed with a temporary status: its lifetime ran out */
	r->expired = e->bounce_type == ENVELOPE_BOUNCE_FAILED &&
	    e->esc_class == 4;
}

/* The report itself into the new message file. */
static int
bounce_write(struct job_bounce *j, int fd)
{
	struct bounce *b = j->b;
	const struct envelope *e0 = &b->envs[0];
	struct dsn_report rep;
	struct dsn_rcpt *rcpts;
	char unique[BOUNCE_UNIQUE_SIZE];
	size_t i;
	int msgfd, ret;

	rcpts = xcalloc(b->n, sizeof(*rcpts));
	for (i = 0; i < b->n; i++)
		bounce_rcpt(&b->envs[i], &rcpts[i]);
	snprintf(unique, sizeof(unique), "%08x%08x", j->newid,
	    (unsigned int)arc4random());
	memset(&rep, 0, sizeof(rep));
	rep.kind = b->type == ENVELOPE_BOUNCE_FAILED ? DSN_FAILED :
	    b->type == ENVELOPE_BOUNCE_DELAYED ? DSN_DELAYED : DSN_DELIVERED;
	rep.reporting_mta = j->name;
	rep.to = b->to;
	rep.envid = e0->dsn_envid;
	rep.msgid = b->msgid;
	rep.unique = unique;
	rep.arrival = e0->ctime;
	rep.now = j->now;
	rep.retry_until = e0->ctime + e0->bounce_ttl;
	rep.ret_hdrs = e0->dsn_ret == ENVELOPE_RET_HDRS;
	rep.rcpts = rcpts;
	rep.nrcpts = b->n;
	msgfd = bounce_open_original(j->spoolfd, b->msgid);
	ret = dsn_write(fd, &rep, msgfd, j->err, sizeof(j->err));
	if (msgfd != -1)
		close(msgfd);
	free(rcpts);
	return ret;
}

/* The routed templates become the report's envelopes, encoded. */
static int
bounce_envelopes(struct job_bounce *j)
{
	struct bounce *b = j->b;
	struct envelope *e;
	uint32_t low = arc4random();
	size_t i;

	j->out = xcalloc(b->nexp, sizeof(*j->out));
	j->enc = xcalloc(b->nexp, sizeof(*j->enc));
	j->enclen = xcalloc(b->nexp, sizeof(*j->enclen));
	for (i = 0; i < b->nexp; i++) {
		e = &j->out[i];
		*e = b->exp[i];
		if (++low == 0)
			low = 1;
		e->evpid = (uint64_t)j->newid << 32 | low;
		e->sender[0] = '\0';
		e->flags |= ENVELOPE_F_BOUNCE | ENVELOPE_F_INTERNAL;
		if (b->twice)
			e->flags |= ENVELOPE_F_DOUBLE;
		e->ctime = j->now;
		if (envelope_encode(e, &j->enc[i], &j->enclen[i], j->err,
		    sizeof(j->err)) == -1)
			return -1;
	}
	return 0;
}

static void
bounce_make_run(struct workers_job *job)
{
	struct job_bounce *j = (struct job_bounce *)job;
	struct bounce *b = j->b;
	struct commit_envelope *cenv;
	struct commit_result dres;
	struct update_result ures;
	int fd;
	size_t i;

	if (commit_create(j->cs, &j->newid, &fd, &j->res) == -1) {
		snprintf(j->err, sizeof(j->err), "create: %s",
		    strerror(j->res.error));
		return;
	}
	if (bounce_write(j, fd) == -1 || bounce_envelopes(j) == -1) {
		close(fd);
		commit_discard(j->cs, j->newid, &dres);
		j->res.status = QUEUE_TEMPFAIL;
		return;
	}
	close(fd);
	cenv = xcalloc(b->nexp, sizeof(*cenv));
	for (i = 0; i < b->nexp; i++) {
		cenv[i].evpid = j->out[i].evpid;
		cenv[i].data = j->enc[i];
		cenv[i].len = j->enclen[i];
	}
	if (commit_message(j->cs, j->newid, cenv, b->nexp, &j->res) == -1) {
		snprintf(j->err, sizeof(j->err), "commit %s: %s",
		    commit_step_name(j->res.step), strerror(j->res.error));
		commit_discard(j->cs, j->newid, &dres);
		free(cenv);
		return;
	}
	free(cenv);
	/* The report is durable: its BOUNCE envelopes may go. */
	for (i = 0; i < b->n; i++)
		if (update_remove(j->spoolfd, NULL, b->envs[i].evpid,
		    &ures) == -1)
			j->unremoved++;
		else if (ures.purged)
			j->purged = 1;
}

static void
bounce_make_done(struct workers_job *job)
{
	struct job_bounce *j = (struct job_bounce *)job;
	struct bounce *b = j->b;
	struct queue *q = b->q;
	struct index_entry ie;
	size_t i, nexp = b->nexp;

	b->making = 0;
	ctl_stat_decrement("bounce.message", 1);
	ctl_stat_decrement("bounce.session", 1);
	if (j->res.status != QUEUE_OK) {
		log_warnx("%08x queue event=bounce to=<%s> result=TempFail "
		    "error=\"%s\"", b->msgid, b->to, j->err);
		for (i = 0; i < b->n; i++)
			sched_requeue(q->sched, b->envs[i].evpid, time(NULL) +
			    SCHED_RETRY_FIRST);
		bounce_free(b);
		queue_job_purge(q);
		goto out;
	}
	log_info("%08x queue event=bounce type=%s to=<%s> rcpts=%zu "
	    "report=%08x envelopes=%zu result=Ok", b->msgid,
	    b->type == ENVELOPE_BOUNCE_FAILED ? "failed" :
	    b->type == ENVELOPE_BOUNCE_DELAYED ? "delayed" : "delivered",
	    b->to, b->n, j->newid, b->nexp);
	if (j->unremoved)
		log_warnx("%08x queue event=bounce error=\"%zu report "
		    "envelopes not removed: the report may be sent again\"",
		    b->msgid, j->unremoved);
	for (i = 0; i < b->nexp; i++) {
		index_entry_set(&ie, &j->out[i]);
		queue_dispatch_add(q, &ie);
	}
	bounce_done(b, 1);
	if (j->purged)
		queue_job_purge(q);
out:
	if (j->enc != NULL)
		for (i = 0; i < nexp; i++)
			free(j->enc[i]);
	free(j->enc);
	free(j->enclen);
	free(j->out);
	free(j);
}

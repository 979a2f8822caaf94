/*
 * dispatch.c: the queue role drives the scheduler (scheduler.c): when
 * envelopes are due, a worker reads each one and opens its message, local
 * ones go to the parent (IMSG_MDA_DELIVER) which runs `deliver` as the
 * user, and each outcome comes back (IMSG_MDA_RESULT) to be applied:
 * delivered envelopes are removed, deferred ones rewritten with their next
 * try; failed and expired ones become BOUNCE envelopes in place, a due
 * delay warning adds one beside the deferred envelope, and NOTIFY=SUCCESS
 * turns a delivered one into one (bounce.h); picked BOUNCE envelopes go
 * to bounce.c. An envelope committed a moment ago is read from its copy
 * in memory (fresh.h) on the loop thread, without a worker. Relay ones
 * go to the relay role (IMSG_MTA_TRANSFER),
 * which answers the same way (IMSG_MTA_RESULT) and does its own
 * grouping into sessions and transactions.
 * Never loses an envelope: anything unclear leaves it on disk.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ids.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/bounce.h"
#include "queue/commit.h"
#include "queue/ctl.h"
#include "queue/lmtp_direct.h"
#include "queue/lmtp_sync.h"
#include "queue/mda_msg.h"
#include "queue/queue.h"
#include "queue/scheduler.h"
#include "queue/spool.h"
#include "queue/update.h"
#include "queue/workers.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"

#define DISPATCH_INFLIGHT_MAX	32	/* reads and local deliveries */
#define DISPATCH_RELAY_MAX	1024	/* envelopes at the relay role: it
					 * queues them per destination */
#define DISPATCH_ENVELOPE_MAX	ENVELOPE_ENCODED_MAX

struct inflight {
	TAILQ_ENTRY(inflight)	 entry;
	struct envelope		 env;
	int			 direct;	/* from incoming/, never queued:
						 * its outcome is lmtp_sync.c's */
};

struct job_read {
	struct workers_job	 job;
	struct queue		*q;
	int			 spoolfd;
	struct sched_item	 item;
	struct envelope		 env;
	int			 ok;
	int			 msgfd;
	char			 err[ENVELOPE_ERR_MAX];
};

/* What an update job does with the envelope. */
enum update_kind {
	UPDATE_REMOVE,		/* delivered or discarded: unlink */
	UPDATE_WRITE,		/* deferred: rewrite with its next try */
	UPDATE_REPORT,		/* became a BOUNCE envelope: rewrite */
};

struct job_update {
	struct workers_job	 job;
	struct queue		*q;
	int			 spoolfd;
	enum sched_action	 act;
	enum update_kind	 kind;
	const char		*reason;	/* static, for a drop's log */
	int			 kept_tried;	/* update_remove_kept() said no */
	struct envelope		 env;
	struct update_result	 res;
	int			 ret;
	int			 warned;	/* `warn` holds a delay report */
	struct envelope		 warn;
	struct update_result	 wres;
	int			 wret;
};

static void	dispatch_arm(struct queue *);
static void	dispatch_timer_cb(struct ev_loop *, ev_timer *, int);
static void	dispatch_read_run(struct workers_job *);
static void	dispatch_read_fresh(struct job_read *, const uint8_t *, size_t);
static void	dispatch_open_message(struct job_read *);
static void	dispatch_read_done(struct workers_job *);
static void	dispatch_apply(struct queue *, struct envelope *,
		    const struct sched_status *);
static void	dispatch_update_run(struct workers_job *);
static void	dispatch_update_done(struct workers_job *);
static void	dispatch_report(struct queue *, struct job_update *, time_t,
		    time_t);
static void	dispatch_replace(struct queue *, const struct envelope *);
static struct inflight *dispatch_inflight_take(struct queue *, uint64_t);

void
queue_dispatch_start(struct queue *q)
{
	TAILQ_INIT(&q->inflight);
	fresh_init(&q->fresh);
	q->started = time(NULL);
	sched_conf_default(&q->schedconf);
	if (q->role->conf->nwarn_interval)
		sched_conf_set_warn(&q->schedconf, q->role->conf->warn_interval,
		    q->role->conf->nwarn_interval);
	q->sched = sched_new(q->index);
	sched_load(q->sched);
	ev_init(&q->sched_timer, dispatch_timer_cb);
	q->sched_timer.data = q;
	dispatch_arm(q);
}

/* A committed envelope joins the schedule. */
void
queue_dispatch_add(struct queue *q, const struct index_entry *ie)
{
	if (q->sched == NULL) {
		index_add(q->index, ie);
		return;
	}
	if (sched_add(q->sched, ie) == -1)
		log_warnx("%016llx queue event=schedule error=\"already "
		    "scheduled\"", (unsigned long long)ie->evpid);
	else {
		ctl_stat_increment("scheduler.envelope", 1);
		queue_ctl_added(q, ie->evpid, ie->type);
	}
	dispatch_arm(q);
}

/* Committed: as above, and its bytes kept for the first read (fresh.h). */
void
queue_dispatch_committed(struct queue *q, struct txn_env *te)
{
	if (q->sched != NULL) {
		fresh_keep(&q->fresh, te->evpid, te->data, te->len);
		te->data = NULL;
	}
	queue_dispatch_add(q, &te->ie);
}

static void
dispatch_arm(struct queue *q)
{
	struct ev_loop *loop = q->role->loop;
	time_t w, now = time(NULL);

	ctl_stat_set("scheduler.envelope.inflight",
	    (int64_t)sched_inflight(q->sched));
	ev_timer_stop(loop, &q->sched_timer);
	/* All slots taken: the next result re-arms, no busy 0 s timer. */
	if (q->ninflight >= DISPATCH_INFLIGHT_MAX ||
	    q->nrelay >= DISPATCH_RELAY_MAX)
		return;
	if ((w = sched_wakeup(q->sched)) == -1)
		return;
	ev_timer_set(&q->sched_timer, w > now ? (double)(w - now) : 0.0, 0.0);
	ev_timer_start(loop, &q->sched_timer);
}

static void
dispatch_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct queue *q = w->data;
	struct sched_item item;
	struct job_read *j;
	uint8_t *data;
	size_t len;

	(void)loop;
	(void)revents;
	while (q->ninflight < DISPATCH_INFLIGHT_MAX &&
	    q->nrelay < DISPATCH_RELAY_MAX &&
	    sched_batch(q->sched, time(NULL), &item, 1) == 1) {
		j = xcalloc(1, sizeof(*j));
		j->job.run = dispatch_read_run;
		j->job.done = dispatch_read_done;
		j->job.op = "read";
		j->q = q;
		j->spoolfd = q->spoolfd;
		j->item = item;
		j->msgfd = -1;
		q->ninflight++;
		if (item.pick == SCHED_PICK_DELIVER &&
		    fresh_take(&q->fresh, item.evpid, &data, &len)) {
			dispatch_read_fresh(j, data, len);
			free(data);
			dispatch_read_done(&j->job);
		} else
			workers_submit(q->pool, &j->job);
	}
	dispatch_arm(q);
}

/* Loop thread: the envelope from memory, its message from disk. */
static void
dispatch_read_fresh(struct job_read *j, const uint8_t *data, size_t len)
{
	if (envelope_decode(data, len, &j->env, j->err,
	    sizeof(j->err)) == -1)
		return;
	dispatch_open_message(j);
}

/* Worker: the envelope from disk and its message, read-only. */
static void
dispatch_read_run(struct workers_job *job)
{
	struct job_read *j = (struct job_read *)job;
	char path[128], id[IDS_EVPID_SIZE];
	uint32_t msgid = ids_evpid_msgid(j->item.evpid);
	uint8_t buf[DISPATCH_ENVELOPE_MAX];
	ssize_t n;
	int fd;

	ids_evpid_fmt(j->item.evpid, id);
	snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x/%s",
	    COMMIT_BUCKET(msgid), msgid, id);
	if ((fd = openat(j->spoolfd, path, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		snprintf(j->err, sizeof(j->err), "open: %s", strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || envelope_decode(buf, (size_t)n, &j->env, j->err,
	    sizeof(j->err)) == -1) {
		if (n < 0)
			snprintf(j->err, sizeof(j->err), "read failed");
		return;
	}
	dispatch_open_message(j);
}

/* The envelope is read: its message, read-only. */
static void
dispatch_open_message(struct job_read *j)
{
	char path[128];
	uint32_t msgid = ids_evpid_msgid(j->item.evpid);

	snprintf(path, sizeof(path), SPOOL_QUEUE "/%02x/%08x/" COMMIT_MESSAGE,
	    COMMIT_BUCKET(msgid), msgid);
	if ((j->msgfd = openat(j->spoolfd, path, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		snprintf(j->err, sizeof(j->err), "message: %s",
		    strerror(errno));
		return;
	}
	j->ok = 1;
}

static void
dispatch_read_done(struct workers_job *job)
{
	struct job_read *j = (struct job_read *)job;
	struct queue *q = j->q;
	struct sched_status st;
	struct inflight *in;
	uint8_t *buf;
	size_t len;
	char err[ENVELOPE_ERR_MAX];

	if (queue_ctl_removing(q, j->item.evpid)) {
		/* `smtpctl remove` while it was being read */
		if (j->msgfd != -1)
			close(j->msgfd);
		q->ninflight--;
		if (!j->ok) {
			memset(&j->env, 0, sizeof(j->env));
			j->env.evpid = j->item.evpid;
		}
		lmtp_sync_unread(q, j->item.evpid);
		queue_dispatch_drop(q, &j->env, "removed by smtpctl");
		goto done;
	}
	if (!j->ok) {
		q->ninflight--;
		log_warnx("%016llx queue event=dispatch error=\"%s\" "
		    "result=TempFail", (unsigned long long)j->item.evpid, j->err);
		sched_requeue(q->sched, j->item.evpid, time(NULL) +
		    SCHED_RETRY_FIRST);
		lmtp_sync_unread(q, j->item.evpid);
		goto done;
	}
	if (j->item.pick == SCHED_PICK_EXPIRE) {
		close(j->msgfd);
		q->ninflight--;
		memset(&st, 0, sizeof(st));
		st.outcome = SCHED_EXPIRED;
		dispatch_apply(q, &j->env, &st);
		goto done;
	}
	if (j->env.type == ENVELOPE_BOUNCE) {
		/* inflight until bounce.c settles it */
		close(j->msgfd);
		q->ninflight--;
		bounce_add(q, &j->env);
		goto done;
	}
	if (queue_ctl_paused(q, j->env.type)) {
		/* `smtpctl pause mda|mta`: held, due again at once on resume */
		close(j->msgfd);
		q->ninflight--;
		sched_requeue(q->sched, j->item.evpid, time(NULL) -
		    SCHED_RETRY_MIN);
		sched_hold(q->sched, j->item.evpid, 1);
		lmtp_sync_unread(q, j->item.evpid);
		goto done;
	}
	if (envelope_encode(&j->env, &buf, &len, err, sizeof(err)) == -1) {
		close(j->msgfd);
		q->ninflight--;
		sched_requeue(q->sched, j->item.evpid, time(NULL) +
		    SCHED_RETRY_FIRST);
		goto done;
	}
	in = xcalloc(1, sizeof(*in));
	in->env = j->env;
	TAILQ_INSERT_TAIL(&q->inflight, in, entry);
	if (j->env.type == ENVELOPE_MTA) {
		q->ninflight--;
		q->nrelay++;
		role_send(q->role, PROC_RELAY, IMSG_MTA_TRANSFER, 0, j->msgfd,
		    buf, len);
		free(buf);
		goto done;
	}
	/*
	 * Whether an earlier attempt may have delivered it already: queued
	 * before this start (same second included: times are in seconds),
	 * or tried before (a deliver killed after its link into new/).
	 */
	role_send(q->role, PROC_PARENT, IMSG_MDA_DELIVER,
	    j->env.ctime <= q->started || j->env.retry > 0 ? MDA_CHECK :
	    MDA_PLAIN, j->msgfd, buf, len);
	free(buf);
done:
	free(j);
	dispatch_arm(q);
}

static struct inflight *
dispatch_inflight_take(struct queue *q, uint64_t evpid)
{
	struct inflight *in;

	TAILQ_FOREACH(in, &q->inflight, entry)
		if (in->env.evpid == evpid) {
			TAILQ_REMOVE(&q->inflight, in, entry);
			return in;
		}
	return NULL;
}

/*
 * IMSG_MDA_RESULT from the parent, IMSG_MTA_RESULT from the relay role;
 * -1 if it names no delivery of ours.
 */
int
queue_dispatch_result(struct queue *q, struct ipc_msg *m)
{
	struct mda_result res;
	struct sched_status st;
	struct inflight *in;

	memcpy(&res, m->data, sizeof(res));
	res.text[sizeof(res.text) - 1] = '\0';
	res.mta[sizeof(res.mta) - 1] = '\0';
	if ((in = dispatch_inflight_take(q, res.evpid)) == NULL ||
	    (in->env.type == ENVELOPE_MTA) != (m->type == IMSG_MTA_RESULT)) {
		if (in != NULL)
			TAILQ_INSERT_TAIL(&q->inflight, in, entry);
		return -1;
	}
	if (in->env.type == ENVELOPE_MTA)
		q->nrelay--;
	else if (!in->direct)
		q->ninflight--;
	memset(&st, 0, sizeof(st));
	st.outcome = res.outcome == MDA_OK ? SCHED_DELIVERED :
	    res.outcome == MDA_TEMPFAIL ? SCHED_TEMPFAIL : SCHED_PERMFAIL;
	st.errorline = res.text;
	st.remote_mta = res.mta[0] != '\0' ? res.mta : NULL;
	st.esc_class = res.esc_class;
	st.esc_subject = res.esc_subject;
	st.esc_detail = res.esc_detail;
	if (st.outcome == SCHED_DELIVERED)
		ctl_stat_increment("scheduler.delivery.ok", 1);
	else if (st.outcome == SCHED_TEMPFAIL)
		ctl_stat_increment("scheduler.delivery.tempfail", 1);
	else if (st.esc_subject == 4 && st.esc_detail == 6)
		ctl_stat_increment("scheduler.delivery.loop", 1);
	else
		ctl_stat_increment("scheduler.delivery.permfail", 1);
	log_info("%016llx queue event=delivery rcpt=<%s> dest=<%s> "
	    "result=%s text=\"%s\"", (unsigned long long)res.evpid,
	    in->env.rcpt, in->env.dest, res.outcome == MDA_OK ? "Ok" :
	    res.outcome == MDA_TEMPFAIL ? "TempFail" : "PermFail", res.text);
	/*
	 * An LMTP session waits for it: applied once the client knows. A
	 * direct one has nothing to apply once its session was answered.
	 */
	if (lmtp_sync_result(q, &in->env, &st))
		;
	else if (in->direct)
		lmtp_direct_late(q, &in->env);
	else
		dispatch_apply(q, &in->env, &st);
	free(in);
	dispatch_arm(q);
	return 0;
}

/*
 * An outcome, applied to the envelope, then made durable by a worker; a
 * delivered message's only envelope is removed here at once.
 */
static void
dispatch_apply(struct queue *q, struct envelope *env,
    const struct sched_status *st)
{
	struct job_update *j;
	struct index_entry *ie;
	time_t warn = 0, now = time(NULL);

	if (queue_ctl_removing(q, env->evpid)) {
		/* `smtpctl remove` during the attempt: no retry, no report */
		queue_dispatch_drop(q, env, "removed by smtpctl");
		return;
	}
	if (st->outcome == SCHED_EXPIRED)
		ctl_stat_increment("scheduler.envelope.expired", 1);
	j = xcalloc(1, sizeof(*j));
	j->job.run = dispatch_update_run;
	j->job.done = dispatch_update_done;
	j->q = q;
	j->spoolfd = q->spoolfd;
	j->env = *env;
	/* `smtpctl pause|resume envelope` during the attempt is written now */
	if ((ie = index_get(q->index, env->evpid)) != NULL)
		j->env.runflags = (j->env.runflags &
		    ~(uint32_t)ENVELOPE_R_SUSPEND) |
		    (ie->runflags & ENVELOPE_R_SUSPEND);
	j->act = sched_apply(&q->schedconf, &j->env, st, now, &warn);
	j->kind = j->act == SCHED_ACT_UPDATE ? UPDATE_WRITE : UPDATE_REMOVE;
	dispatch_report(q, j, warn, now);
	j->job.op = j->kind == UPDATE_REMOVE ? "remove" :
	    j->kind == UPDATE_REPORT ? "report" : "update";
	/* the usual removal waits for no disk: no worker (update.c) */
	if (j->kind == UPDATE_REMOVE && !j->warned) {
		j->kept_tried = 1;
		if (update_remove_kept(q->spoolfd, &q->cs.spares,
		    j->env.evpid, &j->res)) {
			dispatch_update_done(&j->job);
			return;
		}
	}
	workers_submit(q->pool, &j->job);
}

/*
 * The reports an outcome asks for: a failure report (the envelope is
 * rewritten into its BOUNCE envelope), a success report for
 * NOTIFY=SUCCESS (likewise), a delay warning (a BOUNCE copy beside it).
 */
static void
dispatch_report(struct queue *q, struct job_update *j, time_t warn,
    time_t now)
{
	char postmaster[ENVELOPE_ADDR_MAX + 1];
	uint64_t evpid;

	if (snprintf(postmaster, sizeof(postmaster), BOUNCE_POSTMASTER "@%.200s",
	    q->role->conf->hostname) >= (int)sizeof(postmaster))
		postmaster[0] = '\0';
	if (j->act == SCHED_ACT_BOUNCE) {
		if (bounce_convert(&j->env, ENVELOPE_BOUNCE_FAILED, postmaster,
		    now) == 0)
			j->kind = UPDATE_REPORT;
		else
			j->act = SCHED_ACT_DISCARD;
	} else if (j->act == SCHED_ACT_REMOVE &&
	    (j->env.dsn_notify & ENVELOPE_DSN_SUCCESS) &&
	    bounce_convert(&j->env, ENVELOPE_BOUNCE_DELIVERED, postmaster,
	    now) == 0)
		j->kind = UPDATE_REPORT;
	if (warn == 0)
		return;
	do
		evpid = ids_evpid_new(envelope_msgid(&j->env));
	while (index_get(q->index, evpid) != NULL);
	if (bounce_delayed_copy(&j->env, evpid, warn, now, &j->warn) == 0)
		j->warned = 1;
}

/* Remove an envelope without any report (bounce.c, the LMTP front). */
void
queue_dispatch_drop(struct queue *q, const struct envelope *env,
    const char *reason)
{
	struct job_update *j;

	j = xcalloc(1, sizeof(*j));
	j->job.run = dispatch_update_run;
	j->job.done = dispatch_update_done;
	j->q = q;
	j->spoolfd = q->spoolfd;
	j->env = *env;
	j->act = SCHED_ACT_DISCARD;
	j->kind = UPDATE_REMOVE;
	j->reason = reason;
	j->job.op = "remove";
	workers_submit(q->pool, &j->job);
}

static void
dispatch_update_run(struct workers_job *job)
{
	struct job_update *j = (struct job_update *)job;

	if (j->warned)
		j->wret = update_envelope_add(j->spoolfd, &j->warn, &j->wres);
	if (j->kind == UPDATE_REMOVE && j->kept_tried)
		j->ret = update_remove_unkept(j->spoolfd, &j->q->cs.spares,
		    j->env.evpid, &j->res);
	else if (j->kind == UPDATE_REMOVE)
		j->ret = update_remove(j->spoolfd, &j->q->cs.spares,
		    j->env.evpid, &j->res);
	else
		j->ret = update_envelope_write(j->spoolfd, &j->env, &j->res);
}

/* A rewritten envelope changed kind and lifetime: schedule it afresh. */
static void
dispatch_replace(struct queue *q, const struct envelope *env)
{
	struct index_entry ie;

	sched_remove(q->sched, env->evpid);
	index_entry_set(&ie, env);
	if (sched_add(q->sched, &ie) == -1)
		log_warnx("%016llx queue event=schedule error=\"already "
		    "scheduled\"", (unsigned long long)env->evpid);
}

static void
dispatch_update_done(struct workers_job *job)
{
	struct job_update *j = (struct job_update *)job;
	struct queue *q = j->q;
	struct index_entry ie;
	unsigned long long id = (unsigned long long)j->env.evpid;

	if (j->warned && j->wret == -1)
		log_warnx("%016llx queue event=delay-warning step=%s "
		    "error=\"%s\" result=TempFail", id,
		    update_step_name(j->wres.step), strerror(j->wres.error));
	else if (j->warned) {
		log_info("%016llx queue event=delay-warning report=%016llx "
		    "delay=%lld", id, (unsigned long long)j->warn.evpid,
		    (long long)j->warn.bounce_delay);
		index_entry_set(&ie, &j->warn);
		if (sched_add(q->sched, &ie) == 0)
			ctl_stat_increment("scheduler.envelope", 1);
		ctl_stat_increment("queue.bounce", 1);
	}
	switch (j->kind) {
	case UPDATE_REMOVE:
		if (j->ret == -1)
			log_warnx("%016llx queue event=remove step=%s "
			    "error=\"%s\" result=TempFail", id,
			    update_step_name(j->res.step),
			    strerror(j->res.error));
		if (j->act == SCHED_ACT_DISCARD)
			log_info("%016llx queue event=discard reason=\"%s\" "
			    "error=\"%s\"", id, j->reason ? j->reason :
			    "no report wanted", j->env.errorline);
		if (sched_remove(q->sched, j->env.evpid) == 0)
			ctl_stat_decrement("scheduler.envelope", 1);
		queue_ctl_removing(q, j->env.evpid);
		if (j->res.purged)
			queue_job_purge(q);
		else if (j->res.recycled)
			commit_pipe_kick(q->pipe);	/* durable soon */
		break;
	case UPDATE_WRITE:
		if (j->ret == -1)
			log_warnx("%016llx queue event=update step=%s "
			    "error=\"%s\"", id, update_step_name(j->res.step),
			    strerror(j->res.error));
		else
			ctl_stat_increment("scheduler.envelope.updated", 1);
		sched_retry(q->sched, &j->env);
		break;
	case UPDATE_REPORT:
		if (j->ret == -1) {
			/* still the old envelope on disk: tried again later */
			log_warnx("%016llx queue event=report step=%s "
			    "error=\"%s\" result=TempFail", id,
			    update_step_name(j->res.step),
			    strerror(j->res.error));
			sched_requeue(q->sched, j->env.evpid, time(NULL) +
			    SCHED_RETRY_FIRST);
			break;
		}
		ctl_stat_increment("queue.bounce", 1);
		log_info("%016llx queue event=report type=%s to=<%s>", id,
		    j->env.bounce_type == ENVELOPE_BOUNCE_FAILED ? "failed" :
		    "delivered", j->env.sender);
		dispatch_replace(q, &j->env);
		break;
	}
	free(j);
	dispatch_arm(q);
}

/*
 * lmtp_sync.c: an LMTP envelope delivered straight from incoming/, never
 * committed. It goes to the parent like a due envelope, outside the
 * scheduler's slots (the LMTP sessions bound them); its outcome goes to
 * lmtp_sync.c only. Takes msgfd; -1 if it could not be sent.
 */
int
queue_dispatch_direct(struct queue *q, const struct envelope *env, int msgfd)
{
	struct inflight *in;
	uint8_t *buf;
	size_t len;
	char err[ENVELOPE_ERR_MAX];

	if (envelope_encode(env, &buf, &len, err, sizeof(err)) == -1) {
		close(msgfd);
		return -1;
	}
	if (role_send(q->role, PROC_PARENT, IMSG_MDA_DELIVER, MDA_PLAIN, msgfd,
	    buf, len) == -1) {
		free(buf);
		return -1;
	}
	free(buf);
	in = xcalloc(1, sizeof(*in));
	in->env = *env;
	in->direct = 1;
	TAILQ_INSERT_TAIL(&q->inflight, in, entry);
	return 0;
}

/* lmtp_sync.c: an outcome held until the LMTP client was answered. */
void
queue_dispatch_apply(struct queue *q, struct envelope *env,
    const struct sched_status *st)
{
	dispatch_apply(q, env, st);
}

/* lmtp_sync.c: envelopes were made due now. */
void
queue_dispatch_wake(struct queue *q)
{
	dispatch_arm(q);
}

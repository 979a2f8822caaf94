/*
 * auth_lookup.c: AUTH verification in the lookup role (see
 * auth_lookup.h). Called by aliases/lookup.c's dispatch, on the loop
 * thread; the worker threads run only auth_lookup_run(), which touches
 * nothing but its job. Never logs a password; every copy of one is
 * wiped when its job ends. A bad request closes the smtp channel (-1);
 * a table or memory trouble is answered TEMPFAIL, never FAIL.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth_lookup.h"
#include "auth/auth_msg.h"
#include "auth/creds.h"
#include "auth/passwd.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/workers.h"

struct auth_job {
	struct workers_job	 wj;		/* first: the pool's handle */
	TAILQ_ENTRY(auth_job)	 entry;
	struct auth_lookup	*al;
	enum proc_id		 peer;
	uint32_t		 reqid;
	uint64_t		 session;
	uint32_t		 mech;
	char			 user[AUTH_USER_MAX + 1];
	char			 passwd[AUTH_PASSWD_MAX + 1];
	char			*hash;		/* NULL: unknown user */
	int			 known;
	enum auth_creds_result	 result;	/* set by the worker */
	struct timespec		 start;
};
TAILQ_HEAD(auth_jobs, auth_job);

struct auth_lookup {
	struct role		*role;
	struct tableset		*tables;
	uint32_t		 res_type;
	struct workers		*workers;
	struct auth_jobs	 jobs;		/* submitted, not done */
	size_t			 njobs;
};

static void	auth_lookup_review(struct auth_lookup *);
static void	auth_lookup_warn(void *, const char *);
static struct table *auth_lookup_table(struct auth_lookup *,
		    const struct config *, uint32_t, const char **);
static void	auth_lookup_answer(struct auth_lookup *, enum proc_id,
		    uint32_t, enum auth_creds_result);
static void	auth_lookup_log(uint64_t, const char *, uint32_t,
		    enum auth_creds_result, const char *, long);
static void	auth_lookup_run(struct workers_job *);
static void	auth_lookup_done(struct workers_job *);
static void	auth_job_free(struct auth_job *);
static long	auth_lookup_ms(const struct timespec *);

struct auth_lookup *
auth_lookup_new(struct role *r, struct tableset *tables, uint32_t res_type)
{
	struct auth_lookup *al;

	if (auth_passwd_init() == -1)
		fatalx("auth: libsodium initialisation failed");
	al = xcalloc(1, sizeof(*al));
	al->role = r;
	al->tables = tables;
	al->res_type = res_type;
	TAILQ_INIT(&al->jobs);
	auth_lookup_review(al);
	return al;
}

void
auth_lookup_free(struct auth_lookup *al)
{
	struct auth_job *j;

	if (al == NULL)
		return;
	/* running jobs finish, queued ones never start; none is done */
	workers_free(al->workers);
	while ((j = TAILQ_FIRST(&al->jobs)) != NULL) {
		TAILQ_REMOVE(&al->jobs, j, entry);
		auth_job_free(j);
	}
	free(al);
}

size_t
auth_lookup_pending(const struct auth_lookup *al)
{
	return al->njobs;
}

static void
auth_lookup_warn(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* Load-time warnings: each credentials table of a listener, once. */
static void
auth_lookup_review(struct auth_lookup *al)
{
	const struct listener *l, *m;
	struct table *t;

	TAILQ_FOREACH(l, &al->role->conf->listeners, entry) {
		if (l->auth_table == NULL)
			continue;
		TAILQ_FOREACH(m, &al->role->conf->listeners, entry)
			if (m == l || m->auth_table == l->auth_table)
				break;
		if (m != l)
			continue;	/* seen with an earlier listener */
		if ((t = tableset_get(al->tables, l->auth_table)) == NULL)
			continue;
		if (auth_creds_table_check(t, auth_lookup_warn, NULL) == -1)
			log_warnx("table=%s event=auth-review error=\"cannot "
			    "read the table\"", table_name(t));
	}
}

/* The credentials table of listener idx; NULL with a reason. */
static struct table *
auth_lookup_table(struct auth_lookup *al, const struct config *conf,
    uint32_t idx, const char **why)
{
	const struct listener *l;
	struct table *t;
	uint32_t i = 0;

	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (i++ == idx)
			break;
	if (l == NULL) {
		*why = "no such listener";
		return NULL;
	}
	if (l->auth_table == NULL) {
		*why = "listener without auth table";
		return NULL;
	}
	if ((t = tableset_get(al->tables, l->auth_table)) == NULL) {
		*why = "auth table not loaded";
		return NULL;
	}
	return t;
}

static long
auth_lookup_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void
auth_lookup_log(uint64_t session, const char *user, uint32_t mech,
    enum auth_creds_result res, const char *why, long ms)
{
	if (why != NULL)
		log_warnx("%016llx lookup event=auth user=%s mech=%s "
		    "error=\"%s\" result=%s", (unsigned long long)session,
		    user, auth_sasl_mech_name(mech), why,
		    auth_creds_result_name(res));
	else
		log_info("%016llx lookup event=auth user=%s mech=%s ms=%ld "
		    "result=%s", (unsigned long long)session, user,
		    auth_sasl_mech_name(mech), ms,
		    auth_creds_result_name(res));
}

static void
auth_lookup_answer(struct auth_lookup *al, enum proc_id peer, uint32_t reqid,
    enum auth_creds_result result)
{
	struct auth_res res;
	uint8_t *buf;
	size_t len;

	memset(&res, 0, sizeof(res));
	res.status = result == AUTH_CREDS_OK ? AUTH_RES_OK :
	    result == AUTH_CREDS_FAIL ? AUTH_RES_FAIL : AUTH_RES_TEMPFAIL;
	if (auth_res_encode(&res, &buf, &len) == -1)
		fatalx("auth: cannot encode a result");	/* our own bug */
	role_send(al->role, peer, al->res_type, reqid, -1, buf, len);
	free(buf);
}

int
lookup_auth(struct role *r, struct auth_lookup *al, enum proc_id from,
    struct ipc_msg *m)
{
	struct auth_req q;
	struct auth_job *j;
	struct table *t;
	const char *why = NULL;
	char *hash = NULL;
	enum table_result tr;

	if (auth_req_decode(m->data, m->len, &q) == -1) {
		log_warnx("lookup event=auth error=\"malformed request\"");
		return -1;
	}
	if ((t = auth_lookup_table(al, r->conf, q.listener, &why)) == NULL)
		goto tempfail;
	if (al->njobs >= AUTH_LOOKUP_PENDING_MAX) {
		why = "too many verifications waiting";
		goto tempfail;
	}
	if ((tr = auth_creds_fetch(t, q.user, &hash)) == TABLE_TEMPFAIL) {
		why = "table lookup failed";
		goto tempfail;
	}
	if (al->workers == NULL)
		al->workers = workers_new(r->loop, AUTH_LOOKUP_THREADS);
	j = xcalloc(1, sizeof(*j));
	j->wj.run = auth_lookup_run;
	j->wj.done = auth_lookup_done;
	j->al = al;
	j->peer = from;
	j->reqid = m->reqid;
	j->session = q.session;
	j->mech = q.mech;
	j->known = tr == TABLE_FOUND;
	j->hash = hash;
	j->result = AUTH_CREDS_TEMPFAIL;
	strlcpy(j->user, q.user, sizeof(j->user));
	strlcpy(j->passwd, q.passwd, sizeof(j->passwd));
	auth_req_clear(&q);
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	TAILQ_INSERT_TAIL(&al->jobs, j, entry);
	al->njobs++;
	workers_submit(al->workers, &j->wj);
	return 0;

tempfail:
	auth_lookup_log(q.session, q.user, q.mech, AUTH_CREDS_TEMPFAIL, why, 0);
	auth_lookup_answer(al, from, m->reqid, AUTH_CREDS_TEMPFAIL);
	auth_req_clear(&q);
	return 0;
}

/* Worker thread: only the job. */
static void
auth_lookup_run(struct workers_job *wj)
{
	struct auth_job *j = (struct auth_job *)wj;

	j->result = auth_creds_verify(j->hash, j->passwd);
	explicit_bzero(j->passwd, sizeof(j->passwd));
	auth_creds_free_hash(j->hash);
	j->hash = NULL;
}

/* Loop thread: the verdict goes back. */
static void
auth_lookup_done(struct workers_job *wj)
{
	struct auth_job *j = (struct auth_job *)wj;
	struct auth_lookup *al = j->al;

	TAILQ_REMOVE(&al->jobs, j, entry);
	al->njobs--;
	auth_lookup_log(j->session, j->user, j->mech, j->result,
	    j->result == AUTH_CREDS_TEMPFAIL ? "verification failed" : NULL,
	    auth_lookup_ms(&j->start));
	log_trace(TRACE_LOOKUP, "%016llx lookup event=auth user=%s known=%d",
	    (unsigned long long)j->session, j->user, j->known);
	auth_lookup_answer(al, j->peer, j->reqid, j->result);
	auth_job_free(j);
}

static void
auth_job_free(struct auth_job *j)
{
	auth_creds_free_hash(j->hash);
	explicit_bzero(j, sizeof(*j));
	free(j);
}

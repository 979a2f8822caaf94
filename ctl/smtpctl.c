/*
 * smtpctl.c: the smtpctl command line and the mailq personality (spec/ctl.md
 * sections 1 to 8). `smtpctl [-j] [-f file] command [argument ...]`: the
 * words are matched by ctl/cmdtree.c, LATER commands are refused here,
 * root-only commands need euid 0, the others go to the daemon over the
 * control socket (ctl/client.c) and their answers are printed by
 * ctl/format.c; `show queue` falls back to reading the spool
 * (ctl/offline.c) when no daemon answers. Called by ctl/main.c. Results go
 * to stdout, its own messages to stderr prefixed "smtpctl: ". Exit status:
 * 0 done, 1 failed or refused, 255 the words are not a command.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/cmdtree.h"
#include "ctl/encrypt.h"
#include "ctl/format.h"
#include "ctl/monitor.h"
#include "ctl/offline.h"
#include "ctl/smtpctl.h"
#include "ctl/spfwalk.h"
#include "lib/buf.h"
#include "lib/ids.h"
#include "queue/envelope.h"
#include "queue/scheduler.h"

#define SMTPCTL_BADCMD	255	/* OpenSMTPD: cmd_run() returned -1 */
#define SMTPCTL_DOWN	2	/* smtpctl_connect(): nobody answers */

struct smtpctl {
	const char		*conffile;	/* -f, or NULL */
	int			 json;		/* -j */
	struct client_conf	 conf;
	struct client		 cl;
	struct buf		 out;
	int			 nout;		/* JSON objects written */
};

static void	smtpctl_usage(void);
static int	smtpctl_flush(struct smtpctl *);
static int	smtpctl_refused(const struct ctl_reply *);
static int	smtpctl_lost(enum client_result);
static int	smtpctl_request(const struct cmdtree_match *,
		    struct ctl_request *);
static int	smtpctl_connect(struct smtpctl *);
static int	smtpctl_privileged(struct smtpctl *);
static int	smtpctl_run(struct smtpctl *, const struct cmdtree_match *);
static int	smtpctl_show_queue(struct smtpctl *, const struct ctl_request *);
static void	smtpctl_offline_env(void *, const struct envelope *);
static void	smtpctl_offline_warn(void *, const char *);
static int	smtpctl_offline(struct smtpctl *, const struct ctl_request *);
static void	smtpctl_queue_env(struct smtpctl *, const struct envelope *,
		    int, int64_t);
static int	smtpctl_show_envelope(struct smtpctl *,
		    const struct ctl_request *);
static int	smtpctl_show_message(struct smtpctl *,
		    const struct ctl_request *);
static int	smtpctl_show_text(struct smtpctl *, const struct ctl_request *);
static int	smtpctl_count(struct smtpctl *, const struct ctl_request *,
		    const char *);
static int	smtpctl_simple(struct smtpctl *, const struct ctl_request *);
static int	smtpctl_queue(struct smtpctl *, const struct ctl_request *);

static void
smtpctl_usage(void)
{
	fprintf(stderr, "usage: smtpctl [-j] [-f file] command [argument ...]\n");
}

/* Write and empty the output buffer; 0, or 1 after a message. */
static int
smtpctl_flush(struct smtpctl *s)
{
	size_t n = buf_avail(&s->out);

	if (n > 0 && fwrite(buf_head(&s->out), 1, n, stdout) != n) {
		fprintf(stderr, "smtpctl: stdout: %s\n", strerror(errno));
		return 1;
	}
	buf_reset(&s->out);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "smtpctl: stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * A reply that is not CTL_OK: say why on stderr; exit status 1. The
 * daemon's text is the reason ("not available: ..." says it all).
 */
static int
smtpctl_refused(const struct ctl_reply *rep)
{
	const char *what = ctlfmt_error(rep->status);

	if (rep->text[0] == '\0' || strcmp(rep->text, what) == 0)
		fprintf(stderr, "smtpctl: %s\n", what);
	else if (rep->status == CTL_UNAVAILABLE)
		fprintf(stderr, "smtpctl: %s\n", rep->text);
	else
		fprintf(stderr, "smtpctl: %s: %s\n", what, rep->text);
	return 1;
}

/* The conversation broke off. */
static int
smtpctl_lost(enum client_result r)
{
	fprintf(stderr, "smtpctl: %s\n", client_strerror(r));
	return 1;
}

/*
 * The request of a matched command: id from its <evpid>/<msgid> slot or
 * the keyword "all", arg from its <str>. 0, or 1 after a message.
 */
static int
smtpctl_request(const struct cmdtree_match *m, struct ctl_request *req)
{
	const char *word;
	uint64_t evpid;
	uint32_t msgid;

	memset(req, 0, sizeof(*req));
	req->version = CTL_PROTO_VERSION;
	req->cmd = m->entry->ctl;
	req->idkind = CTL_ID_NONE;
	if ((word = cmdtree_slot_arg(m, CMDTREE_EVPID)) != NULL &&
	    ids_parse(word, &msgid, &evpid) == IDS_EVPID) {
		req->idkind = CTL_ID_EVPID;
		req->id = evpid;
	} else if ((word = cmdtree_slot_arg(m, CMDTREE_MSGID)) != NULL &&
	    ids_parse(word, &msgid, &evpid) == IDS_MSGID) {
		req->idkind = CTL_ID_MSGID;
		req->id = msgid;
	} else if (cmdtree_has_keyword(m, "all"))
		req->idkind = CTL_ID_ALL;
	if ((word = cmdtree_slot_arg(m, CMDTREE_STR)) != NULL ||
	    (word = cmdtree_slot_arg(m, CMDTREE_ROUTEID)) != NULL) {
		if (strlen(word) > CTL_ARG_MAX) {
			fprintf(stderr, "smtpctl: %s: argument too long\n",
			    ctl_cmd_name(req->cmd));
			return 1;
		}
		memcpy(req->arg, word, strlen(word) + 1);
	}
	return 0;
}

/*
 * ctl.md §1 asks for euid 0. The issue lets the daemon's own uid run
 * every command too (a daemon started unprivileged, as by `make run`),
 * so the owner of the control socket passes as well; the daemon checks
 * again with SO_PEERCRED.
 */
static int
smtpctl_privileged(struct smtpctl *s)
{
	struct stat st;

	if (geteuid() == 0)
		return 1;
	if (client_conf_load("smtpctl", s->conffile, &s->conf) == -1)
		return 0;
	return stat(s->conf.socket, &st) == 0 && st.st_uid == geteuid();
}

/*
 * 0 connected, SMTPCTL_DOWN when nobody answers on the socket (nothing
 * printed: any failure to connect means "not reachable"), or 1 after a
 * message about the configuration.
 */
static int
smtpctl_connect(struct smtpctl *s)
{
	if (client_conf_load("smtpctl", s->conffile, &s->conf) == -1)
		return 1;
	return client_connect(&s->cl, s->conf.socket) == CLIENT_OK ? 0 :
	    SMTPCTL_DOWN;
}

/* ------------------------------------------------------------ show queue */

static void
smtpctl_queue_env(struct smtpctl *s, const struct envelope *e, int runstate,
    int64_t delay)
{
	if (!s->json) {
		ctlfmt_queue_line(&s->out, e, runstate, delay);
		return;
	}
	buf_addstr(&s->out, s->nout++ ? ",\n" : "[\n");
	ctlfmt_queue_json(&s->out, e, runstate, delay);
}

static int
smtpctl_show_queue(struct smtpctl *s, const struct ctl_request *req)
{
	struct ctl_reply rep;
	struct envelope *e;
	enum client_result r;
	char err[ENVELOPE_ERR_MAX];
	int rc = 0;

	if ((r = client_send(&s->cl, req)) != CLIENT_OK)
		return smtpctl_lost(r);
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		fprintf(stderr, "smtpctl: %s\n", strerror(errno));
		return 1;
	}
	do {
		if ((r = client_recv(&s->cl, &rep, NULL)) != CLIENT_OK) {
			rc = smtpctl_lost(r);
			break;
		}
		if (rep.status != CTL_OK) {
			rc = smtpctl_refused(&rep);
			break;
		}
		if (rep.datalen == 0)
			continue;
		if (envelope_decode(rep.data, rep.datalen, e, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "smtpctl: malformed envelope from "
			    "smtpd: %s\n", err);
			rc = 1;
			break;
		}
		smtpctl_queue_env(s, e, rep.runstate, rep.delay);
		if ((rc = smtpctl_flush(s)) != 0)
			break;
	} while (!rep.last);
	free(e);
	if (rc == 0 && s->json)
		buf_addstr(&s->out, s->nout ? "\n]\n" : "[]\n");
	if (smtpctl_flush(s) != 0)
		rc = 1;
	return rc;
}

static void
smtpctl_offline_env(void *arg, const struct envelope *e)
{
	struct smtpctl *s = arg;

	smtpctl_queue_env(s, e, SCHED_OFFLINE, 0);
	(void)smtpctl_flush(s);
}

static void
smtpctl_offline_warn(void *arg, const char *msg)
{
	struct smtpctl *s = arg;

	(void)smtpctl_flush(s);
	fprintf(stderr, "smtpctl: warning: %s\n", msg);
}

/* ctl.md section 4.1: the daemon is not running (root only). */
static int
smtpctl_offline(struct smtpctl *s, const struct ctl_request *req)
{
	struct offline_out out = { smtpctl_offline_env, smtpctl_offline_warn,
	    s };

	if (offline_walk(s->conf.spool, req->idkind == CTL_ID_MSGID,
	    (uint32_t)req->id, &out) == -1) {
		fprintf(stderr, "smtpctl: smtpd doesn't seem to be running, "
		    "and its queue %s/queue cannot be read: %s\n",
		    s->conf.spool, strerror(errno));
		return 1;
	}
	if (s->json)
		buf_addstr(&s->out, s->nout ? "\n]\n" : "[]\n");
	return smtpctl_flush(s);
}

/* ------------------------------------------------------------ show ... */

static int
smtpctl_show_envelope(struct smtpctl *s, const struct ctl_request *req)
{
	struct ctl_reply rep;
	struct envelope *e;
	enum client_result r;
	char err[ENVELOPE_ERR_MAX];
	int rc = 0, shown = 0;

	if ((r = client_send(&s->cl, req)) != CLIENT_OK)
		return smtpctl_lost(r);
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		fprintf(stderr, "smtpctl: %s\n", strerror(errno));
		return 1;
	}
	do {
		if ((r = client_recv(&s->cl, &rep, NULL)) != CLIENT_OK) {
			rc = smtpctl_lost(r);
			break;
		}
		if (rep.status == CTL_NOTFOUND)
			break;
		if (rep.status != CTL_OK) {
			rc = smtpctl_refused(&rep);
			break;
		}
		if (rep.datalen == 0 || shown)
			continue;
		if (envelope_decode(rep.data, rep.datalen, e, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "smtpctl: malformed envelope from "
			    "smtpd: %s\n", err);
			rc = 1;
			break;
		}
		if (s->json) {
			ctlfmt_envelope_json(&s->out, e);
			buf_addstr(&s->out, "\n");
		} else
			ctlfmt_envelope(&s->out, e);
		shown = 1;
	} while (!rep.last);
	free(e);
	if (rc == 0 && !shown) {
		fprintf(stderr, "smtpctl: unable to retrieve envelope\n");
		return 1;
	}
	return smtpctl_flush(s) || rc;
}

/* The message as stored (CRLF), straight to stdout. */
static int
smtpctl_show_message(struct smtpctl *s, const struct ctl_request *req)
{
	struct ctl_reply rep;
	enum client_result r;

	if ((r = client_send(&s->cl, req)) != CLIENT_OK)
		return smtpctl_lost(r);
	do {
		if ((r = client_recv(&s->cl, &rep, NULL)) != CLIENT_OK)
			return smtpctl_lost(r);
		if (rep.status == CTL_NOTFOUND) {
			fprintf(stderr, "smtpctl: unable to retrieve "
			    "message\n");
			return 1;
		}
		if (rep.status != CTL_OK)
			return smtpctl_refused(&rep);
		buf_add(&s->out, rep.data, rep.datalen);
		if (smtpctl_flush(s) != 0)
			return 1;
	} while (!rep.last);
	return 0;
}

/*
 * show stats, show status and the relay's show hosts, hoststats, relays
 * and routes: the daemon's lines, formatted.
 */
static int
smtpctl_show_text(struct smtpctl *s, const struct ctl_request *req)
{
	struct ctl_reply last;
	struct buf text;
	enum client_result r;
	const char *p;
	size_t n;

	buf_init(&text);
	memset(&last, 0, sizeof(last));
	if ((r = client_text(&s->cl, req, &text, &last)) != CLIENT_OK) {
		buf_free(&text);
		return smtpctl_lost(r);
	}
	if (last.status != CTL_OK) {
		buf_free(&text);
		return smtpctl_refused(&last);
	}
	p = (const char *)buf_head(&text);
	n = buf_avail(&text);
	if (req->cmd == CTL_SHOW_STATS && s->json)
		ctlfmt_stats_json(&s->out, p, n);
	else if (req->cmd == CTL_SHOW_STATS)
		ctlfmt_stats(&s->out, p, n);
	else if (!s->json)
		ctlfmt_status(&s->out, p, n);	/* the lines as they are */
	else if (req->cmd == CTL_SHOW_STATUS)
		ctlfmt_status_json(&s->out, p, n);
	else
		ctlfmt_relay_json(&s->out, req->cmd, p, n);
	buf_free(&text);
	return smtpctl_flush(s);
}

/* ------------------------------------------------------------ commands */

/*
 * pause/resume envelope, schedule, remove, discover: "N envelope(s)
 * VERB".
 */
static int
smtpctl_count(struct smtpctl *s, const struct ctl_request *req,
    const char *verb)
{
	struct ctl_reply rep;
	enum client_result r;
	uint64_t n = 0;

	if ((r = client_send(&s->cl, req)) != CLIENT_OK)
		return smtpctl_lost(r);
	do {
		if ((r = client_recv(&s->cl, &rep, NULL)) != CLIENT_OK)
			return smtpctl_lost(r);
		if (rep.status == CTL_NOTFOUND)
			continue;	/* unknown ids count as 0 */
		if (rep.status != CTL_OK)
			return smtpctl_refused(&rep);
		n += rep.count;
	} while (!rep.last);
	ctlfmt_count(&s->out, n, verb);
	return smtpctl_flush(s);
}

/* "command succeeded" / "command failed[: REASON]". */
static int
smtpctl_simple(struct smtpctl *s, const struct ctl_request *req)
{
	struct ctl_reply rep, first;
	enum client_result r;
	int failed = 0;

	if ((r = client_send(&s->cl, req)) != CLIENT_OK)
		return smtpctl_lost(r);
	do {
		if ((r = client_recv(&s->cl, &rep, NULL)) != CLIENT_OK)
			return smtpctl_lost(r);
		if (rep.status != CTL_OK && !failed) {
			first = rep;
			failed = 1;
		}
	} while (!rep.last);
	if (failed && first.status != CTL_FAIL)
		return smtpctl_refused(&first);
	ctlfmt_simple(&s->out, !failed, failed ? first.text : NULL);
	return smtpctl_flush(s) || failed;
}

/* ------------------------------------------------------------ dispatch */

static int
smtpctl_queue(struct smtpctl *s, const struct ctl_request *req)
{
	int rc;

	if ((rc = smtpctl_connect(s)) == SMTPCTL_DOWN)
		return smtpctl_offline(s, req);
	if (rc != 0)
		return rc;
	rc = smtpctl_show_queue(s, req);
	client_close(&s->cl);
	return rc;
}

static int
smtpctl_run(struct smtpctl *s, const struct cmdtree_match *m)
{
	const struct cmdtree_entry *e = m->entry;
	struct ctl_request req;
	int rc, mask = 0;

	if (e->flags & CMDTREE_LATER) {
		fprintf(stderr, "smtpctl: command not supported yet\n");
		return 1;
	}
	if ((e->flags & CMDTREE_ROOT) && !smtpctl_privileged(s)) {
		fprintf(stderr, "smtpctl: need root privileges\n");
		return 1;
	}
	if (e->cmd == CMDTREE_ENCRYPT)
		return encrypt_main(cmdtree_slot_arg(m, CMDTREE_STR));
	if (e->cmd == CMDTREE_SPF_WALK)
		return spfwalk_main();
	if (smtpctl_request(m, &req) != 0)
		return 1;
	if ((e->cmd == CMDTREE_TRACE || e->cmd == CMDTREE_UNTRACE) &&
	    ctl_trace_word(req.arg, &mask) == -1) {
		fprintf(stderr, "smtpctl: invalid trace keyword: %s\n",
		    req.arg);
		return 1;
	}
	if ((e->cmd == CMDTREE_PROFILE || e->cmd == CMDTREE_UNPROFILE) &&
	    ctl_profile_word(req.arg, &mask) == -1) {
		fprintf(stderr, "smtpctl: invalid profile keyword: %s\n",
		    req.arg);
		return 1;
	}
	if (e->cmd == CMDTREE_SHOW_QUEUE)
		return smtpctl_queue(s, &req);
	if ((rc = smtpctl_connect(s)) == SMTPCTL_DOWN) {
		fprintf(stderr, "smtpctl: smtpd doesn't seem to be running\n");
		return 1;
	}
	if (rc != 0)
		return rc;
	switch (e->cmd) {
	case CMDTREE_MONITOR:
		rc = monitor_run(&s->cl);
		break;
	case CMDTREE_SHOW_ENVELOPE:
		rc = smtpctl_show_envelope(s, &req);
		break;
	case CMDTREE_SHOW_MESSAGE:
		rc = smtpctl_show_message(s, &req);
		break;
	case CMDTREE_SHOW_STATS:
	case CMDTREE_SHOW_STATUS:
	case CMDTREE_SHOW_HOSTS:
	case CMDTREE_SHOW_HOSTSTATS:
	case CMDTREE_SHOW_RELAYS:
	case CMDTREE_SHOW_ROUTES:
		rc = smtpctl_show_text(s, &req);
		break;
	case CMDTREE_PAUSE_ENVELOPE:
		rc = smtpctl_count(s, &req, "paused");
		break;
	case CMDTREE_RESUME_ENVELOPE:
		rc = smtpctl_count(s, &req, "resumed");
		break;
	case CMDTREE_SCHEDULE:
		rc = smtpctl_count(s, &req, "scheduled");
		break;
	case CMDTREE_REMOVE:
		rc = smtpctl_count(s, &req, "removed");
		break;
	case CMDTREE_DISCOVER:
		rc = smtpctl_count(s, &req, "discovered");
		break;
	default:
		rc = smtpctl_simple(s, &req);
		break;
	}
	client_close(&s->cl);
	return rc;
}

int
smtpctl_main(int argc, char *argv[])
{
	struct cmdtree_match m;
	struct smtpctl s;
	int ch, rc;

	memset(&s, 0, sizeof(s));
	s.cl.fd = -1;
	while ((ch = getopt(argc, argv, "+f:j")) != -1) {
		switch (ch) {
		case 'f':
			s.conffile = optarg;
			break;
		case 'j':
			s.json = 1;
			break;
		default:
			smtpctl_usage();
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (cmdtree_match(argc, argv, &m) != CMDTREE_OK) {
		buf_init(&s.out);
		cmdtree_explain(&m, &s.out);
		fwrite(buf_head(&s.out), 1, buf_avail(&s.out), stderr);
		buf_free(&s.out);
		return SMTPCTL_BADCMD;
	}
	buf_init(&s.out);
	rc = smtpctl_run(&s, &m);
	buf_free(&s.out);
	return rc;
}

/* mailq: exactly `smtpctl show queue`, arguments ignored. */
int
smtpctl_mailq(void)
{
	struct ctl_request req;
	struct smtpctl s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.cl.fd = -1;
	if (!smtpctl_privileged(&s)) {
		fprintf(stderr, "smtpctl: need root privileges\n");
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.cmd = CTL_SHOW_QUEUE;
	buf_init(&s.out);
	rc = smtpctl_queue(&s, &req);
	buf_free(&s.out);
	return rc;
}

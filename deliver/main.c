/*
 * main.c: the deliver command, the local delivery agent (delivery.md,
 * doc/deliver.8). Reads one message on standard input and delivers it
 * for one user to a Maildir (default ~USER/Maildir), an mbox file, the
 * user's system spool file or a command, or hands it to an LMTP server
 * (-L, lmtp.c) for one or more recipients; reports one outcome as an
 * exit status (sysexits) and, on failure, one "X.Y.Z text" line on
 * stderr (LMTP: also one line per recipient on stdout).
 * Started by the daemon's parent, by another MTA (Postfix
 * mailbox_command) or by hand. With -A it is an agent instead: started
 * once per user by the daemon, it serves one delivery per request on
 * descriptor 3 (agent.c), each run by the same code as a one-shot run.
 * options.c parses the command line, of a run and of each request.
 *
 * Privileges: as root it needs -d USER and becomes USER (mdauser.c)
 * before it reads the message or touches a user file; only the spool
 * file of -s is opened and locked as root, and then a child becomes the
 * user and writes while the root parent keeps the locks and removes them
 * afterwards (the spool directory is not writable by the user). It never
 * delivers as uid 0 and refuses to run set-user-ID or set-group-ID.
 * -u UID:GID:HOME (with -d USER) replaces the passwd lookup: the daemon
 * passes a user of an action's userbase this way; as root deliver
 * becomes exactly UID/GID (no supplementary groups), otherwise UID must
 * be its own.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver/agent.h"
#include "deliver/deliver.h"
#include "lib/log.h"

#define MAIN_PATH_MAX	4096
#define MAIN_SPILL_DIR	"/tmp"		/* large piped messages, mbox/pipe */

static const char *const main_modes[] = { "maildir", "mbox", "spool", "pipe",
    "lmtp" };

/* The user of an agent, fixed at its start: each request must name it. */
struct main_agent {
	const struct dlv_args	*args;
	const struct dlv_user	*user;
	pid_t			 parent;
};

static void	usage(void) __attribute__((noreturn));
static int	main_tie_to_parent(pid_t);
static void	main_die(int, const char *, ...)
		    __attribute__((noreturn, format(printf, 2, 3)));
static void	main_refused(const struct dlv_refusal *)
		    __attribute__((noreturn));
static int	main_stdfds(void);
static int	main_user(struct dlv_request *, const struct dlv_args *, int,
		    struct outcome *);
static int	main_rcpt(struct dlv_request *, const struct dlv_args *,
		    struct dlv_refusal *);
static int	main_deliver(struct dlv_request *, const struct dlv_args *,
		    int, pid_t, int, struct dlv_refusal *);
static int	main_run(const struct dlv_request *, int, pid_t, int,
		    struct lmtp_rcpt *, size_t, struct dlv_refusal *);
static int	main_local(const struct dlv_request *, const struct buf *);
static int	main_spool(const struct dlv_request *, int, const struct buf *,
		    struct dlv_refusal *);
static int	main_agent(struct dlv_request *, const struct dlv_args *, int,
		    pid_t);
static int	main_request(int, char **, struct dlv_refusal *, void *);
static int	main_same(const char *, const char *);
static int	main_report(const struct dlv_request *, const struct outcome *);
static int	main_maildir(const struct dlv_request *, const struct buf *,
		    struct outcome *);
static int	main_mbox(const struct dlv_request *, const char *, int,
		    const struct buf *, struct outcome *);
static int	main_spool_root(const struct dlv_request *, const char *,
		    const struct buf *);
static int	main_pipe(const struct dlv_request *, const struct buf *,
		    struct outcome *);
static int	main_rcpt_name(const char *, char *, size_t);
static struct lmtp_rcpt *main_lmtp_rcpts(const struct dlv_request *,
		    const struct dlv_args *, size_t *, struct dlv_refusal *);
static int	main_lmtp(const struct dlv_request *, struct lmtp_rcpt *,
		    size_t);

/*
 * Started by the daemon (-e, -A): die with it. A deliver left running
 * after a crash could race the next start's redelivery of the same
 * envelope. The setting does not survive the switch to the user, so it is
 * made here, after it; -1 if the daemon died before.
 */
static int
main_tie_to_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return -1;
	return getppid() == parent ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: deliver [-cn] [-a tag] [-d user] [-e evpid] "
	    "[-f sender] [-o address]\n"
	    "               [-r address] [-t seconds] [-u uid:gid:home]\n"
	    "               [-m maildir | -M mbox | -s | -p command]\n"
	    "       deliver -L dest [-R recipient]... [-d user] [-f sender] "
	    "[-t seconds]\n"
	    "       deliver -A -d user [-u uid:gid:home]\n");
	exit(EX_USAGE);
}

/* A refusal before any delivery: "deliver: why" on stderr, exit code. */
static void
main_die(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "deliver: %s\n", msg);
	log_warnx("result=%s reason=\"%s\"", code == EX_TEMPFAIL ? "TempFail" :
	    "PermFail", msg);
	exit(code);
}

/* Ends a one-shot run refused before any delivery. */
static void
main_refused(const struct dlv_refusal *ref)
{
	if (ref->usage)
		usage();
	main_die(ref->code, "%s", ref->why);
}

/* Descriptors 0-2 must exist; returns 0 if stdin was closed (no input). */
static int
main_stdfds(void)
{
	int fd, stdin_ok = 1;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		if (fd == 0)
			stdin_ok = 0;
		if (open("/dev/null", O_RDWR) != fd)
			exit(EX_OSERR);
	}
	return stdin_ok;
}

/*
 * An agent's outcomes are logged by the daemon (the queue's
 * event=delivery line, with the same text): not again to syslog per
 * delivery.
 */
static int main_quiet;

/* Logs the outcome, prints a failure on stderr; returns the exit code. */
static int
main_report(const struct dlv_request *r, const struct outcome *o)
{
	if (!main_quiet)
		log_info("user=%s mode=%s rcpt=<%s> result=%s esc=%s "
		    "text=\"%s\"", r->user.name[0] ? r->user.name : "-",
		    main_modes[r->mode], r->final, outcome_result(o), o->esc,
		    o->text);
	if (o->status != OUTCOME_OK)
		fprintf(stderr, "%s %s\n", o->esc, o->text);
	return outcome_exit(o);
}

static int
main_maildir(const struct dlv_request *r, const struct buf *hdrs,
    struct outcome *o)
{
	char root[MAIN_PATH_MAX], dir[MAIN_PATH_MAX], tmp[MAIN_PATH_MAX + 4];
	struct msgsrc m;
	int ret;

	if (r->path != NULL)
		strlcpy(root, r->path, sizeof(root));
	else if (snprintf(root, sizeof(root), "%s/Maildir", r->user.home) >=
	    (int)sizeof(root)) {
		outcome_set(o, OUTCOME_TEMP, "4.2.0", "Maildir path too long");
		return -1;
	}
	if (maildir_choose(dir, sizeof(dir), root, r->tag, o) == -1 ||
	    maildir_prepare(dir, o) == -1)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	if (msgsrc_load(&m, STDIN_FILENO, tmp, o) == -1)
		return -1;
	ret = -1;
	/* After a crash the queue asks: did this envelope arrive already? */
	if (r->check && r->evpid && maildir_has_evpid(dir, r->evpid) == 1) {
		msgsrc_free(&m);
		outcome_set(o, OUTCOME_OK, "2.0.0", "already delivered");
		/* Said even on success: the daemon logs why nothing was written. */
		fprintf(stderr, "2.0.0 already delivered\n");
		return 0;
	}
	if (r->notrace || msgsrc_loop(&m, r->final, o) == 0)
		ret = maildir_deliver(dir, &m, hdrs, r->evpid, o);
	msgsrc_free(&m);
	return ret;
}

/* As the user: load, check, open, lock, append, release. */
static int
main_mbox(const struct dlv_request *r, const char *path, int spool,
    const struct buf *hdrs, struct outcome *o)
{
	struct msgsrc m;
	struct mbox mb;
	int ret = -1;

	if (msgsrc_load(&m, STDIN_FILENO, MAIN_SPILL_DIR, o) == -1)
		return -1;
	if (!r->notrace && msgsrc_loop(&m, r->final, o) == -1)
		goto done;
	mbox_init(&mb);
	if (mbox_open(&mb, path, spool, &r->user, o) == 0 &&
	    mbox_lock(&mb, o) == 0)
		ret = mbox_append(&mb, &m, hdrs, r->sender, o);
	mbox_close(&mb);
 done:
	msgsrc_free(&m);
	return ret;
}

/*
 * -s as root (§3.3 step 5): open and lock the spool file here, then a
 * child becomes the user, reads the message and appends through the
 * open descriptor; this process keeps the locks meanwhile and releases
 * them when it is done. Returns the exit code.
 */
static int
main_spool_root(const struct dlv_request *r, const char *path,
    const struct buf *hdrs)
{
	struct outcome o;
	struct msgsrc m;
	struct mbox mb;
	pid_t pid;
	int status;

	mbox_init(&mb);
	if (mbox_open(&mb, path, 1, &r->user, &o) == -1 ||
	    mbox_lock(&mb, &o) == -1) {
		mbox_close(&mb);
		return main_report(r, &o);
	}
	if ((pid = fork()) == -1) {
		outcome_set(&o, OUTCOME_TEMP, "4.3.0", "fork: %s",
		    strerror(errno));
		mbox_close(&mb);
		return main_report(r, &o);
	}
	if (pid == 0) {
		if (mdauser_drop(&r->user, &o) == 0 &&
		    msgsrc_load(&m, STDIN_FILENO, MAIN_SPILL_DIR, &o) == 0) {
			if (r->notrace || msgsrc_loop(&m, r->final, &o) == 0)
				mbox_append(&mb, &m, hdrs, r->sender, &o);
		}
		_exit(main_report(r, &o));
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = 0;
			break;
		}
	mbox_close(&mb);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	outcome_set(&o, OUTCOME_TEMP, "4.3.0", "delivery process died with "
	    "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return main_report(r, &o);
}

static int
main_pipe(const struct dlv_request *r, const struct buf *hdrs,
    struct outcome *o)
{
	struct msgsrc m;
	int ret = -1;

	if (msgsrc_load(&m, STDIN_FILENO, MAIN_SPILL_DIR, o) == -1)
		return -1;
	if (r->notrace || msgsrc_loop(&m, r->final, o) == 0)
		ret = pipe_deliver(r, &m, hdrs, o);
	msgsrc_free(&m);
	return ret;
}

/*
 * An LMTP recipient (-R, or the user name): an address through the
 * address parser, or a bare local part, checked by the same parser with
 * a placeholder domain. The canonical form goes to out; -1 if invalid.
 */
static int
main_rcpt_name(const char *s, char *out, size_t size)
{
	struct mailaddr a;
	char tmp[ADDR_MAILBOX_SIZE + 16];

	if (s[0] == '<' || strchr(s, '@') != NULL)
		return options_addr(s, 0, &a, out, size);
	if (snprintf(tmp, sizeof(tmp), "%s@localhost", s) >= (int)sizeof(tmp) ||
	    options_addr(tmp, 0, &a, out, size) == -1)
		return -1;
	return strlcpy(out, a.local, size) >= size ? -1 : 0;
}

/* The recipients of -L: every -R, else the user name; NULL if refused. */
static struct lmtp_rcpt *
main_lmtp_rcpts(const struct dlv_request *r, const struct dlv_args *args,
    size_t *n, struct dlv_refusal *ref)
{
	struct lmtp_rcpt *rc;
	const char *name;
	char q[ADDR_MAILBOX_SIZE];
	size_t i;

	*n = args->nlrcpt > 0 ? args->nlrcpt : 1;
	if ((rc = calloc(*n, sizeof(*rc))) == NULL) {
		options_refuse(ref, EX_OSERR, "out of memory");
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		name = args->nlrcpt > 0 ? args->lrcpt[i] : r->user.name;
		if (main_rcpt_name(name, rc[i].name, sizeof(rc[i].name)) ==
		    -1) {
			outcome_quote(q, sizeof(q), name, strlen(name));
			options_refuse(ref, EX_USAGE, "invalid LMTP recipient "
			    "\"%s\"%s", q, args->nlrcpt > 0 ? "" : " (give -R)");
			free(rc);
			return NULL;
		}
	}
	return rc;
}

/*
 * -L, as the user: the hand-off, then the report (doc/deliver.8 EXIT
 * STATUS): the deciding recipient's "X.Y.Z text" on stderr, even on
 * success (the daemon logs the server's reply), written first so that
 * a caller reading both streams as one (the daemon) sees it as the
 * first line; then one "<rcpt> X.Y.Z text" line per recipient on stdout.
 */
static int
main_lmtp(const struct dlv_request *r, struct lmtp_rcpt *rc, size_t n)
{
	char host[HOST_NAME_MAX + 1];
	struct lmtp_job j;
	struct msgsrc m;
	struct outcome o;
	size_t i, which;
	int code;

	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (addr_parse_domain(host, strlen(host), 0, NULL) != ADDR_OK)
		strlcpy(host, "localhost", sizeof(host));
	memset(&j, 0, sizeof(j));
	j.dest = r->path;
	j.helo = host;
	j.sender = r->sender;
	j.timeout = r->timeout_set ? r->timeout : 0;
	j.rcpt = rc;
	j.nrcpt = n;
	if (msgsrc_load(&m, STDIN_FILENO, MAIN_SPILL_DIR, &o) == -1) {
		for (i = 0; i < n; i++)
			rc[i].o = o;
	} else {
		lmtp_deliver(&j, &m);
		msgsrc_free(&m);
	}
	code = lmtp_exit(rc, n, &which);
	fprintf(stderr, "%s %s\n", rc[which].o.esc, rc[which].o.text);
	fflush(stderr);
	for (i = 0; i < n; i++) {
		log_info("user=%s mode=lmtp rcpt=<%s> result=%s esc=%s "
		    "text=\"%s\"", r->user.name, rc[i].name,
		    outcome_result(&rc[i].o), rc[i].o.esc, rc[i].o.text);
		printf("<%s> %s %s\n", rc[i].name, rc[i].o.esc, rc[i].o.text);
	}
	fflush(stdout);
	return code;
}

/*
 * Who the delivery is for (-d, -u, else the caller) and whether this
 * process may deliver for them; -1 with o set when the user is unknown
 * or has uid 0. A caller who may not is refused here, before any input.
 */
static int
main_user(struct dlv_request *r, const struct dlv_args *args, int root,
    struct outcome *o)
{
	if (root && args->user == NULL)
		main_die(EX_NOPERM, "refusing to run as root without -d user");
	if (args->ids != NULL && args->user == NULL)
		main_die(EX_USAGE, "-u needs -d user");
	if ((args->ids ? mdauser_userbase(args->ids, args->user, &r->user, o) :
	    args->user ? mdauser_lookup(args->user, &r->user, o) :
	    mdauser_self(&r->user, o)) == -1)
		return -1;
	if (r->user.uid == 0) {
		outcome_set(o, OUTCOME_PERM, "5.7.0", "refusing to deliver "
		    "as root (user %s has uid 0)", r->user.name);
		return -1;
	}
	if (!root && r->user.uid != getuid())
		main_die(EX_NOPERM, "cannot deliver for %s as uid %lu: run as "
		    "root or as %s", r->user.name, (unsigned long)getuid(),
		    r->user.name);
	return 0;
}

/* -r (by default user@hostname) and -o through the address parser. */
static int
main_rcpt(struct dlv_request *r, const struct dlv_args *args,
    struct dlv_refusal *ref)
{
	char host[HOST_NAME_MAX + 1], addr[ADDR_MAILBOX_SIZE * 2];
	struct mailaddr a;
	const char *rcpt;

	if ((rcpt = args->rcpt) == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		snprintf(addr, sizeof(addr), "%s@%s", r->user.name, host);
		rcpt = addr;
	}
	if (options_addr(rcpt, 0, &r->final_addr, r->final,
	    sizeof(r->final)) == -1)
		return options_refuse(ref, EX_USAGE, "invalid recipient "
		    "address %s%s", rcpt, rcpt == addr ? " (give -r)" : "");
	if (args->orig == NULL)
		strlcpy(r->orig, r->final, sizeof(r->orig));
	else if (options_addr(args->orig, 0, &a, r->orig,
	    sizeof(r->orig)) == -1)
		return options_refuse(ref, EX_USAGE, "invalid original "
		    "recipient address");
	return 0;
}

/*
 * One delivery for a known user, the part a one-shot run and every agent
 * request share: the recipient addresses, then main_run(). Returns the
 * exit status, or -1 with ref set when the command line is refused.
 */
static int
main_deliver(struct dlv_request *r, const struct dlv_args *args, int root,
    pid_t parent, int stdin_ok, struct dlv_refusal *ref)
{
	struct lmtp_rcpt *lrc = NULL;
	size_t nlrc = 0;
	int code;

	if (main_rcpt(r, args, ref) == -1)
		return -1;
	if (r->mode == DLV_LMTP &&
	    (lrc = main_lmtp_rcpts(r, args, &nlrc, ref)) == NULL)
		return -1;
	code = main_run(r, root, parent, stdin_ok, lrc, nlrc, ref);
	free(lrc);
	return code;
}

/*
 * The checked request to its report: the trace fields, the switch to the
 * user when root (after the spool file is locked for -s), the delivery.
 */
static int
main_run(const struct dlv_request *r, int root, pid_t parent, int stdin_ok,
    struct lmtp_rcpt *lrc, size_t nlrc, struct dlv_refusal *ref)
{
	struct outcome o;
	struct buf hdrs;
	int code;

	if (!stdin_ok) {
		outcome_set(&o, OUTCOME_TEMP, "4.3.0", "no message on "
		    "standard input");
		return main_report(r, &o);
	}
	if ((r->mode == DLV_PIPE || (r->mode == DLV_MAILDIR && !r->path)) &&
	    r->user.home[0] != '/') {
		outcome_set(&o, OUTCOME_TEMP, "4.3.0", "home directory of %s "
		    "is not absolute", r->user.name);
		return main_report(r, &o);
	}

	buf_init(&hdrs);
	if (!r->notrace)
		headers_trace(&hdrs, r->sender, r->orig, r->final);
	if (r->mode == DLV_SPOOL)
		code = main_spool(r, root, r->notrace ? NULL : &hdrs, ref);
	else if (root && mdauser_drop(&r->user, &o) == -1)
		code = main_report(r, &o);
	else if (r->evpid != 0 && main_tie_to_parent(parent) == -1)
		code = options_refuse(ref, EX_TEMPFAIL, "the daemon is gone");
	else if (r->mode == DLV_LMTP)
		/* No trace fields: the next hop adds them (§1.2). */
		code = main_lmtp(r, lrc, nlrc);
	else
		code = main_local(r, r->notrace ? NULL : &hdrs);
	buf_free(&hdrs);
	return code;
}

/* As the user: a Maildir, an mbox file or a command, then the report. */
static int
main_local(const struct dlv_request *r, const struct buf *hdrs)
{
	struct outcome o;

	if (r->mode == DLV_MBOX)
		main_mbox(r, r->path, 0, hdrs, &o);
	else if (r->mode == DLV_PIPE)
		main_pipe(r, hdrs, &o);
	else
		main_maildir(r, hdrs, &o);
	return main_report(r, &o);
}

/* -s: the user's system mailbox, opened and locked as root if root. */
static int
main_spool(const struct dlv_request *r, int root, const struct buf *hdrs,
    struct dlv_refusal *ref)
{
	char spool[MAIN_PATH_MAX];
	struct outcome o;

	if (r->user.name[0] == '.' || strchr(r->user.name, '/') != NULL) {
		outcome_set(&o, OUTCOME_TEMP, "4.3.0", "user name unfit for "
		    "a spool file name");
		return main_report(r, &o);
	}
	if (snprintf(spool, sizeof(spool), "%s/%s", MAILSPOOL,
	    r->user.name) >= (int)sizeof(spool))
		return options_refuse(ref, EX_USAGE, "spool path too long");
	if (root)
		return main_spool_root(r, spool, hdrs);
	main_mbox(r, spool, 1, hdrs, &o);
	return main_report(r, &o);
}

/* Two optional strings: both absent or equal. */
static int
main_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * One agent request (agent.c): the options of a one-shot run, for the
 * agent's own user (-d and -u as at its start) and a delivery that needs
 * neither root nor a child process: -m or -M. The agent has become the
 * user already and stdin is the request's message.
 */
static int
main_request(int argc, char **argv, struct dlv_refusal *ref, void *arg)
{
	const struct main_agent *ma = arg;
	struct dlv_request r;
	struct dlv_args args;

	memset(&r, 0, sizeof(r));
	memset(&args, 0, sizeof(args));
	if (options_parse(argc, argv, &r, &args, ref) == -1)
		return -1;
	if (args.agent)
		return options_refuse(ref, EX_PROTOCOL, "-A in a request");
	if (r.mode != DLV_MAILDIR && r.mode != DLV_MBOX)
		return options_refuse(ref, EX_PROTOCOL, "only -m and -M "
		    "deliveries are served");
	if (!main_same(args.user, ma->args->user) ||
	    !main_same(args.ids, ma->args->ids))
		return options_refuse(ref, EX_PROTOCOL, "a request for another "
		    "user");
	r.user = *ma->user;
	return main_deliver(&r, &args, 0, ma->parent, 1, ref);
}

/*
 * -A: becomes the user once, then one delivery per request on AGENT_FD
 * until the daemon closes it. Returns the exit status.
 */
static int
main_agent(struct dlv_request *r, const struct dlv_args *args, int root,
    pid_t parent)
{
	struct main_agent ma;
	struct dlv_refusal ref;
	struct outcome o;
	struct agent a;
	int code;

	if (root && mdauser_drop(&r->user, &o) == -1)
		return main_report(r, &o);
	/* It outlives each envelope: tied whether or not one has an id. */
	if (main_tie_to_parent(parent) == -1)
		main_die(EX_TEMPFAIL, "the daemon is gone");
	if (agent_init(&a, AGENT_FD, &ref) == -1)
		main_refused(&ref);
	main_quiet = 1;
	ma.args = args;
	ma.user = &r->user;
	ma.parent = parent;
	code = agent_serve(&a, main_request, &ma);
	agent_close(&a);
	return code;
}

int
main(int argc, char *argv[])
{
	struct dlv_request r;
	struct dlv_args args;
	struct dlv_refusal ref;
	struct outcome o;
	int root, stdin_ok, code;
	pid_t parent;

	parent = getppid();
	stdin_ok = main_stdfds();
	signal(SIGPIPE, SIG_IGN);	/* a command that stops reading */
	signal(SIGXFSZ, SIG_IGN);	/* RLIMIT_FSIZE: EFBIG, not death */
	umask(077);
	log_init("deliver", 0, 0);
	if (getuid() != geteuid() || getgid() != getegid())
		main_die(EX_NOPERM, "refusing to run set-user-ID or "
		    "set-group-ID");

	memset(&r, 0, sizeof(r));
	memset(&args, 0, sizeof(args));
	if (options_parse(argc, argv, &r, &args, &ref) == -1)
		main_refused(&ref);
	root = geteuid() == 0;
	if (main_user(&r, &args, root, &o) == -1)
		return main_report(&r, &o);
	if (args.agent)
		return main_agent(&r, &args, root, parent);
	if ((code = main_deliver(&r, &args, root, parent, stdin_ok,
	    &ref)) == -1)
		main_refused(&ref);
	return code;
}

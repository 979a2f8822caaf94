/*
 * main.c: the deliver command, the local delivery agent (delivery.md,
 * doc/deliver.8). Reads one message on standard input and delivers it
 * for one user to a Maildir (default ~USER/Maildir), an mbox file, the
 * user's system spool file or a command, or hands it to an LMTP server
 * (-L, lmtp.c) for one or more recipients; reports one outcome as an
 * exit status (sysexits) and, on failure, one "X.Y.Z text" line on
 * stderr (LMTP: also one line per recipient on stdout).
 * Started by the daemon's parent, by another MTA (Postfix
 * mailbox_command) or by hand.
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

#include "deliver/deliver.h"
#include "lib/ids.h"
#include "lib/log.h"

#define MAIN_PATH_MAX	4096
#define MAIN_SPILL_DIR	"/tmp"		/* large piped messages, mbox/pipe */

static const char *const main_modes[] = { "maildir", "mbox", "spool", "pipe",
    "lmtp" };

/* Command-line strings checked once the user is known. */
struct main_args {
	const char	*user;
	const char	*sender;
	const char	*rcpt;
	const char	*orig;
	const char	*ids;		/* -u uid:gid:home */
	const char	*lrcpt[LMTP_RCPT_MAX];	/* -R */
	size_t		 nlrcpt;
};

static void	usage(void) __attribute__((noreturn));
static int	main_tie_to_parent(pid_t);
static void	main_die(int, const char *, ...)
		    __attribute__((noreturn, format(printf, 2, 3)));
static int	main_stdfds(void);
static void	main_options(int, char **, struct dlv_request *,
		    struct main_args *);
static int	main_addr(const char *, int, struct mailaddr *, char *, size_t);
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
		    const struct main_args *, size_t *);
static int	main_lmtp(const struct dlv_request *, struct lmtp_rcpt *,
		    size_t);

/*
 * Started by the daemon (-e): die with it. A deliver left running after a
 * crash could race the next start's redelivery of the same envelope. The
 * setting does not survive the switch to the user, so it is made here,
 * after it; -1 if the daemon died before.
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
	    "[-t seconds]\n");
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
 * An address argument through the one address parser: a bare mailbox or
 * a <path>; "" and "<>" are the null sender when allow_null. The
 * canonical form goes to out. -1 if it is not an address.
 */
static int
main_addr(const char *s, int allow_null, struct mailaddr *a, char *out,
    size_t size)
{
	enum addr_result r;
	size_t len = strlen(s), used;
	int opts = ADDR_OPT_UTF8 | ADDR_OPT_POSTMASTER;

	if (allow_null)
		opts |= ADDR_OPT_NULL;
	if (len > 0 && s[0] == '<') {
		r = addr_parse_path(s, len, opts, a, &used);
		if (r == ADDR_OK && used != len)
			r = ADDR_ESYNTAX;
	} else
		r = addr_parse_mailbox(s, len, opts, a);
	if (r != ADDR_OK || addr_format(a, out, size) == -1)
		return -1;
	return 0;
}

/* Logs the outcome, prints a failure on stderr; returns the exit code. */
static int
main_report(const struct dlv_request *r, const struct outcome *o)
{
	log_info("user=%s mode=%s rcpt=<%s> result=%s esc=%s text=\"%s\"",
	    r->user.name[0] ? r->user.name : "-", main_modes[r->mode],
	    r->final, outcome_result(o), o->esc, o->text);
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
		return main_addr(s, 0, &a, out, size);
	if (snprintf(tmp, sizeof(tmp), "%s@localhost", s) >= (int)sizeof(tmp) ||
	    main_addr(tmp, 0, &a, out, size) == -1)
		return -1;
	return strlcpy(out, a.local, size) >= size ? -1 : 0;
}

/* The recipients of -L: every -R, else the user name. */
static struct lmtp_rcpt *
main_lmtp_rcpts(const struct dlv_request *r, const struct main_args *args,
    size_t *n)
{
	struct lmtp_rcpt *rc;
	const char *name;
	char q[ADDR_MAILBOX_SIZE];
	size_t i;

	*n = args->nlrcpt > 0 ? args->nlrcpt : 1;
	if ((rc = calloc(*n, sizeof(*rc))) == NULL)
		main_die(EX_OSERR, "out of memory");
	for (i = 0; i < *n; i++) {
		name = args->nlrcpt > 0 ? args->lrcpt[i] : r->user.name;
		if (main_rcpt_name(name, rc[i].name, sizeof(rc[i].name)) ==
		    -1) {
			outcome_quote(q, sizeof(q), name, strlen(name));
			main_die(EX_USAGE, "invalid LMTP recipient \"%s\"%s", q,
			    args->nlrcpt > 0 ? "" : " (give -R)");
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

/* Parses the command line into r and args; usage errors exit 64. */
static void
main_options(int argc, char **argv, struct dlv_request *r,
    struct main_args *args)
{
	const char *errstr;
	size_t i;
	int ch, modes = 0;

	args->sender = "";
	r->mode = DLV_MAILDIR;
	r->timeout = PIPE_TIMEOUT;
	while ((ch = getopt(argc, argv, "a:cd:e:f:L:m:M:no:p:r:R:st:u:")) != -1) {
		switch (ch) {
		case 'a':
			if (strlcpy(r->tag, optarg, sizeof(r->tag)) >=
			    sizeof(r->tag))
				main_die(EX_USAGE, "tag too long");
			for (i = 0; r->tag[i] != '\0'; i++)
				if ((unsigned char)r->tag[i] < 0x20 ||
				    r->tag[i] == 0x7f)
					main_die(EX_USAGE, "control character "
					    "in tag");
			break;
		case 'c':
			r->check = 1;
			break;
		case 'd':
			args->user = optarg;
			break;
		case 'e':
			if (ids_evpid_parse(optarg, &r->evpid) == -1 ||
			    !ids_evpid_valid(r->evpid))
				main_die(EX_USAGE, "bad envelope id %s", optarg);
			break;
		case 'f':
			args->sender = optarg;
			break;
		case 'L':
			r->mode = DLV_LMTP;
			r->path = optarg;
			modes++;
			break;
		case 'm':
		case 'M':
		case 'p':
		case 's':
			r->mode = ch == 'm' ? DLV_MAILDIR :
			    ch == 'M' ? DLV_MBOX :
			    ch == 'p' ? DLV_PIPE : DLV_SPOOL;
			r->path = ch == 's' ? NULL : optarg;
			modes++;
			break;
		case 'n':
			r->notrace = 1;
			break;
		case 'o':
			args->orig = optarg;
			break;
		case 'r':
			args->rcpt = optarg;
			break;
		case 'R':
			if (args->nlrcpt == LMTP_RCPT_MAX)
				main_die(EX_USAGE, "more than %d recipients",
				    LMTP_RCPT_MAX);
			args->lrcpt[args->nlrcpt++] = optarg;
			break;
		case 't':
			r->timeout = (int)strtonum(optarg, 1, 86400, &errstr);
			if (errstr != NULL)
				main_die(EX_USAGE, "time limit %s: %s", optarg,
				    errstr);
			r->timeout_set = 1;
			break;
		case 'u':
			args->ids = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || modes > 1)
		usage();
	if ((r->mode == DLV_MAILDIR || r->mode == DLV_MBOX) &&
	    r->path != NULL && r->path[0] != '/')
		main_die(EX_USAGE, "%s: not an absolute path", r->path);
	if (r->mode == DLV_PIPE && r->path[0] == '\0')
		main_die(EX_USAGE, "empty command");
	if (args->nlrcpt > 0 && r->mode != DLV_LMTP)
		main_die(EX_USAGE, "-R needs -L");
}

int
main(int argc, char *argv[])
{
	struct dlv_request r;
	struct outcome o;
	struct mailaddr a;
	struct buf hdrs;
	char host[HOST_NAME_MAX + 1], addr[ADDR_MAILBOX_SIZE * 2];
	char spool[MAIN_PATH_MAX];
	struct main_args args;
	struct lmtp_rcpt *lrc = NULL;
	size_t nlrc = 0;
	const char *rcpt;
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
	main_options(argc, argv, &r, &args);
	if (main_addr(args.sender, 1, &a, r.sender, sizeof(r.sender)) == -1)
		main_die(EX_USAGE, "invalid sender address");

	root = geteuid() == 0;
	if (root && args.user == NULL)
		main_die(EX_NOPERM, "refusing to run as root without -d user");
	if (args.ids != NULL && args.user == NULL)
		main_die(EX_USAGE, "-u needs -d user");
	if ((args.ids ? mdauser_userbase(args.ids, args.user, &r.user, &o) :
	    args.user ? mdauser_lookup(args.user, &r.user, &o) :
	    mdauser_self(&r.user, &o)) == -1)
		return main_report(&r, &o);
	if (r.user.uid == 0) {
		outcome_set(&o, OUTCOME_PERM, "5.7.0", "refusing to deliver "
		    "as root (user %s has uid 0)", r.user.name);
		return main_report(&r, &o);
	}
	if (!root && r.user.uid != getuid())
		main_die(EX_NOPERM, "cannot deliver for %s as uid %lu: run as "
		    "root or as %s", r.user.name, (unsigned long)getuid(),
		    r.user.name);

	if ((rcpt = args.rcpt) == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		snprintf(addr, sizeof(addr), "%s@%s", r.user.name, host);
		rcpt = addr;
	}
	if (main_addr(rcpt, 0, &r.final_addr, r.final, sizeof(r.final)) == -1)
		main_die(EX_USAGE, "invalid recipient address %s%s", rcpt,
		    rcpt == addr ? " (give -r)" : "");
	if (args.orig == NULL)
		strlcpy(r.orig, r.final, sizeof(r.orig));
	else if (main_addr(args.orig, 0, &a, r.orig, sizeof(r.orig)) == -1)
		main_die(EX_USAGE, "invalid original recipient address");
	if (r.mode == DLV_LMTP)
		lrc = main_lmtp_rcpts(&r, &args, &nlrc);
	if (!stdin_ok) {
		outcome_set(&o, OUTCOME_TEMP, "4.3.0", "no message on "
		    "standard input");
		return main_report(&r, &o);
	}
	if ((r.mode == DLV_PIPE || (r.mode == DLV_MAILDIR && !r.path)) &&
	    r.user.home[0] != '/') {
		outcome_set(&o, OUTCOME_TEMP, "4.3.0", "home directory of %s "
		    "is not absolute", r.user.name);
		return main_report(&r, &o);
	}

	buf_init(&hdrs);
	if (!r.notrace)
		headers_trace(&hdrs, r.sender, r.orig, r.final);

	if (r.mode == DLV_SPOOL) {
		if (r.user.name[0] == '.' || strchr(r.user.name, '/') != NULL) {
			outcome_set(&o, OUTCOME_TEMP, "4.3.0", "user name "
			    "unfit for a spool file name");
			return main_report(&r, &o);
		}
		if (snprintf(spool, sizeof(spool), "%s/%s", MAILSPOOL,
		    r.user.name) >= (int)sizeof(spool))
			main_die(EX_USAGE, "spool path too long");
		if (root)
			code = main_spool_root(&r, spool,
			    r.notrace ? NULL : &hdrs);
		else {
			main_mbox(&r, spool, 1, r.notrace ? NULL : &hdrs, &o);
			code = main_report(&r, &o);
		}
		buf_free(&hdrs);
		return code;
	}
	if (root && mdauser_drop(&r.user, &o) == -1)
		return main_report(&r, &o);
	if (r.evpid != 0 && main_tie_to_parent(parent) == -1)
		main_die(EX_TEMPFAIL, "the daemon is gone");
	switch (r.mode) {
	case DLV_MAILDIR:
		main_maildir(&r, r.notrace ? NULL : &hdrs, &o);
		break;
	case DLV_MBOX:
		main_mbox(&r, r.path, 0, r.notrace ? NULL : &hdrs, &o);
		break;
	case DLV_PIPE:
		main_pipe(&r, r.notrace ? NULL : &hdrs, &o);
		break;
	case DLV_LMTP:
		/* No trace fields: the next hop adds them (§1.2). */
		code = main_lmtp(&r, lrc, nlrc);
		free(lrc);
		buf_free(&hdrs);
		return code;
	case DLV_SPOOL:
		break;
	}
	buf_free(&hdrs);
	return main_report(&r, &o);
}

/*
 * sendmail.c: the sendmail / send-mail personality (spec/ctl.md section
 * 9): the command line, the mode it selects, and a submission as a whole:
 * read the message (sendmail_msg.c), complete its header, find its
 * recipients, then hand it to smtpd through a local SMTP session
 * (sendmail_ctl.c, sendmail_smtp.c) or, with smtpd down, to
 * SPOOL/offline/ (sendmail_offline.c). Called by ctl/main.c for every
 * sendmail command line but -bi/-I. Runs as the caller, with no
 * privilege: it never opens anything in the spool but offline/.
 *
 * The control socket, the spool and the server name come from the
 * configuration ($SMTPD_CONF, else the default file; ctl.md section 1);
 * with no configuration file, the built-in defaults.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/sendmail.h"
#include "smtpd/config.h"
#include "smtpd/parse.h"

#define SM_READ_CHUNK	65536
#define SM_OPTSTRING	"A:B:b:C:Ee:F:f:Gh:IiJL:mN:nO:o:p:q::R:r:StUV:vx"

enum sm_mode {
	SM_MODE_SUBMIT,		/* -bm, the default */
	SM_MODE_SMTP,		/* -bs */
	SM_MODE_MAILQ,		/* -bp */
	SM_MODE_SCHEDULE,	/* -q */
	SM_MODE_OFFLINE,	/* -bO SOCKET: smtpd's offline pick-up */
};

struct sm_opts {
	enum sm_mode	 mode;
	int		 tflag;
	int		 iflag;
	int		 verbose;
	const char	*from;		/* -f/-r */
	const char	*fullname;	/* -F */
	char		 notify[SM_NOTIFY_MAX];
	char		 ret[SM_RET_MAX];
	char		 body[SM_BODY_MAX];
	char		 envid[SM_ENVID_MAX + 1];
};

struct sm_conf {
	char	 socket[CONFIG_PATH_MAX];
	char	 spool[CONFIG_PATH_MAX];
	char	 servername[CONFIG_HOSTNAME_MAX];
};

static int	sm_usage(void);
static int	sm_error(int, const char *, const char *);
static int	sm_options(int, char **, struct sm_opts *);
static int	sm_config(struct sm_conf *);
static int	sm_exec_self(const char *, char *const []);
static int	sm_rcpt_add(struct sm_env *, const char *, const char *);
static int	sm_rcpt_headers(struct sm_env *, const uint8_t *,
		    const struct sm_header *, const char *);
static int	sm_read_input(struct buf *, int);
static void	sm_add_fields(const struct sm_opts *, const struct sm_env *,
		    const struct sm_conf *, const struct passwd *, struct buf *,
		    char *, size_t, char *, size_t);
static int	sm_submit(struct sm_opts *, int, char **);
static int	sm_smtp_mode(void);

static int
sm_usage(void)
{
	fprintf(stderr, "usage: sendmail [-tv] [-f from] [-F name] to ...\n");
	return SM_EX_USAGE;
}

static int
sm_error(int rc, const char *what, const char *arg)
{
	fprintf(stderr, "sendmail: %s%s%s\n", what, arg ? ": " : "",
	    arg ? arg : "");
	return rc;
}

/* The options of ctl.md section 9; optind is left at the recipients. */
static int
sm_options(int argc, char **argv, struct sm_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((ch = getopt(argc, argv, SM_OPTSTRING)) != -1) {
		switch (ch) {
		case 'B':
			if (sm_body_parse(optarg, o->body, sizeof(o->body)))
				return sm_error(SM_EX_USAGE, "invalid -B "
				    "(7BIT or 8BITMIME)", optarg);
			break;
		case 'b':
			if (strcmp(optarg, "m") == 0)
				o->mode = SM_MODE_SUBMIT;
			else if (strcmp(optarg, "s") == 0)
				o->mode = SM_MODE_SMTP;
			else if (strcmp(optarg, "p") == 0)
				o->mode = SM_MODE_MAILQ;
			else if (strcmp(optarg, "O") == 0)
				o->mode = SM_MODE_OFFLINE;
			else if (strcmp(optarg, "d") == 0 ||
			    strcmp(optarg, "D") == 0)
				return sm_error(SM_EX_USAGE, "daemon mode is "
				    "not supported: start smtpd", NULL);
			else if (strcmp(optarg, "v") != 0 &&
			    strcmp(optarg, "i") != 0)
				return sm_usage();
			break;
		case 'F':
			o->fullname = optarg;
			break;
		case 'f':
		case 'r':
			o->from = optarg;
			break;
		case 'i':
			o->iflag = 1;
			break;
		case 'N':
			if (sm_notify_parse(optarg, o->notify,
			    sizeof(o->notify)))
				return sm_error(SM_EX_USAGE, "invalid -N (never "
				    "or success,failure,delay)", optarg);
			break;
		case 'o':
			if (strcmp(optarg, "i") == 0)
				o->iflag = 1;
			break;
		case 'q':
			if (optarg != NULL)
				return sm_error(SM_EX_USAGE, "-qINTERVAL is not "
				    "supported: smtpd runs its queue itself",
				    NULL);
			o->mode = SM_MODE_SCHEDULE;
			break;
		case 'R':
			if (sm_ret_parse(optarg, o->ret, sizeof(o->ret)))
				return sm_error(SM_EX_USAGE, "invalid -R (full "
				    "or hdrs)", optarg);
			break;
		case 't':
			o->tflag = 1;
			break;
		case 'V':
			if (strlen(optarg) > SM_ENVID_MAX || sm_xtext(optarg,
			    o->envid, sizeof(o->envid)) == -1)
				return sm_error(SM_EX_USAGE, "invalid -V "
				    "(too long)", optarg);
			strlcpy(o->envid, optarg, sizeof(o->envid));
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'A': case 'C': case 'E': case 'e': case 'G': case 'h':
		case 'I': case 'J': case 'L': case 'm': case 'n': case 'O':
		case 'p': case 'S': case 'U': case 'x':
			break;		/* compatibility: accepted, ignored */
		default:
			return sm_usage();
		}
	}
	return SM_EX_OK;
}

/* Socket, spool and server name: the configuration's, else defaults. */
static int
sm_config(struct sm_conf *c)
{
	struct client_conf cc;

	if (client_conf_load("sendmail", NULL, &cc) == -1)
		return -1;
	strlcpy(c->socket, cc.socket, sizeof(c->socket));
	strlcpy(c->spool, cc.spool, sizeof(c->spool));
	config_server_name(c->servername, sizeof(c->servername), 0);
	return 0;
}

/* -bp and -q are smtpctl commands: run this program under that name. */
static int
sm_exec_self(const char *what, char *const argv[])
{
	execv("/proc/self/exe", argv);
	fprintf(stderr, "sendmail: %s: cannot run smtpctl: %s\n", what,
	    strerror(errno));
	return SM_EX_SOFTWARE;
}

/* Every address of one argument or header value, qualified, once. */
static int
sm_rcpt_add(struct sm_env *env, const char *text, const char *servername)
{
	struct sm_list l;
	char addr[ADDR_MAILBOX_SIZE];
	size_t i;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	if (sm_addrlist_parse(text, strlen(text), &l) == -1) {
		sm_list_free(&l);
		return sm_error(-1, "invalid recipient", text);
	}
	for (i = 0; i < l.n && rc == 0; i++) {
		if (sm_addr_qualify(l.v[i], servername, 0, addr,
		    sizeof(addr)) != 0)
			rc = sm_error(-1, "invalid recipient", l.v[i]);
		else if (env->rcpts.n >= SM_RCPT_MAX)
			rc = sm_error(-1, "too many recipients", NULL);
		else if (!sm_list_has(&env->rcpts, addr))
			sm_list_add(&env->rcpts, addr);
	}
	sm_list_free(&l);
	return rc;
}

/* -t: the recipients of To/Cc/Bcc (or Resent-To/Cc/Bcc). */
static int
sm_rcpt_headers(struct sm_env *env, const uint8_t *m,
    const struct sm_header *h, const char *servername)
{
	struct sm_list l;
	size_t i;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	if (sm_header_rcpts(m, h, &l) == -1)
		rc = sm_error(-1, "malformed recipient field", NULL);
	for (i = 0; i < l.n && rc == 0; i++)
		rc = sm_rcpt_add(env, l.v[i], servername);
	sm_list_free(&l);
	return rc;
}

/* Standard input as CRLF lines, up to EOF or (without -i) a lone ".". */
static int
sm_read_input(struct buf *out, int dot_ends)
{
	struct sm_reader r;
	char chunk[SM_READ_CHUNK];
	ssize_t n;

	sm_reader_init(&r, out, dot_ends);
	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			sm_reader_end(&r);
			return sm_error(-1, "standard input", strerror(errno));
		}
		if (n == 0 || sm_reader_feed(&r, chunk, (size_t)n))
			break;
	}
	sm_reader_end(&r);
	return 0;
}

/* From:, Date: and Message-Id: values, used if the message lacks them. */
static void
sm_add_fields(const struct sm_opts *o, const struct sm_env *env,
    const struct sm_conf *c, const struct passwd *pw, struct buf *from,
    char *date, size_t datesz, char *msgid, size_t msgidsz)
{
	char name[SM_NAME_MAX], addr[ADDR_MAILBOX_SIZE];
	uint64_t rnd = (uint64_t)arc4random() << 32 | arc4random();

	name[0] = '\0';
	if (o->fullname != NULL)
		strlcpy(name, o->fullname, sizeof(name));
	else if (o->from == NULL)
		sm_gecos_name(pw->pw_gecos, pw->pw_name, name, sizeof(name));
	if (env->sender[0] != '\0')
		strlcpy(addr, env->sender, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "%s@%s", pw->pw_name,
		    c->servername);
	sm_from_value(name, addr, from);
	buf_add(from, "", 1);
	sm_date(env->ctime, date, datesz);
	sm_msgid(env->ctime, rnd, c->servername, msgid, msgidsz);
}

static int
sm_submit(struct sm_opts *o, int argc, char **argv)
{
	struct sm_conf c;
	struct sm_env env;
	struct sm_header h;
	struct sm_add add;
	struct passwd *pw;
	struct buf in, msg, from;
	char date[SM_DATE_MAX], msgid[SM_MSGID_MAX];
	int i, fd, rc = SM_EX_USAGE;

	memset(&env, 0, sizeof(env));
	memset(&h, 0, sizeof(h));
	buf_init(&in);
	buf_init(&msg);
	buf_init(&from);
	if (sm_config(&c) == -1)
		return SM_EX_TEMPFAIL;
	if ((pw = getpwuid(getuid())) == NULL)
		return sm_error(SM_EX_SOFTWARE, "who are you? no passwd entry "
		    "for this uid", NULL);
	env.ctime = time(NULL);
	strlcpy(env.notify, o->notify, sizeof(env.notify));
	strlcpy(env.ret, o->ret, sizeof(env.ret));
	strlcpy(env.envid, o->envid, sizeof(env.envid));
	strlcpy(env.body, o->body, sizeof(env.body));
	if (o->from == NULL)
		snprintf(env.sender, sizeof(env.sender), "%s@%s", pw->pw_name,
		    c.servername);
	else if (sm_addr_qualify(o->from, c.servername, 1, env.sender,
	    sizeof(env.sender)) == -1)
		return sm_error(SM_EX_USAGE, "invalid sender", o->from);

	for (i = 0; i < argc; i++)
		if (sm_rcpt_add(&env, argv[i], c.servername) == -1)
			goto done;
	if (!o->tflag && env.rcpts.n == 0) {
		rc = sm_error(SM_EX_USAGE, "no recipients", NULL);
		goto done;
	}
	if (sm_read_input(&in, !o->iflag) == -1) {
		rc = SM_EX_TEMPFAIL;
		goto done;
	}
	sm_header_parse(buf_head(&in), buf_avail(&in), &h);
	if (o->tflag && sm_rcpt_headers(&env, buf_head(&in), &h,
	    c.servername) == -1)
		goto done;
	if (env.rcpts.n == 0) {
		rc = sm_error(SM_EX_USAGE, "no recipients", NULL);
		goto done;
	}
	sm_add_fields(o, &env, &c, pw, &from, date, sizeof(date), msgid,
	    sizeof(msgid));
	add.from = (const char *)buf_head(&from);
	add.date = date;
	add.msgid = msgid;
	sm_message_build(buf_head(&in), buf_avail(&in), &h, &add, &msg);

	switch ((rc = sm_ctl_session(c.socket, &fd))) {
	case SM_OFFLINE:
		rc = sm_offline_write(c.spool, &env, &msg, o->verbose);
		break;
	case SM_EX_OK:
		rc = sm_smtp_submit(fd, &env, &msg, o->verbose);
		close(fd);
		break;
	}
 done:
	sm_header_free(&h);
	sm_list_free(&env.rcpts);
	buf_free(&in);
	buf_free(&msg);
	buf_free(&from);
	return rc;
}

/* -bs: the caller speaks SMTP itself, through a local session. */
static int
sm_smtp_mode(void)
{
	struct sm_conf c;
	int fd, rc;

	if (sm_config(&c) == -1)
		return SM_EX_TEMPFAIL;
	switch ((rc = sm_ctl_session(c.socket, &fd))) {
	case SM_OFFLINE:
		return sm_error(SM_EX_TEMPFAIL, "smtpd doesn't seem to be "
		    "running", NULL);
	case SM_EX_OK:
		break;
	default:
		return rc;
	}
	rc = sm_smtp_proxy(fd, STDIN_FILENO, STDOUT_FILENO);
	close(fd);
	return rc;
}

int
sendmail_main(int argc, char **argv)
{
	static char *mailq[] = { "mailq", NULL };
	static char *schedule[] = { "smtpctl", "schedule", "all", NULL };
	struct sm_opts o;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if ((rc = sm_options(argc, argv, &o)) != SM_EX_OK)
		return rc;
	argc -= optind;
	argv += optind;
	switch (o.mode) {
	case SM_MODE_MAILQ:
		return sm_exec_self("-bp", mailq);
	case SM_MODE_SCHEDULE:
		return sm_exec_self("-q", schedule);
	case SM_MODE_SMTP:
		return sm_smtp_mode();
	case SM_MODE_OFFLINE:
		if (argc != 1)
			return sm_usage();
		return sm_offline_submit(argv[0], o.verbose);
	case SM_MODE_SUBMIT:
		break;
	}
	return sm_submit(&o, argc, argv);
}

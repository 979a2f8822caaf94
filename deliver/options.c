/*
 * options.c: the command line of deliver (doc/deliver.8) into a struct
 * dlv_request and the strings that wait for the user to be known
 * (struct dlv_args). main.c parses its own command line here; in agent
 * mode (-A) it parses every request, which carries the same options, the
 * same way. Nothing here prints or exits: a bad command line is a
 * struct dlv_refusal (exit status and why, or "print the usage text"),
 * so that an agent can answer it instead of dying.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "lib/ids.h"

#define OPTIONS_FLAGS	"Aa:cd:e:f:L:m:M:no:p:r:R:st:u:"

static int	options_usage(struct dlv_refusal *, const char *);
static int	options_tag(struct dlv_request *, const char *,
		    struct dlv_refusal *);
static int	options_check(struct dlv_request *,
		    const struct dlv_args *, int, int, struct dlv_refusal *);

/* Fills ref; returns -1 for the caller's return. */
int
options_refuse(struct dlv_refusal *ref, int code, const char *fmt, ...)
{
	va_list ap;

	ref->code = code;
	ref->usage = 0;
	va_start(ap, fmt);
	vsnprintf(ref->why, sizeof(ref->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A malformed command line: the one-shot run prints the usage text. */
static int
options_usage(struct dlv_refusal *ref, const char *why)
{
	options_refuse(ref, EX_USAGE, "%s", why);
	ref->usage = 1;
	return -1;
}

/*
 * An address argument through the one address parser: a bare mailbox or
 * a <path>; "" and "<>" are the null sender when allow_null. The
 * canonical form goes to out. -1 if it is not an address.
 */
int
options_addr(const char *s, int allow_null, struct mailaddr *a, char *out,
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

static int
options_tag(struct dlv_request *r, const char *tag, struct dlv_refusal *ref)
{
	size_t i;

	if (strlcpy(r->tag, tag, sizeof(r->tag)) >= sizeof(r->tag))
		return options_refuse(ref, EX_USAGE, "tag too long");
	for (i = 0; r->tag[i] != '\0'; i++)
		if ((unsigned char)r->tag[i] < 0x20 || r->tag[i] == 0x7f)
			return options_refuse(ref, EX_USAGE, "control "
			    "character in tag");
	return 0;
}

/* What getopt cannot see: combinations, paths, the sender address. */
static int
options_check(struct dlv_request *r, const struct dlv_args *args,
    int modes, int others, struct dlv_refusal *ref)
{
	struct mailaddr a;

	if (modes > 1)
		return options_usage(ref, "more than one delivery mode");
	if ((r->mode == DLV_MAILDIR || r->mode == DLV_MBOX) &&
	    r->path != NULL && r->path[0] != '/')
		return options_refuse(ref, EX_USAGE, "%s: not an absolute "
		    "path", r->path);
	if (r->mode == DLV_PIPE && r->path[0] == '\0')
		return options_refuse(ref, EX_USAGE, "empty command");
	if (args->nlrcpt > 0 && r->mode != DLV_LMTP)
		return options_refuse(ref, EX_USAGE, "-R needs -L");
	/* The deliveries come later, one request each. */
	if (args->agent && (others > 0 || args->user == NULL))
		return options_usage(ref, "-A takes -d user and -u only");
	if (options_addr(args->sender, 1, &a, r->sender,
	    sizeof(r->sender)) == -1)
		return options_refuse(ref, EX_USAGE, "invalid sender address");
	return 0;
}

/*
 * Parses argv into r and args (both zeroed by the caller); -1 with ref
 * filled on a bad command line. Restarts getopt, so it may run again
 * on another argv (glibc: optind 0 also resets its internal state).
 * The strings of args point into argv.
 */
int
options_parse(int argc, char **argv, struct dlv_request *r,
    struct dlv_args *args, struct dlv_refusal *ref)
{
	const char *errstr;
	int ch, modes = 0, others = 0;

	args->sender = "";
	r->mode = DLV_MAILDIR;
	r->timeout = PIPE_TIMEOUT;
	optind = 0;
	while ((ch = getopt(argc, argv, OPTIONS_FLAGS)) != -1) {
		if (ch != 'A' && ch != 'd' && ch != 'u')
			others++;
		switch (ch) {
		case 'A':
			args->agent = 1;
			break;
		case 'a':
			if (options_tag(r, optarg, ref) == -1)
				return -1;
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
				return options_refuse(ref, EX_USAGE, "bad "
				    "envelope id %s", optarg);
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
				return options_refuse(ref, EX_USAGE, "more "
				    "than %d recipients", LMTP_RCPT_MAX);
			args->lrcpt[args->nlrcpt++] = optarg;
			break;
		case 't':
			r->timeout = (int)strtonum(optarg, 1, 86400, &errstr);
			if (errstr != NULL)
				return options_refuse(ref, EX_USAGE, "time "
				    "limit %s: %s", optarg, errstr);
			r->timeout_set = 1;
			break;
		case 'u':
			args->ids = optarg;
			break;
		default:
			return options_usage(ref, "unknown option or missing "
			    "argument");
		}
	}
	if (optind != argc)
		return options_usage(ref, "unexpected argument");
	return options_check(r, args, modes, others, ref);
}

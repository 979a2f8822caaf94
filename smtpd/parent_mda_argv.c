/*
 * parent_mda_argv.c: deliver's command line for a local delivery: the
 * user, the envelope's addresses and id, and the method - the action's,
 * its %{} specifiers expanded by format.c, or the envelope's own pipe
 * or file. The same argv runs a one-shot deliver or goes to an agent
 * (agent_msg.h), which is why it says whether an agent may serve it.
 * Called by parent_mda.c; pure: no I/O, no process.
 */
#include <stdio.h>
#include <string.h>

#include "smtpd/agent_msg.h"
#include "smtpd/parent_mda_argv.h"

/* An agent takes every command line we make. */
_Static_assert(MDA_ARGV_MAX - 1 <= AGENT_ARGV_MAX, "argv too long for agents");

static int	mda_argv_action(struct mda_cmd *, int *,
		    const struct envelope *, const struct action *,
		    const struct passwd *, char, const char **);

int
parent_mda_argv(struct mda_cmd *cmd, const struct envelope *e,
    const struct action *a, const struct passwd *pw, const char *ids,
    int check, char delim, const char **why)
{
	char **argv = cmd->argv;
	int n = 0, r;

	cmd->agent = 0;
	argv[n++] = "deliver";
	argv[n++] = "-d";
	argv[n++] = pw->pw_name;
	argv[n++] = "-f";
	argv[n++] = (char *)e->sender;
	argv[n++] = "-r";
	argv[n++] = (char *)e->dest;
	argv[n++] = "-o";
	argv[n++] = (char *)e->rcpt;
	/* The envelope id names the Maildir file: a redelivery can tell. */
	snprintf(cmd->evpid, sizeof(cmd->evpid), "%016llx",
	    (unsigned long long)e->evpid);
	argv[n++] = "-e";
	argv[n++] = cmd->evpid;
	if (check)
		argv[n++] = "-c";
	if (e->mda_subaddress[0]) {
		argv[n++] = "-a";
		argv[n++] = (char *)e->mda_subaddress;
	}
	if (e->mda_method == ENVELOPE_MDA_PIPE) {
		argv[n++] = "-p";
		argv[n++] = (char *)e->mda_exec;
	} else if (e->mda_method == ENVELOPE_MDA_FILE) {
		argv[n++] = "-M";
		argv[n++] = (char *)e->mda_exec;
		cmd->agent = 1;
	} else if ((r = mda_argv_action(cmd, &n, e, a, pw, delim, why)) != 0)
		return r;
	if (ids != NULL) {
		argv[n++] = "-u";
		argv[n++] = (char *)ids;
	}
	argv[n] = NULL;
	return 0;
}

/* The action's method. */
static int
mda_argv_action(struct mda_cmd *cmd, int *np, const struct envelope *e,
    const struct action *a, const struct passwd *pw, char delim,
    const char **why)
{
	struct format_vars v;
	enum format_result r;
	char **argv = cmd->argv;
	int n = *np;

	memset(&v, 0, sizeof(v));
	v.sender = e->sender;
	v.rcpt = e->rcpt;
	v.dest = e->dest;
	v.username = pw->pw_name;
	v.directory = pw->pw_dir;
	v.subaddr_delim = delim;
	switch (a->method) {
	case ACTION_MAILDIR:
		r = format_expand(a->param ? a->param : "~/Maildir", &v,
		    FORMAT_PATH, cmd->path, sizeof(cmd->path), why);
		if (r != FORMAT_OK)
			return r == FORMAT_PERMFAIL ? -2 : -1;
		argv[n++] = "-m";
		argv[n++] = cmd->path;
		cmd->agent = 1;
		break;
	case ACTION_MBOX:
		/* the system spool: locked as root, one deliver each */
		argv[n++] = "-s";
		break;
	case ACTION_MDA:
		r = format_expand(a->param, &v, FORMAT_COMMAND, cmd->path,
		    sizeof(cmd->path), why);
		if (r != FORMAT_OK)
			return r == FORMAT_PERMFAIL ? -2 : -1;
		argv[n++] = "-p";
		argv[n++] = cmd->path;
		break;
	case ACTION_LMTP:
		/*
		 * DEST as written: deliver reads it with the same parser
		 * (parse_dest_lmtp). RCPT TO is the user name (OpenSMTPD),
		 * or the address with rcpt-to.
		 */
		argv[n++] = "-L";
		argv[n++] = a->param;
		argv[n++] = "-R";
		argv[n++] = a->lmtp_rcpt_to ? (char *)e->dest :
		    (char *)pw->pw_name;
		break;
	default:
		*why = "this action's method is not available yet";
		return -1;
	}
	*np = n;
	return 0;
}

/*
 * parent_mda_argv.h: deliver's command line for a local delivery
 * (parent_mda_argv.c), for a one-shot deliver and an agent alike.
 */
#ifndef SMTPD_PARENT_MDA_ARGV_H
#define SMTPD_PARENT_MDA_ARGV_H

#include <pwd.h>

#include "queue/envelope.h"
#include "smtpd/config.h"
#include "smtpd/format.h"

#define MDA_ARGV_MAX	24		/* with the NULL after the last */
#define MDA_EVPID_SIZE	17

struct mda_cmd {
	char		*argv[MDA_ARGV_MAX];
	char		 path[FORMAT_MAX];	/* -m or -p, expanded */
	char		 evpid[MDA_EVPID_SIZE];	/* -e */
	int		 agent;		/* -m or -M: an agent may serve it */
};

/*
 * For envelope e of action a, delivered as pw (ids: `-u UID:GID:HOME`
 * of a userbase user, or NULL), with -c if check. argv points into
 * cmd, e, a, pw and ids. 0, or -1 with *why (temporary), or -2 with *why
 * (permanent, e.g. a path that would escape).
 */
int	parent_mda_argv(struct mda_cmd *, const struct envelope *,
	    const struct action *, const struct passwd *, const char *, int,
	    char, const char **);

#endif

/*
 * expand_int.h: what the files of the expansion share among themselves
 * (expand.c, expand_node.c, expand_forward.c, expand_dest.c,
 * expand_local.c): the state of one run, the path from the root, where a
 * value came from, and the steps that call each other across files.
 * Included only by aliases/expand*.c: the rest of the program and the
 * tests see expand.h alone, never the state of a run.
 */
#ifndef ALIASES_EXPAND_INT_H
#define ALIASES_EXPAND_INT_H

#include <stddef.h>

#include "aliases/aliasfmt.h"
#include "aliases/expand.h"

/* Where a value came from: decides who runs its pipes and files. */
struct expand_origin {
	const struct action	*action;
	const char		*dest;		/* address the value belongs to */
	const char		*domain;	/* for user destinations */
	const char		*fwd_user;	/* .forward owner, NULL: table */
	int			 owner_root;
	int			 in_include;
	const char		*self;		/* user whose tag is kept */
	const char		*tag;
};

struct expand_path {
	char			 key[EXPAND_KEY_MAX];
	char			 user[ENVELOPE_USER_MAX + 1];	/* fell through */
	const struct action	*action;
	char			 dest[ENVELOPE_ADDR_MAX + 1];
};

struct expand {
	const struct rules_ctx	*ctx;
	const struct lka_rcpt_req *req;
	const struct expand_ops	*ops;
	struct expand_result	*res;
	struct expand_path	 path[EXPAND_DEPTH_MAX + 2];
	size_t			 depth;		/* entries on path[] */
	size_t			 nodes;
	size_t			 nalloc;
};

/*
 * expand.c: the run. expand_fail() keeps the first reply and returns -1;
 * expand_push() enters a node (depth and work bounds; leave it with
 * x->depth--); expand_onpath() finds a key on the path from the root;
 * expand_final() adds a final destination unless an identical one is there.
 */
int	expand_fail(struct expand *, enum expand_status, const char *);
int	expand_push(struct expand *, const char *, const char *,
	    const struct action *, const char *);
struct expand_path *expand_onpath(struct expand *, const char *);
int	expand_final(struct expand *, const struct expand_final *);

/* expand_node.c: an address node, a user node (0, or -1 with the reply). */
int	expand_node_address(struct expand *, const struct action *,
	    const char *, int);
int	expand_node_user(struct expand *, const struct action *,
	    const char *, const char *, const char *, int, int);

/* expand_forward.c: the .forward of a user, or its mailbox. */
int	expand_forward_user(struct expand *, const struct action *,
	    const char *, const char *, const char *,
	    const struct table_userinfo *);

/* expand_dest.c: a value (or include file), one destination of a value. */
int	expand_dest_value(struct expand *, const char *, size_t,
	    const struct expand_origin *, size_t);
int	expand_dest(struct expand *, const struct aliasfmt_dest *,
	    const struct expand_origin *);

/* expand_local.c: a user's mailbox, a |command or /file destination. */
int	expand_local_mailbox(struct expand *, const struct action *,
	    const char *, const char *, const char *);
int	expand_local_exec(struct expand *, const struct aliasfmt_dest *,
	    const struct expand_origin *);

#endif

/*
 * parent_agent.h: the parent's deliver agents (parent_agent.c), long-
 * lived `deliver -A` processes that serve maildir and mbox-file
 * deliveries for one user, one after another.
 */
#ifndef SMTPD_PARENT_AGENT_H
#define SMTPD_PARENT_AGENT_H

#include <ev.h>

struct agent_ctx;
struct agent;

/*
 * A delivery's end: what a one-shot deliver would have exited with and
 * the first line of its stderr. An agent that fails itself (death,
 * malformed reply, refusal) ends it with EX_TEMPFAIL and a 4.3.0 text.
 */
typedef void	(*agent_done_fn)(void *, int, const char *);

struct agent_ctx *parent_agent_new(struct ev_loop *, const char *);
/*
 * Sends deliver's argv and the message file to an agent of (user, ids
 * or NULL); done() follows exactly once. NULL if no agent could take it
 * (done() is not called: the caller fails the delivery, temporarily).
 */
struct agent	*parent_agent_deliver(struct agent_ctx *, const char *,
		    const char *, char *const [], int, agent_done_fn, void *);
/* The delivery's time is up: SIGKILL; done() follows once it is reaped. */
void		 parent_agent_kill(struct agent *);
/* The daemon stops: sig to every agent's process group, busy or idle. */
void		 parent_agent_kill_all(struct agent_ctx *, int);
/* At exit, outside the loop: SIGKILL and wait for every agent. */
void		 parent_agent_reap(struct agent_ctx *);

#endif

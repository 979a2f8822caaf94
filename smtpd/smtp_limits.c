/*
 * smtp_limits.c: counts sessions in total and per client address, so one
 * client cannot take every slot. Called by session.c at accept and close.
 * UNIX-domain clients share the address "local".
 */
#include <sys/cdefs.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/session.h"
#include "smtpd/smtp_limits.h"

struct client_count {
	RB_ENTRY(client_count)	 entry;
	char			 addr[64];
	unsigned int		 n;
};

static int	client_cmp(struct client_count *, struct client_count *);
RB_HEAD(client_tree, client_count);
RB_PROTOTYPE(client_tree, client_count, entry, client_cmp);
RB_GENERATE(client_tree, client_count, entry, client_cmp)

static struct client_tree clients = RB_INITIALIZER(&clients);

struct smtp_limits smtp_limits;

static int
client_cmp(struct client_count *a, struct client_count *b)
{
	return strcmp(a->addr, b->addr);
}

void
smtp_limits_init(const struct config *conf)
{
	smtp_limits.max_sessions = conf->max_sessions;
	smtp_limits.max_per_client = conf->max_sessions_per_client;
	smtp_limits.timeout = (double)conf->smtp_timeout;
}

/* NULL if the client may have one more session, else the reason. */
const char *
smtp_limits_admit(const char *addr)
{
	struct client_count key, *c;

	if (smtp_limits.nsessions >= smtp_limits.max_sessions)
		return "too many sessions";
	strlcpy(key.addr, addr, sizeof(key.addr));
	if ((c = RB_FIND(client_tree, &clients, &key)) == NULL) {
		c = xcalloc(1, sizeof(*c));
		strlcpy(c->addr, addr, sizeof(c->addr));
		RB_INSERT(client_tree, &clients, c);
	}
	if (c->n >= smtp_limits.max_per_client)
		return "too many connections from your address";
	c->n++;
	smtp_limits.nsessions++;
	return NULL;
}

void
smtp_limits_release(const char *addr)
{
	struct client_count key, *c;

	strlcpy(key.addr, addr, sizeof(key.addr));
	if ((c = RB_FIND(client_tree, &clients, &key)) == NULL)
		return;
	smtp_limits.nsessions--;
	if (--c->n == 0) {
		RB_REMOVE(client_tree, &clients, c);
		free(c);
	}
}

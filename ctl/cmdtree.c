/*
 * cmdtree.c: the command tree of smtpctl (spec/ctl.md section 3) and
 * OpenSMTPD's way of matching words against it. The tree is a flat list
 * of complete commands; the children of a node are the distinct words
 * that follow its path in that list, in list order (which is the order of
 * "possibilities are:"). At each level a word matches a child exactly (a
 * keyword, or a typed slot whose syntax it satisfies), else it may be the
 * prefix of exactly one keyword child; slots never match by prefix.
 * Called by ctl/smtpctl.c; pure, unit-tested in t/unit/ctl_cmdtree_test.c.
 * Never prints: cmdtree_explain() writes the message into a buffer.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "ctl/cmdtree.h"
#include "lib/ids.h"

#define CMDTREE_ROUTEID_MAX	19	/* decimal digits (1 to LLONG_MAX) */

#define R	CMDTREE_ROOT
#define L	CMDTREE_LATER
#define C(w, cmd, ctl, fl)	{ w, CMDTREE_##cmd, ctl, fl }
#define W(...)			{ __VA_ARGS__, NULL }

/* Install order: OpenSMTPD's, so "possibilities are:" reads the same. */
static const struct cmdtree_entry cmdtree_list[] = {
	C(W("discover", "<evpid>"),		DISCOVER, CTL_DISCOVER, R),
	C(W("discover", "<msgid>"),		DISCOVER, CTL_DISCOVER, R),
	C(W("encrypt"),				ENCRYPT, 0, 0),
	C(W("encrypt", "<str>"),		ENCRYPT, 0, 0),
	C(W("log", "brief"),			LOG_BRIEF, CTL_LOG_BRIEF, R),
	C(W("log", "verbose"),			LOG_VERBOSE, CTL_LOG_VERBOSE, R),
	C(W("monitor"),				MONITOR, CTL_MONITOR, R),
	C(W("pause", "envelope", "<evpid>"),	PAUSE_ENVELOPE,
	    CTL_PAUSE_ENVELOPE, R),
	C(W("pause", "envelope", "<msgid>"),	PAUSE_ENVELOPE,
	    CTL_PAUSE_ENVELOPE, R),
	C(W("pause", "envelope", "all"),	PAUSE_ENVELOPE,
	    CTL_PAUSE_ENVELOPE, R),
	C(W("pause", "mda"),			PAUSE_MDA, CTL_PAUSE_MDA, R),
	C(W("pause", "mta"),			PAUSE_MTA, CTL_PAUSE_MTA, R),
	C(W("pause", "mta", "from", "<addr>", "for", "<str>"),
						PAUSE_MTA_FROM, 0, R | L),
	C(W("pause", "smtp"),			PAUSE_SMTP, CTL_PAUSE_SMTP, R),
	C(W("profile", "<str>"),		PROFILE, CTL_PROFILE, R),
	C(W("remove", "<evpid>"),		REMOVE, CTL_REMOVE, R),
	C(W("remove", "<msgid>"),		REMOVE, CTL_REMOVE, R),
	C(W("remove", "all"),			REMOVE, CTL_REMOVE, R),
	C(W("resume", "envelope", "<evpid>"),	RESUME_ENVELOPE,
	    CTL_RESUME_ENVELOPE, R),
	C(W("resume", "envelope", "<msgid>"),	RESUME_ENVELOPE,
	    CTL_RESUME_ENVELOPE, R),
	C(W("resume", "envelope", "all"),	RESUME_ENVELOPE,
	    CTL_RESUME_ENVELOPE, R),
	C(W("resume", "mda"),			RESUME_MDA, CTL_RESUME_MDA, R),
	C(W("resume", "mta"),			RESUME_MTA, CTL_RESUME_MTA, R),
	C(W("resume", "mta", "from", "<addr>", "for", "<str>"),
						RESUME_MTA_FROM, 0, R | L),
	C(W("resume", "route", "<routeid>"),	RESUME_ROUTE, CTL_RESUME_ROUTE,
	    R),
	C(W("resume", "smtp"),			RESUME_SMTP, CTL_RESUME_SMTP, R),
	C(W("schedule", "<evpid>"),		SCHEDULE, CTL_SCHEDULE, R),
	C(W("schedule", "<msgid>"),		SCHEDULE, CTL_SCHEDULE, R),
	C(W("schedule", "all"),			SCHEDULE, CTL_SCHEDULE, R),
	C(W("show", "envelope", "<evpid>"),	SHOW_ENVELOPE,
	    CTL_SHOW_ENVELOPE, R),
	C(W("show", "hosts"),			SHOW_HOSTS, CTL_SHOW_HOSTS, R),
	C(W("show", "hoststats"),		SHOW_HOSTSTATS,
	    CTL_SHOW_HOSTSTATS, R),
	C(W("show", "message", "<evpid>"),	SHOW_MESSAGE, CTL_SHOW_MESSAGE, R),
	C(W("show", "message", "<msgid>"),	SHOW_MESSAGE, CTL_SHOW_MESSAGE, R),
	C(W("show", "mta", "paused"),		SHOW_MTA_PAUSED, 0, R | L),
	C(W("show", "queue"),			SHOW_QUEUE, CTL_SHOW_QUEUE, R),
	C(W("show", "queue", "<msgid>"),	SHOW_QUEUE, CTL_SHOW_QUEUE, R),
	C(W("show", "relays"),			SHOW_RELAYS, CTL_SHOW_RELAYS, R),
	C(W("show", "routes"),			SHOW_ROUTES, CTL_SHOW_ROUTES, R),
	C(W("show", "stats"),			SHOW_STATS, CTL_SHOW_STATS, R),
	C(W("show", "status"),			SHOW_STATUS, CTL_SHOW_STATUS, R),
	C(W("spf", "walk"),			SPF_WALK, 0, 0),
	C(W("trace", "<str>"),			TRACE, CTL_TRACE, R),
	C(W("unprofile", "<str>"),		UNPROFILE, CTL_UNPROFILE, R),
	C(W("untrace", "<str>"),		UNTRACE, CTL_UNTRACE, R),
	C(W("update", "table", "<str>"),	UPDATE_TABLE, CTL_UPDATE_TABLE, R),
};
#undef R
#undef L
#undef C
#undef W

#define CMDTREE_NLIST	(sizeof(cmdtree_list) / sizeof(cmdtree_list[0]))

static enum cmdtree_slot cmdtree_slot_of(const char *);
static int	cmdtree_on_path(const struct cmdtree_entry *,
		    const struct cmdtree_match *);
static const char *cmdtree_child(const struct cmdtree_match *, size_t);
static int	cmdtree_slot_ok(enum cmdtree_slot, const char *);
static int	cmdtree_routeid(const char *);
static void	cmdtree_push(struct cmdtree_match *, const char *,
		    const char *);

static enum cmdtree_slot
cmdtree_slot_of(const char *token)
{
	if (strcmp(token, "<msgid>") == 0)
		return CMDTREE_MSGID;
	if (strcmp(token, "<evpid>") == 0)
		return CMDTREE_EVPID;
	if (strcmp(token, "<str>") == 0)
		return CMDTREE_STR;
	if (strcmp(token, "<routeid>") == 0)
		return CMDTREE_ROUTEID;
	if (strcmp(token, "<addr>") == 0)
		return CMDTREE_ADDR;
	return CMDTREE_KEYWORD;
}

/* Does e start with the tokens matched so far? */
static int
cmdtree_on_path(const struct cmdtree_entry *e, const struct cmdtree_match *m)
{
	size_t i;

	for (i = 0; i < m->nwords; i++)
		if (e->words[i] == NULL ||
		    strcmp(e->words[i], m->words[i].token) != 0)
			return 0;
	return 1;
}

/*
 * The n-th distinct child of the current node (list order), or NULL
 * when there are no more.
 */
static const char *
cmdtree_child(const struct cmdtree_match *m, size_t n)
{
	const char *tok;
	size_t i, j, seen = 0;
	int dup;

	for (i = 0; i < CMDTREE_NLIST; i++) {
		if (!cmdtree_on_path(&cmdtree_list[i], m) ||
		    (tok = cmdtree_list[i].words[m->nwords]) == NULL)
			continue;
		dup = 0;
		for (j = 0; j < i && !dup; j++)
			dup = cmdtree_on_path(&cmdtree_list[j], m) &&
			    cmdtree_list[j].words[m->nwords] != NULL &&
			    strcmp(cmdtree_list[j].words[m->nwords], tok) == 0;
		if (dup)
			continue;
		if (seen++ == n)
			return tok;
	}
	return NULL;
}

/*
 * A route id as show routes prints it: decimal, not zero (OpenSMTPD:
 * strtonum(1, LLONG_MAX)).
 */
static int
cmdtree_routeid(const char *s)
{
	size_t n;

	n = strspn(s, "0123456789");
	return s[n] == '\0' && n >= 1 && n <= CMDTREE_ROUTEID_MAX &&
	    strspn(s, "0") < n;
}

static int
cmdtree_slot_ok(enum cmdtree_slot slot, const char *word)
{
	unsigned char addr[sizeof(struct in6_addr)];
	uint64_t evpid;
	uint32_t msgid;

	switch (slot) {
	case CMDTREE_KEYWORD:
		return 0;
	case CMDTREE_MSGID:
		return ids_parse(word, &msgid, &evpid) == IDS_MSGID;
	case CMDTREE_EVPID:
		return ids_parse(word, &msgid, &evpid) == IDS_EVPID;
	case CMDTREE_STR:
		return 1;
	case CMDTREE_ROUTEID:
		return cmdtree_routeid(word);
	case CMDTREE_ADDR:
		return inet_pton(AF_INET, word, addr) == 1 ||
		    inet_pton(AF_INET6, word, addr) == 1;
	}
	return 0;
}

static void
cmdtree_push(struct cmdtree_match *m, const char *token, const char *arg)
{
	m->words[m->nwords].token = token;
	m->words[m->nwords].slot = cmdtree_slot_of(token);
	m->words[m->nwords].arg = arg;
	m->nwords++;
}

/*
 * Match argv (the words after the options) against the tree. On
 * CMDTREE_OK m->entry is the command; otherwise m->nwords says where the
 * matching stopped, for cmdtree_explain().
 */
enum cmdtree_status
cmdtree_match(int argc, char *const argv[], struct cmdtree_match *m)
{
	const char *tok, *best;
	size_t i, n, len;
	int a, ambiguous;

	memset(m, 0, sizeof(*m));
	for (a = 0; a < argc; a++) {
		if (cmdtree_child(m, 0) == NULL)
			return m->status = CMDTREE_INVALID;
		/* exact: a keyword, or a slot the word fits */
		for (n = 0; (tok = cmdtree_child(m, n)) != NULL; n++) {
			if (cmdtree_slot_of(tok) == CMDTREE_KEYWORD ?
			    strcmp(tok, argv[a]) == 0 :
			    cmdtree_slot_ok(cmdtree_slot_of(tok), argv[a]))
				break;
		}
		if (tok != NULL) {
			cmdtree_push(m, tok, argv[a]);
			continue;
		}
		/* a prefix of exactly one keyword */
		best = NULL;
		ambiguous = 0;
		len = strlen(argv[a]);
		for (n = 0; (tok = cmdtree_child(m, n)) != NULL; n++) {
			if (cmdtree_slot_of(tok) != CMDTREE_KEYWORD ||
			    strncmp(tok, argv[a], len) != 0)
				continue;
			if (best != NULL)
				ambiguous = 1;
			best = tok;
		}
		if (best == NULL || ambiguous)
			return m->status = CMDTREE_POSSIBLE;
		cmdtree_push(m, best, argv[a]);
	}
	for (i = 0; i < CMDTREE_NLIST; i++)
		if (cmdtree_on_path(&cmdtree_list[i], m) &&
		    cmdtree_list[i].words[m->nwords] == NULL) {
			m->entry = &cmdtree_list[i];
			return m->status = CMDTREE_OK;
		}
	return m->status = CMDTREE_POSSIBLE;
}

/*
 * The message for a failed match, as OpenSMTPD prints it on stderr:
 * "invalid command", or "possibilities are:" and one line per child of
 * the node where matching stopped, after the words already matched.
 */
void
cmdtree_explain(const struct cmdtree_match *m, struct buf *out)
{
	const char *tok;
	size_t i, n;

	if (m->status == CMDTREE_INVALID || cmdtree_child(m, 0) == NULL) {
		buf_addstr(out, "invalid command\n");
		return;
	}
	buf_addstr(out, "possibilities are:\n");
	for (n = 0; (tok = cmdtree_child(m, n)) != NULL; n++) {
		for (i = 0; i < m->nwords; i++)
			buf_printf(out, "%s ", m->words[i].token);
		buf_printf(out, "%s\n", tok);
	}
}

/* The command-line word that filled the first slot of this kind. */
const char *
cmdtree_slot_arg(const struct cmdtree_match *m, enum cmdtree_slot slot)
{
	size_t i;

	for (i = 0; i < m->nwords; i++)
		if (m->words[i].slot == slot)
			return m->words[i].arg;
	return NULL;
}

/* Was this keyword part of the matched path ("all")? */
int
cmdtree_has_keyword(const struct cmdtree_match *m, const char *kw)
{
	size_t i;

	for (i = 0; i < m->nwords; i++)
		if (m->words[i].slot == CMDTREE_KEYWORD &&
		    strcmp(m->words[i].token, kw) == 0)
			return 1;
	return 0;
}

/* The whole list, for tests and the manual's check. */
const struct cmdtree_entry *
cmdtree_entries(size_t *n)
{
	*n = CMDTREE_NLIST;
	return cmdtree_list;
}

/*
 * cmdtree.h: smtpctl's command tree and its matcher (spec/ctl.md
 * section 3): one level per word, exact keyword or typed slot first, then
 * an unambiguous keyword prefix. Pure: no I/O, no allocation; the caller
 * prints what cmdtree_explain() writes and chooses the exit status.
 */
#ifndef CTL_CMDTREE_H
#define CTL_CMDTREE_H

#include <stddef.h>

#include "lib/buf.h"
#include "smtpd/ctl_msg.h"

#define CMDTREE_DEPTH_MAX	6	/* words of the longest command */

/* What a word of the tree is: a keyword or a typed slot. */
enum cmdtree_slot {
	CMDTREE_KEYWORD = 0,
	CMDTREE_MSGID,		/* "<msgid>": exactly 8 hex digits, not 0 */
	CMDTREE_EVPID,		/* "<evpid>": exactly 16 hex digits, valid */
	CMDTREE_STR,		/* "<str>": any word */
	CMDTREE_ROUTEID,	/* "<routeid>": 1 to 19 decimal digits, not 0 */
	CMDTREE_ADDR,		/* "<addr>": an IPv4 or IPv6 literal */
};

enum cmdtree_cmd {
	CMDTREE_NONE = 0,
	CMDTREE_DISCOVER,
	CMDTREE_ENCRYPT,
	CMDTREE_LOG_BRIEF,
	CMDTREE_LOG_VERBOSE,
	CMDTREE_MONITOR,
	CMDTREE_PAUSE_ENVELOPE,
	CMDTREE_PAUSE_MDA,
	CMDTREE_PAUSE_MTA,
	CMDTREE_PAUSE_MTA_FROM,
	CMDTREE_PAUSE_SMTP,
	CMDTREE_PROFILE,
	CMDTREE_REMOVE,
	CMDTREE_RESUME_ENVELOPE,
	CMDTREE_RESUME_MDA,
	CMDTREE_RESUME_MTA,
	CMDTREE_RESUME_MTA_FROM,
	CMDTREE_RESUME_ROUTE,
	CMDTREE_RESUME_SMTP,
	CMDTREE_SCHEDULE,
	CMDTREE_SHOW_ENVELOPE,
	CMDTREE_SHOW_HOSTS,
	CMDTREE_SHOW_HOSTSTATS,
	CMDTREE_SHOW_MESSAGE,
	CMDTREE_SHOW_MTA_PAUSED,
	CMDTREE_SHOW_QUEUE,
	CMDTREE_SHOW_RELAYS,
	CMDTREE_SHOW_ROUTES,
	CMDTREE_SHOW_STATS,
	CMDTREE_SHOW_STATUS,
	CMDTREE_SPF_WALK,
	CMDTREE_TRACE,
	CMDTREE_UNPROFILE,
	CMDTREE_UNTRACE,
	CMDTREE_UPDATE_TABLE,
};

/* Entry flags. */
#define CMDTREE_ROOT	0x01	/* needs euid 0 */
#define CMDTREE_LATER	0x02	/* "command not supported yet" */

/* One complete command: its words ("<slot>" for a slot), NULL-ended. */
struct cmdtree_entry {
	const char		*words[CMDTREE_DEPTH_MAX + 1];
	enum cmdtree_cmd	 cmd;
	enum ctl_cmd		 ctl;	/* its request, 0 if local or LATER */
	int			 flags;
};

enum cmdtree_status {
	CMDTREE_OK,		/* entry is the command */
	CMDTREE_POSSIBLE,	/* no match, ambiguous or incomplete */
	CMDTREE_INVALID,	/* words left over after a leaf */
};

/* One word that filled a slot or matched a keyword. */
struct cmdtree_word {
	const char		*token;	/* the tree's word: "show", "<evpid>" */
	enum cmdtree_slot	 slot;
	const char		*arg;	/* the command line's word */
};

struct cmdtree_match {
	enum cmdtree_status	 status;
	const struct cmdtree_entry *entry;	/* CMDTREE_OK */
	size_t			 nwords;	/* words matched */
	struct cmdtree_word	 words[CMDTREE_DEPTH_MAX];
};

enum cmdtree_status cmdtree_match(int, char *const [], struct cmdtree_match *);
void	 cmdtree_explain(const struct cmdtree_match *, struct buf *);
const char *cmdtree_slot_arg(const struct cmdtree_match *, enum cmdtree_slot);
int	 cmdtree_has_keyword(const struct cmdtree_match *, const char *);
const struct cmdtree_entry *cmdtree_entries(size_t *);

#endif

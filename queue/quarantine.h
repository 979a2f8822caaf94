/*
 * quarantine.h: moving what the queue cannot trust to corrupt/ (design.md
 * "Spool": quarantined, never fatal). An envelope file goes to
 * corrupt/<msgid>/<file>, a whole message directory to corrupt/<msgid>/,
 * a stray with no msgid to corrupt/stray-<name>; an existing name gets a
 * ".N" suffix, nothing is ever overwritten. Each move logs one line:
 *	<msgid> queue event=quarantine file=<path> reason=<token> to=<path>
 * Called by the start-up walk (walk.c, in a worker thread).
 */
#ifndef QUEUE_QUARANTINE_H
#define QUEUE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

/* Reason tokens for the log line and the tests. */
#define QUARANTINE_TRUNCATED	"truncated"	/* records run past the end */
#define QUARANTINE_GARBAGE	"garbage"	/* not an envelope stream */
#define QUARANTINE_VERSION	"wrong-version"	/* envelope of another version */
#define QUARANTINE_INVALID	"invalid"	/* well framed, fails decode */
#define QUARANTINE_EMPTY	"empty"
#define QUARANTINE_TOO_LARGE	"too-large"
#define QUARANTINE_UNREADABLE	"unreadable"
#define QUARANTINE_EVPID	"evpid-mismatch"	/* evpid vs file name */
#define QUARANTINE_MSGID	"msgid-mismatch"	/* evpid vs directory */
#define QUARANTINE_DUPLICATE	"duplicate"
#define QUARANTINE_NO_MESSAGE	"no-message"	/* message file missing */
#define QUARANTINE_NO_ENVELOPES	"no-envelopes"	/* nothing left to deliver */
#define QUARANTINE_MISPLACED	"misplaced"	/* msgid in the wrong bucket */
#define QUARANTINE_STRAY	"stray"		/* not ours at all */

const char	*quarantine_classify(const uint8_t *, size_t);
int		 quarantine_file(int, int, const char *, uint32_t,
		    const char *, const char *, const char *);
int		 quarantine_dir(int, int, const char *, uint32_t,
		    const char *, const char *);

#endif

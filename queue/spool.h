/*
 * spool.h: the spool's layout (design.md "Spool") and its preparation.
 */
#ifndef QUEUE_SPOOL_H
#define QUEUE_SPOOL_H

#include <sys/types.h>

#define SPOOL_INCOMING	"incoming"
#define SPOOL_QUEUE	"queue"
#define SPOOL_CORRUPT	"corrupt"
#define SPOOL_PURGE	"purge"
#define SPOOL_FREE	"free"		/* spare message directories */
#define SPOOL_OFFLINE	"offline"

int	spool_prepare(const char *dir, uid_t uid, gid_t gid, int asroot);

#endif

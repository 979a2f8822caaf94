/*
 * pwmemo.h: getpwnam(3) for the lookup role, remembered for a second.
 */
#ifndef ALIASES_PWMEMO_H
#define ALIASES_PWMEMO_H

#include <pwd.h>
#include <stddef.h>
#include <time.h>

#include "aliases/table.h"

#define PWMEMO_SIZE	8	/* users remembered */
#define PWMEMO_TTL	1	/* seconds */

/*
 * Is user a system user? TABLE_FOUND copies its pw_name to name,
 * TABLE_NOTFOUND for no such user, TABLE_TEMPFAIL (errno set, never
 * remembered) when the user database could not be read.
 */
enum table_result pwmemo_lookup(const char *user, char *name, size_t namesz);
/* Forget everything (tests). */
void	pwmemo_clear(void);

/* Tests only: the lookup function and the clock (monotonic seconds). */
extern struct passwd *(*pwmemo_getpwnam)(const char *);
extern time_t (*pwmemo_clock)(void);

#endif

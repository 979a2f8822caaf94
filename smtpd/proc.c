/*
 * proc.c: process names. Used for log lines, -x ROLE and peer names.
 */
#include <string.h>

#include "smtpd/proc.h"

static const char *proc_names[PROC_COUNT] = {
	[PROC_PARENT]	= "parent",
	[PROC_SMTP]	= "smtp",
	[PROC_LOOKUP]	= "lookup",
	[PROC_QUEUE]	= "queue",
	[PROC_RELAY]	= "relay",
	[PROC_CONTROL]	= "control",
};

const char *
proc_name(enum proc_id id)
{
	if ((int)id < 0 || id >= PROC_COUNT)
		return "unknown";
	return proc_names[id];
}

int
proc_byname(const char *name)
{
	int i;

	for (i = 0; i < PROC_COUNT; i++)
		if (strcmp(proc_names[i], name) == 0)
			return i;
	return -1;
}

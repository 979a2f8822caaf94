/*
 * proc.c: process names and IPC message type names. Used for log lines,
 * -x ROLE, peer names and `smtpctl profile imsg` (lib/ipc.c).
 */
#include <stdint.h>
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

#define N(t)	[IMSG_##t] = #t
static const char *imsg_names[] = {
	N(PING),
	N(PONG),
	N(READY),
	N(LISTENER),
	N(CONTROL_SOCKET),
	N(LISTENERS_DONE),
	N(LKA_RCPT),
	N(LKA_EXPANSION),
	N(LKA_RCPT_RESULT),
	N(QUEUE_CREATE),
	N(QUEUE_CREATE_RES),
	N(QUEUE_ENVELOPE),
	N(QUEUE_COMMIT),
	N(QUEUE_COMMIT_RES),
	N(QUEUE_ROLLBACK),
	N(QUEUE_SPACE),
	N(LKA_FORWARD_OPEN),
	N(LKA_FORWARD_FD),
	N(MDA_DELIVER),
	N(MDA_RESULT),
	N(LKA_USERINFO),
	N(LKA_USERINFO_RES),
	N(LMTP_DELIVER),
	N(LMTP_RESULT),
	N(CTL_REQUEST),
	N(CTL_REPLY),
	N(CTL_STAT),
	N(CTL_LOG),
	N(CTL_ACK),
	N(LKA_AUTH),
	N(LKA_AUTH_RES),
	N(MTA_TRANSFER),
	N(MTA_RESULT),
	N(MTA_FLUSH),
	N(LKA_CREDS),
	N(LKA_CREDS_RES),
};
#undef N

const char *
imsg_name(uint32_t type)
{
	if (type >= sizeof(imsg_names) / sizeof(imsg_names[0]))
		return NULL;
	return imsg_names[type];
}

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

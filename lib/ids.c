/*
 * ids.c: draw, parse and format message and envelope ids (ids.h).
 * Called by the queue (new messages and envelopes), smtpctl (id slots of
 * the command tree) and anything that logs an id. Parsing takes text from
 * users and peers: it never reads past the NUL and never accepts signs,
 * spaces, "0x" prefixes or other lengths (no strtoul).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ids.h"

static int	ids_hex_parse(const char *, size_t, uint64_t *);

uint32_t
ids_msgid_new(void)
{
	uint32_t id;

	do {
		id = arc4random();
	} while (id == 0);
	return id;
}

uint64_t
ids_evpid_new(uint32_t msgid)
{
	uint32_t lo;

	do {
		lo = arc4random();
	} while (lo == 0);
	return (uint64_t)msgid << 32 | lo;
}

uint32_t
ids_evpid_msgid(uint64_t evpid)
{
	return evpid >> 32;
}

/* Both halves non-zero: the shape of every evpid we ever create. */
int
ids_evpid_valid(uint64_t evpid)
{
	return (evpid >> 32) != 0 && (evpid & 0xffffffffU) != 0;
}

/* Exactly len hex digits, then NUL; value 0 is refused. */
static int
ids_hex_parse(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;
	int d;

	if (s == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;	/* also a short string's NUL */
		n = n << 4 | (uint64_t)d;
	}
	if (s[len] != '\0' || n == 0)
		return -1;
	*v = n;
	return 0;
}

int
ids_msgid_parse(const char *s, uint32_t *msgid)
{
	uint64_t v;

	if (ids_hex_parse(s, IDS_MSGID_LEN, &v) == -1)
		return -1;
	*msgid = (uint32_t)v;
	return 0;
}

int
ids_evpid_parse(const char *s, uint64_t *evpid)
{
	return ids_hex_parse(s, IDS_EVPID_LEN, evpid);
}

/* A command-line token: which id slot it fits, if any. */
enum ids_kind
ids_parse(const char *s, uint32_t *msgid, uint64_t *evpid)
{
	if (ids_msgid_parse(s, msgid) == 0)
		return IDS_MSGID;
	if (ids_evpid_parse(s, evpid) == 0)
		return IDS_EVPID;
	return IDS_NONE;
}

const char *
ids_msgid_fmt(uint32_t msgid, char buf[IDS_MSGID_SIZE])
{
	snprintf(buf, IDS_MSGID_SIZE, "%08x", (unsigned int)msgid);
	return buf;
}

const char *
ids_evpid_fmt(uint64_t evpid, char buf[IDS_EVPID_SIZE])
{
	snprintf(buf, IDS_EVPID_SIZE, "%016llx", (unsigned long long)evpid);
	return buf;
}

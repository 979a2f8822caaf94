/*
 * ctl_msg.c: the control protocol's codec (smtpd/ctl_msg.h) on the record
 * codec (lib/record.h). Called by smtpctl (request out, replies in), the
 * control role (requests in from any local user, replies out and in from
 * the roles) and every role that answers a command.
 * Decoding takes bytes from an unprivileged local user: it never aborts,
 * never reads outside the buffer, and refuses (-1, zeroed struct) anything
 * the encoder would not write: unknown or duplicate records, missing
 * fields, over-long or NUL-carrying strings, control characters, an
 * unknown command, status or id kind, an id that does not fit its kind or
 * command, an argument where none belongs. The encoder refuses the same
 * things instead of truncating. The protocol version is a field, not the
 * schema version, so a client of another version can be told so.
 *
 * Request schema "CTLQ" v1 (every field required, strings may be empty):
 *   0x02 version u32   0x03 cmd u32   0x04 idkind u8   0x05 id u64
 *   0x06 arg str<=255  0x07 uid u32
 * Reply schema "CTLR" v1: 0x02 version u32, 0x03 status u32, 0x04 last
 *   u8, 0x05 count u64, 0x06 delay u64 (two's complement), 0x07 runstate
 *   u8, 0x08 text str<=1023 (all required), 0x09 data bytes<=48 KiB
 *   (optional, never empty, only with CTL_OK).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/record.h"
#include "smtpd/ctl_msg.h"

#define CTL_REQ_MAGIC		0x43544c51U	/* "CTLQ" */
#define CTL_REP_MAGIC		0x43544c52U	/* "CTLR" */
#define CTL_SCHEMA_VERSION	1
#define CTL_RUNSTATE_MAX	3		/* scheduler.h SCHED_INVALID */

enum {
	CQ_VERSION = 0x02, CQ_CMD, CQ_IDKIND, CQ_ID, CQ_ARG, CQ_UID,
};

enum {
	CR_VERSION = 0x02, CR_STATUS, CR_LAST, CR_COUNT, CR_DELAY,
	CR_RUNSTATE, CR_TEXT, CR_DATA,
};

#define R	RECORD_REQUIRED
static const struct record_field ctl_req_fields[] = {
	{ CQ_VERSION,	RECORD_U32, R, 0,		"version" },
	{ CQ_CMD,	RECORD_U32, R, 0,		"cmd" },
	{ CQ_IDKIND,	RECORD_U8,  R, 0,		"idkind" },
	{ CQ_ID,	RECORD_U64, R, 0,		"id" },
	{ CQ_ARG,	RECORD_STR, R, CTL_ARG_MAX,	"arg" },
	{ CQ_UID,	RECORD_U32, R, 0,		"uid" },
};

static const struct record_field ctl_rep_fields[] = {
	{ CR_VERSION,	RECORD_U32,   R, 0,		"version" },
	{ CR_STATUS,	RECORD_U32,   R, 0,		"status" },
	{ CR_LAST,	RECORD_U8,    R, 0,		"last" },
	{ CR_COUNT,	RECORD_U64,   R, 0,		"count" },
	{ CR_DELAY,	RECORD_U64,   R, 0,		"delay" },
	{ CR_RUNSTATE,	RECORD_U8,    R, 0,		"runstate" },
	{ CR_TEXT,	RECORD_STR,   R, CTL_TEXT_MAX,	"text" },
	{ CR_DATA,	RECORD_BYTES, 0, CTL_DATA_MAX,	"data" },
};
#undef R

static const struct record_schema ctl_req_schema = {
	.name = "ctl-request",
	.magic = CTL_REQ_MAGIC,
	.version = CTL_SCHEMA_VERSION,
	.version_min = CTL_SCHEMA_VERSION,
	.maxsize = CTL_FRAME_MAX,
	.fields = ctl_req_fields,
	.nfields = sizeof(ctl_req_fields) / sizeof(ctl_req_fields[0]),
};

static const struct record_schema ctl_rep_schema = {
	.name = "ctl-reply",
	.magic = CTL_REP_MAGIC,
	.version = CTL_SCHEMA_VERSION,
	.version_min = CTL_SCHEMA_VERSION,
	.maxsize = CTL_FRAME_MAX,
	.fields = ctl_rep_fields,
	.nfields = sizeof(ctl_rep_fields) / sizeof(ctl_rep_fields[0]),
};

/* What each command takes: id kinds (bit per enum ctl_id_kind), arg. */
#define K(k)		(1u << (k))
#define ARG_NONE	0
#define ARG_NEEDED	1
#define ARG_ANY		2

static const struct {
	const char	*name;
	unsigned int	 ids;
	int		 arg;
	int		 root;
} ctl_cmds[CTL_CMD_MAX + 1] = {
	[CTL_SHOW_QUEUE] = { "show queue", K(CTL_ID_NONE) | K(CTL_ID_MSGID),
	    ARG_NONE, 1 },
	[CTL_SHOW_ENVELOPE] = { "show envelope", K(CTL_ID_EVPID), ARG_NONE,
	    1 },
	[CTL_SHOW_MESSAGE] = { "show message", K(CTL_ID_MSGID) |
	    K(CTL_ID_EVPID), ARG_NONE, 1 },
	[CTL_SHOW_STATS] = { "show stats", K(CTL_ID_NONE), ARG_NONE, 0 },
	[CTL_SHOW_STATUS] = { "show status", K(CTL_ID_NONE), ARG_NONE, 0 },
	[CTL_PAUSE_ENVELOPE] = { "pause envelope", K(CTL_ID_MSGID) |
	    K(CTL_ID_EVPID) | K(CTL_ID_ALL), ARG_NONE, 1 },
	[CTL_RESUME_ENVELOPE] = { "resume envelope", K(CTL_ID_MSGID) |
	    K(CTL_ID_EVPID) | K(CTL_ID_ALL), ARG_NONE, 1 },
	[CTL_SCHEDULE] = { "schedule", K(CTL_ID_MSGID) | K(CTL_ID_EVPID) |
	    K(CTL_ID_ALL), ARG_NONE, 1 },
	[CTL_REMOVE] = { "remove", K(CTL_ID_MSGID) | K(CTL_ID_EVPID) |
	    K(CTL_ID_ALL), ARG_NONE, 1 },
	[CTL_PAUSE_MDA] = { "pause mda", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_RESUME_MDA] = { "resume mda", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_PAUSE_MTA] = { "pause mta", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_RESUME_MTA] = { "resume mta", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_PAUSE_SMTP] = { "pause smtp", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_RESUME_SMTP] = { "resume smtp", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_UPDATE_TABLE] = { "update table", K(CTL_ID_NONE), ARG_NEEDED,
	    1 },
	[CTL_LOG_VERBOSE] = { "log verbose", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_LOG_BRIEF] = { "log brief", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_TRACE] = { "trace", K(CTL_ID_NONE), ARG_NEEDED, 1 },
	[CTL_UNTRACE] = { "untrace", K(CTL_ID_NONE), ARG_NEEDED, 1 },
	[CTL_SHOW_HOSTS] = { "show hosts", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_SHOW_HOSTSTATS] = { "show hoststats", K(CTL_ID_NONE), ARG_NONE,
	    1 },
	[CTL_SHOW_RELAYS] = { "show relays", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_SHOW_ROUTES] = { "show routes", K(CTL_ID_NONE), ARG_NONE, 1 },
	[CTL_RESUME_ROUTE] = { "resume route", K(CTL_ID_NONE), ARG_ANY, 1 },
	[CTL_SMTP_SESSION] = { "smtp session", K(CTL_ID_NONE), ARG_NONE, 0 },
	[CTL_MONITOR] = { "monitor", K(CTL_ID_NONE), ARG_NONE, 0 },
	[CTL_DISCOVER] = { "discover", K(CTL_ID_MSGID) | K(CTL_ID_EVPID),
	    ARG_NONE, 1 },
	[CTL_PROFILE] = { "profile", K(CTL_ID_NONE), ARG_NEEDED, 1 },
	[CTL_UNPROFILE] = { "unprofile", K(CTL_ID_NONE), ARG_NEEDED, 1 },
};
#undef K

static const struct {
	const char	*word;
	int		 flags;
} ctl_trace_words[] = {
	{ "imsg",	TRACE_IMSG },
	{ "io",		TRACE_IO },
	{ "smtp",	TRACE_SMTP },
	{ "filters",	TRACE_FILTERS },
	{ "mta",	TRACE_TRANSFER },
	{ "bounce",	TRACE_BOUNCE },
	{ "scheduler",	TRACE_SCHEDULER },
	{ "expand",	TRACE_EXPAND },
	{ "lookup",	TRACE_LOOKUP },
	{ "stat",	TRACE_STAT },
	{ "rules",	TRACE_RULES },
	{ "mproc",	TRACE_MPROC },
	{ "all",	TRACE_IMSG | TRACE_IO | TRACE_SMTP | TRACE_FILTERS |
			TRACE_TRANSFER | TRACE_BOUNCE | TRACE_SCHEDULER |
			TRACE_LOOKUP | TRACE_STAT | TRACE_RULES | TRACE_MPROC |
			TRACE_EXPAND | TRACE_TABLES | TRACE_QUEUE },
};

static const struct {
	const char	*word;
	int		 flags;
} ctl_profile_words[] = {
	{ "imsg",	PROFILE_IMSG },
	{ "queue",	PROFILE_QUEUE },
};

static int	ctl_text_ok(const char *, size_t);
static int	ctl_id_ok(enum ctl_id_kind, uint64_t);
static int	ctl_req_check(const struct ctl_request *);
static int	ctl_rep_check(const struct ctl_reply *);

/* NUL-terminated inside its array, no control characters (DEL too). */
static int
ctl_text_ok(const char *s, size_t size)
{
	size_t len, i;

	if ((len = strnlen(s, size)) == size)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* ctl.md section 2: ids are never 0, nor the random half of an evpid. */
static int
ctl_id_ok(enum ctl_id_kind kind, uint64_t id)
{
	switch (kind) {
	case CTL_ID_NONE:
	case CTL_ID_ALL:
		return id == 0;
	case CTL_ID_MSGID:
		return id != 0 && id <= 0xffffffffULL;
	case CTL_ID_EVPID:
		return (id >> 32) != 0 && (id & 0xffffffffULL) != 0;
	}
	return 0;
}

static int
ctl_req_check(const struct ctl_request *q)
{
	if (q->cmd < CTL_SHOW_QUEUE || q->cmd > CTL_CMD_MAX)
		return -1;
	if ((unsigned int)q->idkind > CTL_ID_ALL ||
	    !(ctl_cmds[q->cmd].ids & (1u << q->idkind)) ||
	    !ctl_id_ok(q->idkind, q->id))
		return -1;
	if (!ctl_text_ok(q->arg, sizeof(q->arg)))
		return -1;
	switch (ctl_cmds[q->cmd].arg) {
	case ARG_NONE:
		return q->arg[0] == '\0' ? 0 : -1;
	case ARG_NEEDED:
		return q->arg[0] != '\0' ? 0 : -1;
	}
	return 0;
}

static int
ctl_rep_check(const struct ctl_reply *r)
{
	if ((unsigned int)r->status > CTL_NOTFOUND)
		return -1;
	if (r->last != 0 && r->last != 1)
		return -1;
	if (r->runstate > CTL_RUNSTATE_MAX)
		return -1;
	if (!ctl_text_ok(r->text, sizeof(r->text)))
		return -1;
	if (r->datalen > CTL_DATA_MAX || (r->datalen > 0 && r->data == NULL))
		return -1;
	/* An error ends the request and carries no data. */
	if (r->status != CTL_OK && (!r->last || r->datalen > 0))
		return -1;
	return 0;
}

int
ctl_request_encode(const struct ctl_request *q, uint8_t **bufp,
    size_t *lenp)
{
	struct record_writer w;

	*bufp = NULL;
	*lenp = 0;
	if (ctl_req_check(q) == -1)
		return -1;
	record_writer_init(&w, &ctl_req_schema);
	record_put_u32(&w, CQ_VERSION, q->version);
	record_put_u32(&w, CQ_CMD, (uint32_t)q->cmd);
	record_put_u8(&w, CQ_IDKIND, (uint8_t)q->idkind);
	record_put_u64(&w, CQ_ID, q->id);
	record_put_str(&w, CQ_ARG, q->arg);
	record_put_u32(&w, CQ_UID, q->uid);
	return record_finish(&w, bufp, lenp);
}

int
ctl_request_decode(const uint8_t *buf, size_t len, struct ctl_request *q)
{
	struct record_reader rd;
	struct record rec;
	uint32_t v32;
	uint8_t v8;
	int rc = -1, r = 0;

	memset(q, 0, sizeof(*q));
	record_reader_init(&rd, &ctl_req_schema, buf, len);
	while (r == 0 && (rc = record_next(&rd, &rec)) == 1) {
		switch (rec.type) {
		case CQ_VERSION:
			r = record_get_u32(&rd, &rec, &q->version);
			break;
		case CQ_CMD:
			if ((r = record_get_u32(&rd, &rec, &v32)) == 0) {
				if (v32 > CTL_CMD_MAX)
					r = -1;
				else
					q->cmd = (enum ctl_cmd)v32;
			}
			break;
		case CQ_IDKIND:
			if ((r = record_get_u8(&rd, &rec, &v8)) == 0) {
				if (v8 > CTL_ID_ALL)
					r = -1;
				else
					q->idkind = (enum ctl_id_kind)v8;
			}
			break;
		case CQ_ID:
			r = record_get_u64(&rd, &rec, &q->id);
			break;
		case CQ_ARG:
			r = record_get_str(&rd, &rec, q->arg, sizeof(q->arg));
			break;
		case CQ_UID:
			r = record_get_u32(&rd, &rec, &q->uid);
			break;
		default:
			r = -1;
		}
	}
	if (r == -1 || rc != 0 || ctl_req_check(q) == -1) {
		memset(q, 0, sizeof(*q));
		return -1;
	}
	return 0;
}

int
ctl_reply_encode(const struct ctl_reply *rp, uint8_t **bufp, size_t *lenp)
{
	struct record_writer w;

	*bufp = NULL;
	*lenp = 0;
	if (ctl_rep_check(rp) == -1)
		return -1;
	record_writer_init(&w, &ctl_rep_schema);
	record_put_u32(&w, CR_VERSION, rp->version);
	record_put_u32(&w, CR_STATUS, (uint32_t)rp->status);
	record_put_u8(&w, CR_LAST, (uint8_t)rp->last);
	record_put_u64(&w, CR_COUNT, rp->count);
	record_put_u64(&w, CR_DELAY, (uint64_t)rp->delay);
	record_put_u8(&w, CR_RUNSTATE, rp->runstate);
	record_put_str(&w, CR_TEXT, rp->text);
	if (rp->datalen > 0)
		record_put(&w, CR_DATA, rp->data, rp->datalen);
	return record_finish(&w, bufp, lenp);
}

int
ctl_reply_decode(const uint8_t *buf, size_t len, struct ctl_reply *rp)
{
	struct record_reader rd;
	struct record rec;
	uint64_t v64;
	uint32_t v32;
	uint8_t v8;
	int rc = -1, r = 0;

	memset(rp, 0, sizeof(*rp));
	record_reader_init(&rd, &ctl_rep_schema, buf, len);
	while (r == 0 && (rc = record_next(&rd, &rec)) == 1) {
		switch (rec.type) {
		case CR_VERSION:
			r = record_get_u32(&rd, &rec, &rp->version);
			break;
		case CR_STATUS:
			if ((r = record_get_u32(&rd, &rec, &v32)) == 0) {
				if (v32 > CTL_NOTFOUND)
					r = -1;
				else
					rp->status = (enum ctl_status)v32;
			}
			break;
		case CR_LAST:
			if ((r = record_get_u8(&rd, &rec, &v8)) == 0)
				rp->last = v8;
			break;
		case CR_COUNT:
			r = record_get_u64(&rd, &rec, &rp->count);
			break;
		case CR_DELAY:
			if ((r = record_get_u64(&rd, &rec, &v64)) == 0)
				rp->delay = (int64_t)v64;
			break;
		case CR_RUNSTATE:
			r = record_get_u8(&rd, &rec, &rp->runstate);
			break;
		case CR_TEXT:
			r = record_get_str(&rd, &rec, rp->text,
			    sizeof(rp->text));
			break;
		case CR_DATA:
			/* the encoder never writes an empty one */
			if (rec.len == 0)
				r = -1;
			rp->data = rec.data;
			rp->datalen = rec.len;
			break;
		default:
			r = -1;
		}
	}
	if (r == -1 || rc != 0 || ctl_rep_check(rp) == -1) {
		memset(rp, 0, sizeof(*rp));
		return -1;
	}
	return 0;
}

/* Mutating or mail-revealing: root or the daemon's own uid only. */
int
ctl_cmd_needs_root(enum ctl_cmd cmd)
{
	if (cmd < CTL_SHOW_QUEUE || cmd > CTL_CMD_MAX)
		return 1;
	return ctl_cmds[cmd].root;
}

const char *
ctl_cmd_name(enum ctl_cmd cmd)
{
	if (cmd < CTL_SHOW_QUEUE || cmd > CTL_CMD_MAX)
		return "unknown";
	return ctl_cmds[cmd].name;
}

void
ctl_reply_text(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	if (vsnprintf(r->text, sizeof(r->text), fmt, ap) < 0)
		r->text[0] = '\0';
	va_end(ap);
	for (i = 0; r->text[i] != '\0'; i++)
		if ((unsigned char)r->text[i] < 0x20 || r->text[i] == 0x7f)
			r->text[i] = '?';
}

int
ctl_trace_word(const char *word, int *mask)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_trace_words) / sizeof(ctl_trace_words[0]);
	    i++)
		if (strcmp(word, ctl_trace_words[i].word) == 0) {
			*mask |= ctl_trace_words[i].flags;
			return 0;
		}
	return -1;
}

int
ctl_profile_word(const char *word, int *mask)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_profile_words) /
	    sizeof(ctl_profile_words[0]); i++)
		if (strcmp(word, ctl_profile_words[i].word) == 0) {
			*mask |= ctl_profile_words[i].flags;
			return 0;
		}
	return -1;
}

/*
 * envelope.c: struct envelope to and from the record codec (lib/record.c).
 * Called by the queue's envelope store, the control server and the IPC
 * glue. Decoding takes bytes from disk or a peer: it never aborts, never
 * allocates, and every field is checked again by envelope_validate(), the
 * one place that says what a well-formed envelope is. Encoding validates
 * first, so we never store what we would refuse to read.
 *
 * Record map (schema "envelope", magic ENVELOPE_MAGIC, ENVELOPE_VERSION):
 * EVR_* types and envelope_fields[] below; never renumber a type, add new
 * ones and bump the version. Required: evpid, type, family, rcpt, dest,
 * ctime, ttl. 0x25 mda-method and 0x26 mda-exec were appended for the
 * pipe and file destinations of alias expansion (ENVELOPE_VERSION not
 * bumped: absent means ENVELOPE_MDA_ACTION); 0x27 remote-mta, the
 * relayed-to server of errorline, likewise (absent: none). Other fields are written only when non-empty or non-zero;
 * absent means empty or zero.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/ids.h"
#include "lib/record.h"
#include "lib/utf8.h"
#include "queue/envelope.h"

/* Record types on disk: fixed forever. */
enum {
	EVR_EVPID = 0x02, EVR_TYPE = 0x03, EVR_DISPATCHER = 0x04,
	EVR_TAG = 0x05, EVR_SMTPNAME = 0x06, EVR_HELO = 0x07,
	EVR_HOSTNAME = 0x08, EVR_FAMILY = 0x09, EVR_SOCKADDR = 0x0a,
	EVR_USERNAME = 0x0b, EVR_FLAGS = 0x0c, EVR_SENDER = 0x0d,
	EVR_RCPT = 0x0e, EVR_DEST = 0x0f, EVR_MDA_USER = 0x10,
	EVR_MDA_SUBADDRESS = 0x11, EVR_DSN_NOTIFY = 0x12,
	EVR_DSN_RET = 0x13, EVR_DSN_ENVID = 0x14,
	EVR_DSN_ORCPT_TYPE = 0x15, EVR_DSN_ORCPT = 0x16,
	EVR_CTIME = 0x17, EVR_TTL = 0x18, EVR_LASTTRY = 0x19,
	EVR_NEXTTRY = 0x1a, EVR_LASTBOUNCE = 0x1b, EVR_RETRY = 0x1c,
	EVR_ERRORLINE = 0x1d, EVR_ESC_CLASS = 0x1e,
	EVR_ESC_SUBJECT = 0x1f, EVR_ESC_DETAIL = 0x20,
	EVR_RUNFLAGS = 0x21, EVR_BOUNCE_TYPE = 0x22,
	EVR_BOUNCE_DELAY = 0x23, EVR_BOUNCE_TTL = 0x24,
	EVR_MDA_METHOD = 0x25, EVR_MDA_EXEC = 0x26,
	EVR_REMOTE_MTA = 0x27,
};

#define R	RECORD_REQUIRED
#define STR(t, max, name)	{ t, RECORD_STR, 0, max, name }
#define NUM(t, kind, name)	{ t, kind, 0, 0, name }
static const struct record_field envelope_fields[] = {
	{ EVR_EVPID, RECORD_U64, R, 0, "evpid" },
	{ EVR_TYPE, RECORD_U8, R, 0, "type" },
	STR(EVR_DISPATCHER,	ENVELOPE_NAME_MAX,	"dispatcher"),
	STR(EVR_TAG,		ENVELOPE_TAG_MAX,	"tag"),
	STR(EVR_SMTPNAME,	ENVELOPE_HOST_MAX,	"smtpname"),
	STR(EVR_HELO,		ENVELOPE_HOST_MAX,	"helo"),
	STR(EVR_HOSTNAME,	ENVELOPE_HOST_MAX,	"hostname"),
	{ EVR_FAMILY, RECORD_U8, R, 0, "family" },
	STR(EVR_SOCKADDR,	ENVELOPE_SOCKADDR_MAX,	"sockaddr"),
	STR(EVR_USERNAME,	ENVELOPE_USER_MAX,	"username"),
	NUM(EVR_FLAGS,		RECORD_U32,		"flags"),
	STR(EVR_SENDER,		ENVELOPE_ADDR_MAX,	"sender"),
	{ EVR_RCPT, RECORD_STR, R, ENVELOPE_ADDR_MAX, "rcpt" },
	{ EVR_DEST, RECORD_STR, R, ENVELOPE_ADDR_MAX, "dest" },
	STR(EVR_MDA_USER,	ENVELOPE_USER_MAX,	"mda-user"),
	STR(EVR_MDA_SUBADDRESS,	ENVELOPE_ADDR_MAX, "mda-subaddress"),
	NUM(EVR_DSN_NOTIFY,	RECORD_U8,		"dsn-notify"),
	NUM(EVR_DSN_RET,	RECORD_U8,		"dsn-ret"),
	STR(EVR_DSN_ENVID,	ENVELOPE_ENVID_MAX,	"dsn-envid"),
	NUM(EVR_DSN_ORCPT_TYPE,	RECORD_U8,	   "dsn-orcpt-type"),
	STR(EVR_DSN_ORCPT,	ENVELOPE_ORCPT_MAX,	"dsn-orcpt"),
	{ EVR_CTIME, RECORD_U64, R, 0, "ctime" },
	{ EVR_TTL, RECORD_U64, R, 0, "ttl" },
	NUM(EVR_LASTTRY,	RECORD_U64,		"last-try"),
	NUM(EVR_NEXTTRY,	RECORD_U64,		"next-try"),
	NUM(EVR_LASTBOUNCE,	RECORD_U64,		"last-bounce"),
	NUM(EVR_RETRY,		RECORD_U32,		"retry"),
	STR(EVR_ERRORLINE,	ENVELOPE_ERROR_MAX,	"errorline"),
	NUM(EVR_ESC_CLASS,	RECORD_U8,		"esc-class"),
	NUM(EVR_ESC_SUBJECT,	RECORD_U32,		"esc-subject"),
	NUM(EVR_ESC_DETAIL,	RECORD_U32,		"esc-detail"),
	NUM(EVR_RUNFLAGS,	RECORD_U32,		"runflags"),
	NUM(EVR_BOUNCE_TYPE,	RECORD_U8,		"bounce-type"),
	NUM(EVR_BOUNCE_DELAY,	RECORD_U64,		"bounce-delay"),
	NUM(EVR_BOUNCE_TTL,	RECORD_U64,		"bounce-ttl"),
	NUM(EVR_MDA_METHOD,	RECORD_U8,		"mda-method"),
	STR(EVR_MDA_EXEC,	ENVELOPE_EXEC_MAX,	"mda-exec"),
	STR(EVR_REMOTE_MTA,	ENVELOPE_HOST_MAX,	"remote-mta"),
};
#undef R
#undef STR
#undef NUM

static const struct record_schema envelope_schema = {
	.name = "envelope",
	.magic = ENVELOPE_MAGIC,
	.version = ENVELOPE_VERSION,
	.version_min = ENVELOPE_VERSION,
	.maxsize = ENVELOPE_ENCODED_MAX,
	.fields = envelope_fields,
	.nfields = sizeof(envelope_fields) / sizeof(envelope_fields[0]),
};

/* What a text field may hold; every class excludes NUL, CR and LF. */
enum envelope_chars {
	EC_TEXT,	/* anything else: error lines from remote servers */
	EC_NAME,	/* no control characters */
	EC_ADDR,	/* no control characters, non-ASCII as valid UTF-8 */
	EC_ASCII,	/* printable US-ASCII, 0x20-0x7e */
};

static int	envelope_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	envelope_str_check(const char *, size_t, size_t,
		    enum envelope_chars);
static int	envelope_sockaddr_check(const struct envelope *);
static int	envelope_time_check(time_t);
static int	envelope_put_str(struct record_writer *, uint8_t,
		    const char *);
static int	envelope_put_num(struct record_writer *, uint8_t, uint64_t);
static int	envelope_get(struct record_reader *, const struct record *,
		    struct envelope *);

static int
envelope_fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * s lives in an array of size bytes: it must be NUL-terminated in it, at
 * most max bytes long and made of the given class. 0 or -1.
 */
static int
envelope_str_check(const char *s, size_t size, size_t max,
    enum envelope_chars chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i;

	if ((len = strnlen(s, size)) == size || len > max)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			return -1;
		if (chars == EC_TEXT)
			continue;
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] >= 0x80 && chars == EC_ASCII))
			return -1;
	}
	if (chars == EC_ADDR && !utf8_valid(s, len))
		return -1;
	return 0;
}

/* "local", or a numeric IPv4/IPv6 address (IPv6 with an optional %scope). */
static int
envelope_sockaddr_check(const struct envelope *e)
{
	unsigned char bin[16];
	char addr[ENVELOPE_SOCKADDR_MAX + 1];
	const char *scope;
	size_t i;

	switch (e->family) {
	case ENVELOPE_LOCAL:
		return strcmp(e->sockaddr, "local") == 0 ? 0 : -1;
	case ENVELOPE_INET4:
		return inet_pton(AF_INET, e->sockaddr, bin) == 1 ? 0 : -1;
	case ENVELOPE_INET6:
		strlcpy(addr, e->sockaddr, sizeof(addr));
		if ((scope = strchr(e->sockaddr, '%')) != NULL) {
			addr[scope - e->sockaddr] = '\0';
			if (*++scope == '\0')
				return -1;
			for (i = 0; scope[i] != '\0'; i++)
				if (strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
				    scope[i]) == NULL)
					return -1;
		}
		return inet_pton(AF_INET6, addr, bin) == 1 ? 0 : -1;
	}
	return -1;
}

static int
envelope_time_check(time_t t)
{
	return t >= 0 && t <= ENVELOPE_TIME_MAX ? 0 : -1;
}

#define STRCHECK(fld, max, chars) do {					\
	if (envelope_str_check(e->fld, sizeof(e->fld), (max), (chars)))	\
		return envelope_fail(err, errsz, "bad " #fld);		\
} while (0)
#define TIMECHECK(fld) do {						\
	if (envelope_time_check(e->fld))				\
		return envelope_fail(err, errsz, "bad " #fld);		\
} while (0)

/*
 * A mailbox (lib/addr, SMTPUTF8 allowed; a bare "postmaster" as RCPT TO
 * may give it); "" only for a sender (the null sender).
 */
static int
envelope_addr_check(const char *a, int is_sender)
{
	struct mailaddr ma;

	if (a[0] == '\0')
		return is_sender ? 0 : -1;
	if (addr_parse_mailbox(a, strlen(a), ADDR_OPT_UTF8 |
	    (is_sender ? 0 : ADDR_OPT_POSTMASTER), &ma) != ADDR_OK)
		return -1;
	return 0;
}

/*
 * The one definition of a well-formed envelope, applied before encoding
 * and after decoding. Sender, rcpt and dest go through the one address
 * parser (lib/addr.h) again: a decoded envelope can never carry an
 * address the SMTP engine would have refused.
 * 0, or -1 with a reason in err.
 */
int
envelope_validate(const struct envelope *e, char *err, size_t errsz)
{
	if (!ids_evpid_valid(e->evpid))
		return envelope_fail(err, errsz, "bad evpid %016llx",
		    (unsigned long long)e->evpid);
	if (e->type != ENVELOPE_MDA && e->type != ENVELOPE_MTA &&
	    e->type != ENVELOPE_BOUNCE)
		return envelope_fail(err, errsz, "bad type %d", (int)e->type);

	STRCHECK(dispatcher, ENVELOPE_NAME_MAX, EC_NAME);
	STRCHECK(tag, ENVELOPE_TAG_MAX, EC_NAME);
	STRCHECK(smtpname, ENVELOPE_HOST_MAX, EC_NAME);
	STRCHECK(helo, ENVELOPE_HOST_MAX, EC_NAME);
	STRCHECK(hostname, ENVELOPE_HOST_MAX, EC_NAME);
	STRCHECK(sockaddr, ENVELOPE_SOCKADDR_MAX, EC_NAME);
	STRCHECK(username, ENVELOPE_USER_MAX, EC_NAME);
	STRCHECK(sender, ENVELOPE_ADDR_MAX, EC_ADDR);
	STRCHECK(rcpt, ENVELOPE_ADDR_MAX, EC_ADDR);
	STRCHECK(dest, ENVELOPE_ADDR_MAX, EC_ADDR);
	STRCHECK(mda_user, ENVELOPE_USER_MAX, EC_NAME);
	STRCHECK(mda_subaddress, ENVELOPE_ADDR_MAX, EC_ADDR);
	STRCHECK(dsn_envid, ENVELOPE_ENVID_MAX, EC_ASCII);
	STRCHECK(dsn_orcpt, ENVELOPE_ORCPT_MAX, EC_ADDR);
	STRCHECK(errorline, ENVELOPE_ERROR_MAX, EC_TEXT);
	STRCHECK(mda_exec, ENVELOPE_EXEC_MAX, EC_TEXT);
	STRCHECK(remote_mta, ENVELOPE_HOST_MAX, EC_NAME);

	if (e->type != ENVELOPE_BOUNCE && e->dispatcher[0] == '\0')
		return envelope_fail(err, errsz, "missing dispatcher");
	if (envelope_sockaddr_check(e) == -1)
		return envelope_fail(err, errsz, "bad sockaddr for family %d",
		    (int)e->family);
	if (e->flags & ~(uint32_t)ENVELOPE_F_ALL)
		return envelope_fail(err, errsz, "bad flags 0x%x", e->flags);
	if (!(e->flags & ENVELOPE_F_AUTH) != (e->username[0] == '\0'))
		return envelope_fail(err, errsz, "auth flag without username"
		    " or username without auth flag");
	if (e->rcpt[0] == '\0' || e->dest[0] == '\0')
		return envelope_fail(err, errsz, "empty rcpt or dest");
	if (envelope_addr_check(e->sender, 1) == -1)
		return envelope_fail(err, errsz, "bad sender address");
	if (envelope_addr_check(e->rcpt, 0) == -1)
		return envelope_fail(err, errsz, "bad rcpt address");
	if (envelope_addr_check(e->dest, 0) == -1)
		return envelope_fail(err, errsz, "bad dest address");
	/* Reports go out with the null sender, and never answer one. */
	if ((e->flags & ENVELOPE_F_BOUNCE) && e->sender[0] != '\0')
		return envelope_fail(err, errsz, "report with a sender");
	if (e->type == ENVELOPE_BOUNCE && e->sender[0] == '\0')
		return envelope_fail(err, errsz, "bounce to the null sender");
	if (e->type != ENVELOPE_MDA &&
	    (e->mda_user[0] != '\0' || e->mda_subaddress[0] != '\0'))
		return envelope_fail(err, errsz, "mda fields on type %d",
		    (int)e->type);

	if (e->mda_method != ENVELOPE_MDA_ACTION &&
	    e->mda_method != ENVELOPE_MDA_PIPE &&
	    e->mda_method != ENVELOPE_MDA_FILE)
		return envelope_fail(err, errsz, "bad mda-method");
	if (e->mda_method != ENVELOPE_MDA_ACTION && e->type != ENVELOPE_MDA)
		return envelope_fail(err, errsz, "mda-method on type %d",
		    (int)e->type);
	if ((e->mda_method == ENVELOPE_MDA_ACTION) != (e->mda_exec[0] == '\0') ||
	    (e->mda_method == ENVELOPE_MDA_FILE && e->mda_exec[0] != '/'))
		return envelope_fail(err, errsz, "mda-method and mda-exec"
		    " disagree");
	if ((e->dsn_notify & ~0x0f) || ((e->dsn_notify & ENVELOPE_DSN_NEVER) &&
	    e->dsn_notify != ENVELOPE_DSN_NEVER))
		return envelope_fail(err, errsz, "bad dsn-notify %u",
		    e->dsn_notify);
	if (e->dsn_ret != ENVELOPE_RET_NONE &&
	    e->dsn_ret != ENVELOPE_RET_FULL &&
	    e->dsn_ret != ENVELOPE_RET_HDRS)
		return envelope_fail(err, errsz, "bad dsn-ret");
	if (e->dsn_orcpt_type != ENVELOPE_ORCPT_NONE &&
	    e->dsn_orcpt_type != ENVELOPE_ORCPT_RFC822 &&
	    e->dsn_orcpt_type != ENVELOPE_ORCPT_UTF8)
		return envelope_fail(err, errsz, "bad dsn-orcpt type");
	if ((e->dsn_orcpt_type == ENVELOPE_ORCPT_NONE) !=
	    (e->dsn_orcpt[0] == '\0'))
		return envelope_fail(err, errsz, "dsn-orcpt type and address"
		    " disagree");

	TIMECHECK(ctime);
	TIMECHECK(ttl);
	TIMECHECK(lasttry);
	TIMECHECK(nexttry);
	TIMECHECK(lastbounce);
	TIMECHECK(bounce_delay);
	TIMECHECK(bounce_ttl);
	if (e->ctime == 0)
		return envelope_fail(err, errsz, "bad ctime");

	if (e->esc_class == 0 ? (e->esc_subject != 0 || e->esc_detail != 0) :
	    ((e->esc_class != 2 && e->esc_class != 4 && e->esc_class != 5) ||
	    e->esc_subject > ENVELOPE_ESC_MAX ||
	    e->esc_detail > ENVELOPE_ESC_MAX))
		return envelope_fail(err, errsz, "bad enhanced status");
	if (e->runflags & ~(uint32_t)ENVELOPE_R_ALL)
		return envelope_fail(err, errsz, "bad runflags 0x%x",
		    e->runflags);

	if (e->bounce_type != ENVELOPE_BOUNCE_NONE &&
	    e->bounce_type != ENVELOPE_BOUNCE_FAILED &&
	    e->bounce_type != ENVELOPE_BOUNCE_DELAYED &&
	    e->bounce_type != ENVELOPE_BOUNCE_DELIVERED)
		return envelope_fail(err, errsz, "bad bounce-type");
	if ((e->type == ENVELOPE_BOUNCE) !=
	    (e->bounce_type != ENVELOPE_BOUNCE_NONE))
		return envelope_fail(err, errsz, "bounce-type and type"
		    " disagree");
	if (e->type != ENVELOPE_BOUNCE &&
	    (e->bounce_delay != 0 || e->bounce_ttl != 0))
		return envelope_fail(err, errsz, "bounce fields on type %d",
		    (int)e->type);
	return 0;
}

#undef STRCHECK
#undef TIMECHECK

/* Optional fields: written only when they carry something. */
static int
envelope_put_str(struct record_writer *w, uint8_t type, const char *s)
{
	if (s[0] == '\0')
		return 0;
	return record_put_str(w, type, s);
}

static int
envelope_put_num(struct record_writer *w, uint8_t type, uint64_t v)
{
	const struct record_field *f = NULL;
	size_t i;

	if (v == 0)
		return 0;
	for (i = 0; i < envelope_schema.nfields; i++)
		if (envelope_fields[i].type == type)
			f = &envelope_fields[i];
	if (f == NULL || f->kind == RECORD_U64)
		return record_put_u64(w, type, v);
	if (f->kind == RECORD_U32)
		return record_put_u32(w, type, (uint32_t)v);
	return record_put_u8(w, type, (uint8_t)v);
}

int
envelope_encode(const struct envelope *e, uint8_t **bufp, size_t *lenp,
    char *err, size_t errsz)
{
	struct record_writer w;

	*bufp = NULL;
	*lenp = 0;
	if (envelope_validate(e, err, errsz) == -1)
		return -1;

	record_writer_init(&w, &envelope_schema);
	record_put_u64(&w, EVR_EVPID, e->evpid);
	record_put_u8(&w, EVR_TYPE, (uint8_t)e->type);
	record_put_u8(&w, EVR_FAMILY, (uint8_t)e->family);
	record_put_str(&w, EVR_RCPT, e->rcpt);
	record_put_str(&w, EVR_DEST, e->dest);
	record_put_u64(&w, EVR_CTIME, (uint64_t)e->ctime);
	record_put_u64(&w, EVR_TTL, (uint64_t)e->ttl);

	envelope_put_str(&w, EVR_DISPATCHER, e->dispatcher);
	envelope_put_str(&w, EVR_TAG, e->tag);
	envelope_put_str(&w, EVR_SMTPNAME, e->smtpname);
	envelope_put_str(&w, EVR_HELO, e->helo);
	envelope_put_str(&w, EVR_HOSTNAME, e->hostname);
	envelope_put_str(&w, EVR_SOCKADDR, e->sockaddr);
	envelope_put_str(&w, EVR_USERNAME, e->username);
	envelope_put_num(&w, EVR_FLAGS, e->flags);
	envelope_put_str(&w, EVR_SENDER, e->sender);
	envelope_put_str(&w, EVR_MDA_USER, e->mda_user);
	envelope_put_str(&w, EVR_MDA_SUBADDRESS, e->mda_subaddress);
	envelope_put_num(&w, EVR_DSN_NOTIFY, e->dsn_notify);
	envelope_put_num(&w, EVR_DSN_RET, (uint64_t)e->dsn_ret);
	envelope_put_str(&w, EVR_DSN_ENVID, e->dsn_envid);
	envelope_put_num(&w, EVR_DSN_ORCPT_TYPE, (uint64_t)e->dsn_orcpt_type);
	envelope_put_str(&w, EVR_DSN_ORCPT, e->dsn_orcpt);
	envelope_put_num(&w, EVR_LASTTRY, (uint64_t)e->lasttry);
	envelope_put_num(&w, EVR_NEXTTRY, (uint64_t)e->nexttry);
	envelope_put_num(&w, EVR_LASTBOUNCE, (uint64_t)e->lastbounce);
	envelope_put_num(&w, EVR_RETRY, e->retry);
	envelope_put_str(&w, EVR_ERRORLINE, e->errorline);
	envelope_put_num(&w, EVR_ESC_CLASS, e->esc_class);
	envelope_put_num(&w, EVR_ESC_SUBJECT, e->esc_subject);
	envelope_put_num(&w, EVR_ESC_DETAIL, e->esc_detail);
	envelope_put_num(&w, EVR_RUNFLAGS, e->runflags);
	envelope_put_num(&w, EVR_BOUNCE_TYPE, (uint64_t)e->bounce_type);
	envelope_put_num(&w, EVR_BOUNCE_DELAY, (uint64_t)e->bounce_delay);
	envelope_put_num(&w, EVR_BOUNCE_TTL, (uint64_t)e->bounce_ttl);
	envelope_put_num(&w, EVR_MDA_METHOD, (uint64_t)e->mda_method);
	envelope_put_str(&w, EVR_MDA_EXEC, e->mda_exec);
	envelope_put_str(&w, EVR_REMOTE_MTA, e->remote_mta);

	if (record_finish(&w, bufp, lenp) == -1)
		return envelope_fail(err, errsz, "%s", record_writer_error(&w));
	return 0;
}

#define GETSTR(fld)	record_get_str(rd, rec, e->fld, sizeof(e->fld))

/* One record into its field; range checks before narrowing. */
static int
envelope_get(struct record_reader *rd, const struct record *rec,
    struct envelope *e)
{
	uint64_t v = 0;
	uint32_t v32;
	uint8_t v8;

	switch (rec->field->kind) {
	case RECORD_U8:
		if (record_get_u8(rd, rec, &v8) == -1)
			return -1;
		v = v8;
		break;
	case RECORD_U32:
		if (record_get_u32(rd, rec, &v32) == -1)
			return -1;
		v = v32;
		break;
	case RECORD_U64:
		if (record_get_u64(rd, rec, &v) == -1)
			return -1;
		if (rec->type != EVR_EVPID && v > ENVELOPE_TIME_MAX) {
			record_reader_fail(rd, "field %s out of range",
			    rec->field->name);
			return -1;
		}
		break;
	default:
		break;
	}

	switch (rec->type) {
	case EVR_EVPID:		e->evpid = v; break;
	case EVR_TYPE:		e->type = (enum envelope_type)v; break;
	case EVR_DISPATCHER:	return GETSTR(dispatcher);
	case EVR_TAG:		return GETSTR(tag);
	case EVR_SMTPNAME:	return GETSTR(smtpname);
	case EVR_HELO:		return GETSTR(helo);
	case EVR_HOSTNAME:	return GETSTR(hostname);
	case EVR_FAMILY:	e->family = (enum envelope_family)v; break;
	case EVR_SOCKADDR:	return GETSTR(sockaddr);
	case EVR_USERNAME:	return GETSTR(username);
	case EVR_FLAGS:		e->flags = (uint32_t)v; break;
	case EVR_SENDER:	return GETSTR(sender);
	case EVR_RCPT:		return GETSTR(rcpt);
	case EVR_DEST:		return GETSTR(dest);
	case EVR_MDA_USER:	return GETSTR(mda_user);
	case EVR_MDA_SUBADDRESS: return GETSTR(mda_subaddress);
	case EVR_DSN_NOTIFY:	e->dsn_notify = (uint8_t)v; break;
	case EVR_DSN_RET:	e->dsn_ret = (enum envelope_dsn_ret)v; break;
	case EVR_DSN_ENVID:	return GETSTR(dsn_envid);
	case EVR_DSN_ORCPT_TYPE:
		e->dsn_orcpt_type = (enum envelope_orcpt_type)v;
		break;
	case EVR_DSN_ORCPT:	return GETSTR(dsn_orcpt);
	case EVR_CTIME:		e->ctime = (time_t)v; break;
	case EVR_TTL:		e->ttl = (time_t)v; break;
	case EVR_LASTTRY:	e->lasttry = (time_t)v; break;
	case EVR_NEXTTRY:	e->nexttry = (time_t)v; break;
	case EVR_LASTBOUNCE:	e->lastbounce = (time_t)v; break;
	case EVR_RETRY:		e->retry = (uint32_t)v; break;
	case EVR_ERRORLINE:	return GETSTR(errorline);
	case EVR_ESC_CLASS:	e->esc_class = (uint8_t)v; break;
	case EVR_ESC_SUBJECT:
	case EVR_ESC_DETAIL:
		if (v > ENVELOPE_ESC_MAX) {
			record_reader_fail(rd, "field %s out of range",
			    rec->field->name);
			return -1;
		}
		if (rec->type == EVR_ESC_SUBJECT)
			e->esc_subject = (uint16_t)v;
		else
			e->esc_detail = (uint16_t)v;
		break;
	case EVR_RUNFLAGS:	e->runflags = (uint32_t)v; break;
	case EVR_BOUNCE_TYPE:
		e->bounce_type = (enum envelope_bounce_type)v;
		break;
	case EVR_BOUNCE_DELAY:	e->bounce_delay = (time_t)v; break;
	case EVR_BOUNCE_TTL:	e->bounce_ttl = (time_t)v; break;
	case EVR_MDA_METHOD:
		e->mda_method = (enum envelope_mda_method)v;
		break;
	case EVR_MDA_EXEC:	return GETSTR(mda_exec);
	case EVR_REMOTE_MTA:	return GETSTR(remote_mta);
	default:
		/* in the schema but not here: our bug, still no abort */
		record_reader_fail(rd, "unhandled record type %u", rec->type);
		return -1;
	}
	return 0;
}

#undef GETSTR

/* 0, or -1 with a reason in err and *e zeroed. */
int
envelope_decode(const uint8_t *buf, size_t len, struct envelope *e,
    char *err, size_t errsz)
{
	struct record_reader rd;
	struct record rec;
	int r;

	memset(e, 0, sizeof(*e));
	record_reader_init(&rd, &envelope_schema, buf, len);
	while ((r = record_next(&rd, &rec)) == 1)
		if (envelope_get(&rd, &rec, e) == -1) {
			r = -1;
			break;
		}
	if (r == -1) {
		memset(e, 0, sizeof(*e));
		return envelope_fail(err, errsz, "%s",
		    record_reader_error(&rd));
	}
	if (envelope_validate(e, err, errsz) == -1) {
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 0;
}

#define SAME(fld)	(a->fld == b->fld)
#define SAMESTR(fld)	(strncmp(a->fld, b->fld, sizeof(a->fld)) == 0)

/* Field by field: bytes after a string's NUL do not count. */
int
envelope_equal(const struct envelope *a, const struct envelope *b)
{
	return SAME(evpid) && SAME(type) && SAMESTR(dispatcher) &&
	    SAMESTR(tag) && SAMESTR(smtpname) && SAMESTR(helo) &&
	    SAMESTR(hostname) && SAME(family) && SAMESTR(sockaddr) &&
	    SAMESTR(username) && SAME(flags) && SAMESTR(sender) &&
	    SAMESTR(rcpt) && SAMESTR(dest) && SAMESTR(mda_user) &&
	    SAMESTR(mda_subaddress) && SAME(dsn_notify) && SAME(dsn_ret) &&
	    SAMESTR(dsn_envid) && SAME(dsn_orcpt_type) &&
	    SAMESTR(dsn_orcpt) && SAME(ctime) && SAME(ttl) &&
	    SAME(lasttry) && SAME(nexttry) && SAME(lastbounce) &&
	    SAME(retry) && SAMESTR(errorline) && SAME(esc_class) &&
	    SAME(esc_subject) && SAME(esc_detail) && SAME(runflags) &&
	    SAME(bounce_type) && SAME(bounce_delay) && SAME(bounce_ttl) &&
	    SAME(mda_method) && SAMESTR(mda_exec) && SAMESTR(remote_mta);
}

#undef SAME
#undef SAMESTR

uint32_t
envelope_msgid(const struct envelope *e)
{
	return ids_evpid_msgid(e->evpid);
}

time_t
envelope_expire(const struct envelope *e)
{
	return e->ctime + e->ttl;	/* both <= ENVELOPE_TIME_MAX */
}

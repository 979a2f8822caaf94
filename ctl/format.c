/*
 * format.c: smtpctl's output formatters for envelopes (format.h): show
 * queue lines (spec/ctl.md section 4), show envelope key: value lines
 * (section 5), their -j JSON forms, and the vis(3) and JSON string
 * escapes. format_stats.c has the rest. Called by ctl/smtpctl.c. Pure:
 * appends to a struct buf, never writes, never exits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define LIBBSD_OPENBSD_VIS	/* we use strvis() only */
#include <vis.h>

#include "ctl/format.h"
#include "lib/ids.h"
#include "lib/utf8.h"
#include "lib/xmalloc.h"
#include "queue/envelope.h"
#include "queue/scheduler.h"

/* strvis: tab and newline too (ctl.md: control bytes), C locale. */
#define CTLFMT_VIS_FLAGS	(VIS_TAB | VIS_NL | VIS_NOLOCALE)
#define CTLFMT_FLAGS_MAX	64	/* "bounce,auth,internal,suspend,hold" */

/*
 * show envelope's two forms: ctlfmt_envelope_walk() lists the fields in
 * ctl.md section 5's order and hands each to a sink, text or JSON, so the
 * forms cannot drift apart.
 */
struct ctlfmt_sink {
	void	(*str)(struct ctlfmt_sink *, const char *, const char *);
	void	(*num)(struct ctlfmt_sink *, const char *, long long);
	void	(*flags)(struct ctlfmt_sink *, const char *, const char *);
	struct buf	*out;
	int		 first;
};

static void	ctlfmt_envelope_walk(struct ctlfmt_sink *,
		    const struct envelope *);
static void	ctlfmt_text_str(struct ctlfmt_sink *, const char *,
		    const char *);
static void	ctlfmt_text_num(struct ctlfmt_sink *, const char *, long long);
static void	ctlfmt_json_sstr(struct ctlfmt_sink *, const char *,
		    const char *);
static void	ctlfmt_json_snum(struct ctlfmt_sink *, const char *,
		    long long);
static void	ctlfmt_json_sflags(struct ctlfmt_sink *, const char *,
		    const char *);
static const char *ctlfmt_family(int);
static const char *ctlfmt_type(int);
static void	ctlfmt_queue_flags(char *, size_t, const struct envelope *,
		    char);
static void	ctlfmt_kv_str(struct buf *, const char *, const char *);
static void	ctlfmt_kv_num(struct buf *, const char *, long long);
static void	ctlfmt_json_key(struct buf *, int *, const char *);
static void	ctlfmt_json_kstr(struct buf *, int *, const char *,
		    const char *);
static void	ctlfmt_json_knum(struct buf *, int *, const char *, long long);
static void	ctlfmt_json_flags(struct buf *, const char *);
static void	ctlfmt_orcpt(char *, size_t, const struct envelope *);

static const char *
ctlfmt_family(int family)
{
	switch (family) {
	case ENVELOPE_LOCAL:
		return "local";
	case ENVELOPE_INET4:
		return "inet4";
	case ENVELOPE_INET6:
		return "inet6";
	}
	return "?";
}

static const char *
ctlfmt_type(int type)
{
	switch (type) {
	case ENVELOPE_MDA:
		return "mda";
	case ENVELOPE_MTA:
		return "mta";
	case ENVELOPE_BOUNCE:
		return "bounce";
	}
	return "?";
}

const char *
ctlfmt_runstate(int runstate)
{
	switch (runstate) {
	case SCHED_PENDING:
		return "pending";
	case SCHED_INFLIGHT:
		return "inflight";
	case SCHED_OFFLINE:
		return "offline";
	}
	return "invalid";
}

/* Flags in ctl.md's order, separated by sep. */
static void
ctlfmt_queue_flags(char *out, size_t outsz, const struct envelope *e,
    char sep)
{
	static const struct {
		int		 run;	/* a runflag, not a flag */
		uint32_t	 bit;
		const char	*name;
	} flags[] = {
		{ 0, ENVELOPE_F_BOUNCE, "bounce" },
		{ 0, ENVELOPE_F_AUTH, "auth" },
		{ 0, ENVELOPE_F_INTERNAL, "internal" },
		{ 1, ENVELOPE_R_SUSPEND, "suspend" },
		{ 1, ENVELOPE_R_HOLD, "hold" },
	};
	char sepstr[2] = { sep, '\0' };
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!((flags[i].run ? e->runflags : e->flags) & flags[i].bit))
			continue;
		len += (size_t)snprintf(out + len, outsz - len, "%s%s",
		    len ? sepstr : "", flags[i].name);
	}
}

/* ------------------------------------------------------------ pieces */

/* vis(3) with OpenSMTPD's intent: control and non-ASCII bytes escaped. */
void
ctlfmt_vis(struct buf *out, const char *s)
{
	char *v;

	v = xcalloc(4, strlen(s) + 1);
	strvis(v, s, CTLFMT_VIS_FLAGS);
	buf_addstr(out, v);
	free(v);
}

/* A JSON string: quoted, escaped, invalid UTF-8 as U+FFFD. */
void
ctlfmt_json_str(struct buf *out, const char *s, size_t len)
{
	uint32_t cp;
	size_t i = 0, n;
	unsigned char c;

	buf_addstr(out, "\"");
	while (i < len) {
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
				buf_addstr(out, "\\ufffd");
				i++;
			} else {
				buf_add(out, s + i, n);
				i += n;
			}
			continue;
		}
		switch (c) {
		case '"':
			buf_addstr(out, "\\\"");
			break;
		case '\\':
			buf_addstr(out, "\\\\");
			break;
		case '\n':
			buf_addstr(out, "\\n");
			break;
		case '\r':
			buf_addstr(out, "\\r");
			break;
		case '\t':
			buf_addstr(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(out, "\\u%04x", c);
			else
				buf_add(out, &s[i], 1);
		}
		i++;
	}
	buf_addstr(out, "\"");
}

static void
ctlfmt_json_key(struct buf *out, int *first, const char *key)
{
	if (!*first)
		buf_addstr(out, ",");
	*first = 0;
	ctlfmt_json_str(out, key, strlen(key));
	buf_addstr(out, ":");
}

static void
ctlfmt_json_kstr(struct buf *out, int *first, const char *key, const char *v)
{
	ctlfmt_json_key(out, first, key);
	ctlfmt_json_str(out, v, strlen(v));
}

static void
ctlfmt_json_knum(struct buf *out, int *first, const char *key, long long v)
{
	ctlfmt_json_key(out, first, key);
	buf_printf(out, "%lld", v);
}

/* "a b c" (or "a,b,c") as ["a","b","c"]. */
static void
ctlfmt_json_flags(struct buf *out, const char *flags)
{
	size_t n;
	int first = 1;

	buf_addstr(out, "[");
	while (*flags != '\0') {
		n = strcspn(flags, " ,");
		if (n > 0) {
			if (!first)
				buf_addstr(out, ",");
			first = 0;
			ctlfmt_json_str(out, flags, n);
		}
		flags += n;
		if (*flags != '\0')
			flags++;
	}
	buf_addstr(out, "]");
}

/* ------------------------------------------------------------ show queue */

/*
 * EVPID|FAMILY|TYPE|FLAGS|SENDER|RCPT|DEST|CTIME|EXPIRE|LASTTRY|RETRIES|
 * RUNSTATE|DELAY|ERROR and a newline; DELAY empty unless pending or
 * inflight.
 */
void
ctlfmt_queue_line(struct buf *out, const struct envelope *e, int runstate,
    int64_t delay)
{
	char flags[CTLFMT_FLAGS_MAX];

	ctlfmt_queue_flags(flags, sizeof(flags), e, ',');
	buf_printf(out, "%016llx|%s|%s|%s|%s|%s|%s|%lld|%lld|%lld|%u|%s|",
	    (unsigned long long)e->evpid, ctlfmt_family(e->family),
	    ctlfmt_type(e->type), flags,
	    e->sender[0] != '\0' ? e->sender : "@", e->rcpt, e->dest,
	    (long long)e->ctime, (long long)envelope_expire(e),
	    (long long)e->lasttry, (unsigned int)e->retry,
	    ctlfmt_runstate(runstate));
	if (runstate == SCHED_PENDING || runstate == SCHED_INFLIGHT)
		buf_printf(out, "%lld", (long long)delay);
	buf_addstr(out, "|");
	ctlfmt_vis(out, e->errorline);
	buf_addstr(out, "\n");
}

void
ctlfmt_queue_json(struct buf *out, const struct envelope *e, int runstate,
    int64_t delay)
{
	char flags[CTLFMT_FLAGS_MAX], id[IDS_EVPID_SIZE];
	int first = 1;

	ctlfmt_queue_flags(flags, sizeof(flags), e, ',');
	buf_addstr(out, "{");
	ctlfmt_json_kstr(out, &first, "evpid", ids_evpid_fmt(e->evpid, id));
	ctlfmt_json_kstr(out, &first, "family", ctlfmt_family(e->family));
	ctlfmt_json_kstr(out, &first, "type", ctlfmt_type(e->type));
	ctlfmt_json_key(out, &first, "flags");
	ctlfmt_json_flags(out, flags);
	ctlfmt_json_kstr(out, &first, "sender", e->sender);
	ctlfmt_json_kstr(out, &first, "rcpt", e->rcpt);
	ctlfmt_json_kstr(out, &first, "dest", e->dest);
	ctlfmt_json_knum(out, &first, "ctime", (long long)e->ctime);
	ctlfmt_json_knum(out, &first, "expire", (long long)envelope_expire(e));
	ctlfmt_json_knum(out, &first, "last-try", (long long)e->lasttry);
	ctlfmt_json_knum(out, &first, "retry", (long long)e->retry);
	ctlfmt_json_kstr(out, &first, "runstate", ctlfmt_runstate(runstate));
	if (runstate == SCHED_PENDING || runstate == SCHED_INFLIGHT)
		ctlfmt_json_knum(out, &first, "delay", (long long)delay);
	else {
		ctlfmt_json_key(out, &first, "delay");
		buf_addstr(out, "null");
	}
	ctlfmt_json_kstr(out, &first, "errorline", e->errorline);
	buf_addstr(out, "}");
}

/* ------------------------------------------------------------ show envelope */

static void
ctlfmt_kv_str(struct buf *out, const char *key, const char *v)
{
	if (v[0] != '\0')
		buf_printf(out, "%s: %s\n", key, v);
}

static void
ctlfmt_kv_num(struct buf *out, const char *key, long long v)
{
	buf_printf(out, "%s: %lld\n", key, v);
}

static void
ctlfmt_orcpt(char *out, size_t outsz, const struct envelope *e)
{
	out[0] = '\0';
	if (e->dsn_orcpt[0] == '\0')
		return;
	snprintf(out, outsz, "%s;%s", e->dsn_orcpt_type ==
	    ENVELOPE_ORCPT_UTF8 ? "utf-8" : "rfc822", e->dsn_orcpt);
}

static void
ctlfmt_text_str(struct ctlfmt_sink *s, const char *key, const char *v)
{
	ctlfmt_kv_str(s->out, key, v);
}

static void
ctlfmt_text_num(struct ctlfmt_sink *s, const char *key, long long v)
{
	ctlfmt_kv_num(s->out, key, v);
}

static void
ctlfmt_json_sstr(struct ctlfmt_sink *s, const char *key, const char *v)
{
	if (v[0] != '\0')
		ctlfmt_json_kstr(s->out, &s->first, key, v);
}

static void
ctlfmt_json_snum(struct ctlfmt_sink *s, const char *key, long long v)
{
	ctlfmt_json_knum(s->out, &s->first, key, v);
}

static void
ctlfmt_json_sflags(struct ctlfmt_sink *s, const char *key, const char *v)
{
	if (v[0] == '\0')
		return;
	ctlfmt_json_key(s->out, &s->first, key);
	ctlfmt_json_flags(s->out, v);
}

static void
ctlfmt_envelope_walk(struct ctlfmt_sink *s, const struct envelope *e)
{
	char flags[CTLFMT_FLAGS_MAX], orcpt[ENVELOPE_ORCPT_MAX + 16];
	size_t len = 0;

	s->num(s, "version", ENVELOPE_VERSION);
	s->str(s, "dispatcher", e->dispatcher);
	s->str(s, "tag", e->tag);
	s->str(s, "type", ctlfmt_type(e->type));
	s->str(s, "smtpname", e->smtpname);
	s->str(s, "helo", e->helo);
	s->str(s, "hostname", e->hostname);
	s->str(s, "username", e->username);
	s->str(s, "errorline", e->errorline);
	s->str(s, "sockaddr", e->sockaddr);
	s->str(s, "sender", e->sender);
	s->str(s, "rcpt", e->rcpt);
	s->str(s, "dest", e->dest);
	s->num(s, "ctime", (long long)e->ctime);
	s->num(s, "last-try", (long long)e->lasttry);
	s->num(s, "last-bounce", (long long)e->lastbounce);
	s->num(s, "ttl", (long long)e->ttl);
	s->num(s, "retry", (long long)e->retry);

	flags[0] = '\0';
	if (e->flags & ENVELOPE_F_AUTH)
		len += (size_t)snprintf(flags + len, sizeof(flags) - len,
		    "%s", "authenticated");
	if (e->flags & ENVELOPE_F_BOUNCE)
		len += (size_t)snprintf(flags + len, sizeof(flags) - len,
		    "%s%s", len ? " " : "", "bounce");
	if (e->flags & ENVELOPE_F_INTERNAL)
		len += (size_t)snprintf(flags + len, sizeof(flags) - len,
		    "%s%s", len ? " " : "", "internal");
	s->flags(s, "flags", flags);

	s->num(s, "dsn-notify", e->dsn_notify);
	s->str(s, "dsn-ret", e->dsn_ret == ENVELOPE_RET_FULL ? "FULL" :
	    e->dsn_ret == ENVELOPE_RET_HDRS ? "HDRS" : "");
	s->str(s, "dsn-envid", e->dsn_envid);
	ctlfmt_orcpt(orcpt, sizeof(orcpt), e);
	s->str(s, "dsn-orcpt", orcpt);
	if (e->esc_class != 0) {
		/* OpenSMTPD's enum esc_code: subject * 10 + detail */
		s->num(s, "esc-class", e->esc_class);
		s->num(s, "esc-code", (long long)e->esc_subject * 10 +
		    e->esc_detail);
	}
	switch (e->type) {
	case ENVELOPE_MDA:
		s->str(s, "mda-exec", e->mda_exec);
		s->str(s, "mda-subaddress", e->mda_subaddress);
		s->str(s, "mda-user", e->mda_user);
		break;
	case ENVELOPE_BOUNCE:
		s->num(s, "bounce-ttl", (long long)e->bounce_ttl);
		if (e->bounce_type == ENVELOPE_BOUNCE_DELAYED)
			s->num(s, "bounce-delay", (long long)e->bounce_delay);
		s->str(s, "bounce-type",
		    e->bounce_type == ENVELOPE_BOUNCE_FAILED ? "failed" :
		    e->bounce_type == ENVELOPE_BOUNCE_DELAYED ? "delayed" :
		    e->bounce_type == ENVELOPE_BOUNCE_DELIVERED ? "delivered" :
		    "");
		break;
	default:
		break;
	}
}

void
ctlfmt_envelope(struct buf *out, const struct envelope *e)
{
	struct ctlfmt_sink s = { ctlfmt_text_str, ctlfmt_text_num,
	    ctlfmt_text_str, out, 1 };

	ctlfmt_envelope_walk(&s, e);
}

void
ctlfmt_envelope_json(struct buf *out, const struct envelope *e)
{
	struct ctlfmt_sink s = { ctlfmt_json_sstr, ctlfmt_json_snum,
	    ctlfmt_json_sflags, out, 1 };

	buf_addstr(out, "{");
	ctlfmt_envelope_walk(&s, e);
	buf_addstr(out, "}");
}

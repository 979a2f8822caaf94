/*
 * relay_show.c: the lines of smtpctl show routes, hosts, hoststats and
 * relays (relay.h), OpenSMTPD's mta.c formats with our state. Called
 * by relay_ctl.c and relay_route.c (a route's expiry). Pure: appends to
 * a struct buf, reads the clock only through `now`, never trusts a name
 * to be printable (control characters become '?').
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deliver/relay.h"
#include "deliver/relay_show.h"

static void	relay_show_line(struct buf *, const char *);
static void	relay_show_printf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	relay_show_when(char *, size_t, time_t, time_t);
static void	relay_show_flag(char *, size_t, const char *);
static const char *relay_show_scheme(const struct relay_dest *);

/* One line, made printable, with its newline. */
static void
relay_show_line(struct buf *out, const char *line)
{
	char clean[RELAY_LINE_MAX];
	size_t i;

	for (i = 0; line[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = ((unsigned char)line[i] < 0x20 ||
		    line[i] == 0x7f) ? '?' : line[i];
	clean[i] = '\0';
	buf_addstr(out, clean);
	buf_addstr(out, "\n");
}

/* A line into its buffer; one too long is cut (never happens in use). */
static void
relay_show_printf(char *out, size_t outsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
}

/*
 * OpenSMTPD's duration_to_text(): 1d2h3m4s, zero parts left out, 0s for
 * zero, a leading '-' when negative.
 */
void
relay_show_duration(char *out, size_t outsz, long long secs)
{
	static const struct {
		long long	 unit;
		char		 name;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i, len = 0;
	int n;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (secs == 0) {
		snprintf(out, outsz, "0s");
		return;
	}
	if (secs < 0) {
		snprintf(out, outsz, "-");
		len = strlen(out);
		secs = -secs;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (secs / units[i].unit == 0)
			continue;
		n = snprintf(out + len, outsz - len, "%lld%c",
		    secs / units[i].unit, units[i].name);
		if (n < 0 || (size_t)n >= outsz - len)
			return;
		len += (size_t)n;
		secs %= units[i].unit;
	}
}

/* "-" for never, else the time since then. */
static void
relay_show_when(char *out, size_t outsz, time_t when, time_t now)
{
	if (when == 0)
		snprintf(out, outsz, "-");
	else
		relay_show_duration(out, outsz, (long long)(now - when));
}

/* The address without its port: 192.0.2.1, 2001:db8::1. */
void
relay_show_addr(char *out, size_t outsz, const struct sockaddr_storage *ss)
{
	const void *a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		a = NULL;
	if (outsz < INET6_ADDRSTRLEN || a == NULL ||
	    inet_ntop(ss->ss_family, a, out, (socklen_t)outsz) == NULL)
		snprintf(out, outsz, "?");
}

/* When an unused route is forgotten (0 while sessions use it). */
time_t
relay_show_route_expiry(const struct relay_route *r)
{
	time_t last = r->lastused;

	if (r->nconn > 0)
		return 0;
	if (r->disabled_until > last)
		last = r->disabled_until;
	return last + RELAY_ROUTE_KEEP;
}

/*
 * show routes: "ID. [] <-> ADDR (HOST) NDQK nconn=N nerror=N penalty=N
 * timeout=DURATION|-". N: no session got ready yet; D: disabled
 * (timeout: until it is enabled); Q: unused, kept for a while (timeout:
 * until it is forgotten); K: a session is idle on it. We never bind a
 * source address: [].
 */
void
relay_show_route(struct buf *out, const struct relay_route *r, time_t now)
{
	char line[RELAY_LINE_MAX], addr[INET6_ADDRSTRLEN + 1], dur[32];
	int disabled = r->disabled_until > now;
	int runq = !disabled && r->nconn == 0;

	relay_show_addr(addr, sizeof(addr), &r->ss);
	if (disabled)
		relay_show_duration(dur, sizeof(dur),
		    (long long)(r->disabled_until - now));
	else if (runq)
		relay_show_duration(dur, sizeof(dur),
		    (long long)(relay_show_route_expiry(r) - now));
	else
		snprintf(dur, sizeof(dur), "-");
	relay_show_printf(line, sizeof(line), "%llu. [] <-> %s%s%s%s %c%c%c%c "
	    "nconn=%zu nerror=%zu penalty=%d timeout=%s",
	    (unsigned long long)r->id, addr, r->host[0] != '\0' ? " (" : "",
	    r->host, r->host[0] != '\0' ? ")" : "",
	    r->established ? '-' : 'N', disabled ? 'D' : '-',
	    runq ? 'Q' : '-', r->idle ? 'K' : '-', r->nconn, r->nerror,
	    r->penalty, dur);
	relay_show_line(out, line);
}

/* show hosts: "ADDR HOSTNAME refcount=N nconn=N lastconn=DURATION|-". */
void
relay_show_host(struct buf *out, const char *addr, const char *host,
    size_t refcount, size_t nconn, time_t lastconn, time_t now)
{
	char line[RELAY_LINE_MAX], dur[32];

	relay_show_when(dur, sizeof(dur), lastconn, now);
	relay_show_printf(line, sizeof(line), "%s %s refcount=%zu nconn=%zu "
	    "lastconn=%s", addr, host[0] != '\0' ? host : "-", refcount,
	    nconn, dur);
	relay_show_line(out, line);
}

/* show hoststats: "DOMAIN|UNIXTIME|TEXT". */
void
relay_show_hoststat(struct buf *out, const struct relay_hoststat *h)
{
	char line[RELAY_LINE_MAX];

	relay_show_printf(line, sizeof(line), "%s|%lld|%s", h->domain,
	    (long long)h->when, h->text);
	relay_show_line(out, line);
}

static const char *
relay_show_scheme(const struct relay_dest *d)
{
	const struct action *a = d->action;

	if (!a->has_host)
		return a->relay_tls == RELAY_TLS_DEFAULT ? "smtp" : "smtp+tls";
	switch (a->relay.scheme) {
	case RELAY_SMTP:
		return a->relay_tls == RELAY_TLS_DEFAULT ? "smtp" : "smtp+tls";
	case RELAY_SMTP_TLS:
		return "smtp+tls";
	case RELAY_SMTP_NOTLS:
		return "smtp+notls";
	case RELAY_SMTPS:
		return "smtps";
	case RELAY_LMTP:
		return "lmtp";
	}
	return "???";
}

static void
relay_show_flag(char *flags, size_t size, const char *name)
{
	if (flags[0] != '\0')
		strlcat(flags, ",", size);
	strlcat(flags, name, size);
}

/*
 * show relays: one line per destination,
 *   [relay:NAME,port=N,SCHEME[,auth=TABLE:LABEL][,pki_name=P][,mx]
 *   [,heloname=H],action=A] refcount=N ntask=N nconn=N lastconn=D|-
 *   timeout=D|- wait=FLAGS[ONHOLD]
 * (refcount: envelopes the destination holds, waiting or in a
 * transaction; ntask: messages waiting; mx: the name is a host, its
 * addresses are used without an MX lookup, OpenSMTPD's spelling; wait:
 * MX while resolving, secret while the login is asked; timeout: until
 * the hold ends), then its one connector (we bind no source address):
 *   "  connector [] refcount=1 nconn=N lastconn=D|- timeout=- flags=F"
 * with F from NEW, ERROR_MX, ERROR_ROUTE_NET, LIMIT_CONN.
 */
void
relay_show_relay(struct buf *out, const struct relay_dest *d,
    size_t refcount, size_t ntask, time_t now)
{
	const struct action *a = d->action;
	char line[RELAY_LINE_MAX], opt[RELAY_LINE_MAX], wait[64], flags[128];
	char last[32], dur[32];

	opt[0] = '\0';
	if (a->relay_auth != NULL) {
		strlcat(opt, ",auth=", sizeof(opt));
		strlcat(opt, a->relay_auth->name, sizeof(opt));
		strlcat(opt, ":", sizeof(opt));
		strlcat(opt, a->relay.label, sizeof(opt));
	}
	if (a->pki != NULL) {
		strlcat(opt, ",pki_name=", sizeof(opt));
		strlcat(opt, a->pki->name, sizeof(opt));
	}
	if (!d->mx)
		strlcat(opt, ",mx", sizeof(opt));
	if (a->helo != NULL) {
		strlcat(opt, ",heloname=", sizeof(opt));
		strlcat(opt, a->helo, sizeof(opt));
	}
	wait[0] = '\0';
	if (d->query != NULL)
		relay_show_flag(wait, sizeof(wait), "MX");
	if (d->creds == RELAY_CREDS_ASKING)
		relay_show_flag(wait, sizeof(wait), "secret");
	relay_show_when(last, sizeof(last), d->lastconn, now);
	if (d->held_until > now)
		relay_show_duration(dur, sizeof(dur),
		    (long long)(d->held_until - now));
	else
		snprintf(dur, sizeof(dur), "-");
	relay_show_printf(line, sizeof(line), "[relay:%s,port=%d,%s%s,"
	    "action=%s] refcount=%zu ntask=%zu nconn=%zu lastconn=%s timeout=%s "
	    "wait=%s%s", d->name, d->port, relay_show_scheme(d), opt, a->name,
	    refcount, ntask, d->nconn, last, dur, wait,
	    d->held_until > now ? "ONHOLD" : "");
	relay_show_line(out, line);

	flags[0] = '\0';
	if (!d->established)
		relay_show_flag(flags, sizeof(flags), "NEW");
	if (d->mxfail)
		relay_show_flag(flags, sizeof(flags), "ERROR_MX");
	if (d->routefail)
		relay_show_flag(flags, sizeof(flags), "ERROR_ROUTE_NET");
	if (d->nconn >= RELAY_DEST_CONN_MAX)
		relay_show_flag(flags, sizeof(flags), "LIMIT_CONN");
	relay_show_printf(line, sizeof(line), "  connector [] refcount=1 "
	    "nconn=%zu lastconn=%s timeout=- flags=%s", d->nconn, last, flags);
	relay_show_line(out, line);
}

/*
 * parse_dest.c: the destinations written in actions: the RELAY-URL of
 * `relay host` (spec/config.md 5.3), the DEST of `lmtp` (5.4) and port
 * names. Called by parse_action.c and parse_listen.c. Pure string work:
 * no DNS (host names are resolved at delivery time); service names come
 * from a built-in list, then getservbyname(3) unless CONFIG_NORESOLVE.
 * Errors are returned as text in `err` for the caller to report.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpd/parse.h"

#define DEST_PORT_LMTP_FORBIDDEN	25	/* RFC 2033 section 1 */

struct dest_service {
	const char	*name;
	int		 port;
};

static const struct dest_service parse_dest_services[] = {
	{ "lmtp",		24 },
	{ "smtp",		25 },
	{ "smtps",		465 },
	{ "submission",		587 },
	{ "submissions",	465 },
};

struct dest_scheme {
	const char		*name;
	enum relay_scheme	 scheme;
	int			 port;		/* 0: mandatory */
};

static const struct dest_scheme parse_dest_schemes[] = {
	{ "smtp",	RELAY_SMTP,		25 },
	{ "smtp+tls",	RELAY_SMTP_TLS,		25 },
	{ "smtp+notls",	RELAY_SMTP_NOTLS,	25 },
	{ "smtps",	RELAY_SMTPS,		465 },
	{ "lmtp",	RELAY_LMTP,		0 },
};

static int	parse_dest_hostname_ok(const char *);
static int	parse_dest_host(const char *, size_t, char *, size_t, int *,
		    char *, size_t);
static int	parse_dest_split(const char *, char *, size_t, int *,
		    const char **, char *, size_t);

/* A port number 1-65535 or a service name; -1 if neither. */
int
parse_dest_port(const char *s, int flags, int *port)
{
	struct servent *se;
	size_t i;
	int v = 0;

	if (isdigit((unsigned char)s[0])) {
		for (i = 0; s[i] != '\0'; i++) {
			if (!isdigit((unsigned char)s[i]) || v > 65535)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		if (v < 1 || v > 65535)
			return -1;
		*port = v;
		return 0;
	}
	for (i = 0; i < sizeof(parse_dest_services) /
	    sizeof(parse_dest_services[0]); i++)
		if (strcmp(s, parse_dest_services[i].name) == 0) {
			*port = parse_dest_services[i].port;
			return 0;
		}
	if (flags & CONFIG_NORESOLVE)
		return -1;
	if ((se = getservbyname(s, "tcp")) == NULL)
		return -1;
	*port = ntohs((uint16_t)se->s_port);
	return 0;
}

/* LDH host name with dots (underscores tolerated), as used for DNS. */
static int
parse_dest_hostname_ok(const char *s)
{
	size_t i, label = 0;

	if (s[0] == '\0' || s[0] == '.' || s[0] == '-' ||
	    strlen(s) > 253)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/*
 * HOST of length len: a name, an IPv4 literal, or [literal] with an
 * optional "ipv6:" prefix inside the brackets ([name] is a name).
 */
static int
parse_dest_host(const char *s, size_t len, char *host, size_t hostsz,
    int *literal, char *err, size_t errsz)
{
	char buf[CONFIG_HOSTNAME_MAX];
	struct in6_addr in6;
	struct in_addr in4;
	int bracket = 0, v6prefix = 0;

	if (len > 0 && s[0] == '[') {
		if (len < 2 || s[len - 1] != ']') {
			(void)snprintf(err, errsz, "unbalanced brackets");
			return -1;
		}
		s++;
		len -= 2;
		bracket = 1;
		if (len >= 5 && strncasecmp(s, "ipv6:", 5) == 0) {
			s += 5;
			len -= 5;
			v6prefix = 1;
		}
	}
	if (len == 0 || len >= sizeof(buf) || len >= hostsz) {
		(void)snprintf(err, errsz, len == 0 ? "missing host" :
		    "host too long");
		return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	*literal = 1;
	if (bracket && inet_pton(AF_INET6, buf, &in6) == 1)
		;
	else if (!v6prefix && inet_pton(AF_INET, buf, &in4) == 1)
		;
	else if (!v6prefix && parse_dest_hostname_ok(buf))
		*literal = 0;
	else {
		(void)snprintf(err, errsz, "invalid host \"%.64s\"", buf);
		return -1;
	}
	memcpy(host, buf, len + 1);
	return 0;
}

/*
 * HOST[:PORT] at s into host; *portstr is NULL without a port.
 */
static int
parse_dest_split(const char *s, char *host, size_t hostsz, int *literal,
    const char **portstr, char *err, size_t errsz)
{
	const char *end, *colon;

	*portstr = NULL;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			(void)snprintf(err, errsz, "unbalanced brackets");
			return -1;
		}
		end++;
		if (*end == ':')
			*portstr = end + 1;
		else if (*end != '\0') {
			(void)snprintf(err, errsz, "unexpected text after "
			    "\"]\"");
			return -1;
		}
	} else if ((colon = strchr(s, ':')) != NULL) {
		end = colon;
		*portstr = colon + 1;
	} else
		end = s + strlen(s);
	return parse_dest_host(s, (size_t)(end - s), host, hostsz, literal,
	    err, errsz);
}

/* [SCHEME://][LABEL@]HOST[:PORT] */
int
parse_dest_relay_url(const char *url, struct relay_url *u, char *err,
    size_t errsz)
{
	const struct dest_scheme *sch = &parse_dest_schemes[0];
	const char *s = url, *sep, *at, *portstr;
	size_t i, len;

	memset(u, 0, sizeof(*u));
	if ((sep = strstr(s, "://")) != NULL) {
		len = (size_t)(sep - s);
		for (i = 0; i < sizeof(parse_dest_schemes) /
		    sizeof(parse_dest_schemes[0]); i++)
			if (strlen(parse_dest_schemes[i].name) == len &&
			    strncasecmp(s, parse_dest_schemes[i].name, len) == 0)
				break;
		if (i == sizeof(parse_dest_schemes) /
		    sizeof(parse_dest_schemes[0])) {
			(void)snprintf(err, errsz, "unknown scheme \"%.*s\"",
			    len > 32 ? 32 : (int)len, s);
			return -1;
		}
		sch = &parse_dest_schemes[i];
		s = sep + 3;
	}
	u->scheme = sch->scheme;
	if ((at = strchr(s, '@')) != NULL) {
		len = (size_t)(at - s);
		if (len == 0 || len >= sizeof(u->label) ||
		    strchr(at + 1, '@') != NULL) {
			(void)snprintf(err, errsz, "invalid label");
			return -1;
		}
		if (sch->scheme != RELAY_SMTP_TLS &&
		    sch->scheme != RELAY_SMTPS) {
			(void)snprintf(err, errsz, "a label requires "
			    "smtp+tls:// or smtps://");
			return -1;
		}
		memcpy(u->label, s, len);
		u->label[len] = '\0';
		s = at + 1;
	}
	if (parse_dest_split(s, u->host, sizeof(u->host), &u->literal,
	    &portstr, err, errsz) == -1)
		return -1;
	u->port = sch->port;
	if (portstr != NULL && parse_dest_port(portstr, CONFIG_NORESOLVE,
	    &u->port) == -1) {
		(void)snprintf(err, errsz, "invalid port \"%.16s\"", portstr);
		return -1;
	}
	if (u->port == 0) {
		(void)snprintf(err, errsz, "lmtp:// requires a port");
		return -1;
	}
	if (u->scheme == RELAY_LMTP && u->port == DEST_PORT_LMTP_FORBIDDEN) {
		(void)snprintf(err, errsz, "port 25 is not allowed for LMTP");
		return -1;
	}
	return 0;
}

/*
 * /path, unix:/path, host:port, [addr]:port, inet:host:port,
 * inet:[addr]:port, inet:[ipv6:addr]:port
 */
int
parse_dest_lmtp(const char *dest, int flags, struct lmtp_dest *d,
    char *err, size_t errsz)
{
	struct sockaddr_un sun;
	const char *s = dest, *portstr;

	memset(d, 0, sizeof(*d));
	if (strncmp(s, "unix:", 5) == 0)
		s += 5;
	if (s[0] == '/' || s != dest) {
		if (s[0] != '/') {
			(void)snprintf(err, errsz, "socket path must be "
			    "absolute");
			return -1;
		}
		if (strlen(s) >= sizeof(sun.sun_path)) {
			(void)snprintf(err, errsz, "socket path too long "
			    "(max %zu characters)", sizeof(sun.sun_path) - 1);
			return -1;
		}
		d->unix_socket = 1;
		memcpy(d->path, s, strlen(s) + 1);
		return 0;
	}
	if (strncmp(s, "inet:", 5) == 0)
		s += 5;
	if (parse_dest_split(s, d->host, sizeof(d->host), &d->literal,
	    &portstr, err, errsz) == -1)
		return -1;
	if (portstr == NULL) {
		(void)snprintf(err, errsz, "a port is required");
		return -1;
	}
	if (parse_dest_port(portstr, flags, &d->port) == -1) {
		(void)snprintf(err, errsz, "invalid port \"%.32s\"", portstr);
		return -1;
	}
	if (d->port == DEST_PORT_LMTP_FORBIDDEN) {
		(void)snprintf(err, errsz, "port 25 is not allowed for LMTP");
		return -1;
	}
	return 0;
}

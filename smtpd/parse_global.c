/*
 * parse_global.c: the global options of smtpd.conf (spec/config.md
 * section 9): queue, smtp, bounce and the project's `control socket`
 * and `mta resolver`.
 * Called by the directive loop in parse.c after the directive keyword.
 * A repeated global option overrides the earlier one, as in OpenSMTPD.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "smtpd/parse.h"

#define PARSE_LIMIT_MAX	1000000		/* max-mails, max-rcpt */

static int	parse_global_abspath(struct parse *, const char *, char *,
		    size_t, size_t);
static int	parse_global_limits(struct parse *);

/* An absolute path value, at most maxlen characters. */
static int
parse_global_abspath(struct parse *p, const char *what, char *buf,
    size_t size, size_t maxlen)
{
	char *v;

	if (parse_value(p, what, &v) == -1)
		return -1;
	if (v[0] != '/') {
		parse_err(p, "%s must be an absolute path", what);
		free(v);
		return -1;
	}
	if (strlen(v) >= size || strlen(v) > maxlen) {
		parse_err(p, "%s too long (max %zu characters)", what,
		    maxlen < size - 1 ? maxlen : size - 1);
		free(v);
		return -1;
	}
	memcpy(buf, v, strlen(v) + 1);
	free(v);
	return 0;
}

/* queue ttl DELAY | queue directory PATH | compression, encryption */
int
parse_global_queue(struct parse *p)
{
	struct config *conf = p->conf;

	if (parse_accept_kw(p, "ttl"))
		return parse_delay(p, "queue ttl", &conf->queue_ttl);
	if (p->tok.type == TOK_WORD && strcmp(p->tok.text, "directory") == 0) {
		parse_next(p);
		return parse_global_abspath(p, "queue directory",
		    conf->queue_dir, sizeof(conf->queue_dir),
		    sizeof(conf->queue_dir) - 1);
	}
	if (parse_accept_kw(p, "compression"))
		return parse_later(p, "compression");
	if (parse_accept_kw(p, "encryption"))
		return parse_later(p, "encryption");
	return parse_expected(p, "\"ttl\" or \"directory\" after \"queue\"");
}

/* control socket PATH (project extension) */
int
parse_global_control(struct parse *p)
{
	struct sockaddr_un sun;

	if (!parse_accept_kw(p, "socket"))
		return parse_expected(p, "\"socket\" after \"control\"");
	return parse_global_abspath(p, "control socket path",
	    p->conf->control_socket, sizeof(p->conf->control_socket),
	    sizeof(sun.sun_path) - 1);
}

/*
 * mta resolver ADDRESS[@PORT] (project extension): the relay client sends
 * every DNS query to that server instead of the system's resolvers.
 * mta port N (project extension, Postfix's smtp_tcp_port): the port of
 * the MX hosts, for tests and unusual networks.
 */
int
parse_global_mta(struct parse *p)
{
	char v[CONFIG_RESOLVER_MAX], addr[CONFIG_RESOLVER_MAX];
	struct in6_addr a6;
	char *at, *end;
	long port;

	if (parse_accept_kw(p, "max-deferred"))
		return parse_later(p, "max-deferred");
	if (parse_accept_kw(p, "port")) {
		if (parse_value_buf(p, "a port", v, sizeof(v)) == -1)
			return -1;
		if (parse_dest_port(v, p->flags, &p->conf->mta_port) == -1) {
			parse_err(p, "invalid port \"%s\"", v);
			return -1;
		}
		return 0;
	}
	if (!parse_accept_kw(p, "resolver"))
		return parse_expected(p, "\"resolver\" or \"port\" after "
		    "\"mta\"");
	if (parse_value_buf(p, "a resolver address", v, sizeof(v)) == -1)
		return -1;
	memcpy(addr, v, sizeof(addr));
	if ((at = strchr(addr, '@')) != NULL) {
		*at++ = '\0';
		port = strtol(at, &end, 10);
		if (*at == '\0' || *end != '\0' || port < 1 || port > 65535) {
			parse_err(p, "invalid resolver port \"%s\"", at);
			return -1;
		}
	}
	if (inet_pton(AF_INET, addr, &a6) != 1 &&
	    inet_pton(AF_INET6, addr, &a6) != 1) {
		parse_err(p, "invalid resolver address \"%s\"", addr);
		return -1;
	}
	memcpy(p->conf->mta_resolver, v, sizeof(v));
	return 0;
}

/* bounce warn-interval DELAY[, DELAY...] */
int
parse_global_bounce(struct parse *p)
{
	struct config *conf = p->conf;
	time_t delays[CONFIG_WARN_MAX];
	size_t n = 0;

	if (!parse_accept_kw(p, "warn-interval"))
		return parse_expected(p, "\"warn-interval\" after \"bounce\"");
	do {
		if (n == CONFIG_WARN_MAX) {
			parse_err_tok(p, "too many warn-interval delays "
			    "(max %d)", CONFIG_WARN_MAX);
			return -1;
		}
		if (parse_delay(p, "warn-interval delay", &delays[n]) == -1)
			return -1;
		n++;
	} while (parse_accept(p, TOK_COMMA));
	memcpy(conf->warn_interval, delays, n * sizeof(delays[0]));
	conf->nwarn_interval = n;
	return 0;
}

/*
 * smtp limit max-mails N max-rcpt N (one or both, any order); the project
 * extensions max-sessions N and max-sessions-per-client N too.
 */
static int
parse_global_limits(struct parse *p)
{
	struct config *conf = p->conf;
	long long v;
	unsigned int *dst;
	int n = 0;

	while (p->tok.type == TOK_WORD) {
		if (strcmp(p->tok.text, "max-mails") == 0)
			dst = &conf->max_mails;
		else if (strcmp(p->tok.text, "max-rcpt") == 0)
			dst = &conf->max_rcpt;
		else if (strcmp(p->tok.text, "max-sessions") == 0)
			dst = &conf->max_sessions;
		else if (strcmp(p->tok.text, "max-sessions-per-client") == 0)
			dst = &conf->max_sessions_per_client;
		else {
			parse_err_tok(p, "invalid smtp limit \"%.64s\"",
			    p->tok.text);
			return -1;
		}
		parse_next(p);
		if (parse_number(p, "smtp limit", 1, PARSE_LIMIT_MAX, &v) == -1)
			return -1;
		*dst = (unsigned int)v;
		n++;
	}
	if (n == 0)
		return parse_expected(p,
		    "\"max-mails\" or \"max-rcpt\" after \"smtp limit\"");
	return 0;
}

/*
 * smtp max-message-size SIZE | limit max-mails N max-rcpt N |
 * timeout DELAY (project extension) |
 * sub-addr-delim C | bare-newline normalize|reject |
 * ciphers STR (a GnuTLS priority string; checked when smtpd/tls.c loads it)
 */
int
parse_global_smtp(struct parse *p)
{
	struct config *conf = p->conf;
	char delim[2];

	if (parse_accept_kw(p, "max-message-size"))
		return parse_size(p, "max-message-size", &conf->max_message_size);
	if (parse_accept_kw(p, "limit"))
		return parse_global_limits(p);
	if (p->tok.type == TOK_WORD && strcmp(p->tok.text, "timeout") == 0) {
		/* project extension: idle timeout of a session */
		parse_next(p);
		return parse_delay(p, "smtp timeout", &conf->smtp_timeout);
	}
	if (parse_accept_kw(p, "sub-addr-delim")) {
		if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
			return parse_expected(p, "a sub-address delimiter");
		if (strlen(p->tok.text) != 1 || !parse_printable(p->tok.text) ||
		    p->tok.text[0] == '@') {
			parse_err_tok(p, "invalid sub-addr-delim \"%.64s\": "
			    "one printable character other than \"@\" is "
			    "required", p->tok.text);
			return -1;
		}
		if (parse_value_buf(p, "a sub-address delimiter", delim,
		    sizeof(delim)) == -1)
			return -1;
		conf->subaddr_delim = delim[0];
		return 0;
	}
	if (p->tok.type == TOK_WORD &&
	    strcmp(p->tok.text, "bare-newline") == 0) {
		parse_next(p);
		if (parse_accept_kw(p, "reject"))
			conf->bare_newline = BARE_NEWLINE_REJECT;
		else if (p->tok.type == TOK_WORD &&
		    strcmp(p->tok.text, "normalize") == 0) {
			parse_next(p);
			conf->bare_newline = BARE_NEWLINE_NORMALIZE;
		} else
			return parse_expected(p,
			    "\"normalize\" or \"reject\" after \"bare-newline\"");
		return 0;
	}
	if (parse_accept_kw(p, "ciphers")) {
		if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
			return parse_expected(p, "a GnuTLS priority string");
		if (p->tok.text[0] == '\0' || !parse_printable(p->tok.text)) {
			parse_err_tok(p, "invalid smtp ciphers \"%.64s\"",
			    p->tok.text);
			return -1;
		}
		return parse_value_buf(p, "a GnuTLS priority string",
		    conf->smtp_ciphers, sizeof(conf->smtp_ciphers));
	}
	return parse_expected(p, "\"max-message-size\", \"limit\", "
	    "\"sub-addr-delim\" or \"bare-newline\" after \"smtp\"");
}

/*
 * parse_listen.c: `listen on` (spec/config.md sections 4 and 6): TCP
 * listeners on addresses, interfaces and host names (one struct listener
 * per address), the enqueue socket options (`listen on socket`) and
 * UNIX-domain LMTP listeners. Every option combination is checked here.
 * Called by parse.c. It never opens a socket (the parent does) and with
 * CONFIG_NORESOLVE it never resolves a name.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

#define LISTEN_PORT_SMTP	25
#define LISTEN_PORT_SMTPS	465
#define LISTEN_MODE_DEFAULT	0660

enum listen_form {
	LISTEN_INET	= 1 << 0,	/* listen on WHERE */
	LISTEN_ENQUEUE	= 1 << 1,	/* listen on socket */
	LISTEN_UNIX	= 1 << 2,	/* listen on socket "/path" */
};
#define LISTEN_ALL	(LISTEN_INET | LISTEN_ENQUEUE | LISTEN_UNIX)

enum listen_opt {
	LO_FAMILY, LO_PORT, LO_TLS, LO_TLS_REQUIRE, LO_SMTPS, LO_PKI, LO_AUTH,
	LO_TAG, LO_HOSTNAME, LO_MASK_SRC, LO_NO_DSN, LO_LMTP, LO_MODE,
	LO_OWNER, LO_GROUP,
};

struct listen_optdef {
	const char	*kw;
	enum listen_opt	 opt;
	int		 forms;
};

static const struct listen_optdef parse_listen_optdefs[] = {
	{ "inet4",		LO_FAMILY,	LISTEN_INET },
	{ "inet6",		LO_FAMILY,	LISTEN_INET },
	{ "port",		LO_PORT,	LISTEN_INET },
	{ "tls",		LO_TLS,		LISTEN_INET },
	{ "tls-require",	LO_TLS_REQUIRE,	LISTEN_INET },
	{ "smtps",		LO_SMTPS,	LISTEN_INET },
	{ "pki",		LO_PKI,		LISTEN_INET },
	{ "auth",		LO_AUTH,	LISTEN_INET },
	{ "auth-optional",	LO_AUTH,	LISTEN_INET },
	{ "tag",		LO_TAG,		LISTEN_ALL },
	{ "hostname",		LO_HOSTNAME,	LISTEN_INET | LISTEN_UNIX },
	{ "mask-src",		LO_MASK_SRC,	LISTEN_ALL },
	{ "no-dsn",		LO_NO_DSN,	LISTEN_ALL },
	{ "lmtp",		LO_LMTP,	LISTEN_INET | LISTEN_UNIX },
	{ "mode",		LO_MODE,	LISTEN_UNIX },
	{ "owner",		LO_OWNER,	LISTEN_UNIX },
	{ "group",		LO_GROUP,	LISTEN_UNIX },
};

static const char *const parse_listen_later[] = {
	"ca", "ciphers", "filter", "hostnames", "protocols", "proxy-v2",
	"received-auth", "senders",
};

struct listen_opts {
	int			 form;
	unsigned int		 seen;		/* 1 << enum listen_opt */
	int			 flags;		/* LISTENER_* */
	int			 family;
	int			 port;		/* 0: default */
	char			 tag[CONFIG_TAG_MAX];
	char			 hostname[CONFIG_HOSTNAME_MAX];
	struct pki		*pki[LISTENER_PKI_MAX];
	size_t			 npki;
	struct table_decl	*auth;
	mode_t			 mode;
	char			 owner[CONFIG_USER_MAX];
	char			 group[CONFIG_USER_MAX];
};

static int	parse_listen_opt(struct parse *, struct listen_opts *);
static int	parse_listen_opt_value(struct parse *, struct listen_opts *,
		    const struct listen_optdef *);
static int	parse_listen_opts(struct parse *, struct listen_opts *);
static int	parse_listen_inet_check(struct parse *, struct listen_opts *);
static struct listener *parse_listen_new(struct parse *,
		    const struct listen_opts *, enum listener_kind);
static int	parse_listen_inet(struct parse *);
static int	parse_listen_unix(struct parse *);
static int	parse_listen_enqueue(struct parse *);

/* The value of an option, after its keyword. */
static int
parse_listen_opt_value(struct parse *p, struct listen_opts *o,
    const struct listen_optdef *d)
{
	char buf[CONFIG_NAME_MAX];
	long long v;
	size_t i;

	switch (d->opt) {
	case LO_FAMILY:
		o->family = d->kw[4] == '4' ? AF_INET : AF_INET6;
		return 0;
	case LO_PORT:
		/* keywords are fine here: `port lmtp`, `port smtp` */
		if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
			return parse_expected(p, "a port number or service name");
		if (parse_dest_port(p->tok.text, p->flags, &o->port) == -1) {
			parse_err_tok(p, "invalid port \"%.64s\"", p->tok.text);
			return -1;
		}
		parse_next(p);
		return 0;
	case LO_TLS:
		o->flags |= LISTENER_TLS;
		return 0;
	case LO_TLS_REQUIRE:
	case LO_SMTPS:
		o->flags |= d->opt == LO_SMTPS ? LISTENER_SMTPS :
		    LISTENER_TLS_REQUIRE;
		if (parse_accept_kw(p, "verify"))
			return parse_later(p, "verify");
		return 0;
	case LO_PKI:
		if (o->npki == LISTENER_PKI_MAX) {
			parse_err(p, "too many pki for one listener (max %d)",
			    LISTENER_PKI_MAX);
			return -1;
		}
		if (parse_pki_ref(p, &o->pki[o->npki]) == -1)
			return -1;
		for (i = 0; i < o->npki; i++)
			if (o->pki[i] == o->pki[o->npki]) {
				parse_err(p, "pki \"%s\" specified twice",
				    o->pki[i]->name);
				return -1;
			}
		o->npki++;
		return 0;
	case LO_AUTH:
		o->flags |= d->kw[4] == '\0' ? LISTENER_AUTH :
		    LISTENER_AUTH_OPTIONAL;
		if (!parse_table_is_ref(p))
			return parse_later(p, d->kw);
		return parse_table_ref(p, TABLE_USE_CREDENTIALS, &o->auth);
	case LO_TAG:
		if (parse_value_buf(p, "a tag", o->tag, sizeof(o->tag)) == -1)
			return -1;
		if (!parse_printable(o->tag)) {
			parse_err(p, "invalid tag \"%s\"", o->tag);
			return -1;
		}
		return 0;
	case LO_HOSTNAME:
		if (parse_value_buf(p, "a host name", o->hostname,
		    sizeof(o->hostname)) == -1)
			return -1;
		if (!parse_printable(o->hostname)) {
			parse_err(p, "invalid host name \"%s\"", o->hostname);
			return -1;
		}
		return 0;
	case LO_MASK_SRC:
		o->flags |= LISTENER_MASK_SRC;
		return 0;
	case LO_NO_DSN:
		o->flags |= LISTENER_NO_DSN;
		return 0;
	case LO_LMTP:
		o->flags |= LISTENER_LMTP;
		return 0;
	case LO_MODE:
		if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
			return parse_expected(p, "an octal mode");
		if (strlen(p->tok.text) > 4 ||
		    p->tok.text[strspn(p->tok.text, "01234567")] != '\0' ||
		    p->tok.text[0] == '\0') {
			parse_err_tok(p, "invalid mode \"%.64s\"", p->tok.text);
			return -1;
		}
		v = strtoll(p->tok.text, NULL, 8);
		if (v > 0777) {
			parse_err_tok(p, "invalid mode \"%s\"", p->tok.text);
			return -1;
		}
		o->mode = (mode_t)v;
		parse_next(p);
		return 0;
	case LO_OWNER:
	case LO_GROUP:
		if (parse_value_buf(p, d->opt == LO_OWNER ? "an owner name" :
		    "a group name", buf, sizeof(buf)) == -1)
			return -1;
		if (strlen(buf) >= CONFIG_USER_MAX || !parse_printable(buf)) {
			parse_err(p, "invalid %s name \"%s\"", d->kw, buf);
			return -1;
		}
		memcpy(d->opt == LO_OWNER ? o->owner : o->group, buf,
		    strlen(buf) + 1);
		return 0;
	}
	return 0;
}

static int
parse_listen_opt(struct parse *p, struct listen_opts *o)
{
	const struct listen_optdef *d = NULL;
	size_t i;

	if (p->tok.type != TOK_WORD)
		return parse_expected(p, "a listen option or end of line");
	for (i = 0; i < sizeof(parse_listen_later) /
	    sizeof(parse_listen_later[0]); i++)
		if (strcmp(p->tok.text, parse_listen_later[i]) == 0) {
			parse_next(p);
			return parse_later(p, parse_listen_later[i]);
		}
	for (i = 0; i < sizeof(parse_listen_optdefs) /
	    sizeof(parse_listen_optdefs[0]); i++)
		if (strcmp(p->tok.text, parse_listen_optdefs[i].kw) == 0) {
			d = &parse_listen_optdefs[i];
			break;
		}
	if (d == NULL)
		return parse_expected(p, "a listen option or end of line");
	if ((d->forms & o->form) == 0) {
		parse_err_tok(p, "\"%s\" is not allowed with %s", d->kw,
		    o->form == LISTEN_INET ? "listen on an address" :
		    o->form == LISTEN_ENQUEUE ? "listen on socket" :
		    "listen on socket \"PATH\"");
		return -1;
	}
	if (d->opt != LO_PKI && (o->seen & (1u << d->opt))) {
		parse_err_tok(p, "\"%s\" specified more than once", d->kw);
		return -1;
	}
	o->seen |= 1u << d->opt;
	parse_next(p);
	return parse_listen_opt_value(p, o, d);
}

static int
parse_listen_opts(struct parse *p, struct listen_opts *o)
{
	while (p->tok.type != TOK_NEWLINE && p->tok.type != TOK_EOF)
		if (parse_listen_opt(p, o) == -1)
			return -1;
	return 0;
}

/* spec/config.md 4.1 and 6: option consistency of a TCP listener. */
static int
parse_listen_inet_check(struct parse *p, struct listen_opts *o)
{
	const char *tlsopt;
	int ntls;

	ntls = !!(o->flags & LISTENER_TLS) +
	    !!(o->flags & LISTENER_TLS_REQUIRE) + !!(o->flags & LISTENER_SMTPS);
	tlsopt = (o->flags & LISTENER_TLS) ? "tls" :
	    (o->flags & LISTENER_TLS_REQUIRE) ? "tls-require" : "smtps";
	if (ntls > 1) {
		parse_err_at(p, p->dir_file, p->dir_line,
		    "tls, tls-require and smtps are mutually exclusive");
		return -1;
	}
	if (o->flags & LISTENER_LMTP) {
		if (o->flags & LISTENER_SMTPS) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "smtps and lmtp are incompatible");
			return -1;
		}
		if (ntls > 0 || (o->flags &
		    (LISTENER_AUTH | LISTENER_AUTH_OPTIONAL))) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "\"%s\" is not supported yet", ntls > 0 ? tlsopt :
			    (o->flags & LISTENER_AUTH) ? "auth" :
			    "auth-optional");
			return -1;
		}
		if (o->port == 0) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "lmtp listener requires a port");
			return -1;
		}
		if (o->port == LISTEN_PORT_SMTP) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "lmtp listener may not use port 25");
			return -1;
		}
	}
	if ((o->flags & (LISTENER_AUTH | LISTENER_AUTH_OPTIONAL)) &&
	    ntls == 0) {
		parse_err_at(p, p->dir_file, p->dir_line,
		    "auth requires tls/smtps");
		return -1;
	}
	if (o->npki > 0 && ntls == 0) {
		parse_err_at(p, p->dir_file, p->dir_line,
		    "pki requires tls/smtps");
		return -1;
	}
	if (ntls > 0 && o->npki == 0) {
		parse_err_at(p, p->dir_file, p->dir_line,
		    "%s requires a pki", tlsopt);
		return -1;
	}
	if (o->port == 0)
		o->port = (o->flags & LISTENER_SMTPS) ? LISTEN_PORT_SMTPS :
		    LISTEN_PORT_SMTP;
	return 0;
}

static struct listener *
parse_listen_new(struct parse *p, const struct listen_opts *o,
    enum listener_kind kind)
{
	struct listener *l;

	l = xcalloc(1, sizeof(*l));
	l->kind = kind;
	l->flags = o->flags;
	l->mode = o->mode;
	memcpy(l->owner, o->owner, sizeof(l->owner));
	memcpy(l->group, o->group, sizeof(l->group));
	memcpy(l->tag, o->tag, sizeof(l->tag));
	memcpy(l->hostname, o->hostname, sizeof(l->hostname));
	memcpy(l->pki, o->pki, sizeof(l->pki));
	l->npki = o->npki;
	l->auth_table = o->auth;
	l->port = o->port;
	l->file = p->dir_file;
	l->line = p->dir_line;
	return l;
}

/* listen on WHERE [inet4|inet6] [OPTION ...] */
static int
parse_listen_inet(struct parse *p)
{
	struct listen_opts o;
	struct parse_addrs addrs;
	struct listener *l, *old;
	char where[CONFIG_HOSTNAME_MAX], abuf[INET6_ADDRSTRLEN];
	size_t i;
	int dup;

	memset(&o, 0, sizeof(o));
	memset(&addrs, 0, sizeof(addrs));
	o.form = LISTEN_INET;
	o.family = AF_UNSPEC;
	if (parse_value_buf(p, "an address, interface or \"socket\" after "
	    "\"listen on\"", where, sizeof(where)) == -1)
		return -1;
	if (parse_listen_opts(p, &o) == -1 ||
	    parse_listen_inet_check(p, &o) == -1 ||
	    parse_addr_resolve(p, where, o.family, &addrs) == -1)
		return -1;
	if (addrs.overflow) {
		parse_err_at(p, p->dir_file, p->dir_line, "\"%s\" has more "
		    "than %d addresses", where, PARSE_ADDR_MAX);
		return -1;
	}
	for (i = 0; i < addrs.n; i++) {
		l = parse_listen_new(p, &o, LISTENER_INET);
		memcpy(l->where, where, sizeof(l->where));
		l->ss = addrs.ss[i];
		if (l->ss.ss_family == AF_INET) {
			((struct sockaddr_in *)&l->ss)->sin_port =
			    htons((uint16_t)o.port);
			l->sslen = sizeof(struct sockaddr_in);
		} else if (l->ss.ss_family == AF_INET6) {
			((struct sockaddr_in6 *)&l->ss)->sin6_port =
			    htons((uint16_t)o.port);
			l->sslen = sizeof(struct sockaddr_in6);
		}
		dup = 0;
		TAILQ_FOREACH(old, &p->conf->listeners, entry) {
			if (old->kind != LISTENER_INET || old->port != l->port)
				continue;
			if (parse_addr_same(&old->ss, &l->ss) ||
			    (l->ss.ss_family == AF_UNSPEC &&
			    old->ss.ss_family == AF_UNSPEC &&
			    strcmp(old->where, l->where) == 0))
				dup = 1;
		}
		if (dup) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "duplicate listener on %s port %d",
			    parse_addr_ntop(l, abuf, sizeof(abuf)), l->port);
			free(l);
			return -1;
		}
		TAILQ_INSERT_TAIL(&p->conf->listeners, l, entry);
	}
	return 0;
}

/* listen on socket "/path" lmtp [OPTION ...] (after the path) */
static int
parse_listen_unix(struct parse *p)
{
	struct sockaddr_un sun;
	struct listen_opts o;
	struct listener *l, *old;
	char *path;

	memset(&o, 0, sizeof(o));
	o.form = LISTEN_UNIX;
	o.mode = LISTEN_MODE_DEFAULT;
	if (parse_value(p, "a socket path", &path) == -1)
		return -1;
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		parse_err(p, path[0] != '/' ? "socket path must be absolute" :
		    "socket path too long (max %zu characters)",
		    sizeof(sun.sun_path) - 1);
		free(path);
		return -1;
	}
	if (parse_listen_opts(p, &o) == -1) {
		free(path);
		return -1;
	}
	if (!(o.flags & LISTENER_LMTP)) {
		free(path);
		parse_err_at(p, p->dir_file, p->dir_line,
		    "\"socket\" is not supported yet");
		return -1;
	}
	TAILQ_FOREACH(old, &p->conf->listeners, entry)
		if (old->kind == LISTENER_UNIX && strcmp(old->path, path) == 0) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "duplicate listener on \"%s\"", path);
			free(path);
			return -1;
		}
	l = parse_listen_new(p, &o, LISTENER_UNIX);
	memcpy(l->path, path, strlen(path) + 1);
	memcpy(l->where, "socket", sizeof("socket"));
	l->ss.ss_family = AF_UNIX;
	free(path);
	TAILQ_INSERT_TAIL(&p->conf->listeners, l, entry);
	return 0;
}

/* listen on socket [tag TAG] [mask-src] [no-dsn] */
static int
parse_listen_enqueue(struct parse *p)
{
	struct listen_opts o;
	struct listener *l = p->conf->enqueue;

	if (p->enqueue_seen) {
		parse_err_at(p, p->dir_file, p->dir_line,
		    "listen on socket already specified");
		return -1;
	}
	p->enqueue_seen = 1;
	memset(&o, 0, sizeof(o));
	o.form = LISTEN_ENQUEUE;
	if (parse_listen_opts(p, &o) == -1)
		return -1;
	l->flags = o.flags;
	memcpy(l->tag, o.tag, sizeof(l->tag));
	l->file = p->dir_file;
	l->line = p->dir_line;
	return 0;
}

/* listen on ... (after "listen") */
int
parse_listen(struct parse *p)
{
	if (!parse_accept_kw(p, "on"))
		return parse_expected(p, "\"on\" after \"listen\"");
	if (parse_accept_kw(p, "socket")) {
		/* a path: quoted, or a word from a macro ($sock) */
		if (p->tok.type == TOK_STRING || (p->tok.type == TOK_WORD &&
		    p->tok.text[0] == '/'))
			return parse_listen_unix(p);
		return parse_listen_enqueue(p);
	}
	return parse_listen_inet(p);
}

/* At the end: the enqueue socket path, and no listener on it. */
void
parse_listen_check(struct parse *p)
{
	struct config *conf = p->conf;
	struct listener *l;

	memcpy(conf->enqueue->path, conf->control_socket,
	    sizeof(conf->enqueue->path));
	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (l->kind == LISTENER_UNIX &&
		    strcmp(l->path, conf->control_socket) == 0)
			parse_err_at(p, l->file, l->line, "socket \"%s\" is "
			    "the control socket", l->path);
}

/*
 * parse_action.c: `action NAME METHOD [OPTION ...]` (spec/config.md
 * section 5): the local methods (maildir, mbox, lmtp, mda, forward-only,
 * expand-only) with their options, and relay with its options. Called by
 * the directive loop in parse.c after "action". It checks formats and
 * destinations but resolves nothing: users and hosts are looked up at
 * delivery time.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

#define ACTION_ERR_MAX	256

/* Options OpenSMTPD has that we refuse for now. */
static const char *const parse_action_later_local[] = {
	"wrapper",
};
static const char *const parse_action_later_relay[] = {
	"backup", "ciphers", "domain", "helo-src", "mail-from",
	"protocols", "src", "srs",
};

static int	parse_action_later(struct parse *, const char *const *,
		    size_t);
static int	parse_action_param(struct parse *, struct action *);
static int	parse_action_local_opt(struct parse *, struct action *);
static int	parse_action_relay_opt(struct parse *, struct action *);
static int	parse_action_check(struct parse *, struct action *);
static const char *parse_action_method_name(enum action_method);

static const char *
parse_action_method_name(enum action_method m)
{
	switch (m) {
	case ACTION_MAILDIR:
		return "maildir";
	case ACTION_MBOX:
		return "mbox";
	case ACTION_LMTP:
		return "lmtp";
	case ACTION_MDA:
		return "mda";
	case ACTION_FORWARD_ONLY:
		return "forward-only";
	case ACTION_EXPAND_ONLY:
		return "expand-only";
	case ACTION_RELAY:
		return "relay";
	}
	return "?";
}

/* If the next word is in list: consume it and report it as LATER. */
static int
parse_action_later(struct parse *p, const char *const *list, size_t n)
{
	size_t i;

	if (p->tok.type != TOK_WORD)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(p->tok.text, list[i]) == 0) {
			parse_next(p);
			return parse_later(p, list[i]);
		}
	return 0;
}

/* What follows the method: maildir [PATH] [junk], lmtp DEST, mda CMD */
static int
parse_action_param(struct parse *p, struct action *a)
{
	char err[ACTION_ERR_MAX];
	const char *what;
	char *v;

	switch (a->method) {
	case ACTION_MAILDIR:
		if (parse_is_value(p)) {
			if (parse_value(p, "a maildir path", &a->param) == -1)
				return -1;
			if (a->param[0] != '/' &&
			    strncmp(a->param, "~/", 2) != 0 &&
			    strncmp(a->param, "%{", 2) != 0) {
				parse_err(p, "maildir path must be absolute");
				return -1;
			}
		} else
			a->param = xstrdup("~/Maildir");
		if (parse_accept_kw(p, "junk"))
			return parse_later(p, "junk");
		what = "maildir path";
		break;
	case ACTION_MDA:
		if (parse_value(p, "an mda command", &a->param) == -1)
			return -1;
		if (a->param[0] == '\0') {
			parse_err(p, "empty mda command");
			return -1;
		}
		what = "mda command";
		break;
	case ACTION_LMTP:
		if (parse_value(p, "an lmtp destination", &v) == -1)
			return -1;
		a->param = v;
		if (parse_dest_lmtp(v, p->flags, &a->lmtp, err, sizeof(err))
		    == -1) {
			parse_err(p, "invalid lmtp destination \"%.128s\": %s",
			    v, err);
			return -1;
		}
		if (parse_accept_kw(p, "rcpt-to"))
			a->lmtp_rcpt_to = 1;
		return 0;
	default:
		return 0;
	}
	if (strlen(a->param) >= CONFIG_PARAM_MAX) {
		parse_err(p, "%s too long (max %d characters)", what,
		    CONFIG_PARAM_MAX - 1);
		return -1;
	}
	if (parse_format_check(a->param, err, sizeof(err)) == -1) {
		parse_err(p, "%s", err);
		return -1;
	}
	return 0;
}

/* Local options; 1 if the next word is not one of them. */
static int
parse_action_local_opt(struct parse *p, struct action *a)
{
	char user[CONFIG_USER_MAX];
	int alias;

	if (parse_is_kw(p, "alias") || parse_is_kw(p, "virtual")) {
		alias = p->tok.text[0] == 'a';
		parse_next(p);
		if (a->alias != NULL || a->virtual != NULL) {
			parse_err(p, "%s mapping already specified for this "
			    "dispatcher", a->alias != NULL ? "alias" :
			    "virtual");
			return -1;
		}
		return parse_table_ref(p, alias ? TABLE_USE_ALIAS :
		    TABLE_USE_VIRTUAL, alias ? &a->alias : &a->virtual);
	}
	if (parse_accept_kw(p, "userbase")) {
		if (a->userbase != NULL) {
			parse_err(p, "userbase mapping already specified for "
			    "this dispatcher");
			return -1;
		}
		return parse_table_ref(p, TABLE_USE_USERINFO, &a->userbase);
	}
	if (parse_accept_kw(p, "user")) {
		if (a->user != NULL) {
			parse_err(p, "user already specified for this "
			    "dispatcher");
			return -1;
		}
		if (parse_value_buf(p, "a user name", user, sizeof(user)) == -1)
			return -1;
		a->user = xstrdup(user);
		return 0;
	}
	if (parse_action_later(p, parse_action_later_local,
	    sizeof(parse_action_later_local) /
	    sizeof(parse_action_later_local[0])) == -1)
		return -1;
	return 1;
}

/* Relay options; 1 if the next word is not one of them. */
static int
parse_action_relay_opt(struct parse *p, struct action *a)
{
	char err[ACTION_ERR_MAX], helo[CONFIG_HOSTNAME_MAX];
	char *url;

	if (parse_accept_kw(p, "host")) {
		if (a->has_host) {
			parse_err(p, "host already specified for this "
			    "dispatcher");
			return -1;
		}
		if (parse_value(p, "a relay URL", &url) == -1)
			return -1;
		if (parse_dest_relay_url(url, &a->relay, err, sizeof(err))
		    == -1) {
			parse_err(p, "invalid relay URL \"%.128s\": %s", url,
			    err);
			free(url);
			return -1;
		}
		free(url);
		a->has_host = 1;
		return 0;
	}
	if (parse_accept_kw(p, "tls")) {
		if (a->relay_tls != RELAY_TLS_DEFAULT) {
			parse_err(p, "tls already specified for this "
			    "dispatcher");
			return -1;
		}
		a->relay_tls = parse_accept_kw(p, "no-verify") ?
		    RELAY_TLS_NO_VERIFY : RELAY_TLS_VERIFY;
		return 0;
	}
	if (parse_accept_kw(p, "auth")) {
		if (a->relay_auth != NULL) {
			parse_err(p, "auth already specified for this "
			    "dispatcher");
			return -1;
		}
		return parse_table_ref(p, TABLE_USE_RELAYAUTH, &a->relay_auth);
	}
	if (parse_accept_kw(p, "helo")) {
		if (a->helo != NULL) {
			parse_err(p, "helo already specified for this "
			    "dispatcher");
			return -1;
		}
		if (parse_value_buf(p, "a helo name", helo, sizeof(helo)) == -1)
			return -1;
		if (!parse_printable(helo)) {
			parse_err(p, "invalid helo name \"%s\"", helo);
			return -1;
		}
		a->helo = xstrdup(helo);
		return 0;
	}
	if (parse_accept_kw(p, "ca")) {
		if (a->ca != NULL) {
			parse_err(p, "ca already specified for this "
			    "dispatcher");
			return -1;
		}
		return parse_ca_ref(p, &a->ca);
	}
	if (parse_accept_kw(p, "pki")) {
		if (a->pki != NULL) {
			parse_err(p, "pki already specified for this "
			    "dispatcher");
			return -1;
		}
		return parse_pki_ref(p, &a->pki);
	}
	if (parse_action_later(p, parse_action_later_relay,
	    sizeof(parse_action_later_relay) /
	    sizeof(parse_action_later_relay[0])) == -1)
		return -1;
	return 1;
}

/* Consistency of the whole action, reported at the directive's line. */
static int
parse_action_check(struct parse *p, struct action *a)
{
	int tls;

	if (a->user != NULL && (a->method == ACTION_MBOX ||
	    a->method == ACTION_FORWARD_ONLY ||
	    a->method == ACTION_EXPAND_ONLY)) {
		parse_err_at(p, p->dir_file, p->dir_line, "user may not be "
		    "used with %s", parse_action_method_name(a->method));
		return -1;
	}
	if (a->method != ACTION_RELAY)
		return 0;
	if (a->relay_tls != RELAY_TLS_DEFAULT && a->has_host &&
	    (a->relay.scheme == RELAY_SMTP_NOTLS ||
	    a->relay.scheme == RELAY_LMTP)) {
		parse_err_at(p, p->dir_file, p->dir_line, "tls and %s:// are "
		    "incompatible", a->relay.scheme == RELAY_LMTP ? "lmtp" :
		    "smtp+notls");
		return -1;
	}
	if (a->relay_auth != NULL) {
		tls = a->relay_tls != RELAY_TLS_DEFAULT ||
		    (a->has_host && (a->relay.scheme == RELAY_SMTP_TLS ||
		    a->relay.scheme == RELAY_SMTPS));
		if (!a->has_host) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "auth requires host");
			return -1;
		}
		if (!tls) {
			parse_err_at(p, p->dir_file, p->dir_line,
			    "auth requires tls");
			return -1;
		}
	}
	return 0;
}

/* action NAME METHOD [OPTION ...] */
int
parse_action(struct parse *p)
{
	static const struct {
		const char		*kw;
		enum action_method	 method;
	} methods[] = {
		{ "maildir",		ACTION_MAILDIR },
		{ "mbox",		ACTION_MBOX },
		{ "lmtp",		ACTION_LMTP },
		{ "mda",		ACTION_MDA },
		{ "forward-only",	ACTION_FORWARD_ONLY },
		{ "expand-only",	ACTION_EXPAND_ONLY },
		{ "relay",		ACTION_RELAY },
	};
	char name[CONFIG_NAME_MAX];
	struct action *a;
	size_t i;
	int rc;

	if (parse_value_buf(p, "an action name", name, sizeof(name)) == -1)
		return -1;
	if (name[0] == '\0') {
		parse_err(p, "empty action name");
		return -1;
	}
	if (parse_names_get(&p->names, PARSE_NS_ACTION, name) != NULL) {
		parse_err(p, "action \"%s\" already defined", name);
		return -1;
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (parse_is_kw(p, methods[i].kw))
			break;
	if (i == sizeof(methods) / sizeof(methods[0]))
		return parse_expected(p, "a method (maildir, mbox, lmtp, mda, "
		    "forward-only, expand-only or relay)");
	parse_next(p);

	/* Declared even if broken: a later `match` should not cascade. */
	a = xcalloc(1, sizeof(*a));
	memcpy(a->name, name, strlen(name) + 1);
	a->method = methods[i].method;
	a->file = p->dir_file;
	a->line = p->dir_line;
	TAILQ_INSERT_TAIL(&p->conf->actions, a, entry);
	parse_names_put(&p->names, PARSE_NS_ACTION, a->name, a);

	if (parse_action_param(p, a) == -1)
		return -1;
	while (p->tok.type != TOK_NEWLINE && p->tok.type != TOK_EOF) {
		if (parse_accept_kw(p, "ttl")) {
			if (a->ttl != 0) {
				parse_err(p, "ttl already specified for this "
				    "dispatcher");
				return -1;
			}
			rc = parse_delay(p, "ttl", &a->ttl);
		} else if (a->method == ACTION_RELAY)
			rc = parse_action_relay_opt(p, a);
		else
			rc = parse_action_local_opt(p, a);
		if (rc == -1)
			return -1;
		if (rc == 1)
			return parse_expected(p, a->method == ACTION_RELAY ?
			    "a relay option" : "an option for a local action");
	}
	return parse_action_check(p, a);
}

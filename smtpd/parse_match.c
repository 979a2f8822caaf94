/*
 * parse_match.c: `match [OPTION ...] action NAME|reject` (spec/config.md
 * section 7). Each option may be negated with `!` and given once; a rule
 * without `from` gets `from local`, one without `for` gets `for local`.
 * Rules are kept in file order. Called by parse.c after "match"; the
 * action must already be declared. Evaluation is the rule engine's job.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

/* Option kinds, each at most once per rule. */
enum match_group {
	MG_FROM, MG_FOR, MG_AUTH, MG_HELO, MG_MAILFROM, MG_RCPTTO, MG_TAG,
	MG_TLS,
};

static const char *const parse_match_group_names[] = {
	"from", "for", "auth", "helo", "mail-from", "rcpt-to", "tag", "tls",
};

static int	parse_match_regex(struct parse *);
static int	parse_match_table(struct parse *, struct match_cond *, int,
		    int);
static int	parse_match_from(struct parse *, struct match_cond *);
static int	parse_match_for(struct parse *, struct match_cond *);
static int	parse_match_option(struct parse *, struct match_cond *,
		    enum match_group *);
static void	parse_match_implicit(struct match *, enum match_cond_kind);

/* `regex` after a condition keyword is LATER. */
static int
parse_match_regex(struct parse *p)
{
	if (parse_accept_kw(p, "regex"))
		return parse_later(p, "regex");
	return 0;
}

/* A table for condition c; optional tables may be absent. */
static int
parse_match_table(struct parse *p, struct match_cond *c, int use,
    int optional)
{
	if (parse_match_regex(p) == -1)
		return -1;
	if (optional && !parse_table_is_ref(p))
		return 0;
	return parse_table_ref(p, use, &c->table);
}

static int
parse_match_from(struct parse *p, struct match_cond *c)
{
	if (parse_accept_kw(p, "any"))
		c->kind = MATCH_FROM_ANY;
	else if (parse_accept_kw(p, "local"))
		c->kind = MATCH_FROM_LOCAL;
	else if (parse_accept_kw(p, "socket"))
		c->kind = MATCH_FROM_SOCKET;
	else if (parse_accept_kw(p, "src")) {
		c->kind = MATCH_FROM_SRC;
		return parse_match_table(p, c, TABLE_USE_NETADDR, 0);
	} else if (parse_accept_kw(p, "auth")) {
		c->kind = MATCH_FROM_AUTH;
		return parse_match_table(p, c, TABLE_USE_USERLIST, 1);
	} else if (parse_accept_kw(p, "mail-from")) {
		c->kind = MATCH_FROM_MAILFROM;
		return parse_match_table(p, c, TABLE_USE_MAILADDR, 0);
	} else if (parse_accept_kw(p, "rdns"))
		return parse_later(p, "rdns");
	else if (parse_accept_kw(p, "regex"))
		return parse_later(p, "regex");
	else
		return parse_expected(p, "\"any\", \"local\", \"socket\", "
		    "\"src\", \"auth\" or \"mail-from\" after \"from\"");
	return 0;
}

static int
parse_match_for(struct parse *p, struct match_cond *c)
{
	if (parse_accept_kw(p, "any"))
		c->kind = MATCH_FOR_ANY;
	else if (parse_accept_kw(p, "local"))
		c->kind = MATCH_FOR_LOCAL;
	else if (parse_accept_kw(p, "domain")) {
		c->kind = MATCH_FOR_DOMAIN;
		return parse_match_table(p, c, TABLE_USE_DOMAIN, 0);
	} else if (parse_accept_kw(p, "rcpt-to")) {
		c->kind = MATCH_FOR_RCPTTO;
		return parse_match_table(p, c, TABLE_USE_MAILADDR, 0);
	} else if (parse_accept_kw(p, "regex"))
		return parse_later(p, "regex");
	else
		return parse_expected(p, "\"any\", \"local\", \"domain\" or "
		    "\"rcpt-to\" after \"for\"");
	return 0;
}

/* One condition, after its optional `!`. */
static int
parse_match_option(struct parse *p, struct match_cond *c,
    enum match_group *group)
{
	if (parse_accept_kw(p, "from")) {
		*group = MG_FROM;
		return parse_match_from(p, c);
	}
	if (parse_accept_kw(p, "for")) {
		*group = MG_FOR;
		return parse_match_for(p, c);
	}
	if (parse_accept_kw(p, "auth")) {
		*group = MG_AUTH;
		c->kind = MATCH_AUTH;
		return parse_match_table(p, c, TABLE_USE_USERLIST, 1);
	}
	if (parse_accept_kw(p, "helo")) {
		*group = MG_HELO;
		c->kind = MATCH_HELO;
		return parse_match_table(p, c, TABLE_USE_DOMAIN, 0);
	}
	if (parse_accept_kw(p, "mail-from")) {
		*group = MG_MAILFROM;
		c->kind = MATCH_MAILFROM;
		return parse_match_table(p, c, TABLE_USE_MAILADDR, 0);
	}
	if (parse_accept_kw(p, "rcpt-to")) {
		*group = MG_RCPTTO;
		c->kind = MATCH_RCPTTO;
		return parse_match_table(p, c, TABLE_USE_MAILADDR, 0);
	}
	if (parse_accept_kw(p, "tag")) {
		*group = MG_TAG;
		c->kind = MATCH_TAG;
		if (parse_match_regex(p) == -1 ||
		    parse_value_buf(p, "a tag", c->tag, sizeof(c->tag)) == -1)
			return -1;
		if (!parse_printable(c->tag)) {
			parse_err(p, "invalid tag \"%s\"", c->tag);
			return -1;
		}
		return 0;
	}
	if (parse_accept_kw(p, "tls")) {
		*group = MG_TLS;
		c->kind = MATCH_TLS;
		return 0;
	}
	if (parse_accept_kw(p, "rdns"))
		return parse_later(p, "rdns");
	return parse_expected(p, "a match option, \"action\" or \"reject\"");
}

static void
parse_match_implicit(struct match *m, enum match_cond_kind kind)
{
	struct match_cond *c = &m->conds[m->nconds++];

	memset(c, 0, sizeof(*c));
	c->kind = kind;
}

/* match [OPTION ...] action NAME | reject */
int
parse_match(struct parse *p)
{
	struct match *m;
	struct match_cond c;
	enum match_group group = MG_FROM;
	unsigned int seen = 0;
	char name[CONFIG_NAME_MAX];
	int negate;

	m = xcalloc(1, sizeof(*m));
	m->file = p->dir_file;
	m->line = p->dir_line;
	for (;;) {
		negate = parse_accept(p, TOK_BANG);
		if (parse_is_kw(p, "action") || parse_is_kw(p, "reject")) {
			if (negate) {
				parse_err(p, "\"!\" may not precede \"%s\"",
				    p->tok.text);
				goto fail;
			}
			break;
		}
		if (!negate && (p->tok.type == TOK_NEWLINE ||
		    p->tok.type == TOK_EOF)) {
			parse_err_tok(p, "missing \"action\" or \"reject\" in "
			    "match rule");
			goto fail;
		}
		memset(&c, 0, sizeof(c));
		c.negate = negate;
		if (parse_match_option(p, &c, &group) == -1)
			goto fail;
		if (seen & (1u << group)) {
			parse_err(p, "%s already specified for this rule",
			    parse_match_group_names[group]);
			goto fail;
		}
		seen |= 1u << group;
		m->conds[m->nconds++] = c;
	}
	if (parse_accept_kw(p, "reject"))
		m->reject = 1;
	else {
		parse_next(p);		/* action */
		if (parse_value_buf(p, "an action name", name, sizeof(name))
		    == -1)
			goto fail;
		m->action = parse_names_get(&p->names, PARSE_NS_ACTION, name);
		if (m->action == NULL) {
			parse_err(p, "action \"%s\" not defined", name);
			goto fail;
		}
	}
	if (!(seen & (1u << MG_FROM)))
		parse_match_implicit(m, MATCH_FROM_LOCAL);
	if (!(seen & (1u << MG_FOR)))
		parse_match_implicit(m, MATCH_FOR_LOCAL);
	TAILQ_INSERT_TAIL(&p->conf->matches, m, entry);
	return 0;

fail:
	free(m);
	return -1;
}

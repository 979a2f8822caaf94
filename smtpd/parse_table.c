/*
 * parse_table.c: `table NAME ...` declarations and the places that take a
 * <table> (spec/config.md section 2, spec/tables.md sections 1 and 7):
 * <NAME>, an anonymous inline { ... } or a single bare string. Records
 * what each table is used for and refuses uses its kind cannot serve.
 * Called by parse.c, parse_listen.c, parse_action.c and parse_match.c.
 * It never reads file or db tables: the table loader does.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

/* Uses that need a mapping (key -> value); the others take a list. */
#define TABLE_USES_MAPPING	(TABLE_USE_ALIAS | TABLE_USE_VIRTUAL | \
    TABLE_USE_CREDENTIALS | TABLE_USE_RELAYAUTH | TABLE_USE_USERINFO)

/* Backends OpenSMTPD has and we do not have yet. */
static const char *const parse_table_later[] = {
	"getpwnam", "ldap", "mysql", "passwd", "postgres", "proc", "redis",
	"socketmap", "sqlite", "static",
};

static struct table_decl *parse_table_new(struct parse *, const char *);
static void	parse_table_add(struct table_decl *, const char *,
		    const char *);
static int	parse_table_inline(struct parse *, struct table_decl *);
static int	parse_table_backend(struct parse *, struct table_decl *,
		    char *);

static struct table_decl *
parse_table_new(struct parse *p, const char *name)
{
	struct table_decl *t;

	t = xcalloc(1, sizeof(*t));
	memcpy(t->name, name, strlen(name) + 1);
	t->backend = TABLE_INLINE;
	t->kind = TABLE_KIND_UNKNOWN;
	t->file = p->dir_file;
	t->line = p->dir_line;
	TAILQ_INSERT_TAIL(&p->conf->tables, t, entry);
	if (t->name[0] != '\0')
		parse_names_put(&p->names, PARSE_NS_TABLE, t->name, t);
	return t;
}

static void
parse_table_add(struct table_decl *t, const char *key, const char *value)
{
	/* capacity doubles: grow when the count is 0 or a power of two */
	if ((t->nentries & (t->nentries - 1)) == 0)
		t->entries = xreallocarray(t->entries,
		    t->nentries ? t->nentries * 2 : 1, sizeof(*t->entries));
	t->entries[t->nentries].key = xstrdup(key);
	t->entries[t->nentries].value = value != NULL ? xstrdup(value) : NULL;
	t->nentries++;
}

/*
 * { value, ... } or { key = value, key => value, ... }: at least one
 * element, all of one kind. Commas are optional, as in OpenSMTPD, and
 * newlines are blanks inside the braces (the lexer sees to that).
 */
static int
parse_table_inline(struct parse *p, struct table_decl *t)
{
	char *key, *value;
	enum table_kind kind;

	t->backend = TABLE_INLINE;
	parse_next(p);		/* { */
	while (p->tok.type != TOK_RBRACE) {
		if (parse_value(p, "a table element or \"}\"", &key) == -1)
			return -1;
		value = NULL;
		kind = TABLE_KIND_LIST;
		if (parse_accept(p, TOK_EQUAL) || parse_accept(p, TOK_ARROW)) {
			if (parse_value(p, "a value after the key", &value)
			    == -1) {
				free(key);
				return -1;
			}
			kind = TABLE_KIND_MAPPING;
		}
		if (t->kind != TABLE_KIND_UNKNOWN && t->kind != kind) {
			parse_err(p, "table mixes list and mapping elements");
			free(key);
			free(value);
			return -1;
		}
		t->kind = kind;
		parse_table_add(t, key, value);
		free(key);
		free(value);
		(void)parse_accept(p, TOK_COMMA);
	}
	if (t->nentries == 0) {
		parse_err_tok(p, "empty table");
		return -1;
	}
	parse_next(p);		/* } */
	return 0;
}

/* PATH, file:PATH, db:PATH; other backends are LATER. */
static int
parse_table_backend(struct parse *p, struct table_decl *t, char *spec)
{
	char *backend, *config = NULL, *colon;
	size_t i;

	if (spec[0] == '/') {
		backend = "file";
		config = spec;
	} else {
		backend = spec;
		if ((colon = strchr(spec, ':')) != NULL) {
			*colon = '\0';
			config = colon + 1;
		}
	}
	if ((config != NULL && (config[0] != '/' ||
	    strlen(config) >= CONFIG_PATH_MAX)) ||
	    backend[strspn(backend, "abcdefghijklmnopqrstuvwxyz0123456789-_")]
	    != '\0') {
		parse_err(p, "invalid backend parameter for table: %s",
		    t->name);
		return -1;
	}
	if (strcmp(backend, "file") == 0 || strcmp(backend, "db") == 0) {
		if (config == NULL) {
			parse_err(p, "invalid backend parameter for table: %s",
			    t->name);
			return -1;
		}
		t->backend = backend[0] == 'f' ? TABLE_FILE : TABLE_DB;
		t->path = xstrdup(config);
		return 0;
	}
	for (i = 0; i < sizeof(parse_table_later) /
	    sizeof(parse_table_later[0]); i++)
		if (strcmp(backend, parse_table_later[i]) == 0)
			return parse_later(p, parse_table_later[i]);
	parse_err(p, "unknown table backend \"%.64s\" for table: %s", backend,
	    t->name);
	return -1;
}

/* table NAME PATH | file:PATH | db:PATH | { ... } */
int
parse_table_decl(struct parse *p)
{
	char name[CONFIG_NAME_MAX];
	struct table_decl *t;
	char *spec;
	int rc;

	if (parse_value_buf(p, "a table name", name, sizeof(name)) == -1)
		return -1;
	if (name[0] == '\0' || strpbrk(name, "<>") != NULL) {
		parse_err(p, "invalid table name \"%s\"", name);
		return -1;
	}
	if (parse_names_get(&p->names, PARSE_NS_TABLE, name) != NULL) {
		parse_err(p, "table \"%s\" already defined", name);
		return -1;
	}
	/*
	 * Declared even if the rest is wrong, so that later references do
	 * not add "not defined" errors to the real one.
	 */
	t = parse_table_new(p, name);
	t->backend = TABLE_FILE;
	if (p->tok.type == TOK_LBRACE)
		return parse_table_inline(p, t);
	if (parse_value(p, "a path, file:PATH, db:PATH or \"{\"", &spec) == -1)
		return -1;
	rc = parse_table_backend(p, t, spec);
	free(spec);
	return rc;
}

/* Whether the next token can start a <table> argument. */
int
parse_table_is_ref(struct parse *p)
{
	return p->tok.type == TOK_LT || p->tok.type == TOK_LBRACE ||
	    parse_is_value(p);
}

/*
 * <NAME>, { ... } or a bare string, for the lookup kind `use`. Anonymous
 * tables are added to the config with an empty name.
 */
int
parse_table_ref(struct parse *p, int use, struct table_decl **out)
{
	char name[CONFIG_NAME_MAX];
	struct table_decl *t;
	char *value;

	*out = NULL;
	if (parse_accept(p, TOK_LT)) {
		if (parse_value_buf(p, "a table name", name, sizeof(name))
		    == -1)
			return -1;
		if (p->tok.type != TOK_GT)
			return parse_expected(p, "\">\" after the table name");
		parse_next(p);
		t = parse_names_get(&p->names, PARSE_NS_TABLE, name);
		if (t == NULL) {
			parse_err(p, "table \"%s\" not defined", name);
			return -1;
		}
	} else if (p->tok.type == TOK_LBRACE) {
		t = parse_table_new(p, "");
		if (parse_table_inline(p, t) == -1)
			return -1;
	} else if (parse_is_value(p)) {
		if (parse_value(p, "a table", &value) == -1)
			return -1;
		t = parse_table_new(p, "");
		t->kind = TABLE_KIND_LIST;
		parse_table_add(t, value, NULL);
		if ((use & TABLE_USES_MAPPING) && t->kind == TABLE_KIND_LIST) {
			parse_err(p, "\"%.64s\" is a single value, not a table; "
			    "it may not be used for %s lookups", value,
			    config_table_use_name(use));
			free(value);
			return -1;
		}
		free(value);
	} else
		return parse_expected(p, "a table (<name>, { ... } or a value)");

	if ((use & TABLE_USES_MAPPING) && t->kind == TABLE_KIND_LIST) {
		if (t->name[0] != '\0')
			parse_err(p, "table \"%s\" may not be used for %s "
			    "lookups", t->name, config_table_use_name(use));
		else
			parse_err(p, "inline table may not be used for %s "
			    "lookups", config_table_use_name(use));
		return -1;
	}
	t->uses |= use;
	*out = t;
	return 0;
}

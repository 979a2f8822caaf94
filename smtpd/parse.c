/*
 * parse.c: entry points of the smtpd.conf parser (config_parse_file,
 * config_parse_buffer; spec/config.md), error reporting, -D definitions,
 * the directive loop and the small directives (macros, include, LATER and
 * obsolete ones). Every role calls it at start-up, smtpd -n too. It never
 * exits on bad input: each error is written as "FILE:LINE: message", the
 * rest of the directive is skipped and parsing goes on; the result is
 * NULL if there was any error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

struct parse_directive {
	const char	*kw;
	int		(*fn)(struct parse *);
};

static void	parse_verr(struct parse *, const char *, int, const char *,
		    va_list) __attribute__((format(printf, 4, 0)));
static void	parse_init(struct parse *, int, FILE *);
static void	parse_defines(struct parse *, char *const *);
static void	parse_set_path(struct parse *, const char *);
static struct config *parse_run(struct parse *);
static int	parse_directive(struct parse *);
static int	parse_macro_def(struct parse *, const char *, int);
static int	parse_include(struct parse *);

/* The directives of spec/config.md, called after their keyword. */
static const struct parse_directive parse_directives[] = {
	{ "action",	parse_action },
	{ "bounce",	parse_global_bounce },
	{ "ca",		parse_ca_decl },
	{ "control",	parse_global_control },
	{ "include",	parse_include },
	{ "listen",	parse_listen },
	{ "match",	parse_match },
	{ "mta",	parse_global_mta },
	{ "pki",	parse_pki_decl },
	{ "queue",	parse_global_queue },
	{ "smtp",	parse_global_smtp },
	{ "table",	parse_table_decl },
};

/* Recognised directives that are refused for now (LATER). */
static const char *const parse_later_directives[] = {
	"admd", "filter", "mda", "proc", "proc-exec", "report",
	"scheduler", "srs",
};

static void
parse_verr(struct parse *p, const char *file, int line, const char *fmt,
    va_list ap)
{
	char msg[PARSE_ERRMSG_MAX];
	size_t i;

	p->nerrors++;
	if (p->errout == NULL)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	/* The message quotes input: keep it on one printable line. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	fprintf(p->errout, "%s:%d: %s\n", file != NULL ? file : "?", line, msg);
}

void
parse_err_at(struct parse *p, const char *file, int line, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	parse_verr(p, file, line, fmt, ap);
	va_end(ap);
}

/* An error about what was just consumed. */
void
parse_err(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (p->prev_file != NULL)
		parse_verr(p, p->prev_file, p->prev_line, fmt, ap);
	else
		parse_verr(p, p->tok.file, p->tok.line, fmt, ap);
	va_end(ap);
}

/* An error about the next, unconsumed token. */
void
parse_err_tok(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (p->tok.type == TOK_EOF && p->prev_file != NULL)
		parse_verr(p, p->prev_file, p->prev_line, fmt, ap);
	else
		parse_verr(p, p->tok.file, p->tok.line, fmt, ap);
	va_end(ap);
}

/* `"KEYWORD" is not supported yet`, about what was just consumed; -1. */
int
parse_later(struct parse *p, const char *kw)
{
	parse_err(p, "\"%s\" is not supported yet", kw);
	return -1;
}

static void
parse_init(struct parse *p, int flags, FILE *errout)
{
	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->errout = errout;
	p->conf = config_new(flags);
	lex_init(&p->lex);
	p->tok.type = TOK_NEWLINE;
}

static void
parse_set_path(struct parse *p, const char *path)
{
	if (strlen(path) >= sizeof(p->conf->path)) {
		parse_err_at(p, path, 0, "file name too long");
		return;
	}
	memcpy(p->conf->path, path, strlen(path) + 1);
}

/* -D NAME=value: defines a macro, or overrides the file's definition. */
static void
parse_defines(struct parse *p, char *const *defines)
{
	char name[CONFIG_NAME_MAX];
	const char *eq;
	size_t i, len;

	for (i = 0; defines != NULL && defines[i] != NULL; i++) {
		eq = strchr(defines[i], '=');
		len = eq != NULL ? (size_t)(eq - defines[i]) : 0;
		if (eq == NULL || len == 0 || len >= sizeof(name)) {
			parse_err_at(p, "command line", 0, "invalid -D "
			    "\"%.64s\": expected NAME=value", defines[i]);
			continue;
		}
		memcpy(name, defines[i], len);
		name[len] = '\0';
		if (!lex_macro_name_ok(name)) {
			parse_err_at(p, "command line", 0, "invalid -D "
			    "\"%.64s\": bad macro name", defines[i]);
			continue;
		}
		if (lex_macro_set(p, name, eq + 1, 1) == -1)
			parse_err_at(p, "command line", 0, "invalid -D "
			    "\"%.64s\": value too long", defines[i]);
	}
}

struct config *
config_parse_file(const char *path, char *const *defines, int flags,
    FILE *errout)
{
	struct parse p;

	parse_init(&p, flags, errout);
	parse_set_path(&p, path);
	parse_defines(&p, defines);
	if (lex_push_file(&p, path) == -1)
		parse_err_at(&p, path, 0, "cannot read file: %s",
		    strerror(errno));
	return parse_run(&p);
}

struct config *
config_parse_buffer(const char *name, const char *buf, size_t len,
    char *const *defines, int flags, FILE *errout)
{
	struct parse p;

	parse_init(&p, flags, errout);
	parse_set_path(&p, name);
	parse_defines(&p, defines);
	(void)lex_push_buffer(&p, name, buf, len);
	return parse_run(&p);
}

static struct config *
parse_run(struct parse *p)
{
	struct config *conf;

	if (p->lex.nsrc > 0) {
		parse_next(p);
		while (p->tok.type != TOK_EOF) {
			if (parse_accept(p, TOK_NEWLINE))
				continue;
			p->dir_file = p->tok.file;
			p->dir_line = p->tok.line;
			if (parse_directive(p) == -1 ||
			    (p->tok.type != TOK_NEWLINE &&
			    parse_expected(p, "end of line") == -1))
				parse_skip_line(p);
		}
		parse_pki_check(p);
		parse_listen_check(p);
	}
	free(p->tok.text);
	p->tok.text = NULL;
	lex_free(&p->lex);
	lex_macros_free(p);
	parse_names_free(&p->names);
	conf = p->conf;
	if (p->nerrors > 0) {
		config_free(conf);
		return NULL;
	}
	return conf;
}

static int
parse_directive(struct parse *p)
{
	char *word;
	size_t i;
	int quoted, rc;

	if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING)
		return parse_expected(p, "a directive");
	quoted = p->tok.type == TOK_STRING;
	word = xstrdup(p->tok.text);
	parse_next(p);
	if (p->tok.type == TOK_EQUAL) {
		rc = parse_macro_def(p, word, quoted);
		free(word);
		return rc;
	}
	if (quoted) {
		parse_err(p, "expected a directive, got \"%.64s\"", word);
		free(word);
		return -1;
	}
	for (i = 0; i < sizeof(parse_directives) /
	    sizeof(parse_directives[0]); i++)
		if (strcmp(word, parse_directives[i].kw) == 0) {
			free(word);
			return parse_directives[i].fn(p);
		}
	rc = -1;
	if (strcmp(word, "accept") == 0 || strcmp(word, "reject") == 0)
		parse_err_at(p, p->dir_file, p->dir_line,
		    "obsolete OpenSMTPD < 6.4 syntax");
	else {
		for (i = 0; i < sizeof(parse_later_directives) /
		    sizeof(parse_later_directives[0]); i++)
			if (strcmp(word, parse_later_directives[i]) == 0)
				break;
		if (i < sizeof(parse_later_directives) /
		    sizeof(parse_later_directives[0]))
			parse_err_at(p, p->dir_file, p->dir_line,
			    "\"%s\" is not supported yet", word);
		else
			parse_err_at(p, p->dir_file, p->dir_line,
			    "unknown directive \"%.64s\"", word);
	}
	free(word);
	return rc;
}

/* NAME = VALUE (the `=` is the current token). */
static int
parse_macro_def(struct parse *p, const char *name, int quoted)
{
	char *value;
	int rc = 0;

	if (!quoted && parse_is_keyword(name)) {
		parse_err(p, "macro name \"%s\" is a reserved keyword", name);
		return -1;
	}
	if (!lex_macro_name_ok(name)) {
		parse_err(p, "invalid macro name \"%.64s\"", name);
		return -1;
	}
	parse_next(p);
	if (parse_value(p, "a macro value", &value) == -1)
		return -1;
	if (p->tok.type != TOK_NEWLINE)
		rc = parse_expected(p, "end of line after the macro value");
	else if (lex_macro_set(p, name, value, 0) == -1) {
		parse_err(p, "macro value too long (max %d bytes)",
		    LEX_MACRO_MAX);
		rc = -1;
	}
	free(value);
	return rc;
}

/*
 * include "PATH": the file is read in place of the directive. It is
 * pushed only once the directive is complete, so its first token is read
 * when the parser moves past the end of this line.
 */
static int
parse_include(struct parse *p)
{
	char *path;
	int rc = 0;

	if (parse_value(p, "a file name after \"include\"", &path) == -1)
		return -1;
	if (p->tok.type != TOK_NEWLINE)
		rc = parse_expected(p, "end of line after the file name");
	else if (p->flags & CONFIG_NOINCLUDE) {
		parse_err(p, "include is disabled");
		rc = -1;
	} else if (p->lex.nsrc > CONFIG_INCLUDE_DEPTH) {
		parse_err(p, "include nesting too deep (max %d)",
		    CONFIG_INCLUDE_DEPTH);
		rc = -1;
	} else if (lex_push_file(p, path) == -1) {
		parse_err(p, "cannot include \"%.200s\": %s", path,
		    strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

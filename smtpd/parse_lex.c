/*
 * parse_lex.c: the smtpd.conf lexer (spec/config.md section 1).
 * Joins backslash-newline, drops comments up to the end of the logical
 * line, reads double-quoted strings, punctuation and words, expands $NAME
 * macros (the value is read again as input, as OpenSMTPD does) and keeps
 * the stack of included files. Called by parse_next() one token at a
 * time. It never interprets keywords and never stops on bad input: it
 * reports the problem and returns TOK_ERROR.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

#define LEX_EOF		(-1)
#define LEX_PB_FILE	0x100		/* pushed-back char came from a file */
#define LEX_FILE_MAX	(16 * 1024 * 1024)	/* largest config file */
#define LEX_READ_CHUNK	65536

struct lex_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 overflow;
};

static int	lex_getc(struct lex *);
static void	lex_ungetc(struct lex *, int);
static void	lex_pushback(struct lex *, int, int);
static void	lex_error(struct parse *, const char *, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static void	lex_buf_add(struct lex_buf *, int);
static int	lex_word_start(int);
static int	lex_word_char(int);
static void	lex_word(struct parse *, struct token *, int, int);
static void	lex_quoted(struct parse *, struct token *);
static int	lex_macro(struct parse *, struct token *);
static const char *lex_macro_get(struct parse *, const char *);
static void	lex_source_push(struct parse *, const char *, char *, size_t);

void
lex_init(struct lex *lx)
{
	memset(lx, 0, sizeof(*lx));
}

void
lex_free(struct lex *lx)
{
	int i;

	for (i = 0; i < lx->nsrc; i++)
		free(lx->src[i].buf);
	free(lx->pb);
	memset(lx, 0, sizeof(*lx));
}

static void
lex_error(struct parse *p, const char *file, int line, const char *fmt, ...)
{
	char msg[PARSE_ERRMSG_MAX];
	va_list ap;

	/* While the parser skips a broken directive, stay quiet. */
	if (p->skipping)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	parse_err_at(p, file, line, "%s", msg);
}

/*
 * Next input character: pushed-back characters first (macro text, or one
 * character the lexer looked ahead at), then the current file, where a
 * backslash immediately before a newline joins the two lines.
 */
static int
lex_getc(struct lex *lx)
{
	struct lex_source *s;
	int c;

	if (lx->pblen > 0) {
		c = lx->pb[--lx->pblen];
		lx->last_macro = (c & LEX_PB_FILE) == 0;
		return c & 0xff;
	}
	lx->last_macro = 0;
	if (lx->nsrc == 0)
		return LEX_EOF;
	s = &lx->src[lx->nsrc - 1];
	for (;;) {
		if (s->pos >= s->len)
			return LEX_EOF;
		c = (unsigned char)s->buf[s->pos++];
		if (c != '\\')
			return c;
		if (s->pos < s->len && s->buf[s->pos] == '\n') {
			s->pos++;
			s->line++;
			continue;
		}
		if (s->pos + 1 < s->len && s->buf[s->pos] == '\r' &&
		    s->buf[s->pos + 1] == '\n') {
			s->pos += 2;
			s->line++;
			continue;
		}
		return c;
	}
}

static void
lex_pushback(struct lex *lx, int c, int fromfile)
{
	if (lx->pblen == lx->pbcap) {
		lx->pbcap = lx->pbcap ? lx->pbcap * 2 : 64;
		lx->pb = xreallocarray(lx->pb, lx->pbcap, sizeof(*lx->pb));
	}
	lx->pb[lx->pblen++] = (c & 0xff) | (fromfile ? LEX_PB_FILE : 0);
}

/* Give back the character just read; end of file needs no giving back. */
static void
lex_ungetc(struct lex *lx, int c)
{
	if (c == LEX_EOF)
		return;
	lex_pushback(lx, c, !lx->last_macro);
}

static void
lex_buf_add(struct lex_buf *b, int c)
{
	if (b->len >= LEX_TOKEN_MAX) {
		b->overflow = 1;
		return;
	}
	if (b->len + 1 >= b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	b->s[b->len++] = (char)c;
	b->s[b->len] = '\0';
}

/* OpenSMTPD: a word starts with a letter, a digit, `_` or `:` (::1). */
static int
lex_word_start(int c)
{
	return c >= 0 && c < 0x80 && (isalnum(c) || c == '_' || c == ':');
}

static int
lex_word_char(int c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	if (isalnum(c))
		return 1;
	return strchr("(){}<>!=#,\"", c) == NULL;
}

static void
lex_word(struct parse *p, struct token *t, int c, int frommacro)
{
	struct lex *lx = &p->lex;
	struct lex_buf b = { NULL, 0, 0, 0 };
	int ok, prev;

	ok = lex_word_start(c) || (frommacro && lex_word_char(c));
	for (;;) {
		lex_buf_add(&b, c);
		prev = c;
		c = lex_getc(lx);
		if (prev == '%' && c == '{') {
			/* %{...} is part of the word: -D maildir=/x/%{rcpt} */
			while (c > 0x20 && c < 0x7f && c != '}') {
				lex_buf_add(&b, c);
				c = lex_getc(lx);
			}
			if (c != '}')
				break;
			lex_buf_add(&b, c);
			c = lex_getc(lx);
		}
		if (c == LEX_EOF || !lex_word_char(c))
			break;
	}
	lex_ungetc(lx, c);
	if (b.overflow) {
		lex_error(p, t->file, t->line, "word too long (max %d bytes)",
		    LEX_TOKEN_MAX);
		ok = 0;
	} else if (!ok)
		lex_error(p, t->file, t->line, "\"%.64s\" must be quoted",
		    b.s);
	if (!ok) {
		free(b.s);
		t->type = TOK_ERROR;
		return;
	}
	t->type = TOK_WORD;
	t->text = b.s;
}

/*
 * A double-quoted string: \" and \\ are escapes, any other backslash is
 * kept; # and $ are literal. A newline before the closing quote is an
 * error (it is left in the input so the directive still ends there).
 */
static void
lex_quoted(struct parse *p, struct token *t)
{
	struct lex *lx = &p->lex;
	struct lex_buf b = { NULL, 0, 0, 0 };
	int c, next, nul = 0;

	t->type = TOK_ERROR;
	for (;;) {
		c = lex_getc(lx);
		if (c == LEX_EOF || c == '\n') {
			lex_ungetc(lx, c);
			lex_error(p, t->file, t->line,
			    "unterminated quoted string");
			free(b.s);
			return;
		}
		if (c == '"')
			break;
		if (c == '\0')
			nul = 1;
		if (c == '\\') {
			next = lex_getc(lx);
			if (next == '"' || next == '\\')
				c = next;
			else
				lex_ungetc(lx, next);
		}
		lex_buf_add(&b, c);
	}
	if (nul || b.overflow) {
		lex_error(p, t->file, t->line, nul ?
		    "NUL byte in quoted string" :
		    "quoted string too long (max %d bytes)", LEX_TOKEN_MAX);
		free(b.s);
		return;
	}
	t->type = TOK_STRING;
	t->text = b.s ? b.s : xstrdup("");
}

/*
 * $NAME at the start of a token: push the value back so it is read as
 * input. Characters read from a value are never expanded again.
 * Returns 0 when the value was pushed, -1 on error (t is TOK_ERROR).
 */
static int
lex_macro(struct parse *p, struct token *t)
{
	struct lex *lx = &p->lex;
	char name[CONFIG_NAME_MAX];
	const char *value;
	size_t len = 0, i;
	int c, toolong = 0;

	while ((c = lex_getc(lx)) != LEX_EOF && c < 0x80 &&
	    (isalnum(c) || c == '_')) {
		if (len + 1 < sizeof(name))
			name[len++] = (char)c;
		else
			toolong = 1;
	}
	lex_ungetc(lx, c);
	name[len] = '\0';
	t->type = TOK_ERROR;
	if (len == 0) {
		lex_error(p, t->file, t->line,
		    "\"$\" must be followed by a macro name");
		return -1;
	}
	if (toolong) {
		lex_error(p, t->file, t->line, "macro name too long");
		return -1;
	}
	if ((value = lex_macro_get(p, name)) == NULL) {
		lex_error(p, t->file, t->line, "macro \"%s\" not defined",
		    name);
		return -1;
	}
	for (i = strlen(value); i > 0; i--)
		lex_pushback(lx, value[i - 1] == '\n' ? ' ' : value[i - 1], 0);
	return 0;
}

void
lex_next(struct parse *p, struct token *t)
{
	struct lex *lx = &p->lex;
	struct lex_source *s;
	int c, next;

	t->type = TOK_ERROR;
	t->text = NULL;
	for (;;) {
		if (lx->nsrc == 0) {
			t->type = TOK_EOF;
			t->file = "";
			t->line = 0;
			return;
		}
		s = &lx->src[lx->nsrc - 1];
		c = lex_getc(lx);
		t->file = s->name;
		t->line = s->line;
		switch (c) {
		case ' ':
		case '\t':
		case '\r':
		case '\f':
		case '\v':
			continue;
		case '\n':
			s->line++;
			if (s->depth > 0)
				continue;
			t->type = TOK_NEWLINE;
			return;
		case '#':
			if (lx->last_macro) {
				/* would silently drop the rest of the line */
				lex_error(p, t->file, t->line,
				    "\"#\" in the value of a macro");
				return;
			}
			while ((c = lex_getc(lx)) != '\n' && c != LEX_EOF)
				;
			lex_ungetc(lx, c);
			continue;
		case LEX_EOF:
			if (s->depth > 0) {
				s->depth = 0;
				lex_error(p, t->file, s->brace_line,
				    "\"{\" not closed at end of file");
				return;
			}
			if (!s->ended) {
				/* the last directive ends with the file */
				s->ended = 1;
				t->type = TOK_NEWLINE;
				return;
			}
			if (lx->nsrc == 1) {
				t->type = TOK_EOF;
				return;
			}
			free(s->buf);
			memset(s, 0, sizeof(*s));
			lx->nsrc--;
			continue;
		case '"':
			lex_quoted(p, t);
			return;
		case '{':
			if (s->depth++ == 0)
				s->brace_line = t->line;
			t->type = TOK_LBRACE;
			return;
		case '}':
			if (s->depth > 0)
				s->depth--;
			t->type = TOK_RBRACE;
			return;
		case '<':
			t->type = TOK_LT;
			return;
		case '>':
			t->type = TOK_GT;
			return;
		case ',':
			t->type = TOK_COMMA;
			return;
		case '!':
			t->type = TOK_BANG;
			return;
		case '=':
			if ((next = lex_getc(lx)) == '>') {
				t->type = TOK_ARROW;
				return;
			}
			lex_ungetc(lx, next);
			t->type = TOK_EQUAL;
			return;
		case '$':
			if (!lx->last_macro) {
				if (lex_macro(p, t) == -1)
					return;
				continue;
			}
			break;
		default:
			break;
		}
		if (lex_word_char(c)) {
			lex_word(p, t, c, lx->last_macro);
			return;
		}
		if (c == '\0')
			lex_error(p, t->file, t->line, "unexpected NUL byte");
		else if (c > 0x20 && c < 0x7f)
			lex_error(p, t->file, t->line,
			    "unexpected character '%c'", c);
		else
			lex_error(p, t->file, t->line,
			    "unexpected byte 0x%02x", (unsigned)c);
		t->type = TOK_ERROR;
		return;
	}
}

static void
lex_source_push(struct parse *p, const char *name, char *buf, size_t len)
{
	struct lex_source *s = &p->lex.src[p->lex.nsrc++];

	memset(s, 0, sizeof(*s));
	s->name = config_add_file(p->conf, name);
	s->buf = buf;
	s->len = len;
	s->line = 1;
}

int
lex_push_buffer(struct parse *p, const char *name, const char *buf,
    size_t len)
{
	char *copy;

	if (p->lex.nsrc >= CONFIG_INCLUDE_DEPTH + 1) {
		errno = ELOOP;
		return -1;
	}
	copy = xmalloc(len + 1);
	if (len > 0)
		memcpy(copy, buf, len);
	copy[len] = '\0';
	lex_source_push(p, name, copy, len);
	return 0;
}

/* Read a whole file and make it the current input; -1 and errno if not. */
int
lex_push_file(struct parse *p, const char *path)
{
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int saved;

	if (p->lex.nsrc >= CONFIG_INCLUDE_DEPTH + 1) {
		errno = ELOOP;
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	for (;;) {
		if (cap - len < LEX_READ_CHUNK) {
			if (cap >= LEX_FILE_MAX) {
				free(buf);
				fclose(fp);
				errno = EFBIG;
				return -1;
			}
			cap += LEX_READ_CHUNK;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		saved = errno ? errno : EIO;
		free(buf);
		fclose(fp);
		errno = saved;
		return -1;
	}
	fclose(fp);
	buf[len] = '\0';
	lex_source_push(p, path, buf, len);
	return 0;
}

int
lex_macro_name_ok(const char *name)
{
	size_t i;

	if (name[0] == '\0' || strlen(name) >= CONFIG_NAME_MAX)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] >= 0x80 ||
		    (!isalnum((unsigned char)name[i]) && name[i] != '_'))
			return 0;
	return 1;
}

static const char *
lex_macro_get(struct parse *p, const char *name)
{
	struct macro *m;

	for (m = p->macros; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m->value;
	return NULL;
}

/*
 * Define or redefine a macro. A -D definition (cmdline) wins over any
 * definition in the file. Returns -1 if the value is too long.
 */
int
lex_macro_set(struct parse *p, const char *name, const char *value,
    int cmdline)
{
	struct macro *m;

	if (strlen(value) > LEX_MACRO_MAX)
		return -1;
	for (m = p->macros; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			break;
	if (m != NULL) {
		if (m->cmdline && !cmdline)
			return 0;
		free(m->value);
		m->value = xstrdup(value);
		m->cmdline = cmdline;
		return 0;
	}
	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->value = xstrdup(value);
	m->cmdline = cmdline;
	m->next = p->macros;
	p->macros = m;
	return 0;
}

void
lex_macros_free(struct parse *p)
{
	struct macro *m;

	while ((m = p->macros) != NULL) {
		p->macros = m->next;
		free(m->name);
		free(m->value);
		free(m);
	}
}

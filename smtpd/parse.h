/*
 * parse.h: internal interface of the smtpd.conf parser (spec/config.md).
 * Included only by smtpd/parse*.c and smtpd/config.c; the rest of the
 * program sees config.h. Nothing here may fatal() on bad input: every
 * problem is reported as "FILE:LINE: message" and parsing goes on.
 */
#ifndef SMTPD_PARSE_H
#define SMTPD_PARSE_H

#include <stdarg.h>

#include "smtpd/config.h"

#define LEX_TOKEN_MAX		8192	/* longest token, quoted or not */
#define LEX_MACRO_MAX		8192	/* longest macro value */
#define PARSE_ERRMSG_MAX	1024	/* one error message, truncated */
#define PARSE_DESC_MAX		96	/* a token quoted in a message */

enum tok_type {
	TOK_EOF,
	TOK_NEWLINE,
	TOK_WORD,		/* unquoted: may be a keyword */
	TOK_STRING,		/* double-quoted: never a keyword */
	TOK_LBRACE,		/* { */
	TOK_RBRACE,		/* } */
	TOK_LT,			/* < */
	TOK_GT,			/* > */
	TOK_COMMA,		/* , */
	TOK_EQUAL,		/* = */
	TOK_ARROW,		/* => */
	TOK_BANG,		/* ! */
	TOK_ERROR,		/* the lexer already reported it */
};

struct token {
	enum tok_type	 type;
	char		*text;		/* WORD, STRING: owned, NUL-terminated */
	const char	*file;		/* in config->files */
	int		 line;
};

struct lex_source {
	const char	*name;		/* in config->files */
	char		*buf;		/* owned copy of the file */
	size_t		 len;
	size_t		 pos;
	int		 line;
	int		 depth;		/* open `{` (newlines are blanks) */
	int		 brace_line;	/* where the outermost one opened */
	int		 ended;		/* final NEWLINE returned */
};

struct lex {
	struct lex_source	 src[CONFIG_INCLUDE_DEPTH + 1];
	int			 nsrc;
	int			*pb;		/* pushed back, read from the end */
	size_t			 pblen;
	size_t			 pbcap;
	int			 last_macro;	/* last char read came from $NAME */
};

struct macro {
	struct macro	*next;
	char		*name;
	char		*value;
	int		 cmdline;	/* from -D: the file cannot change it */
};

/* parse_names.c: declared names, by namespace */
enum parse_ns {
	PARSE_NS_TABLE,
	PARSE_NS_PKI,
	PARSE_NS_ACTION,
	PARSE_NS_CA,
};

struct parse_name {
	int		 ns;
	const char	*name;		/* NULL: free slot */
	void		*obj;
};

struct parse_names {
	struct parse_name	*slots;
	size_t			 cap;	/* a power of two, or 0 */
	size_t			 count;
};

struct parse {
	struct config	*conf;
	int		 flags;		/* CONFIG_* */
	FILE		*errout;
	int		 nerrors;
	int		 skipping;	/* lexer errors are not reported */
	struct lex	 lex;
	struct token	 tok;		/* the next token, not consumed yet */
	const char	*prev_file;	/* where the last consumed token was */
	int		 prev_line;
	const char	*dir_file;	/* where the current directive began */
	int		 dir_line;
	struct macro	*macros;
	struct parse_names names;
	int		 enqueue_seen;	/* `listen on socket` was given */
};

/* parse.c */
void	parse_err(struct parse *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	parse_err_tok(struct parse *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	parse_err_at(struct parse *, const char *, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
int	parse_later(struct parse *, const char *);

/* parse_lex.c */
void	lex_init(struct lex *);
void	lex_free(struct lex *);
int	lex_push_buffer(struct parse *, const char *, const char *, size_t);
int	lex_push_file(struct parse *, const char *);
void	lex_next(struct parse *, struct token *);
int	lex_macro_set(struct parse *, const char *, const char *, int);
int	lex_macro_name_ok(const char *);
void	lex_macros_free(struct parse *);

/* parse_names.c */
void	*parse_names_get(struct parse_names *, int, const char *);
void	parse_names_put(struct parse_names *, int, const char *, void *);
void	parse_names_free(struct parse_names *);

/* parse_token.c */
void	parse_next(struct parse *);
int	parse_accept(struct parse *, enum tok_type);
int	parse_is_kw(struct parse *, const char *);
int	parse_accept_kw(struct parse *, const char *);
int	parse_is_keyword(const char *);
int	parse_is_value(struct parse *);
int	parse_expected(struct parse *, const char *);
int	parse_value(struct parse *, const char *, char **);
int	parse_value_buf(struct parse *, const char *, char *, size_t);
int	parse_number(struct parse *, const char *, long long, long long,
	    long long *);
int	parse_size(struct parse *, const char *, uint64_t *);
int	parse_delay(struct parse *, const char *, time_t *);
int	parse_size_str(const char *, uint64_t *);
int	parse_delay_str(const char *, time_t *);
int	parse_printable(const char *);
const char *parse_tokdesc(const struct token *, char *, size_t);
void	parse_skip_line(struct parse *);

/* parse_table.c */
int	parse_table_decl(struct parse *);
int	parse_table_is_ref(struct parse *);
int	parse_table_ref(struct parse *, int, struct table_decl **);

/* parse_pki.c */
int	parse_pki_decl(struct parse *);
int	parse_ca_decl(struct parse *);
int	parse_ca_ref(struct parse *, struct ca **);
int	parse_pki_ref(struct parse *, struct pki **);
void	parse_pki_check(struct parse *);

/* parse_global.c */
int	parse_global_queue(struct parse *);
int	parse_global_smtp(struct parse *);
int	parse_global_bounce(struct parse *);
int	parse_global_control(struct parse *);
int	parse_global_mta(struct parse *);

/* parse_addr.c: the addresses of one `listen on` */
#define PARSE_ADDR_MAX		64
struct parse_addrs {
	struct sockaddr_storage	 ss[PARSE_ADDR_MAX];
	size_t			 n;
	int			 overflow;	/* more than PARSE_ADDR_MAX */
};
int	parse_addr_resolve(struct parse *, const char *, int,
	    struct parse_addrs *);
int	parse_addr_same(const struct sockaddr_storage *,
	    const struct sockaddr_storage *);
const char *parse_addr_ntop(const struct listener *, char *, size_t);

/* parse_listen.c */
int	parse_listen(struct parse *);
void	parse_listen_check(struct parse *);

/* parse_action.c */
int	parse_action(struct parse *);

/* parse_dest.c */
int	parse_dest_relay_url(const char *, struct relay_url *, char *, size_t);
int	parse_dest_lmtp(const char *, int, struct lmtp_dest *, char *, size_t);
int	parse_dest_port(const char *, int, int *);

/* parse_format.c */
int	parse_format_check(const char *, char *, size_t);

/* parse_match.c */
int	parse_match(struct parse *);

/* config.c */
struct config	*config_new(int);
const char	*config_add_file(struct config *, const char *);
void		 config_server_name(char *, size_t, int);

#endif

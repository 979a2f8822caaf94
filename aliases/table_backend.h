/*
 * table_backend.h: what a table backend (file:, db:, inline) supplies to
 * aliases/table.c. Private to aliases/table*.c. A backend loads a handle
 * from a declaration and answers lookups and walks on it; keys it gets are
 * already folded and at most TABLE_KEY_MAX bytes. It must never abort on
 * bad contents: load errors are messages, lookup errors TABLE_TEMPFAIL.
 */
#ifndef ALIASES_TABLE_BACKEND_H
#define ALIASES_TABLE_BACKEND_H

#include "aliases/table.h"

/* A message before its location is prepended (fits in TABLE_ERR_MAX). */
#define TABLE_MSG_MAX		512

struct table_ops {
	const char	*name;
	/* Loads the contents; *kindp gets LIST or MAPPING. NULL + err. */
	void		*(*open)(const struct table_decl *, int parse_flags,
			    enum table_kind *kindp, char *err, size_t errsz);
	enum table_result (*lookup)(void *, const char *key, char **valuep);
	enum table_result (*iterate)(void *, table_iter_fn, void *arg);
	void		 (*set_check_interval)(void *, int ms);	/* optional */
	void		 (*close)(void *);
};

extern const struct table_ops table_backend_file;
extern const struct table_ops table_backend_db;
extern const struct table_ops table_backend_inline;

/* A load warning, to the hook set with table_set_warn(). */
void	table_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * An error about a table as a whole, located at its declaration:
 * "CONF:LINE: NAME: message" (no location if the decl has none).
 */
void	table_decl_err(char *err, size_t errsz, const struct table_decl *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

/*
 * Whether a table of this kind can serve every use in decl->uses (a list
 * cannot serve mapping lookups). 0, or -1 with the parser's message
 * "CONF:LINE: table "NAME" may not be used for USE lookups".
 */
int	table_kind_check(const struct table_decl *, enum table_kind,
	    char *err, size_t errsz);

/* table_mem.c: operations of the backends that load into memory */
enum table_result table_mem_op_lookup(void *, const char *, char **);
enum table_result table_mem_op_iterate(void *, table_iter_fn, void *);
void	table_mem_op_close(void *);

#endif

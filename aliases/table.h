/*
 * table.h: the table API of the lookup role (spec/tables.md). A table is
 * opened from its declaration in the parsed config (struct table_decl),
 * loaded or checked once at start-up, and answers tri-state lookups:
 * found (with a value), not found, or a temporary failure that the caller
 * turns into a 4xx - never into "user unknown". Backends (file:, db:,
 * inline) sit behind a small table of function pointers (table_backend.h).
 *
 * Keys are folded to lower case (ASCII A-Z only) when a table is loaded
 * and before every lookup; values are never folded (tables.md section 8).
 * Nothing here aborts on bad table contents: loading reports
 * "FILE:LINE: message" (the caller decides whether that is fatal), and a
 * lookup that cannot be answered is TABLE_TEMPFAIL.
 */
#ifndef ALIASES_TABLE_H
#define ALIASES_TABLE_H

#include <sys/types.h>

#include <stddef.h>

#include "smtpd/config.h"

#define TABLE_KEY_MAX		1024	/* longer lookup keys: TEMPFAIL */
#define TABLE_LINE_MAX		65535	/* one logical line of a text table */
#define TABLE_ERR_MAX		1024	/* room for one error message */
#define TABLE_CHECK_MS		1000	/* db: stat() the file at most this often */

enum table_result {
	TABLE_TEMPFAIL = -1,	/* I/O error, corrupt data, key too long */
	TABLE_NOTFOUND = 0,
	TABLE_FOUND = 1,
};

struct table;
struct table_mem;
struct tableset;

/*
 * Walk callback: key (folded), value (NULL in a list), line in the source
 * text (0 if unknown: db and inline tables). Return 0 to go on, 1 to stop
 * the walk (table_iterate() then returns TABLE_FOUND).
 */
typedef int	(*table_iter_fn)(void *arg, const char *key, const char *value,
		    int line);
/* Receives each load warning ("FILE:LINE: duplicate entry for KEY"). */
typedef void	(*table_warn_fn)(void *arg, const char *msg);

/* ------------------------------------------------------------ one table */

/*
 * Opens and loads the table of `decl` and checks its contents against
 * decl->uses. NULL with a message in err on failure. The table keeps a
 * pointer to decl: the config must outlive it.
 */
struct table	*table_open(const struct table_decl *, char *err, size_t errsz);
void		 table_close(struct table *);
/*
 * `smtpctl update table`: loads the contents again (file: re-parse, db:
 * reopen, inline: nothing to do); the new contents replace the old only
 * if they load and pass the checks. 0, or -1 with err (old kept).
 */
int		 table_reload(struct table *, char *err, size_t errsz);

const char	*table_name(const struct table *);	/* "" if anonymous */
enum table_kind	 table_kind(const struct table *);	/* LIST or MAPPING */
const struct table_decl *table_decl(const struct table *);

/*
 * Looks `key` up (folded here). With TABLE_FOUND and valuep != NULL,
 * *valuep is a malloc'd copy of the value (NULL in a list), to be freed
 * by the caller.
 */
enum table_result table_lookup(struct table *, const char *key,
		    char **valuep);
/* Every entry once, in no particular order; see table_iter_fn. */
enum table_result table_iterate(struct table *, table_iter_fn, void *arg);
/* db: change-detection interval in ms (TABLE_CHECK_MS; 0 = every lookup). */
void		 table_set_check_interval(struct table *, int ms);
/* Where load warnings go (default: log_warnx). */
void		 table_set_warn(table_warn_fn, void *arg);

/* ------------------------------------------------------------ every table */

/*
 * Opens every table declared in the config (named and anonymous), in
 * declaration order. NULL with the first error in err. The lookup role
 * calls it before dropping privileges and treats failure as fatal.
 */
struct tableset	*tableset_open(const struct config *, char *err, size_t errsz);
void		 tableset_free(struct tableset *);
struct table	*tableset_get(const struct tableset *, const struct table_decl *);
struct table	*tableset_find(const struct tableset *, const char *name);
/* `smtpctl update table NAME`; -1 "no such table" or the load error. */
int		 tableset_update(struct tableset *, const char *name, char *err,
		    size_t errsz);

/* ------------------------------------------------------------ userinfo */

#define TABLE_HOME_MAX		1024

/* A `userbase` value "UID:GID:HOME" (tables.md section 6.3). */
struct table_userinfo {
	uid_t		uid;
	gid_t		gid;
	char		home[TABLE_HOME_MAX];
};

/* 0, or -1 with a reason in *why ("uid 0 not allowed", ...). */
int		 table_userinfo_parse(const char *value, struct table_userinfo *,
		    const char **why);

/* ------------------------------------------------------------ text format */

#define TABLE_PARSE_ALIASES	0x01	/* leading blank continues (section 3) */
#define TABLE_PARSE_STRICT	0x02	/* duplicate key is an error (makemap) */
#define TABLE_PARSE_SET		0x04	/* every line is a key (makemap -t set) */

/*
 * Parses the text table format of tables.md section 2 from a buffer
 * (`name` is the FILE in messages). On success *memp holds the entries
 * and *kindp the kind; on failure -1 with "FILE:LINE: message" in err.
 * Duplicate keys: the last one wins and a warning goes to the
 * table_set_warn() hook, unless TABLE_PARSE_STRICT makes it an error.
 * Never reads past len; the buffer may hold NULs (they are an error).
 */
int		 table_text_parse(const char *name, const char *buf, size_t len,
		    int flags, struct table_mem **memp, enum table_kind *kindp,
		    char *err, size_t errsz);

/* ------------------------------------------------------------ memory store */

/* The in-memory store behind file: and inline: tables (and makemap). */
struct table_mem *table_mem_new(void);
void		 table_mem_free(struct table_mem *);
/* 0 added, 1 replaced an entry (its previous line in *prevline). */
int		 table_mem_put(struct table_mem *, const char *key, size_t klen,
		    const char *value, size_t vlen, int line, int *prevline);
/* key must already be folded: 1 found (value NULL in a list), 0 absent. */
int		 table_mem_get(const struct table_mem *, const char *key,
		    const char **valuep, int *linep);
size_t		 table_mem_count(const struct table_mem *);
enum table_result table_mem_iterate(const struct table_mem *, table_iter_fn,
		    void *arg);

/* Folds ASCII A-Z in s[0..len) into dst (size dstsz); -1 if too long. */
int		 table_fold(const char *s, size_t len, char *dst, size_t dstsz);

#endif

/*
 * creds.h: a login checked against a credentials table (`listen ... auth
 * <table>`, spec/tables.md 6.1): the table maps the login, lower-cased,
 * to a password hash (auth/passwd.h).
 *
 * Split in two because tables are not thread-safe and hashes are slow:
 * auth_creds_fetch() runs on the lookup role's loop thread (a table
 * lookup: found / not found / temporary error), auth_creds_verify() in a
 * worker thread. An unknown user and an entry that is not a hash are
 * verified against a dummy argon2id hash, so every answer but a table
 * error takes about as long as a wrong password. A table error is
 * AUTH_CREDS_TEMPFAIL (454 4.7.0), never a 535.
 */
#ifndef AUTH_CREDS_H
#define AUTH_CREDS_H

#include <stddef.h>

#include "aliases/table.h"

enum auth_creds_result {
	AUTH_CREDS_OK,		/* 235 */
	AUTH_CREDS_FAIL,	/* 535 5.7.8: unknown user or wrong password */
	AUTH_CREDS_TEMPFAIL,	/* 454 4.7.0: table or memory trouble */
};

/*
 * The stored value for user. TABLE_FOUND: *hashp is malloc'd (free it
 * with auth_creds_free_hash); TABLE_NOTFOUND: *hashp is NULL.
 */
enum table_result auth_creds_fetch(struct table *, const char *user,
	    char **hashp);
/* hash NULL: an unknown user. Any thread. */
enum auth_creds_result auth_creds_verify(const char *hash, const char *pw);
/* Wipes and frees what auth_creds_fetch returned. */
void	auth_creds_free_hash(char *);
/* fetch and verify on one thread: tests, smtpctl-like callers. */
enum auth_creds_result auth_creds_check(struct table *, const char *user,
	    const char *pw);

typedef void	(*auth_creds_warn_fn)(void *arg, const char *msg);
/*
 * Load-time review of every entry (auth_passwd_check): one warning per
 * weak, malformed or unsupported hash, "FILE:LINE: KEY: why" (or
 * "table NAME: KEY: why" for db: and inline tables, "CONF:LINE: table:
 * KEY: why" for an anonymous one). Values that are not hashes are
 * warned about by the table loader for file: and inline: tables, here
 * for db: ones.
 * Returns the number of warnings, or -1 if the table cannot be read.
 */
int	auth_creds_table_check(struct table *, auth_creds_warn_fn, void *arg);

const char *auth_creds_result_name(enum auth_creds_result);

#endif

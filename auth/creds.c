/*
 * creds.c: credentials table lookups and verification (see creds.h).
 * Called by auth/auth_lookup.c (fetch on the loop, verify in a worker),
 * and by the tests. Never logs a password or a hash; hashes fetched are
 * wiped when freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/creds.h"
#include "auth/passwd.h"

#define AUTH_CREDS_WARN_MAX	(CONFIG_PATH_MAX + TABLE_KEY_MAX + 128)

struct auth_creds_review {
	const struct table_decl	*decl;
	auth_creds_warn_fn	 warn;
	void			*arg;
	int			 n;
};

static int	auth_creds_review_entry(void *, const char *, const char *,
		    int);

enum table_result
auth_creds_fetch(struct table *t, const char *user, char **hashp)
{
	enum table_result r;
	char *value = NULL;

	*hashp = NULL;
	if ((r = table_lookup(t, user, &value)) != TABLE_FOUND) {
		free(value);
		return r;
	}
	/* a list entry (no value) is no hash: verified as unknown */
	*hashp = value != NULL ? value : strdup("");
	if (*hashp == NULL)
		return TABLE_TEMPFAIL;
	return TABLE_FOUND;
}

void
auth_creds_free_hash(char *hash)
{
	if (hash == NULL)
		return;
	explicit_bzero(hash, strlen(hash));
	free(hash);
}

enum auth_creds_result
auth_creds_verify(const char *hash, const char *pw)
{
	enum auth_passwd_result r;

	if (hash == NULL || auth_passwd_kind(hash) == AUTH_PW_NOTHASH)
		r = auth_passwd_dummy(pw);
	else
		r = auth_passwd_verify(hash, pw);
	switch (r) {
	case AUTH_PASSWD_MATCH:
		return AUTH_CREDS_OK;
	case AUTH_PASSWD_MISMATCH:
		return AUTH_CREDS_FAIL;
	case AUTH_PASSWD_ERROR:
		break;
	}
	return AUTH_CREDS_TEMPFAIL;
}

enum auth_creds_result
auth_creds_check(struct table *t, const char *user, const char *pw)
{
	enum auth_creds_result res;
	char *hash;

	switch (auth_creds_fetch(t, user, &hash)) {
	case TABLE_TEMPFAIL:
		return AUTH_CREDS_TEMPFAIL;
	case TABLE_NOTFOUND:
	case TABLE_FOUND:
		break;
	}
	res = auth_creds_verify(hash, pw);
	auth_creds_free_hash(hash);
	return res;
}

static int
auth_creds_review_entry(void *arg, const char *key, const char *value,
    int line)
{
	struct auth_creds_review *rv = arg;
	char msg[AUTH_CREDS_WARN_MAX];
	const char *why;

	if (value == NULL)
		value = "";
	if ((why = auth_passwd_check(value)) == NULL)
		return 0;
	/* the loader warns about plaintext values of text tables */
	if (auth_passwd_kind(value) == AUTH_PW_NOTHASH &&
	    rv->decl->backend != TABLE_DB)
		return 0;
	if (line > 0 && rv->decl->path != NULL)
		snprintf(msg, sizeof(msg), "%s:%d: %s: %s", rv->decl->path,
		    line, key, why);
	else if (rv->decl->name[0] != '\0')
		snprintf(msg, sizeof(msg), "table %s: %s: %s", rv->decl->name,
		    key, why);
	else	/* anonymous: where it was declared */
		snprintf(msg, sizeof(msg), "%s:%d: table: %s: %s",
		    rv->decl->file != NULL ? rv->decl->file : "-",
		    rv->decl->line, key, why);
	rv->warn(rv->arg, msg);
	rv->n++;
	return 0;
}

int
auth_creds_table_check(struct table *t, auth_creds_warn_fn warn, void *arg)
{
	struct auth_creds_review rv;

	memset(&rv, 0, sizeof(rv));
	rv.decl = table_decl(t);
	rv.warn = warn;
	rv.arg = arg;
	if (table_iterate(t, auth_creds_review_entry, &rv) == TABLE_TEMPFAIL)
		return -1;
	return rv.n;
}

const char *
auth_creds_result_name(enum auth_creds_result r)
{
	switch (r) {
	case AUTH_CREDS_OK:
		return "Ok";
	case AUTH_CREDS_FAIL:
		return "PermFail";
	case AUTH_CREDS_TEMPFAIL:
		break;
	}
	return "TempFail";
}

/*
 * passwd.h: verification of a password against the hash stored in a
 * credentials table (spec/tables.md 6.1, ctl.md 8). `$argon2id$` and
 * `$argon2i$` go to libsodium's crypto_pwhash_str_verify(); any other
 * `$id$` hash (bcrypt $2a$ $2b$ $2y$, SHA-512 $6$, SHA-256 $5$, yescrypt
 * $y$, scrypt $7$, MD5 $1$, ...) to crypt_rn(3) of libxcrypt, whose
 * result is compared with the whole stored string in constant time. A
 * value without a leading `$` is not a hash: it never matches.
 *
 * Thread-safe (libsodium and crypt_rn keep no shared state): the lookup
 * role runs verifications in worker threads (auth/auth_lookup.c). Slow
 * on purpose (an argon2id verification takes tens of milliseconds and
 * 64 MiB): never call it on an event loop thread.
 */
#ifndef AUTH_PASSWD_H
#define AUTH_PASSWD_H

#include <stddef.h>

#define AUTH_PASSWD_HASH_MAX	512	/* longer stored values never match */

enum auth_passwd_kind {
	AUTH_PW_NOTHASH,	/* no leading '$': never matches */
	AUTH_PW_ARGON2ID,
	AUTH_PW_ARGON2I,
	AUTH_PW_BCRYPT,		/* $2a$ $2b$ $2y$ */
	AUTH_PW_SHA512,		/* $6$ */
	AUTH_PW_SHA256,		/* $5$ */
	AUTH_PW_YESCRYPT,	/* $y$ */
	AUTH_PW_SCRYPT,		/* $7$ */
	AUTH_PW_MD5,		/* $1$: weak, warned at load */
	AUTH_PW_CRYPT,		/* another $id$: whatever crypt_rn knows */
};

enum auth_passwd_result {
	AUTH_PASSWD_ERROR = -1,		/* temporary (out of memory) */
	AUTH_PASSWD_MISMATCH = 0,
	AUTH_PASSWD_MATCH = 1,
};

/* sodium_init(); 0, or -1. Call once per process before verifying. */
int		 auth_passwd_init(void);
enum auth_passwd_kind auth_passwd_kind(const char *hash);
const char	*auth_passwd_kind_name(enum auth_passwd_kind);
/*
 * Load-time check of a stored value: NULL if it is a usable hash, else a
 * warning ("weak MD5 hash: ...", "unsupported hash: the entry never
 * authenticates", ...). Fast: it computes no hash.
 */
const char	*auth_passwd_check(const char *hash);
/* pw is NUL-terminated (SASL passwords hold no NUL). */
enum auth_passwd_result auth_passwd_verify(const char *hash, const char *pw);
/*
 * A verification that cannot succeed, as slow as an argon2id one at
 * smtpctl encrypt's limits: for an unknown user or an entry that is not
 * a hash, so that they take as long as a wrong password (tables.md 6.1).
 * MISMATCH, or ERROR.
 */
enum auth_passwd_result auth_passwd_dummy(const char *pw);
/* 1 if a and b are the same string; time depends only on the lengths. */
int		 auth_passwd_equal(const char *a, const char *b);

#endif

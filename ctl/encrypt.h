/*
 * encrypt.h: `smtpctl encrypt` (spec/ctl.md section 8): Argon2id hashes
 * for credentials tables, with libsodium.
 */
#ifndef CTL_ENCRYPT_H
#define CTL_ENCRYPT_H

#include <stddef.h>

#define ENCRYPT_HASH_MAX	128	/* crypto_pwhash_STRBYTES */
#define ENCRYPT_LINE_MAX	4096	/* one password read from stdin */

int	encrypt_init(void);
int	encrypt_hash(const char *, char [ENCRYPT_HASH_MAX]);
int	encrypt_main(const char *);

#endif

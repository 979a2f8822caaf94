/*
 * ctl_encrypt_test.c: unit tests for ctl/encrypt.c (spec/ctl.md section
 * 8): the hash is Argon2id at the INTERACTIVE limits in its string form,
 * verifies with crypto_pwhash_str_verify(), rejects another password, and
 * is salted (two hashes of one password differ).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ctl/encrypt.h"

static void
test_hash(void **state)
{
	char h1[ENCRYPT_HASH_MAX], h2[ENCRYPT_HASH_MAX];

	(void)state;
	assert_int_equal(encrypt_init(), 0);
	assert_int_equal(encrypt_hash("correct horse", h1), 0);
	assert_true(strncmp(h1, "$argon2id$v=19$m=65536,t=2,p=1$",
	    strlen("$argon2id$v=19$m=65536,t=2,p=1$")) == 0);
	assert_true(strlen(h1) < ENCRYPT_HASH_MAX);
	assert_int_equal(crypto_pwhash_str_verify(h1, "correct horse",
	    strlen("correct horse")), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(h1, "correct horsf",
	    strlen("correct horsf")), 0);
	assert_int_equal(crypto_pwhash_str_needs_rehash(h1,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
	assert_int_equal(encrypt_hash("correct horse", h2), 0);
	assert_string_not_equal(h1, h2);
	/* bytes beyond ASCII are hashed as they are */
	assert_int_equal(encrypt_hash("caf\xc3\xa9", h2), 0);
	assert_int_equal(crypto_pwhash_str_verify(h2, "caf\xc3\xa9", 5), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

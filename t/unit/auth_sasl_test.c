/*
 * auth_sasl_test.c: unit tests for auth/sasl.c and auth/base64.c, the
 * AUTH exchange of protocol.md A.7: PLAIN with and without an initial
 * response, LOGIN with and without one, the authzid rule, every reply
 * code (334, 501 cancelled / undecodable, 500 too long, 504, 535), the
 * limits on user names, passwords and lines, strict base64 (only the
 * canonical encoding decodes), and the password wiped on every end but
 * DONE and by auth_sasl_clear().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/base64.h"
#include "auth/sasl.h"

#define BIG	(AUTH_SASL_LINE_MAX * 2)

static char	*b64(const void *, size_t);
static char	*plain(const char *, const char *, const char *);
static int	is_zero(const void *, size_t);

/* Base64 of len bytes, in a static buffer (two at a time). */
static char *
b64(const void *p, size_t len)
{
	static char out[2][BIG];
	static int n;
	char *o = out[n++ % 2];

	assert_int_equal(auth_b64_encode(p, len, o, BIG), 0);
	return o;
}

/* Base64 of "zid NUL cid NUL pw". */
static char *
plain(const char *zid, const char *cid, const char *pw)
{
	char buf[BIG];
	size_t zl = strlen(zid), cl = strlen(cid), pl = strlen(pw);

	assert_true(zl + cl + pl + 2 < sizeof(buf));
	memcpy(buf, zid, zl);
	buf[zl] = '\0';
	memcpy(buf + zl + 1, cid, cl);
	buf[zl + 1 + cl] = '\0';
	memcpy(buf + zl + cl + 2, pw, pl);
	return b64(buf, zl + cl + pl + 2);
}

static int
is_zero(const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != 0)
			return 0;
	return 1;
}

static enum auth_sasl_status
cmd(struct auth_sasl *a, const char *arg)
{
	return auth_sasl_command(a, arg, strlen(arg));
}

static enum auth_sasl_status
step(struct auth_sasl *a, const char *line)
{
	return auth_sasl_step(a, line, strlen(line));
}

/* ------------------------------------------------------------ base64 */

static void
test_b64_roundtrip(void **state)
{
	unsigned char in[64], out[64];
	char enc[128], enc2[128];
	size_t len, n, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= sizeof(in); len++) {
		assert_int_equal(auth_b64_encode(in, len, enc, sizeof(enc)), 0);
		assert_int_equal(strlen(enc), AUTH_B64_ENCODED_LEN(len));
		assert_int_equal(auth_b64_decode(enc, strlen(enc), out,
		    sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
		assert_int_equal(auth_b64_encode(out, n, enc2, sizeof(enc2)),
		    0);
		assert_string_equal(enc, enc2);
	}
	/* RFC 4648 section 10 */
	assert_int_equal(auth_b64_encode((const unsigned char *)"foobar", 6,
	    enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zm9vYmFy");
	assert_int_equal(auth_b64_encode((const unsigned char *)"fo", 2,
	    enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zm8=");
	assert_int_equal(auth_b64_encode((const unsigned char *)"f", 1,
	    enc, 4), -1);			/* no room for the NUL */
}

static void
test_b64_strict(void **state)
{
	static const char *bad[] = {
		"Zg", "Zm8", "Zg=", "Z===", "====", "Zg==Zg==", "Zm=8",
		"Zh==",		/* non-zero bits under the padding */
		"Zm9=",		/* idem */
		"Zm9v YmFy", "Zm9v\nYmFy", " Zm9v", "Zm9v\r", "Zm9-", "Zm9_",
		"Zm\0v",
	};
	unsigned char out[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 4 : strlen(bad[i]);
		assert_int_equal(auth_b64_decode(bad[i], n, out, sizeof(out),
		    &n), -1);
		assert_int_equal(n, 0);
	}
	assert_int_equal(auth_b64_decode("", 0, out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);
	/* does not fit */
	assert_int_equal(auth_b64_decode("Zm9vYmFy", 8, out, 5, &n), -1);
	assert_int_equal(auth_b64_decode("Zm9vYmFy", 8, out, 6, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(auth_b64_decode("Zm8=", 4, out, 1, &n), -1);
}

/* ------------------------------------------------------------ command */

static void
test_mechanisms(void **state)
{
	struct auth_sasl a;

	(void)state;
	assert_int_equal(auth_sasl_mech_byname("plain"), AUTH_MECH_PLAIN);
	assert_int_equal(auth_sasl_mech_byname("LoGiN"), AUTH_MECH_LOGIN);
	assert_int_equal(auth_sasl_mech_byname("CRAM-MD5"), AUTH_MECH_NONE);
	assert_string_equal(auth_sasl_mech_name(AUTH_MECH_PLAIN), "PLAIN");

	assert_int_equal(cmd(&a, "CRAM-MD5"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_MECH);
	assert_string_equal(a.reply,
	    "504 5.5.4 Unrecognized authentication type");
	assert_int_equal(cmd(&a, "PLAINX AGEAYg=="), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_MECH);
	assert_int_equal(cmd(&a, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
	    AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_MECH);
	assert_int_equal(cmd(&a, ""), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_SYNTAX);
	assert_int_equal(cmd(&a, " PLAIN"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_SYNTAX);
	/* an unknown mechanism wins over a broken initial response */
	assert_int_equal(cmd(&a, "GSSAPI !!!"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_MECH);
	/* the session's replies, as A.7 writes them */
	assert_string_equal(AUTH_SASL_REPLY_OK,
	    "235 2.7.0 Authentication successful");
	assert_string_equal(AUTH_SASL_REPLY_TEMPFAIL,
	    "454 4.7.0 Temporary authentication failure");
	assert_string_equal(AUTH_SASL_REPLY_INVALID,
	    "535 5.7.8 Authentication credentials invalid");
	/* a step without a start */
	auth_sasl_clear(&a);
	assert_int_equal(step(&a, "AGFsaWNlAHNlY3JldA=="), AUTH_SASL_ERROR);
}

/* ------------------------------------------------------------ PLAIN */

static void
test_plain_initial(void **state)
{
	struct auth_sasl a;
	char arg[BIG];

	(void)state;
	/* "\0alice\0secret" */
	assert_int_equal(cmd(&a, "PLAIN AGFsaWNlAHNlY3JldA=="),
	    AUTH_SASL_DONE);
	assert_int_equal(a.mech, AUTH_MECH_PLAIN);
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.passwd, "secret");
	assert_int_equal(a.passwdlen, 6);
	auth_sasl_clear(&a);
	assert_true(is_zero(&a, sizeof(a)));

	/* lower-case mechanism; authzid equal to authcid, any case */
	snprintf(arg, sizeof(arg), "plain %s", plain("Alice", "alice",
	    "pw with spaces"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_DONE);
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.passwd, "pw with spaces");

	/* the split form */
	assert_int_equal(auth_sasl_start(&a, "PLAIN", plain("", "bob", "x"),
	    strlen(plain("", "bob", "x"))), AUTH_SASL_DONE);
	assert_string_equal(a.user, "bob");

	/* UTF-8 in the user name and the password */
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", "j\xc3\xb6rg",
	    "p\xc3\xa4ss"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_DONE);
	assert_string_equal(a.user, "j\xc3\xb6rg");
}

static void
test_plain_challenge(void **state)
{
	struct auth_sasl a;

	(void)state;
	assert_int_equal(cmd(&a, "PLAIN"), AUTH_SASL_MORE);
	assert_string_equal(a.reply, "334 ");
	assert_int_equal(step(&a, plain("", "carol", "hunter2")),
	    AUTH_SASL_DONE);
	assert_string_equal(a.user, "carol");
	assert_string_equal(a.passwd, "hunter2");
	/* over: another line is a protocol error */
	assert_int_equal(step(&a, plain("", "carol", "x")), AUTH_SASL_ERROR);
	assert_true(is_zero(a.passwd, sizeof(a.passwd)));

	assert_int_equal(cmd(&a, "PLAIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, "*"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, "501 5.7.0 Authentication cancelled");

	/* an empty response to the challenge: nothing decodes to PLAIN */
	assert_int_equal(cmd(&a, "PLAIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, ""), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, "501 5.5.2 Cannot decode response");

	assert_int_equal(cmd(&a, "PLAIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, "AGFsaWNlAHNlY3JldA"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
}

static void
test_plain_refused(void **state)
{
	struct auth_sasl a;
	char arg[BIG], user[AUTH_USER_MAX + 2], pw[AUTH_PASSWD_MAX + 2];
	static const char one_nul[] = "alice\0secret";
	static const char three_nul[] = "\0alice\0sec\0ret";

	(void)state;
	/* "=" is an empty initial response: no NUL at all */
	assert_int_equal(cmd(&a, "PLAIN ="), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	assert_int_equal(cmd(&a, "PLAIN AGFsaWNlAHNlY3JldA== "),
	    AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	assert_int_equal(cmd(&a, "PLAIN  AGFsaWNlAHNlY3JldA=="),
	    AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	snprintf(arg, sizeof(arg), "PLAIN %s", b64(one_nul,
	    sizeof(one_nul) - 1));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	snprintf(arg, sizeof(arg), "PLAIN %s", b64(three_nul,
	    sizeof(three_nul) - 1));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);

	/* a foreign authzid: a failed authentication, user kept for logs */
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("bob", "alice",
	    "secret"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_INVALID);
	assert_string_equal(a.user, "alice");
	assert_int_equal(a.passwdlen, 0);
	assert_true(is_zero(a.passwd, sizeof(a.passwd)));
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("alicex", "alice",
	    "secret"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);

	/* empty authcid, empty password, control characters, bad UTF-8 */
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", "", "secret"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);
	assert_string_equal(a.user, "");
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", "alice", ""));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", "al\rice", "pw"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);
	assert_string_equal(a.user, "");
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", "al\x7f", "pw"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", "al\xc3", "pw"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);

	/* the limits, exactly */
	memset(user, 'u', AUTH_USER_MAX);
	user[AUTH_USER_MAX] = '\0';
	memset(pw, 'p', AUTH_PASSWD_MAX);
	pw[AUTH_PASSWD_MAX] = '\0';
	snprintf(arg, sizeof(arg), "PLAIN %s", plain(user, user, pw));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_DONE);
	assert_int_equal(strlen(a.user), AUTH_USER_MAX);
	assert_int_equal(a.passwdlen, AUTH_PASSWD_MAX);
	user[AUTH_USER_MAX] = 'u';
	user[AUTH_USER_MAX + 1] = '\0';
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", user, "pw"));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);
	pw[AUTH_PASSWD_MAX] = 'p';
	pw[AUTH_PASSWD_MAX + 1] = '\0';
	snprintf(arg, sizeof(arg), "PLAIN %s", plain("", "alice", pw));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_FAIL);
	assert_true(is_zero(a.passwd, sizeof(a.passwd)));
}

static void
test_line_limit(void **state)
{
	struct auth_sasl a;
	static char line[BIG];
	size_t max = AUTH_SASL_LINE_MAX - 2;	/* without CRLF */

	(void)state;
	/* a response line of exactly 12286 octets is read (and decoded) */
	memset(line, 'A', sizeof(line));
	assert_int_equal(cmd(&a, "PLAIN"), AUTH_SASL_MORE);
	assert_int_equal(auth_sasl_step(&a, line, max - max % 4),
	    AUTH_SASL_ERROR);		/* all zero bytes: too many NULs */
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	assert_int_equal(cmd(&a, "PLAIN"), AUTH_SASL_MORE);
	assert_int_equal(auth_sasl_step(&a, line, max + 1), AUTH_SASL_ERROR);
	assert_string_equal(a.reply,
	    "500 5.5.6 Authentication Exchange line is too long");
	/* the AUTH command line itself: "AUTH " arg CRLF */
	memcpy(line, "PLAIN ", 6);
	assert_int_equal(auth_sasl_command(&a, line, AUTH_SASL_LINE_MAX - 7),
	    AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	assert_int_equal(auth_sasl_command(&a, line, AUTH_SASL_LINE_MAX - 6),
	    AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_TOOLONG);
	assert_int_equal(auth_sasl_start(&a, "LOGIN", line, BIG),
	    AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_TOOLONG);
}

/* ------------------------------------------------------------ LOGIN */

static void
test_login(void **state)
{
	struct auth_sasl a;
	char arg[128];

	(void)state;
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_string_equal(a.reply, "334 VXNlcm5hbWU6");
	assert_int_equal(step(&a, b64("dave", 4)), AUTH_SASL_MORE);
	assert_string_equal(a.reply, "334 UGFzc3dvcmQ6");
	assert_int_equal(step(&a, b64("s3cr3t:x", 8)), AUTH_SASL_DONE);
	assert_int_equal(a.mech, AUTH_MECH_LOGIN);
	assert_string_equal(a.user, "dave");
	assert_string_equal(a.passwd, "s3cr3t:x");

	/* an initial response is the user name */
	snprintf(arg, sizeof(arg), "login %s", b64("erin", 4));
	assert_int_equal(cmd(&a, arg), AUTH_SASL_MORE);
	assert_string_equal(a.reply, "334 UGFzc3dvcmQ6");
	assert_int_equal(step(&a, b64("pw", 2)), AUTH_SASL_DONE);
	assert_string_equal(a.user, "erin");

	/* a bad user name fails only after the password */
	assert_int_equal(cmd(&a, "LOGIN ="), AUTH_SASL_MORE);
	assert_string_equal(a.reply, "334 UGFzc3dvcmQ6");
	assert_int_equal(step(&a, b64("pw", 2)), AUTH_SASL_FAIL);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_INVALID);
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, b64("a\0b", 3)), AUTH_SASL_MORE);
	assert_int_equal(step(&a, b64("pw", 2)), AUTH_SASL_FAIL);

	/* empty password, NUL in the password */
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, b64("dave", 4)), AUTH_SASL_MORE);
	assert_int_equal(step(&a, ""), AUTH_SASL_FAIL);
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, b64("dave", 4)), AUTH_SASL_MORE);
	assert_int_equal(step(&a, b64("p\0w", 3)), AUTH_SASL_FAIL);
	assert_true(is_zero(a.passwd, sizeof(a.passwd)));

	/* cancelled at either step, undecodable at either step */
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, "*"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_CANCELLED);
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, b64("dave", 4)), AUTH_SASL_MORE);
	assert_int_equal(step(&a, "*"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_CANCELLED);
	assert_int_equal(cmd(&a, "LOGIN ZGF2ZQ"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, b64("dave", 4)), AUTH_SASL_MORE);
	assert_int_equal(step(&a, "cHc=x"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
	/* "*" is only special as a whole line */
	assert_int_equal(cmd(&a, "LOGIN"), AUTH_SASL_MORE);
	assert_int_equal(step(&a, "**"), AUTH_SASL_ERROR);
	assert_string_equal(a.reply, AUTH_SASL_REPLY_DECODE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_roundtrip),
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_mechanisms),
		cmocka_unit_test(test_plain_initial),
		cmocka_unit_test(test_plain_challenge),
		cmocka_unit_test(test_plain_refused),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_login),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

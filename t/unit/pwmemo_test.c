/*
 * pwmemo_test.c: the lookup role's getpwnam(3) memo: a user asked again
 * within the second is answered from memory, found or not; after the
 * second, or for another user, getpwnam is asked again; a failure to
 * read the user database is never remembered; the oldest entry goes
 * first when all are taken.
 */
#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aliases/pwmemo.h"

static int	calls;
static int	fail_errno;	/* getpwnam fails with this, if not 0 */
static time_t	now = 100;
static struct passwd pw;

static struct passwd *
fake_getpwnam(const char *user)
{
	static char name[64];

	calls++;
	if (fail_errno) {
		errno = fail_errno;
		return NULL;
	}
	if (strncmp(user, "user", 4) != 0) {
		errno = 0;
		return NULL;
	}
	strlcpy(name, user, sizeof(name));
	pw.pw_name = name;
	return &pw;
}

static time_t
fake_clock(void)
{
	return now;
}

static int
setup(void **state)
{
	(void)state;
	pwmemo_getpwnam = fake_getpwnam;
	pwmemo_clock = fake_clock;
	pwmemo_clear();
	calls = 0;
	fail_errno = 0;
	now = 100;
	return 0;
}

static void
test_found_and_remembered(void **state)
{
	char name[64];

	(void)state;
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_FOUND);
	assert_string_equal(name, "user1");
	memset(name, 0, sizeof(name));
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_FOUND);
	assert_string_equal(name, "user1");
	assert_int_equal(calls, 1);
	/* another user is asked for */
	assert_int_equal(pwmemo_lookup("user2", name, sizeof(name)),
	    TABLE_FOUND);
	assert_int_equal(calls, 2);
}

static void
test_notfound_remembered(void **state)
{
	char name[64] = "";

	(void)state;
	assert_int_equal(pwmemo_lookup("nobody-here", name, sizeof(name)),
	    TABLE_NOTFOUND);
	assert_int_equal(pwmemo_lookup("nobody-here", name, sizeof(name)),
	    TABLE_NOTFOUND);
	assert_int_equal(calls, 1);
	assert_string_equal(name, "");
}

static void
test_expires(void **state)
{
	char name[64];

	(void)state;
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_FOUND);
	now += PWMEMO_TTL;
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_FOUND);
	assert_int_equal(calls, 2);
	/* and the fresh answer is remembered in turn */
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_FOUND);
	assert_int_equal(calls, 2);
}

static void
test_tempfail_not_remembered(void **state)
{
	char name[64];

	(void)state;
	fail_errno = EIO;
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_TEMPFAIL);
	fail_errno = 0;
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_FOUND);
	assert_int_equal(calls, 2);
	/* ENOENT is "no such user", not a failure */
	fail_errno = ENOENT;
	assert_int_equal(pwmemo_lookup("user3", name, sizeof(name)),
	    TABLE_NOTFOUND);
}

static void
test_oldest_replaced(void **state)
{
	char name[64], user[16];
	int i;

	(void)state;
	for (i = 0; i <= PWMEMO_SIZE; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		assert_int_equal(pwmemo_lookup(user, name, sizeof(name)),
		    TABLE_FOUND);
	}
	assert_int_equal(calls, PWMEMO_SIZE + 1);
	/* user0 made room for the last one; user1 is still known */
	assert_int_equal(pwmemo_lookup("user1", name, sizeof(name)),
	    TABLE_FOUND);
	assert_int_equal(calls, PWMEMO_SIZE + 1);
	assert_int_equal(pwmemo_lookup("user0", name, sizeof(name)),
	    TABLE_FOUND);
	assert_int_equal(calls, PWMEMO_SIZE + 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_found_and_remembered, setup),
		cmocka_unit_test_setup(test_notfound_remembered, setup),
		cmocka_unit_test_setup(test_expires, setup),
		cmocka_unit_test_setup(test_tempfail_not_remembered, setup),
		cmocka_unit_test_setup(test_oldest_replaced, setup),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

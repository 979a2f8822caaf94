/*
 * parent_mda_argv_test.c: unit tests for smtpd/parent_mda_argv.c,
 * deliver's command line for a local delivery: every method's flags, -c,
 * -a and -u in their places, which command lines an agent may serve
 * (-m and -M only), a path that would escape refused permanently and a
 * method deliver has not temporarily.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pwd.h>
#include <string.h>

#include "smtpd/parent_mda_argv.h"

static struct envelope	env;
static struct action	act;
static struct passwd	pw;
static struct mda_cmd	cmd;

static int
argv_setup(void **state)
{
	(void)state;
	memset(&env, 0, sizeof(env));
	memset(&act, 0, sizeof(act));
	memset(&pw, 0, sizeof(pw));
	env.evpid = 0x0123456789abcdefULL;
	strcpy(env.sender, "a@example.net");
	strcpy(env.rcpt, "joe@example.org");
	strcpy(env.dest, "joe@example.org");
	pw.pw_name = "joe";
	pw.pw_dir = "/home/joe";
	return 0;
}

#define PREFIX	"deliver -d joe -f a@example.net -r joe@example.org " \
		"-o joe@example.org -e 0123456789abcdef "

/*
 * The command line for env, act and pw, joined with spaces after the
 * fixed PREFIX; "permanent" or "temporary" if it was refused (with a
 * reason).
 */
static const char *
method(const char *ids, int check)
{
	static char buf[FORMAT_MAX * 2];
	const char *why = NULL;
	int i, r;

	r = parent_mda_argv(&cmd, &env, &act, &pw, ids, check, '+', &why);
	if (r != 0) {
		assert_non_null(why);
		return r == -2 ? "permanent" : "temporary";
	}
	buf[0] = '\0';
	for (i = 0; cmd.argv[i] != NULL; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, cmd.argv[i]);
	}
	assert_memory_equal(buf, PREFIX, strlen(PREFIX));
	return buf + strlen(PREFIX);
}

static void
test_maildir(void **state)
{
	(void)state;
	act.method = ACTION_MAILDIR;
	act.param = "%{user.directory}/Mail/%{user.username}";
	assert_string_equal(method(NULL, 0), "-m /home/joe/Mail/joe");
	assert_true(cmd.agent);
	/* the default path, -c, -a and -u last */
	act.param = NULL;
	strcpy(env.mda_subaddress, "news");
	assert_string_equal(method("1000:100:/home/joe", 1), "-c -a news "
	    "-m /home/joe/Maildir -u 1000:100:/home/joe");
	assert_true(cmd.agent);
	/* a path that would escape: permanent */
	act.param = "/var/mail/%{rcpt.user}";
	strcpy(env.rcpt, "../etc@example.org");
	assert_string_equal(method(NULL, 0), "permanent");
}

static void
test_one_shot(void **state)
{
	(void)state;
	act.method = ACTION_MBOX;
	assert_string_equal(method(NULL, 0), "-s");
	assert_false(cmd.agent);
	act.method = ACTION_MDA;
	act.param = "procmail -d %{user.username}";
	assert_string_equal(method(NULL, 0), "-p procmail -d joe");
	assert_false(cmd.agent);
	act.method = ACTION_LMTP;
	act.param = "unix:/run/lmtp";
	assert_string_equal(method(NULL, 0), "-L unix:/run/lmtp -R joe");
	assert_false(cmd.agent);
	act.method = ACTION_RELAY;
	assert_string_equal(method(NULL, 0), "temporary");
}

static void
test_envelope_methods(void **state)
{
	(void)state;
	/* the action's method does not count for these */
	act.method = ACTION_MAILDIR;
	env.mda_method = ENVELOPE_MDA_PIPE;
	strcpy(env.mda_exec, "/usr/bin/vacation joe");
	assert_string_equal(method(NULL, 0), "-p /usr/bin/vacation joe");
	assert_false(cmd.agent);
	env.mda_method = ENVELOPE_MDA_FILE;
	strcpy(env.mda_exec, "/home/joe/archive");
	assert_string_equal(method(NULL, 0), "-M /home/joe/archive");
	assert_true(cmd.agent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_maildir, argv_setup),
		cmocka_unit_test_setup(test_one_shot, argv_setup),
		cmocka_unit_test_setup(test_envelope_methods, argv_setup),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * format_test.c: %{...} format specifiers (spec/config.md §8): the
 * documented slicing examples, every token, modifiers, sanitising, the
 * project's path rule, ~/ and %%, and every error class.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpd/format.h"

static const struct format_vars vars = {
	.sender = "Bob+lists@Example.NET",
	.rcpt = "alice+tag@example.org",
	.dest = "Alice.Smith@example.org",
	.username = "alice",
	.directory = "/home/alice",
	.subaddr_delim = '+',
};

static void
ok(const char *tmpl, enum format_use use, const char *want)
{
	char out[FORMAT_MAX];
	const char *why = NULL;
	enum format_result r;

	r = format_expand(tmpl, &vars, use, out, sizeof(out), &why);
	if (r != FORMAT_OK)
		fail_msg("%s: %d %s", tmpl, r, why ? why : "");
	assert_string_equal(out, want);
}

static void
bad(const char *tmpl, enum format_use use, enum format_result want,
    const char *reason)
{
	char out[FORMAT_MAX];
	const char *why = NULL;

	assert_int_equal(format_expand(tmpl, &vars, use, out, sizeof(out),
	    &why), want);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

static void
test_slicing_examples(void **state)
{
	(void)state;
	/* config.md §8, with %{rcpt.domain} = example.org */
	ok("%{rcpt.domain[0]}", FORMAT_COMMAND, "e");
	ok("%{rcpt.domain[1]}", FORMAT_COMMAND, "x");
	ok("%{rcpt.domain[8:]}", FORMAT_COMMAND, "org");
	ok("%{rcpt.domain[-3:]}", FORMAT_COMMAND, "org");
	ok("%{rcpt.domain[0:6]}", FORMAT_COMMAND, "example");
	ok("%{rcpt.domain[0:-4]}", FORMAT_COMMAND, "example");
	ok("%{rcpt.domain[:2]}", FORMAT_COMMAND, "exa");
	ok("%{rcpt.domain[8:100]}", FORMAT_COMMAND, "org");	/* clamped */
	bad("%{rcpt.domain[11]}", FORMAT_COMMAND, FORMAT_TEMPFAIL,
	    "offset out of range");
	bad("%{rcpt.domain[-12:]}", FORMAT_COMMAND, FORMAT_TEMPFAIL,
	    "offset out of range");
}

static void
test_tokens(void **state)
{
	(void)state;
	ok("%{sender}", FORMAT_COMMAND, "Bob+lists@Example.NET");
	ok("%{sender.user}", FORMAT_COMMAND, "Bob+lists");
	ok("%{sender.domain}", FORMAT_COMMAND, "Example.NET");
	ok("%{rcpt}|%{rcpt.user}|%{rcpt.domain}", FORMAT_COMMAND,
	    "alice+tag@example.org|alice+tag|example.org");
	ok("%{dest.user}@%{dest.domain}", FORMAT_COMMAND,
	    "Alice.Smith@example.org");
	ok("%{user.username} %{user.directory}", FORMAT_COMMAND,
	    "alice /home/alice");
	ok("%{mbox.from}", FORMAT_COMMAND, "Bob+lists@Example.NET");
	ok("%{RCPT.USER}", FORMAT_COMMAND, "alice+tag");	/* any case */
}

static void
test_null_sender(void **state)
{
	struct format_vars v = vars;
	char out[FORMAT_MAX];
	const char *why;

	(void)state;
	v.sender = "";
	assert_int_equal(format_expand("[%{sender}] %{mbox.from}", &v,
	    FORMAT_COMMAND, out, sizeof(out), &why), FORMAT_OK);
	assert_string_equal(out, "[] MAILER-DAEMON");
}

static void
test_modifiers(void **state)
{
	(void)state;
	ok("%{dest.user:lowercase}", FORMAT_PATH, "alice.smith");
	ok("%{sender.domain:uppercase}", FORMAT_COMMAND, "EXAMPLE.NET");
	ok("%{rcpt:strip}", FORMAT_COMMAND, "alice@example.org");
	ok("%{rcpt.user:strip}", FORMAT_PATH, "alice");
	ok("%{sender.user:lowercase|strip}", FORMAT_PATH, "bob");
	ok("%{rcpt.domain[0:6]:uppercase}", FORMAT_COMMAND, "EXAMPLE");
	bad("%{rcpt:shout}", FORMAT_COMMAND, FORMAT_TEMPFAIL, "unknown modifier");
	bad("%{rcpt:lowercase|}", FORMAT_COMMAND, FORMAT_TEMPFAIL,
	    "unknown modifier");
}

static void
test_sanitising(void **state)
{
	struct format_vars v = vars;
	char out[FORMAT_MAX];
	const char *why;

	(void)state;
	v.rcpt = "a!b#c$d%e&f'g*h?i`j{k|l}m~n@example.org";
	assert_int_equal(format_expand("%{rcpt.user}", &v, FORMAT_COMMAND, out,
	    sizeof(out), &why), FORMAT_OK);
	assert_string_equal(out, "a:b:c:d:e:f:g:h:i:j:k:l:m:n");
	assert_int_equal(format_expand("%{rcpt.user:raw}", &v, FORMAT_COMMAND,
	    out, sizeof(out), &why), FORMAT_OK);
	assert_string_equal(out, "a!b#c$d%e&f'g*h?i`j{k|l}m~n");
}

static void
test_path_rule(void **state)
{
	struct format_vars v = vars;
	char out[FORMAT_MAX];
	const char *why;
	static const char *evil[] = { "../../etc", "a/b", ".hidden", "x..y" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		char rcpt[128];

		snprintf(rcpt, sizeof(rcpt), "%s@example.org", evil[i]);
		v.rcpt = rcpt;
		assert_int_equal(format_expand("/var/mail/%{rcpt.user}", &v,
		    FORMAT_PATH, out, sizeof(out), &why), FORMAT_PERMFAIL);
		assert_string_equal(why, "Bad destination mailbox address syntax");
		/* The same value in a command is only sanitised. */
		assert_int_equal(format_expand("x %{rcpt.user}", &v,
		    FORMAT_COMMAND, out, sizeof(out), &why), FORMAT_OK);
	}
	/* user.directory is a path by nature. */
	ok("%{user.directory}/Maildir", FORMAT_PATH, "/home/alice/Maildir");
}

static void
test_home_and_percent(void **state)
{
	struct format_vars v = vars;
	char out[FORMAT_MAX];
	const char *why;

	(void)state;
	ok("~/Maildir", FORMAT_PATH, "/home/alice/Maildir");
	ok("/x/~/y", FORMAT_PATH, "/x/~/y");	/* only at the very start */
	ok("100%% %{user.username}", FORMAT_COMMAND, "100% alice");
	v.directory = NULL;
	assert_int_equal(format_expand("~/Maildir", &v, FORMAT_PATH, out,
	    sizeof(out), &why), FORMAT_TEMPFAIL);
	assert_string_equal(why, "no home directory for ~/");
}

static void
test_errors(void **state)
{
	char small[8], out[FORMAT_MAX];
	const char *why;

	(void)state;
	bad("%{nosuch}", FORMAT_COMMAND, FORMAT_TEMPFAIL,
	    "unknown format specifier");
	bad("%{rcpt", FORMAT_COMMAND, FORMAT_TEMPFAIL, "invalid format specifier");
	ok("50%x", FORMAT_COMMAND, "50%x");	/* a lone % is literal */
	bad("%{rcpt[1]x}", FORMAT_COMMAND, FORMAT_TEMPFAIL,
	    "invalid format specifier");
	bad("%{rcpt[]}", FORMAT_COMMAND, FORMAT_TEMPFAIL, "invalid slice");
	bad("%{rcpt[a]}", FORMAT_COMMAND, FORMAT_TEMPFAIL, "invalid slice");
	bad("%{rcpt[1:2}", FORMAT_COMMAND, FORMAT_TEMPFAIL, "invalid slice");
	bad("%{rcpt[--1]}", FORMAT_COMMAND, FORMAT_TEMPFAIL, "invalid slice");
	assert_int_equal(format_expand("%{rcpt}", &vars, FORMAT_COMMAND, small,
	    sizeof(small), &why), FORMAT_TEMPFAIL);
	assert_string_equal(why, "expansion too long");
	/* 4096 bytes: the limit of the whole expansion. */
	{
		char tmpl[FORMAT_MAX + 16];

		memset(tmpl, 'a', FORMAT_MAX);
		tmpl[FORMAT_MAX] = '\0';
		assert_int_equal(format_expand(tmpl, &vars, FORMAT_COMMAND, out,
		    sizeof(out), &why), FORMAT_TEMPFAIL);
		tmpl[FORMAT_MAX - 1] = '\0';
		assert_int_equal(format_expand(tmpl, &vars, FORMAT_COMMAND, out,
		    sizeof(out), &why), FORMAT_OK);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slicing_examples),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_null_sender),
		cmocka_unit_test(test_modifiers),
		cmocka_unit_test(test_sanitising),
		cmocka_unit_test(test_path_rule),
		cmocka_unit_test(test_home_and_percent),
		cmocka_unit_test(test_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

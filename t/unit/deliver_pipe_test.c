/*
 * deliver_pipe_test.c: unit tests for deliver/pipe_status.c and the
 * outcome vocabulary of deliver/outcome.c (delivery.md §2.4, §6): the
 * exit status table, signals and the time limit, the enhanced status
 * code override, the last-line diagnostic with control characters
 * escaped, the errno table of file deliveries, and the sysexits code of
 * a stand-alone run.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sysexits.h>

#include <cmocka.h>

#include "deliver/deliver.h"
#include "lib/esc.h"

#define EXITED(n)	((n) << 8)	/* a wait status: exit(n) */
#define KILLED(s)	(s)		/* a wait status: killed by s */

static void
status(struct outcome *o, int wstatus, int timedout, const char *out)
{
	memset(o, 0, sizeof(*o));
	pipe_status_outcome(o, wstatus, timedout, out, strlen(out));
}

static void
test_table(void **state)
{
	static const struct {
		int		 code;
		int		 temp;
		const char	*esc;
		const char	*text;
	} t[] = {
		{ 64, 0, "5.3.0", "command line usage error" },
		{ 65, 0, "5.6.0", "data format error" },
		{ 66, 0, "5.3.0", "cannot open input" },
		{ 67, 0, "5.1.1", "user unknown" },
		{ 68, 0, "5.1.2", "host name unknown" },
		{ 69, 0, "5.3.0", "service unavailable" },
		{ 70, 0, "5.3.0", "internal software error" },
		{ 71, 1, "4.3.0", "system resource problem" },
		{ 72, 0, "5.3.0", "critical OS file missing" },
		{ 73, 0, "5.2.0", "can't create user output file" },
		{ 74, 0, "5.3.0", "input/output error" },
		{ 75, 1, "4.3.0", "temporary failure" },
		{ 76, 0, "5.5.0", "remote error in protocol" },
		{ 77, 0, "5.7.0", "permission denied" },
		{ 78, 0, "5.3.5", "local configuration error" },
	};
	struct outcome o;
	size_t i;

	(void)state;
	status(&o, EXITED(0), 0, "anything");
	assert_int_equal(o.status, OUTCOME_OK);
	assert_int_equal(outcome_exit(&o), EX_OK);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		status(&o, EXITED(t[i].code), 0, "");
		assert_int_equal(o.status, t[i].temp ? OUTCOME_TEMP :
		    OUTCOME_PERM);
		assert_string_equal(o.esc, t[i].esc);
		assert_string_equal(o.text, t[i].text);
	}
	status(&o, EXITED(1), 0, "");
	assert_int_equal(o.status, OUTCOME_PERM);
	assert_string_equal(o.esc, "5.3.0");
	assert_string_equal(o.text, "unknown mail system error 1");
	status(&o, EXITED(255), 0, "");
	assert_string_equal(o.text, "unknown mail system error 255");
	status(&o, KILLED(9), 0, "");
	assert_int_equal(o.status, OUTCOME_TEMP);
	assert_string_equal(o.esc, "4.3.0");
	assert_string_equal(o.text, "Command died with signal 9");
	status(&o, KILLED(15), 1, "4.2.2 ignored");
	assert_int_equal(o.status, OUTCOME_PERM);
	assert_string_equal(o.esc, "5.3.0");
	assert_string_equal(o.text, "Command time limit exceeded");
	status(&o, EXITED(0), 1, "");		/* exited, but too late */
	assert_int_equal(o.status, OUTCOME_PERM);
}

static void
test_override(void **state)
{
	struct outcome o;

	(void)state;
	status(&o, EXITED(1), 0, "4.2.2 over quota\nmore\n");
	assert_int_equal(o.status, OUTCOME_TEMP);
	assert_string_equal(o.esc, "4.2.2");
	assert_string_equal(o.text, "over quota");
	status(&o, EXITED(75), 0, "5.1.1 no such user here\r\n");
	assert_int_equal(o.status, OUTCOME_PERM);	/* the class decides */
	assert_string_equal(o.esc, "5.1.1");
	assert_string_equal(o.text, "no such user here");
	status(&o, EXITED(67), 0, "5.100.999 x\ty");
	assert_string_equal(o.esc, "5.100.999");
	assert_string_equal(o.text, "x\\ty");

	/* Not an override: the table and the last line. */
	status(&o, EXITED(67), 0, "2.0.0 fine\n");
	assert_string_equal(o.esc, "5.1.1");
	assert_string_equal(o.text, "user unknown: \"2.0.0 fine\"");
	status(&o, EXITED(75), 0, "4.2.2over quota");
	assert_string_equal(o.esc, "4.3.0");
	status(&o, EXITED(75), 0, " 4.2.2 over quota");
	assert_string_equal(o.esc, "4.3.0");
	status(&o, EXITED(75), 0, "4.2.1234 x");
	assert_string_equal(o.esc, "4.3.0");
	status(&o, EXITED(75), 0, "6.0.0 x");
	assert_string_equal(o.esc, "4.3.0");
	status(&o, EXITED(75), 0, "4.2 x");
	assert_string_equal(o.esc, "4.3.0");
	status(&o, EXITED(0), 0, "5.1.1 ignored when it worked");
	assert_int_equal(o.status, OUTCOME_OK);
}

static void
test_lastline(void **state)
{
	struct outcome o;

	(void)state;
	status(&o, EXITED(3), 0, "first\nsecond\n\n  \n\t\n");
	assert_string_equal(o.text, "unknown mail system error 3: \"second\"");
	status(&o, EXITED(3), 0, "only, no newline");
	assert_string_equal(o.text,
	    "unknown mail system error 3: \"only, no newline\"");
	status(&o, EXITED(3), 0, "a\r\nb\r\n");
	assert_string_equal(o.text, "unknown mail system error 3: \"b\"");
	status(&o, EXITED(3), 0, "\n\n\n");
	assert_string_equal(o.text, "unknown mail system error 3");
	/* Escaped: quotes, backslash, controls, non-ASCII. */
	status(&o, EXITED(65), 0, "say \"hi\" \\ \x1b[31mred\x7f\xc3\xa9\n");
	assert_string_equal(o.text, "data format error: \"say \\\"hi\\\" "
	    "\\\\ \\033[31mred\\177\\303\\251\"");
}

static void
test_outcome(void **state)
{
	static const struct {
		int		 err;
		int		 perm;
		const char	*esc;
	} e[] = {
		{ EDQUOT, 1, "5.2.2" },
		{ EFBIG, 1, "5.2.2" },
		{ ENOSPC, 0, "4.3.0" },
		{ EAGAIN, 0, "4.2.0" },
		{ ESTALE, 0, "4.2.0" },
		{ EACCES, 0, "4.2.0" },
		{ ENOTDIR, 0, "4.2.0" },
		{ ELOOP, 0, "4.2.0" },
		{ EIO, 0, "4.2.0" },
	};
	struct outcome o;
	char q[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		outcome_errno(&o, e[i].err, "write %s", "/x");
		assert_int_equal(o.status, e[i].perm ? OUTCOME_PERM :
		    OUTCOME_TEMP);
		assert_string_equal(o.esc, e[i].esc);
		assert_int_equal(outcome_exit(&o), e[i].perm ? EX_CANTCREAT :
		    EX_TEMPFAIL);
	}
	outcome_errno(&o, EDQUOT, "write %s", "/x");
	assert_string_equal(o.text, "mailbox full: write /x: Disk quota "
	    "exceeded");

	outcome_set(&o, OUTCOME_PERM, "5.1.1", "x");
	assert_int_equal(outcome_exit(&o), EX_NOUSER);
	outcome_set(&o, OUTCOME_PERM, "5.7.0", "x");
	assert_int_equal(outcome_exit(&o), EX_NOPERM);
	outcome_set(&o, OUTCOME_PERM, "5.6.0", "x");
	assert_int_equal(outcome_exit(&o), EX_DATAERR);
	outcome_set(&o, OUTCOME_PERM, "5.4.6", "x");
	assert_int_equal(outcome_exit(&o), EX_DATAERR);
	outcome_set(&o, OUTCOME_PERM, "5.3.0", "x");
	assert_int_equal(outcome_exit(&o), EX_SOFTWARE);
	outcome_set(&o, OUTCOME_TEMP, "4.7.0", "x");
	assert_int_equal(outcome_exit(&o), EX_TEMPFAIL);
	outcome_ok(&o);
	assert_int_equal(outcome_exit(&o), EX_OK);
	assert_string_equal(outcome_result(&o), "Ok");

	/* One line, whatever the caller passed. */
	outcome_set(&o, OUTCOME_TEMP, "4.2.0", "a\nb\rc%s", "\x01");
	assert_string_equal(o.text, "a?b?c?");

	assert_int_equal(esc_len("4.2.2 x", 7), 5);
	assert_int_equal(esc_len("5.123.456", 9), 9);
	assert_int_equal(esc_len("5.1234.4", 8), 0);
	assert_int_equal(esc_len("3.1.1 x", 7), 0);
	assert_int_equal(esc_len("4..1 x", 6), 0);
	assert_int_equal(esc_len("4.1. x", 6), 0);

	/* Quoting never cuts an escape in half. */
	assert_int_equal(outcome_quote(q, sizeof(q), "ab\ncd", 5), 6);
	assert_string_equal(q, "ab\\ncd");
	assert_int_equal(outcome_quote(q, sizeof(q), "abcd\x01", 5), 4);
	assert_string_equal(q, "abcd");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_lastline),
		cmocka_unit_test(test_outcome),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * deliver_options_test.c: unit tests for deliver/options.c: the command
 * line into a request, refusals instead of exits (exit status, why, the
 * usage flag), -A and what may come with it, and parsing one argv after
 * another in one process, as an agent does for each request, even after
 * getopt stopped in the middle of a cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "deliver/deliver.h"

#define ARGV_MAX	32

struct parsed {
	struct dlv_request	r;
	struct dlv_args		args;
	struct dlv_refusal	ref;
	char			*argv[ARGV_MAX];
	int			 ret;
};

/* Parses the NULL-terminated words (copied: getopt may permute). */
static struct parsed *
parse(const char *first, ...)
{
	static struct parsed p;
	const char *w;
	va_list ap;
	int n = 0;

	memset(&p, 0, sizeof(p));
	va_start(ap, first);
	for (w = first; w != NULL; w = va_arg(ap, const char *))
		p.argv[n++] = (char *)w;
	va_end(ap);
	p.ret = options_parse(n, p.argv, &p.r, &p.args, &p.ref);
	return &p;
}

static void
test_request(void **state)
{
	struct parsed *p;

	(void)state;
	p = parse("deliver", "-d", "alice", "-f", "<S@Example.net>", "-r",
	    "a@x", "-o", "o@x", "-e", "0123456789abcdef", "-c", "-n", "-a",
	    "lists", "-u", "1:2:/h", "-M", "/var/mbox", NULL);
	assert_int_equal(p->ret, 0);
	assert_int_equal(p->r.mode, DLV_MBOX);
	assert_string_equal(p->r.path, "/var/mbox");
	assert_string_equal(p->r.sender, "S@Example.net");
	assert_string_equal(p->r.tag, "lists");
	assert_true(p->r.evpid == 0x0123456789abcdefULL);
	assert_int_equal(p->r.check, 1);
	assert_int_equal(p->r.notrace, 1);
	assert_string_equal(p->args.user, "alice");
	assert_string_equal(p->args.rcpt, "a@x");
	assert_string_equal(p->args.orig, "o@x");
	assert_string_equal(p->args.ids, "1:2:/h");
	assert_int_equal(p->args.agent, 0);

	p = parse("deliver", NULL);
	assert_int_equal(p->ret, 0);
	assert_int_equal(p->r.mode, DLV_MAILDIR);
	assert_null(p->r.path);
	assert_string_equal(p->r.sender, "");
	assert_int_equal(p->r.timeout, PIPE_TIMEOUT);
}

static void
test_refusals(void **state)
{
	struct parsed *p;

	(void)state;
	p = parse("deliver", "-e", "zz", NULL);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->ref.code, EX_USAGE);
	assert_int_equal(p->ref.usage, 0);
	assert_string_equal(p->ref.why, "bad envelope id zz");

	p = parse("deliver", "-m", "/a", "-M", "/b", NULL);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->ref.usage, 1);

	p = parse("deliver", "-m", "/a", "stray", NULL);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->ref.usage, 1);

	p = parse("deliver", "-x", NULL);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->ref.code, EX_USAGE);
	assert_int_equal(p->ref.usage, 1);

	p = parse("deliver", "-m", "rel", NULL);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->ref.usage, 0);
	assert_string_equal(p->ref.why, "rel: not an absolute path");

	p = parse("deliver", "-R", "x", NULL);
	assert_string_equal(p->ref.why, "-R needs -L");
	p = parse("deliver", "-p", "", NULL);
	assert_string_equal(p->ref.why, "empty command");
	p = parse("deliver", "-f", "not an address", NULL);
	assert_string_equal(p->ref.why, "invalid sender address");
	p = parse("deliver", "-t", "0", NULL);
	assert_string_equal(p->ref.why, "time limit 0: too small");
	p = parse("deliver", "-a", "a\tb", NULL);
	assert_string_equal(p->ref.why, "control character in tag");
}

/* -A: -d required, -u allowed, nothing else. */
static void
test_agent(void **state)
{
	struct parsed *p;

	(void)state;
	p = parse("deliver", "-A", "-d", "alice", "-u", "1:2:/h", NULL);
	assert_int_equal(p->ret, 0);
	assert_int_equal(p->args.agent, 1);
	p = parse("deliver", "-A", NULL);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->ref.usage, 1);
	p = parse("deliver", "-A", "-d", "alice", "-m", "/a", NULL);
	assert_int_equal(p->ret, -1);
	assert_int_equal(p->ref.usage, 1);
	p = parse("deliver", "-A", "-d", "alice", "-f", "", NULL);
	assert_int_equal(p->ret, -1);
}

/* One argv after another: nothing of the last parse leaks into the next. */
static void
test_again(void **state)
{
	struct parsed *p;

	(void)state;
	p = parse("deliver", "-xc", "-n", NULL);	/* stops inside "-xc" */
	assert_int_equal(p->ret, -1);
	p = parse("deliver", "-n", "-m", "/a", NULL);
	assert_int_equal(p->ret, 0);
	assert_int_equal(p->r.notrace, 1);
	assert_int_equal(p->r.check, 0);
	assert_string_equal(p->r.path, "/a");
	p = parse("deliver", "-M", "/b", NULL);
	assert_int_equal(p->ret, 0);
	assert_int_equal(p->r.notrace, 0);
	assert_int_equal(p->r.mode, DLV_MBOX);
	assert_string_equal(p->r.path, "/b");
}

static void
test_addr(void **state)
{
	struct mailaddr a;
	char out[ADDR_MAILBOX_SIZE];

	(void)state;
	assert_int_equal(options_addr("<>", 1, &a, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(options_addr("<>", 0, &a, out, sizeof(out)), -1);
	assert_int_equal(options_addr("<a@B.example>", 0, &a, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "a@B.example");
	assert_int_equal(options_addr("<a@b>x", 0, &a, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_again),
		cmocka_unit_test(test_addr),
	};

	opterr = 0;		/* getopt's own messages: not wanted here */
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * ctl_cmdtree_test.c: unit tests for ctl/cmdtree.c (spec/ctl.md section
 * 3): exact keywords, typed slots that never match by prefix, unique
 * prefixes, "possibilities are:" for ambiguous, unknown and incomplete
 * commands, "invalid command" for words after a leaf, and the LATER and
 * root flags of the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/cmdtree.h"

#define ARGV_MAX	8

/* Split a command line at spaces and match it. */
static enum cmdtree_status
run(const char *line, struct cmdtree_match *m)
{
	static char copy[256];
	char *argv[ARGV_MAX], *p;
	int argc = 0;

	strcpy(copy, line);
	for (p = strtok(copy, " "); p != NULL && argc < ARGV_MAX;
	    p = strtok(NULL, " "))
		argv[argc++] = p;
	return cmdtree_match(argc, argv, m);
}

static enum cmdtree_cmd
cmd_of(const char *line)
{
	struct cmdtree_match m;

	if (run(line, &m) != CMDTREE_OK)
		return CMDTREE_NONE;
	return m.entry->cmd;
}

/* What smtpctl would print on stderr. */
static char *
explain(const char *line)
{
	static char texts[4][4096];
	static int next;
	char *text = texts[next++ % 4];
	struct cmdtree_match m;
	struct buf b;

	assert_int_not_equal(run(line, &m), CMDTREE_OK);
	buf_init(&b);
	cmdtree_explain(&m, &b);
	assert_true(buf_avail(&b) < sizeof(texts[0]));
	memcpy(text, buf_head(&b), buf_avail(&b));
	text[buf_avail(&b)] = '\0';
	buf_free(&b);
	return text;
}

static void
test_exact(void **state)
{
	(void)state;
	assert_int_equal(cmd_of("show queue"), CMDTREE_SHOW_QUEUE);
	assert_int_equal(cmd_of("show stats"), CMDTREE_SHOW_STATS);
	assert_int_equal(cmd_of("show status"), CMDTREE_SHOW_STATUS);
	assert_int_equal(cmd_of("show hosts"), CMDTREE_SHOW_HOSTS);
	assert_int_equal(cmd_of("show hoststats"), CMDTREE_SHOW_HOSTSTATS);
	assert_int_equal(cmd_of("monitor"), CMDTREE_MONITOR);
	assert_int_equal(cmd_of("encrypt"), CMDTREE_ENCRYPT);
	assert_int_equal(cmd_of("encrypt secret"), CMDTREE_ENCRYPT);
	assert_int_equal(cmd_of("log verbose"), CMDTREE_LOG_VERBOSE);
	assert_int_equal(cmd_of("pause mta"), CMDTREE_PAUSE_MTA);
	assert_int_equal(cmd_of("pause mta from 192.0.2.1 for example.org"),
	    CMDTREE_PAUSE_MTA_FROM);
	assert_int_equal(cmd_of("resume route 12"), CMDTREE_RESUME_ROUTE);
	/* route ids are decimal, as show routes prints them, and not 0 */
	assert_int_not_equal(cmd_of("resume route 1f"), CMDTREE_RESUME_ROUTE);
	assert_int_not_equal(cmd_of("resume route 0"), CMDTREE_RESUME_ROUTE);
	assert_int_not_equal(cmd_of("resume route 12345678901234567890"),
	    CMDTREE_RESUME_ROUTE);
	assert_int_equal(cmd_of("show relays"), CMDTREE_SHOW_RELAYS);
	assert_int_equal(cmd_of("show routes"), CMDTREE_SHOW_ROUTES);
	assert_int_equal(cmd_of("update table aliases"), CMDTREE_UPDATE_TABLE);
	assert_int_equal(cmd_of("spf walk"), CMDTREE_SPF_WALK);
	assert_int_equal(cmd_of("show mta paused"), CMDTREE_SHOW_MTA_PAUSED);
}

/* At least ten abbreviations (issue 6). */
static void
test_prefix(void **state)
{
	(void)state;
	assert_int_equal(cmd_of("sh q"), CMDTREE_SHOW_QUEUE);
	assert_int_equal(cmd_of("sh qu 1a2b3c4d"), CMDTREE_SHOW_QUEUE);
	assert_int_equal(cmd_of("pa sm"), CMDTREE_PAUSE_SMTP);
	assert_int_equal(cmd_of("pa md"), CMDTREE_PAUSE_MDA);
	assert_int_equal(cmd_of("pa mt"), CMDTREE_PAUSE_MTA);
	assert_int_equal(cmd_of("res e all"), CMDTREE_RESUME_ENVELOPE);
	assert_int_equal(cmd_of("sch a"), CMDTREE_SCHEDULE);
	assert_int_equal(cmd_of("rem all"), CMDTREE_REMOVE);
	assert_int_equal(cmd_of("m"), CMDTREE_MONITOR);
	assert_int_equal(cmd_of("sh stats"), CMDTREE_SHOW_STATS);
	assert_int_equal(cmd_of("sh statu"), CMDTREE_SHOW_STATUS);
	assert_int_equal(cmd_of("sh e 1a2b3c4d9e8f7a6b"),
	    CMDTREE_SHOW_ENVELOPE);
	assert_int_equal(cmd_of("sh mes 1a2b3c4d"), CMDTREE_SHOW_MESSAGE);
	assert_int_equal(cmd_of("up t aliases"), CMDTREE_UPDATE_TABLE);
	assert_int_equal(cmd_of("l b"), CMDTREE_LOG_BRIEF);
	assert_int_equal(cmd_of("tr smtp"), CMDTREE_TRACE);
	assert_int_equal(cmd_of("unt smtp"), CMDTREE_UNTRACE);
	assert_int_equal(cmd_of("e"), CMDTREE_ENCRYPT);
	/* an exact keyword wins over being the prefix of another */
	assert_int_equal(cmd_of("sh hosts"), CMDTREE_SHOW_HOSTS);
}

static void
test_slots(void **state)
{
	struct cmdtree_match m;

	(void)state;
	assert_int_equal(run("remove 1A2B3C4D9E8F7A6B", &m), CMDTREE_OK);
	assert_int_equal(m.entry->cmd, CMDTREE_REMOVE);
	assert_string_equal(cmdtree_slot_arg(&m, CMDTREE_EVPID),
	    "1A2B3C4D9E8F7A6B");
	assert_null(cmdtree_slot_arg(&m, CMDTREE_MSGID));
	assert_false(cmdtree_has_keyword(&m, "all"));

	assert_int_equal(run("remove 1a2b3c4d", &m), CMDTREE_OK);
	assert_string_equal(cmdtree_slot_arg(&m, CMDTREE_MSGID), "1a2b3c4d");

	assert_int_equal(run("remove all", &m), CMDTREE_OK);
	assert_true(cmdtree_has_keyword(&m, "all"));

	assert_int_equal(run("tr all", &m), CMDTREE_OK);
	assert_string_equal(cmdtree_slot_arg(&m, CMDTREE_STR), "all");
	assert_false(cmdtree_has_keyword(&m, "all"));

	/* not ids: other lengths, non-hex, zero */
	assert_int_equal(run("remove 1a2b3c4", &m), CMDTREE_POSSIBLE);
	assert_int_equal(run("remove 1a2b3c4d9", &m), CMDTREE_POSSIBLE);
	assert_int_equal(run("remove 00000000", &m), CMDTREE_POSSIBLE);
	assert_int_equal(run("remove 1a2b3c4g", &m), CMDTREE_POSSIBLE);
	/* a show envelope needs an evpid, not a msgid */
	assert_int_equal(run("show envelope 1a2b3c4d", &m), CMDTREE_POSSIBLE);
	/* slots never match by prefix */
	assert_int_equal(run("remove <ev", &m), CMDTREE_POSSIBLE);
	assert_int_equal(run("show envelope <evpid>", &m), CMDTREE_POSSIBLE);
	/* an address slot takes literals only */
	assert_int_equal(run("pause mta from mx.example for x", &m),
	    CMDTREE_POSSIBLE);
}

static void
test_ambiguous(void **state)
{
	(void)state;
	assert_string_equal(explain("sh st"),
	    "possibilities are:\n"
	    "show envelope\n"
	    "show hosts\n"
	    "show hoststats\n"
	    "show message\n"
	    "show mta\n"
	    "show queue\n"
	    "show relays\n"
	    "show routes\n"
	    "show stats\n"
	    "show status\n");
	assert_string_equal(explain("sh host"), explain("show st"));
	assert_string_equal(explain("pa e x"),
	    "possibilities are:\n"
	    "pause envelope <evpid>\n"
	    "pause envelope <msgid>\n"
	    "pause envelope all\n");
	/* "un" is unprofile and untrace, "s" schedule, show and spf */
	assert_int_equal(cmd_of("un smtp"), CMDTREE_NONE);
	assert_string_equal(explain("s q"), explain("x"));
}

static void
test_unknown(void **state)
{
	const char *top;

	(void)state;
	top = "possibilities are:\n"
	    "discover\n"
	    "encrypt\n"
	    "log\n"
	    "monitor\n"
	    "pause\n"
	    "profile\n"
	    "remove\n"
	    "resume\n"
	    "schedule\n"
	    "show\n"
	    "spf\n"
	    "trace\n"
	    "unprofile\n"
	    "untrace\n"
	    "update\n";
	assert_string_equal(explain("frobnicate"), top);
	assert_string_equal(explain(""), top);
	assert_string_equal(explain("show bogus"), explain("show"));
	assert_string_equal(explain("log"),
	    "possibilities are:\nlog brief\nlog verbose\n");
	assert_string_equal(explain("up tab"),
	    "possibilities are:\nupdate table <str>\n");
	assert_string_equal(explain("pause mta x"),
	    "possibilities are:\npause mta from\n");
}

static void
test_left_over(void **state)
{
	struct cmdtree_match m;

	(void)state;
	assert_int_equal(run("show stats now", &m), CMDTREE_INVALID);
	assert_string_equal(explain("show stats now"), "invalid command\n");
	assert_string_equal(explain("monitor 1"), "invalid command\n");
	assert_string_equal(explain("encrypt a b"), "invalid command\n");
	assert_string_equal(explain("remove all 1a2b3c4d"),
	    "invalid command\n");
	/* a terminal node with children lists them instead */
	assert_string_equal(explain("show queue all"),
	    "possibilities are:\nshow queue <msgid>\n");
}

static void
test_flags(void **state)
{
	const struct cmdtree_entry *e;
	size_t i, n;
	int later = 0, root = 0;

	(void)state;
	e = cmdtree_entries(&n);
	for (i = 0; i < n; i++) {
		later += (e[i].flags & CMDTREE_LATER) != 0;
		root += (e[i].flags & CMDTREE_ROOT) != 0;
		/* MUST commands have a request, or run locally */
		if (!(e[i].flags & CMDTREE_LATER) &&
		    e[i].cmd != CMDTREE_ENCRYPT && e[i].cmd != CMDTREE_SPF_WALK)
			assert_int_not_equal(e[i].ctl, 0);
		if (e[i].cmd == CMDTREE_ENCRYPT || e[i].cmd == CMDTREE_SPF_WALK)
			assert_false(e[i].flags & CMDTREE_ROOT);
		else
			assert_true(e[i].flags & CMDTREE_ROOT);
		/* built: discover, profile, unprofile, the relay's shows */
		if (e[i].cmd == CMDTREE_DISCOVER ||
		    e[i].cmd == CMDTREE_PROFILE ||
		    e[i].cmd == CMDTREE_UNPROFILE ||
		    e[i].cmd == CMDTREE_SHOW_HOSTS ||
		    e[i].cmd == CMDTREE_SHOW_HOSTSTATS ||
		    e[i].cmd == CMDTREE_SHOW_RELAYS ||
		    e[i].cmd == CMDTREE_SHOW_ROUTES ||
		    e[i].cmd == CMDTREE_RESUME_ROUTE)
			assert_false(e[i].flags & CMDTREE_LATER);
	}
	/* pause/resume mta from, show mta paused */
	assert_true(later >= 3);
	assert_true(root > 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_left_over),
		cmocka_unit_test(test_flags),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * userinfo_test.c: unit tests for aliases/userinfo_msg.c (users of an
 * action's userbase at delivery time): which envelope users go through
 * the userbase, the IMSG_LKA_USERINFO request and answer (round trips
 * and every malformed field refused), the lookup role's answer on a
 * parsed configuration (found, folded key, not found, no such action,
 * an action without userbase, a db: value that is no UID:GID:HOME), and
 * the alias/virtual values checked when a table is loaded (tables.md
 * section 3, FILE:LINE).
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <tcutil.h>
#include <tchdb.h>

#include "aliases/expand.h"
#include "aliases/localnames.h"
#include "aliases/rules.h"
#include "aliases/table.h"
#include "aliases/userinfo_msg.h"
#include "smtpd/config.h"
#include "smtpd/parent_forward.h"
#include "rules_util.h"
#include "table_util.h"

static const char conf[] =
    "table ub { \"joe\" = \"1000:100:/home/virtual/joe\" }\n"
    "table bad db:DIR/bad.db\n"
    "action \"vd\" maildir userbase <ub>\n"
    "action \"vu\" maildir userbase <ub> user nobody\n"
    "action \"broken\" maildir userbase <bad>\n"
    "action \"plain\" maildir\n"
    "match from any for domain \"example.com\" action \"vd\"\n"
    "match from any for domain \"example.net\" action \"vu\"\n"
    "match from any for domain \"broken.test\" action \"broken\"\n"
    "match from any for domain \"example.org\" action \"plain\"\n";

/* table_util.h's setup (scratch directory), then the configuration. */
static int
ui_setup(void **state)
{
	static struct env e;
	static const struct kv bad[] = {
		{ "jack", "0:0:/root" },
		{ "jill", "12:34" },
		{ NULL, NULL },
	};

	if (setup(state) == -1)
		return -1;
	make_db(path_of("bad.db"), "version=1 type=plain", bad);
	env_open(&e, tdir, conf, 0);
	*state = &e;
	return 0;
}

static int
ui_teardown(void **state)
{
	env_close(*state);
	return teardown(state);
}

static void
test_wanted(void **state)
{
	struct env *e = *state;
	const struct action *vd, *vu, *plain;
	struct envelope ev;

	assert_non_null(vd = config_action_find(e->conf, "vd"));
	assert_non_null(vu = config_action_find(e->conf, "vu"));
	assert_non_null(plain = config_action_find(e->conf, "plain"));
	memset(&ev, 0, sizeof(ev));
	strlcpy(ev.mda_user, "joe", sizeof(ev.mda_user));
	assert_int_equal(userinfo_wanted(vd, &ev), 1);
	/* `user NAME`: a system user; no userbase: getpwnam */
	assert_int_equal(userinfo_wanted(vu, &ev), 0);
	assert_int_equal(userinfo_wanted(plain, &ev), 0);
	/* a pipe of a .forward runs as its userbase owner ... */
	ev.mda_method = ENVELOPE_MDA_PIPE;
	assert_int_equal(userinfo_wanted(vd, &ev), 1);
	/* ... one of an alias table as the system MAIL_USER */
	strlcpy(ev.mda_user, MAIL_USER, sizeof(ev.mda_user));
	assert_int_equal(userinfo_wanted(vd, &ev), 0);
	ev.mda_method = ENVELOPE_MDA_FILE;
	assert_int_equal(userinfo_wanted(vd, &ev), 0);
	/* MAIL_USER's own mailbox in a userbase action: the userbase */
	ev.mda_method = ENVELOPE_MDA_ACTION;
	assert_int_equal(userinfo_wanted(vd, &ev), 1);
}

static void
test_req(void **state)
{
	struct userinfo_req q, bad;
	char action[USERINFO_ACTION_MAX + 1], user[USERINFO_USER_MAX + 1];
	char big[USERINFO_USER_MAX + 2];

	(void)state;
	assert_int_equal(userinfo_req_make(&q, "vd", "joe"), 0);
	assert_int_equal(userinfo_req_read(&q, sizeof(q), action,
	    sizeof(action), user, sizeof(user)), 0);
	assert_string_equal(action, "vd");
	assert_string_equal(user, "joe");
	/* a local part may hold any atext */
	assert_int_equal(userinfo_req_make(&q, "vd", "o'brien+x"), 0);
	assert_int_equal(userinfo_req_read(&q, sizeof(q), action,
	    sizeof(action), user, sizeof(user)), 0);
	assert_string_equal(user, "o'brien+x");

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(userinfo_req_make(&q, "vd", big), -1);
	assert_int_equal(userinfo_req_make(&q, "vd", ""), -1);
	assert_int_equal(userinfo_req_make(&q, "vd", "a\nb"), -1);

	/* a wrong size, a length past its field, a NUL inside, empty */
	assert_int_equal(userinfo_req_make(&q, "vd", "joe"), 0);
	assert_int_equal(userinfo_req_read(&q, sizeof(q) - 1, action,
	    sizeof(action), user, sizeof(user)), -1);
	bad = q;
	bad.userlen = sizeof(bad.user) + 1;
	assert_int_equal(userinfo_req_read(&bad, sizeof(bad), action,
	    sizeof(action), user, sizeof(user)), -1);
	bad = q;
	bad.userlen = 4;	/* "joe" and its padding NUL */
	assert_int_equal(userinfo_req_read(&bad, sizeof(bad), action,
	    sizeof(action), user, sizeof(user)), -1);
	bad = q;
	bad.actionlen = 0;
	assert_int_equal(userinfo_req_read(&bad, sizeof(bad), action,
	    sizeof(action), user, sizeof(user)), -1);
	/* the caller's buffers are checked too */
	assert_int_equal(userinfo_req_read(&q, sizeof(q), action, 2, user,
	    sizeof(user)), -1);
}

static void
test_res(void **state)
{
	struct userinfo_res r, in;
	char home[USERINFO_HOME_MAX + 1];

	(void)state;
	memset(&in, 0, sizeof(in));
	in.status = USERINFO_FOUND;
	in.uid = 1000;
	in.gid = 100;
	in.homelen = 5;
	memcpy(in.home, "/home", 5);
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), 0);
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.gid, 100);
	assert_string_equal(home, "/home");
	assert_int_equal(userinfo_res_read(&in, sizeof(in) + 1, &r, home,
	    sizeof(home)), -1);

	in.uid = 0;	/* never root */
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), -1);
	in.uid = 1000;
	in.home[0] = 'x';	/* relative */
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), -1);
	in.home[0] = '/';
	in.homelen = sizeof(in.home) + 1;
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), -1);
	in.homelen = 0;
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), -1);
	in.homelen = 6;		/* the NUL after "/home" */
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), -1);
	in.status = 9;
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), -1);
	memset(&in, 0, sizeof(in));
	in.status = USERINFO_NOTFOUND;
	assert_int_equal(userinfo_res_read(&in, sizeof(in), &r, home,
	    sizeof(home)), 0);
	assert_int_equal(r.status, USERINFO_NOTFOUND);
}

static enum userinfo_status
answer(struct env *e, const char *action, const char *user,
    struct userinfo_res *res)
{
	struct userinfo_req q;

	assert_int_equal(userinfo_req_make(&q, action, user), 0);
	assert_int_equal(userinfo_answer(e->tables, e->conf, &q, sizeof(q),
	    res), 0);
	return res->status;
}

static void
test_answer(void **state)
{
	struct env *e = *state;
	struct userinfo_res res;
	struct userinfo_req q;
	char home[USERINFO_HOME_MAX + 1];

	assert_int_equal(answer(e, "vd", "joe", &res), USERINFO_FOUND);
	assert_int_equal(res.uid, 1000);
	assert_int_equal(res.gid, 100);
	assert_int_equal(res.homelen, strlen("/home/virtual/joe"));
	assert_memory_equal(res.home, "/home/virtual/joe", res.homelen);
	assert_int_equal(userinfo_res_read(&res, sizeof(res), &res, home,
	    sizeof(home)), 0);
	assert_string_equal(home, "/home/virtual/joe");
	assert_int_equal(answer(e, "vd", "JOE", &res), USERINFO_FOUND);
	assert_int_equal(answer(e, "vd", "jack", &res), USERINFO_NOTFOUND);
	/* nothing to look in: temporary, never "unknown user" */
	assert_int_equal(answer(e, "plain", "joe", &res), USERINFO_TEMPFAIL);
	assert_int_equal(answer(e, "gone", "joe", &res), USERINFO_TEMPFAIL);
	/* a db: value that is no UID:GID:HOME, or has uid 0 */
	assert_int_equal(answer(e, "broken", "jack", &res), USERINFO_TEMPFAIL);
	assert_int_equal(answer(e, "broken", "jill", &res), USERINFO_TEMPFAIL);
	assert_int_equal(answer(e, "broken", "joe", &res), USERINFO_NOTFOUND);
	/* a malformed request: the channel is closed */
	assert_int_equal(userinfo_req_make(&q, "vd", "joe"), 0);
	q.userlen = 0;
	assert_int_equal(userinfo_answer(e->tables, e->conf, &q, sizeof(q),
	    &res), -1);
}

/* The same decision at RCPT: recipient_user() through the userbase. */
static void
test_recipient(void **state)
{
	struct env *e = *state;
	struct table_userinfo ui;
	struct rcpt_decision d;
	const struct action *vd, *broken;

	assert_non_null(vd = config_action_find(e->conf, "vd"));
	assert_non_null(broken = config_action_find(e->conf, "broken"));
	memset(&d, 0, sizeof(d));
	assert_int_equal(recipient_user(&e->ctx, vd, "joe", &d, &ui),
	    TABLE_FOUND);
	assert_string_equal(d.user, "joe");
	assert_int_equal(ui.uid, 1000);
	assert_string_equal(ui.home, "/home/virtual/joe");
	memset(&d, 0, sizeof(d));
	assert_int_equal(recipient_user(&e->ctx, vd, "root", &d, &ui),
	    TABLE_NOTFOUND);
	assert_int_equal(recipient_user(&e->ctx, broken, "jack", &d, NULL),
	    TABLE_TEMPFAIL);
}

/* The .forward request of a userbase user (smtpd/parent_forward.h). */
static void
test_forward_req(void **state)
{
	struct forward_req q;
	struct forward_who who;

	(void)state;
	assert_int_equal(forward_req_make(&q, "joe", NULL), 0);
	assert_int_equal(q.userbase, 0);
	assert_int_equal(q.userlen, 3);
	memset(&who, 0, sizeof(who));
	who.name = "joe";
	who.uid = 1000;
	who.gid = 100;
	who.home = "/home/virtual/joe";
	assert_int_equal(forward_req_make(&q, "joe", &who), 0);
	assert_int_equal(q.userbase, 1);
	assert_int_equal(q.uid, 1000);
	assert_int_equal(q.homelen, strlen(who.home));
	/* any local part names a userbase user; passwd names are strict */
	assert_int_equal(forward_req_make(&q, "o'brien", &who), 0);
	assert_int_equal(forward_req_make(&q, "o'brien", NULL), -1);
	assert_int_equal(forward_req_make(&q, "a/b", &who), -1);
	assert_int_equal(forward_req_make(&q, "a b", &who), -1);
	who.uid = 0;
	assert_int_equal(forward_req_make(&q, "joe", &who), -1);
	who.uid = 1000;
	who.home = "relative";
	assert_int_equal(forward_req_make(&q, "joe", &who), -1);
	assert_int_equal(forward_req_make(&q, "bad/name", NULL), -1);
}

/* tables.md section 3: alias and virtual values are checked at load. */
static void
test_alias_load(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[TABLE_ERR_MAX], want[TABLE_ERR_MAX];

	(void)state;
	decl_init(&d, TABLE_FILE, "aliases", TABLE_USE_ALIAS);
	d.path = path_of("aliases");
	write_file(d.path, "root: alice\nstaff: alice, \"bob\n", 0644);
	assert_null(table_open(&d, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: invalid entry for staff: "
	    "unbalanced quotes", d.path);
	assert_string_equal(err, want);

	d.uses = TABLE_USE_VIRTUAL;
	write_file(d.path, "a@example.org: alice\nb@example.org: x y\n"
	    "c@example.org: # only a comment\n", 0644);
	assert_null(table_open(&d, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: invalid entry for "
	    "b@example.org: invalid destination", d.path);
	assert_string_equal(err, want);

	/* the same file as a plain mapping: values are not aliases */
	d.uses = TABLE_USE_RELAYAUTH;
	write_file(d.path, "label: user:pass word\n", 0644);
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	table_close(t);

	/* good values load */
	d.uses = TABLE_USE_ALIAS;
	write_file(d.path, "root: alice, |/bin/cat, /var/mail/x, "
	    "bob@example.org, error:550 5.1.1 gone\n", 0644);
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	table_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_req),
		cmocka_unit_test(test_res),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_recipient),
		cmocka_unit_test(test_forward_req),
		cmocka_unit_test(test_alias_load),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, ui_setup, ui_teardown);
}

/*
 * table_db_test.c: the db: backend (aliases/table_db.c) through the
 * table API: lookups in a database built the way makemap builds it,
 * change detection, a replaced and a vanished file, lists, and every
 * load error. The text format and the other backends are in
 * table_test.c.
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

#include "aliases/table.h"
#include "lib/xmalloc.h"
#include "table_util.h"

static void
test_db(void **state)
{
	const struct kv v1[] = { { "alice@example.org", "alice" },
	    { "@example.net", "bob" }, { NULL, NULL } };
	const struct kv v2[] = { { "carol@example.org", "carol" },
	    { NULL, NULL } };
	struct table_decl d;
	struct table *t;
	char err[TABLE_ERR_MAX], *value;

	(void)state;
	decl_init(&d, TABLE_DB, "vusers", TABLE_USE_VIRTUAL);
	d.path = path_of("vusers.db");
	make_db(d.path, "version=1 type=aliases entries=2 source=/x "
	    "built=1", v1);
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	table_set_check_interval(t, 0);
	assert_int_equal(table_kind(t), TABLE_KIND_MAPPING);
	assert_int_equal(table_lookup(t, "Alice@Example.ORG", &value),
	    TABLE_FOUND);
	assert_string_equal(value, "alice");
	free(value);
	assert_int_equal(table_lookup(t, "bob@example.org", &value),
	    TABLE_NOTFOUND);
	assert_null(value);
	assert_int_equal(table_lookup(t, "", NULL), TABLE_NOTFOUND);

	/* Replaced by rename: the new file is picked up. */
	make_db(d.path, "version=1 type=aliases entries=1", v2);
	assert_int_equal(table_lookup(t, "carol@example.org", NULL),
	    TABLE_FOUND);
	assert_int_equal(table_lookup(t, "alice@example.org", NULL),
	    TABLE_NOTFOUND);

	/* A replacement that does not load: the old contents stay. */
	write_file(path_of("junk"), "not a database\n", 0644);
	assert_int_equal(rename(path_of("junk"), d.path), 0);
	assert_int_equal(table_lookup(t, "carol@example.org", NULL),
	    TABLE_FOUND);
	assert_int_equal(table_lookup(t, "carol@example.org", NULL),
	    TABLE_FOUND);

	/* A list db replacing a mapping used as virtual: refused too. */
	make_db(d.path, "version=1 type=set", v1);
	assert_int_equal(table_lookup(t, "carol@example.org", NULL),
	    TABLE_FOUND);

	/* The file vanished: a table error, never "not found". */
	make_db(d.path, "version=1 type=aliases", v1);
	assert_int_equal(table_lookup(t, "alice@example.org", NULL),
	    TABLE_FOUND);
	assert_int_equal(unlink(d.path), 0);
	assert_int_equal(table_lookup(t, "alice@example.org", NULL),
	    TABLE_TEMPFAIL);
	assert_int_equal(table_lookup(t, "nobody@example.org", NULL),
	    TABLE_TEMPFAIL);
	make_db(d.path, "version=1 type=aliases", v2);
	assert_int_equal(table_lookup(t, "carol@example.org", NULL),
	    TABLE_FOUND);

	/* Forced reload (smtpctl update table). */
	make_db(d.path, "version=1 type=aliases", v1);
	table_set_check_interval(t, 60000);
	assert_int_equal(table_reload(t, err, sizeof(err)), 0);
	assert_int_equal(table_lookup(t, "alice@example.org", NULL),
	    TABLE_FOUND);
	table_close(t);
}

static void
test_db_list(void **state)
{
	const struct kv v[] = { { "example.org", NULL },
	    { "192.0.2.0/24", NULL }, { NULL, NULL } };
	struct table_decl d;
	struct table *t;
	char err[TABLE_ERR_MAX], *value;

	(void)state;
	decl_init(&d, TABLE_DB, "doms", TABLE_USE_DOMAIN);
	d.path = path_of("doms.db");
	make_db(d.path, "version=1 type=set entries=2", v);
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	assert_int_equal(table_kind(t), TABLE_KIND_LIST);
	assert_int_equal(table_lookup(t, "example.org", &value), TABLE_FOUND);
	assert_null(value);
	table_close(t);
}

static void
test_db_errors(void **state)
{
	struct table_decl d;
	char want[TABLE_ERR_MAX];

	(void)state;
	decl_init(&d, TABLE_DB, "vusers", TABLE_USE_VIRTUAL);
	d.path = path_of("bdb.db");
	write_file(d.path, "a Berkeley DB file, say\n", 0644);
	snprintf(want, sizeof(want), "smtpd.conf:3: vusers: %s: not a Tokyo "
	    "Cabinet hash database (rebuild it with makemap)", d.path);
	expect_open_err(&d, want);

	d.path = path_of("nometa.db");
	make_db(d.path, NULL, NULL);
	snprintf(want, sizeof(want), "smtpd.conf:3: vusers: %s: not built by "
	    "our makemap", d.path);
	expect_open_err(&d, want);
	make_db(d.path, "version=2 type=aliases", NULL);
	expect_open_err(&d, want);
	make_db(d.path, "version=1 type=btree", NULL);
	expect_open_err(&d, want);

	make_db(d.path, "version=1 type=set", NULL);
	expect_open_err(&d, "smtpd.conf:3: table \"vusers\" may not be used "
	    "for virtual lookups");

	d.path = path_of("missing.db");
	snprintf(want, sizeof(want), "smtpd.conf:3: vusers: %s: No such file "
	    "or directory", d.path);
	expect_open_err(&d, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db),
		cmocka_unit_test(test_db_list),
		cmocka_unit_test(test_db_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}

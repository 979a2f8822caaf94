/*
 * aliasfmt_test.c: unit tests for aliases/aliasfmt.c, the aliases-format
 * value parser of spec/tables.md section 3. A table of values with the
 * destinations each must give (type, final, value, error code and
 * enhanced code) or the reason it must be refused: every row of the
 * classification table, quoting, escapes, the comment rule, newlines,
 * and the invalid forms. Then the entry check, the one-destination
 * classifier and its buffer contract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aliases/aliasfmt.h"

#define ROW_DESTS	4

struct want {
	enum aliasfmt_type	 type;
	int			 final;
	const char		*value;
	int			 code;		/* ERROR */
	const char		*enhanced;	/* ERROR; NULL = "" */
};

struct row {
	const char	*name;
	const char	*value;
	size_t		 len;		/* 0: strlen(value) */
	const char	*why;		/* NULL: must parse */
	size_t		 count;
	struct want	 d[ROW_DESTS];
};

#define E	ALIASFMT_ERROR
#define I	ALIASFMT_INCLUDE
#define P	ALIASFMT_PIPE
#define F	ALIASFMT_FILE
#define A	ALIASFMT_ADDRESS
#define U	ALIASFMT_USER

static const struct row rows[] = {
	/* rule 7: user */
	{ "user", "root", 0, NULL, 1, { { U, 0, "root", 0, NULL } } },
	{ "user-chars", "user.name+tag_x-Y9", 0, NULL, 1,
	    { { U, 0, "user.name+tag_x-Y9", 0, NULL } } },
	{ "user-quoted", "\"bob\"", 0, NULL, 1, { { U, 0, "bob", 0, NULL } } },
	/* rule 6: \user */
	{ "user-final", "\\bob", 0, NULL, 1, { { U, 1, "bob", 0, NULL } } },
	{ "user-final-quoted", "\"\\bob\"", 0, NULL, 1,
	    { { U, 1, "bob", 0, NULL } } },
	{ "user-both", "root, \\root", 0, NULL, 2,
	    { { U, 0, "root", 0, NULL }, { U, 1, "root", 0, NULL } } },
	{ "user-escaped-backslash", "\\\\bob", 0, "invalid destination", 0,
	    { { 0 } } },
	/* rule 5: address */
	{ "address", "bob@example.org", 0, NULL, 1,
	    { { A, 0, "bob@example.org", 0, NULL } } },
	{ "address-case-kept", "Alice@Example.ORG", 0, NULL, 1,
	    { { A, 0, "Alice@Example.ORG", 0, NULL } } },
	{ "address-hash-not-comment", "a#b@example.org", 0, NULL, 1,
	    { { A, 0, "a#b@example.org", 0, NULL } } },
	{ "address-atext", "a!$%&'*+/=?^_`{|}~.-z@sub-1.example.org", 0, NULL,
	    1, { { A, 0, "a!$%&'*+/=?^_`{|}~.-z@sub-1.example.org", 0,
	    NULL } } },
	{ "address-escaped-is-first", "\\bob@example.org", 0, NULL, 1,
	    { { A, 0, "bob@example.org", 0, NULL } } },
	{ "address-no-domain", "bob@", 0, "invalid destination", 0, { { 0 } } },
	{ "address-no-local", "@example.org", 0, "invalid destination", 0,
	    { { 0 } } },
	{ "address-quoted-local", "\"john doe\"@example.org", 0,
	    "invalid destination", 0, { { 0 } } },
	{ "address-literal", "bob@[192.0.2.1]", 0, "invalid destination", 0,
	    { { 0 } } },
	{ "address-utf8", "b\xc3\xa9" "b@example.org", 0,
	    "invalid destination", 0, { { 0 } } },
	{ "address-double-dot", "a..b@example.org", 0, "invalid destination",
	    0, { { 0 } } },
	/* rule 4: file */
	{ "file", "/var/mail/archive.mbox", 0, NULL, 1,
	    { { F, 0, "/var/mail/archive.mbox", 0, NULL } } },
	{ "file-blank-inside", "/var/mail/a b", 0, NULL, 1,
	    { { F, 0, "/var/mail/a b", 0, NULL } } },
	{ "file-quoted-hash-comma", "\"/tmp/a #b, c\"", 0, NULL, 1,
	    { { F, 0, "/tmp/a #b, c", 0, NULL } } },
	/* rule 3: pipe */
	{ "pipe", "|/usr/bin/vacation bob", 0, NULL, 1,
	    { { P, 0, "/usr/bin/vacation bob", 0, NULL } } },
	{ "pipe-quoted", "\"|/usr/local/bin/vacation bob\"", 0, NULL, 1,
	    { { P, 0, "/usr/local/bin/vacation bob", 0, NULL } } },
	{ "pipe-quoted-comma", "\"|/bin/echo a, b\"", 0, NULL, 1,
	    { { P, 0, "/bin/echo a, b", 0, NULL } } },
	{ "pipe-inner-quotes-kept", "|/bin/echo \"a, b\" c", 0, NULL, 1,
	    { { P, 0, "/bin/echo \"a, b\" c", 0, NULL } } },
	{ "pipe-escaped-comma", "|/bin/echo a\\,b", 0, NULL, 1,
	    { { P, 0, "/bin/echo a,b", 0, NULL } } },
	{ "pipe-escaped-bar", "\\|/bin/cat", 0, NULL, 1,
	    { { P, 0, "/bin/cat", 0, NULL } } },
	{ "pipe-tab-kept", "|a\tb", 0, NULL, 1, { { P, 0, "a\tb", 0, NULL } } },
	{ "pipe-empty", "|", 0, "invalid destination", 0, { { 0 } } },
	{ "pipe-blank", "\"|   \"", 0, "invalid destination", 0, { { 0 } } },
	/* rule 2: include */
	{ "include", ":include:/etc/mail/lists.txt", 0, NULL, 1,
	    { { I, 0, "/etc/mail/lists.txt", 0, NULL } } },
	{ "include-short", "include:/etc/mail/lists.txt", 0, NULL, 1,
	    { { I, 0, "/etc/mail/lists.txt", 0, NULL } } },
	{ "include-case", ":INCLUDE:/x", 0, NULL, 1,
	    { { I, 0, "/x", 0, NULL } } },
	{ "include-relative", ":include:lists.txt", 0, "invalid destination",
	    0, { { 0 } } },
	{ "include-empty", "include:", 0, "invalid destination", 0, { { 0 } } },
	/* rule 1: error */
	{ "error-enhanced", "error:550 5.1.1 no such user here", 0, NULL, 1,
	    { { E, 0, "no such user here", 550, "5.1.1" } } },
	{ "error-colon", ":error:450 try later", 0, NULL, 1,
	    { { E, 0, "try later", 450, NULL } } },
	{ "error-case", "ERROR:550 No", 0, NULL, 1,
	    { { E, 0, "No", 550, NULL } } },
	{ "error-enhanced-only", "error:550 5.1.1", 0, NULL, 1,
	    { { E, 0, "", 550, "5.1.1" } } },
	{ "error-enhanced-421", ":error:421 4.3.0 busy", 0, NULL, 1,
	    { { E, 0, "busy", 421, "4.3.0" } } },
	{ "error-enhanced-class-mismatch", "error:550 4.1.1 text", 0, NULL, 1,
	    { { E, 0, "4.1.1 text", 550, NULL } } },
	{ "error-enhanced-too-long", "error:550 5.1.1234 x", 0, NULL, 1,
	    { { E, 0, "5.1.1234 x", 550, NULL } } },
	{ "error-then-user", "error:550 x, bob", 0, NULL, 2,
	    { { E, 0, "x", 550, NULL }, { U, 0, "bob", 0, NULL } } },
	{ "error-quoted-comma", "\"error:550 no, sorry\"", 0, NULL, 1,
	    { { E, 0, "no, sorry", 550, NULL } } },
	{ "error-6xx", "error:650 x", 0, "invalid destination", 0, { { 0 } } },
	{ "error-2-digits", "error:55 x", 0, "invalid destination", 0,
	    { { 0 } } },
	{ "error-two-spaces", "error:550  x", 0, "invalid destination", 0,
	    { { 0 } } },
	{ "error-no-text", "error:550", 0, "invalid destination", 0, { { 0 } } },
	{ "error-text-punct", "error:550 -x", 0, "invalid destination", 0,
	    { { 0 } } },
	{ "error-text-utf8", "error:550 caf\xc3\xa9", 0, "invalid destination",
	    0, { { 0 } } },
	/* splitting, trimming, empty destinations */
	{ "three", "alice, bob, carol@example.net", 0, NULL, 3,
	    { { U, 0, "alice", 0, NULL }, { U, 0, "bob", 0, NULL },
	    { A, 0, "carol@example.net", 0, NULL } } },
	{ "empty-dests", "alice,,bob,", 0, NULL, 2,
	    { { U, 0, "alice", 0, NULL }, { U, 0, "bob", 0, NULL } } },
	{ "trimmed", "  alice  ,\tbob\t\r", 0, NULL, 2,
	    { { U, 0, "alice", 0, NULL }, { U, 0, "bob", 0, NULL } } },
	{ "empty-value", "", 0, NULL, 0, { { 0 } } },
	{ "blank-value", " \t ,, ", 0, NULL, 0, { { 0 } } },
	{ "newlines", "alice\nbob, carol\n", 0, NULL, 3,
	    { { U, 0, "alice", 0, NULL }, { U, 0, "bob", 0, NULL },
	    { U, 0, "carol", 0, NULL } } },
	/* the comment rule */
	{ "comment-after-blank", "bob   # old account", 0, NULL, 1,
	    { { U, 0, "bob", 0, NULL } } },
	{ "comment-only", "# all commented", 0, NULL, 0, { { 0 } } },
	{ "comment-eats-rest", "alice, bob # comment, carol", 0, NULL, 2,
	    { { U, 0, "alice", 0, NULL }, { U, 0, "bob", 0, NULL } } },
	{ "comment-after-comma-blank", "alice, #x", 0, NULL, 1,
	    { { U, 0, "alice", 0, NULL } } },
	{ "comment-needs-blank", "alice,#x", 0, "invalid destination", 0,
	    { { 0 } } },
	{ "comment-ends-at-newline", "alice # x, y\n# z\nbob", 0, NULL, 2,
	    { { U, 0, "alice", 0, NULL }, { U, 0, "bob", 0, NULL } } },
	{ "comment-escaped", "alice \\#x", 0, "invalid destination", 0,
	    { { 0 } } },
	{ "comment-quoted", "\"/a #b\"", 0, NULL, 1,
	    { { F, 0, "/a #b", 0, NULL } } },
	{ "comment-with-quote", "bob # it's \"open", 0, NULL, 1,
	    { { U, 0, "bob", 0, NULL } } },
	/* invalid values */
	{ "unbalanced", "\"alice", 0, "unbalanced quotes", 0, { { 0 } } },
	{ "unbalanced-late", "alice, |/bin/echo \"x", 0, "unbalanced quotes",
	    0, { { 0 } } },
	{ "quote-across-newline", "\"a\nb\"", 0, "unbalanced quotes", 0,
	    { { 0 } } },
	{ "trailing-backslash", "alice\\", 0, "trailing backslash", 0,
	    { { 0 } } },
	{ "backslash-newline", "a\\\nb", 0, "trailing backslash", 0, { { 0 } } },
	{ "blank-in-user", "ali ce", 0, "invalid destination", 0, { { 0 } } },
	{ "empty-quotes", "\"\"", 0, "invalid destination", 0, { { 0 } } },
	{ "control", "a\x01" "b", 0, "control character", 0, { { 0 } } },
	{ "del", "|a\x7f", 0, "control character", 0, { { 0 } } },
	{ "nul", "alice\0bob", 9, "NUL byte", 0, { { 0 } } },
	{ "bad-utf8", "\xff", 0, "invalid UTF-8", 0, { { 0 } } },
	{ "one-bad-spoils-all", "alice, b@d@x, bob", 0, "invalid destination",
	    0, { { 0 } } },
	{ "colon", "a:b", 0, "invalid destination", 0, { { 0 } } },
};

static void	check_row(const struct row *);

static void
check_row(const struct row *r)
{
	struct aliasfmt_list *list = (struct aliasfmt_list *)1;
	const struct aliasfmt_dest *d;
	const struct want *w;
	const char *why = NULL;
	size_t i, len = r->len ? r->len : strlen(r->value);
	int rc;

	rc = aliasfmt_parse(r->value, len, &list, &why);
	if (r->why != NULL) {
		if (rc != -1)
			fail_msg("%s: parsed, expected \"%s\"", r->name, r->why);
		assert_null(list);
		if (why == NULL || strcmp(why, r->why) != 0)
			fail_msg("%s: \"%s\", expected \"%s\"", r->name,
			    why ? why : "(null)", r->why);
		return;
	}
	if (rc != 0)
		fail_msg("%s: refused (%s)", r->name, why ? why : "?");
	assert_non_null(list);
	if (list->count != r->count)
		fail_msg("%s: %zu destinations, expected %zu", r->name,
		    list->count, r->count);
	for (i = 0; i < r->count; i++) {
		d = &list->dests[i];
		w = &r->d[i];
		if (d->type != w->type || d->final != w->final)
			fail_msg("%s[%zu]: %s final=%d, expected %s final=%d",
			    r->name, i, aliasfmt_type_name(d->type), d->final,
			    aliasfmt_type_name(w->type), w->final);
		if (strcmp(d->value, w->value) != 0 ||
		    d->len != strlen(w->value))
			fail_msg("%s[%zu]: \"%s\", expected \"%s\"", r->name, i,
			    d->value, w->value);
		assert_int_equal(d->code, w->code);
		assert_string_equal(d->enhanced, w->enhanced ? w->enhanced :
		    "");
		if (d->type == ALIASFMT_ADDRESS) {
			char buf[ADDR_MAILBOX_SIZE];

			assert_true(addr_format(&d->addr, buf, sizeof(buf)) > 0);
			assert_string_equal(buf, w->value);
		}
	}
	aliasfmt_free(list);
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	assert_true(sizeof(rows) / sizeof(rows[0]) >= 40);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i]);
}

/* The whole example of tables.md section 4, values as makemap stores them. */
static void
test_spec_example(void **state)
{
	static const char *values[] = {
		"root", "alice", "postmaster",
		"alice, bob, carol@example.net          # continuation line "
		    "[project]",
		"\\bob, \"|/usr/local/bin/vacation bob\"",
		":include:/etc/mail/lists.txt", "/var/mail/archive.mbox",
		"error:550 5.1.1 no such user here",
	};
	size_t i;
	const char *why;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (aliasfmt_entry_check(values[i], strlen(values[i]),
		    &why) == -1)
			fail_msg("\"%s\": %s", values[i], why);
}

/* Length-explicit: nothing past len is read or needed. */
static void
test_not_nul_terminated(void **state)
{
	struct aliasfmt_list *list;
	char buf[16];

	(void)state;
	memcpy(buf, "alice, bob#####", 16);	/* no NUL in the value */
	assert_int_equal(aliasfmt_parse(buf, 10, &list, NULL), 0);
	assert_int_equal(list->count, 2);
	assert_string_equal(list->dests[1].value, "bob");
	aliasfmt_free(list);
	assert_int_equal(aliasfmt_parse(NULL, 0, &list, NULL), 0);
	assert_int_equal(list->count, 0);
	aliasfmt_free(list);
}

static void
test_entry_check(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(aliasfmt_entry_check("bob", 3, &why), 0);
	assert_int_equal(aliasfmt_entry_check("# none", 6, &why), -1);
	assert_string_equal(why, "no destination");
	assert_int_equal(aliasfmt_entry_check(" , ", 3, &why), -1);
	assert_string_equal(why, "no destination");
	assert_int_equal(aliasfmt_entry_check("a\"", 2, &why), -1);
	assert_string_equal(why, "unbalanced quotes");
	assert_int_equal(aliasfmt_entry_check("x", 1, NULL), 0);
	assert_int_equal(aliasfmt_entry_check("\"", 1, NULL), -1);
}

/* An SMTP reply line: "NNN text" at most ALIASFMT_REPLY_MAX octets. */
static void
test_error_length(void **state)
{
	char v[ALIASFMT_REPLY_MAX + 16];
	struct aliasfmt_list *list;
	size_t n;

	(void)state;
	n = (size_t)snprintf(v, sizeof(v), "error:550 ");
	memset(v + n, 'a', ALIASFMT_REPLY_MAX - 4);
	n += ALIASFMT_REPLY_MAX - 4;
	assert_int_equal(aliasfmt_parse(v, n, &list, NULL), 0);
	assert_int_equal(list->dests[0].type, ALIASFMT_ERROR);
	assert_int_equal(list->dests[0].len, ALIASFMT_REPLY_MAX - 4);
	aliasfmt_free(list);
	v[n++] = 'a';
	assert_int_equal(aliasfmt_parse(v, n, &list, NULL), -1);
}

static void
test_classify(void **state)
{
	struct aliasfmt_dest d;
	char buf[32];
	const char *why = NULL;

	(void)state;
	assert_int_equal(aliasfmt_classify("\\bob", 4, buf, 5, &d, &why), 0);
	assert_int_equal(d.type, ALIASFMT_USER);
	assert_int_equal(d.final, 1);
	assert_ptr_equal(d.value, buf);
	assert_string_equal(buf, "bob");
	/* the buffer must hold len + 1 */
	assert_int_equal(aliasfmt_classify("\\bob", 4, buf, 4, &d, &why), -1);
	assert_int_equal(aliasfmt_classify("", 0, buf, 1, &d, &why), -1);
	assert_int_equal(aliasfmt_classify("a\\", 2, buf, 3, &d, &why), -1);
	assert_string_equal(why, "trailing backslash");
	assert_int_equal(aliasfmt_classify("a\nb", 3, buf, 4, &d, &why), -1);
	assert_string_equal(why, "control character");
	assert_int_equal(aliasfmt_classify("error:550 5.1.1 x", 17, buf,
	    sizeof(buf), &d, &why), 0);
	assert_int_equal(d.type, ALIASFMT_ERROR);
	assert_int_equal(d.code, 550);
	assert_string_equal(d.enhanced, "5.1.1");
	assert_string_equal(d.value, "x");
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(aliasfmt_type_name(ALIASFMT_ERROR), "error");
	assert_string_equal(aliasfmt_type_name(ALIASFMT_INCLUDE), "include");
	assert_string_equal(aliasfmt_type_name(ALIASFMT_PIPE), "pipe");
	assert_string_equal(aliasfmt_type_name(ALIASFMT_FILE), "file");
	assert_string_equal(aliasfmt_type_name(ALIASFMT_ADDRESS), "address");
	assert_string_equal(aliasfmt_type_name(ALIASFMT_USER), "user");
	assert_string_equal(aliasfmt_type_name((enum aliasfmt_type)0), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_entry_check),
		cmocka_unit_test(test_error_length),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_type_names),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * table_test.c: unit tests for aliases/table*.c. The text format of
 * tables.md section 2 (good files and every error with its exact
 * FILE:LINE message, duplicates, continuation, `# @list`, aliases-format
 * continuation), the file: and inline: backends through the table API
 * (load errors, checks against the config's uses, tri-state lookups, key
 * folding, reload) and userinfo values. The db: backend is tested in
 * table_db_test.c.
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


struct good {
	const char	*name;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 flags;
	enum table_kind	 kind;
	size_t		 count;
	struct kv	 kv[6];
	const char	*warning;	/* expected warning, or NULL */
};

struct bad {
	const char	*name;
	const char	*text;
	size_t		 len;
	int		 flags;
	const char	*err;
};



/* ------------------------------------------------------------ text format */

static const struct good goods[] = {
	{ "mapping", "# mapping\nalice:   alice@example.net\n"
	    "bob      bob@example.net\n[::1]    localhost\n", 0, 0,
	    TABLE_KIND_MAPPING, 3, { { "alice", "alice@example.net" },
	    { "bob", "bob@example.net" }, { "[::1]", "localhost" } }, NULL },
	{ "list", "# @list\nexample.org\n*.example.org\n", 0, 0,
	    TABLE_KIND_LIST, 2, { { "example.org", NULL },
	    { "*.example.org", NULL } }, NULL },
	{ "list-by-first", "Example.ORG\nfoo bar\n", 0, 0, TABLE_KIND_LIST, 2,
	    { { "example.org", NULL }, { "foo bar", NULL } }, NULL },
	{ "forced-list", "\n  # @list  \nfoo bar\nbaz: qux\n", 0, 0,
	    TABLE_KIND_LIST, 2, { { "foo bar", NULL }, { "baz: qux", NULL } },
	    NULL },
	{ "list-comment-late", "a: 1\n# @list\nb: 2\n", 0, 0,
	    TABLE_KIND_MAPPING, 2, { { "a", "1" }, { "b", "2" } }, NULL },
	{ "fold-keys-not-values", "KEY  Value With  Spaces  \n", 0, 0,
	    TABLE_KIND_MAPPING, 1, { { "key", "Value With  Spaces" } }, NULL },
	{ "tab-and-colon", "a\tb\nc:d\ne:\t \tf g\n", 0, 0,
	    TABLE_KIND_MAPPING, 3, { { "a", "b" }, { "c", "d" },
	    { "e", "f g" } }, NULL },
	{ "hash-not-comment", "alice: a # not a comment\n", 0, 0,
	    TABLE_KIND_MAPPING, 1, { { "alice", "a # not a comment" } }, NULL },
	{ "continuation", "alice: a\\\n  b\nbob: c\n", 0, 0,
	    TABLE_KIND_MAPPING, 2, { { "alice", "a  b" }, { "bob", "c" } },
	    NULL },
	{ "continuation-crlf", "alice: a\\\r\nb\r\nbob: c\r\n", 0, 0,
	    TABLE_KIND_MAPPING, 2, { { "alice", "ab" }, { "bob", "c" } }, NULL },
	{ "escaped-backslash", "alice: a\\\\\nbob: b\n", 0, 0,
	    TABLE_KIND_MAPPING, 2, { { "alice", "a\\\\" }, { "bob", "b" } },
	    NULL },
	{ "continuation-at-eof", "a: b\\", 0, 0, TABLE_KIND_MAPPING, 1,
	    { { "a", "b" } }, NULL },
	{ "no-final-newline", "a: b\nc: d", 0, 0, TABLE_KIND_MAPPING, 2,
	    { { "a", "b" }, { "c", "d" } }, NULL },
	{ "crlf", "alice: a\r\nbob: b\r\n\r\n", 0, 0, TABLE_KIND_MAPPING, 2,
	    { { "alice", "a" }, { "bob", "b" } }, NULL },
	{ "duplicate", "a: 1\nA: 2\n", 0, 0, TABLE_KIND_MAPPING, 1,
	    { { "a", "2" } }, "t:2: duplicate entry for a" },
	{ "duplicate-list", "x\nX\n", 0, 0, TABLE_KIND_LIST, 1,
	    { { "x", NULL } }, "t:2: duplicate entry for x" },
	{ "empty", "", 0, 0, TABLE_KIND_LIST, 0, { { NULL, NULL } }, NULL },
	{ "only-comments", "# a\n\n   \n#b\n", 0, 0, TABLE_KIND_LIST, 0,
	    { { NULL, NULL } }, NULL },
	{ "netaddr-list", "[2001:db8::]/32\n[::1]\n192.0.2.0/24\n", 0, 0,
	    TABLE_KIND_LIST, 3, { { "[2001:db8::]/32", NULL },
	    { "[::1]", NULL }, { "192.0.2.0/24", NULL } }, NULL },
	{ "bracket-key-value", "[::1]:v\n", 0, 0, TABLE_KIND_MAPPING, 1,
	    { { "[::1]", "v" } }, NULL },
	{ "colon-only-list", "a:\n", 0, 0, TABLE_KIND_LIST, 1,
	    { { "a:", NULL } }, NULL },
	{ "utf8", "\xc3\x84" "Bc: V\xc3\xa4" "lue\n", 0, 0, TABLE_KIND_MAPPING, 1,
	    { { "\xc3\x84" "bc", "V\xc3\xa4lue" } }, NULL },
	{ "set", "a b c\nd\n", 0, TABLE_PARSE_SET, TABLE_KIND_LIST, 2,
	    { { "a b c", NULL }, { "d", NULL } }, NULL },
	{ "aliases", "staff:   alice, bob,\n   carol@example.net  # c\n"
	    "root: alice\n", 0, TABLE_PARSE_ALIASES, TABLE_KIND_MAPPING, 2,
	    { { "staff", "alice, bob, carol@example.net  # c" },
	    { "root", "alice" } }, NULL },
	{ "aliases-comment-between", "a: x\n  # c\n\n\ty\nb: z\n", 0,
	    TABLE_PARSE_ALIASES, TABLE_KIND_MAPPING, 2, { { "a", "x y" },
	    { "b", "z" } }, NULL },
	{ "aliases-lead-first", "  a: x\n b\n", 0, TABLE_PARSE_ALIASES,
	    TABLE_KIND_MAPPING, 1, { { "a", "x b" } }, NULL },
	{ "no-aliases-lead", "a: x\n  b: y\n", 0, 0, TABLE_KIND_MAPPING, 2,
	    { { "a", "x" }, { "b", "y" } }, NULL },
};

static const struct bad bads[] = {
	{ "value-missing", "a: 1\nb\n", 0, 0, "t:2: invalid entry" },
	{ "value-missing-colon", "a: 1\n\nb:\n", 0, 0, "t:3: invalid entry" },
	{ "empty-key", "a: 1\n: x\n", 0, 0, "t:2: invalid entry" },
	{ "bracket", "[::1 x\n", 0, 0, "t:1: missing ']' in key" },
	{ "nul", "a: 1\n\nb: 2\0\n", 12, 0, "t:3: NUL byte in line" },
	{ "nul-continued", "a: 1\\\n\0\n", 8, 0, "t:2: NUL byte in line" },
	{ "utf8", "a: 1\nb: \xff\n", 0, 0, "t:2: invalid UTF-8" },
	{ "utf8-overlong", "\xc0\xaf\n", 0, 0, "t:1: invalid UTF-8" },
	{ "utf8-surrogate", "a: \xed\xa0\x80\n", 0, 0, "t:1: invalid UTF-8" },
	{ "strict-duplicate", "a: 1\nb: 2\nA: 3\n", 0, TABLE_PARSE_STRICT,
	    "t:3: duplicate entry for a" },
	{ "aliases-invalid", "a: x\n  y\nb\n", 0, TABLE_PARSE_ALIASES,
	    "t:3: invalid entry" },
};

static void
test_text_good(void **state)
{
	struct table_mem *mem;
	enum table_kind kind;
	char err[TABLE_ERR_MAX];
	const char *value;
	size_t i, j, len;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		nwarnings = 0;
		len = g->len ? g->len : strlen(g->text);
		if (table_text_parse("t", g->text, len, g->flags, &mem, &kind,
		    err, sizeof(err)) == -1)
			fail_msg("%s: %s", g->name, err);
		if (kind != g->kind || table_mem_count(mem) != g->count)
			fail_msg("%s: kind %d count %zu", g->name, kind,
			    table_mem_count(mem));
		for (j = 0; j < g->count; j++) {
			if (!table_mem_get(mem, g->kv[j].key, &value, NULL))
				fail_msg("%s: no key \"%s\"", g->name,
				    g->kv[j].key);
			if (g->kv[j].value == NULL)
				assert_null(value);
			else if (value == NULL ||
			    strcmp(value, g->kv[j].value) != 0)
				fail_msg("%s: %s -> \"%s\"", g->name,
				    g->kv[j].key, value ? value : "(null)");
		}
		if (g->warning != NULL) {
			assert_int_equal(nwarnings, 1);
			assert_string_equal(warnings[0], g->warning);
		} else if (nwarnings != 0)
			fail_msg("%s: warning %s", g->name, warnings[0]);
		table_mem_free(mem);
	}
}

static void
test_text_bad(void **state)
{
	struct table_mem *mem;
	enum table_kind kind;
	char err[TABLE_ERR_MAX];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		len = b->len ? b->len : strlen(b->text);
		err[0] = '\0';
		if (table_text_parse("t", b->text, len, b->flags, &mem, &kind,
		    err, sizeof(err)) == 0)
			fail_msg("%s: parsed", b->name);
		assert_null(mem);
		if (strcmp(err, b->err) != 0)
			fail_msg("%s: \"%s\", expected \"%s\"", b->name, err,
			    b->err);
	}
}

/* 65535 bytes is the longest logical line, joined or not. */
static void
test_text_long_lines(void **state)
{
	struct table_mem *mem;
	enum table_kind kind;
	char err[TABLE_ERR_MAX], *buf;
	size_t n = TABLE_LINE_MAX;

	(void)state;
	buf = xmalloc(n + 64);
	memset(buf, 'a', n);
	buf[n] = '\n';
	if (table_text_parse("t", buf, n + 1, 0, &mem, &kind, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(table_mem_count(mem), 1);
	table_mem_free(mem);

	buf[n] = 'a';
	buf[n + 1] = '\n';
	assert_int_equal(table_text_parse("t", buf, n + 2, 0, &mem, &kind,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t:1: line too long");

	/* Joined: reported where the logical line starts. */
	memcpy(buf, "x: 1\nk: v\\\n", 11);
	memset(buf + 11, 'b', n - 20);
	/* "k: v" + (n - 20) + 20 = n + 4 bytes joined */
	memcpy(buf + 11 + n - 20, "\\\ncccccccccccccccccccc\n", 23);
	assert_int_equal(table_text_parse("t", buf, 11 + n - 20 + 23, 0, &mem,
	    &kind, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2: line too long");
	free(buf);
}

/* ------------------------------------------------------------ file: */

static void
test_file_backend(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[TABLE_ERR_MAX], *value, key[TABLE_KEY_MAX + 2];

	(void)state;
	decl_init(&d, TABLE_FILE, "aliases", TABLE_USE_ALIAS);
	d.path = path_of("aliases");
	write_file(d.path, "Root: Alice\npostmaster: root\n", 0644);
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	assert_int_equal(table_kind(t), TABLE_KIND_MAPPING);
	assert_string_equal(table_name(t), "aliases");

	assert_int_equal(table_lookup(t, "ROOT", &value), TABLE_FOUND);
	assert_string_equal(value, "Alice");
	free(value);
	assert_int_equal(table_lookup(t, "postmaster", NULL), TABLE_FOUND);
	assert_int_equal(table_lookup(t, "alice", &value), TABLE_NOTFOUND);
	assert_null(value);
	/* A key over 1024 bytes is a temporary failure, not "not found". */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(table_lookup(t, key, NULL), TABLE_TEMPFAIL);
	key[TABLE_KEY_MAX] = '\0';
	assert_int_equal(table_lookup(t, key, NULL), TABLE_NOTFOUND);

	/* Reload: new contents replace the old only if they load. */
	write_file(d.path, "root: bob\n", 0644);
	assert_int_equal(table_reload(t, err, sizeof(err)), 0);
	assert_int_equal(table_lookup(t, "root", &value), TABLE_FOUND);
	assert_string_equal(value, "bob");
	free(value);
	assert_int_equal(table_lookup(t, "postmaster", NULL), TABLE_NOTFOUND);
	write_file(d.path, "root: carol\nbroken\n", 0644);
	assert_int_equal(table_reload(t, err, sizeof(err)), -1);
	snprintf(key, sizeof(key), "%s:2: invalid entry", d.path);
	assert_string_equal(err, key);
	assert_int_equal(table_lookup(t, "root", &value), TABLE_FOUND);
	assert_string_equal(value, "bob");
	free(value);
	table_close(t);
}

/* Aliases-format continuation only for tables used as alias/virtual. */
static void
test_file_aliases_format(void **state)
{
	struct table_decl d;
	struct table *t;
	char err[TABLE_ERR_MAX], want[TABLE_ERR_MAX], *value;

	(void)state;
	decl_init(&d, TABLE_FILE, "vusers", TABLE_USE_VIRTUAL);
	d.path = path_of("vusers");
	write_file(d.path, "staff@example.org: alice,\n  bob\n", 0644);
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	assert_int_equal(table_lookup(t, "staff@example.org", &value),
	    TABLE_FOUND);
	assert_string_equal(value, "alice, bob");
	free(value);
	table_close(t);

	/* The same file as a plain mapping: "  bob" is an entry of its own. */
	decl_init(&d, TABLE_FILE, "map", TABLE_USE_RELAYAUTH);
	d.path = path_of("vusers");
	snprintf(want, sizeof(want), "%s:2: invalid entry", d.path);
	expect_open_err(&d, want);
}

static void
test_file_errors(void **state)
{
	struct table_decl d;
	char want[TABLE_ERR_MAX];

	(void)state;
	decl_init(&d, TABLE_FILE, "aliases", TABLE_USE_ALIAS);
	d.path = path_of("nonexistent");
	snprintf(want, sizeof(want), "smtpd.conf:3: aliases: %s: No such file "
	    "or directory", d.path);
	expect_open_err(&d, want);

	d.path = tdir;
	snprintf(want, sizeof(want), "smtpd.conf:3: aliases: %s: not a regular "
	    "file", d.path);
	expect_open_err(&d, want);

	/* A list cannot serve mapping lookups (the parser's message). */
	d.path = path_of("list");
	write_file(d.path, "a\nb\n", 0644);
	expect_open_err(&d, "smtpd.conf:3: table \"aliases\" may not be used "
	    "for alias lookups");
	d.uses = TABLE_USE_DOMAIN | TABLE_USE_USERINFO;
	expect_open_err(&d, "smtpd.conf:3: table \"aliases\" may not be used "
	    "for userinfo lookups");

	d.path = path_of("content");
	write_file(d.path, "a: 1\nb\n", 0644);
	d.uses = TABLE_USE_ALIAS;
	snprintf(want, sizeof(want), "%s:2: invalid entry", d.path);
	expect_open_err(&d, want);
}

/* Contents checked against what the table is used for. */
static void
test_file_uses(void **state)
{
	struct table_decl d;
	struct table *t;
	char want[TABLE_ERR_MAX], err[TABLE_ERR_MAX];

	(void)state;
	decl_init(&d, TABLE_FILE, "nets", TABLE_USE_NETADDR);
	d.path = path_of("nets");
	write_file(d.path, "192.0.2.0/24\n[2001:db8::]/32\n::1\nlocal\n"
	    "10.0.0.300\n10.0.0.0/33\n", 0644);
	snprintf(want, sizeof(want), "%s:5: invalid network address "
	    "10.0.0.300", d.path);
	expect_open_err(&d, want);
	write_file(d.path, "192.0.2.0/24\n[2001:db8::]/32\n::1\nlocal\n"
	    "[IPv6:2001:db8::1]\n", 0644);
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	table_close(t);

	decl_init(&d, TABLE_FILE, "users", TABLE_USE_USERINFO);
	d.path = path_of("users");
	write_file(d.path, "joe 1000:100:/home/joe\njack 1000:100:home\n",
	    0644);
	snprintf(want, sizeof(want), "%s:2: invalid userinfo entry for jack",
	    d.path);
	expect_open_err(&d, want);
	write_file(d.path, "joe 1000:100:/home/joe\nroot 0:0:/root\n", 0644);
	snprintf(want, sizeof(want), "%s:2: uid 0 not allowed for root",
	    d.path);
	expect_open_err(&d, want);

	decl_init(&d, TABLE_FILE, "secrets", TABLE_USE_RELAYAUTH);
	d.path = path_of("secrets");
	write_file(d.path, "label user:pass:word\nother nocolon\n", 0640);
	snprintf(want, sizeof(want), "%s:2: invalid credentials entry for "
	    "other", d.path);
	expect_open_err(&d, want);

	decl_init(&d, TABLE_FILE, "passwd", TABLE_USE_CREDENTIALS);
	d.path = path_of("passwd");
	write_file(d.path, "alice $argon2id$v=19$m=65536,t=2,p=1$x$y\n"
	    "bob plaintext\n", 0644);
	snprintf(want, sizeof(want), "smtpd.conf:3: passwd: %s: credentials "
	    "table is world-readable", d.path);
	expect_open_err(&d, want);
	assert_int_equal(chmod(d.path, 0640), 0);
	nwarnings = 0;
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	assert_int_equal(nwarnings, 1);
	snprintf(want, sizeof(want), "%s:2: bob is not a password hash, the "
	    "entry never authenticates", d.path);
	assert_string_equal(warnings[0], want);
	table_close(t);
}

/* ------------------------------------------------------------ inline */

static void
test_inline(void **state)
{
	struct table_entry list[] = { { "Example.ORG", NULL },
	    { "*.example.net", NULL } };
	struct table_entry map[] = { { "Joe", "1000:100:/home/joe" },
	    { "jack", "0:0:/root" } };
	struct table_entry dup[] = { { "a.example", NULL },
	    { "A.Example", NULL } };
	struct table_decl d;
	struct table *t;
	char err[TABLE_ERR_MAX], *value;

	(void)state;
	decl_init(&d, TABLE_INLINE, "", TABLE_USE_DOMAIN);
	d.kind = TABLE_KIND_LIST;
	d.entries = list;
	d.nentries = 2;
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	assert_int_equal(table_lookup(t, "example.org", &value), TABLE_FOUND);
	assert_null(value);
	assert_int_equal(table_lookup(t, "EXAMPLE.NET", NULL), TABLE_NOTFOUND);
	assert_int_equal(table_reload(t, err, sizeof(err)), 0);
	table_close(t);

	d.entries = dup;
	nwarnings = 0;
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	assert_int_equal(nwarnings, 1);
	assert_string_equal(warnings[0], "smtpd.conf:3: duplicate entry for "
	    "a.example");
	table_close(t);
	d.entries = list;

	d.uses = TABLE_USE_ALIAS;
	expect_open_err(&d, "smtpd.conf:3: inline table may not be used for "
	    "alias lookups");

	decl_init(&d, TABLE_INLINE, "ub", TABLE_USE_USERINFO);
	d.kind = TABLE_KIND_MAPPING;
	d.entries = map;
	d.nentries = 2;
	expect_open_err(&d, "smtpd.conf:3: ub: uid 0 not allowed for jack");
	d.nentries = 1;
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	assert_int_equal(table_lookup(t, "joe", &value), TABLE_FOUND);
	assert_string_equal(value, "1000:100:/home/joe");
	free(value);
	table_close(t);
}

/* ------------------------------------------------------------ db: */

static void
test_userinfo(void **state)
{
	struct table_userinfo ui;
	const char *why;

	(void)state;
	assert_int_equal(table_userinfo_parse("1000:100:/home/virtual/joe",
	    &ui, &why), 0);
	assert_int_equal(ui.uid, 1000);
	assert_int_equal(ui.gid, 100);
	assert_string_equal(ui.home, "/home/virtual/joe");
	assert_int_equal(table_userinfo_parse("0:0:/root", &ui, &why), -1);
	assert_string_equal(why, "uid 0 not allowed");
	assert_int_equal(table_userinfo_parse("1:1:rel", &ui, &why), -1);
	assert_int_equal(table_userinfo_parse("-1:1:/x", &ui, &why), -1);
	assert_int_equal(table_userinfo_parse("1:+1:/x", &ui, &why), -1);
	assert_int_equal(table_userinfo_parse("1:1", &ui, &why), -1);
	assert_int_equal(table_userinfo_parse("4294967295:1:/x", &ui, &why),
	    -1);
	assert_int_equal(table_userinfo_parse("", &ui, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_good),
		cmocka_unit_test(test_text_bad),
		cmocka_unit_test(test_text_long_lines),
		cmocka_unit_test(test_file_backend),
		cmocka_unit_test(test_file_aliases_format),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_uses),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_userinfo),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}

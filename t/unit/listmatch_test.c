/*
 * listmatch_test.c: unit tests for aliases/listmatch.c (tables.md
 * section 7 and 8). Every case is checked twice: with the pure entry
 * matcher, and through a real table holding that one entry (so the
 * lookup-key generation of domain and mailaddr lists agrees with the
 * definition). Then multi-entry tables, IDNA, and table errors turning
 * into TABLE_TEMPFAIL.
 */
#include <sys/socket.h>

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

#include "aliases/listmatch.h"
#include "aliases/table.h"

enum kind { DOM, NET, MAIL, USER };

struct lm_case {
	enum kind	 kind;
	const char	*entry;
	const char	*cand;
	int		 match;
};

static const struct lm_case cases[] = {
	/* domain lists */
	{ DOM, "example.org", "example.org", 1 },
	{ DOM, "example.org", "EXAMPLE.ORG", 1 },
	{ DOM, "Example.Org", "example.org", 1 },
	{ DOM, "example.org", "example.org.", 1 },
	{ DOM, "example.org", "www.example.org", 0 },
	{ DOM, "example.org", "example.or", 0 },
	{ DOM, "*.example.org", "www.example.org", 1 },
	{ DOM, "*.example.org", "a.b.example.org", 1 },
	{ DOM, "*.example.org", "WWW.Example.ORG.", 1 },
	{ DOM, "*.example.org", "example.org", 0 },
	{ DOM, "*.example.org", "badexample.org", 0 },
	{ DOM, "*.example.org", "example.org.evil", 0 },
	{ DOM, "*.org", "example.org", 1 },
	{ DOM, "[192.0.2.1]", "[192.0.2.1]", 1 },
	{ DOM, "*.1]", "[192.0.2.1]", 0 },
	{ DOM, "example.org", "", 0 },
	{ DOM, "\xc3\x84.example", "\xc3\x84.EXAMPLE", 1 },

	/* netaddr lists */
	{ NET, "192.0.2.1", "192.0.2.1", 1 },
	{ NET, "192.0.2.1", "192.0.2.2", 0 },
	{ NET, "192.0.2.0/24", "192.0.2.200", 1 },
	{ NET, "192.0.2.0/24", "192.0.3.1", 0 },
	{ NET, "192.0.2.128/25", "192.0.2.127", 0 },
	{ NET, "192.0.2.128/25", "192.0.2.129", 1 },
	{ NET, "192.0.2.0/31", "192.0.2.1", 1 },
	{ NET, "192.0.2.0/31", "192.0.2.2", 0 },
	{ NET, "0.0.0.0/0", "203.0.113.9", 1 },
	{ NET, "10.1.2.3/8", "10.200.0.1", 1 },
	{ NET, "[192.0.2.1]", "192.0.2.1", 1 },
	{ NET, "192.0.2.0/24", "::ffff:192.0.2.7", 1 },
	{ NET, "::ffff:192.0.2.0/120", "192.0.2.9", 1 },
	{ NET, "::ffff:192.0.2.1", "192.0.2.1", 1 },
	{ NET, "2001:db8::1", "2001:db8::1", 1 },
	{ NET, "[2001:db8::1]", "2001:DB8:0::1", 1 },
	{ NET, "[IPv6:2001:db8::1]", "2001:db8::1", 1 },
	{ NET, "[ipv6:2001:db8::1]", "2001:db8::2", 0 },
	{ NET, "[2001:db8::]/32", "2001:db8:ffff::1", 1 },
	{ NET, "2001:db8::/32", "2001:db9::1", 0 },
	{ NET, "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ NET, "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ NET, "::/0", "2001:db8::1", 1 },
	{ NET, "::/0", "192.0.2.1", 0 },
	{ NET, "0.0.0.0/0", "2001:db8::1", 0 },
	{ NET, "fe80::/10", "fe80::1%eth0", 1 },
	{ NET, "::1", "::1", 1 },
	{ NET, "local", "local", 1 },
	{ NET, "LOCAL", "local", 1 },
	{ NET, "local", "127.0.0.1", 0 },
	{ NET, "127.0.0.1", "local", 0 },
	{ NET, "192.0.2.0/33", "192.0.2.1", 0 },
	{ NET, "192.0.2.0/-1", "192.0.2.1", 0 },
	{ NET, "192.0.2.0/", "192.0.2.1", 0 },
	{ NET, "192.0.2.0/0024", "192.0.2.1", 0 },
	{ NET, "300.1.1.1", "300.1.1.1", 0 },
	{ NET, "[::1", "::1", 0 },
	{ NET, "[::1]x", "::1", 0 },
	{ NET, "2001:db8::/129", "2001:db8::1", 0 },
	{ NET, "192.0.2.1", "192.0.2.1/32", 0 },
	{ NET, "192.0.2.1", "", 0 },

	/* mailaddr lists */
	{ MAIL, "@", "anyone@example.org", 1 },
	{ MAIL, "@", "", 1 },
	{ MAIL, "@example.org", "bob@example.org", 1 },
	{ MAIL, "@example.org", "bob@EXAMPLE.org", 1 },
	{ MAIL, "@EXAMPLE.org", "bob@Example.ORG", 1 },
	{ MAIL, "@example.org", "bob@sub.example.org", 0 },
	{ MAIL, "@example.org", "", 0 },
	{ MAIL, "@*.example.org", "bob@sub.example.org", 1 },
	{ MAIL, "@*.example.org", "bob@example.org", 0 },
	{ MAIL, "bob", "bob@anywhere.test", 1 },
	{ MAIL, "bob", "BOB+tag@x.example", 1 },
	{ MAIL, "bob", "bobby@x.example", 0 },
	{ MAIL, "bob", "", 0 },
	{ MAIL, "bob@example.org", "Bob@Example.Org", 1 },
	{ MAIL, "bob@example.org", "bob+tag@example.org", 1 },
	{ MAIL, "bob@example.org", "bob@example.net", 0 },
	{ MAIL, "bob@example.org", "alice@example.org", 0 },
	{ MAIL, "bob+tag@example.org", "bob+tag@example.org", 1 },
	{ MAIL, "bob+tag@example.org", "BOB+TAG@example.org", 1 },
	{ MAIL, "bob+tag@example.org", "bob@example.org", 0 },
	{ MAIL, "bob+tag@example.org", "bob+other@example.org", 0 },
	{ MAIL, "bob+tag", "bob+tag@example.org", 1 },
	{ MAIL, "bob@*.example.org", "bob@a.example.org", 1 },
	{ MAIL, "bob@*.example.org", "bob+x@a.b.example.org", 1 },
	{ MAIL, "bob@*.example.org", "bob@example.org", 0 },
	{ MAIL, "bob@*.example.org", "carol@a.example.org", 0 },
	{ MAIL, "postmaster", "postmaster", 1 },
	{ MAIL, "postmaster", "PostMaster@example.org", 1 },
	{ MAIL, "@example.org", "postmaster", 0 },
	{ MAIL, "+tag", "+tag@example.org", 1 },
	{ MAIL, "bob@[192.0.2.1]", "bob@[192.0.2.1]", 1 },
	{ MAIL, "@example.org", "not an address", 0 },
	{ MAIL, "@", "not an address", 1 },

	/* user lists */
	{ USER, "alice", "alice", 1 },
	{ USER, "alice", "ALICE", 1 },
	{ USER, "Alice", "alice", 1 },
	{ USER, "alice", "alicia", 0 },
	{ USER, "alice", "", 0 },
};

static char	tdir[] = "/tmp/listmatch_test.XXXXXX";

static int	entry_match(const struct lm_case *);
static enum table_result table_match(struct table *, const struct lm_case *);
static struct table *inline_table(struct table_decl *, struct table_entry *,
		    size_t);

static int
entry_match(const struct lm_case *c)
{
	switch (c->kind) {
	case DOM:
		return listmatch_domain_entry(c->entry, c->cand);
	case NET:
		return listmatch_netaddr_entry(c->entry, c->cand);
	case MAIL:
		return listmatch_mailaddr_entry(c->entry, c->cand, '+');
	case USER:
		return listmatch_user_entry(c->entry, c->cand);
	}
	return -1;
}

static enum table_result
table_match(struct table *t, const struct lm_case *c)
{
	switch (c->kind) {
	case DOM:
		return listmatch_domain(t, c->cand);
	case NET:
		return listmatch_netaddr(t, c->cand);
	case MAIL:
		return listmatch_mailaddr(t, c->cand, '+');
	case USER:
		return listmatch_user(t, c->cand);
	}
	return TABLE_TEMPFAIL;
}

static struct table *
inline_table(struct table_decl *d, struct table_entry *e, size_t n)
{
	char err[TABLE_ERR_MAX];
	struct table *t;

	memset(d, 0, sizeof(*d));
	strlcpy(d->name, "t", sizeof(d->name));
	d->backend = TABLE_INLINE;
	d->kind = TABLE_KIND_LIST;
	d->entries = e;
	d->nentries = n;
	if ((t = table_open(d, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return t;
}

static void
test_cases(void **state)
{
	struct table_decl d;
	struct table_entry e;
	struct table *t;
	enum table_result r;
	size_t i;
	int m;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lm_case *c = &cases[i];

		if ((m = entry_match(c)) != c->match)
			fail_msg("case %zu: entry \"%s\" cand \"%s\": %d", i,
			    c->entry, c->cand, m);
		e.key = (char *)(uintptr_t)c->entry;
		e.value = NULL;
		t = inline_table(&d, &e, 1);
		r = table_match(t, c);
		if (r != (c->match ? TABLE_FOUND : TABLE_NOTFOUND))
			fail_msg("case %zu: table \"%s\" cand \"%s\": %d", i,
			    c->entry, c->cand, r);
		table_close(t);
	}
}

/* Several entries: the first that matches is enough, in any order. */
static void
test_multi(void **state)
{
	struct table_entry e[] = { { "example.org", NULL },
	    { "*.example.net", NULL }, { "192.0.2.0/24", NULL },
	    { "[2001:db8::]/32", NULL }, { "@example.com", NULL },
	    { "bob", NULL }, { "alice@*.example.edu", NULL } };
	struct table_decl d;
	struct table *t;

	(void)state;
	t = inline_table(&d, e, sizeof(e) / sizeof(e[0]));
	assert_int_equal(listmatch_domain(t, "example.org"), TABLE_FOUND);
	assert_int_equal(listmatch_domain(t, "mx.example.net"), TABLE_FOUND);
	assert_int_equal(listmatch_domain(t, "example.net"), TABLE_NOTFOUND);
	assert_int_equal(listmatch_netaddr(t, "192.0.2.9"), TABLE_FOUND);
	assert_int_equal(listmatch_netaddr(t, "2001:db8::25"), TABLE_FOUND);
	assert_int_equal(listmatch_netaddr(t, "198.51.100.1"), TABLE_NOTFOUND);
	assert_int_equal(listmatch_mailaddr(t, "x@example.com", '+'),
	    TABLE_FOUND);
	assert_int_equal(listmatch_mailaddr(t, "bob+x@example.de", '+'),
	    TABLE_FOUND);
	assert_int_equal(listmatch_mailaddr(t, "alice@cs.example.edu", '+'),
	    TABLE_FOUND);
	assert_int_equal(listmatch_mailaddr(t, "alice@example.edu", '+'),
	    TABLE_NOTFOUND);
	/* Another sub-address delimiter. */
	assert_int_equal(listmatch_mailaddr(t, "bob-x@example.de", '-'),
	    TABLE_FOUND);
	assert_int_equal(listmatch_mailaddr(t, "bob-x@example.de", '+'),
	    TABLE_NOTFOUND);
	assert_int_equal(listmatch_mailaddr_entry("bob", "bob-x@x.de", '-'), 1);
	table_close(t);
}

/* U-label candidates are looked up in A-label form too. */
static void
test_idna(void **state)
{
	struct table_entry e[] = { { "xn--bcher-kva.example", NULL } };
	struct table_decl d;
	struct table *t;

	(void)state;
	t = inline_table(&d, e, 1);
	assert_int_equal(listmatch_domain(t, "b\xc3\xbc" "cher.example"),
	    TABLE_FOUND);
	assert_int_equal(listmatch_domain(t, "xn--bcher-kva.example"),
	    TABLE_FOUND);
	assert_int_equal(listmatch_domain(t, "bucher.example"),
	    TABLE_NOTFOUND);
	table_close(t);
}

static void
test_netaddr_parse(void **state)
{
	struct netaddr na;

	(void)state;
	assert_int_equal(listmatch_netaddr_parse("10.1.2.3/8", 1, &na), 0);
	assert_int_equal(na.family, AF_INET);
	assert_int_equal(na.bits, 8);
	assert_int_equal(na.addr[0], 10);
	assert_int_equal(na.addr[1], 0);
	assert_int_equal(listmatch_netaddr_parse("10.1.2.3/8", 0, &na), -1);
	assert_int_equal(listmatch_netaddr_parse("::ffff:10.1.2.3", 0, &na),
	    0);
	assert_int_equal(na.family, AF_INET);
	assert_int_equal(na.bits, 32);
	assert_int_equal(listmatch_netaddr_parse("[::1]/128", 1, &na), 0);
	assert_int_equal(na.family, AF_INET6);
	assert_int_equal(listmatch_netaddr_parse("local", 0, &na), 0);
	assert_int_equal(na.family, AF_UNSPEC);
	assert_int_equal(listmatch_netaddr_parse("", 1, &na), -1);
	assert_int_equal(listmatch_netaddr_parse("[]", 1, &na), -1);
	assert_int_equal(listmatch_netaddr_parse("example.org", 1, &na), -1);
}

/* A table that cannot answer makes every kind of list TEMPFAIL. */
static void
test_tempfail(void **state)
{
	char path[256], err[TABLE_ERR_MAX];
	struct table_decl d;
	struct table *t;
	TCHDB *hdb;

	(void)state;
	snprintf(path, sizeof(path), "%s/list.db", tdir);
	assert_non_null(hdb = tchdbnew());
	assert_true(tchdbopen(hdb, path, HDBOWRITER | HDBOCREAT | HDBOTRUNC));
	assert_true(tchdbput(hdb, "example.org", 11, "", 0));
	assert_true(tchdbput(hdb, "192.0.2.0/24", 12, "", 0));
	assert_true(tchdbput(hdb, "\0meta", 5, "version=1 type=set", 18));
	assert_true(tchdbclose(hdb));
	tchdbdel(hdb);

	memset(&d, 0, sizeof(d));
	strlcpy(d.name, "list", sizeof(d.name));
	d.backend = TABLE_DB;
	d.path = path;
	assert_non_null(t = table_open(&d, err, sizeof(err)));
	table_set_check_interval(t, 0);
	assert_int_equal(listmatch_domain(t, "a.example.org"), TABLE_NOTFOUND);
	assert_int_equal(listmatch_domain(t, "example.org"), TABLE_FOUND);
	assert_int_equal(listmatch_netaddr(t, "192.0.2.1"), TABLE_FOUND);
	assert_int_equal(listmatch_netaddr(t, "192.0.3.1"), TABLE_NOTFOUND);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(listmatch_domain(t, "example.org"), TABLE_TEMPFAIL);
	assert_int_equal(listmatch_domain(t, "other.test"), TABLE_TEMPFAIL);
	assert_int_equal(listmatch_netaddr(t, "192.0.2.1"), TABLE_TEMPFAIL);
	assert_int_equal(listmatch_mailaddr(t, "a@example.org", '+'),
	    TABLE_TEMPFAIL);
	assert_int_equal(listmatch_user(t, "alice"), TABLE_TEMPFAIL);
	table_close(t);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(tdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_idna),
		cmocka_unit_test(test_netaddr_parse),
		cmocka_unit_test(test_tempfail),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}

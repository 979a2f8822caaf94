/*
 * addr_test.c: unit tests of the one address parser (lib/addr.c,
 * lib/addr_domain.c) and the UTF-8 validator (lib/utf8.c). A table of
 * good and bad paths, mailboxes and domains with the expected verdict,
 * canonical parts, flags and consumed length; every good one is also
 * formatted and parsed again. TAP output for prove(1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/addr.h"
#include "lib/utf8.h"

#define GEN_SIZE	512	/* room for each generated long input */
#define LEN_STRLEN	((size_t)-1)

enum mode { PATH, MBOX, DOM };

struct addr_case {
	enum mode	 mode;
	const char	*in;
	size_t		 len;		/* LEN_STRLEN: strlen(in) */
	int		 opts;
	enum addr_result res;
	const char	*local;		/* expected, good paths/mailboxes */
	const char	*domain;
	int		 flags;
	size_t		 consumed;	/* PATH only */
};

/* Literal input with its exact length (it may hold NUL). */
#define S(x)		x, sizeof(x) - 1
/* Input generated at set-up time. */
#define G(x)		x, LEN_STRLEN

#define O_NULL		ADDR_OPT_NULL
#define O_PM		ADDR_OPT_POSTMASTER
#define O_UTF8		ADDR_OPT_UTF8
#define O_ALL		(O_NULL | O_PM | O_UTF8)

#define OK		ADDR_OK
#define SYN		ADDR_ESYNTAX
#define LONG		ADDR_ETOOLONG
#define U8		ADDR_EUTF8

static char	local64[65], local65[66];
static char	dom255[256], dom256[257], dom189[190];
static char	mbox_l64[GEN_SIZE], mbox_l65[GEN_SIZE];
static char	mbox_d255[GEN_SIZE], mbox_d256[GEN_SIZE];
static char	path256[GEN_SIZE], path257[GEN_SIZE];
static char	path_route257[GEN_SIZE];
static char	label63[64], label64[GEN_SIZE], label63dom[GEN_SIZE];
static char	quoted64[GEN_SIZE], quoted65[GEN_SIZE], quoted64_canon[63];

static const struct addr_case cases[] = {
	/* plain paths */
	{ PATH, S("<user@example.org>"), 0, OK, "user", "example.org", 0, 18 },
	{ PATH, S("<User.Name+tag@Example.ORG>"), 0, OK, "User.Name+tag",
	    "Example.ORG", 0, 27 },
	{ PATH, S("<u@x>"), 0, OK, "u", "x", 0, 5 },
	{ PATH, S("<u@a-b.123.org>"), 0, OK, "u", "a-b.123.org", 0, 15 },
	{ PATH, S("<!#$%&'*+-/=?^_`{|}~@x.org>"), 0, OK,
	    "!#$%&'*+-/=?^_`{|}~", "x.org", 0, 27 },
	{ PATH, S("<first.last@x.org>"), 0, OK, "first.last", "x.org", 0, 18 },
	/* null path and postmaster */
	{ PATH, S("<>"), O_NULL, OK, "", "", ADDR_NULL, 2 },
	{ PATH, S("<>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<> SIZE=100"), O_NULL, OK, "", "", ADDR_NULL, 2 },
	{ PATH, S("<>x"), O_NULL, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("< >"), O_NULL, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<postmaster>"), O_PM, OK, "postmaster", "", ADDR_NODOMAIN,
	    12 },
	{ PATH, S("<PostMaster>"), O_PM, OK, "PostMaster", "", ADDR_NODOMAIN,
	    12 },
	{ PATH, S("<postmaster>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"postmaster\">"), O_PM, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<postmasters>"), O_PM, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<Postmaster@example.org>"), 0, OK, "Postmaster",
	    "example.org", 0, 24 },
	{ PATH, S("<user>"), O_ALL, SYN, NULL, NULL, 0, 0 },
	/* source routes */
	{ PATH, S("<@a.example,@b.example:user@c.example>"), 0, OK, "user",
	    "c.example", ADDR_ROUTE, 38 },
	{ PATH, S("<@a.example:user@c.example> SIZE=1"), 0, OK, "user",
	    "c.example", ADDR_ROUTE, 27 },
	{ PATH, S("<@a.example,b.example:u@c>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@a.example:>"), O_ALL, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@a.example>"), O_ALL, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@[192.0.2.1]:u@c>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@a..b:u@c>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@:u@c>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@a:postmaster>"), O_PM, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@bücher.example:u@x.org>"), 0, U8, NULL, NULL, 0, 0 },
	{ PATH, S("<@bücher.example:u@x.org>"), O_UTF8, OK, "u", "x.org",
	    ADDR_ROUTE, 26 },
	/* parameters and trailing garbage */
	{ PATH, S("<user@example.org> SIZE=1000 BODY=8BITMIME"), 0, OK,
	    "user", "example.org", 0, 18 },
	{ PATH, S("<user@example.org>\tSIZE=1"), 0, OK, "user",
	    "example.org", 0, 18 },
	{ PATH, S("<user@example.org> "), 0, OK, "user", "example.org", 0,
	    18 },
	{ PATH, S("<user@example.org>x"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user@example.org>>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user@example.org>\r\n"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user@example.org"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user"), O_PM, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<postmaster"), O_PM, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<"), O_ALL, SYN, NULL, NULL, 0, 0 },
	{ PATH, S(""), O_ALL, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("user@example.org"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S(" <user@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	/* blanks, controls, NUL */
	{ PATH, S("<user @example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user@ example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<us er@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user@exa\0mple.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<us\0er@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user@example.org>\0"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<us\rer@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user@example.org\n>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<us\x7f""er@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"a\nb\"@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"a\0b\"@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	/* quoted local parts */
	{ PATH, S("<\"a b\"@x.org>"), 0, OK, "\"a b\"", "x.org", ADDR_QUOTED,
	    13 },
	{ PATH, S("<\"a\\\"b\"@x.org>"), 0, OK, "\"a\\\"b\"", "x.org",
	    ADDR_QUOTED, 14 },
	{ PATH, S("<\"john.doe\"@x.org>"), 0, OK, "john.doe", "x.org",
	    ADDR_QUOTED, 18 },
	{ PATH, S("<\"\\j\\o\\h\\n\"@x.org>"), 0, OK, "john", "x.org",
	    ADDR_QUOTED, 18 },
	{ PATH, S("<\"a\\ b\"@x.org>"), 0, OK, "\"a b\"", "x.org",
	    ADDR_QUOTED, 14 },
	{ PATH, S("<\"a\\\\b\"@x.org>"), 0, OK, "\"a\\\\b\"", "x.org",
	    ADDR_QUOTED, 14 },
	{ PATH, S("<\"a@b\"@x.org>"), 0, OK, "\"a@b\"", "x.org", ADDR_QUOTED,
	    13 },
	{ PATH, S("<\"a>b\"@x.org>"), 0, OK, "\"a>b\"", "x.org", ADDR_QUOTED,
	    13 },
	{ PATH, S("<\"a..b\"@x.org>"), 0, OK, "\"a..b\"", "x.org",
	    ADDR_QUOTED, 14 },
	{ PATH, S("<\"\"@x.org>"), 0, OK, "\"\"", "x.org", ADDR_QUOTED, 10 },
	{ PATH, S("<\"a\"b@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"a\".b@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"a@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"a\tb\"@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"a\\\tb\"@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\"a\\"), 0, SYN, NULL, NULL, 0, 0 },
	/* dots and local part characters */
	{ PATH, S("<.user@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<user.@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<us..er@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<.@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<a(b)@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<a,b@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<a\\b@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<@x.org>"), O_ALL, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@x@y.org>"), 0, SYN, NULL, NULL, 0, 0 },
	/* LDH domains */
	{ PATH, S("<u@-x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@x-.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@x..org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@.x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@x.org.>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@x_y.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@x/y.org>"), 0, SYN, NULL, NULL, 0, 0 },
	/* address literals */
	{ PATH, S("<u@[192.0.2.1]>"), 0, OK, "u", "[192.0.2.1]", ADDR_LITERAL,
	    15 },
	{ PATH, S("<u@[0.0.0.0]>"), 0, OK, "u", "[0.0.0.0]", ADDR_LITERAL,
	    13 },
	{ PATH, S("<u@[300.1.1.1]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[1.2.3]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[1.2.3.4.5]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[01.2.3.4]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[IPv6:2001:db8::1]>"), 0, OK, "u", "[IPv6:2001:db8::1]",
	    ADDR_LITERAL, 22 },
	{ PATH, S("<u@[ipv6:2001:DB8::1]>"), 0, OK, "u", "[IPv6:2001:DB8::1]",
	    ADDR_LITERAL, 22 },
	{ PATH, S("<u@[IPv6:::ffff:192.0.2.1]>"), 0, OK, "u",
	    "[IPv6:::ffff:192.0.2.1]", ADDR_LITERAL, 27 },
	{ PATH, S("<u@[IPv6:zz]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[IPv6:1::2::3]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[IPv6:fe80::1%eth0]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[IPv6:]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[2001:db8::1]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[x-tag:foo]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[]>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[192.0.2.1>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@[192.0.2.1]x>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@x.[192.0.2.1]>"), 0, SYN, NULL, NULL, 0, 0 },
	/* length limits */
	{ MBOX, G(mbox_l64), 0, OK, local64, "x.org", 0, 0 },
	{ MBOX, G(mbox_l65), 0, LONG, NULL, NULL, 0, 0 },
	{ MBOX, G(mbox_d255), 0, OK, "u", dom255, 0, 0 },
	{ MBOX, G(mbox_d256), 0, LONG, NULL, NULL, 0, 0 },
	{ PATH, G(path256), 0, OK, local64, dom189, 0, 256 },
	{ PATH, G(path257), 0, LONG, NULL, NULL, 0, 0 },
	{ PATH, G(path_route257), 0, LONG, NULL, NULL, 0, 0 },
	{ MBOX, G(label63dom), 0, OK, "u", label63, 0, 0 },
	{ MBOX, G(label64), 0, SYN, NULL, NULL, 0, 0 },
	{ MBOX, G(quoted64), 0, OK, quoted64_canon, "x", ADDR_QUOTED, 0 },
	{ MBOX, G(quoted65), 0, LONG, NULL, NULL, 0, 0 },
	{ DOM, G(dom255), 0, OK, NULL, NULL, 0, 0 },
	{ DOM, G(dom256), 0, LONG, NULL, NULL, 0, 0 },
	/* SMTPUTF8 */
	{ PATH, S("<jöran@example.org>"), 0, U8, NULL, NULL, 0, 0 },
	{ PATH, S("<jöran@example.org>"), O_UTF8, OK, "jöran", "example.org",
	    ADDR_UTF8, 20 },
	{ PATH, S("<user@bücher.example>"), 0, U8, NULL, NULL, 0, 0 },
	{ PATH, S("<user@bücher.example> SMTPUTF8"), O_UTF8, OK, "user",
	    "bücher.example", ADDR_UTF8, 22 },
	{ PATH, S("<δοκιμή@παράδειγμα.δοκιμή>"), O_UTF8, OK, "δοκιμή",
	    "παράδειγμα.δοκιμή", ADDR_UTF8, 48 },
	{ PATH, S("<\"jö ran\"@x.org>"), O_UTF8, OK, "\"jö ran\"", "x.org",
	    ADDR_QUOTED | ADDR_UTF8, 17 },
	{ PATH, S("<\"jö ran\"@x.org>"), 0, U8, NULL, NULL, 0, 0 },
	{ PATH, S("<\"\\ö\"@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@bücher..example>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\xc0\xafuser@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\xc0\xafuser@x.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@\xe0\x80\xaf.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\xed\xa0\x80@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<\xf4\x90\x80\x80@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u\xc3@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u\x80@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u\xc2\x85@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u\xff@x.org>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@ü-.example>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@ｅｘａｍｐｌｅ.com>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@a．b>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@\xe2\x80\x8b.com>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@٣.com>"), O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ PATH, S("<u@ab--cd.example>"), 0, OK, "u", "ab--cd.example", 0, 18 },
	/* bare mailboxes */
	{ MBOX, S("user@example.org"), 0, OK, "user", "example.org", 0, 0 },
	{ MBOX, S("\"a b\"@x.org"), 0, OK, "\"a b\"", "x.org", ADDR_QUOTED,
	    0 },
	{ MBOX, S("\"john.doe\"@x.org"), 0, OK, "john.doe", "x.org",
	    ADDR_QUOTED, 0 },
	{ MBOX, S(""), O_NULL, OK, "", "", ADDR_NULL, 0 },
	{ MBOX, S(""), O_PM | O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ MBOX, S("postmaster"), O_PM, OK, "postmaster", "", ADDR_NODOMAIN,
	    0 },
	{ MBOX, S("postmaster"), O_NULL | O_UTF8, SYN, NULL, NULL, 0, 0 },
	{ MBOX, S("<user@example.org>"), 0, SYN, NULL, NULL, 0, 0 },
	{ MBOX, S("user@example.org "), 0, SYN, NULL, NULL, 0, 0 },
	{ MBOX, S("user@example.org\n"), 0, SYN, NULL, NULL, 0, 0 },
	{ MBOX, S("user"), O_NULL, SYN, NULL, NULL, 0, 0 },
	{ MBOX, S("@a:user@x.org"), O_ALL, SYN, NULL, NULL, 0, 0 },
	{ MBOX, S("jöran@bücher.example"), O_UTF8, OK, "jöran",
	    "bücher.example", ADDR_UTF8, 0 },
	{ MBOX, S("jöran@bücher.example"), 0, U8, NULL, NULL, 0, 0 },
	{ MBOX, S("u@[IPv6:::1]"), 0, OK, "u", "[IPv6:::1]", ADDR_LITERAL,
	    0 },
	/* domains alone (HELO, config) */
	{ DOM, S("example.org"), 0, OK, NULL, NULL, 0, 0 },
	{ DOM, S("[192.0.2.1]"), 0, OK, NULL, NULL, ADDR_LITERAL, 0 },
	{ DOM, S("[IPv6:::1]"), 0, OK, NULL, NULL, ADDR_LITERAL, 0 },
	{ DOM, S("bücher.example"), 0, U8, NULL, NULL, 0, 0 },
	{ DOM, S("bücher.example"), O_UTF8, OK, NULL, NULL, ADDR_UTF8, 0 },
	{ DOM, S("exa mple.org"), 0, SYN, NULL, NULL, 0, 0 },
	{ DOM, S(""), 0, SYN, NULL, NULL, 0, 0 },
	{ DOM, S("example.org."), 0, SYN, NULL, NULL, 0, 0 },
};

static void	fill(char *, int, size_t);
static int	gen_setup(void **);
static size_t	case_len(const struct addr_case *);
static int	check_case(size_t, const struct addr_case *);
static int	check_roundtrip(size_t, const struct addr_case *,
		    const struct mailaddr *);
static void	test_table(void **);
static void	test_table_size(void **);
static void	test_format(void **);
static void	test_to_ascii(void **);
static void	test_utf8(void **);

static void
fill(char *p, int c, size_t n)
{
	memset(p, c, n);
	p[n] = '\0';
}

/* Builds the inputs at and around each length limit. */
static int
gen_setup(void **state)
{
	char a63[64], b63[64], c63[64], c59[60], c61[62], c62[63];
	char d62[63], d63[64], a64[65], q62[63], q63[64];

	(void)state;
	fill(local64, 'l', 64);
	fill(local65, 'l', 65);
	fill(a63, 'a', 63);
	fill(b63, 'b', 63);
	fill(c63, 'c', 63);
	fill(c59, 'c', 59);
	fill(c61, 'c', 61);
	fill(c62, 'c', 62);
	fill(d62, 'd', 62);
	fill(d63, 'd', 63);
	snprintf(dom255, sizeof(dom255), "%s.%s.%s.%s", a63, b63, c63, d63);
	snprintf(dom256, sizeof(dom256), "%s.%s.%s.%s.e", a63, b63, c63, d62);
	snprintf(dom189, sizeof(dom189), "%s.%s.%s", a63, b63, c61);
	snprintf(mbox_l64, GEN_SIZE, "%s@x.org", local64);
	snprintf(mbox_l65, GEN_SIZE, "%s@x.org", local65);
	snprintf(mbox_d255, GEN_SIZE, "u@%s", dom255);
	snprintf(mbox_d256, GEN_SIZE, "u@%s", dom256);
	/* 1 + 64 + 1 + 189 + 1 = 256 */
	snprintf(path256, GEN_SIZE, "<%s@%s>", local64, dom189);
	snprintf(path257, GEN_SIZE, "<%s@%s.%s.%s>", local64, a63, b63, c62);
	/* a route counts: 1 + 3 + 64 + 1 + 187 + 1 = 257 */
	snprintf(path_route257, GEN_SIZE, "<@r:%s@%s.%s.%s>", local64, a63,
	    b63, c59);
	fill(label63, 'a', 63);
	fill(a64, 'a', 64);
	snprintf(label64, GEN_SIZE, "u@%s.com", a64);
	snprintf(label63dom, GEN_SIZE, "u@%s", label63);
	/* quoted: 64 octets on the wire, canonical without quotes is 62 */
	fill(q62, 'q', 62);
	fill(q63, 'q', 63);
	snprintf(quoted64, GEN_SIZE, "\"%s\"@x", q62);
	snprintf(quoted65, GEN_SIZE, "\"%s\"@x", q63);
	snprintf(quoted64_canon, sizeof(quoted64_canon), "%s", q62);
	return 0;
}

static size_t
case_len(const struct addr_case *c)
{
	return c->len == LEN_STRLEN ? strlen(c->in) : c->len;
}

/* Formats a good address and parses it back as a mailbox. */
static int
check_roundtrip(size_t i, const struct addr_case *c,
    const struct mailaddr *a)
{
	struct mailaddr b;
	char buf[ADDR_MAILBOX_SIZE], buf2[ADDR_MAILBOX_SIZE];
	enum addr_result r;
	int n, mask = ADDR_ROUTE | ADDR_QUOTED;

	if ((n = addr_format(a, buf, sizeof(buf))) < 0) {
		print_error("case %zu: format failed\n", i);
		return 1;
	}
	r = addr_parse_mailbox(buf, (size_t)n, c->opts, &b);
	if (r != ADDR_OK || strcmp(a->local, b.local) != 0 ||
	    strcmp(a->domain, b.domain) != 0 ||
	    (a->flags & ~mask) != (b.flags & ~mask) ||
	    ((b.flags & ADDR_QUOTED) != 0) != (b.local[0] == '"') ||
	    addr_format(&b, buf2, sizeof(buf2)) != n ||
	    strcmp(buf, buf2) != 0) {
		print_error("case %zu: round trip of '%s' gave %d '%s'\n",
		    i, buf, r, b.local);
		return 1;
	}
	return 0;
}

static int
check_case(size_t i, const struct addr_case *c)
{
	struct mailaddr a;
	enum addr_result r;
	size_t consumed = 12345;
	int flags = -1, bad = 0;

	switch (c->mode) {
	case PATH:
		r = addr_parse_path(c->in, case_len(c), c->opts, &a,
		    &consumed);
		break;
	case MBOX:
		r = addr_parse_mailbox(c->in, case_len(c), c->opts, &a);
		break;
	default:
		r = addr_parse_domain(c->in, case_len(c), c->opts, &flags);
		break;
	}
	if (r != c->res) {
		print_error("case %zu '%.*s': result %d (%s), want %d\n", i,
		    (int)case_len(c), c->in, r, addr_result_str(r), c->res);
		return 1;
	}
	if (c->mode == DOM)
		return flags != (r == ADDR_OK ? c->flags : 0);
	if (c->mode == PATH && consumed != (r == ADDR_OK ? c->consumed : 0))
	{
		print_error("case %zu: consumed %zu, want %zu\n", i,
		    consumed, c->consumed);
		bad = 1;
	}
	if (r != ADDR_OK)
		return bad + (a.local[0] != '\0' || a.domain[0] != '\0' ||
		    a.flags != 0);
	if (strcmp(a.local, c->local) != 0 || strcmp(a.domain, c->domain) ||
	    a.flags != c->flags) {
		print_error("case %zu: got '%s' '%s' %#x, want '%s' '%s' %#x\n",
		    i, a.local, a.domain, a.flags, c->local, c->domain,
		    c->flags);
		bad++;
	}
	return bad + check_roundtrip(i, c, &a);
}

static void
test_table(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad += check_case(i, &cases[i]) != 0;
	assert_int_equal(bad, 0);
}

static void
test_table_size(void **state)
{
	(void)state;
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 60);
	/* the generated inputs sit where they claim to */
	assert_int_equal(strlen(local64), ADDR_LOCAL_MAX);
	assert_int_equal(strlen(local65), ADDR_LOCAL_MAX + 1);
	assert_int_equal(strlen(dom255), ADDR_DOMAIN_MAX);
	assert_int_equal(strlen(dom256), ADDR_DOMAIN_MAX + 1);
	assert_int_equal(strlen(path256), ADDR_PATH_MAX);
	assert_int_equal(strlen(path257), ADDR_PATH_MAX + 1);
	assert_int_equal(strlen(path_route257), ADDR_PATH_MAX + 1);
	assert_int_equal(strlen(label63), ADDR_LABEL_MAX);
	assert_int_equal(strlen(quoted64), ADDR_LOCAL_MAX + 2);
	assert_int_equal(strlen(quoted65), ADDR_LOCAL_MAX + 3);
}

static void
test_format(void **state)
{
	struct mailaddr a;
	char buf[ADDR_MAILBOX_SIZE];

	(void)state;
	assert_int_equal(addr_parse_mailbox(S("u@x.org"), 0, &a), ADDR_OK);
	assert_int_equal(addr_format(&a, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "u@x.org");
	assert_int_equal(addr_format(&a, buf, 8), 7);
	assert_int_equal(addr_format(&a, buf, 7), -1);
	assert_int_equal(addr_format(&a, NULL, 0), -1);
	assert_int_equal(addr_parse_path(S("<>"), O_NULL, &a, NULL), ADDR_OK);
	assert_int_equal(addr_format(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(addr_parse_path(S("<Postmaster>"), O_PM, &a, NULL),
	    ADDR_OK);
	assert_int_equal(addr_format(&a, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "Postmaster");
	/* the longest mailbox fits ADDR_MAILBOX_SIZE */
	memset(&a, 0, sizeof(a));
	fill(a.local, 'l', ADDR_LOCAL_MAX);
	fill(a.domain, 'd', ADDR_DOMAIN_MAX);
	assert_int_equal(addr_format(&a, buf, sizeof(buf)),
	    ADDR_MAILBOX_SIZE - 1);
}

static void
test_to_ascii(void **state)
{
	char out[ADDR_DOMAIN_MAX + 1];

	(void)state;
	assert_int_equal(addr_domain_to_ascii("Bücher.Example", out,
	    sizeof(out)), ADDR_OK);
	assert_string_equal(out, "xn--bcher-kva.example");
	assert_int_equal(addr_domain_to_ascii("faß.de", out, sizeof(out)),
	    ADDR_OK);
	assert_string_equal(out, "xn--fa-hia.de");
	assert_int_equal(addr_domain_to_ascii("παράδειγμα.δοκιμή", out,
	    sizeof(out)), ADDR_OK);
	assert_string_equal(out, "xn--hxajbheg2az3al.xn--jxalpdlp");
	assert_int_equal(addr_domain_to_ascii("EXAMPLE.Org", out,
	    sizeof(out)), ADDR_OK);
	assert_string_equal(out, "example.org");
	assert_int_equal(addr_domain_to_ascii("[IPv6:::1]", out,
	    sizeof(out)), ADDR_OK);
	assert_string_equal(out, "[IPv6:::1]");
	assert_int_equal(addr_domain_to_ascii("a..b", out, sizeof(out)),
	    ADDR_ESYNTAX);
	assert_string_equal(out, "");
	assert_int_equal(addr_domain_to_ascii("ü-.de", out, sizeof(out)),
	    ADDR_ESYNTAX);
	assert_int_equal(addr_domain_to_ascii("bücher.example", out, 10),
	    ADDR_ETOOLONG);
	assert_int_equal(addr_domain_to_ascii(dom255, out, sizeof(out)),
	    ADDR_OK);
	assert_int_equal(addr_domain_to_ascii(dom256, out, sizeof(out)),
	    ADDR_ETOOLONG);
}

static void
test_utf8(void **state)
{
	uint32_t cp;

	(void)state;
	assert_true(utf8_valid(S("")));
	assert_true(utf8_valid(S("plain ASCII")));
	assert_true(utf8_valid(S("jöran δοκιμή 日本 \xf0\x9f\x98\x80")));
	assert_true(utf8_valid(S("\xf4\x8f\xbf\xbf")));		/* U+10FFFF */
	assert_true(utf8_valid(S("\xed\x9f\xbf\xee\x80\x80")));	/* D7FF E000 */
	assert_false(utf8_valid(S("a\0b")));
	assert_false(utf8_valid(S("\xc0\x80")));	/* overlong NUL */
	assert_false(utf8_valid(S("\xc1\xbf")));
	assert_false(utf8_valid(S("\xe0\x9f\xbf")));
	assert_false(utf8_valid(S("\xf0\x8f\xbf\xbf")));
	assert_false(utf8_valid(S("\xed\xa0\x80")));		/* D800 */
	assert_false(utf8_valid(S("\xed\xbf\xbf")));		/* DFFF */
	assert_false(utf8_valid(S("\xf4\x90\x80\x80")));	/* 110000 */
	assert_false(utf8_valid(S("\xf5\x80\x80\x80")));
	assert_false(utf8_valid(S("\x80")));
	assert_false(utf8_valid(S("\xc3")));
	assert_false(utf8_valid(S("\xe2\x82")));
	assert_false(utf8_valid(S("\xe2\x82\x41")));
	assert_false(utf8_valid(S("\xfe\xff")));
	assert_int_equal(utf8_decode(S("\xe2\x82\xac"), &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_decode("\xe2\x82\xac", 2, &cp), 0);
	assert_int_equal(utf8_decode("", 0, &cp), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_size),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_to_ascii),
		cmocka_unit_test(test_utf8),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, gen_setup, NULL);
}

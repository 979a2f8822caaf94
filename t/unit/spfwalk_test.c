/*
 * spfwalk_test.c: unit tests for `smtpctl spf walk`: ctl/spfwalk_parse.c
 * (the version tag, each mechanism, qualifiers + - ~ ?, prefix lengths,
 * redirect= and other modifiers, macros flagged, junk with its reason,
 * domain names, TXT strings), ctl/spfwalk_packet.c (DNS messages: answer
 * records located, response codes, compressed MX exchangers, malformed
 * messages) and the walk of ctl/spfwalk.c over a fake resolver (include,
 * loops, redirect beside all, a/mx with prefix lengths, qualifiers, the
 * depth bound, DNS failures, output printed once, answers given at once).
 */
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/spfwalk.h"

/* ------------------------------------------------------------ parser */

/* The terms of rec, one per line: "QUAL KIND domain=.. net=.. c4 c6 m". */
static char *
terms(const char *rec)
{
	static const char *kinds[] = { "all", "include", "a", "mx", "ptr",
	    "ip4", "ip6", "exists", "redirect", "exp", "modifier", "junk" };
	struct spfwalk_parser p;
	struct spfwalk_term t;
	static char out[4096];
	size_t o = 0;

	out[0] = '\0';
	if (spfwalk_parse_init(&p, rec, strlen(rec)) == -1)
		return NULL;
	while (spfwalk_parse_next(&p, &t)) {
		if (t.kind == SPFWALK_JUNK)
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "junk [%s] %s\n", t.text, t.why);
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "%c%s %s %s %d %d%s\n", t.qual, kinds[t.kind],
			    t.domain, t.net, t.cidr4, t.cidr6,
			    t.macro ? " macro" : "");
		assert_true(o < sizeof(out));
	}
	return out;
}

static void
test_version(void **state)
{
	(void)state;
	assert_string_equal(terms("v=spf1"), "");
	assert_string_equal(terms("V=SPF1   "), "");
	assert_string_equal(terms("v=spf1 -all"), "-all   -1 -1\n");
	assert_null(terms("v=spf10 -all"));
	assert_null(terms("v=spf1-all"));
	assert_null(terms("spf1 -all"));
	assert_null(terms(""));
	assert_null(terms("google-site-verification=x"));
	assert_null(terms(" v=spf1 -all"));
}

static void
test_mechanisms(void **state)
{
	(void)state;
	assert_string_equal(terms("v=spf1 include:_spf.Example.ORG. "
	    "a mx ptr ptr:p.example exists:e.example ?all"),
	    "+include _spf.example.org  -1 -1\n"
	    "+a   -1 -1\n"
	    "+mx   -1 -1\n"
	    "+ptr   -1 -1\n"
	    "+ptr p.example  -1 -1\n"
	    "+exists e.example  -1 -1\n"
	    "?all   -1 -1\n");
	assert_string_equal(terms("v=spf1 ip4:192.0.2.1 ip4:192.0.2.0/24 "
	    "IP6:2001:DB8::0/32 ip6:::1 ip4:10.0.0.0/0"),
	    "+ip4  192.0.2.1 -1 -1\n"
	    "+ip4  192.0.2.0/24 -1 -1\n"
	    "+ip6  2001:db8::/32 -1 -1\n"
	    "+ip6  ::1 -1 -1\n"
	    "+ip4  10.0.0.0/0 -1 -1\n");
	/* qualifiers, tabs and runs of spaces between terms */
	assert_string_equal(terms("v=spf1  +a\t-mx   ~ptr ?ip4:192.0.2.9 "),
	    "+a   -1 -1\n"
	    "-mx   -1 -1\n"
	    "~ptr   -1 -1\n"
	    "?ip4  192.0.2.9 -1 -1\n");
}

static void
test_cidr(void **state)
{
	(void)state;
	assert_string_equal(terms("v=spf1 a/24 a//64 a/24//64 "
	    "a:h.example/28 mx:m.example//0 mx/32//128 a/0"),
	    "+a   24 -1\n"
	    "+a   -1 64\n"
	    "+a   24 64\n"
	    "+a h.example  28 -1\n"
	    "+mx m.example  -1 0\n"
	    "+mx   32 128\n"
	    "+a   0 -1\n");
	assert_string_equal(terms("v=spf1 a/33 a//129 a/024 a:h.example/ "
	    "a:h.example//64/24 ip4:192.0.2.0/33 ip6:::/129 ip4:1.2.3.4/"),
	    "junk [a/33] bad ip4 prefix length\n"
	    "junk [a//129] bad ip6 prefix length\n"
	    "junk [a/024] bad ip4 prefix length\n"
	    "junk [a:h.example/] bad domain name\n"
	    "junk [a:h.example//64/24] bad domain name\n"
	    "junk [ip4:192.0.2.0/33] bad prefix length\n"
	    "junk [ip6:::/129] bad prefix length\n"
	    "junk [ip4:1.2.3.4/] bad prefix length\n");
}

static void
test_modifiers(void **state)
{
	(void)state;
	assert_string_equal(terms("v=spf1 redirect=_SPF.example. "
	    "exp=explain.%{d} foo=bar x-y.z=%{i} REDIRECT=r.example"),
	    "+redirect _spf.example  -1 -1\n"
	    "+exp   -1 -1\n"
	    "+modifier   -1 -1\n"
	    "+modifier   -1 -1\n"
	    "+redirect r.example  -1 -1\n");
	assert_string_equal(terms("v=spf1 -redirect=x.example 1x=y "
	    "redirect= redirect=bad..name"),
	    "junk [-redirect=x.example] qualifier on a modifier\n"
	    "junk [1x=y] bad modifier name\n"
	    "junk [redirect=] empty domain\n"
	    "junk [redirect=bad..name] bad domain name\n");
}

static void
test_macros(void **state)
{
	(void)state;
	assert_string_equal(terms("v=spf1 include:%{d}._spf.example "
	    "a:%{i}.x.example/24 mx:%{o} exists:%{ir}.%{v}._spf.%{d2} "
	    "redirect=%{d}.r.example -include:%%.example"),
	    "+include   -1 -1 macro\n"
	    "+a   24 -1 macro\n"
	    "+mx   -1 -1 macro\n"
	    "+exists   -1 -1 macro\n"
	    "+redirect   -1 -1 macro\n"
	    "-include   -1 -1 macro\n");
}

static void
test_junk(void **state)
{
	(void)state;
	assert_string_equal(terms("v=spf1 foo include include: all:x "
	    "+ =x ip4: ip4:1.2.3 ip6:zz::1 ip4:::1 a:b_c..d mx:x y:z "
	    "include:a/24 ip4:1.2.3.4//8"),
	    "junk [foo] unknown mechanism\n"
	    "junk [include] domain expected\n"
	    "junk [include:] empty domain\n"
	    "junk [all:x] no argument expected\n"
	    "junk [+] no mechanism name\n"
	    "junk [=x] no mechanism name\n"
	    "junk [ip4:] bad address\n"
	    "junk [ip4:1.2.3] bad address\n"
	    "junk [ip6:zz::1] bad address\n"
	    "junk [ip4:::1] bad address\n"
	    "junk [a:b_c..d] bad domain name\n"
	    "+mx x  -1 -1\n"
	    "junk [y:z] unknown mechanism\n"
	    "junk [include:a/24] bad domain name\n"
	    "junk [ip4:1.2.3.4//8] bad prefix length\n");
	/* bytes from the DNS are made printable, long terms cut */
	assert_string_equal(terms("v=spf1 f\x01o\xc3\xa9"),
	    "junk [f?o??] unknown mechanism\n");
	{
		char rec[400], *t;

		memset(rec, 'x', sizeof(rec));
		memcpy(rec, "v=spf1 a:", 9);
		rec[sizeof(rec) - 1] = '\0';
		t = terms(rec);
		assert_non_null(t);
		assert_true(strstr(t, "...] bad domain name\n") != NULL);
		assert_int_equal(strlen(t),
		    strlen("junk [] bad domain name\n") + SPFWALK_TEXT_MAX);
	}
}

static void
test_domain(void **state)
{
	char out[SPFWALK_NAME_MAX + 1], in[300];

	(void)state;
	assert_int_equal(spfwalk_parse_domain("Mail.Example.ORG.", 17, out), 0);
	assert_string_equal(out, "mail.example.org");
	assert_int_equal(spfwalk_parse_domain("_spf.a-b.example", 16, out), 0);
	assert_string_equal(out, "_spf.a-b.example");
	assert_int_equal(spfwalk_parse_domain("localhost", 9, out), 0);
	assert_int_equal(spfwalk_parse_domain(".", 1, out), -1);
	assert_int_equal(spfwalk_parse_domain("", 0, out), -1);
	assert_int_equal(spfwalk_parse_domain("a..b", 4, out), -1);
	/* one final dot is dropped; an empty label before it is not a name */
	assert_int_equal(spfwalk_parse_domain("x..", 3, out), -1);
	assert_int_equal(spfwalk_parse_domain(".a", 2, out), -1);
	assert_int_equal(spfwalk_parse_domain("a b", 3, out), -1);
	assert_int_equal(spfwalk_parse_domain("a\0b", 3, out), -1);
	assert_int_equal(spfwalk_parse_domain("a/b", 3, out), -1);
	memset(in, 'a', sizeof(in));
	assert_int_equal(spfwalk_parse_domain(in, 63, out), 0);
	assert_int_equal(spfwalk_parse_domain(in, 64, out), -1);
	/* 253 bytes in labels of 63: the limit */
	memset(in, 'a', 253);
	in[63] = in[127] = in[191] = '.';
	assert_int_equal(spfwalk_parse_domain(in, 253, out), 0);
	in[253] = '.';
	assert_int_equal(spfwalk_parse_domain(in, 254, out), 0);
	in[253] = 'a';
	assert_int_equal(spfwalk_parse_domain(in, 254, out), -1);
}

static void
test_txt(void **state)
{
	char out[64];
	size_t len;

	(void)state;
	assert_int_equal(spfwalk_parse_txt((const uint8_t *)
	    "\x0av=spf1 a -\x03" "all", 15, out, sizeof(out), &len), 0);
	assert_string_equal(out, "v=spf1 a -all");
	assert_int_equal(len, 13);
	assert_int_equal(spfwalk_parse_txt((const uint8_t *)"\x00\x00", 2,
	    out, sizeof(out), &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(spfwalk_parse_txt((const uint8_t *)"", 0, out,
	    sizeof(out), &len), 0);
	/* a length byte beyond the data */
	assert_int_equal(spfwalk_parse_txt((const uint8_t *)"\x05" "abc", 4,
	    out, sizeof(out), &len), -1);
	/* too long for out (room for the NUL included) */
	assert_int_equal(spfwalk_parse_txt((const uint8_t *)"\x03" "abc", 4,
	    out, 3, &len), -1);
	assert_int_equal(spfwalk_parse_txt((const uint8_t *)"\x03" "abc", 4,
	    out, 4, &len), 0);
	/* a NUL inside is kept, with the length */
	assert_int_equal(spfwalk_parse_txt((const uint8_t *)"\x03" "a\0b", 4,
	    out, sizeof(out), &len), 0);
	assert_int_equal(len, 3);
}

/* ------------------------------------------------------------ packets */

struct msg {
	uint8_t	b[1024];
	size_t	len;
};

static void
msg_add(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void
msg_u16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	msg_add(m, b, 2);
}

/* A response header: rcode, 1 question, an answers. */
static void
msg_header(struct msg *m, unsigned rcode, unsigned an)
{
	m->len = 0;
	msg_u16(m, 0x1234);
	msg_u16(m, 0x8180 | rcode);
	msg_u16(m, 1);
	msg_u16(m, an);
	msg_u16(m, 0);
	msg_u16(m, 0);
}

/* An RR header: owner (raw wire), type, class IN, ttl, rdlength. */
static void
msg_rr(struct msg *m, const char *owner, size_t olen, unsigned type,
    unsigned rdlen)
{
	msg_add(m, owner, olen);
	msg_u16(m, type);
	msg_u16(m, 1);
	msg_u16(m, 0);
	msg_u16(m, 60);
	msg_u16(m, rdlen);
}

#define Q_NAME		"\x02mx\x07" "example\x00"	/* at offset 12 */
#define Q_NAME_LEN	12

static void
test_packet(void **state)
{
	struct spfwalk_answer a;
	struct msg m;
	char name[SPFWALK_NAME_MAX + 1];

	(void)state;
	/* MX answers: a compressed owner, exchangers plain and compressed */
	msg_header(&m, 0, 4);
	msg_add(&m, Q_NAME, Q_NAME_LEN);
	msg_u16(&m, SPFWALK_T_MX);
	msg_u16(&m, 1);
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_MX, 2 + 12);
	msg_add(&m, "\x00\x0a\x02M1\x07" "EXAMPLE\x00", 14);
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_MX, 2 + 5);
	msg_add(&m, "\x00\x14\x02m2\xc0\x0f", 7);	/* m2 + "example" */
	msg_rr(&m, "\xc0\x0c", 2, 5 /* CNAME */, 2);
	msg_add(&m, "\xc0\x0c", 2);
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_MX, 3);	/* null MX */
	msg_add(&m, "\x00\x00\x00", 3);
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_MX, &a), 0);
	assert_int_equal(a.status, SPFWALK_DNS_OK);
	assert_int_equal(a.n, 3);
	assert_int_equal(spfwalk_packet_mx(&a, 0, name), 0);
	assert_string_equal(name, "m1.example");
	assert_int_equal(spfwalk_packet_mx(&a, 1, name), 0);
	assert_string_equal(name, "m2.example");
	assert_int_equal(spfwalk_packet_mx(&a, 2, name), 0);
	assert_string_equal(name, "");
	assert_int_equal(spfwalk_packet_mx(&a, 3, name), -1);
	/* asked for TXT: the MX records are not the answer */
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_TXT, &a),
	    0);
	assert_int_equal(a.status, SPFWALK_DNS_OK);
	assert_int_equal(a.n, 0);
	/* every truncation of it is malformed, never read past */
	while (--m.len >= 12)
		assert_int_equal(spfwalk_packet_parse(m.b, m.len,
		    SPFWALK_T_MX, &a), -1);
	assert_int_equal(spfwalk_packet_parse(m.b, 11, SPFWALK_T_MX, &a), -1);

	/* response codes */
	msg_header(&m, 3, 0);
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_TXT, &a),
	    0);
	assert_int_equal(a.status, SPFWALK_DNS_NXDOMAIN);
	msg_header(&m, 2, 0);
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_TXT, &a),
	    0);
	assert_int_equal(a.status, SPFWALK_DNS_TEMPFAIL);
	assert_string_equal(a.why, "SERVFAIL");
	msg_header(&m, 5, 0);
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_TXT, &a),
	    0);
	assert_string_equal(a.why, "REFUSED");

	/* an exchanger pointing forwards, or at itself: refused */
	msg_header(&m, 0, 2);
	msg_add(&m, Q_NAME, Q_NAME_LEN);
	msg_u16(&m, SPFWALK_T_MX);
	msg_u16(&m, 1);
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_MX, 4);
	msg_add(&m, "\x00\x0a\xc0\x60", 4);		/* forwards */
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_MX, 4);
	msg_u16(&m, 10);
	msg_u16(&m, 0xc000 | (unsigned)m.len);		/* itself */
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_MX, &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(spfwalk_packet_mx(&a, 0, name), -1);
	assert_int_equal(spfwalk_packet_mx(&a, 1, name), -1);

	/* a label with the reserved bits, bytes after a name */
	msg_header(&m, 0, 2);
	msg_add(&m, Q_NAME, Q_NAME_LEN);
	msg_u16(&m, SPFWALK_T_MX);
	msg_u16(&m, 1);
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_MX, 5);
	msg_add(&m, "\x00\x0a\x41x\x00", 5);
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_MX, 6);
	msg_add(&m, "\x00\x0a\x01x\x00z", 6);
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_MX, &a), 0);
	assert_int_equal(spfwalk_packet_mx(&a, 0, name), -1);
	assert_int_equal(spfwalk_packet_mx(&a, 1, name), -1);

	/* an owner name with the reserved label bits: malformed */
	msg_header(&m, 0, 1);
	msg_add(&m, Q_NAME, Q_NAME_LEN);
	msg_u16(&m, SPFWALK_T_TXT);
	msg_u16(&m, 1);
	msg_rr(&m, "\x80", 1, SPFWALK_T_TXT, 0);
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_TXT, &a),
	    -1);
	/* an rdlength beyond the message */
	msg_header(&m, 0, 1);
	msg_add(&m, Q_NAME, Q_NAME_LEN);
	msg_u16(&m, SPFWALK_T_TXT);
	msg_u16(&m, 1);
	msg_rr(&m, "\xc0\x0c", 2, SPFWALK_T_TXT, 10);
	msg_add(&m, "\x03" "abc", 4);
	assert_int_equal(spfwalk_packet_parse(m.b, m.len, SPFWALK_T_TXT, &a),
	    -1);
}

/* ------------------------------------------------------------ the walk */

/* The fake zone: name, type, data ("|" cuts a TXT into strings). */
static const struct {
	const char	*name;
	int		 type;
	const char	*data;
} zone[] = {
	{ "one.example", SPFWALK_T_TXT,
	    "v=spf1 ip4:192.0.2.0/24 ip6:2001:DB8::/32 include:two.example "
	    "-all" },
	{ "one.example", SPFWALK_T_TXT, "not spf" },
	{ "two.example", SPFWALK_T_TXT,
	    "v=spf1 ip4:198.51.100.1 |?ip4:198.51.100.2 -ip4:203.0.113.9 "
	    "~a:one.example ip4:192.0.2.0/24" },
	{ "loop1.example", SPFWALK_T_TXT,
	    "v=spf1 include:loop2.example ip4:10.0.0.1" },
	{ "loop2.example", SPFWALK_T_TXT,
	    "v=spf1 include:LOOP1.example. ip4:10.0.0.2" },
	{ "redir.example", SPFWALK_T_TXT,
	    "v=spf1 ip4:10.1.0.1 redirect=target.example" },
	{ "target.example", SPFWALK_T_TXT, "v=spf1 ip4:10.2.0.0/16 -all" },
	{ "redirall.example", SPFWALK_T_TXT,
	    "v=spf1 redirect=never.example ?all" },
	{ "never.example", SPFWALK_T_TXT, "v=spf1 ip4:10.66.0.1" },
	{ "amx.example", SPFWALK_T_TXT,
	    "v=spf1 a a:h.amx.example/28 mx/24//64 mx:o.example" },
	{ "amx.example", SPFWALK_T_A, "10.3.0.1" },
	{ "amx.example", SPFWALK_T_MX, "m.amx.example" },
	{ "h.amx.example", SPFWALK_T_A, "10.3.1.5" },
	{ "h.amx.example", SPFWALK_T_AAAA, "2001:db8:3::5" },
	{ "m.amx.example", SPFWALK_T_A, "10.3.2.1" },
	{ "m.amx.example", SPFWALK_T_AAAA, "2001:db8:3::1" },
	{ "o.example", SPFWALK_T_MX, "." },
	{ "o.example", SPFWALK_T_MX, "mo.example" },
	{ "mo.example", SPFWALK_T_A, "10.4.0.1" },
	{ "macro.example", SPFWALK_T_TXT,
	    "v=spf1 include:%{d}.x.example ip4:10.5.0.1 junk" },
	{ "broken.example", SPFWALK_T_TXT,
	    "v=spf1 include:fail.example include:nx.example ip4:10.7.0.1" },
	{ "fail.example", 0, NULL },		/* every lookup fails */
};

struct fake_q {
	char		 name[SPFWALK_NAME_MAX + 1];
	int		 type;
	spfwalk_dns_cb	 cb;
	void		*arg;
};

struct fake {
	struct spfwalk_dns	 dns;	/* first */
	struct fake_q		 q[512];
	size_t			 head, tail;
	int			 at_once;	/* answer inside query() */
	int			 refuse;	/* refused.example: -1 */
	size_t			 asked;
	size_t			 maxqueue;
};

static void
fake_answer(const struct fake_q *q)
{
	static struct msg m;
	struct spfwalk_answer a;
	const char *d, *bar;
	size_t i, l;
	int known = 0;
	uint8_t bin[16];

	memset(&a, 0, sizeof(a));
	m.len = 0;
	a.msg = m.b;
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcmp(zone[i].name, q->name) != 0)
			continue;
		known = 1;
		if (zone[i].type == 0) {
			a.status = SPFWALK_DNS_TEMPFAIL;
			a.why = "SERVFAIL";
			q->cb(q->arg, &a);
			return;
		}
		if (zone[i].type != q->type)
			continue;
		a.rr[a.n].off = m.len;
		d = zone[i].data;
		switch (q->type) {
		case SPFWALK_T_TXT:
			for (;;) {
				bar = strchr(d, '|');
				l = bar != NULL ? (size_t)(bar - d) : strlen(d);
				m.b[m.len++] = (uint8_t)l;
				msg_add(&m, d, l);
				if (bar == NULL)
					break;
				d = bar + 1;
			}
			break;
		case SPFWALK_T_A:
		case SPFWALK_T_AAAA:
			assert_int_equal(inet_pton(q->type == SPFWALK_T_A ?
			    AF_INET : AF_INET6, d, bin), 1);
			msg_add(&m, bin, q->type == SPFWALK_T_A ? 4 : 16);
			break;
		case SPFWALK_T_MX:
			msg_u16(&m, 10);
			while (*d != '\0' && *d != '.') {
				bar = strchr(d, '.');
				l = bar != NULL ? (size_t)(bar - d) : strlen(d);
				m.b[m.len++] = (uint8_t)l;
				msg_add(&m, d, l);
				d += l + (bar != NULL);
			}
			m.b[m.len++] = 0;
			break;
		}
		a.rr[a.n].len = m.len - a.rr[a.n].off;
		a.n++;
	}
	a.msglen = m.len;
	a.status = known ? SPFWALK_DNS_OK : SPFWALK_DNS_NXDOMAIN;
	q->cb(q->arg, &a);
}

static int
fake_query(struct spfwalk_dns *dns, const char *name, int type,
    spfwalk_dns_cb cb, void *arg)
{
	struct fake *f = (struct fake *)dns;
	struct fake_q q;

	if (f->refuse && strcmp(name, "refused.example") == 0)
		return -1;
	f->asked++;
	snprintf(q.name, sizeof(q.name), "%s", name);
	q.type = type;
	q.cb = cb;
	q.arg = arg;
	if (f->at_once) {
		fake_answer(&q);
		return 0;
	}
	assert_true(f->tail < sizeof(f->q) / sizeof(f->q[0]));
	f->q[f->tail++] = q;
	if (f->tail - f->head > f->maxqueue)
		f->maxqueue = f->tail - f->head;
	return 0;
}

static int
fake_run(struct spfwalk_dns *dns)
{
	struct fake *f = (struct fake *)dns;
	struct fake_q q;

	while (f->head < f->tail) {
		q = f->q[f->head++];
		fake_answer(&q);
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* text's lines sorted, as one string */
static char *
sorted(char *text)
{
	static char out[8192];
	char *lines[256], *save = NULL, *l;
	size_t n = 0, i, o = 0;

	for (l = strtok_r(text, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		assert_true(n < 256);
		lines[n++] = l;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n",
		    lines[i]);
	return out;
}

/* Walk input over a fake resolver; out and err returned (freed later). */
static void
walk(struct fake *f, const char *input, char **out, char **err)
{
	struct spfwalk w;
	size_t outlen, errlen;
	FILE *fo, *fe;
	const char *nl;

	fo = open_memstream(out, &outlen);
	fe = open_memstream(err, &errlen);
	assert_non_null(fo);
	assert_non_null(fe);
	f->dns.query = fake_query;
	f->dns.run = fake_run;
	spfwalk_init(&w, &f->dns, fo, fe);
	while (*input != '\0') {
		nl = strchr(input, '\n');
		if (nl == NULL)
			nl = input + strlen(input);
		spfwalk_domain(&w, input, (size_t)(nl - input));
		input = *nl != '\0' ? nl + 1 : nl;
	}
	assert_int_equal(spfwalk_run(&w), 0);
	spfwalk_free(&w);
	fclose(fo);
	fclose(fe);
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s++;
	}
	return n;
}

#define WALK_INPUT \
	"one.example\n  loop1.example \n\n\t\nredir.example\n" \
	"redirall.example\namx.example\nmacro.example\nbroken.example\n" \
	"fail.example\nONE.example.\nbad..name\nnone.example\n"

#define WALK_OUTPUT \
	"10.0.0.1\n10.0.0.2\n10.1.0.1\n10.2.0.0/16\n10.3.0.1\n" \
	"10.3.1.5/28\n10.3.2.1/24\n10.4.0.1\n10.5.0.1\n10.7.0.1\n" \
	"192.0.2.0/24\n198.51.100.1\n198.51.100.2\n2001:db8:3::1/64\n" \
	"2001:db8:3::5\n2001:db8::/32\n"

static void
check_walk(struct fake *f)
{
	char *out, *err;

	walk(f, WALK_INPUT, &out, &err);
	/* each line once: sorting a duplicate would show it */
	assert_string_equal(sorted(out), WALK_OUTPUT);
	assert_non_null(strstr(err, "smtpctl: spf walk: macro.example: "
	    "skipped \"include:%{d}.x.example\": a macro cannot be resolved "
	    "statically\n"));
	assert_non_null(strstr(err, "smtpctl: spf walk: macro.example: "
	    "ignored \"junk\": unknown mechanism\n"));
	assert_non_null(strstr(err, "smtpctl: spf walk: fail.example TXT: "
	    "lookup failed: SERVFAIL\n"));
	assert_non_null(strstr(err, "smtpctl: spf walk: nx.example TXT: "
	    "no such domain\n"));
	assert_non_null(strstr(err, "smtpctl: spf walk: none.example TXT: "
	    "no such domain\n"));
	assert_non_null(strstr(err, "smtpctl: spf walk: \"bad..name\": "
	    "not a domain name\n"));
	/* fail.example asked once although input and included */
	assert_int_equal(count(err, "fail.example TXT"), 1);
	assert_null(strstr(err, "loop"));
	free(out);
	free(err);
}

static void
test_walk(void **state)
{
	struct fake f;

	(void)state;
	memset(&f, 0, sizeof(f));
	check_walk(&f);
	assert_true(f.maxqueue <= SPFWALK_INFLIGHT_MAX);
	/* answers given inside query(): the same walk */
	memset(&f, 0, sizeof(f));
	f.at_once = 1;
	check_walk(&f);
}

/* A resolver whose d<N>.example includes d<N+1>.example, answering at once. */
static int
deep_query(struct spfwalk_dns *dns, const char *name, int type,
    spfwalk_dns_cb cb, void *arg)
{
	static struct msg m;
	struct spfwalk_answer a;
	char rec[128];
	int n;

	(void)dns;
	assert_int_equal(type, SPFWALK_T_TXT);
	assert_int_equal(sscanf(name, "d%d.example", &n), 1);
	snprintf(rec, sizeof(rec), "v=spf1 include:d%d.example ip4:10.9.0.%d",
	    n + 1, n);
	memset(&a, 0, sizeof(a));
	m.len = 0;
	m.b[m.len++] = (uint8_t)strlen(rec);
	msg_add(&m, rec, strlen(rec));
	a.msg = m.b;
	a.msglen = m.len;
	a.n = 1;
	a.rr[0].off = 0;
	a.rr[0].len = m.len;
	a.status = SPFWALK_DNS_OK;
	cb(arg, &a);
	return 0;
}

static int
deep_run(struct spfwalk_dns *dns)
{
	(void)dns;
	return 0;
}

static void
test_deep(void **state)
{
	struct spfwalk_dns dns = { deep_query, deep_run, NULL };
	struct spfwalk w;
	char *out, *err, want[512];
	size_t outlen, errlen, o = 0;
	FILE *fo, *fe;
	int i;

	(void)state;
	fo = open_memstream(&out, &outlen);
	fe = open_memstream(&err, &errlen);
	spfwalk_init(&w, &dns, fo, fe);
	spfwalk_domain(&w, "d0.example", 10);
	assert_int_equal(spfwalk_run(&w), 0);
	spfwalk_free(&w);
	fclose(fo);
	fclose(fe);
	for (i = 0; i <= SPFWALK_DEPTH_MAX; i++)
		o += (size_t)snprintf(want + o, sizeof(want) - o,
		    "10.9.0.%d\n", i);
	assert_string_equal(out, want);
	assert_string_equal(err, "smtpctl: spf walk: d10.example: skipped "
	    "\"include:d11.example\": more than 10 levels of include and "
	    "redirect\n");
	free(out);
	free(err);
}

static void
test_refused(void **state)
{
	struct fake f;
	char *out, *err;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.refuse = 1;
	walk(&f, "refused.example\ntarget.example", &out, &err);
	assert_string_equal(out, "10.2.0.0/16\n");
	assert_string_equal(err, "smtpctl: spf walk: refused.example TXT: "
	    "lookup failed\n");
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_mechanisms),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_modifiers),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_refused),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

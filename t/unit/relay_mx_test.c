/*
 * relay_mx_test.c: unit tests for deliver/relay_mx.c, the pure half of
 * the relay role's resolver: MX answers read (duplicates, case, null MX
 * alone and mixed, NODATA, malformed messages), A and AAAA answers, the
 * sort with a fixed random sequence (ascending preference, both orders of
 * equal ones), the own-MX cut by name and by address, address literals,
 * and the final list with its caps and failure codes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/spfwalk_packet.h"
#include "deliver/relay_mx.h"

#define MSG_MAX		2048

struct msg {
	uint8_t		 b[MSG_MAX];
	size_t		 len;
	size_t		 ancount;
};

static void	msg_init(struct msg *, const char *, int, int);
static void	msg_name(struct msg *, const char *);
static void	msg_u16(struct msg *, unsigned);
static void	msg_rr(struct msg *, const char *, int, const void *, size_t);
static void	msg_mx(struct msg *, int, const char *);
static uint32_t	seq_rand(uint32_t, void *);
static void	host(struct relay_mx_list *, const char *, int, const char *,
		    const char *);
static const char *addr_text(const struct relay_dns_addr *, int *);

static void
msg_u16(struct msg *m, unsigned v)
{
	m->b[m->len++] = (uint8_t)(v >> 8);
	m->b[m->len++] = (uint8_t)v;
}

static void
msg_name(struct msg *m, const char *name)
{
	const char *p = name, *dot;
	size_t l;

	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		m->b[m->len++] = (uint8_t)l;
		memcpy(m->b + m->len, p, l);
		m->len += l;
		p += l;
		if (*p == '.')
			p++;
	}
	m->b[m->len++] = 0;
}

/* A response header and the question. */
static void
msg_init(struct msg *m, const char *qname, int qtype, int rcode)
{
	memset(m, 0, sizeof(*m));
	msg_u16(m, 0x1234);
	msg_u16(m, 0x8180 | (unsigned)rcode);
	msg_u16(m, 1);
	msg_u16(m, 0);
	msg_u16(m, 0);
	msg_u16(m, 0);
	msg_name(m, qname);
	msg_u16(m, (unsigned)qtype);
	msg_u16(m, 1);
}

static void
msg_rr(struct msg *m, const char *owner, int type, const void *rdata,
    size_t rdlen)
{
	msg_name(m, owner);
	msg_u16(m, (unsigned)type);
	msg_u16(m, 1);
	msg_u16(m, 0);
	msg_u16(m, 60);
	msg_u16(m, (unsigned)rdlen);
	memcpy(m->b + m->len, rdata, rdlen);
	m->len += rdlen;
	m->ancount++;
	m->b[6] = (uint8_t)(m->ancount >> 8);
	m->b[7] = (uint8_t)m->ancount;
}

static void
msg_mx(struct msg *m, int pref, const char *exchange)
{
	struct msg rd;

	rd.len = 0;
	msg_u16(&rd, (unsigned)pref);
	msg_name(&rd, exchange);
	msg_rr(m, "d.example", SPFWALK_T_MX, rd.b, rd.len);
}

/* A fixed sequence of numbers, each taken modulo the bound. */
static uint32_t
seq_rand(uint32_t bound, void *arg)
{
	uint32_t *seed = arg;

	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % bound;
}

static void
host(struct relay_mx_list *l, const char *name, int pref, const char *a4,
    const char *a6)
{
	struct relay_mx_host *h = &l->host[l->n++];

	memset(h, 0, sizeof(*h));
	(void)strlcpy(h->name, name, sizeof(h->name));
	h->pref = pref;
	h->st4 = h->st6 = RELAY_MX_FOUND;
	if (a4 != NULL)
		assert_int_equal(inet_pton(AF_INET, a4, &h->a4[h->n4++]), 1);
	if (a6 != NULL)
		assert_int_equal(inet_pton(AF_INET6, a6, &h->a6[h->n6++]), 1);
}

static const char *
addr_text(const struct relay_dns_addr *a, int *port)
{
	static char text[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

	if (a->ss.ss_family == AF_INET6) {
		*port = ntohs(sin6->sin6_port);
		assert_int_equal(a->sslen, sizeof(*sin6));
		return inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
	}
	assert_int_equal(a->ss.ss_family, AF_INET);
	assert_int_equal(a->sslen, sizeof(*sin));
	*port = ntohs(sin->sin_port);
	return inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
}

/* ------------------------------------------------------------ parse */

static void
test_parse_mx(void **state)
{
	struct relay_mx_list l;
	struct msg m;

	(void)state;
	msg_init(&m, "d.example", SPFWALK_T_MX, 0);
	msg_mx(&m, 20, "MX2.d.example");
	msg_mx(&m, 10, "mx1.d.example");
	msg_mx(&m, 5, "mx2.D.example");		/* duplicate, lower */
	assert_int_equal(relay_mx_parse(m.b, m.len, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.host[0].name, "mx2.d.example");
	assert_int_equal(l.host[0].pref, 5);
	assert_string_equal(l.host[1].name, "mx1.d.example");
	assert_int_equal(l.host[1].pref, 10);
	assert_false(l.null);
	assert_false(l.null_mixed);

	/* NODATA */
	msg_init(&m, "d.example", SPFWALK_T_MX, 0);
	assert_int_equal(relay_mx_parse(m.b, m.len, &l), 0);
	assert_int_equal(l.n, 0);
	assert_false(l.null);
}

static void
test_parse_null(void **state)
{
	struct relay_mx_list l;
	struct msg m;

	(void)state;
	msg_init(&m, "d.example", SPFWALK_T_MX, 0);
	msg_mx(&m, 0, "");
	assert_int_equal(relay_mx_parse(m.b, m.len, &l), 0);
	assert_true(l.null);
	assert_int_equal(l.n, 0);

	msg_init(&m, "d.example", SPFWALK_T_MX, 0);
	msg_mx(&m, 0, "");
	msg_mx(&m, 10, "mx.d.example");
	assert_int_equal(relay_mx_parse(m.b, m.len, &l), 0);
	assert_false(l.null);
	assert_true(l.null_mixed);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.host[0].name, "mx.d.example");
}

static void
test_parse_bad(void **state)
{
	struct relay_mx_list l;
	struct msg m;
	size_t cut;

	(void)state;
	msg_init(&m, "d.example", SPFWALK_T_MX, 0);
	msg_mx(&m, 10, "mx.d.example");
	for (cut = 0; cut < m.len; cut++)
		assert_int_equal(relay_mx_parse(m.b, cut, &l), -1);
	msg_init(&m, "d.example", SPFWALK_T_MX, 3);	/* NXDOMAIN */
	assert_int_equal(relay_mx_parse(m.b, m.len, &l), -1);
	/* an MX whose exchanger runs past its record: nothing usable */
	msg_init(&m, "d.example", SPFWALK_T_MX, 0);
	msg_rr(&m, "d.example", SPFWALK_T_MX, "\0\12\3mx", 6);
	assert_int_equal(relay_mx_parse(m.b, m.len, &l), -1);
}

static void
test_addrs(void **state)
{
	struct relay_mx_host h;
	struct msg m;
	char text[INET6_ADDRSTRLEN];

	(void)state;
	memset(&h, 0, sizeof(h));
	msg_init(&m, "mx.example", SPFWALK_T_A, 0);
	msg_rr(&m, "mx.example", SPFWALK_T_A, "\300\0\2\1", 4);
	msg_rr(&m, "mx.example", SPFWALK_T_A, "\300\0\2", 3);	/* skipped */
	msg_rr(&m, "mx.example", SPFWALK_T_A, "\300\0\2\2", 4);
	assert_int_equal(relay_mx_addrs(m.b, m.len, AF_INET, &h), 0);
	assert_int_equal(h.st4, RELAY_MX_FOUND);
	assert_int_equal(h.n4, 2);
	inet_ntop(AF_INET, &h.a4[1], text, sizeof(text));
	assert_string_equal(text, "192.0.2.2");

	msg_init(&m, "mx.example", SPFWALK_T_AAAA, 0);
	msg_rr(&m, "mx.example", SPFWALK_T_AAAA,
	    "\40\1\15\270\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	assert_int_equal(relay_mx_addrs(m.b, m.len, AF_INET6, &h), 0);
	assert_int_equal(h.n6, 1);
	inet_ntop(AF_INET6, &h.a6[0], text, sizeof(text));
	assert_string_equal(text, "2001:db8::1");

	assert_int_equal(relay_mx_addrs(m.b, 5, AF_INET6, &h), -1);
	assert_int_equal(h.st6, RELAY_MX_TEMP);
}

/* ------------------------------------------------------------ order */

static void
test_sort(void **state)
{
	struct relay_mx_list l;
	uint32_t seed;
	int first_a = 0, first_b = 0, i;

	(void)state;
	for (seed = 1; seed <= 64; seed++) {
		uint32_t s = seed;

		memset(&l, 0, sizeof(l));
		host(&l, "c", 30, "192.0.2.3", NULL);
		host(&l, "a", 20, "192.0.2.1", NULL);
		host(&l, "low", 10, "192.0.2.9", NULL);
		host(&l, "b", 20, "192.0.2.2", NULL);
		relay_mx_sort(&l, seq_rand, &s);
		assert_int_equal(l.n, 4);
		assert_string_equal(l.host[0].name, "low");
		assert_string_equal(l.host[3].name, "c");
		for (i = 1; i < 4; i++)
			assert_true(l.host[i - 1].pref <= l.host[i].pref);
		if (strcmp(l.host[1].name, "a") == 0)
			first_a++;
		else
			first_b++;
	}
	assert_true(first_a > 0);
	assert_true(first_b > 0);
}

static void
test_implicit(void **state)
{
	struct relay_mx_list l;

	(void)state;
	relay_mx_implicit(&l, "d.example");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.host[0].name, "d.example");
	assert_int_equal(l.host[0].pref, 0);
}

/* ------------------------------------------------------------ own MX */

static void
test_cut_name(void **state)
{
	struct relay_mx_list l;
	struct relay_dns_result r;

	(void)state;
	memset(&l, 0, sizeof(l));
	host(&l, "a.example", 10, "192.0.2.1", NULL);
	host(&l, "b.example", 20, "192.0.2.2", NULL);
	host(&l, "me.example", 20, "192.0.2.3", NULL);
	host(&l, "c.example", 30, "192.0.2.4", NULL);
	assert_int_equal(relay_mx_cut(&l, "other.example", NULL, 0), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(relay_mx_cut(&l, "ME.example.", NULL, 0), 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.host[0].name, "a.example");

	assert_int_equal(relay_mx_cut(&l, "a.example", NULL, 0), 1);
	assert_int_equal(l.n, 0);
	relay_mx_result(&l, "d.example", 25, 0, &r);
	assert_int_equal(r.status, RELAY_DNS_PERMFAIL);
	assert_string_equal(r.esc, "5.4.6");
	assert_string_equal(r.text, "mail for d.example loops back to myself");
	assert_int_equal(r.naddr, 0);
}

static void
test_cut_addr(void **state)
{
	struct relay_mx_list l;
	struct sockaddr_storage self[2];

	(void)state;
	memset(self, 0, sizeof(self));
	self[0].ss_family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1",
	    &((struct sockaddr_in *)&self[0])->sin_addr);
	self[1].ss_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::99",
	    &((struct sockaddr_in6 *)&self[1])->sin6_addr);

	memset(&l, 0, sizeof(l));
	host(&l, "a.example", 10, "192.0.2.1", NULL);
	host(&l, "b.example", 20, NULL, "2001:db8::99");
	host(&l, "c.example", 30, "192.0.2.4", NULL);
	assert_int_equal(relay_mx_cut(&l, NULL, self, 2), 1);
	assert_int_equal(l.n, 1);

	memset(&l, 0, sizeof(l));
	host(&l, "a.example", 10, "10.0.0.1", NULL);
	assert_int_equal(relay_mx_cut(&l, "", self, 2), 1);
	assert_int_equal(l.n, 0);
	assert_true(l.cut);
}

/* ------------------------------------------------------------ literals */

static void
test_literal(void **state)
{
	static const struct {
		const char	*in;
		const char	*addr;
	} ok[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "[192.0.2.1]", "192.0.2.1" },
		{ "2001:db8::1", "2001:db8::1" },
		{ "[2001:db8::1]", "2001:db8::1" },
		{ "ipv6:2001:db8::1", "2001:db8::1" },
		{ "[IPv6:2001:DB8::1]", "2001:db8::1" },
	};
	struct relay_dns_result r;
	char name[RELAY_DNS_NAME_MAX + 1];
	size_t i;
	int port;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(relay_mx_literal(ok[i].in, 2525, name,
		    sizeof(name), &r), 1);
		assert_int_equal(r.status, RELAY_DNS_OK);
		assert_int_equal(r.naddr, 1);
		assert_string_equal(addr_text(&r.addr[0], &port), ok[i].addr);
		assert_int_equal(port, 2525);
		assert_int_equal(r.addr[0].pref, 0);
	}
	assert_int_equal(relay_mx_literal("mx.example", 25, name,
	    sizeof(name), &r), 0);
	assert_string_equal(name, "mx.example");
	assert_int_equal(relay_mx_literal("[mx.example]", 25, name,
	    sizeof(name), &r), 0);
	assert_string_equal(name, "mx.example");
	assert_int_equal(relay_mx_literal("ipv6:192.0.2.1", 25, name,
	    sizeof(name), &r), 1);
	assert_int_equal(r.status, RELAY_DNS_PERMFAIL);
	assert_string_equal(r.esc, "5.1.2");
	assert_int_equal(relay_mx_literal("[]", 25, name, sizeof(name), &r), 1);
	assert_int_equal(r.status, RELAY_DNS_PERMFAIL);
}

/* ------------------------------------------------------------ result */

static void
test_result_caps(void **state)
{
	struct relay_mx_list l;
	struct relay_dns_result r;
	struct relay_mx_host *h;
	char name[32];
	int i, k, port;

	(void)state;
	memset(&l, 0, sizeof(l));
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		host(&l, name, i, NULL, NULL);
		h = &l.host[i];
		for (k = 0; k < 2; k++) {
			h->a4[h->n4].s_addr =
			    htonl(0xc0000200u + (unsigned)(i * 10 + k));
			h->n4++;
			h->a6[h->n6].s6_addr[15] = (uint8_t)(i * 10 + k);
			h->n6++;
		}
	}
	relay_mx_result(&l, "d.example", 25, 0, &r);
	assert_int_equal(r.status, RELAY_DNS_OK);
	assert_int_equal(r.naddr, RELAY_DNS_ADDRS_MAX);
	assert_int_equal(r.addr[0].ss.ss_family, AF_INET6);
	assert_int_equal(r.addr[1].ss.ss_family, AF_INET6);
	assert_int_equal(r.addr[2].ss.ss_family, AF_INET);
	assert_string_equal(addr_text(&r.addr[2], &port), "192.0.2.0");
	assert_int_equal(port, 25);
	assert_string_equal(r.addr[9].host, "h2.example");
	assert_int_equal(r.addr[9].ss.ss_family, AF_INET6);

	/* one address a host: 5 hosts */
	for (i = 0; i < 8; i++)
		l.host[i].n4 = 1;
	for (i = 0; i < 8; i++)
		l.host[i].n6 = 0;
	relay_mx_result(&l, "d.example", 25, 0, &r);
	assert_int_equal(r.naddr, RELAY_DNS_HOSTS_MAX);
	assert_string_equal(r.addr[4].host, "h4.example");
	assert_int_equal(r.addr[4].pref, 4);
}

static void
test_result_fail(void **state)
{
	struct relay_mx_list l;
	struct relay_dns_result r;

	(void)state;
	memset(&l, 0, sizeof(l));
	host(&l, "a.example", 10, NULL, NULL);
	l.host[0].st4 = RELAY_MX_NONE;
	relay_mx_result(&l, "d.example", 25, 0, &r);
	assert_int_equal(r.status, RELAY_DNS_PERMFAIL);
	assert_string_equal(r.esc, "5.4.4");
	relay_mx_result(&l, "d.example", 25, 1, &r);
	assert_string_equal(r.esc, "5.1.2");
	assert_string_equal(r.text, "Host or domain name not found");
	host(&l, "b.example", 20, NULL, NULL);
	l.host[1].st6 = RELAY_MX_TEMP;
	relay_mx_result(&l, "d.example", 25, 0, &r);
	assert_int_equal(r.status, RELAY_DNS_TEMPFAIL);
	assert_string_equal(r.esc, "4.4.3");
	assert_string_equal(r.text, "address lookup of b.example failed");
	/* a host with addresses wins over a failed one */
	host(&l, "c.example", 30, "192.0.2.7", NULL);
	relay_mx_result(&l, "d.example", 25, 0, &r);
	assert_int_equal(r.status, RELAY_DNS_OK);
	assert_int_equal(r.naddr, 1);
	assert_string_equal(r.addr[0].host, "c.example");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_mx),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_implicit),
		cmocka_unit_test(test_cut_name),
		cmocka_unit_test(test_cut_addr),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_result_caps),
		cmocka_unit_test(test_result_fail),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

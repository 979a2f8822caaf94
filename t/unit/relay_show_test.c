/*
 * relay_show_test.c: unit tests for the relay role's smtpctl lines
 * (deliver/relay_show.c), the route penalty's delay (relay_route.c) and
 * smtpctl's -j forms of those lines (ctl/format_relay.c): durations as
 * OpenSMTPD's duration_to_text(); 60 s doubled per failure up to an
 * hour; show routes flags N, D, Q, K and its timeout; show hosts, show
 * hoststats, show relays and the connector line; control characters in
 * names made '?'; JSON objects with numbers, null for "-", and a line of
 * another shape kept whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "ctl/format.h"
#include "deliver/relay.h"
#include "deliver/relay_show.h"

#define NOW	1700000000

static char *
text(struct buf *b)
{
	static char s[8192];
	size_t n = buf_avail(b);

	assert_true(n < sizeof(s));
	memcpy(s, buf_head(b), n);
	s[n] = '\0';
	buf_reset(b);
	return s;
}

static void
test_duration(void **state)
{
	char s[32];

	(void)state;
	relay_show_duration(s, sizeof(s), 0);
	assert_string_equal(s, "0s");
	relay_show_duration(s, sizeof(s), 59);
	assert_string_equal(s, "59s");
	relay_show_duration(s, sizeof(s), 90);
	assert_string_equal(s, "1m30s");
	relay_show_duration(s, sizeof(s), 3600);
	assert_string_equal(s, "1h");
	relay_show_duration(s, sizeof(s), 86400 + 2 * 3600 + 3 * 60 + 4);
	assert_string_equal(s, "1d2h3m4s");
	relay_show_duration(s, sizeof(s), -61);
	assert_string_equal(s, "-1m1s");
}

static void
test_delay(void **state)
{
	(void)state;
	assert_int_equal(relay_route_delay(0), 0);
	assert_int_equal(relay_route_delay(-3), 0);
	assert_int_equal(relay_route_delay(1), 60);
	assert_int_equal(relay_route_delay(2), 120);
	assert_int_equal(relay_route_delay(3), 240);
	assert_int_equal(relay_route_delay(6), 1920);
	assert_int_equal(relay_route_delay(7), 3600);
	assert_int_equal(relay_route_delay(32), 3600);
	assert_int_equal(relay_route_delay(1000), 3600);
}

static void
mkroute(struct relay_route *r, uint64_t id, const char *addr,
    const char *host)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&r->ss;

	memset(r, 0, sizeof(*r));
	r->id = id;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(25);
	assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
	r->sslen = sizeof(*sin);
	strlcpy(r->host, host, sizeof(r->host));
}

static void
test_route(void **state)
{
	struct relay_route r;
	struct buf b;

	(void)state;
	buf_init(&b);
	/* failed once: new, disabled 60 s from now */
	mkroute(&r, 7, "192.0.2.7", "mx.example.net");
	r.nerror = 1;
	r.penalty = 1;
	r.lastused = NOW;
	r.disabled_until = NOW + 60;
	relay_show_route(&b, &r, NOW);
	assert_string_equal(text(&b), "7. [] <-> 192.0.2.7 (mx.example.net) "
	    "ND-- nconn=0 nerror=1 penalty=1 timeout=1m\n");
	/* in use, idle session kept */
	r.established = 1;
	r.nerror = 0;
	r.penalty = 0;
	r.disabled_until = 0;
	r.nconn = 2;
	r.idle = 1;
	relay_show_route(&b, &r, NOW);
	assert_string_equal(text(&b), "7. [] <-> 192.0.2.7 (mx.example.net) "
	    "---K nconn=2 nerror=0 penalty=0 timeout=-\n");
	/* unused: kept RELAY_ROUTE_KEEP after its last use */
	r.nconn = 0;
	r.idle = 0;
	r.lastused = NOW - 30;
	relay_show_route(&b, &r, NOW);
	assert_string_equal(text(&b), "7. [] <-> 192.0.2.7 (mx.example.net) "
	    "--Q- nconn=0 nerror=0 penalty=0 timeout=14m30s\n");
	assert_int_equal(relay_show_route_expiry(&r),
	    NOW - 30 + RELAY_ROUTE_KEEP);
	/* no name; a control character in one */
	mkroute(&r, 8, "198.51.100.1", "");
	r.established = 1;
	r.nconn = 1;
	relay_show_route(&b, &r, NOW);
	assert_string_equal(text(&b), "8. [] <-> 198.51.100.1 ---- nconn=1 "
	    "nerror=0 penalty=0 timeout=-\n");
	strlcpy(r.host, "a\nb", sizeof(r.host));
	relay_show_route(&b, &r, NOW);
	assert_string_equal(text(&b), "8. [] <-> 198.51.100.1 (a?b) ---- "
	    "nconn=1 nerror=0 penalty=0 timeout=-\n");
	buf_free(&b);
}

static void
test_host_hoststat(void **state)
{
	struct relay_hoststat h;
	struct buf b;

	(void)state;
	buf_init(&b);
	relay_show_host(&b, "192.0.2.7", "mx.example.net", 2, 1, NOW - 75,
	    NOW);
	assert_string_equal(text(&b), "192.0.2.7 mx.example.net refcount=2 "
	    "nconn=1 lastconn=1m15s\n");
	relay_show_host(&b, "2001:db8::1", "", 1, 0, 0, NOW);
	assert_string_equal(text(&b), "2001:db8::1 - refcount=1 nconn=0 "
	    "lastconn=-\n");
	memset(&h, 0, sizeof(h));
	strlcpy(h.domain, "example.net", sizeof(h.domain));
	h.when = NOW;
	strlcpy(h.text, "250 2.0.0 Ok: queued as 1234|x", sizeof(h.text));
	relay_show_hoststat(&b, &h);
	assert_string_equal(text(&b), "example.net|1700000000|250 2.0.0 Ok: "
	    "queued as 1234|x\n");
	buf_free(&b);
}

static void
test_relay(void **state)
{
	struct action a;
	struct relay_dest d;
	struct table_decl t;
	struct buf b;

	(void)state;
	buf_init(&b);
	memset(&a, 0, sizeof(a));
	strlcpy(a.name, "out", sizeof(a.name));
	a.method = ACTION_RELAY;
	memset(&d, 0, sizeof(d));
	d.action = &a;
	strlcpy(d.name, "example.net", sizeof(d.name));
	d.mx = 1;
	d.port = 25;
	d.lastconn = NOW - 5;
	d.held_until = NOW + 300;
	d.routefail = 1;
	relay_show_relay(&b, &d, 3, 2, NOW);
	assert_string_equal(text(&b),
	    "[relay:example.net,port=25,smtp,action=out] refcount=3 ntask=2 "
	    "nconn=0 lastconn=5s timeout=5m wait=ONHOLD\n"
	    "  connector [] refcount=1 nconn=0 lastconn=5s timeout=- "
	    "flags=NEW,ERROR_ROUTE_NET\n");
	/* a smarthost with a login and a helo name, busy */
	memset(&t, 0, sizeof(t));
	strlcpy(t.name, "secrets", sizeof(t.name));
	a.has_host = 1;
	a.relay.scheme = RELAY_SMTPS;
	strlcpy(a.relay.label, "joe", sizeof(a.relay.label));
	a.relay_auth = &t;
	a.helo = "me.example.org";
	strlcpy(d.name, "smart.example.net", sizeof(d.name));
	d.mx = 0;
	d.port = 465;
	d.held_until = 0;
	d.routefail = 0;
	d.established = 1;
	d.nconn = RELAY_DEST_CONN_MAX;
	d.creds = RELAY_CREDS_ASKING;
	d.lastconn = 0;
	relay_show_relay(&b, &d, 0, 0, NOW);
	assert_string_equal(text(&b),
	    "[relay:smart.example.net,port=465,smtps,auth=secrets:joe,mx,"
	    "heloname=me.example.org,action=out] refcount=0 ntask=0 nconn=10 "
	    "lastconn=- timeout=- wait=secret\n"
	    "  connector [] refcount=1 nconn=10 lastconn=- timeout=- "
	    "flags=LIMIT_CONN\n");
	buf_free(&b);
}

static void
test_json(void **state)
{
	struct buf b;
	const char *t;

	(void)state;
	buf_init(&b);
	ctlfmt_relay_json(&b, CTL_SHOW_ROUTES, "", 0);
	assert_string_equal(text(&b), "[]\n");
	t = "7. [] <-> 192.0.2.7 (mx.example.net) ND-- nconn=0 nerror=1 "
	    "penalty=1 timeout=1m\n8. [] <-> 198.51.100.1 ---- nconn=1 "
	    "nerror=0 penalty=0 timeout=-\ngarbage\n";
	ctlfmt_relay_json(&b, CTL_SHOW_ROUTES, t, strlen(t));
	assert_string_equal(text(&b), "[\n"
	    "{\"id\":7,\"source\":\"\",\"address\":\"192.0.2.7\","
	    "\"hostname\":\"mx.example.net\",\"flags\":\"ND--\",\"nconn\":0,"
	    "\"nerror\":1,\"penalty\":1,\"timeout\":\"1m\"},\n"
	    "{\"id\":8,\"source\":\"\",\"address\":\"198.51.100.1\","
	    "\"hostname\":null,\"flags\":\"----\",\"nconn\":1,\"nerror\":0,"
	    "\"penalty\":0,\"timeout\":null},\n"
	    "{\"line\":\"garbage\"}\n]\n");
	t = "192.0.2.7 mx.example.net refcount=2 nconn=1 lastconn=1m15s\n";
	ctlfmt_relay_json(&b, CTL_SHOW_HOSTS, t, strlen(t));
	assert_string_equal(text(&b), "[\n"
	    "{\"address\":\"192.0.2.7\",\"hostname\":\"mx.example.net\","
	    "\"refcount\":2,\"nconn\":1,\"lastconn\":\"1m15s\"}\n]\n");
	t = "example.net|1700000000|421 4.3.2 \"busy\"|later\n";
	ctlfmt_relay_json(&b, CTL_SHOW_HOSTSTATS, t, strlen(t));
	assert_string_equal(text(&b), "[\n"
	    "{\"domain\":\"example.net\",\"time\":1700000000,"
	    "\"status\":\"421 4.3.2 \\\"busy\\\"|later\"}\n]\n");
	t = "[relay:example.net,port=25,smtp,action=out] refcount=3 ntask=2 "
	    "nconn=0 lastconn=5s timeout=5m wait=ONHOLD\n"
	    "  connector [] refcount=1 nconn=0 lastconn=5s timeout=- "
	    "flags=NEW,ERROR_ROUTE_NET\n"
	    "[relay:b.example,port=25,smtp,action=out] refcount=0 ntask=0 "
	    "nconn=0 lastconn=- timeout=- wait=\n";
	ctlfmt_relay_json(&b, CTL_SHOW_RELAYS, t, strlen(t));
	assert_string_equal(text(&b), "[\n"
	    "{\"relay\":\"[relay:example.net,port=25,smtp,action=out]\","
	    "\"refcount\":3,\"ntask\":2,\"nconn\":0,\"lastconn\":\"5s\","
	    "\"timeout\":\"5m\",\"wait\":\"ONHOLD\",\"connectors\":["
	    "{\"source\":\"\",\"refcount\":1,\"nconn\":0,\"lastconn\":\"5s\","
	    "\"timeout\":null,\"flags\":\"NEW,ERROR_ROUTE_NET\"}]},\n"
	    "{\"relay\":\"[relay:b.example,port=25,smtp,action=out]\","
	    "\"refcount\":0,\"ntask\":0,\"nconn\":0,\"lastconn\":null,"
	    "\"timeout\":null,\"wait\":\"\",\"connectors\":[]}\n]\n");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_host_hoststat),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_json),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

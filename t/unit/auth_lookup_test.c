/*
 * auth_lookup_test.c: unit tests for auth/auth_msg.c (the smtp -> lookup
 * AUTH request and its result: round trips, what the encoder refuses,
 * truncated and forged input) and auth/auth_lookup.c driven like the
 * lookup role drives it: a parsed configuration with credentials
 * tables, a real event loop, verifications in the worker threads, and
 * the answers read from the smtp end of a socketpair. Right and wrong
 * passwords, an unknown user, a listener without auth, a vanished db:
 * table (454, never 535), a malformed request, concurrent requests
 * matched by reqid, and the bound on waiting verifications.
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

#include "aliases/table.h"
#include "auth/auth_lookup.h"
#include "auth/auth_msg.h"
#include "auth/sasl.h"
#include "lib/ipc.h"
#include "smtpd/config.h"
#include "table_util.h"

#define T_REQ		900	/* stand-ins for IMSG_LKA_AUTH(_RES) */
#define T_RES		901
#define MAXREQ		128

/* bcrypt cost 4 of "password": fast, for the many-requests cases */
#define BCRYPT_PW	"$2b$04$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySv" \
			"xngrb/Jzdm"
#define ARGON_PW	"$argon2id$v=19$m=65536,t=2,p=1$4NZAb1azSknFfA31d" \
			"dHLJQ$4OJfb0QedNc0uNttVH1TbihLZx5plXSdzahlHHEjDiM"

struct env {
	struct ev_loop		*loop;
	struct role		 r;
	struct config		*conf;
	struct tableset		*tables;
	struct auth_lookup	*al;
	struct ipc_peer		*smtp_end;
	uint32_t		 status[MAXREQ];	/* by reqid */
	int			 got;
	int			 bad;
};

static const struct ipc_rule smtp_rules[] = {
	{ T_RES, PROC_BIT(PROC_LOOKUP), 1, IPC_MAX_PAYLOAD, IPC_FD_NONE },
};
static const struct ipc_rule lookup_rules[] = {
	{ T_REQ, PROC_BIT(PROC_SMTP), AUTH_MSG_MIN, AUTH_MSG_MAXSIZE,
	    IPC_FD_NONE },
};

static int
smtp_handler(struct ipc_peer *p, struct ipc_msg *m, void *arg)
{
	struct env *e = arg;
	struct auth_res res;

	(void)p;
	if (m->type != T_RES || m->reqid >= MAXREQ ||
	    auth_res_decode(m->data, m->len, &res) == -1) {
		e->bad++;
		return -1;
	}
	e->status[m->reqid] = res.status;
	e->got++;
	return 0;
}

static int
lookup_handler(struct ipc_peer *p, struct ipc_msg *m, void *arg)
{
	(void)p;
	(void)m;
	(void)arg;
	return -1;
}

static void
closed_cb(struct ipc_peer *p, void *arg)
{
	(void)p;
	(void)arg;
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	*(int *)w->data = 1;
	ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop until n answers have come in (10 s at most). */
static void
wait_answers(struct env *e, int n)
{
	ev_timer tm;
	int expired = 0;

	ev_timer_init(&tm, timeout_cb, 10.0, 0.);
	tm.data = &expired;
	ev_timer_start(e->loop, &tm);
	while (e->got < n && !expired)
		ev_run(e->loop, EVRUN_ONCE);
	ev_timer_stop(e->loop, &tm);
	if (e->got < n)
		fail_msg("%d answers of %d", e->got, n);
}

/* One request to lookup_auth, as the dispatch would pass it. */
static int
ask(struct env *e, uint32_t reqid, uint32_t listener, const char *user,
    const char *pw)
{
	struct auth_req q;
	struct ipc_msg m;
	uint8_t *buf;
	size_t len;
	int rc;

	memset(&q, 0, sizeof(q));
	q.session = 0x1234 + reqid;
	q.listener = listener;
	q.mech = AUTH_MECH_PLAIN;
	strlcpy(q.user, user, sizeof(q.user));
	strlcpy(q.passwd, pw, sizeof(q.passwd));
	assert_int_equal(auth_req_encode(&q, &buf, &len), 0);
	memset(&m, 0, sizeof(m));
	m.type = T_REQ;
	m.reqid = reqid;
	m.fd = -1;
	m.data = buf;
	m.len = len;
	rc = lookup_auth(&e->r, e->al, PROC_SMTP, &m);
	auth_msg_free(buf, len);
	return rc;
}

static const char conf_text[] =
    "pki \"mx.test\" cert \"DIR/c.pem\"\n"
    "pki \"mx.test\" key \"DIR/k.pem\"\n"
    "table pw file:DIR/pw\n"
    "table dbpw db:DIR/pw.db\n"
    "listen on 127.0.0.1 port 2600 tls pki \"mx.test\" auth <pw>\n"
    "listen on 127.0.0.1 port 2601\n"
    "listen on 127.0.0.1 port 2602 smtps pki \"mx.test\" auth-optional "
    "{ \"bob\" = \"$1$saltstri$qQY4WxjABChYG1ccLpfkz/\" }\n"
    "listen on 127.0.0.1 port 2603 tls pki \"mx.test\" auth <dbpw>\n"
    "listen on 127.0.0.1 port 2604 tls pki \"mx.test\" auth <pw>\n"
    "action a maildir\n"
    "match from any for local action a\n";

static int
env_setup(void **state)
{
	static struct env e;
	static const struct kv db[] = {
		{ "dave", BCRYPT_PW },
		{ NULL, NULL },
	};
	char buf[4096], err[TABLE_ERR_MAX];
	const char *p;
	size_t n = 0;
	int sv[2];

	if (setup(state) == -1)
		return -1;
	write_file(path_of("pw"), "alice " ARGON_PW "\n"
	    "carol " BCRYPT_PW "\n", 0600);
	make_db(path_of("pw.db"), "version=1 type=plain", db);
	assert_int_equal(chmod(path_of("pw.db"), 0600), 0);
	for (p = conf_text; *p != '\0'; p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			n += strlcpy(buf + n, tdir, sizeof(buf) - n);
			p += 2;
		} else
			buf[n++] = *p;
		assert_true(n < sizeof(buf) - 1);
	}
	buf[n] = '\0';
	memset(&e, 0, sizeof(e));
	e.conf = config_parse_buffer("smtpd.conf", buf, n, NULL,
	    CONFIG_NORESOLVE, stderr);
	assert_non_null(e.conf);
	if ((e.tables = tableset_open(e.conf, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	table_set_check_interval(tableset_find(e.tables, "dbpw"), 0);
	assert_non_null(e.loop = ev_loop_new(EVFLAG_AUTO));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	e.r.loop = e.loop;
	e.r.conf = e.conf;
	e.r.peer[PROC_SMTP] = ipc_peer_new(e.loop, sv[0], PROC_SMTP, "smtp",
	    lookup_rules, 1, lookup_handler, closed_cb, &e);
	e.smtp_end = ipc_peer_new(e.loop, sv[1], PROC_LOOKUP, "lookup",
	    smtp_rules, 1, smtp_handler, closed_cb, &e);
	e.al = auth_lookup_new(&e.r, e.tables, T_RES);
	*state = &e;
	return 0;
}

static int
env_teardown(void **state)
{
	struct env *e = *state;

	auth_lookup_free(e->al);
	ipc_peer_free(e->r.peer[PROC_SMTP]);
	ipc_peer_free(e->smtp_end);
	ev_loop_destroy(e->loop);
	tableset_free(e->tables);
	config_free(e->conf);
	return teardown(state);
}

static void
reset(struct env *e)
{
	memset(e->status, 0, sizeof(e->status));
	e->got = 0;
	e->bad = 0;
}

/* ------------------------------------------------------------ codec */

static void
test_codec(void **state)
{
	struct auth_req q, d;
	struct auth_res res, rd;
	struct auth_sasl a;
	uint8_t *buf;
	size_t len, i;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.session = UINT64_MAX;
	q.listener = 7;
	q.mech = AUTH_MECH_LOGIN;
	memset(q.user, 'u', AUTH_USER_MAX);
	memset(q.passwd, 'p', AUTH_PASSWD_MAX);
	assert_int_equal(auth_req_encode(&q, &buf, &len), 0);
	assert_true(len <= AUTH_MSG_MAXSIZE && len >= AUTH_MSG_MIN);
	assert_int_equal(auth_req_decode(buf, len, &d), 0);
	assert_memory_equal(&q, &d, sizeof(q));
	/* every truncation is refused, with a wiped struct */
	for (i = 0; i < len; i++) {
		memset(&d, 0xa5, sizeof(d));
		assert_int_equal(auth_req_decode(buf, i, &d), -1);
		assert_int_equal(d.passwd[0], 0);
		assert_int_equal(d.user[0], 0);
	}
	auth_msg_free(buf, len);

	/* what the encoder refuses */
	d = q;
	d.mech = AUTH_MECH_NONE;
	assert_int_equal(auth_req_encode(&d, &buf, &len), -1);
	assert_null(buf);
	d = q;
	d.user[0] = '\0';
	assert_int_equal(auth_req_encode(&d, &buf, &len), -1);
	d = q;
	d.passwd[0] = '\0';
	assert_int_equal(auth_req_encode(&d, &buf, &len), -1);
	d = q;
	d.user[3] = '\n';
	assert_int_equal(auth_req_encode(&d, &buf, &len), -1);
	d = q;
	d.user[3] = (char)0xff;		/* not UTF-8 */
	assert_int_equal(auth_req_encode(&d, &buf, &len), -1);

	/* a forged mech byte on the wire */
	d = q;
	assert_int_equal(auth_req_encode(&d, &buf, &len), 0);
	for (i = 0; i + 5 < len; i++)
		if (buf[i] == 0x04 && buf[i + 4] == 1 &&
		    buf[i + 5] == AUTH_MECH_LOGIN) {
			buf[i + 5] = 9;
			break;
		}
	assert_true(i + 5 < len);
	assert_int_equal(auth_req_decode(buf, len, &d), -1);
	auth_msg_free(buf, len);

	/* from a DONE exchange only */
	assert_int_equal(auth_sasl_command(&a, "PLAIN AGFsaWNlAHNlY3JldA==",
	    26), AUTH_SASL_DONE);
	assert_int_equal(auth_req_make(&q, 42, 1, &a), 0);
	assert_string_equal(q.user, "alice");
	assert_string_equal(q.passwd, "secret");
	assert_int_equal(q.mech, AUTH_MECH_PLAIN);
	auth_req_clear(&q);
	assert_int_equal(q.passwd[0], 0);
	assert_int_equal(auth_sasl_command(&a, "PLAIN", 5), AUTH_SASL_MORE);
	assert_int_equal(auth_req_make(&q, 42, 1, &a), -1);

	/* results */
	for (res.status = 0; res.status < 5; res.status++) {
		if (res.status < AUTH_RES_OK ||
		    res.status > AUTH_RES_TEMPFAIL) {
			assert_int_equal(auth_res_encode(&res, &buf, &len), -1);
			continue;
		}
		assert_int_equal(auth_res_encode(&res, &buf, &len), 0);
		assert_int_equal(auth_res_decode(buf, len, &rd), 0);
		assert_int_equal(rd.status, res.status);
		buf[len - 6] = 7;	/* the status' last byte */
		assert_int_equal(auth_res_decode(buf, len, &rd), -1);
		assert_int_equal(rd.status, 0);
		free(buf);
	}
	assert_int_equal(auth_res_decode((const uint8_t *)"", 0, &rd), -1);
}

/* ------------------------------------------------------------ lookup */

static void
test_verify(void **state)
{
	struct env *e = *state;

	reset(e);
	assert_int_equal(ask(e, 1, 0, "alice", "correct horse"), 0);
	assert_int_equal(ask(e, 2, 0, "ALICE", "correct horse"), 0);
	assert_int_equal(ask(e, 3, 0, "alice", "wrong horse"), 0);
	assert_int_equal(ask(e, 4, 0, "mallory", "correct horse"), 0);
	assert_int_equal(ask(e, 5, 0, "carol", "password"), 0);
	/* the inline table of listener 2, an MD5 hash */
	assert_int_equal(ask(e, 6, 2, "bob", "password"), 0);
	assert_int_equal(ask(e, 7, 2, "alice", "correct horse"), 0);
	/* the db: table of listener 3; listener 4 shares <pw> */
	assert_int_equal(ask(e, 8, 3, "dave", "password"), 0);
	assert_int_equal(ask(e, 9, 4, "carol", "password"), 0);
	/* the answers come from the threads, not from lookup_auth */
	assert_true(auth_lookup_pending(e->al) > 0);
	wait_answers(e, 9);
	assert_int_equal(e->bad, 0);
	assert_int_equal(e->status[1], AUTH_RES_OK);
	assert_int_equal(e->status[2], AUTH_RES_OK);
	assert_int_equal(e->status[3], AUTH_RES_FAIL);
	assert_int_equal(e->status[4], AUTH_RES_FAIL);
	assert_int_equal(e->status[5], AUTH_RES_OK);
	assert_int_equal(e->status[6], AUTH_RES_OK);
	assert_int_equal(e->status[7], AUTH_RES_FAIL);
	assert_int_equal(e->status[8], AUTH_RES_OK);
	assert_int_equal(e->status[9], AUTH_RES_OK);
	assert_int_equal(auth_lookup_pending(e->al), 0);
}

static void
test_tempfail(void **state)
{
	struct env *e = *state;
	struct ipc_msg m;
	char db[256];

	reset(e);
	/* no auth table on listener 1, no listener 99: 454 at once */
	assert_int_equal(ask(e, 1, 1, "alice", "correct horse"), 0);
	assert_int_equal(ask(e, 2, 99, "alice", "correct horse"), 0);
	assert_int_equal(auth_lookup_pending(e->al), 0);
	/* the db: file vanishes: a temporary failure, never a 535 */
	strlcpy(db, path_of("pw.db"), sizeof(db));
	assert_int_equal(rename(db, path_of("gone.db")), 0);
	assert_int_equal(ask(e, 3, 3, "dave", "password"), 0);
	assert_int_equal(ask(e, 4, 3, "nobody", "password"), 0);
	wait_answers(e, 4);
	assert_int_equal(e->status[1], AUTH_RES_TEMPFAIL);
	assert_int_equal(e->status[2], AUTH_RES_TEMPFAIL);
	assert_int_equal(e->status[3], AUTH_RES_TEMPFAIL);
	assert_int_equal(e->status[4], AUTH_RES_TEMPFAIL);
	assert_int_equal(rename(path_of("gone.db"), db), 0);
	reset(e);
	assert_int_equal(ask(e, 5, 3, "dave", "password"), 0);
	wait_answers(e, 1);
	assert_int_equal(e->status[5], AUTH_RES_OK);

	/* a request that does not decode: the channel is to be closed */
	memset(&m, 0, sizeof(m));
	m.type = T_REQ;
	m.fd = -1;
	m.data = (const uint8_t *)"garbage";
	m.len = 7;
	assert_int_equal(lookup_auth(&e->r, e->al, PROC_SMTP, &m), -1);
}

static void
test_many(void **state)
{
	struct env *e = *state;
	uint32_t i, n = AUTH_LOOKUP_PENDING_MAX + 8;

	reset(e);
	/* more than may wait at once: the extra ones are 454 at once */
	for (i = 1; i <= n; i++)
		assert_int_equal(ask(e, i, 0, "carol",
		    i % 2 ? "password" : "nope"), 0);
	assert_true(auth_lookup_pending(e->al) <= AUTH_LOOKUP_PENDING_MAX);
	wait_answers(e, (int)n);
	assert_int_equal(e->bad, 0);
	for (i = 1; i <= n; i++) {
		if (i > AUTH_LOOKUP_PENDING_MAX && e->status[i] ==
		    AUTH_RES_TEMPFAIL)
			continue;
		assert_int_equal(e->status[i], i % 2 ? AUTH_RES_OK :
		    AUTH_RES_FAIL);
	}
	/* answers in, room again */
	reset(e);
	assert_int_equal(auth_lookup_pending(e->al), 0);
	assert_int_equal(ask(e, 1, 0, "carol", "password"), 0);
	wait_answers(e, 1);
	assert_int_equal(e->status[1], AUTH_RES_OK);
}

/* Freed with verifications still running or queued: no leak, no hang. */
static void
test_free_busy(void **state)
{
	struct env *e = *state;
	int i;

	reset(e);
	for (i = 1; i <= 6; i++)
		assert_int_equal(ask(e, (uint32_t)i, 0, "alice", "x"), 0);
	auth_lookup_free(e->al);
	e->al = auth_lookup_new(&e->r, e->tables, T_RES);
	assert_int_equal(auth_lookup_pending(e->al), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_tempfail),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_free_busy),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, env_setup, env_teardown);
}

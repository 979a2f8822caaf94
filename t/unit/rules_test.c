/*
 * rules_test.c: unit tests for aliases/rules.c and aliases/recipient.c:
 * the RCPT decision of the lookup role on configurations parsed with
 * config_parse_buffer(). First match wins, negation, implicit
 * `from local` / `for local`, reject, relay denied vs invalid recipient,
 * every match condition, user checks (alias, virtual, userbase, getpwnam
 * on "root"), postmaster, the envelope template, and table errors (a db:
 * table whose file vanished) giving 451 4.3.0, never 5xx.
 */
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

#include "aliases/localnames.h"
#include "aliases/rules.h"
#include "aliases/table.h"
#include "queue/envelope.h"
#include "smtpd/config.h"
#include "rules_util.h"

#define SESSION		0x0123456789abcdefULL

static char	tdir[] = "/tmp/rules_test.XXXXXX";

/* One request and what must come of it. */
struct rcase {
	const char	*src;		/* "local" with local_src */
	const char	*rcpt;
	const char	*sender;	/* NULL: "sender@remote.test" */
	int		 local_src;
	int		 enqueue;
	int		 tls;
	const char	*auth;
	const char	*tag;
	const char	*helo;
	enum lka_status	 status;
	const char	*reply;		/* NULL for LKA_OK */
	const char	*action;	/* LKA_OK: the dispatcher */
	const char	*user;		/* LKA_OK: mda_user, NULL: don't care */
	const char	*subaddress;
};

static void	write_file(const char *, const char *);
static void	make_db(const char *, const char *, const char *const *);
static void	req_init(struct lka_rcpt_req *, const struct rcase *);
static void	run_cases(struct env *, const struct rcase *, size_t);

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

/* keys: NULL-terminated pairs key, value ("" in a set). */
static void
make_db(const char *name, const char *type, const char *const *kv)
{
	char path[256], final[256], meta[64];
	TCHDB *hdb;

	/* Built beside and renamed into place, as makemap does. */
	snprintf(path, sizeof(path), "%s/%s.tmp", tdir, name);
	snprintf(meta, sizeof(meta), "version=1 type=%s", type);
	assert_non_null(hdb = tchdbnew());
	assert_true(tchdbopen(hdb, path, HDBOWRITER | HDBOCREAT | HDBOTRUNC));
	for (; *kv != NULL; kv += 2)
		assert_true(tchdbput(hdb, kv[0], strlen(kv[0]), kv[1],
		    strlen(kv[1])));
	assert_true(tchdbput(hdb, "\0meta", 5, meta, strlen(meta)));
	assert_true(tchdbclose(hdb));
	tchdbdel(hdb);
	snprintf(final, sizeof(final), "%s/%s", tdir, name);
	assert_int_equal(rename(path, final), 0);
}

static void
req_init(struct lka_rcpt_req *q, const struct rcase *c)
{
	memset(q, 0, sizeof(*q));
	q->session = SESSION;
	strlcpy(q->src, c->src, sizeof(q->src));
	strlcpy(q->rcpt, c->rcpt, sizeof(q->rcpt));
	strlcpy(q->sender, c->sender ? c->sender : "sender@remote.test",
	    sizeof(q->sender));
	q->local_src = c->local_src;
	q->enqueue = c->enqueue;
	q->tls = c->tls;
	strlcpy(q->auth_user, c->auth ? c->auth : "", sizeof(q->auth_user));
	strlcpy(q->tag, c->tag ? c->tag : "", sizeof(q->tag));
	strlcpy(q->helo, c->helo ? c->helo : "client.test", sizeof(q->helo));
}

static void
run_cases(struct env *e, const struct rcase *cases, size_t n)
{
	struct lka_rcpt_req q;
	struct rcpt_decision d;
	struct envelope ev;
	char err[ENVELOPE_ERR_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct rcase *c = &cases[i];

		req_init(&q, c);
		recipient_decide(&e->ctx, &q, &d);
		if (d.status != c->status || strcmp(d.reply, c->reply ?
		    c->reply : "") != 0)
			fail_msg("case %zu <%s> from %s: status %d \"%s\"", i,
			    c->rcpt, c->src, d.status, d.reply);
		if (c->status != LKA_OK)
			continue;
		if (strcmp(d.action->name, c->action) != 0)
			fail_msg("case %zu <%s>: action %s", i, c->rcpt,
			    d.action->name);
		if (recipient_envelope(&e->ctx, &q, &d, &ev, err,
		    sizeof(err)) == -1)
			fail_msg("case %zu <%s>: envelope: %s", i, c->rcpt,
			    err);
		if (c->user != NULL && strcmp(ev.mda_user, c->user) != 0)
			fail_msg("case %zu <%s>: mda_user \"%s\"", i, c->rcpt,
			    ev.mda_user);
		if (c->subaddress != NULL &&
		    strcmp(ev.mda_subaddress, c->subaddress) != 0)
			fail_msg("case %zu <%s>: subaddress \"%s\"", i,
			    c->rcpt, ev.mda_subaddress);
	}
}

/* ------------------------------------------------------------ config A */

static const char conf_a[] =
    "table aliases { \"postmaster\" = \"root\", \"abuse\" = \"postmaster\" }\n"
    "table vusers file:DIR/vusers\n"
    "table vdomains { \"example.org\", \"*.example.net\" }\n"
    "table trusted { \"192.0.2.0/24\", \"[2001:db8::]/32\" }\n"
    "table ub file:DIR/userbase\n"
    "table authusers { \"alice\" }\n"
    "listen on 127.0.0.1 port 2525 hostname mx.example.org\n"
    "action \"local\" mbox alias <aliases>\n"
    "action \"vhost\" maildir \"/var/vmail/%{dest.domain}/%{dest.user}\" "
    "virtual <vusers>\n"
    "action \"vu\" maildir userbase <ub>\n"
    "action \"mdir\" maildir ttl 2d\n"
    "action \"out\" relay\n"
    "match from any for domain <vdomains> action \"vhost\"\n"
    "match !from src <trusted> mail-from \"@spam.example\" for any reject\n"
    "match for local action \"local\"\n"
    "match from any for domain \"vu.example\" action \"vu\"\n"
    "match from any for rcpt-to \"@rcptto.test\" action \"mdir\"\n"
    "match tls from any for domain \"tls.example\" action \"out\"\n"
    "match helo \"*.helo.example\" from any for domain \"helo.test\" "
    "action \"out\"\n"
    "match auth <authusers> from any for domain \"authlist.test\" "
    "action \"mdir\"\n"
    "match tag \"SUBMIT\" from any for domain \"tagged.example\" "
    "action \"out\"\n"
    "match from src <trusted> for any action \"out\"\n"
    "match auth from any for any action \"out\"\n";

#define OK(a, u, s)	LKA_OK, NULL, (a), (u), (s)
#define DENIED		LKA_REJECT, "550 5.7.1 Relay denied", NULL, NULL, NULL
#define UNKNOWN		LKA_REJECT, "550 5.1.1 Invalid recipient", NULL, NULL, \
			NULL
#define REFUSED		LKA_REJECT, \
			"550 5.7.1 Delivery not authorized, message refused", \
			NULL, NULL, NULL
#define TEMPFAIL	LKA_TEMPFAIL, "451 4.3.0 Temporary failure", NULL, \
			NULL, NULL

static const struct rcase cases_a[] = {
	/* virtual domains: only keys of the virtual table are known */
	{ "203.0.113.5", "alice@example.org", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("vhost", "", "") },
	{ "203.0.113.5", "Alice+News@Example.ORG", NULL, 0, 0, 0, NULL, NULL,
	    NULL, OK("vhost", "", "News") },
	{ "203.0.113.5", "staff@example.org", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("vhost", "", "") },
	{ "203.0.113.5", "anyone@sub.example.net", NULL, 0, 0, 0, NULL, NULL,
	    NULL, OK("vhost", "", "") },
	{ "203.0.113.5", "bob@example.org", NULL, 0, 0, 0, NULL, NULL, NULL,
	    UNKNOWN },
	{ "203.0.113.5", "root@other.example.net", NULL, 0, 0, 0, NULL, NULL,
	    NULL, UNKNOWN },
	/* no rule: relay denied for foreign domains... */
	{ "203.0.113.5", "bob@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
	    DENIED },
	{ "203.0.113.5", "bob@example.net", NULL, 0, 0, 0, NULL, NULL, NULL,
	    DENIED },
	/* ...invalid recipient for ours (implicit `from local` failed) */
	{ "203.0.113.5", "root@localhost", NULL, 0, 0, 0, NULL, NULL, NULL,
	    UNKNOWN },
	{ "203.0.113.5", "root@MX.example.org", NULL, 0, 0, 0, NULL, NULL,
	    NULL, UNKNOWN },
	/* local: alias keys, system users, postmaster */
	{ "127.0.0.1", "root@localhost", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", "root", "") },
	{ "::1", "Root+Box@LOCALHOST", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", "root", "Box") },
	{ "127.0.0.1", "root@mx.example.org", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", "root", "") },
	{ "127.0.0.1", "root@[127.0.0.1]", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", "root", "") },
	{ "127.0.0.1", "root@[IPv6:::1]", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", "root", "") },
	{ "127.0.0.1", "root@[IPv6:0::1]", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", "root", "") },
	{ "127.0.0.1", "root@[192.0.2.99]", NULL, 0, 0, 0, NULL, NULL, NULL,
	    DENIED },
	{ "127.0.0.1", "abuse+x@localhost", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", "", "x") },
	{ "127.0.0.1", "postmaster@localhost", NULL, 0, 0, 0, NULL, NULL,
	    NULL, OK("local", NULL, "") },
	{ "127.0.0.1", "postmaster", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("local", NULL, "") },
	{ "127.0.0.1", "nosuchuser4711@localhost", NULL, 0, 0, 0, NULL, NULL,
	    NULL, UNKNOWN },
	/* from local: UNIX sockets and the enqueue socket */
	{ "local", "root@localhost", NULL, 1, 0, 0, NULL, NULL, NULL,
	    OK("local", "root", "") },
	{ "local", "root@localhost", NULL, 1, 1, 0, NULL, NULL, NULL,
	    OK("local", "root", "") },
	/* userbase */
	{ "203.0.113.5", "joe@vu.example", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("vu", "joe", "") },
	{ "203.0.113.5", "JOE+x@vu.example", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("vu", "joe", "x") },
	{ "203.0.113.5", "root@vu.example", NULL, 0, 0, 0, NULL, NULL, NULL,
	    UNKNOWN },
	/* for rcpt-to, with a local action: the user must exist */
	{ "203.0.113.5", "root@rcptto.test", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("mdir", "root", "") },
	{ "203.0.113.5", "nosuchuser4711@rcptto.test", NULL, 0, 0, 0, NULL,
	    NULL, NULL, UNKNOWN },
	/* postmaster of any domain routed to a non-virtual local action */
	{ "203.0.113.5", "PostMaster@rcptto.test", NULL, 0, 0, 0, NULL, NULL,
	    NULL, OK("mdir", "", "") },
	/* ...but a virtual domain's postmaster needs a virtual key */
	{ "203.0.113.5", "postmaster@example.org", NULL, 0, 0, 0, NULL, NULL,
	    NULL, UNKNOWN },
	/* relaying */
	{ "192.0.2.7", "bob@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("out", "", "") },
	{ "2001:db8::5", "bob@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("out", "", "") },
	{ "::ffff:192.0.2.7", "bob@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
	    OK("out", "", "") },
	{ "203.0.113.5", "bob@far.test", NULL, 0, 0, 0, "mallory", NULL, NULL,
	    OK("out", "", "") },
	/* reject, and its negated condition */
	{ "198.51.100.1", "bob@far.test", "x@spam.example", 0, 0, 0, NULL,
	    NULL, NULL, REFUSED },
	{ "198.51.100.1", "root@localhost", "X@Spam.Example", 0, 0, 0, NULL,
	    NULL, NULL, REFUSED },
	{ "192.0.2.7", "bob@far.test", "x@spam.example", 0, 0, 0, NULL, NULL,
	    NULL, OK("out", "", "") },
	{ "198.51.100.1", "bob@far.test", "x@notspam.example", 0, 0, 0, NULL,
	    NULL, NULL, DENIED },
	/* tls, helo, auth list, tag */
	{ "198.51.100.1", "a@tls.example", NULL, 0, 0, 1, NULL, NULL, NULL,
	    OK("out", "", "") },
	{ "198.51.100.1", "a@tls.example", NULL, 0, 0, 0, NULL, NULL, NULL,
	    DENIED },
	{ "198.51.100.1", "a@helo.test", NULL, 0, 0, 0, NULL, NULL,
	    "mail.helo.example", OK("out", "", "") },
	{ "198.51.100.1", "a@helo.test", NULL, 0, 0, 0, NULL, NULL,
	    "helo.example", DENIED },
	{ "198.51.100.1", "root@authlist.test", NULL, 0, 0, 0, "Alice", NULL,
	    NULL, OK("mdir", "root", "") },
	{ "198.51.100.1", "root@authlist.test", NULL, 0, 0, 0, "mallory",
	    NULL, NULL, OK("out", "", "") },
	{ "198.51.100.1", "a@tagged.example", NULL, 0, 0, 0, NULL, "SUBMIT",
	    NULL, OK("out", "", "") },
	{ "198.51.100.1", "a@tagged.example", NULL, 0, 0, 0, NULL, "submit",
	    NULL, DENIED },
};

static void
test_config_a(void **state)
{
	struct env e;

	(void)state;
	write_file("vusers", "alice@example.org  alice\n"
	    "@sub.example.net   bob\nstaff   carol\n");
	write_file("userbase", "joe 1000:100:/home/joe\n");
	env_open(&e, tdir, conf_a, 1);
	run_cases(&e, cases_a, sizeof(cases_a) / sizeof(cases_a[0]));
	env_close(&e);
}

/* ------------------------------------------------------------ order */

static void
test_first_match_wins(void **state)
{
	static const struct rcase rej[] = {
		{ "192.0.2.1", "a@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
		    REFUSED },
	};
	static const struct rcase acc[] = {
		{ "192.0.2.1", "a@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
		    OK("out", "", "") },
	};
	struct env e;

	(void)state;
	env_open(&e, tdir, "action \"out\" relay\n"
	    "match from any for any reject\n"
	    "match from any for any action \"out\"\n", 1);
	run_cases(&e, rej, 1);
	env_close(&e);
	env_open(&e, tdir, "action \"out\" relay\n"
	    "match from any for any action \"out\"\n"
	    "match from any for any reject\n", 1);
	run_cases(&e, acc, 1);
	env_close(&e);
}

/* A rule without `from` is `from local`; without `for`, `for local`. */
static void
test_implicit(void **state)
{
	static const struct rcase cases[] = {
		{ "127.0.0.1", "a@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
		    DENIED },
		{ "203.0.113.1", "a@far.test", NULL, 0, 0, 0, NULL, NULL, NULL,
		    DENIED },
		{ "203.0.113.1", "root@localhost", NULL, 0, 0, 0, NULL, NULL,
		    NULL, UNKNOWN },
		{ "127.0.0.1", "root@localhost", NULL, 0, 0, 0, NULL, NULL,
		    NULL, OK("out", "", "") },
		{ "local", "root@localhost", NULL, 1, 0, 0, NULL, NULL, NULL,
		    OK("out", "", "") },
	};
	struct env e;

	(void)state;
	env_open(&e, tdir, "action \"out\" relay\nmatch action \"out\"\n", 1);
	run_cases(&e, cases, sizeof(cases) / sizeof(cases[0]));
	env_close(&e);
}

/* ------------------------------------------------------------ tempfail */

static void
test_tempfail(void **state)
{
	static const char *const doms[] = { "listed.test", "", NULL };
	static const char *const virt[] = { "alice@virt.test", "alice",
	    NULL };
	static const struct rcase before[] = {
		{ "203.0.113.1", "x@listed.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, OK("out", "", "") },
		{ "203.0.113.1", "alice@virt.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, OK("v", "", "") },
		{ "203.0.113.1", "bob@virt.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, UNKNOWN },
		{ "203.0.113.1", "x@other.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, REFUSED },
	};
	static const struct rcase doms_gone[] = {
		/* rule 1 cannot be decided, but its tag is false anyway */
		{ "203.0.113.1", "alice@virt.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, OK("v", "", "") },
		{ "203.0.113.1", "x@listed.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, TEMPFAIL },
		{ "203.0.113.1", "x@other.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, TEMPFAIL },
	};
	static const struct rcase virt_gone[] = {
		{ "203.0.113.1", "alice@virt.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, TEMPFAIL },
		{ "203.0.113.1", "bob@virt.test", NULL, 0, 0, 0, NULL, NULL,
		    NULL, TEMPFAIL },
	};
	char path[256], err[TABLE_ERR_MAX];
	struct env e;

	(void)state;
	make_db("doms.db", "set", doms);
	make_db("virt.db", "aliases", virt);
	env_open(&e, tdir, "table doms db:DIR/doms.db\n"
	    "table virt db:DIR/virt.db\n"
	    "action \"out\" relay\n"
	    "action \"v\" maildir virtual <virt>\n"
	    "match from any for domain <doms> tag \"NOPE\" action \"out\"\n"
	    "match from any for domain \"virt.test\" action \"v\"\n"
	    "match from any for domain <doms> action \"out\"\n"
	    "match from any for any reject\n", 1);
	table_set_check_interval(tableset_find(e.tables, "doms"), 0);
	table_set_check_interval(tableset_find(e.tables, "virt"), 0);
	run_cases(&e, before, sizeof(before) / sizeof(before[0]));

	snprintf(path, sizeof(path), "%s/doms.db", tdir);
	assert_int_equal(unlink(path), 0);
	run_cases(&e, doms_gone, sizeof(doms_gone) / sizeof(doms_gone[0]));

	snprintf(path, sizeof(path), "%s/virt.db", tdir);
	assert_int_equal(unlink(path), 0);
	run_cases(&e, virt_gone, sizeof(virt_gone) / sizeof(virt_gone[0]));

	/* smtpctl update table: back to normal once the files are back. */
	assert_int_equal(tableset_update(e.tables, "nosuch", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "no such table");
	assert_int_equal(tableset_update(e.tables, "doms", err, sizeof(err)),
	    -1);
	make_db("doms.db", "set", doms);
	make_db("virt.db", "aliases", virt);
	assert_int_equal(tableset_update(e.tables, "doms", err, sizeof(err)),
	    0);
	assert_int_equal(tableset_update(e.tables, "virt", err, sizeof(err)),
	    0);
	run_cases(&e, before, sizeof(before) / sizeof(before[0]));
	env_close(&e);
}

/* A userbase entry that cannot be used is a table error (db: tables
 * are not checked entry by entry at load). */
static void
test_userbase_bad_entry(void **state)
{
	static const char *const ub[] = { "joe", "1000:100:/home/joe",
	    "zed", "0:0:/root", "bad", "x:y:z", NULL };
	static const struct rcase cases[] = {
		{ "203.0.113.1", "joe@vu.example", NULL, 0, 0, 0, NULL, NULL,
		    NULL, OK("vu", "joe", "") },
		{ "203.0.113.1", "zed@vu.example", NULL, 0, 0, 0, NULL, NULL,
		    NULL, TEMPFAIL },
		{ "203.0.113.1", "bad@vu.example", NULL, 0, 0, 0, NULL, NULL,
		    NULL, TEMPFAIL },
		{ "203.0.113.1", "nobody@vu.example", NULL, 0, 0, 0, NULL,
		    NULL, NULL, UNKNOWN },
	};
	struct env e;

	(void)state;
	make_db("ub.db", "plain", ub);
	env_open(&e, tdir, "table ub db:DIR/ub.db\n"
	    "action \"vu\" maildir userbase <ub> ttl 1h\n"
	    "match from any for domain \"vu.example\" action \"vu\"\n", 1);
	run_cases(&e, cases, sizeof(cases) / sizeof(cases[0]));
	env_close(&e);
}

/* ------------------------------------------------------------ template */

static void
test_envelope_template(void **state)
{
	struct lka_rcpt_req q;
	struct rcpt_decision d;
	struct envelope ev, back;
	char err[ENVELOPE_ERR_MAX];
	uint8_t *buf;
	size_t len;
	struct env e;

	(void)state;
	write_file("vusers", "alice@example.org  alice\n");
	write_file("userbase", "joe 1000:100:/home/joe\n");
	env_open(&e, tdir, conf_a, 1);

	/* Local delivery. */
	memset(&q, 0, sizeof(q));
	q.session = SESSION;
	strlcpy(q.src, "127.0.0.1", sizeof(q.src));
	strlcpy(q.rcpt, "Root+Box@localhost", sizeof(q.rcpt));
	strlcpy(q.helo, "client.test", sizeof(q.helo));
	strlcpy(q.listener_host, "mx.example.org", sizeof(q.listener_host));
	strlcpy(q.tag, "T", sizeof(q.tag));
	q.tls = 1;
	strlcpy(q.auth_user, "alice", sizeof(q.auth_user));
	recipient_decide(&e.ctx, &q, &d);
	assert_int_equal(d.status, LKA_OK);
	assert_int_equal(recipient_envelope(&e.ctx, &q, &d, &ev, err,
	    sizeof(err)), 0);
	assert_int_equal(ev.evpid, RCPT_TEMPLATE_EVPID);
	assert_int_equal(ev.type, ENVELOPE_MDA);
	assert_string_equal(ev.dispatcher, "local");
	assert_string_equal(ev.tag, "T");
	assert_string_equal(ev.smtpname, "mx.example.org");
	assert_string_equal(ev.helo, "client.test");
	assert_int_equal(ev.family, ENVELOPE_INET4);
	assert_string_equal(ev.sockaddr, "127.0.0.1");
	assert_string_equal(ev.username, "alice");
	assert_int_equal(ev.flags, ENVELOPE_F_TLS | ENVELOPE_F_AUTH);
	assert_string_equal(ev.sender, "");
	assert_string_equal(ev.rcpt, "Root+Box@localhost");
	assert_string_equal(ev.dest, "Root+Box@localhost");
	assert_string_equal(ev.mda_user, "root");
	assert_string_equal(ev.mda_subaddress, "Box");
	assert_int_equal(ev.ttl, e.conf->queue_ttl);
	assert_true(ev.ctime > 0);
	assert_int_equal(envelope_encode(&ev, &buf, &len, err, sizeof(err)),
	    0);
	assert_int_equal(envelope_decode(buf, len, &back, err, sizeof(err)), 0);
	assert_true(envelope_equal(&ev, &back));
	free(buf);

	/* Bare <postmaster> is routed to postmaster@NAME. */
	strlcpy(q.rcpt, "postmaster", sizeof(q.rcpt));
	q.tls = 0;
	q.auth_user[0] = '\0';
	recipient_decide(&e.ctx, &q, &d);
	assert_int_equal(d.status, LKA_OK);
	assert_int_equal(recipient_envelope(&e.ctx, &q, &d, &ev, err,
	    sizeof(err)), 0);
	assert_string_equal(ev.rcpt, "postmaster");
	assert_true(strncmp(ev.dest, "postmaster@", 11) == 0);
	assert_string_equal(ev.dest + 11, e.conf->hostname);
	assert_int_equal(ev.flags, 0);

	/* Relay, from a UNIX socket, with an action ttl. */
	memset(&q, 0, sizeof(q));
	strlcpy(q.src, "local", sizeof(q.src));
	q.local_src = 1;
	strlcpy(q.rcpt, "root@rcptto.test", sizeof(q.rcpt));
	strlcpy(q.sender, "me@example.org", sizeof(q.sender));
	recipient_decide(&e.ctx, &q, &d);
	assert_int_equal(d.status, LKA_OK);
	assert_int_equal(recipient_envelope(&e.ctx, &q, &d, &ev, err,
	    sizeof(err)), 0);
	assert_int_equal(ev.type, ENVELOPE_MDA);
	assert_int_equal(ev.ttl, 2 * 86400);
	assert_int_equal(ev.family, ENVELOPE_LOCAL);
	assert_string_equal(ev.sockaddr, "local");
	assert_string_equal(ev.smtpname, e.conf->hostname);

	strlcpy(q.src, "2001:db8::7", sizeof(q.src));
	q.local_src = 0;
	strlcpy(q.rcpt, "bob@far.test", sizeof(q.rcpt));
	recipient_decide(&e.ctx, &q, &d);
	assert_int_equal(d.status, LKA_OK);
	assert_int_equal(recipient_envelope(&e.ctx, &q, &d, &ev, err,
	    sizeof(err)), 0);
	assert_int_equal(ev.type, ENVELOPE_MTA);
	assert_string_equal(ev.dispatcher, "out");
	assert_int_equal(ev.family, ENVELOPE_INET6);
	assert_string_equal(ev.mda_user, "");
	assert_string_equal(ev.sender, "me@example.org");

	/* No template for a refused recipient. */
	strlcpy(q.src, "203.0.113.9", sizeof(q.src));
	recipient_decide(&e.ctx, &q, &d);
	assert_int_equal(d.status, LKA_REJECT);
	assert_int_equal(recipient_envelope(&e.ctx, &q, &d, &ev, err,
	    sizeof(err)), -1);
	env_close(&e);
}

static void
test_localnames(void **state)
{
	struct localnames *ln;
	struct env e;

	(void)state;
	env_open(&e, tdir, "listen on 127.0.0.1 port 2525 hostname MX.Example.ORG\n"
	    "action \"out\" relay\nmatch from any for any action \"out\"\n", 1);
	ln = e.ln;
	assert_true(localnames_domain(ln, "localhost"));
	assert_true(localnames_domain(ln, "LOCALHOST."));
	assert_true(localnames_domain(ln, "mx.example.org"));
	assert_true(localnames_domain(ln, e.conf->hostname));
	assert_false(localnames_domain(ln, "example.org"));
	assert_true(localnames_domain(ln, "[127.0.0.1]"));
	assert_true(localnames_domain(ln, "[IPv6:::1]"));
	assert_true(localnames_domain(ln, "[ipv6:0:0::1]"));
	assert_false(localnames_domain(ln, "[127.0.0.2]"));
	assert_false(localnames_domain(ln, ""));
	assert_true(localnames_source(ln, "127.0.0.1"));
	assert_true(localnames_source(ln, "::ffff:127.0.0.1"));
	assert_true(localnames_source(ln, "::1"));
	assert_false(localnames_source(ln, "192.0.2.1"));
	assert_false(localnames_source(ln, "local"));
	env_close(&e);

	/* The real interfaces: loopback is always there. */
	ln = localnames_new(NULL, 0);
	assert_true(localnames_source(ln, "127.0.0.1"));
	assert_true(localnames_domain(ln, "[127.0.0.1]"));
	localnames_free(ln);
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
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_a),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_implicit),
		cmocka_unit_test(test_tempfail),
		cmocka_unit_test(test_userbase_bad_entry),
		cmocka_unit_test(test_envelope_template),
		cmocka_unit_test(test_localnames),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}

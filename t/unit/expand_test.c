/*
 * expand_test.c: unit tests for aliases/expand.c, the expansion tree of
 * one recipient (tables.md sections 3-5, delivery.md section 5) on
 * configurations parsed with config_parse_buffer(): alias to several
 * users, to an address (re-routed through the rules: relay or another
 * local action), to a pipe and a file, :include:, error: aliases (4xx and
 * 5xx), virtual keys, catch-alls and their precedence, alias loops, the
 * depth limit, duplicates removed, +tag kept for the user's own mailbox,
 * .forward through the ops callback (content, self, pending/restart,
 * root's pipes refused, too many destinations), and the envelopes built
 * from the result. Users come from a userbase table, or for .forward
 * from the system (daemon, bin, root exist on every Debian system).
 * Userbase users have a .forward too: the callback is told their entry
 * (uid, gid, HOME), and so is the caller of a PENDING run. forward-only
 * and expand-only actions: which results they accept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aliases/expand.h"
#include "aliases/localnames.h"
#include "aliases/rules.h"
#include "aliases/table.h"
#include "queue/envelope.h"
#include "smtpd/config.h"
#include "rules_util.h"

static char	tdir[] = "/tmp/expand_test.XXXXXX";

/* Canned .forward answers for the ops callback. */
struct fwd {
	const char	*user;
	enum expand_fwd	 status;
	const char	*text;
	int		 root;
	int		 asked;		/* PENDING until asked once */
};

/* Whose file the callback was last asked for. */
static struct {
	int		 userbase;
	uid_t		 uid;
	char		 home[64];
} told;

static struct fwd *fwds;
static size_t nfwds;

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
fwd_cb(void *arg, const char *user, struct expand_forward *fw)
{
	size_t i;

	(void)arg;
	for (i = 0; i < nfwds; i++) {
		if (strcmp(fwds[i].user, user) != 0)
			continue;
		told.userbase = fw->userbase;
		told.uid = fw->ui.uid;
		strlcpy(told.home, fw->ui.home, sizeof(told.home));
		if (!fwds[i].asked++) {
			fw->status = EXPAND_FWD_PENDING;
			return;
		}
		fw->status = fwds[i].status;
		fw->buf = fwds[i].text;
		fw->len = fwds[i].text != NULL ? strlen(fwds[i].text) : 0;
		fw->owner_root = fwds[i].root;
		return;
	}
	fw->status = EXPAND_FWD_NONE;
}

/*
 * Expands rcpt (restarting on PENDING as the lookup role does) and
 * renders the finals as "kind:action:user:extra" lines, in order.
 */
static enum expand_status
run(struct env *e, const char *rcpt, char *out, size_t outsz, char *reply,
    size_t replysz)
{
	struct lka_rcpt_req q;
	struct expand_ops ops;
	struct expand_result res;
	struct envelope ev;
	char err[ENVELOPE_ERR_MAX], line[2048];
	enum expand_status st;
	size_t i;
	int rounds = 0;

	memset(&q, 0, sizeof(q));
	q.session = 1;
	strlcpy(q.src, "192.0.2.1", sizeof(q.src));
	strlcpy(q.rcpt, rcpt, sizeof(q.rcpt));
	strlcpy(q.sender, "sender@remote.test", sizeof(q.sender));
	strlcpy(q.helo, "client.test", sizeof(q.helo));
	memset(&ops, 0, sizeof(ops));
	ops.forward = fwd_cb;
	do {
		expand_run(&e->ctx, &q, &ops, &res);
		assert_true(++rounds < 20);
	} while (res.status == EXPAND_PENDING);
	out[0] = '\0';
	strlcpy(reply, res.reply, replysz);
	for (i = 0; i < res.nfinals; i++) {
		const struct expand_final *f = &res.finals[i];

		if (expand_envelope(&e->ctx, &q, &res, i, &ev, err,
		    sizeof(err)) == -1)
			fail_msg("<%s> final %zu: %s", rcpt, i, err);
		assert_string_equal(ev.rcpt, rcpt);
		assert_string_equal(ev.dest, f->dest);
		if (f->type == ENVELOPE_MTA)
			snprintf(line, sizeof(line), "mta:%s:%s\n",
			    f->action->name, f->dest);
		else if (f->method == ENVELOPE_MDA_ACTION)
			snprintf(line, sizeof(line), "mda:%s:%s:%s:%s\n",
			    f->action->name, f->user, f->subaddress, f->dest);
		else
			snprintf(line, sizeof(line), "%s:%s:%s:%s\n",
			    f->method == ENVELOPE_MDA_PIPE ? "pipe" : "file",
			    f->action->name, f->user, f->exec);
		strlcat(out, line, outsz);
	}
	st = res.status;
	expand_result_free(&res);
	return st;
}

#define EXPECT_OK(e, rcpt, want) do {					\
	char _o[16384], _r[LKA_REPLY_MAX];				\
	if (run((e), (rcpt), _o, sizeof(_o), _r, sizeof(_r)) != EXPAND_OK) \
		fail_msg("<%s>: %s", (rcpt), _r);			\
	if (strcmp(_o, (want)) != 0)					\
		fail_msg("<%s>:\n%s---want---\n%s", (rcpt), _o, (want)); \
} while (0)

#define EXPECT_FAIL(e, rcpt, st, want) do {				\
	char _o[16384], _r[LKA_REPLY_MAX];				\
	enum expand_status _s;						\
	_s = run((e), (rcpt), _o, sizeof(_o), _r, sizeof(_r));		\
	if (_s != (st) || strcmp(_r, (want)) != 0)			\
		fail_msg("<%s>: status %d \"%s\" finals:\n%s", (rcpt),	\
		    (int)_s, _r, _o);					\
} while (0)

static const char conf[] =
    "table aliases file:DIR/aliases\n"
    "table sysaliases { \"team\" = \"daemon, bin\", \"rootfwd\" = \"root\" }\n"
    "table ub { \"alice\" = \"1000:1000:/home/alice\","
    " \"bob\" = \"1001:1001:/home/bob\", \"carol\" = \"1002:1002:/home/carol\" }\n"
    "table virt { \"info@example.net\" = \"alice, bob\","
    " \"bob@example.net\" = \"bob, bob@archive.test\","
    " \"x+tag@example.net\" = \"carol\", \"x@example.net\" = \"bob\","
    " \"sales\" = \"carol\", \"@example.net\" = \"alice\","
    " \"@\" = \"bob\" }\n"
    "table vdoms { \"example.net\", \"example.com\" }\n"
    "table fwdal { \"remote\" = \"x@archive.test\","
    " \"local\" = \"daemon\", \"mixed\" = \"x@archive.test, daemon\","
    " \"prog\" = \"|/bin/cat\", \"addr\" = \"alice@example.org\" }\n"
    "table expal { \"prog\" = \"|/bin/cat\", \"arch\" = \"/tmp/x.mbox\","
    " \"remote\" = \"x@archive.test\", \"local\" = \"daemon\" }\n"
    "action \"local\" maildir alias <aliases> userbase <ub>\n"
    "action \"virt\" maildir virtual <virt> userbase <ub>\n"
    "action \"sys\" mbox alias <sysaliases>\n"
    "action \"out\" relay\n"
    "action \"fwd\" forward-only alias <fwdal>\n"
    "action \"exp\" expand-only alias <expal>\n"
    "match from any for domain \"example.org\" action \"local\"\n"
    "match from any for domain <vdoms> action \"virt\"\n"
    "match from any for domain \"sys.test\" action \"sys\"\n"
    "match from any for domain \"reject.test\" reject\n"
    "match from any for domain \"archive.test\" action \"out\"\n"
    "match from any for domain \"fwd.test\" action \"fwd\"\n"
    "match from any for domain \"exp.test\" action \"exp\"\n";

static const char aliases[] =
    "staff: alice, bob,\n"
    "       carol\n"
    "fwd: alice@example.net, dave@archive.test\n"
    "prog: \"|/usr/bin/prog -x arg\"\n"
    "arch: /var/mail/archive.mbox, \\bob\n"
    "list: :include:DIR/list.txt\n"
    "secret: :include:DIR/secret.txt\n"
    "nobody: error:550 5.1.1 no such user here\n"
    "later: error:451 4.3.2 try later\n"
    "loop1: loop2\n"
    "loop2: loop1, alice\n"
    "bob: bob, alice\n"
    "dup: alice, alice, staff, alice@example.org\n"
    "alice+spam: /dev/null\n"
    "rej: someone@reject.test\n"
    "relaydenied: someone@elsewhere.test\n"
    "ghost: nosuchuser\n"
    "d0: d1\nd1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\nd7: d8\n"
    "d8: d9\nd9: d10\nd10: d11\nd11: alice\n";

static int
setup(void **state)
{
	static struct env e;
	char buf[2048];

	if (mkdtemp(tdir) == NULL)
		return -1;
	/* DIR inside the alias file too */
	snprintf(buf, sizeof(buf), "%s", aliases);
	write_file("aliases.tmp", buf, 0644);
	{
		char path[512], in[512];
		FILE *fp, *in_fp;
		char line[512];

		snprintf(in, sizeof(in), "%s/aliases.tmp", tdir);
		snprintf(path, sizeof(path), "%s/aliases", tdir);
		in_fp = fopen(in, "r");
		fp = fopen(path, "w");
		if (in_fp == NULL || fp == NULL)
			return -1;
		while (fgets(line, sizeof(line), in_fp) != NULL) {
			char *d = strstr(line, "DIR");
			if (d != NULL) {
				*d = '\0';
				fprintf(fp, "%s%s%s", line, tdir, d + 3);
			} else
				fputs(line, fp);
		}
		fclose(in_fp);
		fclose(fp);
	}
	write_file("list.txt", "carol, x@archive.test\n# comment\n"
	    "\"|/bin/cat\"\n:include:/etc/passwd\n", 0644);
	write_file("secret.txt", "carol\n", 0600);
	env_open(&e, tdir, conf, 0);
	*state = &e;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	env_close(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_users(void **state)
{
	struct env *e = *state;

	EXPECT_OK(e, "alice@example.org",
	    "mda:local:alice::alice@example.org\n");
	EXPECT_OK(e, "staff@example.org",
	    "mda:local:alice::alice@example.org\n"
	    "mda:local:bob::bob@example.org\n"
	    "mda:local:carol::carol@example.org\n");
	EXPECT_FAIL(e, "nosuch@example.org", EXPAND_REJECT,
	    "550 5.1.1 Invalid recipient");
	/* an alias member that is no user: the whole recipient fails */
	EXPECT_FAIL(e, "ghost@example.org", EXPAND_REJECT,
	    "550 5.1.1 Invalid recipient");
}

static void
test_address(void **state)
{
	struct env *e = *state;

	/* one local address in another action, one relayed */
	EXPECT_OK(e, "fwd@example.org",
	    "mda:virt:alice::alice@example.net\n"
	    "mta:out:dave@archive.test\n");
	EXPECT_FAIL(e, "rej@example.org", EXPAND_REJECT,
	    "550 5.7.1 Delivery not authorized, message refused");
	EXPECT_FAIL(e, "relaydenied@example.org", EXPAND_REJECT,
	    "550 5.7.1 Relay denied");
}

static void
test_pipe_file(void **state)
{
	struct env *e = *state;

	EXPECT_OK(e, "prog@example.org",
	    "pipe:local:" MAIL_USER ":/usr/bin/prog -x arg\n");
	EXPECT_OK(e, "arch@example.org",
	    "file:local:" MAIL_USER ":/var/mail/archive.mbox\n"
	    "mda:local:bob::bob@example.org\n");
}

static void
test_include(void **state)
{
	struct env *e = *state;

	/* the nested include is ignored with a warning */
	EXPECT_OK(e, "list@example.org",
	    "mda:local:carol::carol@example.org\n"
	    "mta:out:x@archive.test\n"
	    "pipe:local:" MAIL_USER ":/bin/cat\n");
	/* not world-readable: refused even when we could read it */
	EXPECT_FAIL(e, "secret@example.org", EXPAND_TEMPFAIL,
	    "451 4.3.0 Temporary failure");
}

static void
test_error(void **state)
{
	struct env *e = *state;

	EXPECT_FAIL(e, "nobody@example.org", EXPAND_REJECT,
	    "550 5.1.1 no such user here");
	EXPECT_FAIL(e, "later@example.org", EXPAND_TEMPFAIL,
	    "451 4.3.2 try later");
}

static void
test_virtual(void **state)
{
	struct env *e = *state;

	EXPECT_OK(e, "info@example.net",
	    "mda:virt:alice::alice@example.net\n"
	    "mda:virt:bob::bob@example.net\n");
	EXPECT_OK(e, "bob@example.net",
	    "mda:virt:bob::bob@example.net\n"
	    "mta:out:bob@archive.test\n");
	/* user+tag@domain before user@domain */
	EXPECT_OK(e, "x+tag@example.net", "mda:virt:carol::carol@example.net\n");
	EXPECT_OK(e, "x+other@example.net", "mda:virt:bob::bob@example.net\n");
	/* bare user before the domain catch-all */
	EXPECT_OK(e, "sales@example.net", "mda:virt:carol::carol@example.net\n");
	/* domain catch-all before the global one */
	EXPECT_OK(e, "whoever@example.net",
	    "mda:virt:alice::alice@example.net\n");
	EXPECT_OK(e, "whoever@example.com", "mda:virt:bob::bob@example.com\n");
}

static void
test_loops(void **state)
{
	struct env *e = *state;

	/* bob: bob, alice -> bob's mailbox and alice */
	EXPECT_OK(e, "bob@example.org",
	    "mda:local:bob::bob@example.org\n"
	    "mda:local:alice::alice@example.org\n");
	EXPECT_OK(e, "loop1@example.org", "mda:local:alice::alice@example.org\n");
	EXPECT_FAIL(e, "d0@example.org", EXPAND_REJECT, EXPAND_REPLY_LOOP);
	/* nine levels are fine */
	EXPECT_OK(e, "d3@example.org", "mda:local:alice::alice@example.org\n");
}

static void
test_duplicates(void **state)
{
	struct env *e = *state;

	EXPECT_OK(e, "dup@example.org",
	    "mda:local:alice::alice@example.org\n"
	    "mda:local:bob::bob@example.org\n"
	    "mda:local:carol::carol@example.org\n");
}

static void
test_tag(void **state)
{
	struct env *e = *state;

	EXPECT_OK(e, "alice+news@example.org",
	    "mda:local:alice:news:alice@example.org\n");
	/* user+tag key first */
	EXPECT_OK(e, "alice+spam@example.org",
	    "file:local:" MAIL_USER ":/dev/null\n");
	/* the tag stays with the user's own mailbox only */
	EXPECT_OK(e, "bob+x@example.org",
	    "mda:local:bob:x:bob@example.org\n"
	    "mda:local:alice::alice@example.org\n");
	EXPECT_OK(e, "staff+x@example.org",
	    "mda:local:alice::alice@example.org\n"
	    "mda:local:bob::bob@example.org\n"
	    "mda:local:carol::carol@example.org\n");
}

static void
test_forward(void **state)
{
	struct env *e = *state;
	struct fwd f[] = {
		{ "daemon", EXPAND_FWD_FOUND,
		    "bin, daemon\n\"|/usr/bin/vacation daemon\"\n"
		    "/tmp/daemon.mbox # file\nalice@example.org\n", 0, 0 },
		{ "bin", EXPAND_FWD_NONE, NULL, 0, 0 },
		{ "root", EXPAND_FWD_FOUND, "|/bin/sh\n", 1, 0 },
	};

	fwds = f;
	nfwds = 3;
	EXPECT_OK(e, "daemon@sys.test",
	    "mda:sys:bin::bin@sys.test\n"
	    "mda:sys:daemon::daemon@sys.test\n"
	    "pipe:sys:daemon:/usr/bin/vacation daemon\n"
	    "file:sys:daemon:/tmp/daemon.mbox\n"
	    "mda:local:alice::alice@example.org\n");
	assert_true(f[0].asked >= 2 && f[1].asked >= 2);
	/* alias team -> daemon (forward) and bin: bin once */
	EXPECT_OK(e, "team@sys.test",
	    "mda:sys:bin::bin@sys.test\n"
	    "mda:sys:daemon::daemon@sys.test\n"
	    "pipe:sys:daemon:/usr/bin/vacation daemon\n"
	    "file:sys:daemon:/tmp/daemon.mbox\n"
	    "mda:local:alice::alice@example.org\n");
	/* root's .forward may not run commands */
	EXPECT_FAIL(e, "rootfwd@sys.test", EXPAND_REJECT,
	    EXPAND_REPLY_ROOTFWD);
	f[2].text = "daemon\n";
	f[2].asked = 0;
	EXPECT_OK(e, "root@sys.test",
	    "mda:sys:bin::bin@sys.test\n"
	    "mda:sys:daemon::daemon@sys.test\n"
	    "pipe:sys:daemon:/usr/bin/vacation daemon\n"
	    "file:sys:daemon:/tmp/daemon.mbox\n"
	    "mda:local:alice::alice@example.org\n");
	/* a temporary failure of the file */
	f[1].status = EXPAND_FWD_TEMPFAIL;
	f[1].asked = 0;
	EXPECT_FAIL(e, "bin@sys.test", EXPAND_TEMPFAIL,
	    "451 4.3.0 Temporary failure");
	fwds = NULL;
	nfwds = 0;
}

static void
test_forward_limits(void **state)
{
	struct env *e = *state;
	char big[EXPAND_FORWARD_SIZE + 10], many[2048];
	struct fwd f[1] = { { "daemon", EXPAND_FWD_FOUND, NULL, 0, 0 } };
	size_t i;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fwds = f;
	nfwds = 1;
	f[0].text = big;
	EXPECT_FAIL(e, "daemon@sys.test", EXPAND_TEMPFAIL,
	    "451 4.3.0 Temporary failure");
	many[0] = '\0';
	for (i = 0; i < 101; i++)
		strlcat(many, "x@archive.test,", sizeof(many));
	f[0].text = many;
	f[0].asked = 0;
	EXPECT_FAIL(e, "daemon@sys.test", EXPAND_TEMPFAIL,
	    "451 4.3.0 Temporary failure");
	f[0].text = "\"unbalanced\n";
	f[0].asked = 0;
	EXPECT_FAIL(e, "daemon@sys.test", EXPAND_TEMPFAIL,
	    "451 4.3.0 Temporary failure");
	/* empty or only comments: the mailbox */
	f[0].text = "# nothing\n";
	f[0].asked = 0;
	EXPECT_OK(e, "daemon@sys.test", "mda:sys:daemon::daemon@sys.test\n");
	fwds = NULL;
	nfwds = 0;
}

/* A userbase user's .forward: asked with its entry, then expanded. */
static void
test_userbase_forward(void **state)
{
	struct env *e = *state;
	struct fwd f[] = {
		{ "carol", EXPAND_FWD_FOUND, "x@archive.test, carol\n", 0, 0 },
		{ "daemon", EXPAND_FWD_NONE, NULL, 0, 0 },
	};
	struct lka_rcpt_req q;
	struct expand_ops ops;
	struct expand_result res;

	fwds = f;
	nfwds = 2;
	/* the first run stops: the caller learns whose file to open */
	memset(&q, 0, sizeof(q));
	q.session = 1;
	strlcpy(q.src, "192.0.2.1", sizeof(q.src));
	strlcpy(q.rcpt, "carol@example.org", sizeof(q.rcpt));
	memset(&ops, 0, sizeof(ops));
	ops.forward = fwd_cb;
	expand_run(&e->ctx, &q, &ops, &res);
	assert_int_equal(res.status, EXPAND_PENDING);
	assert_string_equal(res.pending_user, "carol");
	assert_int_equal(res.pending_userbase, 1);
	assert_int_equal(res.pending_ui.uid, 1002);
	assert_int_equal(res.pending_ui.gid, 1002);
	assert_string_equal(res.pending_ui.home, "/home/carol");
	expand_result_free(&res);
	f[0].asked = 0;
	EXPECT_OK(e, "carol@example.org",
	    "mta:out:x@archive.test\n"
	    "mda:local:carol::carol@example.org\n");
	assert_int_equal(told.userbase, 1);
	assert_int_equal(told.uid, 1002);
	assert_string_equal(told.home, "/home/carol");
	/* a system user: no userbase entry */
	EXPECT_OK(e, "daemon@sys.test", "mda:sys:daemon::daemon@sys.test\n");
	assert_int_equal(told.userbase, 0);
	assert_int_equal(told.uid, 0);
	fwds = NULL;
	nfwds = 0;
}

/* forward-only: remote addresses only; expand-only: a delivery method. */
static void
test_forward_only(void **state)
{
	struct env *e = *state;
	struct fwd f[] = {
		{ "bin", EXPAND_FWD_FOUND, "x@archive.test\n", 0, 0 },
		{ "daemon", EXPAND_FWD_NONE, NULL, 0, 0 },
	};

	fwds = f;
	nfwds = 2;
	EXPECT_OK(e, "remote@fwd.test", "mta:out:x@archive.test\n");
	/* an address is forwarded, whatever action it lands on */
	EXPECT_OK(e, "addr@fwd.test", "mda:local:alice::alice@example.org\n");
	EXPECT_FAIL(e, "local@fwd.test", EXPAND_REJECT, EXPAND_REPLY_FWDONLY);
	EXPECT_FAIL(e, "mixed@fwd.test", EXPAND_REJECT, EXPAND_REPLY_FWDONLY);
	EXPECT_FAIL(e, "prog@fwd.test", EXPAND_REJECT, EXPAND_REPLY_FWDONLY);
	/* a user: its .forward must forward */
	EXPECT_OK(e, "bin@fwd.test", "mta:out:x@archive.test\n");
	EXPECT_FAIL(e, "daemon@fwd.test", EXPAND_REJECT, EXPAND_REPLY_FWDONLY);
	f[0].text = "x@archive.test, \\bin\n";
	f[0].asked = 0;
	EXPECT_FAIL(e, "bin@fwd.test", EXPAND_REJECT, EXPAND_REPLY_FWDONLY);
	EXPECT_FAIL(e, "nosuchuser@fwd.test", EXPAND_REJECT,
	    RCPT_REPLY_UNKNOWN);

	EXPECT_OK(e, "prog@exp.test", "pipe:exp:" MAIL_USER ":/bin/cat\n");
	EXPECT_OK(e, "arch@exp.test", "file:exp:" MAIL_USER ":/tmp/x.mbox\n");
	EXPECT_OK(e, "remote@exp.test", "mta:out:x@archive.test\n");
	EXPECT_FAIL(e, "local@exp.test", EXPAND_REJECT, EXPAND_REPLY_EXPONLY);
	EXPECT_FAIL(e, "daemon@exp.test", EXPAND_REJECT, EXPAND_REPLY_EXPONLY);
	f[0].text = "\"|/usr/bin/vacation bin\"\n";
	f[0].asked = 0;
	EXPECT_OK(e, "bin@exp.test", "pipe:exp:bin:/usr/bin/vacation bin\n");
	f[0].text = "\\bin\n";
	f[0].asked = 0;
	EXPECT_FAIL(e, "bin@exp.test", EXPAND_REJECT, EXPAND_REPLY_EXPONLY);
	fwds = NULL;
	nfwds = 0;
}

static void
test_envelope_fields(void **state)
{
	struct envelope ev, back;
	uint8_t *buf;
	size_t len;
	char err[ENVELOPE_ERR_MAX];

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.evpid = RCPT_TEMPLATE_EVPID;
	ev.type = ENVELOPE_MDA;
	strlcpy(ev.dispatcher, "local", sizeof(ev.dispatcher));
	ev.family = ENVELOPE_LOCAL;
	strlcpy(ev.sockaddr, "local", sizeof(ev.sockaddr));
	strlcpy(ev.rcpt, "prog@example.org", sizeof(ev.rcpt));
	strlcpy(ev.dest, "prog@example.org", sizeof(ev.dest));
	ev.ctime = 1;
	ev.mda_method = ENVELOPE_MDA_PIPE;
	strlcpy(ev.mda_exec, "/usr/bin/prog \"a b\"\targ", sizeof(ev.mda_exec));
	assert_int_equal(envelope_encode(&ev, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(envelope_decode(buf, len, &back, err, sizeof(err)), 0);
	assert_true(envelope_equal(&ev, &back));
	free(buf);
	/* method and exec must agree; a file is an absolute path */
	ev.mda_exec[0] = '\0';
	assert_int_equal(envelope_validate(&ev, err, sizeof(err)), -1);
	ev.mda_method = ENVELOPE_MDA_FILE;
	strlcpy(ev.mda_exec, "relative", sizeof(ev.mda_exec));
	assert_int_equal(envelope_validate(&ev, err, sizeof(err)), -1);
	ev.mda_method = 7;
	assert_int_equal(envelope_validate(&ev, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_pipe_file),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_virtual),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_tag),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_forward_limits),
		cmocka_unit_test(test_userbase_forward),
		cmocka_unit_test(test_forward_only),
		cmocka_unit_test(test_envelope_fields),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}

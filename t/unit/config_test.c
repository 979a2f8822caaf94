/*
 * config_test.c: unit tests for the smtpd.conf parser (smtpd/parse*.c,
 * smtpd/config.c; spec/config.md sections 1, 2, 3, 9): defaults, global
 * options, lexical rules, macros and -D, include, tables, obsolete and
 * LATER directives, exact error texts. Pki, keywords, the spec's example
 * and the etc/ samples are in config_samples_test.c, listeners in
 * config_listen_test.c, actions and match rules in config_rules_test.c.
 */
#include <sys/stat.h>

#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "smtpd/parse.h"
#include "config_util.h"

#define TEST_PATH_MAX	1024

static void
test_defaults(void **state)
{
	struct config *c;

	(void)state;
	c = cfg_ok("");
	assert_string_equal(c->path, CFG_NAME);
	assert_int_equal(c->nfiles, 1);
	assert_string_equal(c->files[0], CFG_NAME);
	assert_string_equal(c->queue_dir, SPOOLDIR);
	assert_string_equal(c->control_socket, RUNDIR "/smtpd.sock");
	assert_true(c->hostname[0] != '\0');
	assert_true(c->max_message_size == 35ULL * 1024 * 1024);
	assert_int_equal(c->max_mails, 100);
	assert_int_equal(c->max_rcpt, 1000);
	assert_int_equal(c->max_sessions, 1000);
	assert_int_equal(c->max_sessions_per_client, 100);
	assert_int_equal(c->smtp_timeout, 300);
	assert_int_equal(c->subaddr_delim, '+');
	assert_int_equal(c->bare_newline, BARE_NEWLINE_NORMALIZE);
	assert_int_equal(c->queue_ttl, 4 * 86400);
	assert_int_equal(c->nwarn_interval, 1);
	assert_int_equal(c->warn_interval[0], 4 * 3600);
	assert_non_null(c->enqueue);
	assert_int_equal(c->enqueue->kind, LISTENER_ENQUEUE);
	assert_string_equal(c->enqueue->path, c->control_socket);
	assert_int_equal(c->enqueue->flags, 0);
	assert_true(TAILQ_EMPTY(&c->tables));
	assert_true(TAILQ_EMPTY(&c->pkis));
	assert_true(TAILQ_EMPTY(&c->listeners));
	assert_true(TAILQ_EMPTY(&c->actions));
	assert_true(TAILQ_EMPTY(&c->matches));
	config_free(c);
	config_free(NULL);
}

static void
test_globals(void **state)
{
	struct config *c;

	(void)state;
	c = cfg_ok("queue ttl 5d\n"
	    "queue directory \"/tmp/spool\"\n"
	    "control socket \"/tmp/run/ctl.sock\"\n"
	    "bounce warn-interval 1h, 90m, 2d, 30s\n"
	    "smtp max-message-size 50M\n"
	    "smtp limit max-mails 10 max-rcpt 20\n"
	    "smtp limit max-sessions 7 max-sessions-per-client 3\n"
	    "smtp timeout 90s\n"
	    "smtp sub-addr-delim \"-\"\n"
	    "smtp bare-newline reject\n");
	assert_int_equal(c->queue_ttl, 5 * 86400);
	assert_string_equal(c->queue_dir, "/tmp/spool");
	assert_string_equal(c->control_socket, "/tmp/run/ctl.sock");
	assert_string_equal(c->enqueue->path, "/tmp/run/ctl.sock");
	assert_int_equal(c->nwarn_interval, 4);
	assert_int_equal(c->warn_interval[0], 3600);
	assert_int_equal(c->warn_interval[1], 90 * 60);
	assert_int_equal(c->warn_interval[2], 2 * 86400);
	assert_int_equal(c->warn_interval[3], 30);
	assert_true(c->max_message_size == 50ULL * 1024 * 1024);
	assert_int_equal(c->max_mails, 10);
	assert_int_equal(c->max_rcpt, 20);
	assert_int_equal(c->max_sessions, 7);
	assert_int_equal(c->max_sessions_per_client, 3);
	assert_int_equal(c->smtp_timeout, 90);
	assert_int_equal(c->subaddr_delim, '-');
	assert_int_equal(c->bare_newline, BARE_NEWLINE_REJECT);
	config_free(c);

	c = cfg_ok("smtp bare-newline normalize\nsmtp limit max-rcpt 5\n"
	    "smtp sub-addr-delim x\nqueue ttl 1h\nqueue ttl 2h\n");
	assert_int_equal(c->bare_newline, BARE_NEWLINE_NORMALIZE);
	assert_int_equal(c->max_rcpt, 5);
	assert_int_equal(c->max_mails, 100);
	assert_int_equal(c->subaddr_delim, 'x');
	assert_int_equal(c->queue_ttl, 7200);	/* the last one wins */
	assert_string_equal(c->smtp_ciphers, "");
	config_free(c);

	c = cfg_ok("smtp ciphers \"SECURE128:-VERS-ALL:+VERS-TLS1.3\"\n");
	assert_string_equal(c->smtp_ciphers, "SECURE128:-VERS-ALL:+VERS-TLS1.3");
	config_free(c);
	cfg_err("smtp ciphers \"\"\nsmtp ciphers \"A B\"\n",
	    "test.conf:1: invalid smtp ciphers \"\"\n"
	    "test.conf:2: invalid smtp ciphers \"A B\"\n");
}

static void
test_sizes_delays(void **state)
{
	struct config *c;
	uint64_t sz;
	time_t d;

	(void)state;
	assert_int_equal(parse_size_str("35M", &sz), 0);
	assert_true(sz == 35ULL << 20);
	assert_int_equal(parse_size_str("35m", &sz), 0);
	assert_true(sz == 35ULL << 20);
	assert_int_equal(parse_size_str("512", &sz), 0);
	assert_true(sz == 512);
	assert_int_equal(parse_size_str("7b", &sz), 0);
	assert_true(sz == 7);
	assert_int_equal(parse_size_str("2K", &sz), 0);
	assert_true(sz == 2048);
	assert_int_equal(parse_size_str("3g", &sz), 0);
	assert_true(sz == 3ULL << 30);
	assert_int_equal(parse_size_str("1T", &sz), 0);
	assert_true(sz == 1ULL << 40);
	assert_int_equal(parse_size_str("1KB", &sz), -1);
	assert_int_equal(parse_size_str("M", &sz), -1);
	assert_int_equal(parse_size_str("", &sz), -1);
	assert_int_equal(parse_size_str("99999999999T", &sz), -1);
	assert_int_equal(parse_size_str("99999999999999999999", &sz), -1);

	assert_int_equal(parse_delay_str("4d", &d), 0);
	assert_int_equal(d, 4 * 86400);
	assert_int_equal(parse_delay_str("90m", &d), 0);
	assert_int_equal(d, 5400);
	assert_int_equal(parse_delay_str("3h", &d), 0);
	assert_int_equal(d, 3 * 3600);
	assert_int_equal(parse_delay_str("10s", &d), 0);
	assert_int_equal(d, 10);
	assert_int_equal(parse_delay_str("30", &d), -1);
	assert_int_equal(parse_delay_str("0d", &d), -1);
	assert_int_equal(parse_delay_str("4D", &d), -1);
	assert_int_equal(parse_delay_str("4dd", &d), -1);
	assert_int_equal(parse_delay_str("d", &d), -1);
	assert_int_equal(parse_delay_str("999999999999d", &d), -1);

	c = cfg_ok("smtp max-message-size 1g\n");
	assert_true(c->max_message_size == 1ULL << 30);
	config_free(c);
}

static void
test_lexical(void **state)
{
	struct config *c;
	struct action *a;

	(void)state;
	/* backslash-newline joins; comments; blank lines; no final \n */
	c = cfg_ok("# a comment\n\n   \t\nqueue \\\n  ttl \\\n 2d # trailing\n"
	    "smtp max-message-size 1M");
	assert_int_equal(c->queue_ttl, 2 * 86400);
	assert_true(c->max_message_size == 1 << 20);
	config_free(c);

	/* `#` on a line ending in `\` comments out the continuation too */
	c = cfg_ok("queue ttl 3d # note \\\nqueue ttl 9d\n");
	assert_int_equal(c->queue_ttl, 3 * 86400);
	config_free(c);

	/* quoted strings: \" and \\ escapes, # and $ literal */
	c = cfg_ok("action \"a b\" mda \"echo \\\"#$x\\\\\" \\\n"
	    "  ttl 1h\r\n");
	a = TAILQ_FIRST(&c->actions);
	assert_string_equal(a->name, "a b");
	assert_string_equal(a->param, "echo \"#$x\\");
	assert_int_equal(a->ttl, 3600);
	config_free(c);

	/* keywords quoted as values; punctuation needs no blanks */
	c = cfg_ok("table t {a=>b,c=d}\n");
	config_free(c);
	cfg_err("table t {a,b=c}\n",
	    "test.conf:1: table mixes list and mapping elements\n");
	c = cfg_ok("action \"local\" mbox\nmatch for any action \"local\"\n");
	config_free(c);
}

static void
test_lexical_errors(void **state)
{
	static const char nul[] = "queue ttl 1d\nqueue\0ttl 2d\nfoo\n";
	struct config *c;
	char *errs;

	(void)state;
	cfg_err("action x mda \"unterminated\nqueue ttl 1d\n",
	    "test.conf:1: unterminated quoted string\n");
	cfg_err("table t \"/a\"\ntable u /etc/aliases\n",
	    "test.conf:2: \"/etc/aliases\" must be quoted\n");
	cfg_err("match for domain *.example.org action x\n",
	    "test.conf:1: \"*.example.org\" must be quoted\n");
	cfg_err("listen on lo (x)\n",
	    "test.conf:1: unexpected character '('\n");
	cfg_err("queue ttl \xc3\xa9\n",
	    "test.conf:1: unexpected byte 0xc3\n");
	cfg_err("action local mbox\n",
	    "test.conf:1: expected an action name, got keyword \"local\" "
	    "(quote it to use it as a value)\n");
	cfg_err("table t {\n  a,\n  b\n\n",
	    "test.conf:1: \"{\" not closed at end of file\n");
	cfg_err("queue ttl 1d }\n",
	    "test.conf:1: expected end of line, got \"}\"\n");
	/* every broken line is reported, in order */
	cfg_err("bogus 1\nqueue ttl 1d\nqueue ttl 30\nsmtp frob\n",
	    "test.conf:1: unknown directive \"bogus\"\n"
	    "test.conf:3: invalid queue ttl \"30\": a unit (s, m, h or d) is "
	    "required\n"
	    "test.conf:4: expected \"max-message-size\", \"limit\", "
	    "\"sub-addr-delim\" or \"bare-newline\" after \"smtp\", got "
	    "\"frob\"\n");
	c = config_parse_buffer("nul.conf", nul, sizeof(nul) - 1, NULL,
	    CONFIG_NORESOLVE, NULL);
	assert_null(c);
	c = cfg_parse(nul, 0, &errs);
	assert_null(c);
	free(errs);
}

static void
test_global_errors(void **state)
{
	(void)state;
	cfg_err("queue ttl 4x\n", "test.conf:1: invalid queue ttl \"4x\"\n");
	cfg_err("queue\n", "test.conf:1: expected \"ttl\" or \"directory\" "
	    "after \"queue\", got end of line\n");
	cfg_err("queue directory \"var/spool\"\n",
	    "test.conf:1: queue directory must be an absolute path\n");
	cfg_err("control socket \"run/s\"\n",
	    "test.conf:1: control socket path must be an absolute path\n");
	cfg_err("smtp max-message-size 10Q\n",
	    "test.conf:1: invalid max-message-size \"10Q\"\n");
	cfg_err("smtp limit max-mails 0\n",
	    "test.conf:1: smtp limit 0 is out of range (1-1000000)\n");
	cfg_err("smtp limit max-conn 3\n",
	    "test.conf:1: invalid smtp limit \"max-conn\"\n");
	cfg_err("smtp sub-addr-delim \"@\"\n",
	    "test.conf:1: invalid sub-addr-delim \"@\": one printable "
	    "character other than \"@\" is required\n");
	cfg_err("smtp sub-addr-delim \"++\"\n",
	    "test.conf:1: invalid sub-addr-delim \"++\": one printable "
	    "character other than \"@\" is required\n");
	cfg_err("smtp bare-newline keep\n",
	    "test.conf:1: expected \"normalize\" or \"reject\" after "
	    "\"bare-newline\", got \"keep\"\n");
	cfg_err("bounce warn-interval 1h, 2h, 3h, 4h, 5h\n",
	    "test.conf:1: too many warn-interval delays (max 4)\n");
	cfg_err("bounce warn-interval 1h,\n",
	    "test.conf:1: expected warn-interval delay, got end of line\n");
}

static void
test_obsolete_later(void **state)
{
	(void)state;
	cfg_err("accept from any for domain example.org deliver to mbox\n"
	    "reject from any for any\n",
	    "test.conf:1: obsolete OpenSMTPD < 6.4 syntax\n"
	    "test.conf:2: obsolete OpenSMTPD < 6.4 syntax\n");
	cfg_err("mta max-deferred 100\nmda wrapper x \"/bin/x\"\n"
	    "filter f phase connect match rdns disconnect \"go away\"\n"
	    "ca x cert \"/x\"\nscheduler limit\nsrs key x\nadmd x\n"
	    "proc p \"/bin/p\"\nqueue compression\nqueue encryption x\n",
	    "test.conf:1: \"max-deferred\" is not supported yet\n"
	    "test.conf:2: \"mda\" is not supported yet\n"
	    "test.conf:3: \"filter\" is not supported yet\n"
	    "test.conf:5: \"scheduler\" is not supported yet\n"
	    "test.conf:6: \"srs\" is not supported yet\n"
	    "test.conf:7: \"admd\" is not supported yet\n"
	    "test.conf:8: \"proc\" is not supported yet\n"
	    "test.conf:9: \"compression\" is not supported yet\n"
	    "test.conf:10: \"encryption\" is not supported yet\n");
	cfg_err("pki x dhe auto\n", "test.conf:1: \"dhe\" is not supported "
	    "yet\n");
}

/* ca NAME cert FILE, relay ... ca NAME, mta resolver ADDR[@PORT] */
static void
test_relay_ca_resolver(void **state)
{
	struct config *c;

	(void)state;
	c = cfg_ok("ca \"corp\" cert \"/etc/ssl/corp.pem\"\n"
	    "mta resolver 127.0.0.1@5353\n"
	    "action out relay host smtp+tls://mx.example.net ca corp\n");
	assert_string_equal(TAILQ_FIRST(&c->cas)->cert_file,
	    "/etc/ssl/corp.pem");
	assert_ptr_equal(TAILQ_FIRST(&c->actions)->ca, TAILQ_FIRST(&c->cas));
	assert_string_equal(c->mta_resolver, "127.0.0.1@5353");
	config_free(c);
	c = cfg_ok("mta resolver \"::1\"\n");
	assert_string_equal(c->mta_resolver, "::1");
	config_free(c);
	cfg_err("action out relay ca nope\n",
	    "test.conf:1: ca \"nope\" not defined\n");
	cfg_err("ca a cert \"/x\"\nca a cert \"/y\"\n",
	    "test.conf:2: ca \"a\" already defined\n");
	cfg_err("ca a key \"/x\"\n",
	    "test.conf:1: expected \"cert\" after the ca name, got keyword \"key\"\n");
	cfg_err("mta resolver 127.0.0.1@0\n",
	    "test.conf:1: invalid resolver port \"0\"\n");
	cfg_err("mta resolver dns.example\n",
	    "test.conf:1: invalid resolver address \"dns.example\"\n");
	cfg_err("mta bogus\n",
	    "test.conf:1: expected \"resolver\" or \"port\" after \"mta\", "
	    "got \"bogus\"\n");
	c = cfg_ok("mta port 2525\n");
	assert_int_equal(c->mta_port, 2525);
	config_free(c);
}

static void
test_macros(void **state)
{
	char *defs[] = { "spool=/from/cmdline", "tag=D", NULL };
	char *bad[] = { "noequal", "=x", "a-b=1", NULL };
	struct config *c;
	char *errs;

	(void)state;
	c = cfg_ok("life = \"2d\"\nqueue ttl $life\n"
	    "root = \"/srv\"\nqueue directory $root/spool\n"
	    "\"sock\" = \"/run/x.sock\"\ncontrol socket $sock\n"
	    "opts = \"mask-src no-dsn\"\nlisten on socket $opts\n"
	    "m = \"/v/%{rcpt.user}/Maildir\"\naction \"l\" maildir $m\n"
	    "q = \"$life\"\naction x mda \"$root\"\n");
	assert_int_equal(c->queue_ttl, 2 * 86400);
	assert_string_equal(c->queue_dir, "/srv/spool");
	assert_string_equal(c->control_socket, "/run/x.sock");
	assert_int_equal(c->enqueue->flags,
	    LISTENER_MASK_SRC | LISTENER_NO_DSN);
	assert_string_equal(TAILQ_FIRST(&c->actions)->param,
	    "/v/%{rcpt.user}/Maildir");
	assert_string_equal(TAILQ_LAST(&c->actions, action_list)->param,
	    "$root");
	config_free(c);

	/* -D defines, and wins over the file's definition */
	c = cfg_parse_defs("spool = \"/from/file\"\nqueue directory $spool\n"
	    "listen on socket tag $tag\n", defs, CONFIG_NORESOLVE, &errs);
	assert_non_null(c);
	assert_string_equal(errs, "");
	assert_string_equal(c->queue_dir, "/from/cmdline");
	assert_string_equal(c->enqueue->tag, "D");
	config_free(c);
	free(errs);

	c = cfg_parse_defs("", bad, CONFIG_NORESOLVE, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "command line:0: invalid -D \"noequal\": expected NAME=value\n"
	    "command line:0: invalid -D \"=x\": expected NAME=value\n"
	    "command line:0: invalid -D \"a-b=1\": bad macro name\n");
	free(errs);

	cfg_err("queue ttl $life\nlife = \"1d\"\n",
	    "test.conf:1: macro \"life\" not defined\n");
	cfg_err("local = \"x\"\n",
	    "test.conf:1: macro name \"local\" is a reserved keyword\n");
	cfg_err("\"a b\" = \"x\"\n", "test.conf:1: invalid macro name "
	    "\"a b\"\n");
	cfg_err("a = \"x\" y\n", "test.conf:1: expected end of line after "
	    "the macro value, got \"y\"\n");
	cfg_err("queue ttl $\n", "test.conf:1: \"$\" must be followed by a "
	    "macro name\n");
	cfg_err("a = \"lo # x\"\nlisten on $a port 26\n",
	    "test.conf:2: \"#\" in the value of a macro\n");
}

/* Write text to dir/name; the path goes to out. */
static void
write_file(const char *dir, const char *name, const char *text, char *out)
{
	FILE *fp;

	assert_true(snprintf(out, TEST_PATH_MAX, "%s/%s", dir, name) <
	    TEST_PATH_MAX);
	assert_non_null(fp = fopen(out, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
test_include(void **state)
{
	char dir[] = "/tmp/config_test.XXXXXX";
	char inc[TEST_PATH_MAX], bad[TEST_PATH_MAX], loop[TEST_PATH_MAX];
	char main_[TEST_PATH_MAX], text[3 * TEST_PATH_MAX];
	char expect[4 * TEST_PATH_MAX];
	struct config *c;
	char *errs;
	FILE *fp;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "inc.conf", "table t { a }\nqueue ttl 6h", inc);
	write_file(dir, "bad.conf", "queue ttl 1d\n\nbogus\n", bad);
	write_file(dir, "loop.conf", "", loop);
	(void)snprintf(text, sizeof(text), "include \"%s\"\n", loop);
	write_file(dir, "loop.conf", text, loop);

	/* include is read in place, the parent goes on after it */
	(void)snprintf(text, sizeof(text), "queue ttl 1h\ninclude \"%s\"\n"
	    "match for domain <t> reject\n", inc);
	c = cfg_ok(text);
	assert_int_equal(c->queue_ttl, 6 * 3600);
	assert_int_equal(c->nfiles, 2);
	assert_string_equal(c->files[1], inc);
	assert_string_equal(TAILQ_FIRST(&c->tables)->file, inc);
	assert_int_equal(TAILQ_FIRST(&c->tables)->line, 1);
	assert_string_equal(TAILQ_FIRST(&c->matches)->file, CFG_NAME);
	assert_int_equal(TAILQ_FIRST(&c->matches)->line, 3);
	config_free(c);

	/* errors name the included file and its line */
	(void)snprintf(text, sizeof(text), "include \"%s\"\nfrob\n", bad);
	(void)snprintf(expect, sizeof(expect), "%s:3: unknown directive "
	    "\"bogus\"\ntest.conf:2: unknown directive \"frob\"\n", bad);
	cfg_err(text, expect);

	/* depth limit */
	(void)snprintf(expect, sizeof(expect), "%s:1: include nesting too "
	    "deep (max 8)\n", loop);
	(void)snprintf(text, sizeof(text), "include \"%s\"\n", loop);
	cfg_err(text, expect);

	(void)snprintf(text, sizeof(text), "include \"%s/none.conf\"\n", dir);
	(void)snprintf(expect, sizeof(expect), "test.conf:1: cannot include "
	    "\"%s/none.conf\": No such file or directory\n", dir);
	cfg_err(text, expect);
	cfg_err("include \"/x\" y\n", "test.conf:1: expected end of line "
	    "after the file name, got \"y\"\n");

	/* config_parse_file */
	(void)snprintf(text, sizeof(text), "include \"%s\"\n", inc);
	write_file(dir, "main.conf", text, main_);
	assert_non_null(c = config_parse_file(main_, NULL, CONFIG_NORESOLVE,
	    stderr));
	assert_string_equal(c->path, main_);
	assert_int_equal(c->queue_ttl, 6 * 3600);
	config_free(c);

	errs = NULL;
	assert_non_null(fp = open_memstream(&errs, &len));
	(void)snprintf(text, sizeof(text), "%s/missing.conf", dir);
	assert_null(config_parse_file(text, NULL, 0, fp));
	fclose(fp);
	(void)snprintf(expect, sizeof(expect), "%s:0: cannot read file: No "
	    "such file or directory\n", text);
	assert_string_equal(errs, expect);
	free(errs);

	assert_int_equal(unlink(inc), 0);
	assert_int_equal(unlink(bad), 0);
	assert_int_equal(unlink(loop), 0);
	assert_int_equal(unlink(main_), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_tables(void **state)
{
	struct config *c;
	struct table_decl *t;

	(void)state;
	c = cfg_ok("table a \"/etc/mail/aliases\"\n"
	    "table b file:/etc/mail/b\n"
	    "table c db:/etc/mail/c.db\n"
	    "table d { one, \"two\" three\n  four, }\n"
	    "table e {\n  k1 = v1,\n  \"k 2\" => \"v 2\"\n}\n"
	    "action x mbox alias <a> userbase <e>\n"
	    "match from src <d> for domain { example.org, example.net } "
	    "mail-from \"@example.com\" action x\n");
	t = TAILQ_FIRST(&c->tables);
	assert_string_equal(t->name, "a");
	assert_int_equal(t->backend, TABLE_FILE);
	assert_int_equal(t->kind, TABLE_KIND_UNKNOWN);
	assert_string_equal(t->path, "/etc/mail/aliases");
	assert_int_equal(t->uses, TABLE_USE_ALIAS);
	assert_string_equal(t->file, CFG_NAME);
	assert_int_equal(t->line, 1);
	t = TAILQ_NEXT(t, entry);
	assert_int_equal(t->backend, TABLE_FILE);
	assert_string_equal(t->path, "/etc/mail/b");
	assert_int_equal(t->uses, 0);
	t = TAILQ_NEXT(t, entry);
	assert_int_equal(t->backend, TABLE_DB);
	assert_string_equal(t->path, "/etc/mail/c.db");
	t = TAILQ_NEXT(t, entry);
	assert_string_equal(t->name, "d");
	assert_int_equal(t->backend, TABLE_INLINE);
	assert_int_equal(t->kind, TABLE_KIND_LIST);
	assert_int_equal(t->nentries, 4);
	assert_string_equal(t->entries[1].key, "two");
	assert_string_equal(t->entries[3].key, "four");
	assert_null(t->entries[3].value);
	assert_int_equal(t->uses, TABLE_USE_NETADDR);
	t = TAILQ_NEXT(t, entry);
	assert_string_equal(t->name, "e");
	assert_int_equal(t->kind, TABLE_KIND_MAPPING);
	assert_int_equal(t->nentries, 2);
	assert_string_equal(t->entries[0].key, "k1");
	assert_string_equal(t->entries[0].value, "v1");
	assert_string_equal(t->entries[1].key, "k 2");
	assert_string_equal(t->entries[1].value, "v 2");
	assert_int_equal(t->uses, TABLE_USE_USERINFO);
	/* anonymous tables follow, in order of appearance */
	t = TAILQ_NEXT(t, entry);
	assert_string_equal(t->name, "");
	assert_int_equal(t->kind, TABLE_KIND_LIST);
	assert_int_equal(t->nentries, 2);
	assert_string_equal(t->entries[0].key, "example.org");
	assert_int_equal(t->uses, TABLE_USE_DOMAIN);
	t = TAILQ_NEXT(t, entry);
	assert_string_equal(t->name, "");
	assert_int_equal(t->nentries, 1);
	assert_string_equal(t->entries[0].key, "@example.com");
	assert_int_equal(t->uses, TABLE_USE_MAILADDR);
	assert_null(TAILQ_NEXT(t, entry));
	assert_ptr_equal(config_table_find(c, "e"), TAILQ_PREV(
	    TAILQ_PREV(t, table_list, entry), table_list, entry));
	assert_null(config_table_find(c, ""));
	assert_null(config_table_find(c, "zz"));
	config_free(c);

	/* one table, several uses; a mapping also serves list lookups */
	c = cfg_ok("table m { a = b }\naction x mbox alias <m>\n"
	    "match for domain <m> action x\n");
	assert_int_equal(TAILQ_FIRST(&c->tables)->uses,
	    TABLE_USE_ALIAS | TABLE_USE_DOMAIN);
	config_free(c);
}

static void
test_table_errors(void **state)
{
	(void)state;
	cfg_err("table t \"etc/aliases\"\n",
	    "test.conf:1: invalid backend parameter for table: t\n");
	cfg_err("table t file:etc/aliases\n",
	    "test.conf:1: invalid backend parameter for table: t\n");
	cfg_err("table t db\n",
	    "test.conf:1: invalid backend parameter for table: t\n");
	cfg_err("table t ldap:/etc/ldap.conf\n",
	    "test.conf:1: \"ldap\" is not supported yet\n");
	cfg_err("table t getpwnam\ntable u \"sqlite:/x\"\n",
	    "test.conf:1: \"getpwnam\" is not supported yet\n"
	    "test.conf:2: \"sqlite\" is not supported yet\n");
	cfg_err("table t frob:/x\n", "test.conf:1: unknown table backend "
	    "\"frob\" for table: t\n");
	cfg_err("table t { a }\ntable t { b }\n",
	    "test.conf:2: table \"t\" already defined\n");
	cfg_err("table t {}\n", "test.conf:1: empty table\n");
	cfg_err("table t { a, , b }\n", "test.conf:1: expected a table "
	    "element or \"}\", got \",\"\n");
	cfg_err("table t { a = }\n", "test.conf:1: expected a value after "
	    "the key, got \"}\"\n");
	cfg_err("table \"<x>\" { a }\n",
	    "test.conf:1: invalid table name \"<x>\"\n");
	cfg_err("action x mbox alias <nope>\n",
	    "test.conf:1: table \"nope\" not defined\n");
	cfg_err("action x mbox alias <t>\ntable t { a = b }\n",
	    "test.conf:1: table \"t\" not defined\n");
	cfg_err("table t { a, b }\naction x mbox alias <t>\n",
	    "test.conf:2: table \"t\" may not be used for alias lookups\n");
	cfg_err("action x maildir virtual { a, b }\n",
	    "test.conf:1: inline table may not be used for virtual lookups\n");
	cfg_err("action x mbox alias aliases\n", "test.conf:1: \"aliases\" "
	    "is a single value, not a table; it may not be used for alias "
	    "lookups\n");
	cfg_err("action x mbox alias <t\n", "test.conf:1: expected \">\" "
	    "after the table name, got end of line\n");
	/* a broken declaration still declares the name: no cascade */
	cfg_err("table t ldap:/x\naction x mbox alias <t>\n",
	    "test.conf:1: \"ldap\" is not supported yet\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_sizes_delays),
		cmocka_unit_test(test_lexical),
		cmocka_unit_test(test_lexical_errors),
		cmocka_unit_test(test_global_errors),
		cmocka_unit_test(test_obsolete_later),
		cmocka_unit_test(test_relay_ca_resolver),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_table_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

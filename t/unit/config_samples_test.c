/*
 * config_samples_test.c: the smtpd.conf parser on whole files: pki
 * declarations, reserved keywords as values, the complete example of
 * spec/config.md section 10, and every sample configuration in etc/.
 * The directives one by one are in config_test.c, listeners in
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
test_pki(void **state)
{
	struct config *c;
	struct pki *pki;

	(void)state;
	c = cfg_ok("pki mx.example.org cert \"/etc/ssl/mx.crt\"\n"
	    "pki mx.example.org key \"/etc/ssl/private/mx.key\"\n"
	    "pki \"other\" key \"/k\"\npki other cert \"/c\"\n");
	pki = TAILQ_FIRST(&c->pkis);
	assert_string_equal(pki->name, "mx.example.org");
	assert_string_equal(pki->cert_file, "/etc/ssl/mx.crt");
	assert_string_equal(pki->key_file, "/etc/ssl/private/mx.key");
	assert_int_equal(pki->line, 1);
	assert_ptr_equal(config_pki_find(c, "other"), TAILQ_NEXT(pki, entry));
	assert_null(config_pki_find(c, "none"));
	config_free(c);

	cfg_err("pki x cert \"/a\"\npki x cert \"/b\"\npki x key \"/k\"\n",
	    "test.conf:2: pki \"x\": certificate already specified\n");
	cfg_err("pki x cert \"/a\"\n", "test.conf:1: pki \"x\" has no key\n");
	cfg_err("pki x key \"/a\"\n",
	    "test.conf:1: pki \"x\" has no certificate\n");
	cfg_err("pki x crt \"/a\"\n", "test.conf:1: expected \"cert\" or "
	    "\"key\" after the pki name, got \"crt\"\n");
	cfg_err("pki x cert \"\"\npki x key \"/k\"\npki x cert \"/c\"\n",
	    "test.conf:1: pki \"x\": invalid certificate file name\n");
}

static void
test_keywords(void **state)
{
	static const char *const words[] = {
		"action", "alias", "any", "auth", "auth-optional", "for",
		"from", "helo", "include", "listen", "lmtp", "local",
		"mail-from", "maildir", "match", "mbox", "pki", "port",
		"rcpt-to", "reject", "relay", "smtps", "socket", "table",
		"tag", "tls", "tls-require", "wrapper",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		assert_true(parse_is_keyword(words[i]));
	assert_false(parse_is_keyword("mode"));
	assert_false(parse_is_keyword("directory"));
	assert_false(parse_is_keyword("example"));
}

/* The complete example of spec/config.md section 10. */
static void
test_spec_example(void **state)
{
	struct config *c;
	struct listener *l;
	struct match *m;
	int n = 0;

	(void)state;
	c = cfg_ok("# /etc/mail/smtpd.conf\n"
	    "table aliases  file:/etc/mail/aliases\n"
	    "table vdomains file:/etc/mail/vdomains\n"
	    "table vusers   db:/etc/mail/vusers.db\n"
	    "table passwd   file:/etc/mail/passwd\n"
	    "table secrets  file:/etc/mail/secrets\n"
	    "\n"
	    "pki mx.example.org cert \"/etc/ssl/mx.example.org.crt\"\n"
	    "pki mx.example.org key  \"/etc/ssl/private/mx.example.org.key\"\n"
	    "\n"
	    "listen on lo\n"
	    "listen on eth0 tls pki mx.example.org\n"
	    "listen on eth0 port 587 tls-require pki mx.example.org auth "
	    "<passwd> tag SUBMIT\n"
	    "listen on socket \"/var/spool/smtpd/lmtp.sock\" lmtp tag LMTP\n"
	    "\n"
	    "smtp max-message-size 50M\n"
	    "queue ttl 5d\n"
	    "\n"
	    "action \"local\" maildir alias <aliases>\n"
	    "action \"vhost\" maildir \"/var/vmail/%{dest.domain:lowercase}/"
	    "%{dest.user:lowercase|strip}\" \\\n"
	    "        virtual <vusers> user vmail\n"
	    "action \"out\"   relay helo mx.example.org\n"
	    "\n"
	    "match from any for domain <vdomains> action \"vhost\"\n"
	    "match from any for local action \"local\"\n"
	    "match from local for any action \"out\"\n"
	    "match auth from any for any action \"out\"\n");
	TAILQ_FOREACH(l, &c->listeners, entry)
		n++;
	assert_int_equal(n, 4);
	assert_true(c->max_message_size == 50ULL << 20);
	assert_int_equal(c->queue_ttl, 5 * 86400);
	assert_string_equal(config_action_find(c, "vhost")->user, "vmail");
	m = TAILQ_LAST(&c->matches, match_list);
	assert_int_equal(m->line, 27);
	assert_string_equal(m->action->name, "out");
	assert_int_equal(config_table_find(c, "secrets")->uses, 0);
	config_free(c);
}

/* Every etc/ *.conf* must parse, with the -D that `make run` passes. */
static void
test_samples(void **state)
{
	static const char *const fmts[] = {
		"root=%s", "spool=%s/var/spool", "ctlsock=%s/var/run/smtpd.sock",
		"lmtpsock=%s/var/run/lmtp.sock",
		"maildir=%s/var/mail/%%{dest.user:lowercase}/Maildir",
	};
	char *defs[sizeof(fmts) / sizeof(fmts[0]) + 1];
	char *src, *pattern;
	const char *env;
	struct config *c;
	glob_t g;
	size_t i;
	int n = 0;

	(void)state;
	env = getenv("SMTPD_SRC");
	assert_non_null(src = realpath(env != NULL && env[0] != '\0' ? env :
	    ".", NULL));
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		assert_true(asprintf(&defs[i], fmts[i], src) > 0);
	defs[i] = NULL;
	assert_true(asprintf(&pattern, "%s/etc/*.conf*", src) > 0);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		c = config_parse_file(g.gl_pathv[i], defs, CONFIG_NORESOLVE,
		    stderr);
		if (c == NULL)
			fail_msg("%s does not parse", g.gl_pathv[i]);
		config_free(c);
		c = config_parse_file(g.gl_pathv[i], defs, 0, stderr);
		if (c == NULL)
			fail_msg("%s does not parse (resolving)",
			    g.gl_pathv[i]);
		config_free(c);
		n++;
	}
	globfree(&g);
	assert_true(n >= 3);
	for (i = 0; defs[i] != NULL; i++)
		free(defs[i]);
	free(pattern);
	free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pki),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_samples),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

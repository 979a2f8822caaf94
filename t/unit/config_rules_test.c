/*
 * config_rules_test.c: unit tests for actions and match rules in the
 * smtpd.conf parser (smtpd/parse_action.c, parse_dest.c, parse_format.c,
 * parse_match.c; spec/config.md sections 5, 7 and 8): every method and
 * option, relay URLs, LMTP destinations, format specifiers, match
 * conditions with negation and implicit from/for, and exact error texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_util.h"

#define TABLES	"table aliases file:/etc/mail/aliases\n" \
		"table vusers { \"a@example.org\" = alice }\n" \
		"table ub { alice = \"1000:1000:/home/alice\" }\n" \
		"table secrets { l = \"u:p\" }\n" \
		"pki p cert \"/c\"\npki p key \"/k\"\n"

static void
test_local_actions(void **state)
{
	struct config *c;
	struct action *a;

	(void)state;
	c = cfg_ok(TABLES
	    "action \"local\" mbox alias <aliases> ttl 2d\n"
	    "action m1 maildir\n"
	    "action m2 maildir \"~/Mail\" userbase <ub> alias <aliases>\n"
	    "action vhost maildir \"/var/vmail/%{dest.domain:lowercase}/"
	    "%{dest.user:lowercase|strip}\" virtual <vusers> user vmail\n"
	    "action procm mda \"/usr/bin/procmail -f - %{rcpt[0]} date +%Y "
	    "%%\" alias <aliases>\n"
	    "action fwd forward-only alias <aliases>\n"
	    "action exp expand-only virtual <vusers>\n");
	a = TAILQ_FIRST(&c->actions);
	assert_string_equal(a->name, "local");
	assert_int_equal(a->method, ACTION_MBOX);
	assert_null(a->param);
	assert_string_equal(a->alias->name, "aliases");
	assert_int_equal(a->alias->uses, TABLE_USE_ALIAS);
	assert_int_equal(a->ttl, 2 * 86400);
	assert_string_equal(a->file, CFG_NAME);
	assert_int_equal(a->line, 7);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->method, ACTION_MAILDIR);
	assert_string_equal(a->param, "~/Maildir");
	assert_null(a->alias);
	assert_int_equal(a->ttl, 0);
	a = TAILQ_NEXT(a, entry);
	assert_string_equal(a->param, "~/Mail");
	assert_string_equal(a->userbase->name, "ub");
	assert_int_equal(a->userbase->uses, TABLE_USE_USERINFO);
	a = TAILQ_NEXT(a, entry);
	assert_string_equal(a->param, "/var/vmail/%{dest.domain:lowercase}/"
	    "%{dest.user:lowercase|strip}");
	assert_string_equal(a->virtual->name, "vusers");
	assert_int_equal(a->virtual->uses, TABLE_USE_VIRTUAL);
	assert_string_equal(a->user, "vmail");
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->method, ACTION_MDA);
	assert_string_equal(a->param, "/usr/bin/procmail -f - %{rcpt[0]} "
	    "date +%Y %%");
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->method, ACTION_FORWARD_ONLY);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->method, ACTION_EXPAND_ONLY);
	assert_non_null(a->virtual);
	assert_ptr_equal(config_action_find(c, "vhost"),
	    TAILQ_NEXT(TAILQ_NEXT(TAILQ_NEXT(TAILQ_FIRST(&c->actions), entry),
	    entry), entry));
	assert_null(config_action_find(c, "none"));
	config_free(c);
}

static void
test_lmtp_actions(void **state)
{
	struct config *c;
	struct action *a;

	(void)state;
	c = cfg_ok(TABLES
	    "action d1 lmtp \"/run/dovecot/lmtp\" rcpt-to virtual <vusers>\n"
	    "action d2 lmtp unix:/run/lmtp\n"
	    "action d3 lmtp localhost:24\n"
	    "action d4 lmtp \"[::1]:lmtp\"\n"
	    "action d5 lmtp inet:192.0.2.1:2424\n"
	    "action d6 lmtp \"inet:[ipv6:2001:db8::1]:24\"\n"
	    "action d7 lmtp \"[lmtp.example.org]:24\"\n");
	a = TAILQ_FIRST(&c->actions);
	assert_int_equal(a->method, ACTION_LMTP);
	assert_string_equal(a->param, "/run/dovecot/lmtp");
	assert_int_equal(a->lmtp_rcpt_to, 1);
	assert_int_equal(a->lmtp.unix_socket, 1);
	assert_string_equal(a->lmtp.path, "/run/dovecot/lmtp");
	assert_non_null(a->virtual);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->lmtp_rcpt_to, 0);
	assert_int_equal(a->lmtp.unix_socket, 1);
	assert_string_equal(a->lmtp.path, "/run/lmtp");
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->lmtp.unix_socket, 0);
	assert_string_equal(a->lmtp.host, "localhost");
	assert_int_equal(a->lmtp.literal, 0);
	assert_int_equal(a->lmtp.port, 24);
	a = TAILQ_NEXT(a, entry);
	assert_string_equal(a->lmtp.host, "::1");
	assert_int_equal(a->lmtp.literal, 1);
	assert_int_equal(a->lmtp.port, 24);
	a = TAILQ_NEXT(a, entry);
	assert_string_equal(a->lmtp.host, "192.0.2.1");
	assert_int_equal(a->lmtp.literal, 1);
	assert_int_equal(a->lmtp.port, 2424);
	a = TAILQ_NEXT(a, entry);
	assert_string_equal(a->lmtp.host, "2001:db8::1");
	assert_int_equal(a->lmtp.literal, 1);
	a = TAILQ_NEXT(a, entry);
	assert_string_equal(a->lmtp.host, "lmtp.example.org");
	assert_int_equal(a->lmtp.literal, 0);
	config_free(c);
}

static void
test_relay_actions(void **state)
{
	struct config *c;
	struct action *a;

	(void)state;
	c = cfg_ok(TABLES
	    "action out relay\n"
	    "action smart relay host smtp+tls://l@smtp.example.net:587 "
	    "auth <secrets> helo mx.example.org pki p ttl 1d\n"
	    "action r1 relay host smtps://l@[192.0.2.1] auth <secrets>\n"
	    "action r2 relay host \"[2001:db8::1]:2525\" tls no-verify\n"
	    "action r3 relay host \"smtp+notls://[ipv6:2001:db8::2]\"\n"
	    "action r4 relay host lmtp://lmtp.example.org:24\n"
	    "action r5 relay host relay.example.org tls\n"
	    "action r6 relay host \"[relay.example.org]:26\" tls auth "
	    "<secrets>\n");
	a = TAILQ_FIRST(&c->actions);
	assert_int_equal(a->method, ACTION_RELAY);
	assert_int_equal(a->has_host, 0);
	assert_int_equal(a->relay_tls, RELAY_TLS_DEFAULT);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->has_host, 1);
	assert_int_equal(a->relay.scheme, RELAY_SMTP_TLS);
	assert_string_equal(a->relay.label, "l");
	assert_string_equal(a->relay.host, "smtp.example.net");
	assert_int_equal(a->relay.literal, 0);
	assert_int_equal(a->relay.port, 587);
	assert_string_equal(a->relay_auth->name, "secrets");
	assert_int_equal(a->relay_auth->uses, TABLE_USE_RELAYAUTH);
	assert_string_equal(a->helo, "mx.example.org");
	assert_string_equal(a->pki->name, "p");
	assert_int_equal(a->ttl, 86400);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->relay.scheme, RELAY_SMTPS);
	assert_string_equal(a->relay.host, "192.0.2.1");
	assert_int_equal(a->relay.literal, 1);
	assert_int_equal(a->relay.port, 465);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->relay.scheme, RELAY_SMTP);
	assert_string_equal(a->relay.label, "");
	assert_string_equal(a->relay.host, "2001:db8::1");
	assert_int_equal(a->relay.port, 2525);
	assert_int_equal(a->relay_tls, RELAY_TLS_NO_VERIFY);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->relay.scheme, RELAY_SMTP_NOTLS);
	assert_string_equal(a->relay.host, "2001:db8::2");
	assert_int_equal(a->relay.port, 25);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->relay.scheme, RELAY_LMTP);
	assert_int_equal(a->relay.port, 24);
	a = TAILQ_NEXT(a, entry);
	assert_int_equal(a->relay_tls, RELAY_TLS_VERIFY);
	assert_int_equal(a->relay.port, 25);
	a = TAILQ_NEXT(a, entry);
	assert_string_equal(a->relay.host, "relay.example.org");
	assert_int_equal(a->relay.literal, 0);
	assert_int_equal(a->relay.port, 26);
	config_free(c);
}

static void
test_action_errors(void **state)
{
	(void)state;
	cfg_err("action x mbox\naction x maildir\n",
	    "test.conf:2: action \"x\" already defined\n");
	cfg_err("action x deliver\n", "test.conf:1: expected a method "
	    "(maildir, mbox, lmtp, mda, forward-only, expand-only or relay), "
	    "got \"deliver\"\n");
	cfg_err("action x mbox user vmail\n",
	    "test.conf:1: user may not be used with mbox\n");
	cfg_err("action x forward-only user vmail\n",
	    "test.conf:1: user may not be used with forward-only\n");
	cfg_err(TABLES "action x maildir alias <aliases> alias <aliases>\n",
	    "test.conf:7: alias mapping already specified for this "
	    "dispatcher\n");
	cfg_err(TABLES "action x maildir virtual <vusers> alias <aliases>\n",
	    "test.conf:7: virtual mapping already specified for this "
	    "dispatcher\n");
	cfg_err("action x maildir ttl 1d ttl 2d\n",
	    "test.conf:1: ttl already specified for this dispatcher\n");
	cfg_err("action x maildir ttl 60\n", "test.conf:1: invalid ttl "
	    "\"60\": a unit (s, m, h or d) is required\n");
	cfg_err("action x maildir \"Maildir\"\n",
	    "test.conf:1: maildir path must be absolute\n");
	cfg_err("action x maildir junk\n",
	    "test.conf:1: \"junk\" is not supported yet\n");
	cfg_err("action x mda \"/bin/x\" wrapper w\n",
	    "test.conf:1: \"wrapper\" is not supported yet\n");
	cfg_err("action x mda \"\"\n", "test.conf:1: empty mda command\n");
	cfg_err("action x mbox helo x\n", "test.conf:1: expected an option "
	    "for a local action, got keyword \"helo\"\n");
	cfg_err("action x relay alias <a>\n", "test.conf:1: expected a relay "
	    "option, got keyword \"alias\"\n");
	cfg_err("action x relay src <a>\naction y relay backup\n",
	    "test.conf:1: \"src\" is not supported yet\n"
	    "test.conf:2: \"backup\" is not supported yet\n");
	/* format specifiers, checked at parse time */
	cfg_err("action x mda \"%{bad}\"\n",
	    "test.conf:1: unknown format specifier %{bad}\n");
	cfg_err("action x maildir \"/m/%{rcpt:bogus}\"\n",
	    "test.conf:1: unknown modifier \"bogus\" in %{rcpt:bogus}\n");
	cfg_err("action x maildir \"/m/%{rcpt[x]}\"\n",
	    "test.conf:1: invalid slice in format specifier %{rcpt[x]}\n");
	cfg_err("action x maildir \"/m/%{rcpt[:]}\"\n",
	    "test.conf:1: invalid slice in format specifier %{rcpt[:]}\n");
	cfg_err("action x mda \"%{rcpt\"\n", "test.conf:1: unterminated "
	    "format specifier \"%{rcpt\"\n");
	cfg_err("action x mda \"%{mda}\"\n", "test.conf:1: format specifier "
	    "%{mda} is only allowed in mda wrappers\n");
	/* lmtp DEST */
	cfg_err("action x lmtp localhost\n", "test.conf:1: invalid lmtp "
	    "destination \"localhost\": a port is required\n");
	cfg_err("action x lmtp localhost:25\n", "test.conf:1: invalid lmtp "
	    "destination \"localhost:25\": port 25 is not allowed for LMTP\n");
	cfg_err("action x lmtp unix:run/lmtp\n", "test.conf:1: invalid lmtp "
	    "destination \"unix:run/lmtp\": socket path must be absolute\n");
	cfg_err("action x lmtp \"[::1\":24\n", "test.conf:1: invalid lmtp "
	    "destination \"[::1\": unbalanced brackets\n");
	/* relay */
	cfg_err("action x relay host smtp://l@x\n", "test.conf:1: invalid "
	    "relay URL \"smtp://l@x\": a label requires smtp+tls:// or "
	    "smtps://\n");
	cfg_err("action x relay host xyz://x\n", "test.conf:1: invalid "
	    "relay URL \"xyz://x\": unknown scheme \"xyz\"\n");
	cfg_err("action x relay host lmtp://x\n", "test.conf:1: invalid "
	    "relay URL \"lmtp://x\": lmtp:// requires a port\n");
	cfg_err("action x relay host x:0\n", "test.conf:1: invalid relay "
	    "URL \"x:0\": invalid port \"0\"\n");
	cfg_err("action x relay host \"x/y\"\n", "test.conf:1: invalid relay "
	    "URL \"x/y\": invalid host \"x/y\"\n");
	cfg_err(TABLES "action x relay auth <secrets>\n",
	    "test.conf:7: auth requires host\n");
	cfg_err(TABLES "action x relay host x auth <secrets>\n",
	    "test.conf:7: auth requires tls\n");
	cfg_err("action x relay host smtp+notls://x tls\n",
	    "test.conf:1: tls and smtp+notls:// are incompatible\n");
	cfg_err("action x relay tls tls\n",
	    "test.conf:1: tls already specified for this dispatcher\n");
	cfg_err("action x relay host a host b\n",
	    "test.conf:1: host already specified for this dispatcher\n");
	cfg_err("action x relay auth <aliases>\n",
	    "test.conf:1: table \"aliases\" not defined\n");
	cfg_err("table l { a }\naction x relay host smtps://l@x auth <l>\n",
	    "test.conf:2: table \"l\" may not be used for relay credentials "
	    "lookups\n");
	cfg_err("action x relay pki nope\n",
	    "test.conf:1: pki \"nope\" not defined\n");
}

static void
test_match(void **state)
{
	struct config *c;
	struct match *m;

	(void)state;
	c = cfg_ok("table vdomains { example.org }\n"
	    "table other { 192.0.2.0/24 }\n"
	    "action \"local\" mbox\naction out relay\n"
	    "match from any for domain <vdomains> action \"local\"\n"
	    "match for local action \"local\"\n"
	    "match auth from any for any action out\n"
	    "match !from src <other> mail-from \"@example.com\" for any "
	    "reject\n"
	    "match from socket for rcpt-to { \"a@b\" } helo mx.example.org "
	    "rcpt-to x tag SUBMIT tls action out\n"
	    "match from auth bob !for domain example.net !auth { bob, eve } "
	    "action out\n"
	    "match from mail-from \"<>\" !tls reject\n"
	    "match from local !tag X action out\n");
	m = TAILQ_FIRST(&c->matches);
	assert_int_equal(m->nconds, 2);
	assert_int_equal(m->conds[0].kind, MATCH_FROM_ANY);
	assert_int_equal(m->conds[1].kind, MATCH_FOR_DOMAIN);
	assert_string_equal(m->conds[1].table->name, "vdomains");
	assert_int_equal(m->conds[1].table->uses, TABLE_USE_DOMAIN);
	assert_string_equal(m->action->name, "local");
	assert_int_equal(m->reject, 0);
	assert_int_equal(m->line, 5);
	/* implicit from local */
	m = TAILQ_NEXT(m, entry);
	assert_int_equal(m->nconds, 2);
	assert_int_equal(m->conds[0].kind, MATCH_FOR_LOCAL);
	assert_int_equal(m->conds[1].kind, MATCH_FROM_LOCAL);
	assert_int_equal(m->conds[1].negate, 0);
	m = TAILQ_NEXT(m, entry);
	assert_int_equal(m->nconds, 3);
	assert_int_equal(m->conds[0].kind, MATCH_AUTH);
	assert_null(m->conds[0].table);
	assert_int_equal(m->conds[1].kind, MATCH_FROM_ANY);
	assert_int_equal(m->conds[2].kind, MATCH_FOR_ANY);
	m = TAILQ_NEXT(m, entry);
	assert_int_equal(m->reject, 1);
	assert_null(m->action);
	assert_int_equal(m->conds[0].kind, MATCH_FROM_SRC);
	assert_int_equal(m->conds[0].negate, 1);
	assert_string_equal(m->conds[0].table->name, "other");
	assert_int_equal(m->conds[0].table->uses, TABLE_USE_NETADDR);
	assert_int_equal(m->conds[1].kind, MATCH_MAILFROM);
	assert_int_equal(m->conds[1].negate, 0);
	assert_int_equal(m->conds[1].table->uses, TABLE_USE_MAILADDR);
	assert_int_equal(m->conds[2].kind, MATCH_FOR_ANY);
	m = TAILQ_NEXT(m, entry);
	assert_int_equal(m->nconds, 6);
	assert_int_equal(m->conds[0].kind, MATCH_FROM_SOCKET);
	assert_int_equal(m->conds[1].kind, MATCH_FOR_RCPTTO);
	assert_int_equal(m->conds[2].kind, MATCH_HELO);
	assert_int_equal(m->conds[2].table->uses, TABLE_USE_DOMAIN);
	assert_int_equal(m->conds[3].kind, MATCH_RCPTTO);
	assert_string_equal(m->conds[3].table->entries[0].key, "x");
	assert_int_equal(m->conds[4].kind, MATCH_TAG);
	assert_string_equal(m->conds[4].tag, "SUBMIT");
	assert_int_equal(m->conds[5].kind, MATCH_TLS);
	m = TAILQ_NEXT(m, entry);
	assert_int_equal(m->conds[0].kind, MATCH_FROM_AUTH);
	assert_int_equal(m->conds[0].table->uses, TABLE_USE_USERLIST);
	assert_int_equal(m->conds[1].kind, MATCH_FOR_DOMAIN);
	assert_int_equal(m->conds[1].negate, 1);
	assert_int_equal(m->conds[2].kind, MATCH_AUTH);
	assert_int_equal(m->conds[2].negate, 1);
	assert_int_equal(m->conds[2].table->nentries, 2);
	m = TAILQ_NEXT(m, entry);
	assert_int_equal(m->conds[0].kind, MATCH_FROM_MAILFROM);
	assert_int_equal(m->conds[1].kind, MATCH_TLS);
	assert_int_equal(m->conds[1].negate, 1);
	assert_int_equal(m->conds[2].kind, MATCH_FOR_LOCAL);
	m = TAILQ_NEXT(m, entry);
	assert_int_equal(m->conds[0].kind, MATCH_FROM_LOCAL);
	assert_int_equal(m->conds[1].kind, MATCH_TAG);
	assert_int_equal(m->conds[1].negate, 1);
	assert_null(TAILQ_NEXT(m, entry));
	config_free(c);
}

static void
test_match_errors(void **state)
{
	(void)state;
	cfg_err("match for any action nope\n",
	    "test.conf:1: action \"nope\" not defined\n");
	cfg_err("match for any action x\naction x mbox\n",
	    "test.conf:1: action \"x\" not defined\n");
	cfg_err("match from any for any\n", "test.conf:1: missing \"action\" "
	    "or \"reject\" in match rule\n");
	cfg_err("match from any from local reject\n",
	    "test.conf:1: from already specified for this rule\n");
	cfg_err("match for any !for local reject\n",
	    "test.conf:1: for already specified for this rule\n");
	cfg_err("match tag a tag b reject\n",
	    "test.conf:1: tag already specified for this rule\n");
	cfg_err("match !reject\n",
	    "test.conf:1: \"!\" may not precede \"reject\"\n");
	cfg_err("match from rdns reject\n",
	    "test.conf:1: \"rdns\" is not supported yet\n");
	cfg_err("match for domain regex \"^a\" reject\n",
	    "test.conf:1: \"regex\" is not supported yet\n");
	cfg_err("match from src reject\n", "test.conf:1: expected a table "
	    "(<name>, { ... } or a value), got keyword \"reject\"\n");
	cfg_err("match from everywhere reject\n", "test.conf:1: expected "
	    "\"any\", \"local\", \"socket\", \"src\", \"auth\" or \"mail-from\" "
	    "after \"from\", got \"everywhere\"\n");
	cfg_err("match frob reject\n", "test.conf:1: expected a match "
	    "option, \"action\" or \"reject\", got \"frob\"\n");
	cfg_err("action x mbox\nmatch for any action x y\n",
	    "test.conf:2: expected end of line, got \"y\"\n");
	cfg_err("match for domain <nope> reject\n",
	    "test.conf:1: table \"nope\" not defined\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_actions),
		cmocka_unit_test(test_lmtp_actions),
		cmocka_unit_test(test_relay_actions),
		cmocka_unit_test(test_action_errors),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * config_listen_test.c: unit tests for `listen on` in the smtpd.conf
 * parser (smtpd/parse_listen.c, smtpd/parse_addr.c; spec/config.md
 * sections 4 and 6): address literals, interfaces, host names, ports,
 * every option, the enqueue socket, LMTP listeners, and every
 * consistency error with its exact text.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ifaddrs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_util.h"

#define PKI_DECL	"pki mx1 cert \"/c\"\npki mx1 key \"/k\"\n" \
			"pki mx2 cert \"/c2\"\npki mx2 key \"/k2\"\n" \
			"table pw { bob = \"$2b$10$x\" }\n"

static int	has_addr(int, const char *);
static int	count_listeners(struct config *);
static struct listener *find_listener(struct config *, int, const char *,
		    int);

/* Whether interface ifname has the address `text`. */
static int
has_addr(int family, const char *text)
{
	struct ifaddrs *ifap, *ifa;
	char buf[INET6_ADDRSTRLEN];
	const void *addr;
	int found = 0;

	if (getifaddrs(&ifap) == -1)
		return 0;
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != family ||
		    strcmp(ifa->ifa_name, "lo") != 0)
			continue;
		addr = family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)ifa->ifa_addr)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		if (inet_ntop(family, addr, buf, sizeof(buf)) != NULL &&
		    strcmp(buf, text) == 0)
			found = 1;
	}
	freeifaddrs(ifap);
	return found;
}

static int
count_listeners(struct config *c)
{
	struct listener *l;
	int n = 0;

	TAILQ_FOREACH(l, &c->listeners, entry)
		n++;
	return n;
}

/* The INET listener on address text and port, or NULL. */
static struct listener *
find_listener(struct config *c, int family, const char *text, int port)
{
	struct listener *l;
	char buf[INET6_ADDRSTRLEN];
	const void *addr;

	TAILQ_FOREACH(l, &c->listeners, entry) {
		if (l->kind != LISTENER_INET || l->ss.ss_family != family)
			continue;
		if (family == AF_INET) {
			addr = &((struct sockaddr_in *)&l->ss)->sin_addr;
			if (ntohs(((struct sockaddr_in *)&l->ss)->sin_port) !=
			    port || l->sslen != sizeof(struct sockaddr_in))
				continue;
		} else {
			addr = &((struct sockaddr_in6 *)&l->ss)->sin6_addr;
			if (ntohs(((struct sockaddr_in6 *)&l->ss)->sin6_port)
			    != port || l->sslen != sizeof(struct sockaddr_in6))
				continue;
		}
		if (inet_ntop(family, addr, buf, sizeof(buf)) != NULL &&
		    strcmp(buf, text) == 0 && l->port == port)
			return l;
	}
	return NULL;
}

static void
test_addresses(void **state)
{
	struct config *c;
	struct listener *l;
	int n;

	(void)state;
	c = cfg_ok_flags("listen on 192.0.2.1\nlisten on ::1 port 2525\n"
	    "listen on \"2001:db8::1\" port submission\n"
	    "listen on 192.0.2.3 port smtp inet4\n"
	    "listen on lo port 10025\n"
	    "listen on lo port 10026 inet4\nlisten on lo port 10027 inet6\n"
	    "listen on localhost port 10028\n", 0);
	l = find_listener(c, AF_INET, "192.0.2.1", 25);
	assert_non_null(l);
	assert_string_equal(l->where, "192.0.2.1");
	assert_int_equal(l->flags, 0);
	assert_string_equal(l->file, CFG_NAME);
	assert_int_equal(l->line, 1);
	assert_non_null(find_listener(c, AF_INET6, "::1", 2525));
	assert_non_null(find_listener(c, AF_INET6, "2001:db8::1", 587));
	assert_non_null(find_listener(c, AF_INET, "192.0.2.3", 25));
	/* lo: every address configured on it */
	n = 7;
	l = find_listener(c, AF_INET, "127.0.0.1", 10025);
	assert_non_null(l);
	assert_string_equal(l->where, "lo");
	assert_non_null(find_listener(c, AF_INET, "127.0.0.1", 10026));
	assert_null(find_listener(c, AF_INET6, "::1", 10026));
	assert_null(find_listener(c, AF_INET, "127.0.0.1", 10027));
	if (has_addr(AF_INET6, "::1")) {
		assert_non_null(find_listener(c, AF_INET6, "::1", 10025));
		assert_non_null(find_listener(c, AF_INET6, "::1", 10027));
		n += 2;
	}
	/* a host name: what getaddrinfo gives */
	assert_non_null(find_listener(c, AF_INET, "127.0.0.1", 10028));
	assert_true(count_listeners(c) >= n);
	config_free(c);

	/* CONFIG_NORESOLVE: a name is one AF_UNSPEC listener */
	c = cfg_ok("listen on lo\nlisten on eth9 port 26\n"
	    "listen on 127.0.0.1\n");
	l = TAILQ_FIRST(&c->listeners);
	assert_int_equal(l->ss.ss_family, AF_UNSPEC);
	assert_string_equal(l->where, "lo");
	assert_int_equal(l->port, 25);
	l = TAILQ_NEXT(l, entry);
	assert_string_equal(l->where, "eth9");
	assert_int_equal(l->port, 26);
	assert_non_null(find_listener(c, AF_INET, "127.0.0.1", 25));
	assert_int_equal(count_listeners(c), 3);
	config_free(c);
}

static void
test_options(void **state)
{
	struct config *c;
	struct listener *l;

	(void)state;
	c = cfg_ok(PKI_DECL
	    "listen on 192.0.2.1 tls pki mx1 pki mx2 mask-src no-dsn "
	    "hostname mail.example.org tag IN\n"
	    "listen on 192.0.2.1 port 587 tls-require pki mx1 auth <pw> "
	    "tag SUBMIT\n"
	    "listen on 192.0.2.1 smtps pki mx1 auth-optional { bob = x }\n"
	    "listen on 192.0.2.2 smtps port 4650 pki mx1\n");
	l = TAILQ_FIRST(&c->listeners);
	assert_int_equal(l->flags, LISTENER_TLS | LISTENER_MASK_SRC |
	    LISTENER_NO_DSN);
	assert_int_equal(l->npki, 2);
	assert_string_equal(l->pki[0]->name, "mx1");
	assert_string_equal(l->pki[1]->name, "mx2");
	assert_string_equal(l->hostname, "mail.example.org");
	assert_string_equal(l->tag, "IN");
	assert_null(l->auth_table);
	l = TAILQ_NEXT(l, entry);
	assert_int_equal(l->port, 587);
	assert_int_equal(l->flags, LISTENER_TLS_REQUIRE | LISTENER_AUTH);
	assert_non_null(l->auth_table);
	assert_string_equal(l->auth_table->name, "pw");
	assert_int_equal(l->auth_table->uses, TABLE_USE_CREDENTIALS);
	l = TAILQ_NEXT(l, entry);
	assert_int_equal(l->port, 465);		/* smtps default */
	assert_int_equal(l->flags, LISTENER_SMTPS | LISTENER_AUTH_OPTIONAL);
	assert_string_equal(l->auth_table->name, "");
	assert_int_equal(l->auth_table->kind, TABLE_KIND_MAPPING);
	l = TAILQ_NEXT(l, entry);
	assert_int_equal(l->port, 4650);
	config_free(c);
}

static void
test_sockets(void **state)
{
	struct config *c;
	struct listener *l;

	(void)state;
	c = cfg_ok("listen on socket tag LOCAL mask-src no-dsn\n"
	    "listen on socket \"/var/spool/smtpd/lmtp.sock\" lmtp mode 0640 "
	    "owner root group postfix tag LMTP hostname lmtp.example.org "
	    "mask-src no-dsn\n"
	    "listen on socket \"/run/b.sock\" tag B lmtp\n"
	    "listen on 127.0.0.1 port lmtp lmtp tag LMTP\n"
	    "listen on 127.0.0.1 port 2424 lmtp\n");
	assert_int_equal(c->enqueue->kind, LISTENER_ENQUEUE);
	assert_int_equal(c->enqueue->flags, LISTENER_MASK_SRC |
	    LISTENER_NO_DSN);
	assert_string_equal(c->enqueue->tag, "LOCAL");
	assert_string_equal(c->enqueue->path, c->control_socket);
	l = TAILQ_FIRST(&c->listeners);
	assert_int_equal(l->kind, LISTENER_UNIX);
	assert_string_equal(l->path, "/var/spool/smtpd/lmtp.sock");
	assert_int_equal(l->flags, LISTENER_LMTP | LISTENER_MASK_SRC |
	    LISTENER_NO_DSN);
	assert_int_equal(l->mode, 0640);
	assert_string_equal(l->owner, "root");
	assert_string_equal(l->group, "postfix");
	assert_string_equal(l->tag, "LMTP");
	assert_string_equal(l->hostname, "lmtp.example.org");
	l = TAILQ_NEXT(l, entry);
	assert_string_equal(l->path, "/run/b.sock");
	assert_int_equal(l->mode, 0660);
	assert_string_equal(l->owner, "");
	assert_string_equal(l->group, "");
	assert_int_equal(l->flags, LISTENER_LMTP);
	l = find_listener(c, AF_INET, "127.0.0.1", 24);
	assert_non_null(l);
	assert_int_equal(l->flags, LISTENER_LMTP);
	assert_string_equal(l->tag, "LMTP");
	assert_non_null(find_listener(c, AF_INET, "127.0.0.1", 2424));
	config_free(c);
}

static void
test_errors(void **state)
{
	(void)state;
	cfg_err("listen on 127.0.0.1\nlisten on 127.0.0.1 port 25\n",
	    "test.conf:2: duplicate listener on 127.0.0.1 port 25\n");
	cfg_err("listen on lo port 30\nlisten on lo port 30 tag X\n",
	    "test.conf:2: duplicate listener on lo port 30\n");
	cfg_err_flags("listen on lo port 31\nlisten on 127.0.0.1 port 31\n", 0,
	    "test.conf:2: duplicate listener on 127.0.0.1 port 31\n");
	cfg_err(PKI_DECL "listen on 192.0.2.1 tls smtps pki mx1\n",
	    "test.conf:6: tls, tls-require and smtps are mutually "
	    "exclusive\n");
	cfg_err("table pw { a = b }\nlisten on 192.0.2.1 auth <pw>\n",
	    "test.conf:2: auth requires tls/smtps\n");
	cfg_err(PKI_DECL "listen on 192.0.2.1 pki mx1\n",
	    "test.conf:6: pki requires tls/smtps\n");
	cfg_err("listen on 192.0.2.1 tls-require\n",
	    "test.conf:1: tls-require requires a pki\n");
	cfg_err("listen on 192.0.2.1 lmtp\n",
	    "test.conf:1: lmtp listener requires a port\n");
	cfg_err("listen on 192.0.2.1 port 25 lmtp\n",
	    "test.conf:1: lmtp listener may not use port 25\n");
	cfg_err(PKI_DECL "listen on 192.0.2.1 port 24 lmtp smtps pki mx1\n",
	    "test.conf:6: smtps and lmtp are incompatible\n");
	cfg_err(PKI_DECL "listen on 192.0.2.1 port 24 tls pki mx1 lmtp\n",
	    "test.conf:6: \"tls\" is not supported yet\n");
	cfg_err("table pw { a = b }\n"
	    "listen on 192.0.2.1 port 24 lmtp auth <pw>\n",
	    "test.conf:2: \"auth\" is not supported yet\n");
	cfg_err(PKI_DECL "listen on 192.0.2.1 port 587 tls pki mx1 auth\n",
	    "test.conf:6: \"auth\" is not supported yet\n");
	cfg_err(PKI_DECL "listen on 192.0.2.1 smtps verify pki mx1\n",
	    "test.conf:6: \"verify\" is not supported yet\n");
	cfg_err("listen on 192.0.2.1 senders <x>\n",
	    "test.conf:1: \"senders\" is not supported yet\n");
	cfg_err("listen on 192.0.2.1 filter f\nlisten on socket filter f\n",
	    "test.conf:1: \"filter\" is not supported yet\n"
	    "test.conf:2: \"filter\" is not supported yet\n");
	cfg_err("listen on egress\n",
	    "test.conf:1: \"egress\" is not supported yet\n");
	cfg_err("listen on 192.0.2.1 port 26 port 27\n",
	    "test.conf:1: \"port\" specified more than once\n");
	cfg_err("listen on 192.0.2.1 inet4 inet6\n",
	    "test.conf:1: \"inet6\" specified more than once\n");
	cfg_err("listen on 192.0.2.1 inet6\n",
	    "test.conf:1: \"192.0.2.1\" is not an inet6 address\n");
	cfg_err("listen on 192.0.2.1 port 0\n",
	    "test.conf:1: invalid port \"0\"\n");
	cfg_err("listen on 192.0.2.1 port\n", "test.conf:1: expected a "
	    "port number or service name, got end of line\n");
	cfg_err("listen on 192.0.2.1 frob\n", "test.conf:1: expected a "
	    "listen option or end of line, got \"frob\"\n");
	cfg_err("listen lo\n", "test.conf:1: expected \"on\" after "
	    "\"listen\", got \"lo\"\n");
	cfg_err("listen on 192.0.2.1 tag \"0123456789012345678901234567890"
	    "12\"\n", "test.conf:1: tag too long (max 31 characters)\n");
	cfg_err("listen on 192.0.2.1 pki none tls\n",
	    "test.conf:1: pki \"none\" not defined\n");
	cfg_err("pki p cert \"/c\"\nlisten on 192.0.2.1 tls pki p\n"
	    "pki p key \"/k\"\n",
	    "test.conf:2: pki \"p\" has no key\n");
	cfg_err("listen on socket\nlisten on socket tag X\n",
	    "test.conf:2: listen on socket already specified\n");
	cfg_err("listen on socket port 25\n",
	    "test.conf:1: \"port\" is not allowed with listen on socket\n");
	cfg_err("listen on socket \"/run/x.sock\" lmtp port 24\n",
	    "test.conf:1: \"port\" is not allowed with listen on socket "
	    "\"PATH\"\n");
	cfg_err("listen on 192.0.2.1 mode 0600\n", "test.conf:1: \"mode\" is "
	    "not allowed with listen on an address\n");
	cfg_err("listen on socket \"/run/x.sock\" tag X\n",
	    "test.conf:1: \"socket\" is not supported yet\n");
	cfg_err("listen on socket \"run/x.sock\" lmtp\n",
	    "test.conf:1: socket path must be absolute\n");
	cfg_err("listen on socket \"/run/x.sock\" lmtp mode 0999\n",
	    "test.conf:1: invalid mode \"0999\"\n");
	cfg_err("listen on socket \"/run/x.sock\" lmtp mode 1777\n",
	    "test.conf:1: invalid mode \"1777\"\n");
	cfg_err("listen on socket \"/run/x.sock\" lmtp\n"
	    "listen on socket \"/run/x.sock\" lmtp tag X\n",
	    "test.conf:2: duplicate listener on \"/run/x.sock\"\n");
	cfg_err("listen on socket \"/var/run/smtpd.sock\" lmtp\n"
	    "control socket \"/var/run/smtpd.sock\"\n",
	    "test.conf:1: socket \"/var/run/smtpd.sock\" is the control "
	    "socket\n");
	cfg_err("table pw { a, b }\nlisten on 192.0.2.1 smtps auth "
	    "<pw> pki x\n", "test.conf:2: table \"pw\" may not be used for "
	    "credentials lookups\n");
}

static void
test_resolve_errors(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	c = cfg_parse("listen on no-such-host.invalid\n", 0, &errs);
	assert_null(c);
	assert_true(strncmp(errs, "test.conf:1: cannot resolve "
	    "\"no-such-host.invalid\": not an address, interface or known "
	    "host (", 85) == 0);
	free(errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_resolve_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

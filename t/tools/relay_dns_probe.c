/*
 * relay_dns_probe.c: drives deliver/relay_dns.c end to end for
 * t/93-relay-dns.t (which runs a fake DNS server, t/lib/FakeDns.pm):
 *
 *	relay-dns-probe [-c] [-n servername] [-s address]... [-t seconds]
 *	    FORWARDER mx|host NAME PORT
 *
 * prints "STATUS ESC TEXT" then one "HOST PREF ADDRESS PORT" line per
 * address, in order. -c cancels the query at once and runs the loop
 * dry: prints "cancelled". Exit 0, or 2 on a usage or set-up error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "deliver/relay_dns.h"

#define PROBE_SELF_MAX	8
#define PROBE_ERR_MAX	256

static void	probe_done(const struct relay_dns_result *, void *);
static int	probe_addr(const char *, struct sockaddr_storage *);
static void	probe_usage(void);

static int	probe_called;
static int	probe_inside;

static void
probe_done(const struct relay_dns_result *r, void *arg)
{
	static const char *st[] = { "ok", "tempfail", "permfail" };
	char text[INET6_ADDRSTRLEN];
	const struct relay_dns_addr *a;
	const void *p;
	size_t i;
	int port;

	(void)arg;
	if (probe_inside)
		printf("reentrant\n");
	probe_called++;
	printf("%s %s %s\n", st[r->status], r->esc[0] ? r->esc : "-",
	    r->text[0] ? r->text : "-");
	for (i = 0; i < r->naddr; i++) {
		a = &r->addr[i];
		if (a->ss.ss_family == AF_INET6) {
			p = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
			port = ntohs(((const struct sockaddr_in6 *)
			    &a->ss)->sin6_port);
		} else {
			p = &((const struct sockaddr_in *)&a->ss)->sin_addr;
			port = ntohs(((const struct sockaddr_in *)
			    &a->ss)->sin_port);
		}
		if (inet_ntop(a->ss.ss_family, p, text, sizeof(text)) == NULL)
			(void)strlcpy(text, "?", sizeof(text));
		printf("%s %d %s %d\n", a->host, a->pref, text, port);
	}
}

static int
probe_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s,
	    &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s,
	    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -1;
}

static void
probe_usage(void)
{
	fprintf(stderr, "usage: relay-dns-probe [-c] [-n servername] "
	    "[-s address]... [-t seconds] FORWARDER mx|host NAME PORT\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage self[PROBE_SELF_MAX];
	struct relay_dns *dns;
	struct relay_dns_query *q;
	struct ev_loop *loop;
	char err[PROBE_ERR_MAX];
	const char *servername = NULL;
	double timeout = 0;
	size_t nself = 0;
	int ch, cancel = 0;

	while ((ch = getopt(argc, argv, "cn:s:t:")) != -1) {
		switch (ch) {
		case 'c':
			cancel = 1;
			break;
		case 'n':
			servername = optarg;
			break;
		case 's':
			if (nself >= PROBE_SELF_MAX ||
			    probe_addr(optarg, &self[nself++]) == -1)
				probe_usage();
			break;
		case 't':
			timeout = atof(optarg);
			break;
		default:
			probe_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4 || (strcmp(argv[1], "mx") != 0 &&
	    strcmp(argv[1], "host") != 0))
		probe_usage();
	loop = ev_loop_new(EVFLAG_AUTO);
	if ((dns = relay_dns_open(loop, argv[0], err, sizeof(err))) == NULL) {
		fprintf(stderr, "relay-dns-probe: %s\n", err);
		return 2;
	}
	relay_dns_set_self(dns, servername, self, nself);
	relay_dns_set_timeout(dns, timeout);
	probe_inside = 1;
	if (strcmp(argv[1], "mx") == 0)
		q = relay_dns_mx(dns, argv[2], atoi(argv[3]), probe_done, NULL);
	else
		q = relay_dns_host(dns, argv[2], atoi(argv[3]), probe_done,
		    NULL);
	probe_inside = 0;
	if (cancel) {
		relay_dns_cancel(q);
		printf("cancelled\n");
	}
	while (ev_run(loop, EVRUN_ONCE) && !probe_called)
		;
	if (probe_called > 1)
		printf("called %d times\n", probe_called);
	relay_dns_close(dns);
	ev_loop_destroy(loop);
	return 0;
}

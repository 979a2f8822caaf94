/*
 * relay_sess_probe.c: a test driver for the relay client session
 * (deliver/relay_sess.h), used by t/94-relay-session.t. One session to
 * one address on a libev loop, one transaction (or -n of them on the
 * same connection), then QUIT. Prints one line per recipient outcome
 * after each transaction and one for closed(), on stdout:
 *
 *   done tls=0|1
 *   rcpt <addr> status=N code=N esc=E text=T
 *   closed status=N stage=NAME esc=E text=T
 *
 * usage: relay-sess-probe [-8ILUv] [-a user] [-C cafile] [-E envid]
 *	[-H helo] [-m tls-mode] [-N notify] [-n count] [-O orcpt]
 *	[-P pass] [-R ret] [-S servername] [-s size] [-T secs] [-D]
 *	address message sender rcpt...
 * address: 127.0.0.1:PORT, [::1]:PORT or unix:/path. tls-mode: none,
 * opportunistic (default), starttls, implicit. Test use only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "deliver/relay_sess.h"
#include "deliver/relay_tls.h"
#include "lib/log.h"

#define PROBE_ALARM	60	/* seconds: a hung probe is killed */
#define PROBE_ERR_MAX	256

struct probe {
	struct ev_loop	*loop;
	struct relay_txn txn;
	int		 count;		/* transactions left to send */
};

static void	probe_ready(struct relay_sess *, void *);
static void	probe_done(struct relay_sess *, struct relay_txn *, void *);
static void	probe_closed(struct relay_sess *, int, enum relay_stage,
		    const char *, const char *, void *);
static int	probe_addr(const char *, struct sockaddr_storage *,
		    socklen_t *);
static enum relay_tls_mode probe_mode(const char *);
static void	usage(void);

static const char *probe_stages[] = {
	"connect", "greeting", "helo", "starttls", "auth", "mail", "rcpt",
	"data", "body", "quit",
};

static void
usage(void)
{
	fprintf(stderr, "usage: relay-sess-probe [-8ILUvD] [-a user] "
	    "[-C cafile] [-E envid] [-H helo] [-m mode] [-N notify] "
	    "[-n count] [-O orcpt] [-P pass] [-R ret] [-S servername] "
	    "[-s size] [-T secs] address message sender rcpt...\n");
	exit(2);
}

static void
probe_ready(struct relay_sess *s, void *arg)
{
	struct probe *p = arg;

	if (p->count-- > 0) {
		if (relay_sess_send(s, &p->txn) == -1)
			errx(1, "relay_sess_send refused");
		return;
	}
	relay_sess_quit(s);
}

static void
probe_done(struct relay_sess *s, struct relay_txn *t, void *arg)
{
	size_t i;

	(void)arg;
	printf("done tls=%d\n", relay_sess_tls(s));
	for (i = 0; i < t->nrcpt; i++)
		printf("rcpt %s status=%d code=%d esc=%s text=%s\n",
		    t->rcpt[i].addr, t->rcpt[i].status, t->rcpt[i].code,
		    t->rcpt[i].esc, t->rcpt[i].text);
	fflush(stdout);
}

static void
probe_closed(struct relay_sess *s, int status, enum relay_stage stage,
    const char *esc, const char *text, void *arg)
{
	struct probe *p = arg;

	printf("closed status=%d stage=%s esc=%s text=%s\n", status,
	    probe_stages[stage], esc, text);
	fflush(stdout);
	relay_sess_free(s);
	ev_break(p->loop, EVBREAK_ALL);
}

static int
probe_addr(const char *a, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(a, "unix:", 5) == 0) {
		sun->sun_family = AF_UNIX;
		if (strlcpy(sun->sun_path, a + 5, sizeof(sun->sun_path)) >=
		    sizeof(sun->sun_path))
			return -1;
		*len = sizeof(*sun);
		return 0;
	}
	if ((colon = strrchr(a, ':')) == NULL)
		return -1;
	port = colon + 1;
	if (a[0] == '[') {
		if (colon - a < 2 || colon[-1] != ']' ||
		    (size_t)(colon - a - 2) >= sizeof(host))
			return -1;
		memcpy(host, a + 1, colon - a - 2);
		host[colon - a - 2] = '\0';
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(atoi(port));
		*len = sizeof(*sin6);
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 ? 0 :
		    -1;
	}
	if ((size_t)(colon - a) >= sizeof(host))
		return -1;
	memcpy(host, a, colon - a);
	host[colon - a] = '\0';
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(port));
	*len = sizeof(*sin);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static enum relay_tls_mode
probe_mode(const char *m)
{
	if (strcmp(m, "none") == 0)
		return RELAY_SESS_TLS_NONE;
	if (strcmp(m, "starttls") == 0)
		return RELAY_SESS_TLS_STARTTLS;
	if (strcmp(m, "implicit") == 0)
		return RELAY_SESS_TLS_IMPLICIT;
	if (strcmp(m, "opportunistic") == 0)
		return RELAY_SESS_TLS_OPPORTUNISTIC;
	usage();
	return RELAY_SESS_TLS_NONE;
}

int
main(int argc, char *argv[])
{
	struct relay_sess_conf conf;
	struct relay_sess_cb cb = { probe_ready, probe_done, probe_closed };
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct probe p;
	struct relay_sess *s;
	struct relay_rcpt *rcpt;
	struct stat st;
	const char *cafile = NULL, *orcpt = NULL;
	char errbuf[PROBE_ERR_MAX];
	long long size = -1;
	int ch, i, notify = 0, timeout = 0, trace = 0;

	memset(&conf, 0, sizeof(conf));
	memset(&p, 0, sizeof(p));
	conf.tls = RELAY_SESS_TLS_OPPORTUNISTIC;
	conf.helo = "probe.example";
	p.count = 1;
	while ((ch = getopt(argc, argv, "8a:C:DE:H:ILm:N:n:O:P:R:S:s:T:Uv")) !=
	    -1) {
		switch (ch) {
		case '8': p.txn.eightbit = 1; break;
		case 'a': conf.auth_user = optarg; break;
		case 'C': cafile = optarg; break;
		case 'D': trace = 1; break;
		case 'E': p.txn.envid = optarg; break;
		case 'H': conf.helo = optarg; break;
		case 'I': conf.tls = RELAY_SESS_TLS_IMPLICIT; break;
		case 'L': conf.lmtp = 1; break;
		case 'm': conf.tls = probe_mode(optarg); break;
		case 'N': notify = atoi(optarg); break;
		case 'n': p.count = atoi(optarg); break;
		case 'O': orcpt = optarg; break;
		case 'P': conf.auth_pass = optarg; break;
		case 'R': p.txn.dsn_ret = atoi(optarg); break;
		case 'S': conf.servername = optarg; break;
		case 's': size = atoll(optarg); break;
		case 'T': timeout = atoi(optarg); break;
		case 'U': p.txn.smtputf8 = 1; break;
		case 'v': conf.verify = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 4)
		usage();
	alarm(PROBE_ALARM);
	log_init("relay-sess-probe", 1, trace);
	if (trace)
		log_settrace(TRACE_SMTP);
	conf.connect_timeout = conf.helo_timeout = conf.starttls_timeout =
	    conf.mail_timeout = conf.rcpt_timeout = conf.data_init_timeout =
	    conf.data_xfer_timeout = conf.data_done_timeout =
	    conf.quit_timeout = timeout;
	if (conf.tls != RELAY_SESS_TLS_NONE && relay_tls_cred(&conf.cred,
	    cafile, NULL, NULL, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if (probe_addr(argv[0], &ss, &sslen) == -1)
		errx(1, "bad address %s", argv[0]);
	if ((p.txn.msgfd = open(argv[1], O_RDONLY)) == -1 ||
	    fstat(p.txn.msgfd, &st) == -1)
		err(1, "%s", argv[1]);
	p.txn.msgsize = size >= 0 ? size : st.st_size;
	p.txn.sender = argv[2];
	p.txn.nrcpt = argc - 3;
	if ((rcpt = calloc(p.txn.nrcpt, sizeof(*rcpt))) == NULL)
		err(1, "calloc");
	for (i = 3; i < argc; i++) {
		rcpt[i - 3].evpid = 0x1000 + i;
		rcpt[i - 3].addr = argv[i];
		rcpt[i - 3].notify = notify;
		rcpt[i - 3].orcpt = orcpt;
	}
	p.txn.rcpt = rcpt;
	p.loop = ev_default_loop(0);
	if ((s = relay_sess_new(p.loop, &conf, (struct sockaddr *)&ss, sslen,
	    conf.servername ? conf.servername : "probe-host", &cb, &p)) ==
	    NULL)
		errx(1, "relay_sess_new failed");
	ev_run(p.loop, 0);
	relay_tls_cred_free(conf.cred);
	free(rcpt);
	close(p.txn.msgfd);
	return 0;
}

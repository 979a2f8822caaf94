/*
 * monitor.c: `smtpctl monitor` (monitor.h): asks CTL_MONITOR once a second
 * over one connection and prints a row of counters, the header first and
 * again every CTLFMT_MONITOR_EVERY rows. Runs until SIGINT (exit 0) or
 * until the daemon goes away (exit 1). monitor_parse() and
 * monitor_columns() are pure and unit-tested; monitor_run() is the loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/monitor.h"
#include "lib/buf.h"

#define MONITOR_KEY_MAX		64
#define MONITOR_NUM_MAX		24

static const char *const monitor_keys[MONITOR_NKEYS] = {
	[MONITOR_CLIENTS] = "clients",
	[MONITOR_CONNECTED] = "connected",
	[MONITOR_DISCONNECTED] = "disconnected",
	[MONITOR_ENVELOPES] = "envelopes",
	[MONITOR_ENQUEUED] = "enqueued",
	[MONITOR_DEQUEUED] = "dequeued",
	[MONITOR_OK] = "ok",
	[MONITOR_TEMPFAIL] = "tempfail",
	[MONITOR_PERMFAIL] = "permfail",
	[MONITOR_LOOP] = "loop",
	[MONITOR_EXPIRED] = "expired",
	[MONITOR_REMOVED] = "removed",
	[MONITOR_BOUNCED] = "bounced",
};

_Static_assert(MONITOR_NKEYS == CTLFMT_MONITOR_COLS, "one key per column");

static void	monitor_sigint(int);
static size_t	monitor_pos(int64_t);

static void
monitor_sigint(int sig)
{
	(void)sig;
	_exit(0);
}

static size_t
monitor_pos(int64_t v)
{
	return v > 0 ? (size_t)v : 0;
}

/* The keys monitor uses, from show stats' key=value lines; others 0. */
void
monitor_parse(const char *text, size_t len, struct monitor_sample *s)
{
	const char *p = text, *end = text + len, *nl, *eq;
	char num[MONITOR_NUM_MAX];
	size_t klen, vlen, i;

	memset(s, 0, sizeof(*s));
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((eq = memchr(p, '=', (size_t)(nl - p))) == NULL)
			continue;
		klen = (size_t)(eq - p);
		vlen = (size_t)(nl - eq - 1);
		if (vlen == 0 || vlen >= sizeof(num))
			continue;
		for (i = 0; i < MONITOR_NKEYS; i++) {
			if (strlen(monitor_keys[i]) != klen ||
			    memcmp(monitor_keys[i], p, klen) != 0)
				continue;
			memcpy(num, eq + 1, vlen);
			num[vlen] = '\0';
			s->v[i] = strtoll(num, NULL, 10);
		}
	}
}

/* One row: prev is the previous sample (all zero for the first row). */
void
monitor_columns(const struct monitor_sample *prev,
    const struct monitor_sample *cur, size_t c[CTLFMT_MONITOR_COLS])
{
	size_t i;

	for (i = 0; i < MONITOR_NKEYS; i++)
		c[i] = monitor_pos(i == MONITOR_CLIENTS ||
		    i == MONITOR_ENVELOPES ? cur->v[i] :
		    cur->v[i] - prev->v[i]);
}

/* The loop; returns an exit status only when the daemon fails it. */
int
monitor_run(struct client *cl)
{
	struct monitor_sample prev, cur;
	struct ctl_request req;
	struct ctl_reply last;
	struct timespec tick = { 1, 0 };
	struct sigaction sa;
	enum client_result r;
	size_t cols[CTLFMT_MONITOR_COLS];
	unsigned long rows = 0;
	struct buf text, out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = monitor_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.cmd = CTL_MONITOR;
	memset(&prev, 0, sizeof(prev));
	buf_init(&text);
	buf_init(&out);
	for (;; rows++) {
		buf_reset(&text);
		memset(&last, 0, sizeof(last));
		if ((r = client_text(cl, &req, &text, &last)) != CLIENT_OK) {
			fprintf(stderr, "smtpctl: %s\n", client_strerror(r));
			break;
		}
		if (last.status != CTL_OK) {
			fprintf(stderr, "smtpctl: %s%s%s\n",
			    ctlfmt_error(last.status), last.text[0] ? ": " : "",
			    last.text);
			break;
		}
		monitor_parse((const char *)buf_head(&text), buf_avail(&text),
		    &cur);
		monitor_columns(&prev, &cur, cols);
		buf_reset(&out);
		if (rows % CTLFMT_MONITOR_EVERY == 0)
			ctlfmt_monitor_header(&out, rows == 0);
		ctlfmt_monitor_row(&out, cols);
		if (fwrite(buf_head(&out), 1, buf_avail(&out), stdout) !=
		    buf_avail(&out) || fflush(stdout) == EOF)
			break;
		prev = cur;
		nanosleep(&tick, NULL);
	}
	buf_free(&text);
	buf_free(&out);
	return 1;
}

/*
 * log.c: stderr or syslog(LOG_MAIL) output, verbosity, trace and profile
 * masks.
 * Called by every role; openlog() happens in log_init() with LOG_NDELAY so
 * the syslog socket is open before a role chroots.
 * Never allocates: safe to call when memory is exhausted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define LOG_LINE_MAX	4096

static const char *log_prog = "smtpd";
static const char *log_rolename = NULL;
static int log_foreground = 1;
static int log_verbose;
static int log_tracemask;
static int log_profilemask;	/* loop thread only: workers.c copies it */
static pid_t log_pid;		/* cached: one syscall less per line */

static const struct {
	const char	*name;
	int		 flag;
} trace_names[] = {
	{ "imsg",	TRACE_IMSG },
	{ "io",		TRACE_IO },
	{ "smtp",	TRACE_SMTP },
	{ "filters",	TRACE_FILTERS },
	{ "transfer",	TRACE_TRANSFER },
	{ "bounce",	TRACE_BOUNCE },
	{ "scheduler",	TRACE_SCHEDULER },
	{ "lookup",	TRACE_LOOKUP },
	{ "stat",	TRACE_STAT },
	{ "rules",	TRACE_RULES },
	{ "mproc",	TRACE_MPROC },
	{ "expand",	TRACE_EXPAND },
	{ "tables",	TRACE_TABLES },
	{ "queue",	TRACE_QUEUE },
};

static void log_emit(int, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));

void
log_init(const char *progname, int foreground, int verbose)
{
	log_prog = progname;
	log_pid = getpid();
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
	tzset();
}

void
log_setrole(const char *role)
{
	log_rolename = role;
	log_pid = getpid();	/* after a fork or daemon(3) */
}

const char *
log_role(void)
{
	return log_rolename ? log_rolename : log_prog;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_settrace(int mask)
{
	log_tracemask = mask;
}

int
log_gettrace(void)
{
	return log_tracemask;
}

void
log_setprofile(int mask)
{
	log_profilemask = mask;
}

int
log_getprofile(void)
{
	return log_profilemask;
}

/* Parse "smtp,queue,...": 0 on success, -1 on an unknown name. */
int
log_trace_parse(const char *list, int *mask)
{
	const char *p = list;
	size_t i, n;

	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(trace_names) / sizeof(trace_names[0]); i++)
			if (strlen(trace_names[i].name) == n &&
			    strncmp(trace_names[i].name, p, n) == 0)
				break;
		if (i == sizeof(trace_names) / sizeof(trace_names[0]))
			return -1;
		*mask |= trace_names[i].flag;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

const char *
log_trace_names(void)
{
	return "imsg, io, smtp, filters, transfer, bounce, scheduler, lookup, "
	    "stat, rules, mproc, expand, tables, queue";
}

static void
log_emit(int prio, const char *fmt, va_list ap, int with_errno)
{
	char line[LOG_LINE_MAX];
	int saved = errno;
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (with_errno && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
	if (log_foreground) {
		if (log_rolename)
			fprintf(stderr, "%s[%d] %s: %s\n", log_prog, (int)log_pid,
			    log_rolename, line);
		else
			fprintf(stderr, "%s[%d]: %s\n", log_prog, (int)log_pid,
			    line);
		fflush(stderr);
	} else if (log_rolename)
		syslog(prio, "%s: %s", log_rolename, line);
	else
		syslog(prio, "%s", line);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
log_trace(int flag, const char *fmt, ...)
{
	va_list ap;

	if (!(log_tracemask & flag))
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

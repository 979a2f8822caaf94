/*
 * log.h: the one logging interface of every program and role.
 * Lines go to stderr (foreground, -d) or syslog facility mail; one line
 * per event, session or envelope id first, key=value fields after it.
 * Trace switches (-T) select extra lines per subsystem.
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdarg.h>

enum trace_flag {
	TRACE_IMSG	= 1 << 0,
	TRACE_IO	= 1 << 1,
	TRACE_SMTP	= 1 << 2,
	TRACE_FILTERS	= 1 << 3,
	TRACE_TRANSFER	= 1 << 4,
	TRACE_BOUNCE	= 1 << 5,
	TRACE_SCHEDULER	= 1 << 6,
	TRACE_LOOKUP	= 1 << 7,
	TRACE_STAT	= 1 << 8,
	TRACE_RULES	= 1 << 9,
	TRACE_MPROC	= 1 << 10,
	TRACE_EXPAND	= 1 << 11,
	TRACE_TABLES	= 1 << 12,
	TRACE_QUEUE	= 1 << 13,
};

/*
 * Profiling switches (smtpctl profile/unprofile): PROFILE_IMSG, each IPC
 * handler's duration (lib/ipc.c); PROFILE_QUEUE, each queue worker job's
 * (queue/workers.c). Lines "profile imsg ..." / "profile queue ...".
 */
enum profile_flag {
	PROFILE_IMSG	= 1 << 0,
	PROFILE_QUEUE	= 1 << 1,
};

void	log_init(const char *progname, int foreground, int verbose);
void	log_setrole(const char *role);
const char *log_role(void);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_settrace(int mask);
int	log_gettrace(void);
void	log_setprofile(int mask);
int	log_getprofile(void);
int	log_trace_parse(const char *list, int *mask);
const char *log_trace_names(void);

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif

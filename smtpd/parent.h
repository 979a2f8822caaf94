/*
 * parent.h: the privileged parent process: starts and supervises roles.
 */
#ifndef SMTPD_PARENT_H
#define SMTPD_PARENT_H

#include "smtpd/config.h"

#define PARENT_TRACE_MAX	8

struct parent_opts {
	const char	*conffile;
	char		**defines;		/* NULL-terminated "NAME=value" */
	int		 foreground;
	int		 verbose;
	int		 trace;
	const char	*tracelist[PARENT_TRACE_MAX];
	int		 ntrace;
	int		 paused;		/* CONFIG_PAUSE_*: -P */
};

void	parent_main(struct parent_opts *, struct config *, const char *argv0)
	    __attribute__((noreturn));

#endif

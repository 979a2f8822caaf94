/*
 * smtp_limits.h: session-count limits of the smtp role, in total and per
 * client address (protocol.md A.2: 421 4.7.0 on excess), and the idle
 * timeout.
 */
#ifndef SMTPD_SMTP_LIMITS_H
#define SMTPD_SMTP_LIMITS_H

#include "smtpd/config.h"

struct smtp_limits {
	unsigned int	max_sessions;
	unsigned int	max_per_client;
	double		timeout;	/* seconds */
	unsigned int	nsessions;
};

extern struct smtp_limits smtp_limits;

void		 smtp_limits_init(const struct config *);
const char	*smtp_limits_admit(const char *);
void		 smtp_limits_release(const char *);

#endif

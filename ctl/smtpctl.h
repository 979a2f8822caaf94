/*
 * smtpctl.h: the smtpctl and mailq personalities (spec/ctl.md sections 1
 * to 8), dispatched by ctl/main.c.
 */
#ifndef CTL_SMTPCTL_H
#define CTL_SMTPCTL_H

int	smtpctl_main(int, char *[]);
int	smtpctl_mailq(void);

#endif

/*
 * listen.h: opening the daemon's sockets in the parent (it may bind
 * privileged ports); the descriptors are then passed to the roles.
 */
#ifndef SMTPD_LISTEN_H
#define SMTPD_LISTEN_H

#include "smtpd/config.h"

#define LISTEN_BACKLOG	SOMAXCONN

int	listen_open(const struct listener *);
int	listen_control_open(const char *path);
void	listen_unlink(const struct config *);
const char *listen_describe(const struct listener *, char *, size_t);

#endif

/*
 * smtp.h: the smtp role's listeners and the session entry point.
 */
#ifndef SMTPD_SMTP_H
#define SMTPD_SMTP_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <ev.h>

#include "smtpd/config.h"

struct role;
struct session;

TAILQ_HEAD(session_list, session);

struct smtp_server {
	struct role		*role;
	struct config		*conf;
	struct ev_loop		*loop;
	struct session_list	 sessions;	/* every open session */
	uint64_t		 spool_avail;	/* bytes, from the queue role */
	int			 spool_known;
};

struct smtp_listener {
	struct smtp_server	*server;
	const struct listener	*conf;
	int			 fd;
	ev_io			 io;
};

struct smtp_server *smtp_server_get(void);
void	smtp_session_start(struct smtp_listener *, int fd,
	    const struct sockaddr_storage *, socklen_t);

#endif

/*
 * smtp.h: the smtp role's listeners and the session entry point.
 */
#ifndef SMTPD_SMTP_H
#define SMTPD_SMTP_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <ev.h>

#include "smtpd/config.h"

struct auth_throttle;
struct ctl_request;
struct ipc_msg;
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
	struct auth_throttle	*throttle;	/* failed AUTH, per address */
};

struct smtp_listener {
	struct smtp_server	*server;
	const struct listener	*conf;
	uint32_t		 idx;		/* in conf->listeners (AUTH) */
	int			 fd;
	ev_io			 io;
};

struct smtp_server *smtp_server_get(void);
void	smtp_session_start(struct smtp_listener *, int fd,
	    const struct sockaddr_storage *, socklen_t);

/* smtp_ctl.c: smtpctl commands (IMSG_CTL_REQUEST) and session counters */
int	smtp_ctl_request(struct role *, struct ipc_msg *);
int	smtp_ctl_paused(void);
void	smtp_ctl_pause(int);
void	smtp_ctl_refuse(struct smtp_listener *, int);
void	smtp_ctl_session_open(const struct session *);
void	smtp_ctl_session_close(const struct session *);
/*
 * sendmail's CTL_SMTP_SESSION, routed here by smtp_ctl.c (req->uid is the
 * client's uid, from the control role): answer the control role with one
 * IMSG_CTL_REPLY, reqid, `last` set, the connected session socket
 * attached on CTL_OK (smtpd/ctl_msg.h). Written with the sendmail part.
 */
void	smtp_enqueue_session(struct role *, uint32_t reqid,
	    const struct ctl_request *);

#endif

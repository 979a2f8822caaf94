/*
 * control.h: the control role's state, shared by its three files:
 * control.c (the socket: accept, peer credentials, frames in and out,
 * limits), control_route.c (authorising each request and routing it to
 * the role that owns it, replies and acknowledgements back) and
 * control_stats.c (the show stats counters, show status, monitor).
 * Only the control role's loop thread touches it.
 */
#ifndef SMTPD_CONTROL_H
#define SMTPD_CONTROL_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>

#include "smtpd/ctl_msg.h"
#include "smtpd/proc.h"

#define CONTROL_CLIENTS_MAX	64		/* connected smtpctl at once */
#define CONTROL_FRAME_HDR	4		/* big-endian length */
/* A role streams at most CTL_WINDOW frames ahead, and its last one. */
#define CONTROL_OUT_MAX		((CTL_WINDOW + 2) * \
				    (CONTROL_FRAME_HDR + CTL_FRAME_MAX))
#define CONTROL_IDLE_TIMEOUT	120.0		/* no request, no progress */
#define CONTROL_STATS_MAX	256		/* distinct keys */

struct ipc_msg;
struct role;

/* One reply frame waiting to be written to a client. */
struct control_out {
	struct control_out	*next;
	int			 fd;		/* passed with the first byte */
	int			 ack;		/* IMSG_CTL_ACK once written */
	enum proc_id		 ackto;
	size_t			 len, off;
	uint8_t			 data[];	/* length + stream */
};

struct control_client {
	TAILQ_ENTRY(control_client) entry;
	struct control		*ctl;
	uint32_t		 id;		/* reqid towards the roles */
	int			 fd;
	uid_t			 uid;
	pid_t			 pid;
	ev_io			 rio, wio;
	ev_timer		 timer;
	uint8_t			*in;		/* header + one frame */
	size_t			 inlen;
	struct control_out	*head, **tail;
	size_t			 outbytes;
	int			 busy;		/* a request is outstanding */
	enum ctl_cmd		 cmd;		/* ... this one */
	enum proc_id		 owner;		/* ... answered by */
};
TAILQ_HEAD(control_clients, control_client);

struct control_stat {
	char			 key[CTL_STAT_KEY_MAX + 1];
	int64_t			 value;
};

/* ctl.md 6.3: totals behind the monitor columns that stats cannot give. */
struct control_digest {
	int64_t			 connected, disconnected;
	int64_t			 enqueued, dequeued;
};

struct control {
	struct role		*role;
	int			 fd;		/* the listening socket */
	uid_t			 owner;		/* the daemon's own uid */
	ev_io			 accept_io;
	ev_timer		 accept_timer;	/* after EMFILE */
	struct control_clients	 clients;
	size_t			 nclients;
	uint32_t		 nextid;
	time_t			 started;
	int			 mda_paused;
	int			 mta_paused;
	int			 smtp_paused;
	struct control_stat	*stats;		/* sorted by key */
	size_t			 nstats;
	struct control_digest	 digest;
};

/* control.c */
void	control_client_close(struct control_client *, const char *);
struct control_client *control_client_find(struct control *, uint32_t);
void	control_send(struct control_client *, const uint8_t *, size_t, int,
	    int, enum proc_id);
void	control_reply(struct control_client *, const struct ctl_reply *);
void	control_reply_status(struct control_client *, enum ctl_status,
	    const char *);
void	control_client_done(struct control_client *);

/* control_route.c */
void	control_request(struct control_client *, const uint8_t *, size_t);
int	control_role_reply(struct control *, enum proc_id, struct ipc_msg *);
void	control_role_lost(struct control *, enum proc_id);

/* control_stats.c */
int	control_stats_update(struct control *, const struct ctl_stat *);
void	control_stats_show(struct control *, struct control_client *);
void	control_stats_status(struct control *, struct control_client *);
void	control_stats_monitor(struct control *, struct control_client *);
void	control_stats_human(char *, size_t, int64_t);
void	control_stats_free(struct control *);

#endif

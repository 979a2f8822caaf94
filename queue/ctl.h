/*
 * ctl.h: the queue role's smtpctl commands (smtpd/ctl_msg.h), shared by
 * queue/ctl.c (intake, the commands that change envelopes, pause mda,
 * the hooks the dispatcher calls), queue/ctl_discover.c (discover) and
 * queue/ctl_show.c (show queue, show envelope, show message: streams
 * under the control role's window).
 * Loop thread only, except the worker jobs, which carry copies.
 */
#ifndef QUEUE_CTL_H
#define QUEUE_CTL_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include "smtpd/ctl_msg.h"
#include "smtpd/proc.h"

#define QUEUE_CTL_BATCH		16	/* envelope files per read job */

struct envelope;
struct index_entry;
struct ipc_msg;
struct queue;

/* A request waiting its turn (one command changes envelopes at a time). */
struct qctl_req {
	TAILQ_ENTRY(qctl_req)	 entry;
	uint32_t		 reqid;
	struct ctl_request	 req;
};

/* show queue / envelope / message in progress. */
struct qctl_stream {
	TAILQ_ENTRY(qctl_stream) entry;
	struct queue		*q;
	uint32_t		 reqid;
	enum ctl_cmd		 cmd;
	uint64_t		*evpids;	/* show queue, show envelope */
	size_t			 n, pos;
	uint32_t		 msgid;		/* show message */
	int			 msgfd;		/* opened by the first job */
	uint64_t		 sent;		/* envelopes or bytes */
	unsigned int		 unacked;	/* frames without `last` */
	int			 job;		/* a worker job is out */
	int			 dead;		/* the control role is gone */
};

/* An inflight envelope to remove when its attempt ends. */
struct qctl_mark {
	RB_ENTRY(qctl_mark)	 node;
	uint64_t		 evpid;
};
RB_HEAD(qctl_marks, qctl_mark);

struct qctl {
	struct queue		*q;
	TAILQ_HEAD(, qctl_req)	 fifo;
	int			 busy;		/* a command's job is out */
	TAILQ_HEAD(, qctl_stream) streams;
	struct qctl_marks	 marks;
	int			 mda_paused;
	int			 mta_paused;
};

/* ctl.c: for queue.c and dispatch.c */
void	 queue_ctl_init(struct queue *);
int	 queue_ctl_request(struct queue *, struct ipc_msg *);
int	 queue_ctl_ack(struct queue *, struct ipc_msg *);
void	 queue_ctl_walk_over(struct queue *);
void	 queue_ctl_peer_lost(struct queue *, enum proc_id);
int	 queue_ctl_removing(struct queue *, uint64_t);
void	 queue_ctl_added(struct queue *, uint64_t, int);
int	 queue_ctl_paused(struct queue *, int);
/* ctl.c: for ctl_show.c and ctl_discover.c */
void	 queue_ctl_reply(struct queue *, uint32_t, const struct ctl_reply *);
void	 queue_ctl_status(struct queue *, uint32_t, enum ctl_status,
	    const char *);
void	 queue_ctl_count(struct queue *, uint32_t, uint64_t);
void	 queue_ctl_done(struct queue *);
int	 queue_ctl_read(int, uint64_t, struct envelope *, char *, size_t);
size_t	 queue_ctl_collect(struct queue *, enum ctl_id_kind, uint64_t, int,
	    uint64_t **);

/* ctl_discover.c (one command at a time: busy until it answers) */
void	 queue_ctl_discover(struct queue *, uint32_t,
	    const struct ctl_request *);

/* ctl_show.c */
void	 queue_ctl_show(struct queue *, uint32_t, const struct ctl_request *);
void	 queue_ctl_show_ack(struct queue *, uint32_t);
void	 queue_ctl_show_lost(struct queue *);

#endif

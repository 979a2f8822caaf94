/*
 * role.h: the runtime every role process shares: its channels to the
 * other processes, the event loop, signals, the privilege drop and the
 * READY handshake with the parent. A role supplies a struct role_ops.
 */
#ifndef SMTPD_ROLE_H
#define SMTPD_ROLE_H

#include <ev.h>

#include "lib/ipc.h"
#include "smtpd/config.h"
#include "smtpd/proc.h"

enum role_chroot {
	ROLE_CHROOT_NONE,
	ROLE_CHROOT_EMPTY,	/* PATH_EMPTY */
	ROLE_CHROOT_SPOOL,	/* the queue directory */
};

struct role;

struct role_ops {
	enum proc_id		 id;
	const char		*user;
	enum role_chroot	 chroot;
	const struct ipc_rule	*rules;		/* beyond PING/PONG */
	size_t			 nrules;
	void			(*init)(struct role *);		/* privileged */
	void			(*start)(struct role *);	/* dropped */
	int			(*dispatch)(struct role *, enum proc_id,
				    struct ipc_msg *);
	void			(*peer_lost)(struct role *, enum proc_id);
	void			(*shutdown)(struct role *);
};

struct role {
	const struct role_ops	*ops;
	struct ev_loop		*loop;
	struct config		*conf;
	int			 foreground;
	struct ipc_peer		*peer[PROC_COUNT];
	ev_signal		 sigterm;
	void			*data;		/* the role's own state */
};

void	role_main(enum proc_id, struct config *, int foreground)
	    __attribute__((noreturn));
int	role_send(struct role *, enum proc_id, uint32_t type, uint32_t reqid,
	    int fd, const void *, size_t);
void	role_exit(struct role *, int) __attribute__((noreturn));

struct ctl_reply;
enum ctl_status;
/*
 * An smtpctl reply frame to the control role (IMSG_CTL_REPLY), with an
 * optional descriptor (owned from here, sent or not); -1 if it could not
 * be encoded or sent. role_ctl_status is the one frame that ends a
 * command: a status, a text, `last` set.
 */
int	role_ctl_reply(struct role *, uint32_t reqid, const struct ctl_reply *,
	    int fd);
int	role_ctl_status(struct role *, uint32_t reqid, enum ctl_status,
	    const char *text);

extern const struct role_ops smtp_role_ops;
extern const struct role_ops lookup_role_ops;
extern const struct role_ops queue_role_ops;
extern const struct role_ops relay_role_ops;
extern const struct role_ops control_role_ops;

#endif

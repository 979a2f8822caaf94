/*
 * control.c: the control role. It receives the control socket from the
 * parent (bound as <rundir>/smtpd.sock, mode 0666) and will serve smtpctl
 * on it, authorising each command from the peer's uid (SO_PEERCRED).
 * Unprivileged, chrooted to an empty directory: it needs no file at all.
 */
#include <unistd.h>

#include "lib/log.h"
#include "smtpd/role.h"

struct control {
	int	fd;
};

static struct control control_state = { -1 };

static const struct ipc_rule control_rules[] = {
	{ IMSG_CONTROL_SOCKET, PROC_BIT(PROC_PARENT), 0, 0, IPC_FD_REQUIRED },
};

static int	control_dispatch(struct role *, enum proc_id, struct ipc_msg *);

static int
control_dispatch(struct role *r, enum proc_id from, struct ipc_msg *m)
{
	(void)r;
	(void)from;
	switch (m->type) {
	case IMSG_CONTROL_SOCKET:
		if (control_state.fd != -1) {
			close(m->fd);
			return -1;
		}
		/*
		 * Connections wait in the backlog until the control protocol
		 * serves them; holding the socket keeps a second smtpd from
		 * starting on the same spool.
		 */
		control_state.fd = m->fd;
		log_debug("role=control event=socket fd=%d", m->fd);
		return 0;
	}
	if (m->fd != -1)
		close(m->fd);
	return -1;
}

const struct role_ops control_role_ops = {
	.id = PROC_CONTROL,
	.user = SMTPD_USER,
	.chroot = ROLE_CHROOT_EMPTY,
	.rules = control_rules,
	.nrules = sizeof(control_rules) / sizeof(control_rules[0]),
	.dispatch = control_dispatch,
};

/*
 * ipc.h: framed messages between the daemon's processes over AF_UNIX
 * SOCK_SEQPACKET socketpairs (one frame per datagram, so boundaries and
 * passed descriptors can never drift apart). A frame is a fixed header
 * (type, payload length, request id, protocol version, flags) followed
 * by the payload, plus at most one descriptor (SCM_RIGHTS).
 *
 * Every frame is checked on receipt against the receiver's rule table
 * (known type, allowed sender, payload bounds, descriptor presence). A
 * frame that fails closes that peer only; it never aborts the receiver.
 */
#ifndef LIB_IPC_H
#define LIB_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "lib/buf.h"

#define IPC_VERSION		1
#define IPC_MAX_PAYLOAD		(64 * 1024)

struct ipc_hdr {
	uint32_t	type;
	uint32_t	len;		/* payload bytes after the header */
	uint32_t	reqid;
	uint16_t	version;
	uint16_t	flags;
};

#define IPC_HDR_SIZE		((size_t)sizeof(struct ipc_hdr))
#define IPC_F_FD		0x0001	/* a descriptor rides with the frame */

enum ipc_fd_rule {
	IPC_FD_NONE,
	IPC_FD_REQUIRED,
	IPC_FD_OPTIONAL,
};

/* One accepted message type. `peers` is a bit mask of sender ids. */
struct ipc_rule {
	uint32_t	 type;
	uint32_t	 peers;
	uint32_t	 min_len;
	uint32_t	 max_len;
	enum ipc_fd_rule fd;
};

struct ipc_msg {
	uint32_t	 type;
	uint32_t	 reqid;
	int		 fd;		/* -1 if none; the handler owns it */
	const uint8_t	*data;
	size_t		 len;
};

struct ipc_peer;

/* Return -1 if the payload is malformed: the peer is then closed. */
typedef int	(*ipc_handler)(struct ipc_peer *, struct ipc_msg *, void *);
/* Called once when the peer is closed (EOF, error or malformed frame). */
typedef void	(*ipc_closed)(struct ipc_peer *, void *);

struct ipc_peer	*ipc_peer_new(struct ev_loop *, int fd, int peer_id,
		    const char *name, const struct ipc_rule *, size_t nrules,
		    ipc_handler, ipc_closed, void *arg);
void		 ipc_peer_free(struct ipc_peer *);
int		 ipc_peer_id(const struct ipc_peer *);
const char	*ipc_peer_name(const struct ipc_peer *);
int		 ipc_send(struct ipc_peer *, uint32_t type, uint32_t reqid,
		    int fd, const void *data, size_t len);
size_t		 ipc_pending(const struct ipc_peer *);
/*
 * Names of message types for `profile imsg` lines (lib/log.h
 * PROFILE_IMSG): a function returning NULL for an unnamed type. Set once
 * per process; without it the number is logged.
 */
void		 ipc_set_typename(const char *(*)(uint32_t));

/* Frame checks, exposed for unit tests: NULL if valid, else the reason. */
const char	*ipc_check_frame(const struct ipc_rule *, size_t nrules,
		    int peer_id, const struct ipc_hdr *, size_t payload_len,
		    int has_fd);

#endif

/*
 * client.h: smtpctl's side of the control socket (smtpd/ctl_msg.h):
 * where the socket and the spool are (spec/ctl.md section 1), connecting,
 * sending a request frame and reading reply frames. Used by the smtpctl
 * commands, monitor and any personality that talks to the daemon.
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "smtpd/config.h"
#include "smtpd/ctl_msg.h"

#define CLIENT_TIMEOUT_MS	30000	/* wait for one reply frame */
#define CLIENT_FRAME_HDR	4	/* big-endian length */

/* What smtpctl needs from the configuration. */
struct client_conf {
	char	path[CONFIG_PATH_MAX];		/* the file read, or "" */
	char	socket[CONFIG_PATH_MAX];	/* control socket */
	char	spool[CONFIG_PATH_MAX];		/* queue directory */
};

struct client {
	int	 fd;
	uint8_t	*frame;		/* the last reply frame; reply.data
				 * points into it until the next read */
	size_t	 framecap;
	int	 timeout_ms;
};

enum client_result {
	CLIENT_OK = 0,
	CLIENT_DOWN,		/* nobody listening: not running */
	CLIENT_ERROR,		/* errno set, or a bad frame */
	CLIENT_TIMEOUT,
	CLIENT_EOF,		/* the daemon closed the connection */
};

int	client_conf_load(const char *, const char *, struct client_conf *);
enum client_result client_connect(struct client *, const char *);
enum client_result client_send(struct client *, const struct ctl_request *);
enum client_result client_recv(struct client *, struct ctl_reply *, int *);
enum client_result client_text(struct client *, const struct ctl_request *,
	    struct buf *, struct ctl_reply *);
void	client_close(struct client *);
const char *client_strerror(enum client_result);

#endif

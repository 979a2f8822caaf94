/*
 * smtp_enqueue.c: local submission sessions for sendmail (spec/ctl.md
 * section 9). On CTL_SMTP_SESSION, routed here by smtp_ctl.c, the smtp
 * role makes a socketpair, starts an ordinary SMTP session on one end as
 * a session of the `listen on socket` listener (family local, matched by
 * `from local` and `from socket`, Received "from ... (localhost)", the
 * envelopes' sockaddr "local"), with the submitter's uid from the
 * control role recorded for the logs, and hands the other end to the
 * control role, which passes it to sendmail (IMSG_CTL_REPLY with the
 * descriptor). Never opens a file: the session is the same engine as for
 * any client, with the same limits and checks.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/role.h"
#include "smtpd/session.h"
#include "smtpd/smtp.h"

static struct smtp_listener enqueue_listener;

static void	enqueue_reply(struct role *, uint32_t, enum ctl_status,
		    const char *, int);

/* The one reply; fd (the client's end) travels with a CTL_OK. */
static void
enqueue_reply(struct role *r, uint32_t reqid, enum ctl_status status,
    const char *text, int fd)
{
	struct ctl_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = status;
	rep.last = 1;
	ctl_reply_text(&rep, "%s", text);
	/* role_ctl_reply owns fd from here, sent or not. */
	(void)role_ctl_reply(r, reqid, &rep, fd);
}

void
smtp_enqueue_session(struct role *r, uint32_t reqid,
    const struct ctl_request *req)
{
	struct smtp_server *srv = smtp_server_get();
	struct sockaddr_storage ss;
	struct session *s;
	int sv[2], flags;

	if (srv->role == NULL || r->conf->enqueue == NULL) {
		enqueue_reply(r, reqid, CTL_FAIL, "smtp is not ready", -1);
		return;
	}
	if (smtp_ctl_paused()) {
		log_info("smtp event=enqueue-refused uid=%u reason=paused",
		    (unsigned int)req->uid);
		enqueue_reply(r, reqid, CTL_FAIL, "smtp is paused", -1);
		return;
	}
	/* Our end non-blocking like any session; sendmail's end blocking. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("smtp event=enqueue socketpair");
		enqueue_reply(r, reqid, CTL_FAIL, strerror(errno), -1);
		return;
	}
	if ((flags = fcntl(sv[0], F_GETFL)) == -1 ||
	    fcntl(sv[0], F_SETFL, flags | O_NONBLOCK) == -1) {
		log_warn("smtp event=enqueue fcntl");
		close(sv[0]);
		close(sv[1]);
		enqueue_reply(r, reqid, CTL_FAIL, "internal error", -1);
		return;
	}
	if (enqueue_listener.server == NULL) {
		enqueue_listener.server = srv;
		enqueue_listener.conf = r->conf->enqueue;
		enqueue_listener.fd = -1;
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	s = session_new(&enqueue_listener, sv[0], &ss, sizeof(ss));
	s->enqueue = 1;
	s->uid = (uid_t)req->uid;
	/* The greeting waits in the socket for sendmail. */
	session_begin(s);
	enqueue_reply(r, reqid, CTL_OK, "", sv[1]);
}

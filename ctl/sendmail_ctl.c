/*
 * sendmail_ctl.c: sendmail's one control request (smtpd/ctl_msg.h):
 * CTL_SMTP_SESSION over the control socket, answered by a frame carrying a
 * socket already connected to a local SMTP session of smtpd (family
 * local, the caller's uid known to smtpd through SO_PEERCRED). The frames
 * are ctl/client.c's. Called by sendmail.c and sendmail_offline.c. Never
 * waits without a bound (the client's reply timeout).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/sendmail.h"

/*
 * The session socket in *fd: SM_EX_OK; SM_OFFLINE if smtpd is not
 * running; otherwise an exit status, with the reason on stderr.
 */
int
sm_ctl_session(const char *sockpath, int *fd)
{
	struct client cl;
	struct ctl_request req;
	struct ctl_reply rep;
	enum client_result r;
	int passed = -1;

	*fd = -1;
	if ((r = client_connect(&cl, sockpath)) == CLIENT_DOWN)
		return SM_OFFLINE;
	if (r != CLIENT_OK) {
		fprintf(stderr, "sendmail: %s: %s\n", sockpath,
		    client_strerror(r));
		return SM_EX_TEMPFAIL;
	}
	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.cmd = CTL_SMTP_SESSION;
	req.idkind = CTL_ID_NONE;
	if ((r = client_send(&cl, &req)) != CLIENT_OK ||
	    (r = client_recv(&cl, &rep, &passed)) != CLIENT_OK) {
		fprintf(stderr, "sendmail: control socket %s: %s\n", sockpath,
		    client_strerror(r));
		client_close(&cl);
		return SM_EX_TEMPFAIL;
	}
	client_close(&cl);
	if (rep.status != CTL_OK || passed == -1) {
		if (passed != -1)
			close(passed);
		fprintf(stderr, "sendmail: server disallowed submission "
		    "request%s%s\n", rep.text[0] ? ": " : "", rep.text);
		return SM_EX_TEMPFAIL;
	}
	*fd = passed;
	return SM_EX_OK;
}

/*
 * control_route.c: what the control role does with one request frame
 * from a client (control.c) and with the roles' replies. The request is
 * decoded (malformed: the client is closed), its protocol version
 * checked, authorised from the client's SO_PEERCRED uid
 * (ctl_cmd_needs_root(): root or the daemon's own uid), then answered
 * here (show stats, show status, monitor) or forwarded to the role that owns the command as
 * IMSG_CTL_REQUEST, reqid = the client's id, the client's uid filled in.
 * Replies (IMSG_CTL_REPLY) are decoded to check them, then relayed as
 * they are, with their descriptor; a reply for a client that is gone is
 * dropped and, if the stream goes on, acknowledged at once.
 * Roles trust what comes from here: no request reaches them that did not
 * pass the checks.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtpd/control.h"
#include "smtpd/role.h"

static enum proc_id control_owner(enum ctl_cmd);

/* Who answers a command; PROC_COUNT: nobody (not built). */
static enum proc_id
control_owner(enum ctl_cmd cmd)
{
	switch (cmd) {
	case CTL_SHOW_QUEUE:
	case CTL_SHOW_ENVELOPE:
	case CTL_SHOW_MESSAGE:
	case CTL_PAUSE_ENVELOPE:
	case CTL_RESUME_ENVELOPE:
	case CTL_SCHEDULE:
	case CTL_REMOVE:
	case CTL_PAUSE_MDA:
	case CTL_RESUME_MDA:
	case CTL_PAUSE_MTA:
	case CTL_RESUME_MTA:
	case CTL_DISCOVER:
		return PROC_QUEUE;
	case CTL_PAUSE_SMTP:
	case CTL_RESUME_SMTP:
	case CTL_SMTP_SESSION:
		return PROC_SMTP;
	case CTL_UPDATE_TABLE:
		return PROC_LOOKUP;
	case CTL_LOG_VERBOSE:
	case CTL_LOG_BRIEF:
	case CTL_TRACE:
	case CTL_UNTRACE:
	case CTL_PROFILE:
	case CTL_UNPROFILE:
		return PROC_PARENT;
	case CTL_SHOW_STATS:
	case CTL_SHOW_STATUS:
	case CTL_MONITOR:
		return PROC_CONTROL;
	case CTL_SHOW_HOSTS:
	case CTL_SHOW_HOSTSTATS:
	case CTL_SHOW_RELAYS:
	case CTL_SHOW_ROUTES:
	case CTL_RESUME_ROUTE:
		return PROC_RELAY;
	}
	return PROC_COUNT;
}

void
control_request(struct control_client *c, const uint8_t *buf, size_t len)
{
	struct control *ctl = c->ctl;
	struct ctl_request req;
	enum proc_id owner;
	uint8_t *out;
	size_t outlen;
	char text[CTL_TEXT_MAX + 1];

	if (ctl_request_decode(buf, len, &req) == -1) {
		control_client_close(c, "malformed request");
		return;
	}
	c->busy = 1;
	c->cmd = req.cmd;
	if (req.version != CTL_PROTO_VERSION) {
		control_reply_status(c, CTL_FAIL, "protocol version mismatch");
		return;
	}
	if (ctl_cmd_needs_root(req.cmd) && c->uid != 0 && c->uid != ctl->owner) {
		log_warnx("control event=denied client=%u uid=%u pid=%d "
		    "command=\"%s\"", c->id, (unsigned int)c->uid, (int)c->pid,
		    ctl_cmd_name(req.cmd));
		control_reply_status(c, CTL_DENIED, "permission denied");
		return;
	}
	owner = control_owner(req.cmd);
	c->owner = owner;
	if (ctl_cmd_needs_root(req.cmd))
		log_info("control event=command client=%u uid=%u "
		    "command=\"%s\" id=%016llx arg=\"%s\"", c->id,
		    (unsigned int)c->uid, ctl_cmd_name(req.cmd),
		    (unsigned long long)req.id, req.arg);
	else
		log_debug("control event=command client=%u uid=%u "
		    "command=\"%s\"", c->id, (unsigned int)c->uid,
		    ctl_cmd_name(req.cmd));
	switch (owner) {
	case PROC_CONTROL:
		if (req.cmd == CTL_SHOW_STATS)
			control_stats_show(ctl, c);
		else if (req.cmd == CTL_SHOW_STATUS)
			control_stats_status(ctl, c);
		else
			control_stats_monitor(ctl, c);
		return;
	case PROC_COUNT:
		control_reply_status(c, CTL_UNAVAILABLE,
		    "not available: no process answers this command");
		return;
	default:
		break;
	}
	req.uid = (uint32_t)c->uid;
	if (ctl_request_encode(&req, &out, &outlen) == -1)
		fatalx("control: cannot encode a decoded request");
	if (role_send(ctl->role, owner, IMSG_CTL_REQUEST, c->id, -1, out,
	    outlen) == -1) {
		snprintf(text, sizeof(text), "the %s process is not running",
		    proc_name(owner));
		control_reply_status(c, CTL_FAIL, text);
	}
	free(out);
}

/* IMSG_CTL_REPLY from a role; -1 (the role is closed) if malformed. */
int
control_role_reply(struct control *ctl, enum proc_id from, struct ipc_msg *m)
{
	struct control_client *c;
	struct ctl_reply rep;

	if (ctl_reply_decode(m->data, m->len, &rep) == -1) {
		log_warnx("control event=reply peer=%s error=\"malformed "
		    "reply\"", proc_name(from));
		if (m->fd != -1)
			close(m->fd);
		return -1;
	}
	c = control_client_find(ctl, m->reqid);
	if (c == NULL || !c->busy || c->owner != from) {
		/* the client went away: let the rest of the stream come */
		if (m->fd != -1)
			close(m->fd);
		if (!rep.last)
			role_send(ctl->role, from, IMSG_CTL_ACK, m->reqid, -1,
			    NULL, 0);
		return 0;
	}
	if (m->fd != -1 && (c->cmd != CTL_SMTP_SESSION || !rep.last ||
	    rep.status != CTL_OK)) {
		log_warnx("control event=reply peer=%s error=\"unexpected "
		    "descriptor\"", proc_name(from));
		close(m->fd);
		m->fd = -1;
	}
	if (rep.last) {
		c->busy = 0;
		if (rep.status == CTL_OK) {
			if (c->cmd == CTL_PAUSE_MDA || c->cmd == CTL_RESUME_MDA)
				ctl->mda_paused = c->cmd == CTL_PAUSE_MDA;
			if (c->cmd == CTL_PAUSE_MTA || c->cmd == CTL_RESUME_MTA)
				ctl->mta_paused = c->cmd == CTL_PAUSE_MTA;
			if (c->cmd == CTL_PAUSE_SMTP ||
			    c->cmd == CTL_RESUME_SMTP)
				ctl->smtp_paused = c->cmd == CTL_PAUSE_SMTP;
		}
	}
	/* may close c */
	control_send(c, m->data, m->len, m->fd, !rep.last, from);
	m->fd = -1;
	return 0;
}

/* A role is gone: whoever waits on it gets an answer now. */
void
control_role_lost(struct control *ctl, enum proc_id id)
{
	struct control_client *c, *next;
	char text[CTL_TEXT_MAX + 1];

	snprintf(text, sizeof(text), "the %s process is gone", proc_name(id));
	TAILQ_FOREACH_SAFE(c, &ctl->clients, entry, next)
		if (c->busy && c->owner == id)
			control_reply_status(c, CTL_FAIL, text);
}

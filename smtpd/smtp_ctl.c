/*
 * smtp_ctl.c: the smtp role's smtpctl commands (IMSG_CTL_REQUEST from the
 * control role) and its show stats counters. pause smtp / resume smtp
 * (ctl.md 7): while paused, sessions already open go on, and a
 * connection on any listener (SMTP and LMTP) is accepted only to be
 * told `421 4.3.2 NAME Service not available, closing channel` and
 * closed, instead of waiting in the backlog. CTL_SMTP_SESSION (sendmail)
 * goes to smtp_enqueue_session() (smtp.h). Counters: smtp.session and
 * lmtp.session with their .local/.inet4/.inet6 variants, up while a
 * session is open.
 * The request was authorised by the control role; it is decoded again
 * and a malformed one closes that channel (-1).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/ctl_stat.h"
#include "smtpd/role.h"
#include "smtpd/session.h"
#include "smtpd/smtp.h"

static int	smtp_paused;

static const char *smtp_ctl_family(const struct session *);

int
smtp_ctl_request(struct role *r, struct ipc_msg *m)
{
	struct ctl_request req;

	if (ctl_request_decode(m->data, m->len, &req) == -1) {
		log_warnx("smtp event=control error=\"malformed request\"");
		return -1;
	}
	switch (req.cmd) {
	case CTL_PAUSE_SMTP:
	case CTL_RESUME_SMTP:
		smtp_paused = req.cmd == CTL_PAUSE_SMTP;
		log_info("smtp event=%s uid=%u", smtp_paused ? "paused" :
		    "resumed", req.uid);
		role_ctl_status(r, m->reqid, CTL_OK, "");
		return 0;
	case CTL_SMTP_SESSION:
		smtp_enqueue_session(r, m->reqid, &req);
		return 0;
	default:
		role_ctl_status(r, m->reqid, CTL_FAIL,
		    "not a command of the smtp process");
		return 0;
	}
}

int
smtp_ctl_paused(void)
{
	return smtp_paused;
}

/* smtpd -P smtp: paused from the start. */
void
smtp_ctl_pause(int on)
{
	smtp_paused = on;
}

/* A connection while paused: told so, never read. */
void
smtp_ctl_refuse(struct smtp_listener *sl, int fd)
{
	const char *name = sl->conf->hostname[0] ? sl->conf->hostname :
	    sl->server->conf->hostname;
	char line[CONFIG_HOSTNAME_MAX + 64];
	int n;

	n = snprintf(line, sizeof(line), "421 4.3.2 %s Service not available, "
	    "closing channel\r\n", name);
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(fd, line, (size_t)n) == -1)
		log_debug("smtp event=refused error=write");
	log_debug("smtp event=refused reason=paused listener=%s", name);
	close(fd);
}

static const char *
smtp_ctl_family(const struct session *s)
{
	switch (s->ss.ss_family) {
	case AF_INET:
		return "inet4";
	case AF_INET6:
		return "inet6";
	default:
		return "local";
	}
}

void
smtp_ctl_session_open(const struct session *s)
{
	const char *proto = s->lmtp ? "lmtp" : "smtp";
	char key[CTL_STAT_KEY_MAX + 1];

	snprintf(key, sizeof(key), "%s.session", proto);
	ctl_stat_increment(key, 1);
	snprintf(key, sizeof(key), "%s.session.%s", proto, smtp_ctl_family(s));
	ctl_stat_increment(key, 1);
}

void
smtp_ctl_session_close(const struct session *s)
{
	const char *proto = s->lmtp ? "lmtp" : "smtp";
	char key[CTL_STAT_KEY_MAX + 1];

	snprintf(key, sizeof(key), "%s.session", proto);
	ctl_stat_decrement(key, 1);
	snprintf(key, sizeof(key), "%s.session.%s", proto, smtp_ctl_family(s));
	ctl_stat_decrement(key, 1);
}

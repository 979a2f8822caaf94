/*
 * parent_ctl.c: `smtpctl log verbose|brief`, `trace|untrace WORD` and
 * `profile|unprofile WORD` in the parent (IMSG_CTL_REQUEST from the
 * control role). The parent owns the daemon-wide log settings (verbose,
 * trace and profile masks): it applies the new state to itself, then
 * sends the whole state (struct ctl_log, IMSG_CTL_LOG) to every role,
 * which applies it in role.c, and answers the control role.
 * The request was authorised by the control role; it is decoded again
 * here and a malformed one closes that channel (-1).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/parent_ctl.h"

static void	parent_ctl_reply(struct ipc_peer *, uint32_t, enum ctl_status,
		    const char *);

static void
parent_ctl_reply(struct ipc_peer *control, uint32_t reqid,
    enum ctl_status status, const char *text)
{
	struct ctl_reply rep;
	uint8_t *buf;
	size_t len;

	if (control == NULL)
		return;
	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = status;
	rep.last = 1;
	ctl_reply_text(&rep, "%s", text);
	if (ctl_reply_encode(&rep, &buf, &len) == -1)
		fatalx("parent: cannot encode a control reply");
	ipc_send(control, IMSG_CTL_REPLY, reqid, -1, buf, len);
	free(buf);
}

int
parent_ctl_request(struct ipc_peer *peer[PROC_COUNT], struct ipc_msg *m)
{
	struct ctl_request req;
	struct ctl_log cl;
	int verbose = log_getverbose(), trace = log_gettrace(), bits = 0, p;
	int profile = log_getprofile();

	if (ctl_request_decode(m->data, m->len, &req) == -1) {
		log_warnx("parent event=control error=\"malformed request\"");
		return -1;
	}
	switch (req.cmd) {
	case CTL_LOG_VERBOSE:
		verbose = verbose > 0 ? verbose : 1;
		break;
	case CTL_LOG_BRIEF:
		verbose = 0;
		break;
	case CTL_TRACE:
	case CTL_UNTRACE:
		if (ctl_trace_word(req.arg, &bits) == -1) {
			parent_ctl_reply(peer[PROC_CONTROL], m->reqid, CTL_FAIL,
			    "invalid trace keyword");
			return 0;
		}
		if (req.cmd == CTL_TRACE)
			trace |= bits;
		else
			trace &= ~bits;
		break;
	case CTL_PROFILE:
	case CTL_UNPROFILE:
		if (ctl_profile_word(req.arg, &bits) == -1) {
			parent_ctl_reply(peer[PROC_CONTROL], m->reqid, CTL_FAIL,
			    "invalid profile keyword");
			return 0;
		}
		if (req.cmd == CTL_PROFILE)
			profile |= bits;
		else
			profile &= ~bits;
		break;
	default:
		parent_ctl_reply(peer[PROC_CONTROL], m->reqid, CTL_FAIL,
		    "not a command of the parent");
		return 0;
	}
	log_setverbose(verbose);
	log_settrace(trace);
	log_setprofile(profile);
	log_info("parent event=control command=\"%s%s%s\" uid=%u verbose=%d "
	    "trace=0x%x profile=0x%x", ctl_cmd_name(req.cmd),
	    req.arg[0] ? " " : "", req.arg, req.uid, verbose,
	    (unsigned int)trace, (unsigned int)profile);
	memset(&cl, 0, sizeof(cl));
	cl.verbose = (uint32_t)verbose;
	cl.trace = (uint32_t)trace;
	cl.profile = (uint32_t)profile;
	for (p = PROC_PARENT + 1; p < PROC_COUNT; p++)
		if (peer[p] != NULL)
			ipc_send(peer[p], IMSG_CTL_LOG, 0, -1, &cl, sizeof(cl));
	parent_ctl_reply(peer[PROC_CONTROL], m->reqid, CTL_OK, "");
	return 0;
}

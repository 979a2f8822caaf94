/*
 * lookup_ctl.c: `smtpctl update table NAME` in the lookup role
 * (IMSG_CTL_REQUEST from the control role; tables.md 10.3). The named
 * table is loaded again (file: re-parsed, db: reopened) by
 * tableset_update(); its new contents replace the old only if they load
 * and pass the checks, so a broken rebuild leaves the old table serving.
 * Answers CTL_OK, or CTL_FAIL with the reason: "no such table" or the
 * load error ("FILE:LINE: message").
 * The request was authorised by the control role; it is decoded again
 * and a malformed one closes that channel (-1).
 */
#include <stdlib.h>
#include <string.h>

#include "aliases/lookup_ctl.h"
#include "aliases/table.h"
#include "lib/log.h"
#include "smtpd/ctl_msg.h"
#include "smtpd/role.h"

int
lookup_ctl_request(struct role *r, struct tableset *ts, struct ipc_msg *m)
{
	struct ctl_request req;
	struct ctl_reply rep;
	char err[TABLE_ERR_MAX];

	if (ctl_request_decode(m->data, m->len, &req) == -1) {
		log_warnx("lookup event=control error=\"malformed request\"");
		return -1;
	}
	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.last = 1;
	if (req.cmd != CTL_UPDATE_TABLE) {
		rep.status = CTL_FAIL;
		ctl_reply_text(&rep, "not a command of the lookup process");
	} else if (tableset_update(ts, req.arg, err, sizeof(err)) == -1) {
		log_warnx("lookup event=update-table table=%s uid=%u "
		    "result=TempFail error=\"%s\"", req.arg, req.uid, err);
		rep.status = CTL_FAIL;
		ctl_reply_text(&rep, "%s", err);
	} else {
		log_info("lookup event=update-table table=%s uid=%u result=Ok",
		    req.arg, req.uid);
		rep.status = CTL_OK;
	}
	(void)role_ctl_reply(r, m->reqid, &rep, -1);
	return 0;
}

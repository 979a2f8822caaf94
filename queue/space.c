/*
 * space.c: tells the smtp role how much room the spool has, at start and
 * every QUEUE_SPACE_INTERVAL seconds, so MAIL FROM ... SIZE= can be
 * answered 452 4.3.1 before a byte is written (RFC 1870 §6) - the smtp
 * role is chrooted away from the spool and cannot look itself.
 * fstatvfs on the spool descriptor is cheap and never blocks on I/O.
 */
#include <sys/statvfs.h>

#include <string.h>

#include "lib/log.h"
#include "queue/queue.h"
#include "queue/queue_msg.h"
#include "smtpd/role.h"

static void	space_report(struct queue *);
static void	space_timer_cb(struct ev_loop *, ev_timer *, int);

static void
space_report(struct queue *q)
{
	struct queue_space sp;
	struct statvfs sv;

	memset(&sp, 0, sizeof(sp));
	if (fstatvfs(q->spoolfd, &sv) == -1) {
		log_warn("queue event=statvfs");
		return;
	}
	sp.avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	role_send(q->role, PROC_SMTP, IMSG_QUEUE_SPACE, 0, -1, &sp, sizeof(sp));
}

static void
space_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	space_report(w->data);
}

void
queue_space_start(struct queue *q)
{
	ev_timer_init(&q->space_timer, space_timer_cb, QUEUE_SPACE_INTERVAL,
	    QUEUE_SPACE_INTERVAL);
	q->space_timer.data = q;
	ev_timer_start(q->role->loop, &q->space_timer);
	space_report(q);
}

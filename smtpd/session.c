/*
 * session.c: one client connection of the smtp role. For now it sends the
 * greeting and closes on QUIT; the full session engine (commands, checks,
 * data, replies) replaces this with the ingress work.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/version.h"
#include "smtpd/smtp.h"

void
smtp_session_start(struct smtp_listener *sl, int fd,
    const struct sockaddr_storage *ss, socklen_t sslen)
{
	char line[CONFIG_HOSTNAME_MAX + 64];
	const char *name;
	int n;

	(void)ss;
	(void)sslen;
	name = sl->conf->hostname[0] ? sl->conf->hostname :
	    sl->server->conf->hostname;
	n = snprintf(line, sizeof(line), "220 %s %s %s\r\n", name,
	    (sl->conf->flags & LISTENER_LMTP) ? "LMTP" : "ESMTP",
	    SMTPD_PRODUCT);
	if (n > 0 && (size_t)n < sizeof(line) && write(fd, line, n) != n)
		log_debug("greeting not sent");
	close(fd);
}

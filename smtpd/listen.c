/*
 * listen.c: binds the TCP and UNIX-domain listeners and the control
 * socket. Called by the parent before the roles start; fatal on failure,
 * since a daemon that cannot listen where it was told to must not pretend
 * to run. A control socket that still answers means another smtpd runs.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/priv.h"
#include "smtpd/listen.h"

static int	listen_unix(const char *path, mode_t mode);
static int	listen_unix_stale(const char *path);
static void	listen_unix_owner(const struct listener *);

const char *
listen_describe(const struct listener *l, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	switch (l->kind) {
	case LISTENER_UNIX:
		snprintf(buf, len, "%s", l->path);
		break;
	case LISTENER_ENQUEUE:
		snprintf(buf, len, "socket");
		break;
	case LISTENER_INET:
		if (l->ss.ss_family == AF_INET6) {
			sin6 = (const struct sockaddr_in6 *)&l->ss;
			inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
			snprintf(buf, len, "[%s]:%d", addr,
			    ntohs(sin6->sin6_port));
		} else {
			sin = (const struct sockaddr_in *)&l->ss;
			inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
			snprintf(buf, len, "%s:%d", addr, ntohs(sin->sin_port));
		}
		break;
	}
	return buf;
}

int
listen_open(const struct listener *l)
{
	char desc[CONFIG_PATH_MAX + 16];
	int fd, on = 1;

	listen_describe(l, desc, sizeof(desc));
	if (l->kind == LISTENER_UNIX) {
		fd = listen_unix(l->path, l->mode ? l->mode : 0660);
		listen_unix_owner(l);
		return fd;
	}
	fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket for %s", desc);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		fatal("SO_REUSEADDR on %s", desc);
	if (l->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		fatal("IPV6_V6ONLY on %s", desc);
	if (bind(fd, (const struct sockaddr *)&l->ss, l->sslen) == -1)
		fatal("cannot listen on %s", desc);
	if (listen(fd, LISTEN_BACKLOG) == -1)
		fatal("listen on %s", desc);
	log_debug("listen=%s event=bound", desc);
	return fd;
}

/* 1 if something answers on the socket path, 0 if it is free to take. */
static int
listen_unix_stale(const char *path)
{
	struct sockaddr_un sun;
	int fd, live;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return live;
}

static int
listen_unix(const char *path, mode_t mode)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatalx("%s exists and is not a socket", path);
		if (listen_unix_stale(path))
			fatalx("%s is in use: is another smtpd running?", path);
		if (unlink(path) == -1)
			fatal("unlink %s", path);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("cannot listen on %s", path);
	umask(old);
	if (chmod(path, mode) == -1)
		fatal("chmod %s", path);
	if (listen(fd, LISTEN_BACKLOG) == -1)
		fatal("listen on %s", path);
	log_debug("listen=%s event=bound mode=%04o", path, (unsigned)mode);
	return fd;
}

/* owner and group of an LMTP socket: only meaningful when started as root. */
static void
listen_unix_owner(const struct listener *l)
{
	struct passwd *pw;
	struct group *gr;
	struct priv_user pu;
	uid_t uid = 0;
	gid_t gid;

	if (!priv_is_root()) {
		log_debug("listen=%s chown=skipped reason=unprivileged", l->path);
		return;
	}
	if (l->owner[0]) {
		if ((pw = getpwnam(l->owner)) == NULL)
			fatalx("%s: unknown user %s", l->path, l->owner);
		uid = pw->pw_uid;
	}
	if (l->group[0]) {
		if ((gr = getgrnam(l->group)) == NULL)
			fatalx("%s: unknown group %s", l->path, l->group);
		gid = gr->gr_gid;
	} else if (priv_lookup(SMTPD_USER, &pu) == 0)
		gid = pu.gid;
	else
		gid = 0;
	if (chown(l->path, uid, gid) == -1)
		fatal("chown %s", l->path);
}

int
listen_control_open(const char *path)
{
	return listen_unix(path, 0666);
}

void
listen_unlink(const struct config *conf)
{
	const struct listener *l;

	unlink(conf->control_socket);
	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (l->kind == LISTENER_UNIX)
			unlink(l->path);
}

/*
 * config.c: the struct config life cycle: defaults (spec/config.md
 * section 9), the server name, lookups by name and config_free(). Used by
 * the parser (parse*.c) and by every role that holds a config. It reads
 * /etc/mail/mailname and may call getaddrinfo(3) for the host name, never
 * with CONFIG_NORESOLVE; it never fails on bad input.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

#ifndef SPOOLDIR
#define SPOOLDIR		"/var/spool/smtpd"
#endif
#ifndef RUNDIR
#define RUNDIR			"/var/run"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR		"/etc/mail"
#endif

#define CONFIG_MAILNAME		SYSCONFDIR "/mailname"
#define CONFIG_CONTROL_SOCKET	RUNDIR "/smtpd.sock"
#define CONFIG_MAX_MESSAGE_SIZE	(35ULL * 1024 * 1024)
#define CONFIG_MAX_MAILS	100
#define CONFIG_MAX_RCPT		1000
#define CONFIG_MAX_SESSIONS	1000
#define CONFIG_MAX_PER_CLIENT	100
#define CONFIG_SMTP_TIMEOUT	300
#define CONFIG_QUEUE_TTL	(4 * 86400)
#define CONFIG_WARN_INTERVAL	(4 * 3600)

static int	config_mailname(char *, size_t);
static void	config_copy(char *, size_t, const char *);

/* strlcpy that never truncates silently: an oversize default is empty. */
static void
config_copy(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, src, strlen(src) + 1);
}

/* First line of the mailname file, trimmed; -1 if absent or unusable. */
static int
config_mailname(char *buf, size_t size)
{
	char line[CONFIG_HOSTNAME_MAX + 2];
	FILE *fp;
	size_t len;

	if ((fp = fopen(CONFIG_MAILNAME, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), fp) == NULL) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	len = strlen(line);
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		line[--len] = '\0';
	if (len == 0 || len >= size || !parse_printable(line))
		return -1;
	memcpy(buf, line, len + 1);
	return 0;
}

/*
 * The server name: /etc/mail/mailname, else the host name, qualified
 * through getaddrinfo(3) if it has no dot (not with CONFIG_NORESOLVE).
 */
void
config_server_name(char *buf, size_t size, int flags)
{
	char host[CONFIG_HOSTNAME_MAX];
	struct addrinfo hints, *res;

	if (config_mailname(buf, size) == 0)
		return;
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		config_copy(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') == NULL && !(flags & CONFIG_NORESOLVE)) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_flags = AI_CANONNAME;
		if (getaddrinfo(host, NULL, &hints, &res) == 0) {
			if (res->ai_canonname != NULL &&
			    strchr(res->ai_canonname, '.') != NULL &&
			    strlen(res->ai_canonname) < sizeof(host))
				config_copy(host, sizeof(host),
				    res->ai_canonname);
			freeaddrinfo(res);
		}
	}
	config_copy(buf, size, host);
}

struct config *
config_new(int flags)
{
	struct config *conf;
	struct listener *l;

	conf = xcalloc(1, sizeof(*conf));
	TAILQ_INIT(&conf->tables);
	TAILQ_INIT(&conf->pkis);
	TAILQ_INIT(&conf->cas);
	TAILQ_INIT(&conf->listeners);
	TAILQ_INIT(&conf->actions);
	TAILQ_INIT(&conf->matches);
	config_server_name(conf->hostname, sizeof(conf->hostname), flags);
	config_copy(conf->queue_dir, sizeof(conf->queue_dir), SPOOLDIR);
	config_copy(conf->control_socket, sizeof(conf->control_socket),
	    CONFIG_CONTROL_SOCKET);
	conf->max_message_size = CONFIG_MAX_MESSAGE_SIZE;
	conf->max_mails = CONFIG_MAX_MAILS;
	conf->max_rcpt = CONFIG_MAX_RCPT;
	conf->max_sessions = CONFIG_MAX_SESSIONS;
	conf->max_sessions_per_client = CONFIG_MAX_PER_CLIENT;
	conf->smtp_timeout = CONFIG_SMTP_TIMEOUT;
	conf->subaddr_delim = '+';
	conf->bare_newline = BARE_NEWLINE_NORMALIZE;
	conf->queue_ttl = CONFIG_QUEUE_TTL;
	conf->warn_interval[0] = CONFIG_WARN_INTERVAL;
	conf->nwarn_interval = 1;

	l = xcalloc(1, sizeof(*l));
	l->kind = LISTENER_ENQUEUE;
	l->ss.ss_family = AF_UNIX;
	config_copy(l->path, sizeof(l->path), conf->control_socket);
	config_copy(l->where, sizeof(l->where), "socket");
	conf->enqueue = l;
	return conf;
}

/* Keep a file name for the config's lifetime; returns the kept copy. */
const char *
config_add_file(struct config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nfiles; i++)
		if (strcmp(conf->files[i], name) == 0)
			return conf->files[i];
	conf->files = xreallocarray(conf->files, conf->nfiles + 1,
	    sizeof(*conf->files));
	conf->files[conf->nfiles] = xstrdup(name);
	return conf->files[conf->nfiles++];
}

struct table_decl *
config_table_find(const struct config *conf, const char *name)
{
	struct table_decl *t;

	if (name[0] == '\0')
		return NULL;
	TAILQ_FOREACH(t, &conf->tables, entry)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

struct action *
config_action_find(const struct config *conf, const char *name)
{
	struct action *a;

	TAILQ_FOREACH(a, &conf->actions, entry)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

struct pki *
config_pki_find(const struct config *conf, const char *name)
{
	struct pki *pki;

	TAILQ_FOREACH(pki, &conf->pkis, entry)
		if (strcmp(pki->name, name) == 0)
			return pki;
	return NULL;
}

void
config_free(struct config *conf)
{
	struct table_decl *t;
	struct pki *pki;
	struct ca *ca;
	struct listener *l;
	struct action *a;
	struct match *m;
	size_t i;

	if (conf == NULL)
		return;
	while ((t = TAILQ_FIRST(&conf->tables)) != NULL) {
		TAILQ_REMOVE(&conf->tables, t, entry);
		for (i = 0; i < t->nentries; i++) {
			free(t->entries[i].key);
			free(t->entries[i].value);
		}
		free(t->entries);
		free(t->path);
		free(t);
	}
	while ((pki = TAILQ_FIRST(&conf->pkis)) != NULL) {
		TAILQ_REMOVE(&conf->pkis, pki, entry);
		free(pki->cert_file);
		free(pki->key_file);
		free(pki);
	}
	while ((ca = TAILQ_FIRST(&conf->cas)) != NULL) {
		TAILQ_REMOVE(&conf->cas, ca, entry);
		free(ca->cert_file);
		free(ca);
	}
	while ((l = TAILQ_FIRST(&conf->listeners)) != NULL) {
		TAILQ_REMOVE(&conf->listeners, l, entry);
		free(l);
	}
	while ((a = TAILQ_FIRST(&conf->actions)) != NULL) {
		TAILQ_REMOVE(&conf->actions, a, entry);
		free(a->param);
		free(a->user);
		free(a->helo);
		free(a);
	}
	while ((m = TAILQ_FIRST(&conf->matches)) != NULL) {
		TAILQ_REMOVE(&conf->matches, m, entry);
		free(m);
	}
	for (i = 0; i < conf->nfiles; i++)
		free(conf->files[i]);
	free(conf->files);
	free(conf->enqueue);
	free(conf);
}

/* What a table use is called in messages ("alias lookups"). */
const char *
config_table_use_name(int use)
{
	switch (use) {
	case TABLE_USE_DOMAIN:
		return "domain";
	case TABLE_USE_NETADDR:
		return "netaddr";
	case TABLE_USE_MAILADDR:
		return "mailaddr";
	case TABLE_USE_USERLIST:
		return "user";
	case TABLE_USE_ALIAS:
		return "alias";
	case TABLE_USE_VIRTUAL:
		return "virtual";
	case TABLE_USE_CREDENTIALS:
		return "credentials";
	case TABLE_USE_RELAYAUTH:
		return "relay credentials";
	case TABLE_USE_USERINFO:
		return "userinfo";
	}
	return "unknown";
}

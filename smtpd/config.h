/*
 * config.h: the parsed smtpd.conf (spec/config.md), shared by every role.
 * Produced by the parser (smtpd/parse*.c), read-only afterwards. Each role
 * parses the same file itself before it drops privileges; nothing here
 * holds a resource (fd, socket) - listeners are opened by the parent.
 */
#ifndef SMTPD_CONFIG_H
#define SMTPD_CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CONFIG_NAME_MAX		128	/* table, pki, action names */
#define CONFIG_TAG_MAX		32	/* listener tags, incl. NUL (31 chars) */
#define CONFIG_HOSTNAME_MAX	256
#define CONFIG_PATH_MAX		1024
#define CONFIG_WARN_MAX		4	/* bounce warn-interval delays */
#define CONFIG_INCLUDE_DEPTH	8
#define CONFIG_PARAM_MAX	4096	/* maildir PATH, mda COMMAND, lmtp DEST */
#define CONFIG_USER_MAX		64	/* user, owner, group names incl. NUL */
#define CONFIG_CIPHERS_MAX	512	/* smtp ciphers: a GnuTLS priority string */
#define CONFIG_RESOLVER_MAX	64	/* mta resolver: ADDRESS[@PORT] */

/* ------------------------------------------------------------ tables */
enum table_backend {
	TABLE_FILE,		/* file:/abs/path or /abs/path */
	TABLE_DB,		/* db:/abs/path.db (Tokyo Cabinet hash) */
	TABLE_INLINE,		/* { ... } */
};

enum table_kind {
	TABLE_KIND_UNKNOWN,	/* file/db: decided when loaded */
	TABLE_KIND_LIST,
	TABLE_KIND_MAPPING,
};

/* What a table is used for; the loader checks the contents against it. */
enum table_use {
	TABLE_USE_DOMAIN	= 1 << 0,
	TABLE_USE_NETADDR	= 1 << 1,
	TABLE_USE_MAILADDR	= 1 << 2,
	TABLE_USE_USERLIST	= 1 << 3,	/* from auth <t>, auth <t> */
	TABLE_USE_ALIAS		= 1 << 4,
	TABLE_USE_VIRTUAL	= 1 << 5,
	TABLE_USE_CREDENTIALS	= 1 << 6,	/* listen ... auth <t> */
	TABLE_USE_RELAYAUTH	= 1 << 7,	/* relay ... auth <t> */
	TABLE_USE_USERINFO	= 1 << 8,	/* userbase <t> */
};

struct table_entry {
	char	*key;		/* list element, or mapping key */
	char	*value;		/* NULL in a list */
};

struct table_decl {
	TAILQ_ENTRY(table_decl)	 entry;
	char			 name[CONFIG_NAME_MAX];	/* "" if anonymous */
	enum table_backend	 backend;
	enum table_kind		 kind;
	char			*path;		/* file and db backends */
	struct table_entry	*entries;	/* inline backend */
	size_t			 nentries;
	int			 uses;		/* enum table_use bits */
	const char		*file;		/* where it was declared */
	int			 line;
};
TAILQ_HEAD(table_list, table_decl);

/* ------------------------------------------------------------ pki */
struct pki {
	TAILQ_ENTRY(pki)	 entry;
	char			 name[CONFIG_HOSTNAME_MAX];
	char			*cert_file;
	char			*key_file;
	const char		*file;		/* first declaration */
	int			 line;
};
TAILQ_HEAD(pki_list, pki);

/* ca NAME cert PATH: certificates the relay client trusts beyond the
 * system store (OpenSMTPD's `ca`, used by `relay ... ca NAME`). */
struct ca {
	TAILQ_ENTRY(ca)		 entry;
	char			 name[CONFIG_HOSTNAME_MAX];
	char			*cert_file;
	const char		*file;
	int			 line;
};
TAILQ_HEAD(ca_list, ca);

/* ------------------------------------------------------------ listeners */
enum listener_kind {
	LISTENER_INET,		/* listen on ADDR|IFACE|HOST ... */
	LISTENER_ENQUEUE,	/* listen on socket (the control/enqueue socket) */
	LISTENER_UNIX,		/* listen on socket "/path" lmtp */
};

#define LISTENER_TLS		0x0001
#define LISTENER_TLS_REQUIRE	0x0002
#define LISTENER_SMTPS		0x0004
#define LISTENER_AUTH		0x0008
#define LISTENER_AUTH_OPTIONAL	0x0010
#define LISTENER_MASK_SRC	0x0020
#define LISTENER_NO_DSN		0x0040
#define LISTENER_LMTP		0x0080

#define LISTENER_PKI_MAX	16

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	enum listener_kind	 kind;
	int			 flags;		/* LISTENER_* */
	/* LISTENER_INET: one listener per resolved address, port set in ss */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 port;		/* host order, also in ss */
	char			 where[CONFIG_HOSTNAME_MAX];	/* as written */
	/* LISTENER_UNIX */
	char			 path[CONFIG_PATH_MAX];
	mode_t			 mode;		/* default 0660 */
	char			 owner[CONFIG_USER_MAX];	/* "" = root */
	char			 group[CONFIG_USER_MAX];	/* "" = daemon's group */
	/* every kind */
	char			 tag[CONFIG_TAG_MAX];
	char			 hostname[CONFIG_HOSTNAME_MAX];	/* "" = server name */
	struct pki		*pki[LISTENER_PKI_MAX];
	size_t			 npki;
	struct table_decl	*auth_table;	/* auth / auth-optional */
	const char		*file;
	int			 line;
};
TAILQ_HEAD(listener_list, listener);

/* ------------------------------------------------------------ actions */
enum action_method {
	ACTION_MAILDIR,
	ACTION_MBOX,
	ACTION_LMTP,
	ACTION_MDA,
	ACTION_FORWARD_ONLY,
	ACTION_EXPAND_ONLY,
	ACTION_RELAY,
};

enum relay_scheme {
	RELAY_SMTP,		/* smtp:// (default): opportunistic STARTTLS */
	RELAY_SMTP_TLS,		/* smtp+tls:// */
	RELAY_SMTP_NOTLS,	/* smtp+notls:// */
	RELAY_SMTPS,		/* smtps:// */
	RELAY_LMTP,		/* lmtp:// */
};

struct relay_url {
	enum relay_scheme	 scheme;
	char			 label[CONFIG_NAME_MAX];	/* "" if none */
	char			 host[CONFIG_HOSTNAME_MAX];	/* no brackets */
	int			 literal;	/* host was an address literal */
	int			 port;		/* scheme default if not given */
};

/* action ... lmtp DEST, spec/config.md 5.4 */
struct lmtp_dest {
	int			 unix_socket;	/* 1: path, 0: host and port */
	char			 path[CONFIG_PATH_MAX];
	char			 host[CONFIG_HOSTNAME_MAX];	/* no brackets */
	int			 literal;	/* host was an address literal */
	int			 port;
};

enum relay_tls {
	RELAY_TLS_DEFAULT,	/* as the URL scheme says */
	RELAY_TLS_VERIFY,	/* relay ... tls */
	RELAY_TLS_NO_VERIFY,	/* relay ... tls no-verify */
};

struct action {
	TAILQ_ENTRY(action)	 entry;
	char			 name[CONFIG_NAME_MAX];
	enum action_method	 method;
	/*
	 * maildir PATH ("~/Maildir" when omitted), mda COMMAND, lmtp DEST:
	 * as written, unexpanded (format specifiers checked by the parser).
	 */
	char			*param;
	int			 lmtp_rcpt_to;	/* lmtp ... rcpt-to */
	struct lmtp_dest	 lmtp;		/* ACTION_LMTP: DEST parsed */
	struct table_decl	*alias;
	struct table_decl	*virtual;
	struct table_decl	*userbase;
	char			*user;		/* user NAME */
	time_t			 ttl;		/* 0 = queue ttl */
	/* relay */
	int			 has_host;
	struct relay_url	 relay;
	enum relay_tls		 relay_tls;
	struct table_decl	*relay_auth;
	char			*helo;
	struct pki		*pki;
	struct ca		*ca;		/* relay ... ca NAME */
	const char		*file;
	int			 line;
};
TAILQ_HEAD(action_list, action);

/* ------------------------------------------------------------ match */
enum match_cond_kind {
	MATCH_FROM_ANY,
	MATCH_FROM_LOCAL,
	MATCH_FROM_SOCKET,
	MATCH_FROM_SRC,		/* table */
	MATCH_FROM_AUTH,	/* table optional */
	MATCH_FROM_MAILFROM,	/* table */
	MATCH_FOR_ANY,
	MATCH_FOR_LOCAL,
	MATCH_FOR_DOMAIN,	/* table */
	MATCH_FOR_RCPTTO,	/* table */
	MATCH_AUTH,		/* table optional */
	MATCH_HELO,		/* table */
	MATCH_MAILFROM,		/* table */
	MATCH_RCPTTO,		/* table */
	MATCH_TAG,		/* string */
	MATCH_TLS,
};

struct match_cond {
	enum match_cond_kind	 kind;
	int			 negate;
	struct table_decl	*table;		/* NULL where the kind has none */
	char			 tag[CONFIG_TAG_MAX];
};

#define MATCH_COND_MAX		16

struct match {
	TAILQ_ENTRY(match)	 entry;
	struct match_cond	 conds[MATCH_COND_MAX];
	size_t			 nconds;	/* implicit from local/for local added */
	int			 reject;	/* `reject` instead of an action */
	struct action		*action;
	const char		*file;
	int			 line;
};
TAILQ_HEAD(match_list, match);

/* ------------------------------------------------------------ global */
enum bare_newline {
	BARE_NEWLINE_NORMALIZE,
	BARE_NEWLINE_REJECT,
};

struct config {
	char			 path[CONFIG_PATH_MAX];	/* main file */
	char			 hostname[CONFIG_HOSTNAME_MAX];	/* server name */

	char			 queue_dir[CONFIG_PATH_MAX];
	char			 control_socket[CONFIG_PATH_MAX];

	uint64_t		 max_message_size;	/* 35M */
	unsigned int		 max_mails;		/* 100 */
	unsigned int		 max_rcpt;		/* 1000 */
	/* project extensions: session limits and the idle timeout */
	unsigned int		 max_sessions;		/* 1000 */
	unsigned int		 max_sessions_per_client;	/* 100 */
	time_t			 smtp_timeout;		/* 300s */
	char			 subaddr_delim;		/* '+' */
	enum bare_newline	 bare_newline;
	char			 smtp_ciphers[CONFIG_CIPHERS_MAX];	/* "" = ours */
	time_t			 queue_ttl;		/* 4d */
	time_t			 warn_interval[CONFIG_WARN_MAX];	/* 4h */
	size_t			 nwarn_interval;
	/* project extension: `mta resolver ADDRESS[@PORT]`, "" = system */
	char			 mta_resolver[CONFIG_RESOLVER_MAX];
	/* project extension: `mta port N`, the port of MX hosts (25) */
	int			 mta_port;
	/* not from the file: smtpd -P, what starts paused (CONFIG_PAUSE_*) */
	int			 start_paused;

	/*
	 * `listen on socket` options. Always set (defaults when the directive
	 * is absent), kind LISTENER_ENQUEUE, path = control_socket; it is
	 * never on `listeners`.
	 */
	struct listener		*enqueue;
	struct table_list	 tables;	/* named and anonymous */
	struct pki_list		 pkis;
	struct ca_list		 cas;
	struct listener_list	 listeners;
	struct action_list	 actions;
	struct match_list	 matches;

	char			**files;	/* every file read, for `file` */
	size_t			 nfiles;
};

/* smtpd -P mda|mta|smtp */
#define CONFIG_PAUSE_MDA	0x01
#define CONFIG_PAUSE_MTA	0x02
#define CONFIG_PAUSE_SMTP	0x04

/* Flags for config_parse_*(). */
/*
 * CONFIG_NORESOLVE: no getaddrinfo/getifaddrs/getservbyname. Address
 * literals still give real listeners; a host or interface name in `listen
 * on` gives one listener with ss.ss_family == AF_UNSPEC (where = the name,
 * port set), and the server name is the bare gethostname(). For the fuzz
 * harness and offline checks.
 */
#define CONFIG_NORESOLVE	0x01
/* CONFIG_NOINCLUDE: `include` is an error (fuzzing: no /dev/stdin). */
#define CONFIG_NOINCLUDE	0x02

/*
 * Parse a file (or a buffer named `name`). `defines` is a NULL-terminated
 * list of "NAME=value" from -D. Every error is written to `errout` as
 * "FILE:LINE: message\n"; the result is NULL if there was any.
 */
struct config	*config_parse_file(const char *path, char *const *defines,
		    int flags, FILE *errout);
struct config	*config_parse_buffer(const char *name, const char *buf,
		    size_t len, char *const *defines, int flags, FILE *errout);
void		 config_free(struct config *);
const char	*config_table_use_name(int);

/* Look a declared name up; NULL if there is none. */
struct table_decl *config_table_find(const struct config *, const char *);
struct action	*config_action_find(const struct config *, const char *);
struct pki	*config_pki_find(const struct config *, const char *);

#endif

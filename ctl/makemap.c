/*
 * makemap.c: the command lines of makemap and newaliases (spec/tables.md
 * section 9, spec/ctl.md sections 1 and 10), personalities of smtpctl
 * dispatched by ctl/main.c. It reads and locks the source, hands it to
 * makemap_db.c to check and build, and dumps databases (-U) through the
 * table_db reader the daemon uses. newaliases finds the table named
 * `aliases` in the configuration (-f, else $SMTPD_CONF, else the default).
 * Exit status 0 or 1; messages on stderr prefixed with the program name.
 * It never writes a database in place and never changes one on an error.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aliases/aliasfmt.h"
#include "ctl/client.h"
#include "ctl/makemap.h"
#include "lib/xmalloc.h"
#include "smtpd/config.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR		"/etc/mail"
#endif
#define MAKEMAP_CONF		SYSCONFDIR "/smtpd.conf"
#define MAKEMAP_ALIASES_PATH	SYSCONFDIR "/aliases"
#define MAKEMAP_DB_SUFFIX	".db"
#define MAKEMAP_STDIN		"-"
#define MAKEMAP_STDIN_NAME	"<stdin>"
#define MAKEMAP_STDIN_MODE	0644
#define MAKEMAP_ALIASFILE	"AliasFile="
#define MAKEMAP_SOURCE_MAX	(4LL * 1024 * 1024 * 1024)
#define MAKEMAP_LOCK_WAIT_MS	10000	/* section 10.2: wait up to 10 s */
#define MAKEMAP_LOCK_STEP_MS	100
#define NEWALIASES_TABLE	"aliases"

static void	makemap_usage(void);
static void	newaliases_usage(void);
static int	makemap_lock(int);
static int	makemap_read(const char *, int, const char *, char **,
		    size_t *);
static int	makemap_build(const char *, const char *, const char *,
		    enum makemap_type, size_t *);
static int	makemap_dump_entry(void *, const char *, const char *, int);
static int	makemap_dump(const char *);
static char	*makemap_dbname(const char *);
static void	newaliases_warn(void *, const char *);
static int	newaliases_file(const char *, size_t *);
static int	newaliases_inline(const struct table_decl *, size_t *);
static void	newaliases_hint(const struct config *);
static int	newaliases_run(const char *);
static void	newaliases_notify(const struct config *);

static void
makemap_usage(void)
{
	fprintf(stderr, "usage: makemap [-U] [-d hash] [-o dbfile] "
	    "[-t aliases|set] file\n");
}

static void
newaliases_usage(void)
{
	fprintf(stderr, "usage: newaliases [-f config]\n");
}

/*
 * flock(LOCK_EX) on the source, waiting up to MAKEMAP_LOCK_WAIT_MS:
 * concurrent runs on one source are serialised (section 10.2).
 * 0, or -1 with errno (EWOULDBLOCK: still locked).
 */
static int
makemap_lock(int fd)
{
	struct timespec step = { 0, MAKEMAP_LOCK_STEP_MS * 1000000L };
	int waited;

	for (waited = 0;; waited += MAKEMAP_LOCK_STEP_MS) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (waited >= MAKEMAP_LOCK_WAIT_MS) {
			errno = EWOULDBLOCK;
			return -1;
		}
		nanosleep(&step, NULL);
	}
}

/* Reads all of fd (named path in messages); 0, or -1 after a message. */
static int
makemap_read(const char *prog, int fd, const char *path, char **bufp,
    size_t *lenp)
{
	char *buf;
	size_t len = 0, cap = 65536;
	ssize_t n;

	buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if ((long long)cap >= MAKEMAP_SOURCE_MAX) {
				fprintf(stderr, "%s: %s: file too large\n",
				    prog, path);
				free(buf);
				return -1;
			}
			buf = xreallocarray(buf, 2, cap);
			cap *= 2;
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: %s: %s\n", prog, path,
			    strerror(errno));
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/*
 * Builds dbfile from source ("-": standard input) as `prog`; the number
 * of entries in *countp. 0, or 1 after a message on stderr.
 */
static int
makemap_build(const char *prog, const char *source, const char *dbfile,
    enum makemap_type type, size_t *countp)
{
	char err[MAKEMAP_ERR_MAX], *buf = NULL, *abs = NULL;
	struct makemap_owner owner;
	struct table_mem *mem = NULL;
	struct stat st, dbst;
	enum makemap_type wtype;
	const char *name;
	size_t len;
	int fd, rc = 1, stdin_src;

	stdin_src = strcmp(source, MAKEMAP_STDIN) == 0;
	memset(&owner, 0, sizeof(owner));
	if (stdin_src) {
		fd = STDIN_FILENO;
		name = MAKEMAP_STDIN_NAME;
		owner.mode = MAKEMAP_STDIN_MODE;
	} else {
		name = source;
		if ((fd = open(source, O_RDONLY | O_CLOEXEC)) == -1) {
			fprintf(stderr, "%s: %s: %s\n", prog, source,
			    strerror(errno));
			return 1;
		}
		if (fstat(fd, &st) == -1) {
			fprintf(stderr, "%s: %s: %s\n", prog, source,
			    strerror(errno));
			goto done;
		}
		if (stat(dbfile, &dbst) == 0 && dbst.st_dev == st.st_dev &&
		    dbst.st_ino == st.st_ino) {
			fprintf(stderr, "%s: %s: the database would replace "
			    "its source\n", prog, dbfile);
			goto done;
		}
		if (makemap_lock(fd) == -1) {
			if (errno == EWOULDBLOCK)
				fprintf(stderr, "%s: %s is locked\n", prog,
				    source);
			else
				fprintf(stderr, "%s: %s: flock: %s\n", prog,
				    source, strerror(errno));
			goto done;
		}
		owner.chown = 1;
		owner.uid = st.st_uid;
		owner.gid = st.st_gid;
		owner.mode = st.st_mode & 07777;
		abs = realpath(source, NULL);
	}

	if (makemap_read(prog, fd, name, &buf, &len) == -1)
		goto done;
	if (makemap_parse(name, buf, len, type, 1, &mem, &wtype, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", prog, err);
		goto done;
	}
	switch (makemap_write(dbfile, mem, wtype, abs != NULL ? abs :
	    MAKEMAP_STDIN, len, &owner, err, sizeof(err))) {
	case -1:
		fprintf(stderr, "%s: %s\n", prog, err);
		goto done;
	case 1:
		fprintf(stderr, "%s: warning: %s\n", prog, err);
		break;
	}
	*countp = table_mem_count(mem);
	rc = 0;
 done:
	table_mem_free(mem);
	free(buf);
	free(abs);
	if (!stdin_src)
		close(fd);	/* releases the lock */
	return rc;
}

/* ------------------------------------------------------------ -U */

static int
makemap_dump_entry(void *arg, const char *key, const char *value, int line)
{
	(void)arg;
	(void)line;
	if (value != NULL)
		printf("%s\t%s\n", key, value);
	else
		printf("%s\n", key);
	return 0;
}

/* Dumps dbfile through the daemon's reader (aliases/table_db.c). */
static int
makemap_dump(const char *dbfile)
{
	char err[TABLE_ERR_MAX], prefix[CONFIG_NAME_MAX + 3];
	struct table_decl decl;
	struct table *t;
	enum table_result r;
	const char *msg;

	memset(&decl, 0, sizeof(decl));
	strlcpy(decl.name, "makemap", sizeof(decl.name));
	decl.backend = TABLE_DB;
	decl.kind = TABLE_KIND_UNKNOWN;
	decl.path = (char *)(uintptr_t)dbfile;
	if ((t = table_open(&decl, err, sizeof(err))) == NULL) {
		/* table_decl_err() put "NAME: " first */
		snprintf(prefix, sizeof(prefix), "%s: ", decl.name);
		msg = strncmp(err, prefix, strlen(prefix)) == 0 ?
		    err + strlen(prefix) : err;
		fprintf(stderr, "makemap: %s\n", msg);
		return 1;
	}
	r = table_iterate(t, makemap_dump_entry, NULL);
	table_close(t);
	if (r == TABLE_TEMPFAIL) {
		fprintf(stderr, "makemap: %s: cannot read the database\n",
		    dbfile);
		return 1;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "makemap: stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* NAME, or NAME.db unless it already ends in .db (sendmail form). */
static char *
makemap_dbname(const char *name)
{
	size_t n = strlen(name), s = strlen(MAKEMAP_DB_SUFFIX);
	char *db;

	if (n >= s && strcmp(name + n - s, MAKEMAP_DB_SUFFIX) == 0)
		return xstrdup(name);
	xasprintf(&db, "%s%s", name, MAKEMAP_DB_SUFFIX);
	return db;
}

int
makemap_main(int argc, char *argv[])
{
	enum makemap_type type = MAKEMAP_PLAIN;
	const char *source = NULL, *oflag = NULL;
	char *dbfile = NULL;
	size_t count = 0;
	int ch, dump = 0, bi = 0, rc;

	opterr = 0;
	while ((ch = getopt(argc, argv, "+b:C:d:o:O:t:U")) != -1) {
		switch (ch) {
		case 'b':
			if (strcmp(optarg, "i") == 0)
				bi = 1;
			break;
		case 'C':
			break;		/* sendmail compatibility */
		case 'd':
			if (strcmp(optarg, "hash") != 0) {
				fprintf(stderr, "makemap: unsupported DB type "
				    "'%s'\n", optarg);
				return 1;
			}
			break;
		case 'o':
			oflag = optarg;
			break;
		case 'O':
			if (strncmp(optarg, MAKEMAP_ALIASFILE,
			    strlen(MAKEMAP_ALIASFILE)) == 0) {
				source = optarg + strlen(MAKEMAP_ALIASFILE);
				type = MAKEMAP_ALIASES;
			}
			break;
		case 't':
			if (strcmp(optarg, "aliases") == 0)
				type = MAKEMAP_ALIASES;
			else if (strcmp(optarg, "set") == 0)
				type = MAKEMAP_SET;
			else {
				fprintf(stderr, "makemap: unsupported type "
				    "'%s'\n", optarg);
				return 1;
			}
			break;
		case 'U':
			dump = 1;
			break;
		default:
			makemap_usage();
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (bi)
		return newaliases_compat();

	if (argc == 2 && source == NULL && !dump) {
		/* sendmail form: makemap TYPE DBNAME < input */
		if (oflag != NULL) {
			makemap_usage();
			return 1;
		}
		if (strcmp(argv[0], "hash") != 0) {
			fprintf(stderr, "makemap: unsupported DB type '%s'\n",
			    argv[0]);
			return 1;
		}
		source = MAKEMAP_STDIN;
		dbfile = makemap_dbname(argv[1]);
	} else if ((source == NULL && argc != 1) ||
	    (source != NULL && argc != 0) ||
	    (source != NULL && source[0] == '\0')) {
		makemap_usage();
		return 1;
	} else if (source == NULL)
		source = argv[0];

	if (dump)
		return makemap_dump(oflag != NULL ? oflag : source);
	if (dbfile == NULL) {
		if (oflag != NULL)
			dbfile = xstrdup(oflag);
		else if (strcmp(source, MAKEMAP_STDIN) == 0) {
			fprintf(stderr, "makemap: standard input needs "
			    "-o dbfile\n");
			return 1;
		} else
			xasprintf(&dbfile, "%s%s", source, MAKEMAP_DB_SUFFIX);
	}
	rc = makemap_build("makemap", source, dbfile, type, &count);
	if (rc == 0 && count == 0)
		fprintf(stderr, "makemap: warning: empty map created: %s\n",
		    dbfile);
	free(dbfile);
	return rc;
}

/* ------------------------------------------------------------ newaliases */

static void
newaliases_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "newaliases: warning: %s\n", msg);
}

/*
 * A file: table: checked like the daemon loads it (duplicates are
 * warnings there, the last one wins), nothing built.
 */
static int
newaliases_file(const char *path, size_t *countp)
{
	char err[MAKEMAP_ERR_MAX], *buf;
	struct table_mem *mem;
	enum makemap_type wtype;
	size_t len;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "newaliases: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = makemap_read("newaliases", fd, path, &buf, &len);
	close(fd);
	if (rc == -1)
		return 1;
	table_set_warn(newaliases_warn, NULL);
	rc = makemap_parse(path, buf, len, MAKEMAP_ALIASES, 0, &mem, &wtype,
	    err, sizeof(err));
	free(buf);
	if (rc == -1) {
		fprintf(stderr, "newaliases: %s\n", err);
		return 1;
	}
	*countp = table_mem_count(mem);
	table_mem_free(mem);
	return 0;
}

/* An inline table { key = value, ... }: each value checked. */
static int
newaliases_inline(const struct table_decl *decl, size_t *countp)
{
	size_t i;

	for (i = 0; i < decl->nentries; i++) {
		if (decl->entries[i].value == NULL ||
		    aliasfmt_entry_check(decl->entries[i].value,
		    strlen(decl->entries[i].value), NULL) == -1) {
			fprintf(stderr, "newaliases: %s:%d: table %s: %s: "
			    "invalid entry\n", decl->file ? decl->file : "?",
			    decl->line, decl->name, decl->entries[i].key);
			return 1;
		}
	}
	*countp = decl->nentries;
	return 0;
}

/*
 * Without a table named `aliases`, section 9.2 builds the default file;
 * an action whose alias table has another name is probably what the
 * administrator meant: say so (the table is not touched).
 */
static void
newaliases_hint(const struct config *conf)
{
	const struct action *a;

	TAILQ_FOREACH(a, &conf->actions, entry)
		if (a->alias != NULL && a->alias->name[0] != '\0')
			fprintf(stderr, "newaliases: warning: action \"%s\" uses "
			    "table \"%s\", not \"%s\"; rebuild it with "
			    "makemap -t aliases\n", a->name, a->alias->name,
			    NEWALIASES_TABLE);
}

/* newaliases with the configuration conffile (NULL: $SMTPD_CONF, default). */
/*
 * Section 9.2: a running daemon is told `update table aliases`. Nobody
 * listening is fine (the daemon loads the table when it starts); a
 * refusal is reported, the rebuilt file stays.
 */
static void
newaliases_notify(const struct config *conf)
{
	struct ctl_request req;
	struct ctl_reply last;
	struct client cl;
	struct buf out;

	memset(&cl, 0, sizeof(cl));
	cl.fd = -1;
	if (client_connect(&cl, conf->control_socket) != CLIENT_OK)
		return;
	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.cmd = CTL_UPDATE_TABLE;
	strlcpy(req.arg, NEWALIASES_TABLE, sizeof(req.arg));
	memset(&last, 0, sizeof(last));
	buf_init(&out);
	if (client_text(&cl, &req, &out, &last) != CLIENT_OK)
		fprintf(stderr, "newaliases: the running smtpd did not "
		    "answer update table\n");
	else if (last.status != CTL_OK)
		fprintf(stderr, "newaliases: update table %s failed: %s\n",
		    NEWALIASES_TABLE, last.text);
	buf_free(&out);
	client_close(&cl);
}

static int
newaliases_run(const char *conffile)
{
	struct config *conf;
	const struct table_decl *decl;
	const char *source;
	char *src = NULL, *dbfile = NULL;
	size_t count = 0, n;
	int rc = 1;

	if (geteuid() != 0) {
		fprintf(stderr, "newaliases: need root privileges\n");
		return 1;
	}
	if (conffile == NULL && (conffile = getenv("SMTPD_CONF")) != NULL &&
	    conffile[0] == '\0')
		conffile = NULL;
	if (conffile == NULL)
		conffile = MAKEMAP_CONF;
	if ((conf = config_parse_file(conffile, NULL, CONFIG_NORESOLVE,
	    stderr)) == NULL)
		return 1;

	decl = config_table_find(conf, NEWALIASES_TABLE);
	if (decl == NULL) {
		newaliases_hint(conf);
		source = MAKEMAP_ALIASES_PATH;
		xasprintf(&dbfile, "%s%s", source, MAKEMAP_DB_SUFFIX);
		rc = makemap_build("newaliases", source, dbfile,
		    MAKEMAP_ALIASES, &count);
	} else if (decl->backend == TABLE_DB) {
		n = strlen(decl->path);
		if (n <= strlen(MAKEMAP_DB_SUFFIX) || strcmp(decl->path + n -
		    strlen(MAKEMAP_DB_SUFFIX), MAKEMAP_DB_SUFFIX) != 0) {
			fprintf(stderr, "newaliases: %s:%d: table %s: %s: "
			    "the name does not end in %s, cannot find the "
			    "source\n", decl->file, decl->line, decl->name,
			    decl->path, MAKEMAP_DB_SUFFIX);
			goto done;
		}
		src = xstrndup(decl->path, n - strlen(MAKEMAP_DB_SUFFIX));
		source = src;
		rc = makemap_build("newaliases", source, decl->path,
		    MAKEMAP_ALIASES, &count);
	} else if (decl->backend == TABLE_FILE) {
		source = decl->path;
		rc = newaliases_file(source, &count);
	} else {
		source = decl->file != NULL ? decl->file : conffile;
		rc = newaliases_inline(decl, &count);
	}
	if (rc == 0) {
		printf("%s: %zu aliases\n", source, count);
		if (decl != NULL)
			newaliases_notify(conf);
	}
 done:
	free(src);
	free(dbfile);
	config_free(conf);
	return rc;
}

int
newaliases_main(int argc, char *argv[])
{
	const char *conffile = NULL;
	int ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, "+f:")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			break;
		default:
			newaliases_usage();
			return 1;
		}
	}
	if (optind != argc) {
		newaliases_usage();
		return 1;
	}
	return newaliases_run(conffile);
}

int
newaliases_compat(void)
{
	return newaliases_run(NULL);
}

/*
 * config_fuzz.c: libFuzzer harness for the smtpd.conf parser
 * (smtpd/parse*.c, smtpd/config.c). The input is parsed as a whole file
 * with CONFIG_NORESOLVE (no DNS, no interface lookups) and
 * CONFIG_NOINCLUDE (no reading of other files), with two -D macros so
 * that $NAME expansion is reached. Checks: a config comes back exactly
 * when no error was written; every error line is "fuzz.conf:LINE: text"
 * with printable text; the parsed config is self-consistent; everything
 * is freed. A broken invariant calls abort(). Built with replay.c,
 * `make check` replays t/fuzz/corpus/config_fuzz/.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/config.h"

#define FUZZ_NAME	"fuzz.conf"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_errors(const char *, size_t);
static void	fuzz_string(const char *, size_t, int);
static void	fuzz_table(const struct config *, const struct table_decl *);
static void	fuzz_config(const struct config *);

/* NUL-terminated within size; if printable, no control or blank. */
static void
fuzz_string(const char *s, size_t size, int printable)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if (printable && ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f))
			abort();
	if (i == size)
		abort();
}

/* Every line: NAME:DIGITS: printable text. */
static void
fuzz_errors(const char *buf, size_t len)
{
	const char *line = buf, *end, *p;
	size_t n;

	while (line < buf + len) {
		if ((end = memchr(line, '\n', (size_t)(buf + len - line))) ==
		    NULL)
			abort();
		n = strlen(FUZZ_NAME);
		if ((size_t)(end - line) > n && memcmp(line, FUZZ_NAME ":", n + 1)
		    == 0)
			p = line + n + 1;
		else if (strncmp(line, "command line:", 13) == 0)
			p = line + 13;
		else
			abort();
		if (!isdigit((unsigned char)*p))
			abort();
		while (isdigit((unsigned char)*p))
			p++;
		if (p + 2 > end || p[0] != ':' || p[1] != ' ')
			abort();
		for (p += 2; p < end; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		line = end + 1;
	}
}

/* A referenced table must be in the list, with a sane shape. */
static void
fuzz_table(const struct config *c, const struct table_decl *want)
{
	const struct table_decl *t;
	size_t i;

	TAILQ_FOREACH(t, &c->tables, entry)
		if (t == want)
			break;
	if (t == NULL)
		abort();
	if (t->backend == TABLE_INLINE) {
		if (t->nentries == 0 || t->kind == TABLE_KIND_UNKNOWN)
			abort();
		for (i = 0; i < t->nentries; i++)
			if (t->entries[i].key == NULL ||
			    (t->kind == TABLE_KIND_MAPPING) !=
			    (t->entries[i].value != NULL))
				abort();
	} else if (t->path == NULL || t->path[0] != '/')
		abort();
	if (t->uses == 0)
		abort();
}

static void
fuzz_config(const struct config *c)
{
	const struct listener *l;
	const struct action *a;
	const struct match *m;
	size_t i, from, forr;

	fuzz_string(c->queue_dir, sizeof(c->queue_dir), 0);
	fuzz_string(c->control_socket, sizeof(c->control_socket), 0);
	if (c->queue_dir[0] != '/' || c->control_socket[0] != '/' ||
	    c->enqueue == NULL || c->nwarn_interval == 0 ||
	    c->nwarn_interval > CONFIG_WARN_MAX || c->queue_ttl <= 0 ||
	    c->max_message_size == 0 || c->max_mails == 0 || c->max_rcpt == 0)
		abort();
	TAILQ_FOREACH(l, &c->listeners, entry) {
		fuzz_string(l->tag, sizeof(l->tag), 1);
		fuzz_string(l->hostname, sizeof(l->hostname), 1);
		fuzz_string(l->path, sizeof(l->path), 0);
		if (l->npki > LISTENER_PKI_MAX || l->file == NULL)
			abort();
		if (l->kind == LISTENER_UNIX && (l->path[0] != '/' ||
		    !(l->flags & LISTENER_LMTP)))
			abort();
		if (l->kind == LISTENER_INET && (l->port < 1 ||
		    l->port > 65535))
			abort();
		if (l->auth_table != NULL)
			fuzz_table(c, l->auth_table);
		for (i = 0; i < l->npki; i++)
			if (l->pki[i]->cert_file == NULL ||
			    l->pki[i]->key_file == NULL)
				abort();
	}
	TAILQ_FOREACH(a, &c->actions, entry) {
		if (a->alias != NULL)
			fuzz_table(c, a->alias);
		if (a->virtual != NULL)
			fuzz_table(c, a->virtual);
		if (a->alias != NULL && a->virtual != NULL)
			abort();
		if ((a->method == ACTION_MAILDIR || a->method == ACTION_MDA ||
		    a->method == ACTION_LMTP) &&
		    (a->param == NULL || strlen(a->param) >= CONFIG_PARAM_MAX))
			abort();
	}
	TAILQ_FOREACH(m, &c->matches, entry) {
		if (m->nconds > MATCH_COND_MAX || (m->action == NULL) !=
		    (m->reject != 0))
			abort();
		from = forr = 0;
		for (i = 0; i < m->nconds; i++) {
			if (m->conds[i].kind <= MATCH_FROM_MAILFROM)
				from++;
			else if (m->conds[i].kind <= MATCH_FOR_RCPTTO)
				forr++;
			if (m->conds[i].table != NULL)
				fuzz_table(c, m->conds[i].table);
			fuzz_string(m->conds[i].tag, sizeof(m->conds[i].tag), 1);
		}
		if (from != 1 || forr != 1)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *defines[] = { "fuzz=lo", "dir=/var/fuzz/%{rcpt}", NULL };
	struct config *c;
	char *errs = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&errs, &len)) == NULL)
		return 0;
	c = config_parse_buffer(FUZZ_NAME, (const char *)data, size, defines,
	    CONFIG_NORESOLVE | CONFIG_NOINCLUDE, fp);
	if (fclose(fp) != 0)
		abort();
	if ((c == NULL) != (len > 0))
		abort();
	fuzz_errors(errs, len);
	if (c != NULL)
		fuzz_config(c);
	config_free(c);
	free(errs);
	return 0;
}

/*
 * parse_pki.c: `pki NAME cert|key PATH` (spec/config.md section 3),
 * `ca NAME cert PATH` (OpenSMTPD's, for the relay client) and references
 * to a pki from `listen` and `relay` and to a ca from `relay`. Called by parse.c,
 * parse_listen.c and parse_action.c. It never opens the files: the
 * parent loads and checks certificates and key modes at start-up.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

static int	parse_pki_used(struct config *, struct pki *);

/* pki NAME cert PATH | pki NAME key PATH | pki NAME dhe ... (LATER) */
int
parse_pki_decl(struct parse *p)
{
	char name[CONFIG_HOSTNAME_MAX];
	struct pki *pki;
	char **dst;
	const char *what;
	char *path;

	if (parse_value_buf(p, "a pki name", name, sizeof(name)) == -1)
		return -1;
	if (parse_accept_kw(p, "dhe"))
		return parse_later(p, "dhe");
	if (parse_accept_kw(p, "cert"))
		what = "certificate";
	else if (parse_accept_kw(p, "key"))
		what = "key";
	else
		return parse_expected(p, "\"cert\" or \"key\" after the pki name");
	if (parse_value(p, "a file name", &path) == -1)
		return -1;
	if (path[0] == '\0' || strlen(path) >= CONFIG_PATH_MAX) {
		parse_err(p, "pki \"%s\": invalid %s file name", name, what);
		free(path);
		return -1;
	}
	if ((pki = parse_names_get(&p->names, PARSE_NS_PKI, name)) == NULL) {
		pki = xcalloc(1, sizeof(*pki));
		memcpy(pki->name, name, strlen(name) + 1);
		pki->file = p->dir_file;
		pki->line = p->dir_line;
		TAILQ_INSERT_TAIL(&p->conf->pkis, pki, entry);
		parse_names_put(&p->names, PARSE_NS_PKI, pki->name, pki);
	}
	dst = what[0] == 'c' ? &pki->cert_file : &pki->key_file;
	if (*dst != NULL) {
		parse_err(p, "pki \"%s\": %s already specified", name, what);
		free(path);
		return -1;
	}
	*dst = path;
	return 0;
}

/* A pki NAME that was declared with both a certificate and a key. */
int
parse_pki_ref(struct parse *p, struct pki **out)
{
	char name[CONFIG_HOSTNAME_MAX];
	struct pki *pki;

	if (parse_value_buf(p, "a pki name", name, sizeof(name)) == -1)
		return -1;
	if ((pki = parse_names_get(&p->names, PARSE_NS_PKI, name)) == NULL) {
		parse_err(p, "pki \"%s\" not defined", name);
		return -1;
	}
	if (pki->cert_file == NULL) {
		parse_err(p, "pki \"%s\" has no certificate", name);
		return -1;
	}
	if (pki->key_file == NULL) {
		parse_err(p, "pki \"%s\" has no key", name);
		return -1;
	}
	*out = pki;
	return 0;
}

static int
parse_pki_used(struct config *conf, struct pki *pki)
{
	struct listener *l;
	struct action *a;
	size_t i;

	TAILQ_FOREACH(l, &conf->listeners, entry)
		for (i = 0; i < l->npki; i++)
			if (l->pki[i] == pki)
				return 1;
	TAILQ_FOREACH(a, &conf->actions, entry)
		if (a->pki == pki)
			return 1;
	return 0;
}

/* At the end: an unused pki must still be complete. */
void
parse_pki_check(struct parse *p)
{
	struct pki *pki;

	TAILQ_FOREACH(pki, &p->conf->pkis, entry) {
		if (parse_pki_used(p->conf, pki))
			continue;
		if (pki->cert_file == NULL)
			parse_err_at(p, pki->file, pki->line,
			    "pki \"%s\" has no certificate", pki->name);
		else if (pki->key_file == NULL)
			parse_err_at(p, pki->file, pki->line,
			    "pki \"%s\" has no key", pki->name);
	}
}

/* ca NAME cert PATH */
int
parse_ca_decl(struct parse *p)
{
	char name[CONFIG_HOSTNAME_MAX];
	struct ca *ca;
	char *path;

	if (parse_value_buf(p, "a ca name", name, sizeof(name)) == -1)
		return -1;
	if (!parse_accept_kw(p, "cert"))
		return parse_expected(p, "\"cert\" after the ca name");
	if (parse_value(p, "a file name", &path) == -1)
		return -1;
	if (path[0] == '\0' || strlen(path) >= CONFIG_PATH_MAX) {
		parse_err(p, "ca \"%s\": invalid certificate file name", name);
		free(path);
		return -1;
	}
	if (parse_names_get(&p->names, PARSE_NS_CA, name) != NULL) {
		parse_err(p, "ca \"%s\" already defined", name);
		free(path);
		return -1;
	}
	ca = xcalloc(1, sizeof(*ca));
	memcpy(ca->name, name, strlen(name) + 1);
	ca->cert_file = path;
	ca->file = p->dir_file;
	ca->line = p->dir_line;
	TAILQ_INSERT_TAIL(&p->conf->cas, ca, entry);
	parse_names_put(&p->names, PARSE_NS_CA, ca->name, ca);
	return 0;
}

/* A ca NAME declared earlier. */
int
parse_ca_ref(struct parse *p, struct ca **out)
{
	char name[CONFIG_HOSTNAME_MAX];

	if (parse_value_buf(p, "a ca name", name, sizeof(name)) == -1)
		return -1;
	if ((*out = parse_names_get(&p->names, PARSE_NS_CA, name)) == NULL) {
		parse_err(p, "ca \"%s\" not defined", name);
		return -1;
	}
	return 0;
}

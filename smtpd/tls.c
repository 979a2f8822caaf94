/*
 * tls.c: GnuTLS server credentials of the smtp role (config.md §3, §4.1).
 * tls_init() reads every `pki` a listener names, while the role still has
 * its privileges (smtp.c's init hook, before the chroot and the drop; the
 * parent calls it too, to refuse a bad key before anything starts), and
 * keeps one credentials object per pki. tls_session_new() makes a server
 * session for an accepted connection; the certificate is chosen after the
 * ClientHello: the pki named like the SNI name, else the first whose
 * certificate matches it (wildcards included), else the listener's first.
 * Must never read a file after tls_init, nor log key material.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/tls.h"

struct tls_pki {
	const struct pki		*conf;
	gnutls_certificate_credentials_t cred;
	gnutls_x509_crt_t		 leaf;	/* SNI name matching */
};

/* The smtp role's credentials; set once by tls_init. */
static struct tls_pki	*tls_pkis;
static size_t		 tls_npkis;
static gnutls_priority_t tls_prio;

static int	tls_read_file(const char *, int, gnutls_datum_t *, char *,
		    size_t);
static int	tls_load(struct tls_pki *, char *, size_t);
static struct tls_pki *tls_pki_find(const struct pki *);
static int	tls_client_hello(gnutls_session_t);

/*
 * The whole file into memory. A key must be a regular file not readable
 * by others (config.md §3: group-readable is a warning, world-readable an
 * error).
 */
static int
tls_read_file(const char *path, int is_key, gnutls_datum_t *out, char *err,
    size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	out->data = NULL;
	out->size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size <= 0 || st.st_size > TLS_FILE_MAX) {
		snprintf(err, errlen, "%s: empty or larger than %d bytes", path,
		    TLS_FILE_MAX);
		goto fail;
	}
	if (is_key && (st.st_mode & S_IROTH)) {
		snprintf(err, errlen, "%s: key file is world-readable", path);
		goto fail;
	}
	if (is_key && (st.st_mode & S_IRGRP))
		log_warnx("pki key=%s event=warning reason=group-readable",
		    path);
	out->data = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, out->data + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", path,
			    n == 0 ? "short read" : strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	out->data[len] = '\0';
	out->size = (unsigned int)len;
	close(fd);
	return 0;
fail:
	if (out->data) {
		explicit_bzero(out->data, (size_t)st.st_size + 1);
		free(out->data);
		out->data = NULL;
	}
	close(fd);
	return -1;
}

/* One pki's certificate chain and key into its own credentials. */
static int
tls_load(struct tls_pki *tp, char *err, size_t errlen)
{
	const struct pki *pki = tp->conf;
	gnutls_datum_t cert, key;
	char file_err[CONFIG_PATH_MAX + 128];
	time_t expires;
	int rc;

	if (tls_read_file(pki->cert_file, 0, &cert, file_err,
	    sizeof(file_err)) == -1) {
		snprintf(err, errlen, "pki %s: certificate %s", pki->name,
		    file_err);
		return -1;
	}
	if (tls_read_file(pki->key_file, 1, &key, file_err,
	    sizeof(file_err)) == -1) {
		snprintf(err, errlen, "pki %s: key %s", pki->name, file_err);
		free(cert.data);
		return -1;
	}
	rc = gnutls_certificate_allocate_credentials(&tp->cred);
	if (rc == 0)
		rc = gnutls_certificate_set_x509_key_mem2(tp->cred, &cert, &key,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
	explicit_bzero(key.data, key.size);
	free(key.data);
	if (rc < 0) {
		snprintf(err, errlen, "pki %s: cannot load %s and %s: %s",
		    pki->name, pki->cert_file, pki->key_file,
		    gnutls_strerror(rc));
		free(cert.data);
		return -1;
	}
	/* The leaf (first certificate of the file) for SNI matching. */
	rc = gnutls_x509_crt_init(&tp->leaf);
	if (rc == 0)
		rc = gnutls_x509_crt_import(tp->leaf, &cert,
		    GNUTLS_X509_FMT_PEM);
	free(cert.data);
	if (rc < 0) {
		snprintf(err, errlen, "pki %s: %s: %s", pki->name,
		    pki->cert_file, gnutls_strerror(rc));
		return -1;
	}
	expires = gnutls_x509_crt_get_expiration_time(tp->leaf);
	if (expires != (time_t)-1 && expires < time(NULL))
		log_warnx("pki=%s cert=%s event=warning reason=expired",
		    pki->name, pki->cert_file);
	log_debug("pki=%s cert=%s event=loaded", pki->name, pki->cert_file);
	return 0;
}

static struct tls_pki *
tls_pki_find(const struct pki *pki)
{
	size_t i;

	for (i = 0; i < tls_npkis; i++)
		if (tls_pkis[i].conf == pki)
			return &tls_pkis[i];
	return NULL;
}

int
tls_init(const struct config *conf, char *err, size_t errlen)
{
	const struct listener *l;
	const char *prio, *errpos = NULL;
	size_t i, n = 0;
	int rc;

	tls_free();
	TAILQ_FOREACH(l, &conf->listeners, entry)
		n += l->npki;
	if (n == 0)
		return 0;
	tls_pkis = xcalloc(n, sizeof(*tls_pkis));
	TAILQ_FOREACH(l, &conf->listeners, entry)
		for (i = 0; i < l->npki; i++) {
			if (tls_pki_find(l->pki[i]) != NULL)
				continue;
			tls_pkis[tls_npkis].conf = l->pki[i];
			if (tls_load(&tls_pkis[tls_npkis++], err, errlen) == -1)
				goto fail;
		}
	prio = conf->smtp_ciphers[0] ? conf->smtp_ciphers :
	    TLS_PRIORITY_DEFAULT;
	if ((rc = gnutls_priority_init(&tls_prio, prio, &errpos)) < 0) {
		tls_prio = NULL;
		snprintf(err, errlen, "smtp ciphers \"%s\": %s%s%.32s",
		    prio, gnutls_strerror(rc), errpos ? " at " : "",
		    errpos ? errpos : "");
		goto fail;
	}
	return 0;
fail:
	tls_free();
	return -1;
}

void
tls_free(void)
{
	size_t i;

	for (i = 0; i < tls_npkis; i++) {
		if (tls_pkis[i].leaf)
			gnutls_x509_crt_deinit(tls_pkis[i].leaf);
		if (tls_pkis[i].cred)
			gnutls_certificate_free_credentials(tls_pkis[i].cred);
	}
	free(tls_pkis);
	tls_pkis = NULL;
	tls_npkis = 0;
	if (tls_prio)
		gnutls_priority_deinit(tls_prio);
	tls_prio = NULL;
}

/*
 * After the ClientHello: the certificate for the SNI name, if the client
 * sent one (RFC 6066 §3). An unknown name gets the listener's first pki
 * rather than a failed handshake: SMTP clients rarely check names anyway.
 */
static int
tls_client_hello(gnutls_session_t gs)
{
	const struct listener *l = gnutls_session_get_ptr(gs);
	struct tls_pki *tp, *pick = NULL;
	char name[TLS_NAME_MAX];
	size_t len = sizeof(name) - 1, i;
	unsigned int type;

	if (l == NULL || l->npki == 0)
		return 0;
	memset(name, 0, sizeof(name));
	if (gnutls_server_name_get(gs, name, &len, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS || len == 0)
		return 0;
	name[sizeof(name) - 1] = '\0';
	for (i = 0; i < l->npki && pick == NULL; i++)
		if (strcasecmp(l->pki[i]->name, name) == 0)
			pick = tls_pki_find(l->pki[i]);
	for (i = 0; i < l->npki && pick == NULL; i++) {
		tp = tls_pki_find(l->pki[i]);
		if (tp && tp->leaf &&
		    gnutls_x509_crt_check_hostname2(tp->leaf, name, 0))
			pick = tp;
	}
	if (pick == NULL || pick == tls_pki_find(l->pki[0]))
		return 0;
	if (gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE, pick->cred) < 0)
		return GNUTLS_E_INTERNAL_ERROR;
	return 0;
}

gnutls_session_t
tls_session_new(const struct listener *l, int fd)
{
	gnutls_session_t gs;
	struct tls_pki *tp;

	if (l->npki == 0 || tls_prio == NULL ||
	    (tp = tls_pki_find(l->pki[0])) == NULL)
		return NULL;
	if (gnutls_init(&gs, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0)
		return NULL;
	if (gnutls_priority_set(gs, tls_prio) < 0 ||
	    gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE, tp->cred) < 0) {
		gnutls_deinit(gs);
		return NULL;
	}
	gnutls_certificate_server_set_request(gs, GNUTLS_CERT_IGNORE);
	/* The listener is const config, never written through this. */
	gnutls_session_set_ptr(gs, (void *)(uintptr_t)l);
	gnutls_handshake_set_post_client_hello_function(gs, tls_client_hello);
	gnutls_transport_set_int(gs, fd);
	return gs;
}

/* The pki whose certificate the session uses. */
const char *
tls_session_pki(gnutls_session_t gs)
{
	const struct listener *l = gnutls_session_get_ptr(gs);
	const gnutls_datum_t *ours;
	gnutls_datum_t raw;
	size_t i;

	if (l == NULL || l->npki == 0)
		return "-";
	if ((ours = gnutls_certificate_get_ours(gs)) == NULL)
		return l->pki[0]->name;
	for (i = 0; i < tls_npkis; i++) {
		if (gnutls_certificate_get_crt_raw(tls_pkis[i].cred, 0, 0,
		    &raw) < 0)
			continue;
		if (raw.size == ours->size &&
		    memcmp(raw.data, ours->data, raw.size) == 0)
			return tls_pkis[i].conf->name;
	}
	return l->pki[0]->name;
}

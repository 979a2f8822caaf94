/*
 * relay_tls.c: the relay role's TLS client credentials (relay_tls.h).
 * Called by the role at init, privileged and before the chroot; never
 * on a session's path. Key material stays inside GnuTLS.
 */
#include <stdio.h>

#include <gnutls/gnutls.h>

#include "deliver/relay_tls.h"

static int	relay_tls_fail(gnutls_certificate_credentials_t, char *, size_t,
		    const char *, const char *, int);

static int
relay_tls_fail(gnutls_certificate_credentials_t c, char *err, size_t len,
    const char *what, const char *file, int rc)
{
	snprintf(err, len, "%s%s%s: %s", what, file ? " " : "",
	    file ? file : "", gnutls_strerror(rc));
	gnutls_certificate_free_credentials(c);
	return -1;
}

int
relay_tls_cred(gnutls_certificate_credentials_t *cred, const char *cafile,
    const char *certfile, const char *keyfile, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t c;
	int rc;

	*cred = NULL;
	if ((rc = gnutls_certificate_allocate_credentials(&c)) < 0) {
		snprintf(err, errlen, "credentials: %s", gnutls_strerror(rc));
		return -1;
	}
	/* A negative count: no system store; zero certificates: none. */
	if ((rc = gnutls_certificate_set_x509_system_trust(c)) < 0 &&
	    rc != GNUTLS_E_UNIMPLEMENTED_FEATURE)
		return relay_tls_fail(c, err, errlen, "system trust store",
		    NULL, rc);
	if (cafile != NULL && (rc = gnutls_certificate_set_x509_trust_file(c,
	    cafile, GNUTLS_X509_FMT_PEM)) <= 0)
		return relay_tls_fail(c, err, errlen, "CA file", cafile,
		    rc == 0 ? GNUTLS_E_NO_CERTIFICATE_FOUND : rc);
	if ((certfile == NULL) != (keyfile == NULL)) {
		snprintf(err, errlen, "a client certificate needs its key");
		gnutls_certificate_free_credentials(c);
		return -1;
	}
	if (certfile != NULL && (rc = gnutls_certificate_set_x509_key_file(c,
	    certfile, keyfile, GNUTLS_X509_FMT_PEM)) < 0)
		return relay_tls_fail(c, err, errlen, "client certificate",
		    certfile, rc);
	*cred = c;
	return 0;
}

void
relay_tls_cred_free(gnutls_certificate_credentials_t c)
{
	if (c != NULL)
		gnutls_certificate_free_credentials(c);
}

int
relay_tls_check(const struct config *conf, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t c;
	const struct action *a;
	char why[512];

	TAILQ_FOREACH(a, &conf->actions, entry) {
		if (a->method != ACTION_RELAY || (a->ca == NULL &&
		    a->pki == NULL))
			continue;
		if (relay_tls_cred(&c, a->ca != NULL ? a->ca->cert_file : NULL,
		    a->pki != NULL ? a->pki->cert_file : NULL,
		    a->pki != NULL ? a->pki->key_file : NULL, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "action \"%s\": %s", a->name, why);
			return -1;
		}
		relay_tls_cred_free(c);
	}
	return 0;
}

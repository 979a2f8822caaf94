/*
 * relay_tls.h: the relay role's TLS client credentials (protocol.md B.3):
 * the system trust store, an optional extra CA file, an optional client
 * certificate and key. Built by the role's init hook, before the chroot
 * (the files are not reachable afterwards), and handed to every session
 * in relay_sess_conf.cred.
 */
#ifndef DELIVER_RELAY_TLS_H
#define DELIVER_RELAY_TLS_H

#include <stddef.h>

#include <gnutls/gnutls.h>

#include "smtpd/config.h"

/*
 * cafile, certfile and keyfile may be NULL. 0 with *cred set, or -1 with
 * the reason in err. An empty system trust store is not an error (a
 * verified session then fails with 4.7.5).
 */
int	relay_tls_cred(gnutls_certificate_credentials_t *, const char *cafile,
	    const char *certfile, const char *keyfile, char *err, size_t);
void	relay_tls_cred_free(gnutls_certificate_credentials_t);
/*
 * The parent at start-up: every relay action's `ca` and `pki` loaded
 * once and dropped, so a bad file stops smtpd on the terminal, before
 * the relay role would. -1 with "action NAME: why" in err.
 */
int	relay_tls_check(const struct config *, char *err, size_t);

#endif

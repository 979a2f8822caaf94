/*
 * tls.h: the smtp role's GnuTLS server credentials: one certificate and
 * key per `pki` a listener names, the priority string (`smtp ciphers`, or
 * TLS_PRIORITY_DEFAULT), and new server sessions whose certificate is
 * chosen by the client's SNI name. session_tls.c drives the sessions.
 */
#ifndef SMTPD_TLS_H
#define SMTPD_TLS_H

#include <gnutls/gnutls.h>

#include "smtpd/config.h"

/*
 * TLS 1.2 and 1.3 only, 128-bit security or more, our order first. The
 * key exchange offers X25519 first: it is what clients send a key share
 * for, so no HelloRetryRequest round trip (make bench, the tls row).
 */
#define TLS_PRIORITY_DEFAULT \
	"SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" \
	"+GROUP-X448:%SERVER_PRECEDENCE"
#define TLS_FILE_MAX		(1024 * 1024)	/* a certificate chain, a key */
#define TLS_NAME_MAX		256	/* an SNI name incl. NUL */

/*
 * Read every certificate and key used by a listener, build the
 * credentials and the priority cache. Privileged: called before the role
 * drops privileges and chroots (and by the parent to check them before it
 * starts anything). 0, or -1 with the reason in err.
 */
int	tls_init(const struct config *, char *err, size_t errlen);
void	tls_free(void);

/*
 * A server session for a listener with TLS, transport fd, non-blocking;
 * NULL if none could be made (the caller answers 454 or closes).
 */
gnutls_session_t tls_session_new(const struct listener *, int fd);

/* The pki chosen for the session (by SNI), for the logs. */
const char *tls_session_pki(gnutls_session_t);

#endif

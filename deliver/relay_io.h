/*
 * relay_io.h: the transport of one relay client session (relay_sess*.c):
 * a non-blocking stream socket (TCP v4/v6 or UNIX-domain), optionally
 * wrapped in a GnuTLS client session; buffered output, a bounded input
 * buffer. Never blocks, never waits: the session's libev watchers call
 * in when the socket is ready, and the result says what to wait for.
 */
#ifndef DELIVER_RELAY_IO_H
#define DELIVER_RELAY_IO_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "lib/buf.h"

#define RELAY_IO_IN_SIZE	(16 * 1024)	/* unparsed input kept */
#define RELAY_IO_ERR_MAX	256		/* why the last call failed */

enum relay_io_result {
	RELAY_IO_OK,		/* progress (read: bytes in ->in) */
	RELAY_IO_AGAIN,		/* wait: relay_io_wants_write() says how */
	RELAY_IO_EOF,		/* the peer closed */
	RELAY_IO_FULL,		/* read: the input buffer is full */
	RELAY_IO_ERROR,		/* ->err says why */
};

struct relay_io {
	int			 fd;
	gnutls_session_t	 gs;		/* NULL: plaintext */
	int			 tls;		/* handshake done */
	int			 failed;	/* no close_notify */
	int			 want_write;	/* GnuTLS waits to write */
	int			 secret;	/* ->out holds a secret */
	size_t			 wlen;		/* TLS record to repeat */
	uint8_t			 in[RELAY_IO_IN_SIZE];
	size_t			 inlen;
	struct buf		 out;
	char			 err[RELAY_IO_ERR_MAX];
};

void	relay_io_init(struct relay_io *);
int	relay_io_connect(struct relay_io *, const struct sockaddr *,
	    socklen_t);
int	relay_io_connected(struct relay_io *);
int	relay_io_read(struct relay_io *);
int	relay_io_flush(struct relay_io *);
void	relay_io_consume(struct relay_io *, size_t);
void	relay_io_discard(struct relay_io *);
int	relay_io_tls_init(struct relay_io *, gnutls_certificate_credentials_t,
	    const char *, int);
int	relay_io_handshake(struct relay_io *);
int	relay_io_pending(const struct relay_io *);
int	relay_io_wants_write(const struct relay_io *);
void	relay_io_close(struct relay_io *);

#endif

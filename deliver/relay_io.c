/*
 * relay_io.c: the transport of a relay client session (relay_io.h). The
 * socket is non-blocking from the start; every call does what the
 * socket allows now and says what to wait for. Plaintext goes through
 * send(MSG_NOSIGNAL)/read, TLS through GnuTLS records once the handshake
 * is done. A secret written (AUTH) is wiped from the output buffer as
 * soon as it has gone. Bad bytes from the peer are the parser's problem
 * (lmtp_reply.c); a failure here is text in ->err, never an abort.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "deliver/relay_io.h"

#define RELAY_IO_LOOPS		64	/* non-fatal GnuTLS results a call */
#define RELAY_IO_RECORD_MAX	16384	/* plaintext bytes per record */

static int	relay_io_fail(struct relay_io *, const char *, const char *);
static int	relay_io_tls_fail(struct relay_io *, const char *, int);
static ssize_t	relay_io_send(struct relay_io *, const uint8_t *, size_t);
static int	relay_io_is_addr(const char *);

void
relay_io_init(struct relay_io *io)
{
	memset(io, 0, sizeof(*io));
	io->fd = -1;
	buf_init(&io->out);
}

static int
relay_io_fail(struct relay_io *io, const char *what, const char *why)
{
	snprintf(io->err, sizeof(io->err), "%s: %s", what, why);
	return RELAY_IO_ERROR;
}

static int
relay_io_tls_fail(struct relay_io *io, const char *what, int rc)
{
	io->failed = 1;
	return relay_io_fail(io, what, gnutls_strerror(rc));
}

/* RELAY_IO_OK connected, RELAY_IO_AGAIN in progress (wait to write). */
int
relay_io_connect(struct relay_io *io, const struct sockaddr *sa,
    socklen_t salen)
{
	int fd;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return relay_io_fail(io, "socket", strerror(errno));
	io->fd = fd;
	if (connect(fd, sa, salen) == 0)
		return RELAY_IO_OK;
	if (errno == EINPROGRESS || errno == EINTR)
		return RELAY_IO_AGAIN;
	return relay_io_fail(io, "connect", strerror(errno));
}

/* After the socket became writable: did the connect succeed? */
int
relay_io_connected(struct relay_io *io)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0)
		return relay_io_fail(io, "connect", strerror(err));
	return RELAY_IO_OK;
}

/* Appends what can be read now to ->in. */
int
relay_io_read(struct relay_io *io)
{
	size_t room = sizeof(io->in) - io->inlen;
	ssize_t n;
	int loops = 0;

	if (room == 0)
		return RELAY_IO_FULL;
	if (io->gs == NULL || !io->tls) {
		n = read(io->fd, io->in + io->inlen, room);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return RELAY_IO_AGAIN;
		if (n == -1)
			return relay_io_fail(io, "read", strerror(errno));
		if (n == 0)
			return RELAY_IO_EOF;
		io->inlen += (size_t)n;
		return RELAY_IO_OK;
	}
	for (;;) {
		n = gnutls_record_recv(io->gs, io->in + io->inlen, room);
		if (n > 0) {
			io->inlen += (size_t)n;
			return RELAY_IO_OK;
		}
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION)
			return RELAY_IO_EOF;
		if (n == GNUTLS_E_AGAIN) {
			io->want_write = gnutls_record_get_direction(io->gs);
			return RELAY_IO_AGAIN;
		}
		if (n == GNUTLS_E_INTERRUPTED || (!gnutls_error_is_fatal((int)n)
		    && n != GNUTLS_E_REHANDSHAKE && ++loops < RELAY_IO_LOOPS))
			continue;
		return relay_io_tls_fail(io, "TLS read", (int)n);
	}
}

/* One write of buf[0..len): write(2) semantics, EAGAIN as 0 with errno. */
static ssize_t
relay_io_send(struct relay_io *io, const uint8_t *p, size_t len)
{
	ssize_t n;
	size_t want;

	if (io->gs == NULL || !io->tls)
		return send(io->fd, p, len, MSG_NOSIGNAL);
	/* GnuTLS wants an interrupted record offered again, the same. */
	want = io->wlen ? io->wlen : len < RELAY_IO_RECORD_MAX ? len :
	    RELAY_IO_RECORD_MAX;
	for (;;) {
		n = gnutls_record_send(io->gs, p, want);
		if (n >= 0) {
			io->wlen = 0;
			return n;
		}
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN) {
			io->wlen = want;
			errno = EAGAIN;
			return -1;
		}
		relay_io_tls_fail(io, "TLS write", (int)n);
		errno = EPROTO;
		return -1;
	}
}

/* Writes ->out: RELAY_IO_OK when all of it is gone. */
int
relay_io_flush(struct relay_io *io)
{
	ssize_t n;

	while (buf_avail(&io->out) > 0) {
		n = relay_io_send(io, buf_head(&io->out), buf_avail(&io->out));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return RELAY_IO_AGAIN;
		if (n == -1 && errno == EPROTO)
			return RELAY_IO_ERROR;
		if (n == -1)
			return relay_io_fail(io, "write", strerror(errno));
		buf_consume(&io->out, (size_t)n);
	}
	if (io->secret) {
		explicit_bzero(io->out.data, io->out.cap);
		io->secret = 0;
	}
	buf_reset(&io->out);
	return RELAY_IO_OK;
}

void
relay_io_consume(struct relay_io *io, size_t n)
{
	if (n >= io->inlen) {
		io->inlen = 0;
		return;
	}
	memmove(io->in, io->in + n, io->inlen - n);
	io->inlen -= n;
}

/* Forgets every byte received and not parsed (after STARTTLS). */
void
relay_io_discard(struct relay_io *io)
{
	io->inlen = 0;
}

/* "192.0.2.1" or "2001:db8::1": no SNI for those (RFC 6066 §3). */
static int
relay_io_is_addr(const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, name, &a4) == 1 ||
	    inet_pton(AF_INET6, name, &a6) == 1;
}

/*
 * A client TLS session on the socket: SNI servername when it is a name;
 * with verify, the chain checked against cred's trust store and the
 * certificate against servername, during the handshake.
 */
int
relay_io_tls_init(struct relay_io *io, gnutls_certificate_credentials_t cred,
    const char *servername, int verify)
{
	int rc;

	if ((rc = gnutls_init(&io->gs, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0) {
		io->gs = NULL;
		return relay_io_tls_fail(io, "TLS init", rc);
	}
	if ((rc = gnutls_set_default_priority(io->gs)) < 0 ||
	    (rc = gnutls_credentials_set(io->gs, GNUTLS_CRD_CERTIFICATE,
	    cred)) < 0)
		return relay_io_tls_fail(io, "TLS init", rc);
	if (servername != NULL && *servername != '\0' &&
	    !relay_io_is_addr(servername) && (rc = gnutls_server_name_set(
	    io->gs, GNUTLS_NAME_DNS, servername, strlen(servername))) < 0)
		return relay_io_tls_fail(io, "TLS SNI", rc);
	if (verify)
		gnutls_session_set_verify_cert(io->gs, servername != NULL &&
		    *servername != '\0' ? servername : NULL, 0);
	gnutls_handshake_set_timeout(io->gs, GNUTLS_INDEFINITE_TIMEOUT);
	gnutls_transport_set_int(io->gs, io->fd);
	return RELAY_IO_OK;
}

int
relay_io_handshake(struct relay_io *io)
{
	gnutls_datum_t txt;
	unsigned int status;
	int rc, loops = 0;

	do {
		rc = gnutls_handshake(io->gs);
	} while (rc < 0 && rc != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(rc) &&
	    ++loops < RELAY_IO_LOOPS);
	if (rc == GNUTLS_E_AGAIN) {
		io->want_write = gnutls_record_get_direction(io->gs);
		return RELAY_IO_AGAIN;
	}
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		io->failed = 1;
		status = gnutls_session_get_verify_cert_status(io->gs);
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &txt, 0) < 0)
			return relay_io_tls_fail(io, "TLS handshake", rc);
		relay_io_fail(io, "certificate verification failed",
		    (const char *)txt.data);
		gnutls_free(txt.data);
		return RELAY_IO_ERROR;
	}
	if (rc < 0)
		return relay_io_tls_fail(io, "TLS handshake", rc);
	io->tls = 1;
	return RELAY_IO_OK;
}

/* Decrypted bytes GnuTLS holds beyond what was read. */
int
relay_io_pending(const struct relay_io *io)
{
	return io->gs != NULL && io->tls &&
	    gnutls_record_check_pending(io->gs) > 0;
}

int
relay_io_wants_write(const struct relay_io *io)
{
	return io->want_write;
}

/* close_notify if it can go at once, then everything freed. */
void
relay_io_close(struct relay_io *io)
{
	if (io->gs != NULL) {
		if (io->tls && !io->failed && io->fd != -1)
			(void)gnutls_bye(io->gs, GNUTLS_SHUT_WR);
		gnutls_deinit(io->gs);
		io->gs = NULL;
	}
	if (io->fd != -1)
		close(io->fd);
	io->fd = -1;
	io->tls = 0;
	explicit_bzero(io->in, sizeof(io->in));
	io->inlen = 0;
	if (io->out.data != NULL)
		explicit_bzero(io->out.data, io->out.cap);
	buf_free(&io->out);
}

/*
 * base64.h: strict base64 (RFC 4648 section 4, the standard alphabet with
 * padding) for SASL exchanges (auth/sasl.c). Decoding accepts only the
 * canonical form: a length that is a multiple of 4, padding only at the
 * end, no whitespace, and zero bits where the padding leaves some over,
 * so one byte string has exactly one accepted encoding. Pure functions,
 * no allocation; called by auth/sasl.c, the tests and the fuzz harness.
 */
#ifndef AUTH_BASE64_H
#define AUTH_BASE64_H

#include <stddef.h>

/* Room needed to decode len base64 characters, or encode len bytes. */
#define AUTH_B64_DECODED_MAX(len)	((len) / 4 * 3)
#define AUTH_B64_ENCODED_LEN(len)	(((len) + 2) / 3 * 4)

/*
 * Decodes src[0..len) into dst (dstsz bytes); the decoded length in
 * *outlen. -1 if src is not canonical base64 or does not fit (dst may
 * then hold a partial result, which the caller wipes).
 */
int	auth_b64_decode(const char *src, size_t len, unsigned char *dst,
	    size_t dstsz, size_t *outlen);
/*
 * Encodes src[0..len) into dst with a terminating NUL; -1 if dstsz is
 * smaller than AUTH_B64_ENCODED_LEN(len) + 1.
 */
int	auth_b64_encode(const unsigned char *src, size_t len, char *dst,
	    size_t dstsz);

#endif

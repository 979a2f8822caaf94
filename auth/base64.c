/*
 * base64.c: strict RFC 4648 base64 (see base64.h). Called by auth/sasl.c
 * on bytes straight from the network: never reads outside src, never
 * writes outside dst, never allocates.
 */
#include <stdint.h>

#include "auth/base64.h"

static const char auth_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int	auth_b64_value(unsigned char);

/* The 6-bit value of an alphabet character, -1 for anything else. */
static int
auth_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
auth_b64_decode(const char *src, size_t len, unsigned char *dst,
    size_t dstsz, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i, o = 0, npad, k;
	uint32_t v;
	int d[4], j;

	*outlen = 0;
	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		npad = 0;
		if (i + 4 == len) {
			if (s[i + 3] == '=')
				npad = s[i + 2] == '=' ? 2 : 1;
		}
		for (j = 0; j < 4; j++) {
			if ((size_t)j >= 4 - npad) {
				d[j] = 0;
				continue;
			}
			if ((d[j] = auth_b64_value(s[i + j])) == -1)
				return -1;
		}
		v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 |
		    (uint32_t)d[2] << 6 | (uint32_t)d[3];
		/* canonical: the bits the padding drops are zero */
		if ((npad == 1 && (v & 0xff) != 0) ||
		    (npad == 2 && (v & 0xffff) != 0))
			return -1;
		k = 3 - npad;
		if (dstsz - o < k)
			return -1;
		dst[o++] = (unsigned char)(v >> 16);
		if (k > 1)
			dst[o++] = (unsigned char)(v >> 8);
		if (k > 2)
			dst[o++] = (unsigned char)v;
	}
	*outlen = o;
	return 0;
}

int
auth_b64_encode(const unsigned char *src, size_t len, char *dst,
    size_t dstsz)
{
	size_t i, o = 0;
	uint32_t v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2 ||
	    dstsz < AUTH_B64_ENCODED_LEN(len) + 1)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		dst[o++] = auth_b64_alphabet[v >> 18];
		dst[o++] = auth_b64_alphabet[(v >> 12) & 0x3f];
		dst[o++] = auth_b64_alphabet[(v >> 6) & 0x3f];
		dst[o++] = auth_b64_alphabet[v & 0x3f];
	}
	if (i < len) {
		v = (uint32_t)src[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)src[i + 1] << 8;
		dst[o++] = auth_b64_alphabet[v >> 18];
		dst[o++] = auth_b64_alphabet[(v >> 12) & 0x3f];
		dst[o++] = i + 1 < len ? auth_b64_alphabet[(v >> 6) & 0x3f] :
		    '=';
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return 0;
}

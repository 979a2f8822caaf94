/*
 * utf8.c: strict UTF-8 decoding and validation (RFC 3629 §4).
 * Rejects overlong forms, surrogates (U+D800..U+DFFF), code points above
 * U+10FFFF and truncated sequences; utf8_valid() also rejects NUL.
 * Called by the SMTP engine for command lines and by addr.c for addresses.
 * Must never read past the length given: its input is network text that is
 * not NUL-terminated.
 */
#include "lib/utf8.h"

/*
 * Decodes the sequence at the start of s (len octets available). Returns
 * its length (1 to UTF8_SEQ_MAX) and stores the code point in *cp, or
 * returns 0 if s does not start with a well-formed sequence (or len is 0).
 * NUL decodes as a valid one-octet sequence; utf8_valid() refuses it.
 */
size_t
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;
	uint32_t c;

	if (len == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	/* Lead octet: sequence length and the range of the second octet. */
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		c = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (u[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		c = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (u[0] == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else
		return 0;	/* continuation octet, C0, C1, F5..FF */

	if (len < n)
		return 0;
	if (u[1] < lo || u[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	*cp = c;
	return n;
}

/*
 * Returns 1 if s[0..len) is entirely well-formed UTF-8 without NUL,
 * else 0. The empty string is valid.
 */
int
utf8_valid(const char *s, size_t len)
{
	uint32_t cp;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		if ((unsigned char)s[i] < 0x80) {
			if (s[i] == '\0')
				return 0;
			n = 1;
			continue;
		}
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return 0;
	}
	return 1;
}

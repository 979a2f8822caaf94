/*
 * dsn_text.c: text helpers of the DSN writer (dsn_text.h): untrusted
 * text cleaned to one line, names reduced to a safe token set, and
 * addresses written for address-type fields (RFC 6533 utf-8-addr-xtext).
 * Called by queue/dsn.c only.
 *
 * Must never: allocate, write past dstlen, cut inside a UTF-8 character
 * or an escape, or let a control character through.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/utf8.h"
#include "queue/dsn_text.h"

#define DSN_ESC_SIZE		12	/* "\x{10FFFF}" */

/*
 * Copies untrusted text into dst (dstlen >= 1) as one line: control
 * characters (CR, LF, TAB...) become spaces, runs of spaces collapse,
 * leading and trailing spaces go; a non-ASCII character becomes '?', or
 * stays when utf8 is set and it is well-formed. Truncates to dstlen - 1
 * octets, never inside a character.
 */
void
dsn_text_clean(char *dst, size_t dstlen, const char *src, int utf8)
{
	size_t i = 0, o = 0, n, len, max = dstlen - 1;
	uint32_t cp = 0;
	int space = 0;

	len = src != NULL ? strlen(src) : 0;
	while (i < len) {
		unsigned char c = (unsigned char)src[i];

		n = 1;
		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = 1;
			i++;
			continue;
		}
		if (c >= 0x80 && (n = utf8_decode(src + i, len - i, &cp)) == 0)
			n = 1;
		if (space && o > 0 && o < max)
			dst[o++] = ' ';
		space = 0;
		if (c >= 0x80 && !(utf8 && n > 1)) {
			/* not kept: one '?' per character */
			if (o + 1 > max)
				break;
			dst[o++] = '?';
		} else {
			if (o + n > max)
				break;
			memcpy(dst + o, src + i, n);
			o += n;
		}
		i += n;
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* A name for a header or boundary: letters, digits and extra; others '_'. */
void
dsn_text_token(char *dst, size_t dstlen, const char *src,
    const char *extra)
{
	size_t i;
	unsigned char c;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstlen; i++) {
		c = (unsigned char)src[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(extra, c) != NULL)
			dst[i] = (char)c;
		else
			dst[i] = '_';
	}
	dst[i] = '\0';
}

/*
 * Writes an address for an address-type field into dst and returns its
 * type. ASCII: "rfc822", controls become '?'. Non-ASCII, or utf8 set:
 * "utf-8" in RFC 6533 utf-8-addr-xtext form, every character outside
 * QCHAR written \x{HEX} (uppercase, no leading zeros beyond two digits),
 * a malformed octet as '?'. Truncated, never inside an escape, to fit.
 */
const char *
dsn_text_addr(char *dst, size_t dstlen, const char *addr, int utf8)
{
	char esc[DSN_ESC_SIZE];
	size_t i, o = 0, n, k, len;
	uint32_t cp;
	unsigned char c;

	len = strlen(addr);
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] >= 0x80)
			utf8 = 1;
	for (i = 0; i < len; i += n) {
		c = (unsigned char)addr[i];
		n = 1;
		cp = c;
		if (c >= 0x80 && (n = utf8_decode(addr + i, len - i, &cp)) == 0) {
			n = 1;
			cp = '?';
		}
		if (!utf8)
			k = (size_t)snprintf(esc, sizeof(esc), "%c",
			    c < 0x20 || c == 0x7f ? '?' : c);
		else if (cp > 0x20 && cp < 0x7f && cp != '+' && cp != ';' &&
		    cp != '=' && cp != '\\')
			k = (size_t)snprintf(esc, sizeof(esc), "%c", (char)cp);
		else
			k = (size_t)snprintf(esc, sizeof(esc), "\\x{%02X}",
			    (unsigned int)cp);
		if (o + k >= dstlen)
			break;
		memcpy(dst + o, esc, k);
		o += k;
	}
	dst[o] = '\0';
	return utf8 ? "utf-8" : "rfc822";
}

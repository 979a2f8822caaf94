/*
 * addr_domain.c: the domain half of the address parser (addr.c): LDH
 * labels, address literals (inet_pton(3)), U-labels checked and converted
 * to A-labels with libidn2 (IDNA2008, UTS #46 mapping, NFC), and the
 * lookup form of a domain (protocol.md A.12). Called by addr.c and, for
 * addr_domain_to_ascii(), by whoever compares or looks up domains.
 * Must never abort on bad input nor read past the length given.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <idn2.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/addr_domain.h"
#include "lib/log.h"
#include "lib/utf8.h"

#define ADDR_ACE		"xn--"
#define ADDR_ACE_LEN		4
/* Longest text form of an address inside a literal, plus NUL. */
#define ADDR_IPTEXT_SIZE	INET6_ADDRSTRLEN

static int	addr_domain_ldh(unsigned char);
static enum addr_result addr_domain_literal(const char *, size_t);
static enum addr_result addr_domain_alabel(const char *, size_t, char *,
		    size_t);
static enum addr_result addr_domain_ascii(const char *, size_t, char *,
		    size_t);

/* Letter, digit or hyphen (RFC 5321 Ldh-str); no locale-dependent ctype. */
static int
addr_domain_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * Checks an address-literal "[...]" (s[0] is '['): IPv4-address-literal
 * or "IPv6:" (tag in any case) IPv6-addr, as inet_pton(3) reads them.
 * General-address-literal tags are refused.
 */
static enum addr_result
addr_domain_literal(const char *s, size_t len)
{
	char text[ADDR_IPTEXT_SIZE];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *p;
	size_t n, i;
	int af = AF_INET;
	unsigned char c;

	if (len < 2 || s[len - 1] != ']')
		return ADDR_ESYNTAX;
	p = s + 1;
	n = len - 2;
	if (n > ADDR_V6TAG_LEN && strncasecmp(p, ADDR_V6TAG,
	    ADDR_V6TAG_LEN) == 0) {
		af = AF_INET6;
		p += ADDR_V6TAG_LEN;
		n -= ADDR_V6TAG_LEN;
	}
	if (n == 0 || n >= sizeof(text))
		return ADDR_ESYNTAX;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if ((c >= '0' && c <= '9') || c == '.')
			continue;
		if (af == AF_INET6 && (c == ':' || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			continue;
		return ADDR_ESYNTAX;
	}
	memcpy(text, p, n);
	text[n] = '\0';
	if (inet_pton(af, text, bin) != 1)
		return ADDR_ESYNTAX;
	return ADDR_OK;
}

/*
 * Checks the syntax of a Domain (LDH labels of at most 63 octets, no
 * hyphen at either end of a label, no empty label, no trailing dot) or,
 * if literal_ok, an address literal. A label holding non-ASCII is only
 * checked for UTF-8 here; addr_domain_ascii() checks it against IDNA.
 * Sets ADDR_LITERAL and ADDR_UTF8 in *flags as found. The length limit
 * of the whole domain is the caller's.
 */
enum addr_result
addr_domain_scan(const char *s, size_t len, int literal_ok, int *flags)
{
	enum addr_result r;
	size_t i, n, start = 0, llen;
	uint32_t cp;
	int nonascii = 0;
	unsigned char c;

	if (len == 0)
		return ADDR_ESYNTAX;
	if (s[0] == '[') {
		if (!literal_ok)
			return ADDR_ESYNTAX;
		if ((r = addr_domain_literal(s, len)) == ADDR_OK)
			*flags |= ADDR_LITERAL;
		return r;
	}
	for (i = 0; i <= len; i += n) {
		n = 1;
		if (i == len || s[i] == '.') {
			llen = i - start;
			if (llen == 0 || s[start] == '-' || s[i - 1] == '-')
				return ADDR_ESYNTAX;
			if (!nonascii && llen > ADDR_LABEL_MAX)
				return ADDR_ESYNTAX;
			nonascii = 0;
			start = i + 1;
			continue;
		}
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			/* well-formed, and not a C1 control */
			if ((n = utf8_decode(s + i, len - i, &cp)) == 0 ||
			    cp < 0xa0)
				return ADDR_ESYNTAX;
			nonascii = 1;
			*flags |= ADDR_UTF8;
		} else if (!addr_domain_ldh(c))
			return ADDR_ESYNTAX;
	}
	return ADDR_OK;
}

/*
 * Converts one U-label to its A-label (IDNA2008 with UTS #46 mapping,
 * NFC). The result must be a single "xn--" LDH label of at most 63
 * octets: mappings that yield dots, other ASCII or plain ASCII labels
 * (fullwidth forms) are refused.
 */
static enum addr_result
addr_domain_alabel(const char *label, size_t len, char *out, size_t outsize)
{
	char in[ADDR_DOMAIN_MAX + 1];
	char *ace = NULL;
	enum addr_result r = ADDR_OK;
	size_t alen, i;
	int rc;

	if (len >= sizeof(in))
		return ADDR_ETOOLONG;
	memcpy(in, label, len);
	in[len] = '\0';
	rc = idn2_to_ascii_8z(in, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc == IDN2_MALLOC)
		fatalx("%s: idn2: out of memory", __func__);
	if (rc != IDN2_OK || ace == NULL) {
		idn2_free(ace);
		return ADDR_ESYNTAX;
	}
	alen = strlen(ace);
	if (alen <= ADDR_ACE_LEN || alen > ADDR_LABEL_MAX ||
	    strncmp(ace, ADDR_ACE, ADDR_ACE_LEN) != 0 || ace[alen - 1] == '-')
		r = ADDR_ESYNTAX;
	for (i = 0; r == ADDR_OK && i < alen; i++)
		if (!addr_domain_ldh((unsigned char)ace[i]) ||
		    (ace[i] >= 'A' && ace[i] <= 'Z'))
			r = ADDR_ESYNTAX;
	if (r == ADDR_OK && alen >= outsize)
		r = ADDR_ETOOLONG;
	if (r == ADDR_OK)
		memcpy(out, ace, alen + 1);
	idn2_free(ace);
	return r;
}

/*
 * Writes the lookup form of a domain that passed addr_domain_scan():
 * ASCII labels lowercased, U-labels as A-labels, literals unchanged.
 * ADDR_ETOOLONG if it exceeds ADDR_DOMAIN_MAX or outsize.
 */
static enum addr_result
addr_domain_ascii(const char *s, size_t len, char *out, size_t outsize)
{
	char alabel[ADDR_LABEL_MAX + 1];
	enum addr_result r;
	const char *src;
	size_t i, j, start, o = 0, slen;
	int nonascii;

	if (outsize == 0)
		return ADDR_ETOOLONG;
	out[0] = '\0';
	if (len > 0 && s[0] == '[') {
		if (len >= outsize)
			return ADDR_ETOOLONG;
		memcpy(out, s, len);
		out[len] = '\0';
		return ADDR_OK;
	}
	for (start = 0; start < len; start = i + 1) {
		nonascii = 0;
		for (i = start; i < len && s[i] != '.'; i++)
			if ((unsigned char)s[i] >= 0x80)
				nonascii = 1;
		src = s + start;
		slen = i - start;
		if (nonascii) {
			r = addr_domain_alabel(src, slen, alabel,
			    sizeof(alabel));
			if (r != ADDR_OK) {
				out[0] = '\0';
				return r;
			}
			src = alabel;
			slen = strlen(alabel);
		}
		if (o + (o > 0) + slen > ADDR_DOMAIN_MAX ||
		    o + (o > 0) + slen >= outsize) {
			out[0] = '\0';
			return ADDR_ETOOLONG;
		}
		if (o > 0)
			out[o++] = '.';
		for (j = 0; j < slen; j++) {
			if (src[j] >= 'A' && src[j] <= 'Z')
				out[o++] = src[j] - 'A' + 'a';
			else
				out[o++] = src[j];
		}
	}
	out[o] = '\0';
	return ADDR_OK;
}

/*
 * IDNA check of a domain that passed addr_domain_scan() and is at most
 * ADDR_DOMAIN_MAX octets long (addr.c calls it after the length limits).
 */
enum addr_result
addr_domain_check(const char *s, size_t len)
{
	char tmp[ADDR_DOMAIN_MAX + 1];

	return addr_domain_ascii(s, len, tmp, sizeof(tmp));
}

/*
 * Writes the form domains are compared and looked up in (protocol.md
 * A.12): ASCII lowercased, U-labels converted to A-labels, literals
 * unchanged. in is a NUL-terminated domain (e.g. struct mailaddr's); it
 * is checked like addr_parse_domain() with ADDR_OPT_UTF8. out should
 * hold ADDR_DOMAIN_MAX + 1 octets; ADDR_ETOOLONG if it does not fit.
 */
enum addr_result
addr_domain_to_ascii(const char *in, char *out, size_t outlen)
{
	enum addr_result r;
	size_t len = strlen(in);
	int f = 0;

	if (outlen > 0)
		out[0] = '\0';
	if ((r = addr_domain_scan(in, len, 1, &f)) != ADDR_OK)
		return r;
	if (len > ADDR_DOMAIN_MAX)
		return ADDR_ETOOLONG;
	return addr_domain_ascii(in, len, out, outlen);
}

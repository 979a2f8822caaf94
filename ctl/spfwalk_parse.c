/*
 * spfwalk_parse.c: the pure parts of `smtpctl spf walk` (ctl/spfwalk.c):
 * an SPF record (RFC 7208 section 4.6.1 and 12) cut into terms, the data
 * of a TXT record decoded, domain names checked and lowered. A term that
 * does not parse is returned as SPFWALK_JUNK with a reason, never skipped
 * silently; a domain-spec with a macro ("%") is flagged, not expanded.
 * Never allocates, never reads past a length, never trusts a length byte
 * of the DNS data; text from the DNS is made printable before it can
 * reach a warning.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl/spfwalk_parse.h"

#define SPFWALK_VERSION		"v=spf1"
#define SPFWALK_VERSION_LEN	6
#define SPFWALK_ADDR_MAX	64	/* an address before its /len */

/* What follows a mechanism's name. */
enum spfwalk_arg {
	SPFWALK_ARG_NONE,	/* all */
	SPFWALK_ARG_DOMAIN,	/* include, exists: ":" domain-spec */
	SPFWALK_ARG_OPTIONAL,	/* ptr: [":" domain-spec] */
	SPFWALK_ARG_CIDR,	/* a, mx: [":" domain-spec] [dual-cidr] */
	SPFWALK_ARG_NET,	/* ip4, ip6: ":" network ["/" len] */
};

static const struct {
	const char		*name;
	enum spfwalk_kind	 kind;
	enum spfwalk_arg	 arg;
} spfwalk_mechanisms[] = {
	{ "all",	SPFWALK_ALL,		SPFWALK_ARG_NONE },
	{ "include",	SPFWALK_INCLUDE,	SPFWALK_ARG_DOMAIN },
	{ "a",		SPFWALK_A,		SPFWALK_ARG_CIDR },
	{ "mx",		SPFWALK_MX,		SPFWALK_ARG_CIDR },
	{ "ptr",	SPFWALK_PTR,		SPFWALK_ARG_OPTIONAL },
	{ "ip4",	SPFWALK_IP4,		SPFWALK_ARG_NET },
	{ "ip6",	SPFWALK_IP6,		SPFWALK_ARG_NET },
	{ "exists",	SPFWALK_EXISTS,		SPFWALK_ARG_DOMAIN },
};

#define SPFWALK_NMECH	(sizeof(spfwalk_mechanisms) / \
			    sizeof(spfwalk_mechanisms[0]))

static int	spfwalk_parse_sep(char);
static int	spfwalk_parse_namechar(char);
static void	spfwalk_parse_term(const char *, size_t,
		    struct spfwalk_term *);
static int	spfwalk_parse_junk(struct spfwalk_term *, const char *);
static int	spfwalk_parse_modifier(const char *, size_t, const char *,
		    size_t, int, struct spfwalk_term *);
static int	spfwalk_parse_spec(const char *, size_t,
		    struct spfwalk_term *);
static int	spfwalk_parse_len(const char *, size_t, int);
static int	spfwalk_parse_cidr(const char *, size_t *,
		    struct spfwalk_term *);
static int	spfwalk_parse_net(const char *, size_t, int,
		    struct spfwalk_term *);

static int
spfwalk_parse_sep(char c)
{
	return c == ' ' || c == '\t';
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
static int
spfwalk_parse_namechar(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/*
 * A TXT string that is an SPF record: "v=spf1" in any case, then a space
 * or the end. 0 and p ready for spfwalk_parse_next(), or -1.
 */
int
spfwalk_parse_init(struct spfwalk_parser *p, const char *rec, size_t len)
{
	if (len < SPFWALK_VERSION_LEN ||
	    strncasecmp(rec, SPFWALK_VERSION, SPFWALK_VERSION_LEN) != 0)
		return -1;
	if (len > SPFWALK_VERSION_LEN &&
	    !spfwalk_parse_sep(rec[SPFWALK_VERSION_LEN]))
		return -1;
	p->p = rec + SPFWALK_VERSION_LEN;
	p->end = rec + len;
	return 0;
}

/* The next term into t: 1, or 0 at the end of the record. */
int
spfwalk_parse_next(struct spfwalk_parser *p, struct spfwalk_term *t)
{
	const char *s;

	while (p->p < p->end && spfwalk_parse_sep(*p->p))
		p->p++;
	if (p->p == p->end)
		return 0;
	s = p->p;
	while (p->p < p->end && !spfwalk_parse_sep(*p->p))
		p->p++;
	spfwalk_parse_term(s, (size_t)(p->p - s), t);
	return 1;
}

static int
spfwalk_parse_junk(struct spfwalk_term *t, const char *why)
{
	t->kind = SPFWALK_JUNK;
	t->why = why;
	t->macro = 0;
	t->domain[0] = '\0';
	t->net[0] = '\0';
	return -1;
}

static void
spfwalk_parse_term(const char *s, size_t n, struct spfwalk_term *t)
{
	const char *rest;
	size_t i, namelen, restlen;
	int explicit = 0;

	memset(t, 0, sizeof(*t));
	t->cidr4 = t->cidr6 = -1;
	t->qual = '+';
	spfwalk_parse_printable(s, n, t->text, sizeof(t->text));
	/* Not strchr(): it finds a NUL, and "\0all" would be "all". */
	if (n > 0 && memchr("+-~?", s[0], 4) != NULL) {
		t->qual = s[0];
		explicit = 1;
		s++;
		n--;
	}
	for (namelen = 0; namelen < n && spfwalk_parse_namechar(s[namelen]);
	    namelen++)
		;
	rest = s + namelen;
	restlen = n - namelen;
	if (namelen == 0) {
		spfwalk_parse_junk(t, "no mechanism name");
		return;
	}
	if (restlen > 0 && rest[0] == '=') {
		spfwalk_parse_modifier(s, namelen, rest + 1, restlen - 1,
		    explicit, t);
		return;
	}
	for (i = 0; i < SPFWALK_NMECH; i++)
		if (strlen(spfwalk_mechanisms[i].name) == namelen &&
		    strncasecmp(spfwalk_mechanisms[i].name, s, namelen) == 0)
			break;
	if (i == SPFWALK_NMECH) {
		spfwalk_parse_junk(t, "unknown mechanism");
		return;
	}
	t->kind = spfwalk_mechanisms[i].kind;
	switch (spfwalk_mechanisms[i].arg) {
	case SPFWALK_ARG_NONE:
		if (restlen != 0)
			spfwalk_parse_junk(t, "no argument expected");
		return;
	case SPFWALK_ARG_CIDR:
		if (spfwalk_parse_cidr(rest, &restlen, t) == -1)
			return;
		/* FALLTHROUGH */
	case SPFWALK_ARG_OPTIONAL:
		if (restlen == 0)
			return;
		if (rest[0] != ':') {
			spfwalk_parse_junk(t, "bad argument");
			return;
		}
		spfwalk_parse_spec(rest + 1, restlen - 1, t);
		return;
	case SPFWALK_ARG_DOMAIN:
		if (restlen == 0 || rest[0] != ':') {
			spfwalk_parse_junk(t, "domain expected");
			return;
		}
		spfwalk_parse_spec(rest + 1, restlen - 1, t);
		return;
	case SPFWALK_ARG_NET:
		if (restlen == 0 || rest[0] != ':') {
			spfwalk_parse_junk(t, "address expected");
			return;
		}
		spfwalk_parse_net(rest + 1, restlen - 1,
		    t->kind == SPFWALK_IP4 ? AF_INET : AF_INET6, t);
		return;
	}
}

/* name=value: redirect, exp or one to ignore (RFC 7208 section 6). */
static int
spfwalk_parse_modifier(const char *name, size_t namelen, const char *val,
    size_t vallen, int explicit, struct spfwalk_term *t)
{
	if (explicit)
		return spfwalk_parse_junk(t, "qualifier on a modifier");
	if (!isalpha((unsigned char)name[0]))
		return spfwalk_parse_junk(t, "bad modifier name");
	if (namelen == 8 && strncasecmp(name, "redirect", 8) == 0) {
		t->kind = SPFWALK_REDIRECT;
		return spfwalk_parse_spec(val, vallen, t);
	}
	if (namelen == 3 && strncasecmp(name, "exp", 3) == 0)
		t->kind = SPFWALK_EXP;
	else
		t->kind = SPFWALK_MODIFIER;
	return 0;
}

/* A domain-spec: a macro-string is flagged, a name checked and lowered. */
static int
spfwalk_parse_spec(const char *s, size_t n, struct spfwalk_term *t)
{
	if (n == 0)
		return spfwalk_parse_junk(t, "empty domain");
	if (memchr(s, '%', n) != NULL) {
		t->macro = 1;
		return 0;
	}
	if (spfwalk_parse_domain(s, n, t->domain) == -1)
		return spfwalk_parse_junk(t, "bad domain name");
	return 0;
}

/* A prefix length of 1 to 3 digits, no leading zero, at most max; or -1. */
static int
spfwalk_parse_len(const char *s, size_t n, int max)
{
	size_t i;
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/*
 * dual-cidr-length = [ "/" ip4-len ] [ "//" ip6-len ], taken off the end
 * of s (*n shrinks). 0, or -1 with t junk.
 */
static int
spfwalk_parse_cidr(const char *s, size_t *n, struct spfwalk_term *t)
{
	size_t i = *n, d;

	for (d = 0; d < i && isdigit((unsigned char)s[i - d - 1]); d++)
		;
	if (d > 0 && i >= d + 2 && s[i - d - 1] == '/' &&
	    s[i - d - 2] == '/') {
		if ((t->cidr6 = spfwalk_parse_len(s + i - d, d, 128)) == -1)
			return spfwalk_parse_junk(t, "bad ip6 prefix length");
		i -= d + 2;
		for (d = 0; d < i && isdigit((unsigned char)s[i - d - 1]); d++)
			;
	}
	if (d > 0 && i >= d + 1 && s[i - d - 1] == '/') {
		if ((t->cidr4 = spfwalk_parse_len(s + i - d, d, 32)) == -1)
			return spfwalk_parse_junk(t, "bad ip4 prefix length");
		i -= d + 1;
	}
	*n = i;
	return 0;
}

/* ip4:/ip6: network [ "/" len ], made canonical in t->net. */
static int
spfwalk_parse_net(const char *s, size_t n, int af, struct spfwalk_term *t)
{
	char addr[SPFWALK_ADDR_MAX], text[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash;
	size_t alen;
	int len = -1, r;

	slash = memchr(s, '/', n);
	alen = slash != NULL ? (size_t)(slash - s) : n;
	if (alen == 0 || alen >= sizeof(addr))
		return spfwalk_parse_junk(t, "bad address");
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(af, addr, bin) != 1 ||
	    inet_ntop(af, bin, text, sizeof(text)) == NULL)
		return spfwalk_parse_junk(t, "bad address");
	if (slash != NULL &&
	    (len = spfwalk_parse_len(slash + 1, n - alen - 1,
	    af == AF_INET ? 32 : 128)) == -1)
		return spfwalk_parse_junk(t, "bad prefix length");
	if (len == -1)
		r = snprintf(t->net, sizeof(t->net), "%s", text);
	else
		r = snprintf(t->net, sizeof(t->net), "%s/%d", text, len);
	if (r < 0 || (size_t)r >= sizeof(t->net))
		return spfwalk_parse_junk(t, "bad address");
	return 0;
}

/*
 * A host name: one final dot dropped, labels of 1 to 63 letters, digits,
 * "-" or "_", 253 bytes at most; lowered into out. 0, or -1.
 */
int
spfwalk_parse_domain(const char *s, size_t n, char out[SPFWALK_NAME_MAX + 1])
{
	size_t i, label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > SPFWALK_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' ||
		    s[i] == '_') {
			if (++label > SPFWALK_LABEL_MAX)
				return -1;
		} else
			return -1;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	if (label == 0)
		return -1;	/* "x..": an empty last label */
	out[n] = '\0';
	return 0;
}

/*
 * TXT record data: its character-strings concatenated without separator
 * (RFC 7208 section 3.3) into out, NUL-terminated; *outlen is the length
 * (the text may hold a NUL). 0, or -1 if malformed or too long for out.
 */
int
spfwalk_parse_txt(const uint8_t *rd, size_t len, char *out, size_t outsz,
    size_t *outlen)
{
	size_t i = 0, o = 0, l;

	if (outsz == 0)
		return -1;
	while (i < len) {
		l = rd[i++];
		if (l > len - i || l >= outsz - o)
			return -1;
		memcpy(out + o, rd + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

/* s made safe for a terminal: other bytes than ! to ~ become "?". */
void
spfwalk_parse_printable(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, max;

	if (outsz == 0)
		return;
	max = n < outsz - 1 ? n : outsz - 1;
	for (i = 0; i < max; i++)
		out[i] = s[i] > ' ' && s[i] < 0x7f ? s[i] : '?';
	if (max < n && max >= 3)
		memcpy(out + max - 3, "...", 3);
	out[max] = '\0';
}

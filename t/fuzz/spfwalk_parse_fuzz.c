/*
 * spfwalk_parse_fuzz.c: libFuzzer harness for the record side of
 * `smtpctl spf walk` (ctl/spfwalk_parse.c), which reads SPF records and
 * TXT data from any DNS server. The input is used four ways:
 *  1. as the data of a TXT record: spfwalk_parse_txt() must agree with a
 *     plain decoder here, for an output buffer big enough, tight, tiny
 *     and empty, and never write past it;
 *  2. as an SPF record (as is, with "v=spf1 " in front, and the TXT text
 *     of 1.): spfwalk_parse_init() must agree on the version, every term
 *     of spfwalk_parse_next() is a non-empty run of the input between
 *     separators, and its fields hold: a known kind, a qualifier of
 *     "+-~?", the text the printable form of the term, a domain that is
 *     NUL-terminated, valid, lower case and found in the term, a
 *     canonical net for ip4/ip6 only, prefix lengths in range and for
 *     a/mx only, a reason exactly for junk;
 *  3. as a domain name: spfwalk_parse_domain() agrees with the rules
 *     checked here, and its output is the input lowered;
 *  4. through spfwalk_parse_printable() with several output sizes.
 * Any disagreement abort()s. Seeds: t/fuzz/corpus/spfwalk_parse_fuzz/.
 * Built with replay.c, `make check` replays them.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/spfwalk_parse.h"

#define FUZZ_PREFIX	"v=spf1 "
#define FUZZ_CANARY	0xa5

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	*fuzz_alloc(size_t);
static int	 fuzz_sep(char);
static int	 fuzz_domain_ok(const char *, size_t);
static void	 fuzz_term(const char *, size_t, const struct spfwalk_term *);
static void	 fuzz_record(const char *, size_t);
static void	 fuzz_txt(const uint8_t *, size_t, size_t);
static void	 fuzz_domain(const char *, size_t);
static void	 fuzz_printable(const char *, size_t, size_t);

/* Exactly size bytes, so ASan sees one past the end. */
static void *
fuzz_alloc(size_t size)
{
	void *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		abort();
	return p;
}

static int
fuzz_sep(char c)
{
	return c == ' ' || c == '\t';
}

/* The rules of spfwalk_parse_domain(), written again. */
static int
fuzz_domain_ok(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > SPFWALK_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' ||
		    s[i] == '_') {
			if (++label > SPFWALK_LABEL_MAX)
				return 0;
		} else
			return 0;
	}
	return label > 0;
}

/* The term t was cut from s[0..n). */
static void
fuzz_term(const char *s, size_t n, const struct spfwalk_term *t)
{
	char text[SPFWALK_TEXT_MAX + 1], dom[SPFWALK_NAME_MAX + 1];
	char addr[SPFWALK_NET_MAX];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash;
	size_t dl, i;
	int af, named, len;

	if ((int)t->kind < SPFWALK_ALL || t->kind > SPFWALK_JUNK)
		abort();
	if (t->qual == '\0' || strchr("+-~?", t->qual) == NULL)
		abort();
	if (s[0] != '\0' && strchr("+-~?", s[0]) != NULL) {
		if (t->qual != s[0])
			abort();
	} else if (t->qual != '+')
		abort();

	/* text: the whole term made printable, cut. */
	if (memchr(t->text, '\0', sizeof(t->text)) == NULL)
		abort();
	spfwalk_parse_printable(s, n, text, sizeof(text));
	if (strcmp(text, t->text) != 0)
		abort();

	if ((t->kind == SPFWALK_JUNK) != (t->why != NULL))
		abort();
	if (t->cidr4 < -1 || t->cidr4 > 32 || t->cidr6 < -1 || t->cidr6 > 128)
		abort();
	if (t->kind != SPFWALK_A && t->kind != SPFWALK_MX &&
	    t->kind != SPFWALK_JUNK && (t->cidr4 != -1 || t->cidr6 != -1))
		abort();

	/* domain: NUL-terminated, only where a domain-spec goes. */
	if (memchr(t->domain, '\0', sizeof(t->domain)) == NULL)
		abort();
	named = t->kind == SPFWALK_INCLUDE || t->kind == SPFWALK_A ||
	    t->kind == SPFWALK_MX || t->kind == SPFWALK_PTR ||
	    t->kind == SPFWALK_EXISTS || t->kind == SPFWALK_REDIRECT;
	if (t->macro && (!named || t->domain[0] != '\0' ||
	    memchr(s, '%', n) == NULL))
		abort();
	if ((t->kind == SPFWALK_INCLUDE || t->kind == SPFWALK_EXISTS ||
	    t->kind == SPFWALK_REDIRECT) && !t->macro && t->domain[0] == '\0')
		abort();
	if ((dl = strlen(t->domain)) > 0) {
		if (!named || dl > SPFWALK_NAME_MAX || t->domain[dl - 1] == '.')
			abort();
		if (spfwalk_parse_domain(t->domain, dl, dom) == -1 ||
		    strcmp(dom, t->domain) != 0)
			abort();
		if (dl > n)
			abort();
		for (i = 0; i + dl <= n; i++)
			if (strncasecmp(s + i, t->domain, dl) == 0)
				break;
		if (i + dl > n)
			abort();
	}

	/* net: canonical, for ip4 and ip6 only. */
	if (memchr(t->net, '\0', sizeof(t->net)) == NULL)
		abort();
	if (t->kind != SPFWALK_IP4 && t->kind != SPFWALK_IP6) {
		if (t->net[0] != '\0')
			abort();
		return;
	}
	af = t->kind == SPFWALK_IP4 ? AF_INET : AF_INET6;
	memcpy(addr, t->net, sizeof(addr));
	len = -1;
	if ((slash = strchr(addr, '/')) != NULL) {
		len = atoi(slash + 1);
		if (len < 0 || len > (af == AF_INET ? 32 : 128))
			abort();
		addr[slash - addr] = '\0';
	}
	if (inet_pton(af, addr, bin) != 1 ||
	    inet_ntop(af, bin, dom, sizeof(dom)) == NULL ||
	    strcmp(dom, addr) != 0)
		abort();
}

/* rec[0..len) as a TXT string that may be an SPF record. */
static void
fuzz_record(const char *rec, size_t len)
{
	struct spfwalk_parser p;
	struct spfwalk_term *t;
	const char *v = FUZZ_PREFIX, *before, *s;
	size_t i, nterms = 0;
	int is_spf;

	is_spf = len >= 6;
	for (i = 0; i < 6 && is_spf; i++)
		if (tolower((unsigned char)rec[i]) != v[i])
			is_spf = 0;
	if (is_spf && len > 6 && !fuzz_sep(rec[6]))
		is_spf = 0;
	if (spfwalk_parse_init(&p, rec, len) != (is_spf ? 0 : -1))
		abort();
	if (!is_spf)
		return;
	if (p.p != rec + 6 || p.end != rec + len)
		abort();

	t = fuzz_alloc(sizeof(*t));
	for (;;) {
		before = p.p;
		if (!spfwalk_parse_next(&p, t)) {
			if (p.p != p.end)
				abort();
			for (s = before; s < p.end; s++)
				if (!fuzz_sep(*s))
					abort();
			break;
		}
		/* A term: after separators, up to one or the end. */
		if (p.p <= before || p.p > p.end || ++nterms > len)
			abort();
		for (s = before; s < p.p && fuzz_sep(*s); s++)
			;
		if (s == p.p || (p.p < p.end && !fuzz_sep(*p.p)))
			abort();
		for (i = 0; s + i < p.p; i++)
			if (fuzz_sep(s[i]))
				abort();
		fuzz_term(s, (size_t)(p.p - s), t);
	}
	free(t);
}

/* rd[0..len) as TXT data, into an output of outsz bytes. */
static void
fuzz_txt(const uint8_t *rd, size_t len, size_t outsz)
{
	char *out, *ref;
	size_t i = 0, o = 0, l, outlen = (size_t)-1;
	int ok = 1, r;

	ref = fuzz_alloc(len + 1);
	while (i < len) {
		l = rd[i++];
		if (l > len - i) {
			ok = 0;
			break;
		}
		memcpy(ref + o, rd + i, l);
		o += l;
		i += l;
	}
	if (o >= outsz)
		ok = 0;

	out = fuzz_alloc(outsz);
	if (outsz == 0)
		out[0] = (char)FUZZ_CANARY;
	r = spfwalk_parse_txt(rd, len, out, outsz, &outlen);
	if (r != (ok ? 0 : -1))
		abort();
	if (outsz == 0 && out[0] != (char)FUZZ_CANARY)
		abort();
	if (ok) {
		if (outlen != o || out[o] != '\0' || memcmp(out, ref, o) != 0)
			abort();
		if (outsz == len + 1)
			fuzz_record(out, outlen);
	}
	free(out);
	free(ref);
}

/* s[0..n) as a domain name. */
static void
fuzz_domain(const char *s, size_t n)
{
	char *out;
	size_t i, dl;
	int ok, r;

	out = fuzz_alloc(SPFWALK_NAME_MAX + 1);
	ok = fuzz_domain_ok(s, n);
	r = spfwalk_parse_domain(s, n, out);
	if (r != (ok ? 0 : -1))
		abort();
	if (ok) {
		dl = n > 0 && s[n - 1] == '.' ? n - 1 : n;
		if (strlen(out) != dl)
			abort();
		for (i = 0; i < dl; i++)
			if (out[i] != tolower((unsigned char)s[i]))
				abort();
	}
	free(out);
}

/* s[0..n) made printable into outsz bytes. */
static void
fuzz_printable(const char *s, size_t n, size_t outsz)
{
	char *out;
	size_t i, max;

	out = fuzz_alloc(outsz);
	out[0] = (char)FUZZ_CANARY;
	spfwalk_parse_printable(s, n, out, outsz);
	if (outsz == 0) {
		if (out[0] != (char)FUZZ_CANARY)
			abort();
		free(out);
		return;
	}
	max = n < outsz - 1 ? n : outsz - 1;
	if (strlen(out) != max)
		abort();
	for (i = 0; i < max; i++) {
		if (out[i] <= ' ' || out[i] >= 0x7f)
			abort();
		if (max < n && max >= 3 && i >= max - 3) {
			if (out[i] != '.')
				abort();
		} else if (out[i] != s[i] && out[i] != '?')
			abort();
		else if (out[i] == '?' && s[i] > ' ' && s[i] < 0x7f &&
		    s[i] != '?')
			abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t plen = sizeof(FUZZ_PREFIX) - 1;
	char *rec;

	/* 1. TXT data, and the text of it as a record. */
	fuzz_txt(data, size, size + 1);
	fuzz_txt(data, size, size / 2 + 1);
	fuzz_txt(data, size, 1);
	fuzz_txt(data, size, 0);

	/* 2. A record, as is and with the version in front. */
	rec = fuzz_alloc(size);
	memcpy(rec, data, size);
	fuzz_record(rec, size);
	free(rec);
	rec = fuzz_alloc(plen + size);
	memcpy(rec, FUZZ_PREFIX, plen);
	memcpy(rec + plen, data, size);
	fuzz_record(rec, plen + size);
	free(rec);

	/* 3. A domain name. */
	fuzz_domain(s, size);

	/* 4. Printable, cut or not. */
	fuzz_printable(s, size, 0);
	fuzz_printable(s, size, 1);
	fuzz_printable(s, size, 3);
	fuzz_printable(s, size, 4);
	fuzz_printable(s, size, SPFWALK_TEXT_MAX + 1);
	fuzz_printable(s, size, size + 1);
	return 0;
}

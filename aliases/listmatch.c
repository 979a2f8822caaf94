/*
 * listmatch.c: list matching of spec/tables.md section 7 (see
 * listmatch.h). Called by rules.c for match conditions and by table.c to
 * check netaddr lists at load. Candidates come from the SMTP session
 * (already syntax-checked by the smtp role with lib/addr), but nothing here
 * trusts them: an unparsable candidate simply matches nothing (a mailaddr
 * candidate still matches the catch-all `@`). It never allocates on the
 * lookup path and never aborts.
 *
 * Domains: folded, one trailing dot dropped; a U-label domain is looked up
 * in its A-label form (protocol.md A.12) and as written.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aliases/listmatch.h"
#include "lib/addr.h"

#define LM_KEY_SIZE	(ADDR_MAILBOX_SIZE + 2)	/* "local@*.domain" */

struct lm_addr {
	int	null;			/* <> */
	int	nodomain;		/* bare postmaster */
	char	local[ADDR_LOCAL_MAX * 2 + 3];	/* folded, quoted kept */
	char	stripped[ADDR_LOCAL_MAX * 2 + 3];	/* tag removed */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* normalised */
};

struct lm_net {
	struct netaddr	 cand;
	int		 found;
};

static int	lm_domain_norm(const char *, char *, size_t);
static int	lm_addr_parse(const char *, char, struct lm_addr *);
static int	lm_prefix(const char *, int *);
static int	lm_net_match(const struct netaddr *, const struct netaddr *);
static enum table_result lm_lookup(struct table *, const char *,
		    enum table_result *);
static enum table_result lm_domain_keys(struct table *, const char *,
		    const char *);
static int	lm_net_cb(void *, const char *, const char *, int);

/* Folded, without one trailing dot; -1 if empty or too long. */
static int
lm_domain_norm(const char *in, char *out, size_t outsz)
{
	size_t len = strlen(in);

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || table_fold(in, len, out, outsz) == -1)
		return -1;
	return 0;
}

/* An address candidate: "" (null sender), "postmaster", "local@domain". */
static int
lm_addr_parse(const char *s, char delim, struct lm_addr *a)
{
	struct mailaddr ma;
	char *tag;

	memset(a, 0, sizeof(*a));
	if (addr_parse_mailbox(s, strlen(s), ADDR_OPT_NULL |
	    ADDR_OPT_POSTMASTER | ADDR_OPT_UTF8, &ma) != ADDR_OK)
		return -1;
	if (ma.flags & ADDR_NULL) {
		a->null = 1;
		return 0;
	}
	(void)table_fold(ma.local, strlen(ma.local), a->local,
	    sizeof(a->local));
	strlcpy(a->stripped, a->local, sizeof(a->stripped));
	if (delim != '\0' && (tag = strchr(a->stripped, delim)) != NULL &&
	    tag != a->stripped)
		*tag = '\0';
	if (ma.flags & ADDR_NODOMAIN) {
		a->nodomain = 1;
		return 0;
	}
	return lm_domain_norm(ma.domain, a->domain, sizeof(a->domain));
}

/* ------------------------------------------------------------ netaddr */

static int
lm_prefix(const char *s, int *bits)
{
	int n = 0, i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	*bits = n;
	return 0;
}

int
listmatch_netaddr_parse(const char *s, int allow_prefix, struct netaddr *na)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	char buf[INET6_ADDRSTRLEN + 8], *p, *slash = NULL, *pct;
	const char *rb;
	size_t len;
	int bits = -1, max, i;

	memset(na, 0, sizeof(*na));
	if (strcasecmp(s, "local") == 0) {
		na->family = AF_UNSPEC;
		return 0;
	}
	len = strlen(s);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	if (s[0] == '[') {
		if ((rb = strchr(s, ']')) == NULL)
			return -1;
		if (rb[1] != '\0') {
			if (rb[1] != '/')
				return -1;
			slash = (char *)(uintptr_t)(rb + 1);
		}
		memcpy(buf, s + 1, rb - s - 1);
		buf[rb - s - 1] = '\0';
		p = buf;
		if (strncasecmp(p, "IPv6:", 5) == 0)
			p += 5;
		if (slash != NULL && lm_prefix(slash + 1, &bits) == -1)
			return -1;
	} else {
		memcpy(buf, s, len + 1);
		p = buf;
		if ((slash = strchr(buf, '/')) != NULL) {
			*slash = '\0';
			if (lm_prefix(slash + 1, &bits) == -1)
				return -1;
		}
	}
	if (bits != -1 && !allow_prefix)
		return -1;
	/* A scope (fe80::1%eth0) is part of a client address, not a net. */
	if (!allow_prefix && (pct = strchr(p, '%')) != NULL)
		*pct = '\0';

	if (strchr(p, ':') != NULL) {
		if (inet_pton(AF_INET6, p, na->addr) != 1)
			return -1;
		na->family = AF_INET6;
		max = 128;
	} else {
		if (inet_pton(AF_INET, p, na->addr) != 1)
			return -1;
		na->family = AF_INET;
		max = 32;
	}
	if (bits > max)
		return -1;
	na->bits = bits == -1 ? max : bits;
	/* IPv4-mapped IPv6 is compared as IPv4. */
	if (na->family == AF_INET6 && na->bits >= 96 &&
	    memcmp(na->addr, mapped, sizeof(mapped)) == 0) {
		memmove(na->addr, na->addr + 12, 4);
		memset(na->addr + 4, 0, 12);
		na->family = AF_INET;
		na->bits -= 96;
	}
	/* Mask the host bits. */
	for (i = 0; i < 16; i++) {
		if (i * 8 >= na->bits)
			na->addr[i] = 0;
		else if (i * 8 + 8 > na->bits)
			na->addr[i] &= (uint8_t)(0xff << (8 - (na->bits - i * 8)));
	}
	return 0;
}

/* Whether address `a` (a full address) is inside net `n`. */
static int
lm_net_match(const struct netaddr *n, const struct netaddr *a)
{
	int full, rest;

	if (n->family != a->family)
		return 0;
	if (n->family == AF_UNSPEC)
		return 1;	/* local */
	full = n->bits / 8;
	rest = n->bits % 8;
	if (memcmp(n->addr, a->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return (n->addr[full] ^ a->addr[full]) >> (8 - rest) == 0;
}

int
listmatch_netaddr_entry(const char *entry, const char *src)
{
	struct netaddr n, a;

	if (listmatch_netaddr_parse(entry, 1, &n) == -1 ||
	    listmatch_netaddr_parse(src, 0, &a) == -1)
		return 0;
	return lm_net_match(&n, &a);
}

static int
lm_net_cb(void *arg, const char *key, const char *value, int line)
{
	struct lm_net *ln = arg;
	struct netaddr n;

	(void)value;
	(void)line;
	if (listmatch_netaddr_parse(key, 1, &n) == -1)
		return 0;	/* db: tables are not checked at load */
	return lm_net_match(&n, &ln->cand);
}

enum table_result
listmatch_netaddr(struct table *t, const char *src)
{
	struct lm_net ln;

	memset(&ln, 0, sizeof(ln));
	if (listmatch_netaddr_parse(src, 0, &ln.cand) == -1)
		return TABLE_NOTFOUND;
	return table_iterate(t, lm_net_cb, &ln);
}

/* ------------------------------------------------------------ domain */

int
listmatch_domain_entry(const char *entry, const char *domain)
{
	char e[ADDR_DOMAIN_MAX + 3], d[ADDR_DOMAIN_MAX + 1];
	size_t el, dl;

	if (table_fold(entry, strlen(entry), e, sizeof(e)) == -1 ||
	    lm_domain_norm(domain, d, sizeof(d)) == -1)
		return 0;
	if (strcmp(e, d) == 0)
		return 1;
	if (e[0] != '*' || e[1] != '.' || d[0] == '[')
		return 0;
	el = strlen(e) - 1;		/* ".example.org" */
	dl = strlen(d);
	return dl > el && strcmp(d + dl - el, e + 1) == 0;
}

/* One lookup; a TEMPFAIL is remembered in *tf and reads as NOTFOUND. */
static enum table_result
lm_lookup(struct table *t, const char *key, enum table_result *tf)
{
	enum table_result r;

	if ((r = table_lookup(t, key, NULL)) == TABLE_TEMPFAIL) {
		*tf = TABLE_TEMPFAIL;
		return TABLE_NOTFOUND;
	}
	return r;
}

/*
 * prefix + domain, then prefix + "*." + each parent (a.b.c: *.b.c, *.c);
 * an address literal has no parents.
 */
static enum table_result
lm_domain_keys(struct table *t, const char *prefix, const char *d)
{
	enum table_result tf = TABLE_NOTFOUND;
	char key[LM_KEY_SIZE];
	const char *dot;

	if ((size_t)snprintf(key, sizeof(key), "%s%s", prefix, d) >=
	    sizeof(key))
		return TABLE_NOTFOUND;
	if (lm_lookup(t, key, &tf) == TABLE_FOUND)
		return TABLE_FOUND;
	if (d[0] == '[')
		return tf;
	for (dot = strchr(d, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		if ((size_t)snprintf(key, sizeof(key), "%s*%s", prefix, dot) >=
		    sizeof(key))
			continue;
		if (lm_lookup(t, key, &tf) == TABLE_FOUND)
			return TABLE_FOUND;
	}
	return tf;
}

enum table_result
listmatch_domain(struct table *t, const char *domain)
{
	char d[ADDR_DOMAIN_MAX + 1], ascii[ADDR_DOMAIN_MAX + 1];
	enum table_result r, r2;

	if (lm_domain_norm(domain, d, sizeof(d)) == -1)
		return TABLE_NOTFOUND;
	r = lm_domain_keys(t, "", d);
	if (r == TABLE_FOUND)
		return r;
	if (addr_domain_to_ascii(d, ascii, sizeof(ascii)) == ADDR_OK &&
	    lm_domain_norm(ascii, ascii, sizeof(ascii)) == 0 &&
	    strcmp(ascii, d) != 0) {
		r2 = lm_domain_keys(t, "", ascii);
		if (r2 != TABLE_NOTFOUND)
			return r2;
	}
	return r;
}

/* ------------------------------------------------------------ mailaddr */

int
listmatch_mailaddr_entry(const char *entry, const char *addr, char delim)
{
	char e[LM_KEY_SIZE + 1], *at, *eu, *ed;
	struct lm_addr a;

	if (table_fold(entry, strlen(entry), e, sizeof(e)) == -1)
		return 0;
	if (strcmp(e, "@") == 0)
		return 1;
	if (lm_addr_parse(addr, delim, &a) == -1 || a.null)
		return 0;
	eu = e;
	ed = NULL;
	if ((at = strrchr(e, '@')) != NULL) {
		*at = '\0';
		ed = at + 1;
		if (*ed == '\0')
			return 0;
	}
	if (ed != NULL && (a.nodomain || !listmatch_domain_entry(ed, a.domain)))
		return 0;
	if (*eu == '\0')
		return ed != NULL;
	if (delim != '\0' && strchr(eu, delim) != NULL)
		return strcmp(eu, a.local) == 0;
	return strcmp(eu, a.stripped) == 0;
}

enum table_result
listmatch_mailaddr(struct table *t, const char *addr, char delim)
{
	enum table_result tf = TABLE_NOTFOUND, r;
	char prefix[LM_KEY_SIZE];
	const char *locals[2];
	struct lm_addr a;
	int i, n;

	if (lm_addr_parse(addr, delim, &a) == 0 && !a.null) {
		locals[0] = a.local;
		locals[1] = a.stripped;
		n = strcmp(a.local, a.stripped) != 0 ? 2 : 1;
		if (!a.nodomain) {
			for (i = 0; i < n; i++) {
				snprintf(prefix, sizeof(prefix), "%s@",
				    locals[i]);
				if ((r = lm_domain_keys(t, prefix, a.domain)) ==
				    TABLE_FOUND)
					return r;
				if (r == TABLE_TEMPFAIL)
					tf = r;
			}
		}
		for (i = 0; i < n; i++)
			if (lm_lookup(t, locals[i], &tf) == TABLE_FOUND)
				return TABLE_FOUND;
		if (!a.nodomain) {
			if ((r = lm_domain_keys(t, "@", a.domain)) == TABLE_FOUND)
				return r;
			if (r == TABLE_TEMPFAIL)
				tf = r;
		}
	}
	if (lm_lookup(t, "@", &tf) == TABLE_FOUND)
		return TABLE_FOUND;
	return tf;
}

/* ------------------------------------------------------------ users */

int
listmatch_user_entry(const char *entry, const char *user)
{
	return user[0] != '\0' && strcasecmp(entry, user) == 0;
}

enum table_result
listmatch_user(struct table *t, const char *user)
{
	if (user[0] == '\0')
		return TABLE_NOTFOUND;
	return table_lookup(t, user, NULL);
}

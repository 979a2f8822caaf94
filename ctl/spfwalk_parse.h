/*
 * spfwalk_parse.h: the pure parts of `smtpctl spf walk`: an SPF record
 * (RFC 7208) cut into terms, the data of a TXT record decoded, a domain
 * name checked. No I/O, no allocation; every output is
 * a caller's fixed-size buffer. Unit-tested in t/unit/spfwalk_test.c.
 */
#ifndef CTL_SPFWALK_PARSE_H
#define CTL_SPFWALK_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define SPFWALK_NAME_MAX	253	/* a domain name, no final dot */
#define SPFWALK_LABEL_MAX	63
#define SPFWALK_TEXT_MAX	80	/* a term as quoted in a warning */
#define SPFWALK_NET_MAX		64	/* "address/len", either family */

enum spfwalk_kind {
	SPFWALK_ALL,
	SPFWALK_INCLUDE,
	SPFWALK_A,
	SPFWALK_MX,
	SPFWALK_PTR,
	SPFWALK_IP4,
	SPFWALK_IP6,
	SPFWALK_EXISTS,
	SPFWALK_REDIRECT,	/* modifier redirect= */
	SPFWALK_EXP,		/* modifier exp= */
	SPFWALK_MODIFIER,	/* any other name=value */
	SPFWALK_JUNK,		/* not a term: see why */
};

/* One term of a record. */
struct spfwalk_term {
	enum spfwalk_kind kind;
	char		 qual;		/* '+', '-', '~' or '?' */
	int		 macro;		/* the domain-spec has a macro */
	int		 cidr4;		/* a, mx: /N, else -1 */
	int		 cidr6;		/* a, mx: //N, else -1 */
	/* include, a, mx, ptr, exists, redirect: lower case, no final
	 * dot; "" for a, mx, ptr without one (the record's domain) and
	 * when macro is set */
	char		 domain[SPFWALK_NAME_MAX + 1];
	char		 net[SPFWALK_NET_MAX];	/* ip4, ip6: canonical */
	char		 text[SPFWALK_TEXT_MAX + 1]; /* printable, cut */
	const char	*why;		/* junk: what is wrong */
};

/* A record being cut: the bytes after "v=spf1". */
struct spfwalk_parser {
	const char	*p;
	const char	*end;
};

int	spfwalk_parse_init(struct spfwalk_parser *, const char *, size_t);
int	spfwalk_parse_next(struct spfwalk_parser *, struct spfwalk_term *);
int	spfwalk_parse_domain(const char *, size_t,
	    char [SPFWALK_NAME_MAX + 1]);
int	spfwalk_parse_txt(const uint8_t *, size_t, char *, size_t,
	    size_t *);
void	spfwalk_parse_printable(const char *, size_t, char *, size_t);

#endif

/*
 * addr_fuzz.c: libFuzzer harness for the address parser (lib/addr.c,
 * lib/addr_domain.c) and lib/utf8.c. The first input octet picks the
 * ADDR_OPT_* combination, the rest is fed to addr_parse_path(),
 * addr_parse_mailbox() and addr_parse_domain(). Every address accepted
 * is formatted and parsed again (as a mailbox, and as a path when it fits)
 * and must come back equal; every domain accepted must have a lookup form
 * that is itself a valid ASCII domain. Any broken invariant calls abort()
 * so the fuzzer reports it. Built with replay.c, `make check` replays
 * t/fuzz/corpus/addr_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/utf8.h"

#define FUZZ_OPTS	(ADDR_OPT_NULL | ADDR_OPT_POSTMASTER | ADDR_OPT_UTF8)
#define FUZZ_SAMEFLAGS	(~(ADDR_ROUTE | ADDR_QUOTED))

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_text(const char *);
static void	fuzz_domain(const char *, size_t, int);
static void	fuzz_same(const struct mailaddr *, const struct mailaddr *);
static void	fuzz_addr(const struct mailaddr *, int);

/* A stored part never holds a control character, and is valid UTF-8. */
static void
fuzz_text(const char *s)
{
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || s[i] == 127)
			abort();
	if (!utf8_valid(s, len))
		abort();
}

/* An accepted domain has a lookup form, itself a plain ASCII domain. */
static void
fuzz_domain(const char *s, size_t len, int flags)
{
	char in[ADDR_DOMAIN_MAX + 1], out[ADDR_DOMAIN_MAX + 1];
	int f2;

	if (len > ADDR_DOMAIN_MAX)
		abort();
	memcpy(in, s, len);
	in[len] = '\0';
	if (addr_domain_to_ascii(in, out, sizeof(out)) != ADDR_OK)
		abort();
	if (addr_parse_domain(out, strlen(out), 0, &f2) != ADDR_OK ||
	    (f2 & ADDR_UTF8) || (f2 & ADDR_LITERAL) != (flags & ADDR_LITERAL))
		abort();
	if (!(flags & ADDR_UTF8) && strcasecmp(in, out) != 0)
		abort();
}

static void
fuzz_same(const struct mailaddr *a, const struct mailaddr *b)
{
	if (strcmp(a->local, b->local) != 0 ||
	    strcmp(a->domain, b->domain) != 0 ||
	    (a->flags & FUZZ_SAMEFLAGS) != (b->flags & FUZZ_SAMEFLAGS))
		abort();
	/* after a round trip, "quoted" means "needs quotes" */
	if (((b->flags & ADDR_QUOTED) != 0) != (b->local[0] == '"'))
		abort();
}

/* Invariants of an address accepted with opts. */
static void
fuzz_addr(const struct mailaddr *a, int opts)
{
	struct mailaddr b;
	char buf[ADDR_MAILBOX_SIZE], buf2[ADDR_MAILBOX_SIZE];
	char path[ADDR_MAILBOX_SIZE + 2];
	size_t consumed;
	int n;

	if (strlen(a->local) > ADDR_LOCAL_MAX ||
	    strlen(a->domain) > ADDR_DOMAIN_MAX)
		abort();
	if ((a->flags & ADDR_UTF8) && !(opts & ADDR_OPT_UTF8))
		abort();
	if ((a->flags & ADDR_NULL) && (!(opts & ADDR_OPT_NULL) ||
	    a->local[0] != '\0' || a->domain[0] != '\0'))
		abort();
	if ((a->flags & ADDR_NODOMAIN) && (!(opts & ADDR_OPT_POSTMASTER) ||
	    strcasecmp(a->local, "postmaster") != 0 || a->domain[0] != '\0'))
		abort();
	fuzz_text(a->local);
	fuzz_text(a->domain);
	if (!(a->flags & (ADDR_NULL | ADDR_NODOMAIN)))
		fuzz_domain(a->domain, strlen(a->domain), a->flags);

	if ((n = addr_format(a, buf, sizeof(buf))) < 0)
		abort();
	if (addr_parse_mailbox(buf, (size_t)n, opts, &b) != ADDR_OK)
		abort();
	fuzz_same(a, &b);
	if (addr_format(&b, buf2, sizeof(buf2)) != n || strcmp(buf, buf2) != 0)
		abort();

	/* the same address as a path, when it fits one */
	if ((size_t)n + 2 > ADDR_PATH_MAX)
		return;
	path[0] = '<';
	memcpy(path + 1, buf, (size_t)n);
	path[n + 1] = '>';
	if (addr_parse_path(path, (size_t)n + 2, opts, &b, &consumed) !=
	    ADDR_OK || consumed != (size_t)n + 2)
		abort();
	fuzz_same(a, &b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailaddr a;
	const char *s;
	size_t len, consumed;
	int opts, flags;

	if (size == 0)
		return 0;
	opts = data[0] & FUZZ_OPTS;
	s = (const char *)data + 1;
	len = size - 1;

	(void)utf8_valid(s, len);

	if (addr_parse_path(s, len, opts, &a, &consumed) == ADDR_OK) {
		if (consumed > len || consumed > ADDR_PATH_MAX ||
		    (consumed < len && s[consumed] != ' ' &&
		    s[consumed] != '\t'))
			abort();
		fuzz_addr(&a, opts);
	} else if (consumed != 0)
		abort();

	if (addr_parse_mailbox(s, len, opts, &a) == ADDR_OK)
		fuzz_addr(&a, opts);

	if (addr_parse_domain(s, len, opts, &flags) == ADDR_OK)
		fuzz_domain(s, len, flags);
	return 0;
}

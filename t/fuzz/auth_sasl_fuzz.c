/*
 * auth_sasl_fuzz.c: libFuzzer harness for the AUTH exchange (auth/sasl.c),
 * strict base64 (auth/base64.c) and the request codec a DONE exchange
 * feeds (auth/auth_msg.c). The input is split at LF: the first line is
 * the AUTH command's arguments, each next line a client response while
 * the exchange asks for more.
 *
 * Invariants: every status has its reply (334 only for MORE, 535 for
 * FAIL, 500/501/504 for ERROR, none for DONE); a DONE exchange has a
 * mechanism, a user name of 1-255 octets of UTF-8 without control
 * characters and a password of 1-1024 octets without NUL, and makes a
 * request that encodes and decodes to itself; any other end leaves no
 * password behind; a line that decodes as base64 is the canonical
 * encoding of what it decodes to. A broken invariant calls abort().
 * Built with replay.c, `make check` replays t/fuzz/corpus/auth_sasl_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_msg.h"
#include "auth/base64.h"
#include "auth/sasl.h"
#include "lib/utf8.h"

#define FUZZ_STEPS	8

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_b64(const char *, size_t);
static void	fuzz_status(const struct auth_sasl *, enum auth_sasl_status);
static void	fuzz_done(const struct auth_sasl *);

/* A line that decodes is the one encoding of its bytes. */
static void
fuzz_b64(const char *line, size_t len)
{
	static unsigned char dec[AUTH_SASL_LINE_MAX * 2];
	static char enc[AUTH_SASL_LINE_MAX * 3];
	size_t n;

	if (len > AUTH_SASL_LINE_MAX * 2)
		return;
	if (auth_b64_decode(line, len, dec, sizeof(dec), &n) == -1)
		return;
	if (n != AUTH_B64_DECODED_MAX(len) - (len > 0 && line[len - 1] ==
	    '=') - (len > 1 && line[len - 2] == '='))
		abort();
	if (auth_b64_encode(dec, n, enc, sizeof(enc)) == -1 ||
	    strlen(enc) != len || memcmp(enc, line, len) != 0)
		abort();
}

static void
fuzz_done(const struct auth_sasl *a)
{
	struct auth_req q, d;
	uint8_t *buf;
	size_t ulen = strlen(a->user), i;

	if (a->mech != AUTH_MECH_PLAIN && a->mech != AUTH_MECH_LOGIN)
		abort();
	if (ulen == 0 || ulen > AUTH_USER_MAX || !utf8_valid(a->user, ulen))
		abort();
	for (i = 0; i < ulen; i++)
		if ((unsigned char)a->user[i] < 0x20 || a->user[i] == 0x7f)
			abort();
	if (a->passwdlen == 0 || a->passwdlen > AUTH_PASSWD_MAX ||
	    strlen(a->passwd) != a->passwdlen)
		abort();
	if (auth_req_make(&q, 1, 0, a) == -1 ||
	    auth_req_encode(&q, &buf, &i) == -1)
		abort();
	if (auth_req_decode(buf, i, &d) == -1 ||
	    memcmp(&q, &d, sizeof(q)) != 0)
		abort();
	auth_msg_free(buf, i);
	auth_req_clear(&q);
	auth_req_clear(&d);
}

static void
fuzz_status(const struct auth_sasl *a, enum auth_sasl_status st)
{
	size_t i;

	switch (st) {
	case AUTH_SASL_MORE:
		if (strncmp(a->reply, "334 ", 4) != 0)
			abort();
		return;
	case AUTH_SASL_DONE:
		if (a->reply[0] != '\0')
			abort();
		fuzz_done(a);
		return;
	case AUTH_SASL_FAIL:
		if (strcmp(a->reply, AUTH_SASL_REPLY_INVALID) != 0)
			abort();
		break;
	case AUTH_SASL_ERROR:
		if (strncmp(a->reply, "500 ", 4) != 0 &&
		    strncmp(a->reply, "501 ", 4) != 0 &&
		    strncmp(a->reply, "504 ", 4) != 0)
			abort();
		break;
	default:
		abort();
	}
	/* over without DONE: no password left */
	if (a->passwdlen != 0)
		abort();
	for (i = 0; i < sizeof(a->passwd); i++)
		if (a->passwd[i] != '\0')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_sasl a;
	const char *p = (const char *)data, *end = p + size, *nl;
	enum auth_sasl_status st;
	size_t len;
	int n = 0;

	nl = memchr(p, '\n', size);
	len = nl != NULL ? (size_t)(nl - p) : size;
	fuzz_b64(p, len);
	st = auth_sasl_command(&a, p, len);
	fuzz_status(&a, st);
	p = nl != NULL ? nl + 1 : end;
	while (st == AUTH_SASL_MORE && p < end && n++ < FUZZ_STEPS) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		fuzz_b64(p, len);
		st = auth_sasl_step(&a, p, len);
		fuzz_status(&a, st);
		p = nl != NULL ? nl + 1 : end;
	}
	/* a finished exchange refuses more */
	if (st != AUTH_SASL_MORE) {
		st = auth_sasl_step(&a, "*", 1);
		if (st != AUTH_SASL_ERROR)
			abort();
		fuzz_status(&a, st);
	}
	auth_sasl_clear(&a);
	return 0;
}

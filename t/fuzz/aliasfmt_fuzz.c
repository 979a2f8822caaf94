/*
 * aliasfmt_fuzz.c: libFuzzer harness for the aliases-format value parser
 * (aliases/aliasfmt.c) and the makemap parse that uses it
 * (ctl/makemap_db.c). The first input octet picks the mode, the rest is
 * the text:
 *   bit 0 clear: the text is one value (or a .forward file): a refusal
 *     gives a reason and no list; a success gives destinations whose
 *     invariants hold (types, NUL-terminated values of the stated length
 *     inside the one allocation, no control characters, addresses that
 *     lib/addr accepts again, error codes in range) and that survive a
 *     round trip: written back as one quoted destination, each parses to
 *     the same type, value, code and enhanced code.
 *   bit 0 set: the text is an aliases file for makemap -t aliases (bit 1:
 *     strict duplicates); if it parses, every stored value passes
 *     aliasfmt_entry_check().
 * Any broken invariant calls abort(). Built with replay.c, `make check`
 * replays t/fuzz/corpus/aliasfmt_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/aliasfmt.h"
#include "aliases/table.h"
#include "ctl/makemap.h"
#include "lib/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_warn(void *, const char *);
static void	fuzz_dest(const struct aliasfmt_list *, size_t, size_t);
static void	fuzz_roundtrip(const struct aliasfmt_dest *);
static int	fuzz_entry(void *, const char *, const char *, int);
static void	fuzz_value(const char *, size_t);
static void	fuzz_file(const char *, size_t, int);

static void
fuzz_warn(void *arg, const char *msg)
{
	(void)arg;
	if (strncmp(msg, "t:", 2) != 0)
		abort();
}

/*
 * The invariants of dests[i] of the list parsed from len octets: its
 * value lies in the text area after dests[], which holds at most one
 * destination's raw text and a NUL per destination (len + count).
 */
static void
fuzz_dest(const struct aliasfmt_list *list, size_t i, size_t len)
{
	const struct aliasfmt_dest *d = &list->dests[i];
	const char *lo = (const char *)&list->dests[list->count];
	const char *hi = lo + len + list->count;
	char buf[ADDR_MAILBOX_SIZE];
	struct mailaddr a;
	size_t k;

	if (d->value == NULL || d->value < lo || d->value + d->len >= hi ||
	    strlen(d->value) != d->len)
		abort();
	for (k = 0; k < d->len; k++)
		if (((unsigned char)d->value[k] < 0x20 &&
		    d->value[k] != '\t') || d->value[k] == 0x7f)
			abort();
	if (d->final && d->type != ALIASFMT_USER)
		abort();
	if (d->type != ALIASFMT_ERROR && (d->code != 0 ||
	    d->enhanced[0] != '\0'))
		abort();
	switch (d->type) {
	case ALIASFMT_ERROR:
		if (d->code < 400 || d->code > 599 || (d->enhanced[0] != '\0' &&
		    d->enhanced[0] != '0' + d->code / 100) ||
		    strlen(d->enhanced) >= ALIASFMT_ENHANCED_MAX ||
		    d->len > ALIASFMT_REPLY_MAX)
			abort();
		for (k = 0; k < d->len; k++)
			if ((unsigned char)d->value[k] > 0x7e)
				abort();
		break;
	case ALIASFMT_INCLUDE:
	case ALIASFMT_FILE:
		if (d->value[0] != '/')
			abort();
		break;
	case ALIASFMT_PIPE:
		if (d->len == 0)
			abort();
		break;
	case ALIASFMT_ADDRESS:
		if (addr_parse_mailbox(d->value, d->len, 0, &a) != ADDR_OK ||
		    addr_format(&d->addr, buf, sizeof(buf)) < 0 ||
		    strcmp(buf, d->value) != 0)
			abort();
		break;
	case ALIASFMT_USER:
		if (d->len == 0 || strspn(d->value, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") != d->len)
			abort();
		break;
	default:
		abort();
	}
}

/*
 * d written back as one quoted destination ("\"" ... "\"", with `"` and
 * `\` escaped) must classify the same.
 */
static void
fuzz_roundtrip(const struct aliasfmt_dest *d)
{
	struct aliasfmt_list *list;
	const struct aliasfmt_dest *e;
	char *plain, *quoted;
	size_t i, n = 0;

	switch (d->type) {
	case ALIASFMT_ERROR:
		xasprintf(&plain, "error:%d %s%s%s", d->code, d->enhanced,
		    d->enhanced[0] != '\0' && d->len > 0 ? " " : "", d->value);
		break;
	case ALIASFMT_INCLUDE:
		xasprintf(&plain, ":include:%s", d->value);
		break;
	case ALIASFMT_PIPE:
		xasprintf(&plain, "|%s", d->value);
		break;
	default:
		plain = xstrdup(d->value);
		break;
	}
	quoted = xmalloc(2 * strlen(plain) + 4);
	quoted[n++] = '"';
	if (d->final)
		quoted[n++] = '\\';
	for (i = 0; plain[i] != '\0'; i++) {
		if (plain[i] == '"' || plain[i] == '\\')
			quoted[n++] = '\\';
		quoted[n++] = plain[i];
	}
	quoted[n++] = '"';
	if (aliasfmt_parse(quoted, n, &list, NULL) == -1 || list->count != 1)
		abort();
	e = &list->dests[0];
	if (e->type != d->type || e->final != d->final || e->len != d->len ||
	    strcmp(e->value, d->value) != 0 || e->code != d->code ||
	    strcmp(e->enhanced, d->enhanced) != 0)
		abort();
	aliasfmt_free(list);
	free(quoted);
	free(plain);
}

static void
fuzz_value(const char *s, size_t len)
{
	struct aliasfmt_list *list = NULL;
	const char *why = NULL;
	size_t i;

	if (aliasfmt_parse(s, len, &list, &why) == -1) {
		if (list != NULL || why == NULL)
			abort();
		return;
	}
	if (list == NULL || list->count > len)
		abort();
	for (i = 0; i < list->count; i++) {
		fuzz_dest(list, i, len);
		fuzz_roundtrip(&list->dests[i]);
	}
	if ((aliasfmt_entry_check(s, len, &why) == 0) != (list->count > 0))
		abort();
	aliasfmt_free(list);
}

static int
fuzz_entry(void *arg, const char *key, const char *value, int line)
{
	(void)arg;
	(void)key;
	if (line < 1 || value == NULL ||
	    aliasfmt_entry_check(value, strlen(value), NULL) == -1)
		abort();
	return 0;
}

static void
fuzz_file(const char *s, size_t len, int strict)
{
	struct table_mem *mem = NULL;
	enum makemap_type type;
	char err[MAKEMAP_ERR_MAX];

	err[0] = '\0';
	if (makemap_parse("t", s, len, MAKEMAP_ALIASES, strict, &mem, &type,
	    err, sizeof(err)) == -1) {
		if (mem != NULL || strncmp(err, "t:", 2) != 0)
			abort();
		return;
	}
	if (type != MAKEMAP_ALIASES)
		abort();
	(void)table_mem_iterate(mem, fuzz_entry, NULL);
	table_mem_free(mem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	table_set_warn(fuzz_warn, NULL);
	if (data[0] & 1)
		fuzz_file((const char *)data + 1, size - 1, data[0] & 2);
	else
		fuzz_value((const char *)data + 1, size - 1);
	return 0;
}

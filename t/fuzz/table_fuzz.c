/*
 * table_fuzz.c: libFuzzer harness for the text table parser
 * (aliases/table_file.c, table_text_parse) and the list matchers that read
 * its entries (aliases/listmatch.c). The first input octet picks the
 * TABLE_PARSE_* flags, the rest is the file. A parse either fails with a
 * "t:LINE: message" error, or yields entries whose keys are folded, free
 * of NUL, valid UTF-8, within the line limit and found again by lookup;
 * a list has no values and a mapping has a non-empty key and value for
 * every entry. Any broken invariant calls abort(). Built with replay.c,
 * `make check` replays t/fuzz/corpus/table_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/listmatch.h"
#include "aliases/table.h"
#include "lib/utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_walk {
	const struct table_mem	*mem;
	enum table_kind		 kind;
	size_t			 n;
};

static void	fuzz_warn(void *, const char *);
static int	fuzz_entry(void *, const char *, const char *, int);

static void
fuzz_warn(void *arg, const char *msg)
{
	(void)arg;
	if (strncmp(msg, "t:", 2) != 0)
		abort();
}

static int
fuzz_entry(void *arg, const char *key, const char *value, int line)
{
	struct fuzz_walk *w = arg;
	const char *v;
	struct netaddr na;
	size_t i, klen = strlen(key);
	int l;

	w->n++;
	if (line < 1 || klen > TABLE_LINE_MAX || !utf8_valid(key, klen))
		abort();
	for (i = 0; i < klen; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			abort();
	if (!table_mem_get(w->mem, key, &v, &l) || v != value || l != line)
		abort();
	if (w->kind == TABLE_KIND_LIST) {
		if (value != NULL || klen == 0)
			abort();
	} else if (value == NULL || value[0] == '\0' || klen == 0 ||
	    strlen(value) > TABLE_LINE_MAX || !utf8_valid(value, strlen(value)))
		abort();

	/* The matchers must take any entry. */
	(void)listmatch_netaddr_parse(key, 1, &na);
	(void)listmatch_netaddr_entry(key, "192.0.2.1");
	(void)listmatch_netaddr_entry(key, "2001:db8::1");
	(void)listmatch_domain_entry(key, "a.example.org");
	(void)listmatch_mailaddr_entry(key, "bob+tag@a.example.org", '+');
	(void)listmatch_mailaddr_entry(key, "", '+');
	(void)listmatch_user_entry(key, "bob");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table_mem *mem;
	struct fuzz_walk w;
	enum table_kind kind;
	char err[TABLE_ERR_MAX];
	int flags;

	if (size < 1)
		return 0;
	table_set_warn(fuzz_warn, NULL);
	flags = data[0] & (TABLE_PARSE_ALIASES | TABLE_PARSE_STRICT |
	    TABLE_PARSE_SET);
	err[0] = '\0';
	if (table_text_parse("t", (const char *)data + 1, size - 1, flags,
	    &mem, &kind, err, sizeof(err)) == -1) {
		if (mem != NULL || strncmp(err, "t:", 2) != 0)
			abort();
		return 0;
	}
	if (kind != TABLE_KIND_LIST && kind != TABLE_KIND_MAPPING)
		abort();
	if ((flags & TABLE_PARSE_SET) && kind != TABLE_KIND_LIST)
		abort();
	memset(&w, 0, sizeof(w));
	w.mem = mem;
	w.kind = kind;
	if (table_mem_iterate(mem, fuzz_entry, &w) != TABLE_NOTFOUND ||
	    w.n != table_mem_count(mem))
		abort();
	table_mem_free(mem);
	return 0;
}

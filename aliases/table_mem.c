/*
 * table_mem.c: the in-memory store of folded keys and verbatim values
 * behind file: and inline: tables, the scan cache of db: tables, and the
 * makemap builder. A red-black tree keyed by the folded key. Called only
 * by aliases/table*.c (and makemap); it never logs and never fails on
 * contents - callers check them before they put them.
 */
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/table.h"
#include "aliases/table_backend.h"
#include "lib/xmalloc.h"

struct table_mem_entry {
	RB_ENTRY(table_mem_entry) node;
	char			*key;		/* folded */
	char			*value;		/* NULL in a list */
	int			 line;
};

RB_HEAD(table_mem_tree, table_mem_entry);

struct table_mem {
	struct table_mem_tree	 tree;
	size_t			 count;
};

static int	table_mem_cmp(struct table_mem_entry *,
		    struct table_mem_entry *);

RB_GENERATE_INTERNAL(table_mem_tree, table_mem_entry, node, table_mem_cmp,
    __attribute__((unused)) static)

static int
table_mem_cmp(struct table_mem_entry *a, struct table_mem_entry *b)
{
	return strcmp(a->key, b->key);
}

int
table_fold(const char *s, size_t len, char *dst, size_t dstsz)
{
	size_t i;

	if (dstsz == 0 || len > dstsz - 1)
		return -1;
	for (i = 0; i < len; i++)
		dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i];
	dst[len] = '\0';
	return 0;
}

struct table_mem *
table_mem_new(void)
{
	struct table_mem *m;

	m = xcalloc(1, sizeof(*m));
	RB_INIT(&m->tree);
	return m;
}

void
table_mem_free(struct table_mem *m)
{
	struct table_mem_entry *e, *next;

	if (m == NULL)
		return;
	for (e = RB_MIN(table_mem_tree, &m->tree); e != NULL; e = next) {
		next = RB_NEXT(table_mem_tree, &m->tree, e);
		RB_REMOVE(table_mem_tree, &m->tree, e);
		free(e->key);
		free(e->value);
		free(e);
	}
	free(m);
}

/*
 * Stores key (folded here) with value (NULL: a list element). The key
 * and value must not contain NUL; the caller has checked that.
 */
int
table_mem_put(struct table_mem *m, const char *key, size_t klen,
    const char *value, size_t vlen, int line, int *prevline)
{
	struct table_mem_entry *e, *old;

	e = xcalloc(1, sizeof(*e));
	e->key = xmalloc(klen + 1);
	(void)table_fold(key, klen, e->key, klen + 1);
	e->value = value != NULL ? xstrndup(value, vlen) : NULL;
	e->line = line;
	if ((old = RB_INSERT(table_mem_tree, &m->tree, e)) != NULL) {
		if (prevline != NULL)
			*prevline = old->line;
		free(old->value);
		old->value = e->value;
		old->line = line;
		free(e->key);
		free(e);
		return 1;
	}
	m->count++;
	return 0;
}

int
table_mem_get(const struct table_mem *m, const char *key,
    const char **valuep, int *linep)
{
	struct table_mem_entry find, *e;

	find.key = (char *)(uintptr_t)key;
	e = RB_FIND(table_mem_tree, (struct table_mem_tree *)(uintptr_t)&m->tree,
	    &find);
	if (e == NULL)
		return 0;
	if (valuep != NULL)
		*valuep = e->value;
	if (linep != NULL)
		*linep = e->line;
	return 1;
}

size_t
table_mem_count(const struct table_mem *m)
{
	return m->count;
}

enum table_result
table_mem_iterate(const struct table_mem *m, table_iter_fn fn, void *arg)
{
	struct table_mem_entry *e;
	struct table_mem_tree *tree;

	tree = (struct table_mem_tree *)(uintptr_t)&m->tree;
	RB_FOREACH(e, table_mem_tree, tree)
		if (fn(arg, e->key, e->value, e->line))
			return TABLE_FOUND;
	return TABLE_NOTFOUND;
}

/* Backend operations shared by the backends that load into memory. */
enum table_result
table_mem_op_lookup(void *h, const char *key, char **valuep)
{
	const char *value;

	if (!table_mem_get(h, key, &value, NULL))
		return TABLE_NOTFOUND;
	if (valuep != NULL)
		*valuep = value != NULL ? xstrdup(value) : NULL;
	return TABLE_FOUND;
}

enum table_result
table_mem_op_iterate(void *h, table_iter_fn fn, void *arg)
{
	return table_mem_iterate(h, fn, arg);
}

void
table_mem_op_close(void *h)
{
	table_mem_free(h);
}

/*
 * table_inline.c: the inline backend, `table NAME { ... }` and anonymous
 * `{ ... }` or single-value tables of the config. The parser already
 * split the entries (struct table_decl); this folds the keys into a
 * memory store. Called by aliases/table.c only. Nothing to reload: the
 * contents change only with the config.
 */
#include <stdlib.h>
#include <string.h>

#include "aliases/table_backend.h"
#include "lib/xmalloc.h"

static void	*table_inline_open(const struct table_decl *, int,
		    enum table_kind *, char *, size_t);

const struct table_ops table_backend_inline = {
	.name = "inline",
	.open = table_inline_open,
	.lookup = table_mem_op_lookup,
	.iterate = table_mem_op_iterate,
	.close = table_mem_op_close,
};

static void *
table_inline_open(const struct table_decl *decl, int flags,
    enum table_kind *kindp, char *err, size_t errsz)
{
	struct table_mem *mem;
	const struct table_entry *e;
	enum table_kind kind = decl->kind;
	char *folded;
	size_t i, klen;

	(void)flags;
	if (kind == TABLE_KIND_UNKNOWN) {
		kind = TABLE_KIND_LIST;
		for (i = 0; i < decl->nentries; i++)
			if (decl->entries[i].value != NULL)
				kind = TABLE_KIND_MAPPING;
	}
	mem = table_mem_new();
	for (i = 0; i < decl->nentries; i++) {
		e = &decl->entries[i];
		if (e->key == NULL ||
		    (kind == TABLE_KIND_MAPPING && e->value == NULL)) {
			table_decl_err(err, errsz, decl, "invalid entry");
			table_mem_free(mem);
			return NULL;
		}
		klen = strlen(e->key);
		if (table_mem_put(mem, e->key, klen,
		    kind == TABLE_KIND_MAPPING ? e->value : NULL,
		    kind == TABLE_KIND_MAPPING ? strlen(e->value) : 0, 0,
		    NULL) == 1) {
			folded = xmalloc(klen + 1);
			(void)table_fold(e->key, klen, folded, klen + 1);
			if (decl->file != NULL)
				table_warn("%s:%d: duplicate entry for %s",
				    decl->file, decl->line, folded);
			else
				table_warn("duplicate entry for %s", folded);
			free(folded);
		}
	}
	*kindp = kind;
	return mem;
}

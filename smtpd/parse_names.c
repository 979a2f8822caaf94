/*
 * parse_names.c: the parser's index of declared names (tables, pki,
 * actions), so that a declaration or reference costs the same in a file of
 * ten directives or of a hundred thousand. An open-addressing hash table of
 * pointers to the objects, which the config owns; the index only borrows
 * the name strings stored in them. Used by parse_table.c, parse_pki.c,
 * parse_action.c and parse_match.c; freed with the parser state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "smtpd/parse.h"

#define NAMES_MIN	64		/* first size, a power of two */

static uint32_t	parse_names_hash(int, const char *);
static void	parse_names_grow(struct parse_names *);

/* FNV-1a over the namespace and the name. */
static uint32_t
parse_names_hash(int ns, const char *name)
{
	uint32_t h = 2166136261u;

	h = (h ^ (uint32_t)ns) * 16777619u;
	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static void
parse_names_grow(struct parse_names *n)
{
	struct parse_name *old = n->slots;
	size_t oldcap = n->cap, i, j;

	n->cap = oldcap ? oldcap * 2 : NAMES_MIN;
	n->slots = xcalloc(n->cap, sizeof(*n->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].name == NULL)
			continue;
		j = parse_names_hash(old[i].ns, old[i].name) & (n->cap - 1);
		while (n->slots[j].name != NULL)
			j = (j + 1) & (n->cap - 1);
		n->slots[j] = old[i];
	}
	free(old);
}

void *
parse_names_get(struct parse_names *n, int ns, const char *name)
{
	size_t i;

	if (n->cap == 0)
		return NULL;
	i = parse_names_hash(ns, name) & (n->cap - 1);
	for (; n->slots[i].name != NULL; i = (i + 1) & (n->cap - 1))
		if (n->slots[i].ns == ns && strcmp(n->slots[i].name, name) == 0)
			return n->slots[i].obj;
	return NULL;
}

/* name must live as long as the index (it is the object's own copy). */
void
parse_names_put(struct parse_names *n, int ns, const char *name,
    void *obj)
{
	size_t i;

	if ((n->count + 1) * 2 > n->cap)
		parse_names_grow(n);
	i = parse_names_hash(ns, name) & (n->cap - 1);
	while (n->slots[i].name != NULL)
		i = (i + 1) & (n->cap - 1);
	n->slots[i].ns = ns;
	n->slots[i].name = name;
	n->slots[i].obj = obj;
	n->count++;
}

void
parse_names_free(struct parse_names *n)
{
	free(n->slots);
	memset(n, 0, sizeof(*n));
}

/*
 * xmalloc.h: allocation that cannot return NULL. Running out of memory is
 * not bad input, it is a broken invariant of the process: it logs and exits
 * (the parent then shuts the daemon down cleanly). Never use these on sizes
 * taken from the network without checking them first.
 */
#ifndef LIB_XMALLOC_H
#define LIB_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif

/*
 * writeall.h: write a whole buffer to a blocking descriptor.
 */
#ifndef LIB_WRITEALL_H
#define LIB_WRITEALL_H

#include <stddef.h>

int	write_all(int, const void *, size_t);

#endif

/*
 * utf8.h: the one UTF-8 validator (RFC 3629). The SMTP engine checks whole
 * command lines with it (protocol.md A.12), the address parser (addr.c)
 * every non-ASCII byte of an address. Pure functions: no allocation, no
 * logging, never reads past the length given.
 */
#ifndef LIB_UTF8_H
#define LIB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Largest number of octets of one encoded code point. */
#define UTF8_SEQ_MAX	4

size_t	utf8_decode(const char *, size_t, uint32_t *);
int	utf8_valid(const char *, size_t);

#endif

/*
 * addr_domain.h: private to the address parser (addr.c, addr_domain.c).
 * Everyone else includes lib/addr.h and calls addr_parse_domain() or
 * addr_domain_to_ascii().
 */
#ifndef LIB_ADDR_DOMAIN_H
#define LIB_ADDR_DOMAIN_H

#include <stddef.h>

#define ADDR_V6TAG		"IPv6:"	/* canonical spelling of the tag */
#define ADDR_V6TAG_LEN		5

enum addr_result addr_domain_scan(const char *, size_t, int, int *);
enum addr_result addr_domain_check(const char *, size_t);

#endif

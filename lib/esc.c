/*
 * esc.c: RFC 3463 enhanced status codes (esc.h). Pure.
 */
#include <string.h>

#include "lib/esc.h"

size_t
esc_len(const char *s, size_t len)
{
	size_t i, n, part;

	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if (++n > 3)
				return 0;
		if (n == 0)
			return 0;
		if (part == 0) {
			if (i == len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i;
}

size_t
esc_parse(const char *s, uint8_t *class, uint16_t *subject, uint16_t *detail)
{
	size_t n, i;
	unsigned int v[2] = { 0, 0 }, k = 0;

	n = esc_len(s, strnlen(s, 16));
	if (n == 0 || (s[n] != '\0' && s[n] != ' '))
		return 0;
	for (i = 2; i < n; i++) {
		if (s[i] == '.')
			k++;
		else
			v[k] = v[k] * 10 + (unsigned int)(s[i] - '0');
	}
	*class = (uint8_t)(s[0] - '0');
	*subject = (uint16_t)v[0];
	*detail = (uint16_t)v[1];
	return n;
}

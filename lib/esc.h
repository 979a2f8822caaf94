/*
 * esc.h: RFC 3463 enhanced status codes ("5.1.1"), the one parser of
 * them: deliver's outcomes and pipe statuses, the LMTP and relay
 * clients' replies, the parent's reading of deliver's error line, the
 * LMTP front's policy.
 */
#ifndef LIB_ESC_H
#define LIB_ESC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the code at the start of s[0..len): class "." subject "."
 * detail, class 2, 4 or 5, subject and detail of 1 to 3 digits, followed
 * by the end or a non-digit. 0 if there is none.
 */
size_t	esc_len(const char *, size_t);
/*
 * A code alone or followed by a blank at the start of the string s: its
 * parts, and the length of the code; 0 (parts untouched) if there is none.
 */
size_t	esc_parse(const char *, uint8_t *, uint16_t *, uint16_t *);

#endif

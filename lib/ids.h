/*
 * ids.h: message and envelope identifiers (spec/ctl.md §2).
 * msgid: 32 random bits, never 0, printed "%08x". evpid: msgid << 32 |
 * 32 random bits never 0, printed "%016llx". On input exactly 8 or 16 hex
 * digits, either case; anything else, or the value 0, is not an id.
 * Uniqueness within the queue is the caller's job (the queue retries on a
 * collision); these functions only draw and format.
 */
#ifndef LIB_IDS_H
#define LIB_IDS_H

#include <stddef.h>
#include <stdint.h>

#define IDS_MSGID_LEN	8		/* hex digits */
#define IDS_EVPID_LEN	16
#define IDS_MSGID_SIZE	(IDS_MSGID_LEN + 1)	/* with NUL */
#define IDS_EVPID_SIZE	(IDS_EVPID_LEN + 1)

enum ids_kind {
	IDS_NONE = 0,		/* not an id */
	IDS_MSGID,
	IDS_EVPID,
};

uint32_t	 ids_msgid_new(void);
uint64_t	 ids_evpid_new(uint32_t);
uint32_t	 ids_evpid_msgid(uint64_t);
int		 ids_evpid_valid(uint64_t);

int		 ids_msgid_parse(const char *, uint32_t *);
int		 ids_evpid_parse(const char *, uint64_t *);
enum ids_kind	 ids_parse(const char *, uint32_t *, uint64_t *);

const char	*ids_msgid_fmt(uint32_t, char [IDS_MSGID_SIZE]);
const char	*ids_evpid_fmt(uint64_t, char [IDS_EVPID_SIZE]);

#endif

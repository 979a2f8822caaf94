/*
 * sendmail_msg.h: the message handling of the sendmail personality
 * (spec/ctl.md section 9), pure: no I/O, no clock, no passwd look-ups.
 * ctl/sendmail.c feeds standard input through an sm_reader (LF or CRLF
 * in, CRLF lines out, a leading mbox "From " line dropped, a lone "."
 * ending the input without -i), parses the header section, takes the
 * recipients of -t from it, and builds the message that is submitted:
 * Bcc: and Resent-Bcc: removed, From:, Date: and Message-Id: added when
 * missing. Addresses found in header fields are checked by lib/addr, the
 * one address parser; sendmail_addr.c only splits RFC 5322 address lists.
 */
#ifndef CTL_SENDMAIL_MSG_H
#define CTL_SENDMAIL_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/addr.h"
#include "lib/buf.h"

#define SM_DATE_MAX		64	/* an RFC 5322 date */
#define SM_MSGID_MAX		(ADDR_MAILBOX_SIZE + 64)
#define SM_NAME_MAX		256	/* a display name */
#define SM_FIELD_NAME_MAX	128

/* Standard input to CRLF lines. */
struct sm_reader {
	struct buf	*out;		/* normalised lines are appended */
	struct buf	 line;		/* a partial line */
	int		 dot_ends;	/* no -i: a lone "." ends the input */
	int		 first;		/* the next line is the first one */
	int		 done;		/* ended by a lone "." */
};

void	sm_reader_init(struct sm_reader *, struct buf *, int dot_ends);
int	sm_reader_feed(struct sm_reader *, const void *, size_t);
void	sm_reader_end(struct sm_reader *);

/* One header field of a CRLF message: offsets into it. */
struct sm_field {
	size_t	off;		/* start of the field name */
	size_t	len;		/* whole field, continuation lines and CRLF */
	size_t	namelen;
	size_t	voff;		/* value: after the colon */
	size_t	vlen;		/* up to the final CRLF (excluded) */
};

struct sm_header {
	struct sm_field	*fields;
	size_t		 nfields;
	size_t		 end;		/* where the header section ends */
	int		 blank;		/* an empty line follows it */
};

void	sm_header_parse(const uint8_t *, size_t, struct sm_header *);
void	sm_header_free(struct sm_header *);
int	sm_field_is(const uint8_t *, const struct sm_field *, const char *);
int	sm_header_has(const uint8_t *, const struct sm_header *, const char *);

/* A list of strings (recipients). */
struct sm_list {
	char	**v;
	size_t	  n;
};

void	sm_list_add(struct sm_list *, const char *);
int	sm_list_has(const struct sm_list *, const char *);
void	sm_list_free(struct sm_list *);

/*
 * sendmail_addr.c. RFC 5322 address lists: every addr-spec of `value` (display names,
 * comments, groups and routes dropped; folding removed) is appended to
 * `out`. -1 on unbalanced quotes, comments or angle brackets, or a NUL.
 */
int	sm_addrlist_parse(const char *, size_t, struct sm_list *);
/* The addr-specs of To/Cc/Bcc, or Resent-To/Cc/Bcc if any Resent- field
 * is present (-t); -1 if one of those fields is malformed. */
int	sm_header_rcpts(const uint8_t *, const struct sm_header *,
	    struct sm_list *);

/*
 * An address from the command line or a header, "user" qualified with
 * "@servername"; brackets stripped. 0 with the canonical form in out,
 * 1 for the null sender ("" or "<>", only with allow_null), -1 if it is
 * not an address.
 */
int	sm_addr_qualify(const char *, const char *servername, int allow_null,
	    char *, size_t);

/* Header values: "Full Name" <addr>; a GECOS field's name; dates; ids. */
void	sm_from_value(const char *name, const char *addr, struct buf *);
void	sm_gecos_name(const char *gecos, const char *login, char *, size_t);
void	sm_date(time_t, char *, size_t);
void	sm_msgid(time_t, uint64_t rnd, const char *servername, char *,
	    size_t);

/* What sm_message_build adds when missing (NULL: never). */
struct sm_add {
	const char	*from;		/* value, e.g. "Name" <u@h> */
	const char	*date;
	const char	*msgid;
};

/*
 * The message to submit: header fields in order without Bcc: and
 * Resent-Bcc:, the missing ones of `add` after them, then the body.
 */
void	sm_message_build(const uint8_t *, size_t, const struct sm_header *,
	    const struct sm_add *, struct buf *);
/* DATA content: lines starting with "." doubled, "." CRLF appended. */
void	sm_dot_stuff(const uint8_t *, size_t, struct buf *);
int	sm_has_8bit(const uint8_t *, size_t);

/*
 * ESMTP parameters from -N, -R, -B (case-insensitive in, canonical out:
 * "NEVER" or "SUCCESS,FAILURE,DELAY" in that order; "FULL"/"HDRS";
 * "7BIT"/"8BITMIME") and -V (xtext, RFC 3461). -1 if invalid or too long.
 */
int	sm_notify_parse(const char *, char *, size_t);
int	sm_ret_parse(const char *, char *, size_t);
int	sm_body_parse(const char *, char *, size_t);
int	sm_xtext(const char *, char *, size_t);

#endif

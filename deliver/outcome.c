/*
 * outcome.c: the one result of a delivery (delivery.md "General rules"):
 * success, temporary or permanent failure, an RFC 3463 enhanced status
 * code and a one-line printable diagnostic. Maps errno values of file
 * deliveries (§2.4) and the outcome to the sysexits code of a stand-alone
 * run (end of §6). Used by every deliver/ module and by main.c.
 * Never allocates, never aborts: it runs on error paths.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "deliver/deliver.h"

static void	outcome_vset(struct outcome *, enum outcome_status,
		    const char *, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

void
outcome_ok(struct outcome *o)
{
	o->status = OUTCOME_OK;
	strlcpy(o->esc, "2.0.0", sizeof(o->esc));
	strlcpy(o->text, "delivered", sizeof(o->text));
}

/*
 * Fills the outcome. Control characters become '?', so the text is
 * always one line; callers quote untrusted text with outcome_quote()
 * first. A text too long for the buffer is cut, never an error.
 */
static void
outcome_vset(struct outcome *o, enum outcome_status status, const char *esc,
    const char *fmt, va_list ap)
{
	size_t i;

	o->status = status;
	strlcpy(o->esc, esc, sizeof(o->esc));
	if (vsnprintf(o->text, sizeof(o->text), fmt, ap) < 0)
		o->text[0] = '\0';
	for (i = 0; o->text[i] != '\0'; i++)
		if ((unsigned char)o->text[i] < 0x20 || o->text[i] == 0x7f)
			o->text[i] = '?';
}

void
outcome_set(struct outcome *o, enum outcome_status status, const char *esc,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outcome_vset(o, status, esc, fmt, ap);
	va_end(ap);
}

/*
 * A failed file operation, errno err (delivery.md §2.4): quota and file
 * size limits bounce as "mailbox full" (Postfix rule); everything else is
 * temporary, so a misconfiguration never loses mail. The text is
 * "FMT: strerror(err)".
 */
void
outcome_errno(struct outcome *o, int err, const char *fmt, ...)
{
	char what[OUTCOME_TEXT_SIZE];
	enum outcome_status status = OUTCOME_TEMP;
	const char *esc = "4.2.0", *prefix = NULL;
	va_list ap;

	switch (err) {
	case EDQUOT:
	case EFBIG:
		status = OUTCOME_PERM;
		esc = "5.2.2";
		prefix = "mailbox full: ";
		break;
	case ENOSPC:
		esc = "4.3.0";
		break;
	default:		/* EAGAIN, ESTALE, EACCES, EIO, ... */
		break;
	}
	va_start(ap, fmt);
	if (vsnprintf(what, sizeof(what), fmt, ap) < 0)
		what[0] = '\0';
	va_end(ap);
	outcome_set(o, status, esc, "%s%s: %s", prefix ? prefix : "", what,
	    strerror(err));
}

/*
 * The exit code of a stand-alone run (delivery.md end of §6): 0, 75 for
 * any temporary failure; a permanent one by its status code: 67 unknown
 * user (5.1.x), 73 can't create (5.2.x: mailbox full or unwritable), 77
 * permission (5.7.x), 65 data error (5.6.x, and the 5.4.6 loop: the
 * message itself is at fault), 70 for anything else.
 */
int
outcome_exit(const struct outcome *o)
{
	const char *e = o->esc;

	switch (o->status) {
	case OUTCOME_OK:
		return EX_OK;
	case OUTCOME_TEMP:
		return EX_TEMPFAIL;
	case OUTCOME_PERM:
		break;
	}
	if (strncmp(e, "5.1.", 4) == 0)
		return EX_NOUSER;
	if (strncmp(e, "5.2.", 4) == 0)
		return EX_CANTCREAT;
	if (strncmp(e, "5.7.", 4) == 0)
		return EX_NOPERM;
	if (strncmp(e, "5.6.", 4) == 0 || strcmp(e, "5.4.6") == 0)
		return EX_DATAERR;
	return EX_SOFTWARE;
}

/* The log word of style.md: result=Ok|TempFail|PermFail. */
const char *
outcome_result(const struct outcome *o)
{
	switch (o->status) {
	case OUTCOME_OK:
		return "Ok";
	case OUTCOME_TEMP:
		return "TempFail";
	case OUTCOME_PERM:
		break;
	}
	return "PermFail";
}

/*
 * Copies src[0..len) into dst as printable ASCII: backslash and double
 * quote escaped, \t \r \n as such, any other control or non-ASCII byte as
 * \ooo. Always NUL-terminates; stops before an escape that would not fit.
 * Returns the length written.
 */
size_t
outcome_quote(char *dst, size_t size, const char *src, size_t len)
{
	char esc[5];
	size_t i, o = 0, n;
	unsigned char c;

	if (size == 0)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c == '\\' || c == '"') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c == '\t' || c == '\r' || c == '\n') {
			esc[0] = '\\';
			esc[1] = c == '\t' ? 't' : c == '\r' ? 'r' : 'n';
			n = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			esc[0] = '\\';
			esc[1] = (char)('0' + (c >> 6));
			esc[2] = (char)('0' + ((c >> 3) & 7));
			esc[3] = (char)('0' + (c & 7));
			n = 4;
		} else {
			esc[0] = (char)c;
			n = 1;
		}
		if (o + n >= size)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}

/*
 * lmtp_policy.c: the LMTP front's per-recipient reply policy (see
 * lmtp_policy.h). A recipient is answered with its real outcome:
 *	every envelope delivered		250 2.0.0 <rcpt> MSGID Delivered
 *	some delivered or queued, rest failed	250 2.0.0 <rcpt> MSGID Message
 *						accepted for delivery (we keep
 *						the failed ones: retry, report)
 *	every envelope failed			the failure: 452 4.2.2, 552
 *						5.2.2, 451 4.x.y, 550 5.x.y
 * Pure: called by the queue role and by the smtp role, unit-tested in
 * t/unit/lmtp_policy_test.c. Text from deliver is untrusted for a reply
 * line: it is cut, and anything but printable ASCII becomes '?'.
 */
#include <stdio.h>
#include <string.h>

#include "lib/esc.h"
#include "lmtpd/lmtp_policy.h"
#include "queue/envelope.h"
#include "smtpd/config.h"

#define LMTP_ESC_PART_MAX	999	/* RFC 3463: 1 to 3 digits */

static size_t	policy_skip_esc(const char *);
static int	policy_text_clean(const char *);

/*
 * 1 if an LMTP session waits for this envelope's delivery before it
 * answers: a local delivery that writes a mailbox (maildir, mbox, or a
 * /file destination). Relays, pipes (`mda`, |command) and `lmtp` actions
 * are only queued: they may be slow or remote.
 */
int
lmtp_policy_sync(const struct config *conf, const struct envelope *e)
{
	const struct action *a;

	if (e->type != ENVELOPE_MDA)
		return 0;
	switch (e->mda_method) {
	case ENVELOPE_MDA_FILE:
		return 1;
	case ENVELOPE_MDA_PIPE:
		return 0;
	case ENVELOPE_MDA_ACTION:
		break;
	}
	if (conf == NULL || (a = config_action_find(conf, e->dispatcher)) ==
	    NULL)
		return 0;
	return a->method == ACTION_MAILDIR || a->method == ACTION_MBOX;
}

/* Length of a leading "X.Y.Z " (enhanced status code) in s, or 0. */
static size_t
policy_skip_esc(const char *s)
{
	size_t i;

	if ((i = esc_len(s, strlen(s))) == 0 || (s[i] != ' ' && s[i] != '\0'))
		return 0;
	while (s[i] == ' ')
		i++;
	return i;
}

/*
 * out = in, at most outsize - 1 bytes, printable ASCII only (anything
 * else becomes '?'), no trailing blanks. Never fails.
 */
void
lmtp_policy_sanitize(const char *in, char *out, size_t outsize)
{
	size_t i, n = 0;
	unsigned char c;

	if (outsize == 0)
		return;
	for (i = 0; in != NULL && in[i] != '\0' && n + 1 < outsize; i++) {
		c = (unsigned char)in[i];
		out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static int
policy_text_clean(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The reply of a recipient whose every envelope failed like this one. */
void
lmtp_policy_failure(enum lmtp_outcome outcome, uint8_t esc_class,
    uint16_t subject, uint16_t detail, const char *text,
    struct lmtp_verdict *v)
{
	int perm = outcome == LMTP_PERMFAIL;

	memset(v, 0, sizeof(*v));
	v->kind = LMTP_V_FAILED;
	v->esc_class = perm ? 5 : 4;
	if (esc_class == v->esc_class && subject <= LMTP_ESC_PART_MAX &&
	    detail <= LMTP_ESC_PART_MAX) {
		v->esc_subject = subject;
		v->esc_detail = detail;
	} else {
		v->esc_subject = 3;
		v->esc_detail = 0;
	}
	if (v->esc_subject == 2 && v->esc_detail == 2)
		v->code = perm ? 552 : 452;	/* mailbox full */
	else if (!perm && v->esc_subject == 3 && v->esc_detail == 1)
		v->code = 452;			/* insufficient storage */
	else
		v->code = perm ? 550 : 451;
	if (text != NULL)
		text += policy_skip_esc(text);
	lmtp_policy_sanitize(text, v->text, sizeof(v->text));
	if (v->text[0] == '\0')
		strlcpy(v->text, perm ? "Delivery failed" :
		    "Temporary failure", sizeof(v->text));
}

/*
 * One recipient's verdict from the outcomes of its envelopes, in the
 * order they were queued. When several failed, a temporary one wins (the
 * client tries the recipient again), else the first permanent one.
 */
void
lmtp_policy_verdict(const struct lmtp_env_outcome *o, size_t n,
    struct lmtp_verdict *v)
{
	const struct lmtp_env_outcome *temp = NULL, *perm = NULL, *f;
	size_t i, kept = 0, delivered = 0;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++)
		switch (o[i].outcome) {
		case LMTP_DELIVERED:
			delivered++;
			break;
		case LMTP_QUEUED:
			kept++;
			break;
		case LMTP_TEMPFAIL:
			if (temp == NULL)
				temp = &o[i];
			break;
		case LMTP_PERMFAIL:
			if (perm == NULL)
				perm = &o[i];
			break;
		}
	if (n == 0 || kept > 0 || (delivered > 0 && (temp || perm))) {
		v->kind = LMTP_V_ACCEPTED;
		v->code = 250;
		v->esc_class = 2;
		return;
	}
	if (temp == NULL && perm == NULL) {
		v->kind = LMTP_V_DELIVERED;
		v->code = 250;
		v->esc_class = 2;
		return;
	}
	f = temp ? temp : perm;
	lmtp_policy_failure(f->outcome, f->esc_class, f->esc_subject,
	    f->esc_detail, f->text, v);
}

/* 1 if v is a verdict this policy could have made (one from IPC). */
int
lmtp_policy_valid(const struct lmtp_verdict *v)
{
	switch (v->kind) {
	case LMTP_V_DELIVERED:
	case LMTP_V_ACCEPTED:
		return v->code == 250;
	case LMTP_V_FAILED:
		break;
	default:
		return 0;
	}
	if (memchr(v->text, '\0', sizeof(v->text)) == NULL ||
	    !policy_text_clean(v->text) ||
	    v->esc_subject > LMTP_ESC_PART_MAX ||
	    v->esc_detail > LMTP_ESC_PART_MAX)
		return 0;
	if (v->esc_class == 4)
		return v->code == 451 || v->code == 452;
	if (v->esc_class == 5)
		return v->code == 550 || v->code == 552;
	return 0;
}

/* The reply line (no CRLF) for rcpt; -1 if v is invalid or it is cut. */
int
lmtp_policy_reply(const struct lmtp_verdict *v, const char *rcpt,
    uint32_t msgid, char *buf, size_t len)
{
	int n;

	if (!lmtp_policy_valid(v))
		return -1;
	switch (v->kind) {
	case LMTP_V_DELIVERED:
		n = snprintf(buf, len, "250 2.0.0 <%s> %08x Delivered", rcpt,
		    msgid);
		break;
	case LMTP_V_ACCEPTED:
		n = snprintf(buf, len, "250 2.0.0 <%s> %08x Message accepted "
		    "for delivery", rcpt, msgid);
		break;
	default:
		n = snprintf(buf, len, "%u %u.%u.%u <%s> %s",
		    (unsigned int)v->code, (unsigned int)v->esc_class,
		    (unsigned int)v->esc_subject, (unsigned int)v->esc_detail,
		    rcpt, v->text);
		break;
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

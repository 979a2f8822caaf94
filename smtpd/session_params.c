/*
 * session_params.c: ESMTP parameters of MAIL and RCPT (RFC 1870 SIZE,
 * RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3461 DSN, RFC 4954 AUTH) and the
 * xtext decoder. Unknown parameters get 555 5.5.4, bad values and
 * duplicates 501 5.5.4 (protocol.md A.1, A.10). Each function sends its
 * own error reply and returns -1.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "smtpd/session.h"

#define PARAM_SIZE	0x01
#define PARAM_BODY	0x02
#define PARAM_UTF8	0x04
#define PARAM_RET	0x08
#define PARAM_ENVID	0x10
#define PARAM_AUTH	0x20
#define PARAM_NOTIFY	0x40
#define PARAM_ORCPT	0x80

static int	param_next(char **, char **, char **);
static int	param_bad(struct session *);
static int	param_unsupported(struct session *, const char *);
static int	param_notify(const char *, uint8_t *);
static int	param_printable(const char *);

/* Split off the next "NAME[=VALUE]"; 0 at the end. */
static int
param_next(char **cursor, char **name, char **value)
{
	char *p = *cursor, *eq;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	*name = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	*cursor = p;
	if ((eq = strchr(*name, '=')) != NULL) {
		*eq = '\0';
		*value = eq + 1;
	} else
		*value = NULL;
	return 1;
}

static int
param_bad(struct session *s)
{
	session_reply(s, "501 5.5.4 Invalid parameter");
	session_error(s);
	return -1;
}

static int
param_unsupported(struct session *s, const char *name)
{
	session_reply(s, "555 5.5.4 Unsupported option: %.64s", name);
	session_error(s);
	return -1;
}

static int
param_printable(const char *p)
{
	for (; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/*
 * RFC 3461 §4 xtext: "+HH" stands for the octet HH (upper-case hex);
 * "+" and "=" must be encoded; printable ASCII otherwise. -1 on error.
 */
int
session_xtext_decode(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	int hi, lo;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '+') {
			if (!isxdigit((unsigned char)in[1]) ||
			    !isxdigit((unsigned char)in[2]))
				return -1;
			hi = isdigit((unsigned char)in[1]) ? in[1] - '0' :
			    toupper((unsigned char)in[1]) - 'A' + 10;
			lo = isdigit((unsigned char)in[2]) ? in[2] - '0' :
			    toupper((unsigned char)in[2]) - 'A' + 10;
			c = (unsigned char)(hi << 4 | lo);
			if (c == '\0')
				return -1;
			in += 2;
		} else if (c < 0x21 || c > 0x7e || c == '=')
			return -1;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int
session_mail_params(struct session *s, char *params)
{
	struct session_txn *t = &s->txn;
	int seen = 0, nodsn;
	char *name, *value, *end, scratch[512];
	unsigned long long v;

	nodsn = (s->listener->conf->flags & LISTENER_NO_DSN) != 0;
	while (param_next(&params, &name, &value)) {
		if (strcasecmp(name, "SIZE") == 0) {
			if ((seen & PARAM_SIZE) || value == NULL || !*value ||
			    strspn(value, "0123456789") != strlen(value) ||
			    strlen(value) > 20)
				return param_bad(s);
			v = strtoull(value, &end, 10);
			t->size_decl = v;
			seen |= PARAM_SIZE;
		} else if (strcasecmp(name, "BODY") == 0) {
			if ((seen & PARAM_BODY) || value == NULL)
				return param_bad(s);
			if (strcasecmp(value, "8BITMIME") == 0)
				t->body8bit = 1;
			else if (strcasecmp(value, "7BIT") != 0) {
				if (strcasecmp(value, "BINARYMIME") == 0)
					return param_unsupported(s,
					    "BODY=BINARYMIME");
				return param_bad(s);
			}
			seen |= PARAM_BODY;
		} else if (strcasecmp(name, "SMTPUTF8") == 0) {
			if ((seen & PARAM_UTF8) || value != NULL)
				return param_bad(s);
			t->smtputf8 = 1;
			seen |= PARAM_UTF8;
		} else if (strcasecmp(name, "RET") == 0 && !nodsn) {
			if ((seen & PARAM_RET) || value == NULL)
				return param_bad(s);
			if (strcasecmp(value, "FULL") == 0)
				t->ret = ENVELOPE_RET_FULL;
			else if (strcasecmp(value, "HDRS") == 0)
				t->ret = ENVELOPE_RET_HDRS;
			else
				return param_bad(s);
			seen |= PARAM_RET;
		} else if (strcasecmp(name, "ENVID") == 0 && !nodsn) {
			if ((seen & PARAM_ENVID) || value == NULL ||
			    session_xtext_decode(value, t->envid,
			    sizeof(t->envid)) == -1 || !*t->envid ||
			    !param_printable(t->envid))
				return param_bad(s);
			seen |= PARAM_ENVID;
		} else if (strcasecmp(name, "AUTH") == 0) {
			/* Accepted and ignored for now (protocol.md A.7). */
			if ((seen & PARAM_AUTH) || value == NULL ||
			    session_xtext_decode(value, scratch,
			    sizeof(scratch)) == -1)
				return param_bad(s);
			seen |= PARAM_AUTH;
		} else
			return param_unsupported(s, name);
	}
	return 0;
}

static int
param_notify(const char *value, uint8_t *notify)
{
	char copy[64], *word, *p;
	uint8_t n = 0;

	if (strlcpy(copy, value, sizeof(copy)) >= sizeof(copy) || !*copy)
		return -1;
	p = copy;
	while ((word = strsep(&p, ",")) != NULL) {
		if (strcasecmp(word, "NEVER") == 0)
			n |= ENVELOPE_DSN_NEVER;
		else if (strcasecmp(word, "SUCCESS") == 0)
			n |= ENVELOPE_DSN_SUCCESS;
		else if (strcasecmp(word, "FAILURE") == 0)
			n |= ENVELOPE_DSN_FAILURE;
		else if (strcasecmp(word, "DELAY") == 0)
			n |= ENVELOPE_DSN_DELAY;
		else
			return -1;
	}
	if ((n & ENVELOPE_DSN_NEVER) && n != ENVELOPE_DSN_NEVER)
		return -1;
	*notify = n;
	return 0;
}

int
session_rcpt_params(struct session *s, struct session_rcpt *r, char *params)
{
	int seen = 0, nodsn;
	char *name, *value, *semi;

	nodsn = (s->listener->conf->flags & LISTENER_NO_DSN) != 0;
	while (param_next(&params, &name, &value)) {
		if (strcasecmp(name, "NOTIFY") == 0 && !nodsn) {
			if ((seen & PARAM_NOTIFY) || value == NULL ||
			    param_notify(value, &r->notify) == -1)
				return param_bad(s);
			seen |= PARAM_NOTIFY;
		} else if (strcasecmp(name, "ORCPT") == 0 && !nodsn) {
			if ((seen & PARAM_ORCPT) || value == NULL ||
			    (semi = strchr(value, ';')) == NULL)
				return param_bad(s);
			*semi++ = '\0';
			if (strcasecmp(value, "rfc822") == 0)
				r->orcpt_type = ENVELOPE_ORCPT_RFC822;
			else if (strcasecmp(value, "utf-8") == 0)
				r->orcpt_type = ENVELOPE_ORCPT_UTF8;
			else
				return param_bad(s);
			if (session_xtext_decode(semi, r->orcpt,
			    sizeof(r->orcpt)) == -1 || !*r->orcpt)
				return param_bad(s);
			seen |= PARAM_ORCPT;
		} else
			return param_unsupported(s, name);
	}
	return 0;
}

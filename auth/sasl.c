/*
 * sasl.c: the AUTH exchange state machine (see sasl.h): PLAIN (RFC 4616)
 * and LOGIN, with strict base64 (auth/base64.c). Called by the smtp
 * role's session for every AUTH command and response line, and by the
 * tests and the fuzz harness. Every input comes from the network: it is
 * bounded by length before it is decoded, nothing aborts, and decoded
 * bytes that held a password are wiped before the functions return.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "auth/base64.h"
#include "auth/sasl.h"
#include "lib/utf8.h"

#define AUTH_SASL_MECH_MAX	20	/* RFC 4422 sasl-mech: 1*20 chars */
/* "AUTH" SP arguments CRLF */
#define AUTH_SASL_CMD_OVERHEAD	(sizeof("AUTH ") - 1 + 2)

enum {
	SASL_S_INIT,		/* nothing started */
	SASL_S_PLAIN,		/* 334 sent, the PLAIN message is next */
	SASL_S_LOGIN_USER,	/* 334 Username: sent */
	SASL_S_LOGIN_PASS,	/* 334 Password: sent */
	SASL_S_OVER,		/* DONE, ERROR or FAIL was returned */
};

#define SASL_CHALLENGE_EMPTY	"334 "
#define SASL_CHALLENGE_USER	"334 VXNlcm5hbWU6"	/* "Username:" */
#define SASL_CHALLENGE_PASS	"334 UGFzc3dvcmQ6"	/* "Password:" */

static enum auth_sasl_status sasl_reply(struct auth_sasl *,
		    enum auth_sasl_status, const char *);
static enum auth_sasl_status sasl_over(struct auth_sasl *,
		    enum auth_sasl_status, const char *);
static int	sasl_user_ok(const unsigned char *, size_t);
static int	sasl_passwd_ok(const unsigned char *, size_t);
static int	sasl_decode(const char *, size_t, unsigned char *, size_t *);
static enum auth_sasl_status sasl_plain(struct auth_sasl *, const char *,
		    size_t);
static enum auth_sasl_status sasl_login_user(struct auth_sasl *,
		    const char *, size_t);
static enum auth_sasl_status sasl_login_pass(struct auth_sasl *,
		    const char *, size_t);

static const struct {
	const char		*name;
	enum auth_sasl_mech	 mech;
} sasl_mechs[] = {
	{ "PLAIN",	AUTH_MECH_PLAIN },
	{ "LOGIN",	AUTH_MECH_LOGIN },
};

enum auth_sasl_mech
auth_sasl_mech_byname(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sasl_mechs) / sizeof(sasl_mechs[0]); i++)
		if (strcasecmp(name, sasl_mechs[i].name) == 0)
			return sasl_mechs[i].mech;
	return AUTH_MECH_NONE;
}

const char *
auth_sasl_mech_name(enum auth_sasl_mech mech)
{
	size_t i;

	for (i = 0; i < sizeof(sasl_mechs) / sizeof(sasl_mechs[0]); i++)
		if (sasl_mechs[i].mech == mech)
			return sasl_mechs[i].name;
	return "none";
}

void
auth_sasl_clear(struct auth_sasl *a)
{
	explicit_bzero(a, sizeof(*a));
}

static enum auth_sasl_status
sasl_reply(struct auth_sasl *a, enum auth_sasl_status st, const char *reply)
{
	strlcpy(a->reply, reply, sizeof(a->reply));
	return st;
}

/* The end of an exchange: only DONE keeps the password. */
static enum auth_sasl_status
sasl_over(struct auth_sasl *a, enum auth_sasl_status st, const char *reply)
{
	a->state = SASL_S_OVER;
	if (st != AUTH_SASL_DONE) {
		explicit_bzero(a->passwd, sizeof(a->passwd));
		a->passwdlen = 0;
	}
	return sasl_reply(a, st, reply);
}

/*
 * An authcid or authzid: 1 to AUTH_USER_MAX octets of UTF-8 without
 * control characters (it is logged and becomes a table key).
 */
static int
sasl_user_ok(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > AUTH_USER_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return utf8_valid((const char *)s, len);
}

/* A password: 1 to AUTH_PASSWD_MAX octets, no NUL (RFC 4616 1*SAFE). */
static int
sasl_passwd_ok(const unsigned char *s, size_t len)
{
	return len > 0 && len <= AUTH_PASSWD_MAX && memchr(s, '\0', len) ==
	    NULL;
}

/* A response line into dst (AUTH_SASL_DECODED_MAX octets); -1 if bad. */
static int
sasl_decode(const char *line, size_t len, unsigned char *dst, size_t *outlen)
{
	return auth_b64_decode(line, len, dst, AUTH_SASL_DECODED_MAX, outlen);
}

enum auth_sasl_status
auth_sasl_command(struct auth_sasl *a, const char *arg, size_t len)
{
	char mech[AUTH_SASL_MECH_MAX + 1];
	const char *sp;
	size_t mlen;

	auth_sasl_clear(a);
	if (len > AUTH_SASL_LINE_MAX - AUTH_SASL_CMD_OVERHEAD)
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_TOOLONG);
	sp = memchr(arg, ' ', len);
	mlen = sp != NULL ? (size_t)(sp - arg) : len;
	if (mlen == 0 || memchr(arg, '\0', mlen) != NULL)
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_SYNTAX);
	if (mlen > AUTH_SASL_MECH_MAX)
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_MECH);
	memcpy(mech, arg, mlen);
	mech[mlen] = '\0';
	if (sp == NULL)
		return auth_sasl_start(a, mech, NULL, 0);
	return auth_sasl_start(a, mech, sp + 1, len - mlen - 1);
}

enum auth_sasl_status
auth_sasl_start(struct auth_sasl *a, const char *mech, const char *initial,
    size_t initlen)
{
	auth_sasl_clear(a);
	if ((a->mech = auth_sasl_mech_byname(mech)) == AUTH_MECH_NONE)
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_MECH);
	if (initial != NULL && initlen > AUTH_SASL_LINE_MAX -
	    AUTH_SASL_CMD_OVERHEAD)
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_TOOLONG);
	/* RFC 4954 section 4: "=" is an initial response of zero length */
	if (initial != NULL && initlen == 1 && initial[0] == '=')
		initlen = 0;
	switch (a->mech) {
	case AUTH_MECH_PLAIN:
		if (initial == NULL) {
			a->state = SASL_S_PLAIN;
			return sasl_reply(a, AUTH_SASL_MORE,
			    SASL_CHALLENGE_EMPTY);
		}
		return sasl_plain(a, initial, initlen);
	case AUTH_MECH_LOGIN:
		if (initial == NULL) {
			a->state = SASL_S_LOGIN_USER;
			return sasl_reply(a, AUTH_SASL_MORE,
			    SASL_CHALLENGE_USER);
		}
		return sasl_login_user(a, initial, initlen);
	case AUTH_MECH_NONE:
		break;
	}
	return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_MECH);
}

enum auth_sasl_status
auth_sasl_step(struct auth_sasl *a, const char *line, size_t len)
{
	if (a->state == SASL_S_INIT || a->state == SASL_S_OVER)
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_SYNTAX);
	if (len > AUTH_SASL_LINE_MAX - 2)
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_TOOLONG);
	if (len == 1 && line[0] == '*')
		return sasl_over(a, AUTH_SASL_ERROR,
		    AUTH_SASL_REPLY_CANCELLED);
	switch (a->state) {
	case SASL_S_PLAIN:
		return sasl_plain(a, line, len);
	case SASL_S_LOGIN_USER:
		return sasl_login_user(a, line, len);
	case SASL_S_LOGIN_PASS:
		return sasl_login_pass(a, line, len);
	}
	return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_SYNTAX);
}

/*
 * RFC 4616: [authzid] NUL authcid NUL passwd. Not exactly two NULs is
 * undecodable (501); a bad or foreign identity or password is a failed
 * authentication (535), like a wrong password.
 */
static enum auth_sasl_status
sasl_plain(struct auth_sasl *a, const char *line, size_t len)
{
	unsigned char buf[AUTH_SASL_DECODED_MAX];
	const unsigned char *zid, *cid, *pw, *n1, *n2;
	size_t dlen, zlen, clen, plen;
	enum auth_sasl_status st;

	if (sasl_decode(line, len, buf, &dlen) == -1) {
		st = sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_DECODE);
		goto done;
	}
	if ((n1 = memchr(buf, '\0', dlen)) == NULL ||
	    (n2 = memchr(n1 + 1, '\0', dlen - (size_t)(n1 + 1 - buf))) ==
	    NULL ||
	    memchr(n2 + 1, '\0', dlen - (size_t)(n2 + 1 - buf)) != NULL) {
		st = sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_DECODE);
		goto done;
	}
	zid = buf;
	zlen = (size_t)(n1 - buf);
	cid = n1 + 1;
	clen = (size_t)(n2 - cid);
	pw = n2 + 1;
	plen = dlen - (size_t)(pw - buf);
	/* authzid: empty, or the authcid itself (logins ignore case) */
	if (!sasl_user_ok(cid, clen) || !sasl_passwd_ok(pw, plen) ||
	    (zlen != 0 && (zlen != clen ||
	    strncasecmp((const char *)zid, (const char *)cid, clen) != 0))) {
		if (sasl_user_ok(cid, clen)) {
			memcpy(a->user, cid, clen);	/* for the log */
			a->user[clen] = '\0';
		}
		st = sasl_over(a, AUTH_SASL_FAIL, AUTH_SASL_REPLY_INVALID);
		goto done;
	}
	memcpy(a->user, cid, clen);
	a->user[clen] = '\0';
	memcpy(a->passwd, pw, plen);
	a->passwd[plen] = '\0';
	a->passwdlen = plen;
	st = sasl_over(a, AUTH_SASL_DONE, "");
done:
	explicit_bzero(buf, sizeof(buf));
	return st;
}

/* LOGIN's user name; a bad one fails only after the password. */
static enum auth_sasl_status
sasl_login_user(struct auth_sasl *a, const char *line, size_t len)
{
	unsigned char buf[AUTH_SASL_DECODED_MAX];
	size_t dlen;

	if (sasl_decode(line, len, buf, &dlen) == -1) {
		explicit_bzero(buf, sizeof(buf));
		return sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_DECODE);
	}
	if (sasl_user_ok(buf, dlen)) {
		memcpy(a->user, buf, dlen);
		a->user[dlen] = '\0';
	} else
		a->bad = 1;
	explicit_bzero(buf, sizeof(buf));
	a->state = SASL_S_LOGIN_PASS;
	return sasl_reply(a, AUTH_SASL_MORE, SASL_CHALLENGE_PASS);
}

static enum auth_sasl_status
sasl_login_pass(struct auth_sasl *a, const char *line, size_t len)
{
	unsigned char buf[AUTH_SASL_DECODED_MAX];
	enum auth_sasl_status st;
	size_t dlen;

	if (sasl_decode(line, len, buf, &dlen) == -1)
		st = sasl_over(a, AUTH_SASL_ERROR, AUTH_SASL_REPLY_DECODE);
	else if (a->bad || !sasl_passwd_ok(buf, dlen))
		st = sasl_over(a, AUTH_SASL_FAIL, AUTH_SASL_REPLY_INVALID);
	else {
		memcpy(a->passwd, buf, dlen);
		a->passwd[dlen] = '\0';
		a->passwdlen = dlen;
		st = sasl_over(a, AUTH_SASL_DONE, "");
	}
	explicit_bzero(buf, sizeof(buf));
	return st;
}

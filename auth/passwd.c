/*
 * passwd.c: password hash verification (see passwd.h). Called by
 * auth/creds.c, in the lookup role's verification threads, and by the
 * tests. Never logs or keeps a password: every buffer that held one, or
 * a hash computed from one, is wiped before it is freed. A stored value
 * that is malformed never matches; only a failure to get memory is a
 * temporary error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <sodium.h>

#include "auth/passwd.h"

/*
 * The hash of a random password thrown away at authoring time, at
 * smtpctl encrypt's parameters (ctl.md 8): verifying against it costs
 * what verifying a real entry costs, and never succeeds.
 */
static const char auth_passwd_dummy_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$yGjGxQSNdKS197L3AGwb2Q$"
    "VqUZRtEr5t/vgvA5HJax6fxaXzjwGZTTPxdRyi1w2vI";

static const struct {
	const char		*prefix;
	enum auth_passwd_kind	 kind;
	const char		*name;
} auth_passwd_kinds[] = {
	{ "$argon2id$",	AUTH_PW_ARGON2ID,	"argon2id" },
	{ "$argon2i$",	AUTH_PW_ARGON2I,	"argon2i" },
	{ "$2a$",	AUTH_PW_BCRYPT,		"bcrypt" },
	{ "$2b$",	AUTH_PW_BCRYPT,		"bcrypt" },
	{ "$2y$",	AUTH_PW_BCRYPT,		"bcrypt" },
	{ "$6$",	AUTH_PW_SHA512,		"sha512-crypt" },
	{ "$5$",	AUTH_PW_SHA256,		"sha256-crypt" },
	{ "$y$",	AUTH_PW_YESCRYPT,	"yescrypt" },
	{ "$7$",	AUTH_PW_SCRYPT,		"scrypt" },
	{ "$1$",	AUTH_PW_MD5,		"md5-crypt" },
};
#define AUTH_PASSWD_NKINDS \
	(sizeof(auth_passwd_kinds) / sizeof(auth_passwd_kinds[0]))

static enum auth_passwd_result auth_passwd_argon2(const char *,
		    const char *);
static enum auth_passwd_result auth_passwd_crypt(const char *, const char *);

int
auth_passwd_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

enum auth_passwd_kind
auth_passwd_kind(const char *hash)
{
	size_t i;

	if (hash[0] != '$')
		return AUTH_PW_NOTHASH;
	for (i = 0; i < AUTH_PASSWD_NKINDS; i++)
		if (strncmp(hash, auth_passwd_kinds[i].prefix,
		    strlen(auth_passwd_kinds[i].prefix)) == 0)
			return auth_passwd_kinds[i].kind;
	return AUTH_PW_CRYPT;
}

const char *
auth_passwd_kind_name(enum auth_passwd_kind kind)
{
	size_t i;

	if (kind == AUTH_PW_NOTHASH)
		return "none";
	for (i = 0; i < AUTH_PASSWD_NKINDS; i++)
		if (auth_passwd_kinds[i].kind == kind)
			return auth_passwd_kinds[i].name;
	return "crypt";
}

const char *
auth_passwd_check(const char *hash)
{
	enum auth_passwd_kind kind = auth_passwd_kind(hash);

	if (kind == AUTH_PW_NOTHASH)
		return "not a password hash, the entry never authenticates";
	if (strlen(hash) >= AUTH_PASSWD_HASH_MAX)
		return "hash too long, the entry never authenticates";
	switch (kind) {
	case AUTH_PW_ARGON2ID:
	case AUTH_PW_ARGON2I:
		if (strlen(hash) >= crypto_pwhash_STRBYTES ||
		    crypto_pwhash_str_needs_rehash(hash,
		    crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE) == -1)
			return "malformed argon2 hash, the entry never "
			    "authenticates";
		return NULL;
	case AUTH_PW_MD5:
		return "weak MD5 hash, replace it with smtpctl encrypt";
	default:
		break;
	}
	switch (crypt_checksalt(hash)) {
	case CRYPT_SALT_OK:
		return NULL;
	case CRYPT_SALT_METHOD_LEGACY:
		/* libxcrypt's opinion of sha256-crypt: not the spec's */
		if (kind != AUTH_PW_CRYPT)
			return NULL;
		return "weak legacy hash, replace it with smtpctl encrypt";
	case CRYPT_SALT_TOO_CHEAP:
		if (kind != AUTH_PW_CRYPT)
			return NULL;
		return "hash with too few rounds, replace it with smtpctl "
		    "encrypt";
	case CRYPT_SALT_METHOD_DISABLED:
		return "hash method disabled in libcrypt, the entry never "
		    "authenticates";
	default:
		return "unsupported hash, the entry never authenticates";
	}
}

int
auth_passwd_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	/* the lengths are not secret: a hash's length is its format's */
	if (la != lb)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}

static enum auth_passwd_result
auth_passwd_argon2(const char *hash, const char *pw)
{
	/* the prototype says char[crypto_pwhash_STRBYTES]: give it that */
	char buf[crypto_pwhash_STRBYTES];
	size_t len = strlen(hash);
	int r;

	if (len >= sizeof(buf))
		return AUTH_PASSWD_MISMATCH;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, hash, len);
	errno = 0;
	r = crypto_pwhash_str_verify(buf, pw, strlen(pw));
	if (r == 0)
		return AUTH_PASSWD_MATCH;
	/* a mismatch sets EINVAL, a malformed string nothing */
	return errno == ENOMEM ? AUTH_PASSWD_ERROR : AUTH_PASSWD_MISMATCH;
}

static enum auth_passwd_result
auth_passwd_crypt(const char *hash, const char *pw)
{
	struct crypt_data *cd;
	enum auth_passwd_result res;
	const char *out;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return AUTH_PASSWD_ERROR;
	errno = 0;
	/* crypt_rn: NULL on failure, never a "*0" failure token */
	if ((out = crypt_rn(pw, hash, cd, (int)sizeof(*cd))) == NULL)
		res = errno == ENOMEM ? AUTH_PASSWD_ERROR :
		    AUTH_PASSWD_MISMATCH;
	else if (out[0] != '$')
		res = AUTH_PASSWD_MISMATCH;
	else
		res = auth_passwd_equal(out, hash) ? AUTH_PASSWD_MATCH :
		    AUTH_PASSWD_MISMATCH;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return res;
}

enum auth_passwd_result
auth_passwd_verify(const char *hash, const char *pw)
{
	if (strlen(hash) >= AUTH_PASSWD_HASH_MAX)
		return AUTH_PASSWD_MISMATCH;
	switch (auth_passwd_kind(hash)) {
	case AUTH_PW_NOTHASH:
		return AUTH_PASSWD_MISMATCH;
	case AUTH_PW_ARGON2ID:
	case AUTH_PW_ARGON2I:
		return auth_passwd_argon2(hash, pw);
	default:
		return auth_passwd_crypt(hash, pw);
	}
}

enum auth_passwd_result
auth_passwd_dummy(const char *pw)
{
	if (auth_passwd_argon2(auth_passwd_dummy_hash, pw) ==
	    AUTH_PASSWD_ERROR)
		return AUTH_PASSWD_ERROR;
	return AUTH_PASSWD_MISMATCH;
}

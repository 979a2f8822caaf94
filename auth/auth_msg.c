/*
 * auth_msg.c: encoding of the AUTH verification request and result
 * between the smtp and lookup roles (auth/auth_msg.h) with the record
 * codec. Called by smtp (request out, result in), lookup (request in,
 * result out) and the tests. Decoding takes bytes from another process:
 * it never aborts, never reads outside the buffer, and refuses what the
 * encoder would not write. Request buffers and structs that held a
 * password are wiped before they are released.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_msg.h"
#include "lib/utf8.h"

#define AUTH_REQ_MAGIC		0x41555251U	/* "AURQ" */
#define AUTH_RES_MAGIC		0x41555253U	/* "AURS" */
#define AUTH_MSG_VERSION	1

enum {
	AUQ_SESSION = 0x02, AUQ_LISTENER, AUQ_MECH, AUQ_USER, AUQ_PASSWD,
};

enum {
	AUS_STATUS = 0x02,
};

#define R	RECORD_REQUIRED
static const struct record_field auth_req_fields[] = {
	{ AUQ_SESSION,	RECORD_U64, R, 0,		"session" },
	{ AUQ_LISTENER,	RECORD_U32, R, 0,		"listener" },
	{ AUQ_MECH,	RECORD_U8,  R, 0,		"mech" },
	{ AUQ_USER,	RECORD_STR, R, AUTH_USER_MAX,	"user" },
	{ AUQ_PASSWD,	RECORD_STR, R, AUTH_PASSWD_MAX,	"password" },
};
static const struct record_field auth_res_fields[] = {
	{ AUS_STATUS,	RECORD_U32, R, 0,		"status" },
};
#undef R

static const struct record_schema auth_req_schema = {
	.name = "auth-req",
	.magic = AUTH_REQ_MAGIC,
	.version = AUTH_MSG_VERSION,
	.version_min = AUTH_MSG_VERSION,
	.maxsize = AUTH_MSG_MAXSIZE,
	.fields = auth_req_fields,
	.nfields = sizeof(auth_req_fields) / sizeof(auth_req_fields[0]),
};

static const struct record_schema auth_res_schema = {
	.name = "auth-res",
	.magic = AUTH_RES_MAGIC,
	.version = AUTH_MSG_VERSION,
	.version_min = AUTH_MSG_VERSION,
	.maxsize = AUTH_MSG_MAXSIZE,
	.fields = auth_res_fields,
	.nfields = sizeof(auth_res_fields) / sizeof(auth_res_fields[0]),
};

static int	auth_req_check(const struct auth_req *);
static int	auth_res_check(const struct auth_res *);

/* What sasl.c lets through, checked again on the receiving side. */
static int
auth_req_check(const struct auth_req *q)
{
	size_t ulen, plen, i;

	if (q->mech != AUTH_MECH_PLAIN && q->mech != AUTH_MECH_LOGIN)
		return -1;
	ulen = strnlen(q->user, sizeof(q->user));
	plen = strnlen(q->passwd, sizeof(q->passwd));
	if (ulen == 0 || ulen == sizeof(q->user) || plen == 0 ||
	    plen == sizeof(q->passwd))
		return -1;
	for (i = 0; i < ulen; i++)
		if ((unsigned char)q->user[i] < 0x20 || q->user[i] == 0x7f)
			return -1;
	return utf8_valid(q->user, ulen) ? 0 : -1;
}

static int
auth_res_check(const struct auth_res *r)
{
	return r->status >= AUTH_RES_OK && r->status <= AUTH_RES_TEMPFAIL ?
	    0 : -1;
}

int
auth_req_make(struct auth_req *q, uint64_t session, uint32_t listener,
    const struct auth_sasl *a)
{
	memset(q, 0, sizeof(*q));
	if (a->passwdlen == 0 || a->passwdlen > AUTH_PASSWD_MAX ||
	    strlen(a->passwd) != a->passwdlen)
		return -1;
	q->session = session;
	q->listener = listener;
	q->mech = a->mech;
	strlcpy(q->user, a->user, sizeof(q->user));
	memcpy(q->passwd, a->passwd, a->passwdlen + 1);
	if (auth_req_check(q) == -1) {
		auth_req_clear(q);
		return -1;
	}
	return 0;
}

void
auth_req_clear(struct auth_req *q)
{
	explicit_bzero(q, sizeof(*q));
}

void
auth_msg_free(uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

int
auth_req_encode(const struct auth_req *q, uint8_t **bufp, size_t *lenp)
{
	struct record_writer w;

	*bufp = NULL;
	*lenp = 0;
	if (auth_req_check(q) == -1)
		return -1;
	record_writer_init(&w, &auth_req_schema);
	/* room for all now: no realloc leaves a copy of the password */
	buf_reserve(&w.buf, AUTH_MSG_MAXSIZE);
	record_put_u64(&w, AUQ_SESSION, q->session);
	record_put_u32(&w, AUQ_LISTENER, q->listener);
	record_put_u8(&w, AUQ_MECH, (uint8_t)q->mech);
	record_put_str(&w, AUQ_USER, q->user);
	record_put_str(&w, AUQ_PASSWD, q->passwd);
	if (w.failed && w.buf.data != NULL)
		explicit_bzero(w.buf.data, w.buf.cap);
	return record_finish(&w, bufp, lenp);
}

int
auth_req_decode(const uint8_t *buf, size_t len, struct auth_req *q)
{
	struct record_reader rd;
	struct record rec;
	uint8_t mech;
	int rc = -1, r = 0;

	memset(q, 0, sizeof(*q));
	record_reader_init(&rd, &auth_req_schema, buf, len);
	while (r == 0 && (rc = record_next(&rd, &rec)) == 1) {
		switch (rec.type) {
		case AUQ_SESSION:
			r = record_get_u64(&rd, &rec, &q->session);
			break;
		case AUQ_LISTENER:
			r = record_get_u32(&rd, &rec, &q->listener);
			break;
		case AUQ_MECH:
			if ((r = record_get_u8(&rd, &rec, &mech)) == 0)
				q->mech = mech;
			break;
		case AUQ_USER:
			r = record_get_str(&rd, &rec, q->user,
			    sizeof(q->user));
			break;
		case AUQ_PASSWD:
			r = record_get_str(&rd, &rec, q->passwd,
			    sizeof(q->passwd));
			break;
		default:
			r = -1;
		}
	}
	if (r == -1 || rc != 0 || auth_req_check(q) == -1) {
		auth_req_clear(q);
		return -1;
	}
	return 0;
}

int
auth_res_encode(const struct auth_res *res, uint8_t **bufp, size_t *lenp)
{
	struct record_writer w;

	*bufp = NULL;
	*lenp = 0;
	if (auth_res_check(res) == -1)
		return -1;
	record_writer_init(&w, &auth_res_schema);
	record_put_u32(&w, AUS_STATUS, res->status);
	return record_finish(&w, bufp, lenp);
}

int
auth_res_decode(const uint8_t *buf, size_t len, struct auth_res *res)
{
	struct record_reader rd;
	struct record rec;
	int rc = -1, r = 0;

	memset(res, 0, sizeof(*res));
	record_reader_init(&rd, &auth_res_schema, buf, len);
	while (r == 0 && (rc = record_next(&rd, &rec)) == 1) {
		switch (rec.type) {
		case AUS_STATUS:
			r = record_get_u32(&rd, &rec, &res->status);
			break;
		default:
			r = -1;
		}
	}
	if (r == -1 || rc != 0 || auth_res_check(res) == -1) {
		memset(res, 0, sizeof(*res));
		return -1;
	}
	return 0;
}

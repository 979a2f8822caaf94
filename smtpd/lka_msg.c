/*
 * lka_msg.c: encoding of the recipient check between the smtp and lookup
 * roles (smtpd/lka_msg.h) with the record codec (lib/record.h). Called by
 * smtp (request out, result in) and lookup (request in, result out).
 * Decoding takes bytes from another process, the smtp one being the most
 * exposed: it never aborts, never reads outside the buffer, and refuses
 * (-1) anything the encoder would not write: unknown or duplicate
 * records, missing fields, over-long or NUL-carrying strings, control
 * characters, booleans other than 0/1, an unknown status, a reply that
 * does not fit the status. The encoder refuses the same things instead
 * of truncating. Both sides then treat -1 as a broken peer.
 *
 * Request schema "LKRQ" v1 (every field required, strings may be empty):
 *   0x02 session u64   0x03 tag str<=31     0x04 helo str<=255
 *   0x05 listener-host str<=255             0x06 src str<=63
 *   0x07 local-src u8  0x08 enqueue u8      0x09 tls u8
 *   0x0a auth-user str<=255                 0x0b sender str<=320
 *   0x0c rcpt str<=320 (non-empty)
 * Result schema "LKRS" v1: 0x02 status u32, 0x03 nexpansions u32,
 *   0x04 reply str<=511 ("" for LKA_OK, else "4xx ..." / "5xx ...").
 * Checks beyond the codec: rcpt must parse as a mailbox (or bare
 * postmaster) and sender as a mailbox or "" with lib/addr (SMTPUTF8
 * allowed: the smtp role applies that policy); no string may hold a
 * control character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/record.h"
#include "smtpd/lka_msg.h"

#define LKA_REQ_MAGIC		0x4c4b5251U	/* "LKRQ" */
#define LKA_RES_MAGIC		0x4c4b5253U	/* "LKRS" */
#define LKA_MSG_VERSION		1
#define LKA_MSG_MAXSIZE		4096

#define SIZEOF_FIELD(type, f)	sizeof(((type *)0)->f)
#define STRMAX(type, f)		((uint32_t)SIZEOF_FIELD(type, f) - 1)

enum {
	LKQ_SESSION = 0x02, LKQ_TAG, LKQ_HELO, LKQ_LISTENER_HOST, LKQ_SRC,
	LKQ_LOCAL_SRC, LKQ_ENQUEUE, LKQ_TLS, LKQ_AUTH_USER, LKQ_SENDER,
	LKQ_RCPT,
};

enum {
	LKS_STATUS = 0x02, LKS_NEXPANSIONS, LKS_REPLY,
};

#define R	RECORD_REQUIRED
#define Q	struct lka_rcpt_req
static const struct record_field lka_req_fields[] = {
	{ LKQ_SESSION,	RECORD_U64, R, 0,			"session" },
	{ LKQ_TAG,	RECORD_STR, R, STRMAX(Q, tag),		"tag" },
	{ LKQ_HELO,	RECORD_STR, R, STRMAX(Q, helo),		"helo" },
	{ LKQ_LISTENER_HOST, RECORD_STR, R, STRMAX(Q, listener_host),
	    "listener-host" },
	{ LKQ_SRC,	RECORD_STR, R, STRMAX(Q, src),		"src" },
	{ LKQ_LOCAL_SRC, RECORD_U8, R, 0,			"local-src" },
	{ LKQ_ENQUEUE,	RECORD_U8,  R, 0,			"enqueue" },
	{ LKQ_TLS,	RECORD_U8,  R, 0,			"tls" },
	{ LKQ_AUTH_USER, RECORD_STR, R, STRMAX(Q, auth_user),	"auth-user" },
	{ LKQ_SENDER,	RECORD_STR, R, STRMAX(Q, sender),	"sender" },
	{ LKQ_RCPT,	RECORD_STR, R, STRMAX(Q, rcpt),		"rcpt" },
};
#undef Q
#define S	struct lka_rcpt_res
static const struct record_field lka_res_fields[] = {
	{ LKS_STATUS,	   RECORD_U32, R, 0,			"status" },
	{ LKS_NEXPANSIONS, RECORD_U32, R, 0,			"nexpansions" },
	{ LKS_REPLY,	   RECORD_STR, R, STRMAX(S, reply),	"reply" },
};
#undef S
#undef R

static const struct record_schema lka_req_schema = {
	.name = "lka-rcpt-req",
	.magic = LKA_REQ_MAGIC,
	.version = LKA_MSG_VERSION,
	.version_min = LKA_MSG_VERSION,
	.maxsize = LKA_MSG_MAXSIZE,
	.fields = lka_req_fields,
	.nfields = sizeof(lka_req_fields) / sizeof(lka_req_fields[0]),
};

static const struct record_schema lka_res_schema = {
	.name = "lka-rcpt-res",
	.magic = LKA_RES_MAGIC,
	.version = LKA_MSG_VERSION,
	.version_min = LKA_MSG_VERSION,
	.maxsize = LKA_MSG_MAXSIZE,
	.fields = lka_res_fields,
	.nfields = sizeof(lka_res_fields) / sizeof(lka_res_fields[0]),
};

static int	lka_str_ok(const char *, size_t);
static int	lka_bool_ok(int);
static int	lka_req_check(const struct lka_rcpt_req *);
static int	lka_res_check(const struct lka_rcpt_res *);
static int	lka_get_bool(struct record_reader *, const struct record *,
		    int *);

/* NUL-terminated inside its array, no control characters (DEL too). */
static int
lka_str_ok(const char *s, size_t size)
{
	size_t len, i;

	if ((len = strnlen(s, size)) == size)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
lka_bool_ok(int v)
{
	return v == 0 || v == 1;
}

#define STROK(st, f)	lka_str_ok((st)->f, sizeof((st)->f))

static int
lka_req_check(const struct lka_rcpt_req *q)
{
	struct mailaddr ma;

	if (!STROK(q, tag) || !STROK(q, helo) || !STROK(q, listener_host) ||
	    !STROK(q, src) || !STROK(q, auth_user) || !STROK(q, sender) ||
	    !STROK(q, rcpt))
		return -1;
	if (!lka_bool_ok(q->local_src) || !lka_bool_ok(q->enqueue) ||
	    !lka_bool_ok(q->tls))
		return -1;
	/* The addresses the smtp role parsed, parsed again. */
	if (addr_parse_mailbox(q->rcpt, strlen(q->rcpt), ADDR_OPT_POSTMASTER |
	    ADDR_OPT_UTF8, &ma) != ADDR_OK ||
	    addr_parse_mailbox(q->sender, strlen(q->sender), ADDR_OPT_NULL |
	    ADDR_OPT_UTF8, &ma) != ADDR_OK)
		return -1;
	return 0;
}

static int
lka_res_check(const struct lka_rcpt_res *r)
{
	if (!STROK(r, reply))
		return -1;
	if (r->status == LKA_OK)
		return r->reply[0] == '\0' ? 0 : -1;
	if (r->status != LKA_REJECT && r->status != LKA_TEMPFAIL)
		return -1;
	/* "5xx text" or "4xx text", by status; nothing was expanded. */
	if (r->reply[0] != (r->status == LKA_REJECT ? '5' : '4') ||
	    r->reply[1] < '0' || r->reply[1] > '9' ||
	    r->reply[2] < '0' || r->reply[2] > '9' ||
	    (r->reply[3] != ' ' && r->reply[3] != '\0') ||
	    r->nexpansions != 0)
		return -1;
	return 0;
}

#undef STROK

int
lka_rcpt_req_encode(const struct lka_rcpt_req *q, uint8_t **bufp,
    size_t *lenp)
{
	struct record_writer w;

	*bufp = NULL;
	*lenp = 0;
	if (lka_req_check(q) == -1)
		return -1;
	record_writer_init(&w, &lka_req_schema);
	record_put_u64(&w, LKQ_SESSION, q->session);
	record_put_str(&w, LKQ_TAG, q->tag);
	record_put_str(&w, LKQ_HELO, q->helo);
	record_put_str(&w, LKQ_LISTENER_HOST, q->listener_host);
	record_put_str(&w, LKQ_SRC, q->src);
	record_put_u8(&w, LKQ_LOCAL_SRC, (uint8_t)q->local_src);
	record_put_u8(&w, LKQ_ENQUEUE, (uint8_t)q->enqueue);
	record_put_u8(&w, LKQ_TLS, (uint8_t)q->tls);
	record_put_str(&w, LKQ_AUTH_USER, q->auth_user);
	record_put_str(&w, LKQ_SENDER, q->sender);
	record_put_str(&w, LKQ_RCPT, q->rcpt);
	return record_finish(&w, bufp, lenp);
}

static int
lka_get_bool(struct record_reader *rd, const struct record *rec, int *v)
{
	uint8_t b;

	if (record_get_u8(rd, rec, &b) == -1)
		return -1;
	*v = b;
	return 0;
}

int
lka_rcpt_req_decode(const uint8_t *buf, size_t len, struct lka_rcpt_req *q)
{
	struct record_reader rd;
	struct record rec;
	int rc = -1, r = 0;

	memset(q, 0, sizeof(*q));
	record_reader_init(&rd, &lka_req_schema, buf, len);
	while (r == 0 && (rc = record_next(&rd, &rec)) == 1) {
		switch (rec.type) {
		case LKQ_SESSION:
			r = record_get_u64(&rd, &rec, &q->session);
			break;
		case LKQ_TAG:
			r = record_get_str(&rd, &rec, q->tag, sizeof(q->tag));
			break;
		case LKQ_HELO:
			r = record_get_str(&rd, &rec, q->helo, sizeof(q->helo));
			break;
		case LKQ_LISTENER_HOST:
			r = record_get_str(&rd, &rec, q->listener_host,
			    sizeof(q->listener_host));
			break;
		case LKQ_SRC:
			r = record_get_str(&rd, &rec, q->src, sizeof(q->src));
			break;
		case LKQ_LOCAL_SRC:
			r = lka_get_bool(&rd, &rec, &q->local_src);
			break;
		case LKQ_ENQUEUE:
			r = lka_get_bool(&rd, &rec, &q->enqueue);
			break;
		case LKQ_TLS:
			r = lka_get_bool(&rd, &rec, &q->tls);
			break;
		case LKQ_AUTH_USER:
			r = record_get_str(&rd, &rec, q->auth_user,
			    sizeof(q->auth_user));
			break;
		case LKQ_SENDER:
			r = record_get_str(&rd, &rec, q->sender,
			    sizeof(q->sender));
			break;
		case LKQ_RCPT:
			r = record_get_str(&rd, &rec, q->rcpt, sizeof(q->rcpt));
			break;
		default:
			r = -1;
		}
	}
	if (r == -1 || rc != 0 || lka_req_check(q) == -1) {
		memset(q, 0, sizeof(*q));
		return -1;
	}
	return 0;
}

int
lka_rcpt_res_encode(const struct lka_rcpt_res *res, uint8_t **bufp,
    size_t *lenp)
{
	struct record_writer w;

	*bufp = NULL;
	*lenp = 0;
	if (lka_res_check(res) == -1)
		return -1;
	record_writer_init(&w, &lka_res_schema);
	record_put_u32(&w, LKS_STATUS, res->status);
	record_put_u32(&w, LKS_NEXPANSIONS, res->nexpansions);
	record_put_str(&w, LKS_REPLY, res->reply);
	return record_finish(&w, bufp, lenp);
}

int
lka_rcpt_res_decode(const uint8_t *buf, size_t len, struct lka_rcpt_res *res)
{
	struct record_reader rd;
	struct record rec;
	int rc = -1, r = 0;

	memset(res, 0, sizeof(*res));
	record_reader_init(&rd, &lka_res_schema, buf, len);
	while (r == 0 && (rc = record_next(&rd, &rec)) == 1) {
		switch (rec.type) {
		case LKS_STATUS:
			r = record_get_u32(&rd, &rec, &res->status);
			break;
		case LKS_NEXPANSIONS:
			r = record_get_u32(&rd, &rec, &res->nexpansions);
			break;
		case LKS_REPLY:
			r = record_get_str(&rd, &rec, res->reply,
			    sizeof(res->reply));
			break;
		default:
			r = -1;
		}
	}
	if (r == -1 || rc != 0 || lka_res_check(res) == -1) {
		memset(res, 0, sizeof(*res));
		return -1;
	}
	return 0;
}

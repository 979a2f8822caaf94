/*
 * auth_msg.h: the AUTH verification request between the smtp role and
 * the lookup role, which holds the credentials tables (protocol.md A.7:
 * "credentials are checked by a separate unprivileged process").
 *
 *   IMSG_LKA_AUTH      smtp -> lookup: struct auth_req, encoded
 *   IMSG_LKA_AUTH_RES  lookup -> smtp: struct auth_res, encoded, same
 *                      reqid
 *
 * (The two types are to be added to smtpd/proc.h when this is wired.)
 * The request names the listener by its index in the configuration
 * (both roles parse the same file; the smtp role already receives its
 * listeners by index): its `auth <table>` is the table to look in. The
 * answer comes after the verification, tens of milliseconds later; the
 * smtp role then applies the throttle delay (auth/throttle.h) to a FAIL.
 *
 * Encoded with the record codec (lib/record.h), so neither a user name
 * nor a password can forge a field: request schema "AURQ" v1 (every
 * field required): 0x02 session u64, 0x03 listener u32, 0x04 mech u8
 * (enum auth_sasl_mech), 0x05 user str 1..255 (UTF-8, no control
 * character), 0x06 password str 1..1024 (no NUL). Result schema "AURS"
 * v1: 0x02 status u32 (enum auth_res_status). Decoders refuse anything
 * the encoders would not write (-1, zeroed struct): the caller closes
 * the channel. An encoded request holds a password: free it with
 * auth_msg_free(), which wipes it.
 */
#ifndef AUTH_AUTH_MSG_H
#define AUTH_AUTH_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "auth/sasl.h"
#include "lib/record.h"

#define AUTH_MSG_MAXSIZE	2048	/* one encoded request or result */
#define AUTH_MSG_MIN		(2 * RECORD_HDR_LEN + RECORD_VERSION_LEN)

struct auth_req {
	uint64_t	session;
	uint32_t	listener;	/* index in conf->listeners */
	uint32_t	mech;		/* enum auth_sasl_mech */
	char		user[AUTH_USER_MAX + 1];
	char		passwd[AUTH_PASSWD_MAX + 1];
};

enum auth_res_status {
	AUTH_RES_OK = 1,	/* 235 2.7.0 */
	AUTH_RES_FAIL,		/* 535 5.7.8, after the throttle delay */
	AUTH_RES_TEMPFAIL,	/* 454 4.7.0 */
};

struct auth_res {
	uint32_t	status;		/* enum auth_res_status */
};

/* A request from a DONE exchange; -1 if it is not DONE or does not fit. */
int	auth_req_make(struct auth_req *, uint64_t session, uint32_t listener,
	    const struct auth_sasl *);
/* Wipes the request (its password). */
void	auth_req_clear(struct auth_req *);

int	auth_req_encode(const struct auth_req *, uint8_t **, size_t *);
int	auth_req_decode(const uint8_t *, size_t, struct auth_req *);
int	auth_res_encode(const struct auth_res *, uint8_t **, size_t *);
int	auth_res_decode(const uint8_t *, size_t, struct auth_res *);
/* Wipes and frees an encoded message. */
void	auth_msg_free(uint8_t *, size_t);

#endif

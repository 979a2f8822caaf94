/*
 * auth_lookup.h: the lookup role's side of AUTH (auth/auth_msg.h): a
 * request from the smtp role names a listener, user and password; the
 * user's hash is looked up in the listener's credentials table on the
 * loop thread, verified in a worker thread (auth/creds.h), and the
 * verdict goes back with the request's reqid.
 *
 * Why threads: the lookup role is one libev loop serving every RCPT of
 * every session, and an argon2id verification takes 50-100 ms and 64
 * MiB. AUTH_LOOKUP_THREADS threads (queue/workers.c, the pool the queue
 * role uses) run the verifications; the loop keeps all state, and a job
 * carries copies of the password and the hash, never a table. libsodium
 * and crypt_rn(3) are thread-safe; tables are not, so they are only read
 * on the loop. A forked helper would need a channel of its own and gain
 * nothing: the role is already unprivileged and holds no more than the
 * tables. At most AUTH_LOOKUP_PENDING_MAX requests wait; more answer
 * TEMPFAIL at once (454), which bounds memory and a flood's backlog.
 *
 * Wiring (aliases/lookup.c): auth_lookup_new() in lookup_init (it also
 * warns about weak or broken hashes in every credentials table), a rule
 * { IMSG_LKA_AUTH, PROC_BIT(PROC_SMTP), AUTH_MSG_MIN, AUTH_MSG_MAXSIZE,
 * IPC_FD_NONE }, lookup_auth() in the dispatch, auth_lookup_free() in
 * lookup_shutdown.
 */
#ifndef AUTH_AUTH_LOOKUP_H
#define AUTH_AUTH_LOOKUP_H

#include <stdint.h>

#include "aliases/table.h"
#include "smtpd/role.h"

#define AUTH_LOOKUP_THREADS	2	/* verifications at once */
#define AUTH_LOOKUP_PENDING_MAX	64	/* waiting or running */

struct auth_lookup;

/*
 * res_type: the IPC type of the answers (IMSG_LKA_AUTH_RES). Threads
 * start with the first request. Fatal if libsodium cannot start.
 */
struct auth_lookup *auth_lookup_new(struct role *, struct tableset *,
		    uint32_t res_type);
/* Joins the threads; requests not answered yet are dropped and wiped. */
void		 auth_lookup_free(struct auth_lookup *);
/*
 * IMSG_LKA_AUTH from `from`. -1 if the request does not decode (the
 * caller closes that channel); else 0, the answer coming later (or at
 * once for a table error, an unknown listener, or too many waiting).
 */
int		 lookup_auth(struct role *, struct auth_lookup *,
		    enum proc_id from, struct ipc_msg *);
/* Requests waiting or running (tests). */
size_t		 auth_lookup_pending(const struct auth_lookup *);

#endif

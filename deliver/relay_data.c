/*
 * relay_data.c: the content of a relay transaction and its end-of-data
 * replies (protocol.md B.3 item 6, B.4, A.11 output side). The queue
 * file is read with pread() from offset 0 to its end, whatever its
 * recorded size, in chunks; each goes through the encoder (relay_body.c)
 * into the output buffer, and the next is read only once the buffer has
 * drained below RELAY_DATA_HIGH, so a large message never sits in
 * memory. SMTP: one reply for every accepted recipient; LMTP: one reply
 * per accepted recipient, in RCPT order.
 *
 * A read error on the queue file must never end the data with "." (a
 * truncated message would be delivered): the connection is dropped and
 * the accepted recipients are deferred (4.3.0).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "deliver/relay_sess_priv.h"
#include "lib/log.h"

#define RELAY_DATA_CHUNK	(16 * 1024)	/* one pread() */
#define RELAY_DATA_HIGH		(64 * 1024)	/* output buffered at most */

static int	relay_data_local_fail(struct relay_sess *, const char *);

int
relay_data_start(struct relay_sess *s)
{
	relay_body_init(&s->body);
	s->off = 0;
	s->body_done = 0;
	s->eod = 0;
	relay_sess_expect(s, RS_BODY, RELAY_STAGE_BODY);
	return relay_data_fill(s);
}

static int
relay_data_local_fail(struct relay_sess *s, const char *why)
{
	struct relay_txn *t = s->txn;
	size_t i;

	log_warnx("%016llx relay event=queue-read-error host=%s error=\"%s\"",
	    (unsigned long long)s->id, s->host, why);
	for (i = 0; i < s->naccepted; i++)
		relay_sess_refuse(&t->rcpt[s->accepted[i]], 4, "4.3.0",
		    "error reading the queued message");
	return relay_sess_close(s, 4, "4.3.0", 0, "error reading the "
	    "queued message: %s", why);
}

/* Encodes the next chunks until the output holds enough or all is in. */
int
relay_data_fill(struct relay_sess *s)
{
	uint8_t chunk[RELAY_DATA_CHUNK];
	struct buf *out = &s->io.out;
	size_t used, w;
	ssize_t n;

	while (!s->body_done && buf_avail(out) < RELAY_DATA_HIGH) {
		n = pread(s->txn->msgfd, chunk, sizeof(chunk), s->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return relay_data_local_fail(s, strerror(errno));
		if (n == 0) {
			buf_reserve(out, RELAY_BODY_END_MAX);
			out->len += relay_body_end(&s->body, out->data +
			    out->len, RELAY_BODY_END_MAX);
			s->body_done = 1;
			break;
		}
		buf_reserve(out, RELAY_BODY_STEP_MAX * (size_t)n);
		w = relay_body_run(&s->body, chunk, (size_t)n, &used,
		    out->data + out->len, RELAY_BODY_STEP_MAX * (size_t)n);
		out->len += w;
		s->off += n;
	}
	relay_sess_write(s);
	return 0;
}

/* The output drained: more content, or wait for the reply. */
int
relay_data_written(struct relay_sess *s)
{
	if (!s->body_done)
		return relay_data_fill(s);
	relay_sess_expect(s, RS_EOD, RELAY_STAGE_BODY);
	return relay_sess_input(s);	/* a reply may be in already */
}

int
relay_data_reply(struct relay_sess *s)
{
	struct relay_txn *t = s->txn;
	struct relay_rcpt *r;
	size_t i;

	if (s->conf.lmtp) {
		r = &t->rcpt[s->accepted[s->eod++]];
		relay_sess_outcome(r, &s->reply);
		if (s->eod < s->naccepted) {
			relay_sess_expect(s, RS_EOD, RELAY_STAGE_BODY);
			return 0;
		}
		return relay_sess_txn_done(s);
	}
	for (i = 0; i < s->naccepted; i++)
		relay_sess_outcome(&t->rcpt[s->accepted[i]], &s->reply);
	return relay_sess_txn_done(s);
}

/*
 * lmtp.c: the LMTP hand-off of deliver -L (delivery.md §7, RFC 2033):
 * one connection, greeting, LHLO, MAIL FROM, one RCPT TO per recipient,
 * DATA, the message (CRLF, dot-stuffed, no header added), ".", then one
 * reply per accepted recipient, in RCPT order, each that recipient's
 * outcome; QUIT. MAIL, the RCPTs and DATA go in one write when the
 * server offers PIPELINING, else one at a time. BODY=8BITMIME is added
 * when the message has 8-bit bytes and the server offers it; SMTPUTF8
 * when an envelope address or the header section is not ASCII, and a
 * server without it fails those recipients with 5.6.7 (no downgrade).
 * The data: only CRLF line ends go out, every line starting with "."
 * gets one more, a bare CR becomes a line break (protocol.md A.11).
 *
 * Outcomes (lmtp_exit() makes the exit status of them): a server reply
 * gives its class and enhanced code (X.0.0 when it has none); anything
 * that prevents a final reply (connection refused or lost, timeout,
 * malformed reply, a rejected greeting or LHLO) is temporary for every
 * recipient still without one. Called by main.c as the user, after
 * msgsrc_load(); it never runs as root and never trusts a reply beyond
 * what lmtp_reply.c parsed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "deliver/deliver.h"

#define LMTP_GREETING	"the greeting"
#define LMTP_SENDING	"sending the message"

struct lmtp_session {
	struct lmtp_job		*job;
	struct lmtp_io		 conn;
	struct lmtp_reply	 reply;
	int			 ext;		/* LHLO keywords */
	int			 eightbit;	/* a byte >= 0x80 anywhere */
	int			 utf8;		/* SMTPUTF8 needed */
};

static int	lmtp_timeout(const struct lmtp_session *, int);
static void	lmtp_scan(struct lmtp_session *, struct msgsrc *);
static int	lmtp_ascii(const char *);
static void	lmtp_set_reply(struct lmtp_session *, struct outcome *,
		    const char *);
static void	lmtp_fail_all(struct lmtp_session *, const struct outcome *);
static void	lmtp_fail_io(struct lmtp_session *, const char *);
static int	lmtp_hello(struct lmtp_session *);
static int	lmtp_envelope(struct lmtp_session *, int *);
static int	lmtp_data(struct lmtp_session *, struct msgsrc *);
static void	lmtp_quit(struct lmtp_session *);

void
lmtp_stuff_init(struct lmtp_stuff *s)
{
	s->linestart = 1;
}

/*
 * LF-normalised message bytes (convert.c output) to the DATA stream:
 * LF -> CRLF, a CR (bare: convert.c turned CRLF into LF) -> CRLF, a "."
 * at line start -> "..". Consumes input while two output bytes fit;
 * *used is the input consumed, the return value the output length.
 */
size_t
lmtp_stuff_run(struct lmtp_stuff *s, const uint8_t *in, size_t inlen,
    size_t *used, uint8_t *out, size_t outcap)
{
	size_t i, o = 0;
	uint8_t b;

	for (i = 0; i < inlen && outcap - o >= 2; i++) {
		b = in[i];
		if (b == '\n' || b == '\r') {
			out[o++] = '\r';
			out[o++] = '\n';
			s->linestart = 1;
			continue;
		}
		if (s->linestart && b == '.')
			out[o++] = '.';
		out[o++] = b;
		s->linestart = 0;
	}
	*used = i;
	return o;
}

/* The timeout of a step: -t for every step when given, else §7's. */
static int
lmtp_timeout(const struct lmtp_session *s, int dflt)
{
	return s->job->timeout > 0 ? s->job->timeout : dflt;
}

static int
lmtp_ascii(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 0;
	return 1;
}

/* 8-bit bytes in the message, and in its header section (SMTPUTF8). */
static void
lmtp_scan(struct lmtp_session *s, struct msgsrc *m)
{
	uint8_t buf[MSGSRC_CHUNK];
	off_t off = 0;
	ssize_t n, i;
	int header = 1, linestart = 1;

	while ((n = msgsrc_pread(m, buf, sizeof(buf), off)) > 0) {
		off += n;
		for (i = 0; i < n; i++) {
			if (buf[i] >= 0x80) {
				s->eightbit = 1;
				if (header)
					s->utf8 = 1;
			}
			if (buf[i] == '\n') {
				if (linestart)
					header = 0;
				linestart = 1;
			} else if (buf[i] != '\r')
				linestart = 0;
		}
		if (s->eightbit && !header)
			break;
	}
	/* A read error shows again, and is reported, when the data goes. */
}

/*
 * o from the reply just read to cmd: 2xx ok, 4xx temporary, 5xx
 * permanent, anything else (a 3xx out of place) a temporary protocol
 * error. "DEST said: CODE ESC TEXT (in reply to CMD)", Postfix style.
 */
static void
lmtp_set_reply(struct lmtp_session *s, struct outcome *o, const char *cmd)
{
	const struct lmtp_reply *r = &s->reply;
	enum outcome_status st;
	char esc[OUTCOME_ESC_SIZE];
	int class = r->code / 100;

	if (class == 2)
		st = OUTCOME_OK;
	else if (class == 5)
		st = OUTCOME_PERM;
	else
		st = OUTCOME_TEMP;
	if (class == 3)
		strlcpy(esc, "4.5.0", sizeof(esc));
	else if (r->esc[0] != '\0')
		strlcpy(esc, r->esc, sizeof(esc));
	else
		snprintf(esc, sizeof(esc), "%d.0.0", class);
	outcome_set(o, st, esc, "%s said: %d%s%s%s%s (in reply to %s)",
	    s->conn.dest, r->code, r->esc[0] ? " " : "", r->esc,
	    r->textlen ? " " : "", r->text, cmd);
}

/* Every recipient still without a final outcome gets o. */
static void
lmtp_fail_all(struct lmtp_session *s, const struct outcome *o)
{
	size_t i;

	for (i = 0; i < s->job->nrcpt; i++)
		if (!s->job->rcpt[i].done) {
			s->job->rcpt[i].o = *o;
			s->job->rcpt[i].done = 1;
		}
}

/*
 * The connection failed (c->why) at cmd: sending it, or waiting for its
 * reply. Temporary: 4.5.0 for a malformed reply, else 4.4.2.
 */
static void
lmtp_fail_io(struct lmtp_session *s, const char *cmd)
{
	struct outcome o;

	outcome_set(&o, OUTCOME_TEMP, strncmp(s->conn.why, "protocol", 8) ==
	    0 ? "4.5.0" : "4.4.2", "%s: %s (%s%s)", s->conn.dest,
	    s->conn.why, strcmp(cmd, LMTP_SENDING) == 0 ? "" : "in reply to ",
	    cmd);
	lmtp_fail_all(s, &o);
}

/* Greeting and LHLO; any failure is temporary for everyone. */
static int
lmtp_hello(struct lmtp_session *s)
{
	struct lmtp_io *c = &s->conn;
	struct outcome o;

	if (lmtp_io_reply(c, &s->reply, lmtp_timeout(s,
	    LMTP_REPLY_TIMEOUT)) == -1) {
		lmtp_fail_io(s, LMTP_GREETING);
		return -1;
	}
	if (s->reply.code / 100 != 2) {
		lmtp_set_reply(s, &o, LMTP_GREETING);
		o.status = OUTCOME_TEMP;
		o.esc[0] = '4';
		lmtp_fail_all(s, &o);
		return -1;
	}
	if (lmtp_io_printf(c, lmtp_timeout(s, LMTP_REPLY_TIMEOUT),
	    "LHLO %s\r\n", s->job->helo) == -1 ||
	    lmtp_io_flush(c, lmtp_timeout(s, LMTP_REPLY_TIMEOUT)) == -1 ||
	    lmtp_io_reply(c, &s->reply, lmtp_timeout(s,
	    LMTP_REPLY_TIMEOUT)) == -1) {
		lmtp_fail_io(s, "LHLO");
		return -1;
	}
	if (s->reply.code / 100 != 2) {
		lmtp_set_reply(s, &o, "LHLO");
		o.status = OUTCOME_TEMP;
		o.esc[0] = '4';
		lmtp_fail_all(s, &o);
		return -1;
	}
	s->ext = s->reply.ext;
	return 0;
}

/*
 * MAIL, the RCPTs and DATA, pipelined or in lock-step. 0 when DATA got
 * 354 (go on with the message), 1 when the transaction ended without
 * data (outcomes set; *sent354 says a DATA was answered 354 anyway),
 * -1 when the connection is unusable.
 */
static int
lmtp_envelope(struct lmtp_session *s, int *sent354)
{
	struct lmtp_io *c = &s->conn;
	struct lmtp_job *j = s->job;
	struct outcome o;
	int pipe = s->ext & LMTP_EXT_PIPELINING;
	int t = lmtp_timeout(s, LMTP_REPLY_TIMEOUT);
	const char *cmd = "MAIL FROM";
	int mail_ok, naccepted = 0;
	size_t i;

	*sent354 = 0;
	if (lmtp_io_printf(c, t, "MAIL FROM:<%s>%s%s\r\n", j->sender,
	    s->eightbit && (s->ext & LMTP_EXT_8BITMIME) ? " BODY=8BITMIME" :
	    "", s->utf8 ? " SMTPUTF8" : "") == -1)
		goto ioerr;
	for (i = 0; pipe && i < j->nrcpt; i++)
		if (lmtp_io_printf(c, t, "RCPT TO:<%s>\r\n", j->rcpt[i].name) == -1)
			goto ioerr;
	if ((pipe && lmtp_io_write(c, "DATA\r\n", 6, t) == -1) ||
	    lmtp_io_flush(c, t) == -1)
		goto ioerr;

	if (lmtp_io_reply(c, &s->reply, t) == -1) {
		lmtp_fail_io(s, "MAIL FROM");
		return -1;
	}
	mail_ok = s->reply.code / 100 == 2;
	if (!mail_ok) {
		lmtp_set_reply(s, &o, "MAIL FROM");
		lmtp_fail_all(s, &o);
		if (!pipe)
			return 1;
	}
	cmd = "RCPT TO";
	for (i = 0; i < j->nrcpt; i++) {
		if (!pipe && (lmtp_io_printf(c, t, "RCPT TO:<%s>\r\n",
		    j->rcpt[i].name) == -1 || lmtp_io_flush(c, t) == -1))
			goto ioerr;
		if (lmtp_io_reply(c, &s->reply, t) == -1) {
			lmtp_fail_io(s, "RCPT TO");
			return -1;
		}
		if (!mail_ok)
			continue;
		if (s->reply.code / 100 == 2) {
			j->rcpt[i].accepted = 1;
			naccepted++;
		} else {
			lmtp_set_reply(s, &j->rcpt[i].o, "RCPT TO");
			j->rcpt[i].done = 1;
		}
	}
	if (!pipe && naccepted == 0)
		return 1;
	cmd = "DATA";
	if (!pipe && (lmtp_io_write(c, "DATA\r\n", 6, t) == -1 ||
	    lmtp_io_flush(c, t) == -1))
		goto ioerr;
	if (lmtp_io_reply(c, &s->reply, t) == -1) {
		lmtp_fail_io(s, "DATA");
		return -1;
	}
	if (s->reply.code == 354) {
		*sent354 = 1;
		return naccepted > 0 && mail_ok ? 0 : 1;
	}
	lmtp_set_reply(s, &o, "DATA");
	if (o.status == OUTCOME_OK)	/* 2xx to DATA: nonsense */
		outcome_set(&o, OUTCOME_TEMP, "4.5.0", "%s", o.text);
	lmtp_fail_all(s, &o);
	return 1;

 ioerr:
	lmtp_fail_io(s, cmd);
	return -1;
}

/* The message, ".", one reply per accepted recipient. */
static int
lmtp_data(struct lmtp_session *s, struct msgsrc *m)
{
	struct lmtp_io *c = &s->conn;
	struct lmtp_job *j = s->job;
	struct lmtp_stuff st;
	struct msgread rd;
	struct outcome o;
	uint8_t buf[MSGSRC_CHUNK], out[2 * 4096];
	int t = lmtp_timeout(s, LMTP_REPLY_TIMEOUT);
	size_t i, used, off, k;
	ssize_t n;

	lmtp_stuff_init(&st);
	msgsrc_reader(&rd, m, CONVERT_STRIP);
	while ((n = msgsrc_next(&rd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < (size_t)n; off += used) {
			k = lmtp_stuff_run(&st, buf + off, (size_t)n - off,
			    &used, out, sizeof(out));
			if (lmtp_io_write(c, out, k, t) == -1) {
				lmtp_fail_io(s, LMTP_SENDING);
				return -1;
			}
		}
	}
	if (n == -1) {
		/* Closing without "." makes the server drop the message. */
		msgsrc_readerr(&o, errno);
		lmtp_fail_all(s, &o);
		return -1;
	}
	if (lmtp_io_write(c, ".\r\n", 3, t) == -1 || lmtp_io_flush(c, t) == -1) {
		lmtp_fail_io(s, LMTP_SENDING);
		return -1;
	}
	for (i = 0; i < j->nrcpt; i++) {
		if (!j->rcpt[i].accepted)
			continue;
		if (lmtp_io_reply(c, &s->reply, lmtp_timeout(s,
		    LMTP_DATA_TIMEOUT)) == -1) {
			lmtp_fail_io(s, "end of DATA");
			return -1;
		}
		lmtp_set_reply(s, &j->rcpt[i].o, "end of DATA");
		j->rcpt[i].done = 1;
	}
	return 0;
}

static void
lmtp_quit(struct lmtp_session *s)
{
	if (lmtp_io_write(&s->conn, "QUIT\r\n", 6, LMTP_QUIT_TIMEOUT) == 0 &&
	    lmtp_io_flush(&s->conn, LMTP_QUIT_TIMEOUT) == 0)
		(void)lmtp_io_reply(&s->conn, &s->reply, LMTP_QUIT_TIMEOUT);
}

/* Runs the whole session; every recipient ends with done and o set. */
void
lmtp_deliver(struct lmtp_job *j, struct msgsrc *m)
{
	struct lmtp_session *s;
	struct outcome o;
	size_t i;
	int r, sent354;

	for (i = 0; i < j->nrcpt; i++) {
		j->rcpt[i].accepted = j->rcpt[i].done = 0;
		outcome_set(&j->rcpt[i].o, OUTCOME_TEMP, "4.3.0", "not tried");
	}
	/* ~50 KiB of buffers: not on the stack. */
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		outcome_set(&o, OUTCOME_TEMP, "4.3.0", "out of memory");
		for (i = 0; i < j->nrcpt; i++)
			j->rcpt[i].o = o;
		return;
	}
	s->job = j;
	s->utf8 = !lmtp_ascii(j->sender);
	for (i = 0; i < j->nrcpt; i++)
		if (!lmtp_ascii(j->rcpt[i].name))
			s->utf8 = 1;
	lmtp_scan(s, m);

	if (lmtp_io_connect(&s->conn, j->dest, lmtp_timeout(s,
	    LMTP_CONNECT_TIMEOUT), &o) == -1) {
		lmtp_fail_all(s, &o);
		goto done;
	}
	if (lmtp_hello(s) == -1)
		goto close;
	if (s->utf8 && !(s->ext & LMTP_EXT_SMTPUTF8)) {
		outcome_set(&o, OUTCOME_PERM, "5.6.7", "%s does not support "
		    "SMTPUTF8, needed for a non-ASCII address or header",
		    s->conn.dest);
		lmtp_fail_all(s, &o);
		lmtp_quit(s);
		goto close;
	}
	if ((r = lmtp_envelope(s, &sent354)) == -1)
		goto close;
	if (r == 1) {
		/* A 354 nobody can use: end that empty message at once. */
		if (!sent354 || (lmtp_io_write(&s->conn, ".\r\n", 3,
		    LMTP_QUIT_TIMEOUT) == 0 && lmtp_io_flush(&s->conn,
		    LMTP_QUIT_TIMEOUT) == 0))
			lmtp_quit(s);
		goto close;
	}
	if (lmtp_data(s, m) == 0)
		lmtp_quit(s);
 close:
	lmtp_io_close(&s->conn);
 done:
	/* Never left undecided: whatever is left is temporary. */
	outcome_set(&o, OUTCOME_TEMP, "4.3.0", "%s: no reply",
	    s->conn.dest[0] ? s->conn.dest : "LMTP server");
	lmtp_fail_all(s, &o);
	free(s);
}

/*
 * The exit status of a run (doc/deliver.8): 0 when every recipient was
 * delivered; 75 when any failed temporarily (the caller retries, and
 * retrying a delivered recipient is better than losing one); else the
 * status of the first permanent failure by its code (outcome_exit).
 * *which is the recipient whose outcome decided, for the stderr line.
 */
int
lmtp_exit(const struct lmtp_rcpt *rc, size_t n, size_t *which)
{
	size_t i, perm = n;

	*which = 0;
	for (i = 0; i < n; i++) {
		if (rc[i].o.status == OUTCOME_TEMP) {
			*which = i;
			return EX_TEMPFAIL;
		}
		if (rc[i].o.status == OUTCOME_PERM && perm == n)
			perm = i;
	}
	if (perm == n)
		return EX_OK;
	*which = perm;
	return outcome_exit(&rc[perm].o);
}

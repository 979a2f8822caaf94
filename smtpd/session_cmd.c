/*
 * session_cmd.c: the SMTP/LMTP commands (protocol.md A.1): parsing of the
 * verb and its argument, sequencing, and the replies. RCPT checks and the
 * DATA transaction are asynchronous and live in session_rcpt.c and
 * session_txn.c. Called by session.c with one complete, checked line.
 * Must never trust the line: every argument goes through lib/addr or the
 * parameter parser, every error is a reply with an enhanced code.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/version.h"
#include "lib/xmalloc.h"
#include "queue/queue_msg.h"
#include "smtpd/session.h"

struct session_cmd {
	const char	*verb;
	void		(*handler)(struct session *, char *);
	int		 before_tls;	/* allowed before TLS on tls-require */
};

static void	cmd_helo(struct session *, char *);
static void	cmd_ehlo(struct session *, char *);
static void	cmd_lhlo(struct session *, char *);
static void	cmd_mail(struct session *, char *);
static void	cmd_rcpt(struct session *, char *);
static void	cmd_data(struct session *, char *);
static void	cmd_rset(struct session *, char *);
static void	cmd_noop(struct session *, char *);
static void	cmd_quit(struct session *, char *);
static void	cmd_vrfy(struct session *, char *);
static void	cmd_expn(struct session *, char *);
static void	cmd_help(struct session *, char *);
static void	cmd_starttls(struct session *, char *);
static void	cmd_auth(struct session *, char *);
static void	hello(struct session *, char *, const char *, int);
static int	tls_required(struct session *);
static char	*path_arg(char *, const char *);

static const struct session_cmd commands[] = {
	{ "HELO",	cmd_helo,	1 },
	{ "EHLO",	cmd_ehlo,	1 },
	{ "LHLO",	cmd_lhlo,	1 },
	{ "MAIL",	cmd_mail,	0 },
	{ "RCPT",	cmd_rcpt,	0 },
	{ "DATA",	cmd_data,	0 },
	{ "RSET",	cmd_rset,	1 },
	{ "NOOP",	cmd_noop,	1 },
	{ "QUIT",	cmd_quit,	1 },
	{ "VRFY",	cmd_vrfy,	0 },
	{ "EXPN",	cmd_expn,	0 },
	{ "HELP",	cmd_help,	0 },
	{ "STARTTLS",	cmd_starttls,	1 },
	{ "AUTH",	cmd_auth,	1 },	/* 538 before TLS (A.7) */
};

void
session_command(struct session *s, char *line, size_t len)
{
	char *arg;
	size_t i, vlen;

	(void)len;
	vlen = strcspn(line, " ");
	arg = line + vlen;
	while (*arg == ' ')
		arg++;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strlen(commands[i].verb) == vlen &&
		    strncasecmp(commands[i].verb, line, vlen) == 0) {
			if (!commands[i].before_tls && tls_required(s))
				return;
			commands[i].handler(s, arg);
			return;
		}
	}
	session_reply(s, "500 5.5.1 Command unrecognized");
	session_error(s);
}

static void
cmd_helo(struct session *s, char *arg)
{
	if (s->lmtp) {
		session_reply(s, "500 5.5.1 Command unrecognized");
		session_error(s);
		return;
	}
	hello(s, arg, "HELO", 0);
}

static void
cmd_ehlo(struct session *s, char *arg)
{
	if (s->lmtp) {
		session_reply(s, "500 5.5.1 Command unrecognized");
		session_error(s);
		return;
	}
	hello(s, arg, "EHLO", 1);
}

static void
cmd_lhlo(struct session *s, char *arg)
{
	if (!s->lmtp) {
		session_reply(s, "500 5.5.1 Command unrecognized");
		session_error(s);
		return;
	}
	hello(s, arg, "LHLO", 1);
}

static void
hello(struct session *s, char *arg, const char *verb, int extended)
{
	const struct listener *l = s->listener->conf;
	size_t n;
	int flags;

	n = strcspn(arg, " ");
	if (n == 0) {
		session_reply(s, "501 5.5.4 Syntax: %s hostname", verb);
		session_error(s);
		return;
	}
	if (arg[n] != '\0' ||
	    addr_parse_domain(arg, n, ADDR_OPT_UTF8, &flags) != ADDR_OK) {
		session_reply(s, "501 5.5.4 Invalid domain name");
		session_error(s);
		return;
	}
	session_reset_txn(s);
	strlcpy(s->helo, arg, sizeof(s->helo));
	s->helo_done = 1;
	s->esmtp = extended;
	s->pipelining = extended;
	if (!extended) {
		session_reply(s, "250 %s Hello %s [%s], pleased to meet you",
		    s->name, s->helo, s->addr);
		return;
	}
	session_reply(s, "250-%s Hello %s [%s], pleased to meet you",
	    s->name, s->helo, s->addr);
	session_reply(s, "250-8BITMIME");
	session_reply(s, "250-ENHANCEDSTATUSCODES");
	session_reply(s, "250-SIZE %llu",
	    (unsigned long long)s->server->conf->max_message_size);
	if (!(l->flags & LISTENER_NO_DSN))
		session_reply(s, "250-DSN");
	session_reply(s, "250-PIPELINING");
	session_reply(s, "250-SMTPUTF8");
	if ((l->flags & (LISTENER_TLS | LISTENER_TLS_REQUIRE)) && !s->tls &&
	    !s->lmtp)
		session_reply(s, "250-STARTTLS");
	if (session_auth_advertised(s))
		session_reply(s, "250-AUTH PLAIN LOGIN");
	session_reply(s, "250 HELP");
}

/*
 * "FROM:<path> params" / "TO:<path> params": checks the keyword (any
 * case), skips blanks after the colon; NULL on a syntax error.
 */
static char *
path_arg(char *arg, const char *kw)
{
	size_t n = strlen(kw);

	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	arg += n;
	while (*arg == ' ')
		arg++;
	return *arg == '<' ? arg : NULL;
}

/*
 * tls-require listeners: before STARTTLS only HELO/EHLO, STARTTLS, RSET,
 * NOOP and QUIT (A.1; session_command checks the others).
 */
static int
tls_required(struct session *s)
{
	const struct listener *l = s->listener->conf;

	if ((l->flags & (LISTENER_TLS_REQUIRE | LISTENER_SMTPS)) && !s->tls) {
		session_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return 1;
	}
	return 0;
}

static int
mail_policy(struct session *s)
{
	const struct listener *l = s->listener->conf;

	if (!s->helo_done) {
		session_reply(s, "503 5.5.1 Polite people say HELO first");
		session_error(s);
		return -1;
	}
	if (tls_required(s))
		return -1;
	if ((l->flags & LISTENER_AUTH) && s->auth_user[0] == '\0') {
		session_reply(s, "530 5.7.0 Authentication required");
		return -1;
	}
	if (s->txn.active) {
		session_reply(s, "503 5.5.1 Error: nested MAIL command");
		session_error(s);
		return -1;
	}
	if (s->nmails >= (int)s->server->conf->max_mails) {
		session_reply(s, "452 4.5.3 Too many messages sent");
		return -1;
	}
	return 0;
}

static void
cmd_mail(struct session *s, char *arg)
{
	struct session_txn *t = &s->txn;
	enum addr_result r;
	size_t used;
	char *p;

	if (mail_policy(s) == -1)
		return;
	if ((p = path_arg(arg, "FROM:")) == NULL) {
		session_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		session_error(s);
		return;
	}
	r = addr_parse_path(p, strlen(p), ADDR_OPT_NULL | ADDR_OPT_UTF8,
	    &t->sender, &used);
	if (r == ADDR_OK && p[used] != '\0' && p[used] != ' ' &&
	    p[used] != '\t')
		r = ADDR_ESYNTAX;
	if (r == ADDR_ETOOLONG) {
		session_reply(s, "553 5.1.3 Sender address too long");
		session_error(s);
		return;
	}
	if (r != ADDR_OK) {
		session_reply(s, "553 5.1.7 Sender address syntax error");
		session_error(s);
		return;
	}
	if (t->sender.flags & ADDR_QUOTED && t->sender.local[0] == '"') {
		session_reply(s, "553 5.1.3 Quoted local parts are not "
		    "supported");
		return;
	}
	if (session_mail_params(s, p + used) == -1)
		return;
	if ((t->sender.flags & ADDR_UTF8) && !t->smtputf8) {
		session_reply(s, "553 5.6.7 Non-ASCII addresses not permitted "
		    "for that sender");
		return;
	}
	if (t->size_decl > s->server->conf->max_message_size) {
		session_reply(s, "552 5.3.4 Message size exceeds fixed maximum "
		    "message size");
		return;
	}
	if (s->server->spool_known && s->server->spool_avail <
	    t->size_decl + QUEUE_SPACE_RESERVE) {
		session_reply(s, "452 4.3.1 Insufficient system storage");
		return;
	}
	addr_format(&t->sender, t->sender_text, sizeof(t->sender_text));
	t->active = 1;
	log_debug("%016llx smtp event=mail from=<%s> size=%llu",
	    (unsigned long long)s->id, t->sender_text,
	    (unsigned long long)t->size_decl);
	session_reply(s, "250 2.0.0 Ok");
}

static void
cmd_rcpt(struct session *s, char *arg)
{
	struct session_txn *t = &s->txn;
	struct session_rcpt *r;
	enum addr_result res;
	size_t used;
	char *p;

	if (tls_required(s))
		return;
	if (!t->active) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		session_error(s);
		return;
	}
	if ((p = path_arg(arg, "TO:")) == NULL) {
		session_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		session_error(s);
		return;
	}
	if (t->nrcpt >= s->server->conf->max_rcpt) {
		session_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	r = xcalloc(1, sizeof(*r));
	res = addr_parse_path(p, strlen(p), ADDR_OPT_POSTMASTER | ADDR_OPT_UTF8,
	    &r->addr, &used);
	if (res == ADDR_OK && p[used] != '\0' && p[used] != ' ' &&
	    p[used] != '\t')
		res = ADDR_ESYNTAX;
	if (res != ADDR_OK) {
		free(r);
		session_reply(s, "501 5.1.3 Recipient address syntax error");
		session_error(s);
		return;
	}
	if (r->addr.flags & ADDR_QUOTED && r->addr.local[0] == '"') {
		free(r);
		session_reply(s, "553 5.1.3 Quoted local parts are not "
		    "supported");
		return;
	}
	if ((r->addr.flags & ADDR_UTF8) && !t->smtputf8) {
		free(r);
		session_reply(s, "553 5.6.7 Non-ASCII addresses not permitted "
		    "for that recipient");
		return;
	}
	if (session_rcpt_params(s, r, p + used) == -1) {
		free(r);
		return;
	}
	/* <postmaster> without a domain is routed as postmaster@NAME. */
	if (r->addr.flags & ADDR_NODOMAIN)
		strlcpy(r->addr.domain, s->name, sizeof(r->addr.domain));
	addr_format(&r->addr, r->text, sizeof(r->text));
	session_rcpt_lookup(s, r);
}

static void
cmd_data(struct session *s, char *arg)
{
	if (tls_required(s))
		return;
	if (!s->txn.active) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		session_error(s);
		return;
	}
	if (*arg) {
		session_reply(s, "501 5.5.4 Syntax: DATA");
		session_error(s);
		return;
	}
	if (TAILQ_EMPTY(&s->txn.rcpts)) {
		session_reply(s, "%s 5.5.1 No valid recipients",
		    s->lmtp ? "503" : "554");
		session_error(s);
		return;
	}
	session_data_start(s);
}

static void
cmd_rset(struct session *s, char *arg)
{
	(void)arg;
	session_reset_txn(s);
	session_reply(s, "250 2.0.0 Ok");
}

static void
cmd_noop(struct session *s, char *arg)
{
	(void)arg;
	session_reply(s, "250 2.0.0 Ok");
}

static void
cmd_quit(struct session *s, char *arg)
{
	(void)arg;
	session_reply(s, "221 2.0.0 Bye");
	s->state = S_QUIT;
}

static void
cmd_vrfy(struct session *s, char *arg)
{
	(void)arg;
	session_reply(s, "252 2.5.2 Cannot VRFY user; try RCPT to attempt "
	    "delivery");
}

static void
cmd_expn(struct session *s, char *arg)
{
	(void)arg;
	session_reply(s, "502 5.5.1 Command not implemented");
}

static void
cmd_help(struct session *s, char *arg)
{
	(void)arg;
	session_reply(s, "214-2.0.0 This is %s %s", SMTPD_PRODUCT,
	    SMTPD_VERSION);
	session_reply(s, "214-2.0.0 Commands: %s MAIL RCPT DATA RSET NOOP "
	    "QUIT VRFY HELP", s->lmtp ? "LHLO" : "HELO EHLO");
	session_reply(s, "214 2.0.0 End of HELP info");
}

static void
cmd_starttls(struct session *s, char *arg)
{
	const struct listener *l = s->listener->conf;

	if (*arg) {
		session_reply(s, "501 5.5.4 Syntax error (no parameters "
		    "allowed)");
		session_error(s);
		return;
	}
	if (s->tls) {
		session_reply(s, "503 5.5.1 TLS already active");
		session_error(s);
		return;
	}
	if (!(l->flags & (LISTENER_TLS | LISTENER_TLS_REQUIRE)) || s->lmtp) {
		session_reply(s, "502 5.5.1 Command not implemented");
		return;
	}
	/* 220, input discarded, state reset; the handshake follows (A.6). */
	if (session_tls_starttls(s) == -1)
		session_reply(s, "454 4.7.0 TLS not available");
}

/*
 * AUTH (protocol.md A.7): the sequencing checks here, the exchange and
 * the verification in session_auth.c.
 */
static void
cmd_auth(struct session *s, char *arg)
{
	const struct listener *l = s->listener->conf;

	if (!(l->flags & (LISTENER_AUTH | LISTENER_AUTH_OPTIONAL)) ||
	    s->lmtp) {
		if (tls_required(s))
			return;
		session_reply(s, "503 5.5.1 Command not supported");
		session_error(s);
		return;
	}
	/* Never in plaintext, not even on loopback (A.7). */
	if (!s->tls) {
		session_reply(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	if (!s->helo_done) {
		session_reply(s, "503 5.5.1 Polite people say HELO first");
		session_error(s);
		return;
	}
	if (s->auth_user[0] != '\0') {
		session_reply(s, "503 5.5.1 Already authenticated");
		session_error(s);
		return;
	}
	if (s->txn.active) {
		session_reply(s, "503 5.5.1 Error: AUTH not allowed in a "
		    "transaction");
		session_error(s);
		return;
	}
	session_auth_command(s, arg);
}

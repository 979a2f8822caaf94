/*
 * spfwalk.c: `smtpctl spf walk`, after OpenSMTPD's spfwalk. The domains
 * read on stdin (one per line, surrounding blanks and blank lines
 * ignored) have their TXT records looked up; each "v=spf1" record is cut
 * by ctl/spfwalk_parse.c and walked: include: and redirect= are followed
 * (each domain once, at most SPFWALK_DEPTH_MAX levels), a and mx are
 * resolved to their A and AAAA addresses (mx through its exchangers) and
 * printed with the mechanism's prefix length if it has one, ip4: and ip6:
 * networks are printed without the mechanism's name (canonical form). Terms qualified "-" or "~"
 * name senders that are not allowed and are skipped, as OpenSMTPD does;
 * all, ptr, exists, exp= and other modifiers are ignored; a term with a
 * macro cannot be resolved statically and is skipped with a warning.
 * Each line is printed once. Called by ctl/smtpctl.c; unprivileged,
 * never contacts the daemon. DNS failures and junk are warnings on
 * stderr, never fatal: the walk goes on with what it has.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/spfwalk.h"
#include "lib/xmalloc.h"

#define SPFWALK_KEY_MAX		(SPFWALK_NAME_MAX + 48)
#define SPFWALK_LINE_MAX	(INET6_ADDRSTRLEN + 16)

/* One DNS question, waiting in the queue or asked. */
struct spfwalk_lookup {
	struct spfwalk		*w;
	struct spfwalk_lookup	*next;
	int			 type;
	int			 depth;		/* TXT: levels of include */
	int			 cidr4;		/* A, MX: -1 or the /len */
	int			 cidr6;		/* AAAA, MX */
	char			 name[SPFWALK_NAME_MAX + 1];
};

static void	spfwalk_warn(struct spfwalk *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static const char *spfwalk_type(int);
static int	spfwalk_cmp(const void *, const void *);
static int	spfwalk_once(void **, const char *);
static void	spfwalk_print(struct spfwalk *, const char *);
static void	spfwalk_ask(struct spfwalk *, int, const char *, int, int,
		    int);
static void	spfwalk_follow(struct spfwalk *, const struct spfwalk_lookup *,
		    const struct spfwalk_term *);
static void	spfwalk_pump(struct spfwalk *);
static void	spfwalk_answer(void *, const struct spfwalk_answer *);
static void	spfwalk_txt(struct spfwalk *, const struct spfwalk_lookup *,
		    const struct spfwalk_answer *);
static void	spfwalk_record(struct spfwalk *, const struct spfwalk_lookup *,
		    const char *, size_t);
static void	spfwalk_term(struct spfwalk *, const struct spfwalk_lookup *,
		    const struct spfwalk_term *);
static void	spfwalk_addr(struct spfwalk *, const struct spfwalk_lookup *,
		    const struct spfwalk_answer *);
static void	spfwalk_mx(struct spfwalk *, const struct spfwalk_lookup *,
		    const struct spfwalk_answer *);

static void
spfwalk_warn(struct spfwalk *w, const char *fmt, ...)
{
	va_list ap;

	fprintf(w->err, "smtpctl: spf walk: ");
	va_start(ap, fmt);
	vfprintf(w->err, fmt, ap);
	va_end(ap);
	fprintf(w->err, "\n");
}

static const char *
spfwalk_type(int type)
{
	switch (type) {
	case SPFWALK_T_A:
		return "A";
	case SPFWALK_T_AAAA:
		return "AAAA";
	case SPFWALK_T_MX:
		return "MX";
	default:
		return "TXT";
	}
}

static int
spfwalk_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* 1 if key is new to the set (and now in it), 0 if it was there. */
static int
spfwalk_once(void **set, const char *key)
{
	char *k, **node;

	k = xstrdup(key);
	if ((node = tsearch(k, set, spfwalk_cmp)) == NULL) {
		fprintf(stderr, "smtpctl: out of memory\n");
		exit(1);
	}
	if (*node != k) {
		free(k);
		return 0;
	}
	return 1;
}

static void
spfwalk_print(struct spfwalk *w, const char *line)
{
	if (spfwalk_once(&w->printed, line))
		fprintf(w->out, "%s\n", line);
}

void
spfwalk_init(struct spfwalk *w, struct spfwalk_dns *dns, FILE *out, FILE *err)
{
	memset(w, 0, sizeof(*w));
	w->dns = dns;
	w->out = out;
	w->err = err;
}

/* Queue a question unless the same one was asked already. */
static void
spfwalk_ask(struct spfwalk *w, int type, const char *name, int depth,
    int cidr4, int cidr6)
{
	struct spfwalk_lookup *l;
	char key[SPFWALK_KEY_MAX];

	(void)snprintf(key, sizeof(key), "%s %s/%d//%d", spfwalk_type(type),
	    name, cidr4, cidr6);
	if (!spfwalk_once(&w->asked, key))
		return;
	l = xcalloc(1, sizeof(*l));
	l->w = w;
	l->type = type;
	l->depth = depth;
	l->cidr4 = cidr4;
	l->cidr6 = cidr6;
	(void)snprintf(l->name, sizeof(l->name), "%s", name);
	if (w->tail != NULL)
		w->tail->next = l;
	else
		w->head = l;
	w->tail = l;
}

/* One input line: a domain whose SPF record is walked. */
void
spfwalk_domain(struct spfwalk *w, const char *s, size_t n)
{
	char name[SPFWALK_NAME_MAX + 1], text[SPFWALK_TEXT_MAX + 1];

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)s[0])) {
		s++;
		n--;
	}
	if (n == 0)
		return;
	if (spfwalk_parse_domain(s, n, name) == -1) {
		spfwalk_parse_printable(s, n, text, sizeof(text));
		spfwalk_warn(w, "\"%s\": not a domain name", text);
		return;
	}
	spfwalk_ask(w, SPFWALK_T_TXT, name, 0, -1, -1);
}

/*
 * Ask what is queued, SPFWALK_INFLIGHT_MAX at a time. An answer known at
 * once calls back from inside query(): the outer loop carries on, so the
 * stack does not grow with the queue.
 */
static void
spfwalk_pump(struct spfwalk *w)
{
	struct spfwalk_lookup *l;

	if (w->pumping)
		return;
	w->pumping = 1;
	while (w->head != NULL && w->inflight < SPFWALK_INFLIGHT_MAX) {
		l = w->head;
		if ((w->head = l->next) == NULL)
			w->tail = NULL;
		l->next = NULL;
		w->inflight++;
		if (w->dns->query(w->dns, l->name, l->type, spfwalk_answer,
		    l) == -1) {
			w->inflight--;
			spfwalk_warn(w, "%s %s: lookup failed", l->name,
			    spfwalk_type(l->type));
			free(l);
		}
	}
	w->pumping = 0;
}

/* Walk until nothing is queued or asked; 0, or -1 if the resolver broke. */
int
spfwalk_run(struct spfwalk *w)
{
	for (;;) {
		spfwalk_pump(w);
		if (w->inflight == 0)
			return 0;
		if (w->dns->run(w->dns) == -1) {
			spfwalk_warn(w, "the resolver failed");
			return -1;
		}
	}
}

void
spfwalk_free(struct spfwalk *w)
{
	struct spfwalk_lookup *l;

	while ((l = w->head) != NULL) {
		w->head = l->next;
		free(l);
	}
	w->tail = NULL;
	tdestroy(w->asked, free);
	tdestroy(w->printed, free);
	w->asked = w->printed = NULL;
}

static void
spfwalk_answer(void *arg, const struct spfwalk_answer *a)
{
	struct spfwalk_lookup *l = arg;
	struct spfwalk *w = l->w;

	w->inflight--;
	switch (a->status) {
	case SPFWALK_DNS_NXDOMAIN:
		spfwalk_warn(w, "%s %s: no such domain", l->name,
		    spfwalk_type(l->type));
		break;
	case SPFWALK_DNS_TEMPFAIL:
		spfwalk_warn(w, "%s %s: lookup failed: %s", l->name,
		    spfwalk_type(l->type), a->why != NULL ? a->why : "error");
		break;
	case SPFWALK_DNS_OK:
		if (l->type == SPFWALK_T_TXT)
			spfwalk_txt(w, l, a);
		else if (l->type == SPFWALK_T_MX)
			spfwalk_mx(w, l, a);
		else
			spfwalk_addr(w, l, a);
		break;
	}
	free(l);
	spfwalk_pump(w);
}

static void
spfwalk_txt(struct spfwalk *w, const struct spfwalk_lookup *l,
    const struct spfwalk_answer *a)
{
	struct spfwalk_parser p;
	size_t i, len, nspf = 0;
	char *rec;

	for (i = 0; i < a->n; i++) {
		rec = xmalloc(a->rr[i].len + 1);
		if (spfwalk_parse_txt(a->msg + a->rr[i].off, a->rr[i].len, rec,
		    a->rr[i].len + 1, &len) == -1)
			spfwalk_warn(w, "%s TXT: malformed record", l->name);
		else if (spfwalk_parse_init(&p, rec, len) == 0) {
			nspf++;
			spfwalk_record(w, l, rec, len);
		}
		free(rec);
	}
	if (nspf == 0)
		spfwalk_warn(w, "%s: no SPF record", l->name);
	else if (nspf > 1)
		spfwalk_warn(w, "%s: %zu SPF records, all walked", l->name,
		    nspf);
}

/* One record: its terms, then its redirect= unless it has "all". */
static void
spfwalk_record(struct spfwalk *w, const struct spfwalk_lookup *l,
    const char *rec, size_t len)
{
	struct spfwalk_parser p;
	struct spfwalk_term t, redirect;
	int all = 0, nredirect = 0;

	if (spfwalk_parse_init(&p, rec, len) == -1)
		return;
	memset(&redirect, 0, sizeof(redirect));
	while (spfwalk_parse_next(&p, &t)) {
		if (t.kind == SPFWALK_ALL)
			all = 1;
		if (t.kind == SPFWALK_REDIRECT && nredirect++ == 0)
			redirect = t;
		else if (t.kind == SPFWALK_REDIRECT)
			spfwalk_warn(w, "%s: ignored \"%s\": a second "
			    "redirect", l->name, t.text);
		else
			spfwalk_term(w, l, &t);
	}
	if (nredirect > 0 && !all)
		spfwalk_term(w, l, &redirect);
}

static void
spfwalk_term(struct spfwalk *w, const struct spfwalk_lookup *l,
    const struct spfwalk_term *t)
{
	const char *name;

	switch (t->kind) {
	case SPFWALK_JUNK:
		spfwalk_warn(w, "%s: ignored \"%s\": %s", l->name, t->text,
		    t->why);
		return;
	case SPFWALK_ALL:
	case SPFWALK_PTR:
	case SPFWALK_EXISTS:
	case SPFWALK_EXP:
	case SPFWALK_MODIFIER:
		return;
	default:
		break;
	}
	if (t->qual == '-' || t->qual == '~')
		return;		/* senders that are not allowed */
	if (t->macro) {
		spfwalk_warn(w, "%s: skipped \"%s\": a macro cannot be "
		    "resolved statically", l->name, t->text);
		return;
	}
	name = t->domain[0] != '\0' ? t->domain : l->name;
	switch (t->kind) {
	case SPFWALK_IP4:
	case SPFWALK_IP6:
		spfwalk_print(w, t->net);
		break;
	case SPFWALK_A:
		spfwalk_ask(w, SPFWALK_T_A, name, l->depth, t->cidr4, -1);
		spfwalk_ask(w, SPFWALK_T_AAAA, name, l->depth, -1, t->cidr6);
		break;
	case SPFWALK_MX:
		spfwalk_ask(w, SPFWALK_T_MX, name, l->depth, t->cidr4,
		    t->cidr6);
		break;
	case SPFWALK_INCLUDE:
	case SPFWALK_REDIRECT:
		spfwalk_follow(w, l, t);
		break;
	default:
		break;
	}
}

static void
spfwalk_follow(struct spfwalk *w, const struct spfwalk_lookup *l,
    const struct spfwalk_term *t)
{
	if (l->depth >= SPFWALK_DEPTH_MAX) {
		spfwalk_warn(w, "%s: skipped \"%s\": more than %d levels of "
		    "include and redirect", l->name, t->text,
		    SPFWALK_DEPTH_MAX);
		return;
	}
	spfwalk_ask(w, SPFWALK_T_TXT, t->domain, l->depth + 1, -1, -1);
}

/* A or AAAA data: each address, with the mechanism's /len if it had one. */
static void
spfwalk_addr(struct spfwalk *w, const struct spfwalk_lookup *l,
    const struct spfwalk_answer *a)
{
	char addr[INET6_ADDRSTRLEN], line[SPFWALK_LINE_MAX];
	size_t i, size;
	int af, cidr;

	af = l->type == SPFWALK_T_A ? AF_INET : AF_INET6;
	size = l->type == SPFWALK_T_A ? 4 : 16;
	cidr = l->type == SPFWALK_T_A ? l->cidr4 : l->cidr6;
	for (i = 0; i < a->n; i++) {
		if (a->rr[i].len != size || inet_ntop(af,
		    a->msg + a->rr[i].off, addr, sizeof(addr)) == NULL)
			continue;
		if (cidr >= 0)
			(void)snprintf(line, sizeof(line), "%s/%d", addr, cidr);
		else
			(void)snprintf(line, sizeof(line), "%s", addr);
		spfwalk_print(w, line);
	}
}

/* MX data: the A and AAAA of each exchanger, the null MX has none. */
static void
spfwalk_mx(struct spfwalk *w, const struct spfwalk_lookup *l,
    const struct spfwalk_answer *a)
{
	char name[SPFWALK_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (spfwalk_packet_mx(a, i, name) == -1) {
			spfwalk_warn(w, "%s MX: malformed record", l->name);
			continue;
		}
		if (name[0] == '\0')
			continue;
		spfwalk_ask(w, SPFWALK_T_A, name, l->depth, l->cidr4, -1);
		spfwalk_ask(w, SPFWALK_T_AAAA, name, l->depth, -1, l->cidr6);
	}
}

/*
 * smtpctl spf walk: the resolver (SMTPCTL_RESOLVER, else the system's),
 * stdin read to the end, then the walk. 0 once the input was read and
 * walked, 1 if the resolver cannot be set up or stdin or stdout fail.
 */
int
spfwalk_main(void)
{
	struct spfwalk_dns *dns;
	struct spfwalk w;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if ((dns = spfwalk_unbound_open(getenv("SMTPCTL_RESOLVER"))) == NULL)
		return 1;
	spfwalk_init(&w, dns, stdout, stderr);
	while ((n = getline(&line, &cap, stdin)) != -1)
		spfwalk_domain(&w, line, (size_t)n);
	free(line);
	if (ferror(stdin)) {
		fprintf(stderr, "smtpctl: stdin: %s\n", strerror(errno));
		rc = 1;
	} else if (spfwalk_run(&w) == -1)
		rc = 1;
	spfwalk_free(&w);
	dns->close(dns);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "smtpctl: stdout: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}

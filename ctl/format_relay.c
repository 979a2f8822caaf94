/*
 * format_relay.c: smtpctl -j for the relay role's show commands
 * (format.h): show routes, hosts, hoststats and relays come from the
 * daemon as text lines (smtpctl(8) "RELAY STATE"), printed as they are
 * without -j; here each line becomes a JSON object, key=value fields
 * with their names, numbers as numbers, "-" as null. Called by
 * ctl/smtpctl.c. Pure: appends to a struct buf; never trusts the
 * daemon's text: a line of another shape becomes {"line": "..."}.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/format.h"

#define CTLFMT_NUM_DIGITS	19	/* an int64 */

struct ctlfmt_toks {
	const char	*p, *end;
};

static int	ctlfmt_tok(struct ctlfmt_toks *, const char **, size_t *);
static int	ctlfmt_num(const char *, size_t);
static void	ctlfmt_value(struct buf *, const char *, size_t);
static void	ctlfmt_kvs(struct buf *, struct ctlfmt_toks *);
static void	ctlfmt_jkey(struct buf *, const char *);
static void	ctlfmt_jstr(struct buf *, const char *, const char *, size_t);
static void	ctlfmt_raw_line(struct buf *, const char *, size_t);
static void	ctlfmt_route(struct buf *, const char *, size_t);
static void	ctlfmt_host(struct buf *, const char *, size_t);
static void	ctlfmt_hoststat(struct buf *, const char *, size_t);
static void	ctlfmt_source(struct buf *, const char *, size_t);

/* The next space-separated word; 0 at the end. */
static int
ctlfmt_tok(struct ctlfmt_toks *t, const char **tok, size_t *len)
{
	while (t->p < t->end && *t->p == ' ')
		t->p++;
	if (t->p == t->end)
		return 0;
	*tok = t->p;
	while (t->p < t->end && *t->p != ' ')
		t->p++;
	*len = (size_t)(t->p - *tok);
	return 1;
}

static int
ctlfmt_num(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 0 && s[0] == '-')
		i++;
	if (i == len || len - i > CTLFMT_NUM_DIGITS)
		return 0;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A number, null for "-", else a string. */
static void
ctlfmt_value(struct buf *out, const char *v, size_t len)
{
	if (len == 1 && v[0] == '-')
		buf_addstr(out, "null");
	else if (ctlfmt_num(v, len))
		buf_add(out, v, len);
	else
		ctlfmt_json_str(out, v, len);
}

/* ,"key":value for each key=value word left; other words are skipped. */
static void
ctlfmt_kvs(struct buf *out, struct ctlfmt_toks *t)
{
	const char *tok, *eq;
	size_t len;

	while (ctlfmt_tok(t, &tok, &len)) {
		if ((eq = memchr(tok, '=', len)) == NULL || eq == tok)
			continue;
		buf_addstr(out, ",");
		ctlfmt_json_str(out, tok, (size_t)(eq - tok));
		buf_addstr(out, ":");
		ctlfmt_value(out, eq + 1, len - (size_t)(eq - tok) - 1);
	}
}

static void
ctlfmt_jkey(struct buf *out, const char *key)
{
	ctlfmt_json_str(out, key, strlen(key));
	buf_addstr(out, ":");
}

static void
ctlfmt_jstr(struct buf *out, const char *key, const char *v, size_t len)
{
	ctlfmt_jkey(out, key);
	ctlfmt_json_str(out, v, len);
}

static void
ctlfmt_raw_line(struct buf *out, const char *line, size_t len)
{
	buf_addstr(out, "{");
	ctlfmt_jstr(out, "line", line, len);
	buf_addstr(out, "}");
}

/* "[]" (no source address) is "", else the address. */
static void
ctlfmt_source(struct buf *out, const char *src, size_t len)
{
	ctlfmt_jkey(out, "source");
	if (len == 2 && memcmp(src, "[]", 2) == 0)
		ctlfmt_json_str(out, "", 0);
	else
		ctlfmt_json_str(out, src, len);
}

/* "ID. SRC <-> ADDR (HOST) FLAGS k=v ..." */
static void
ctlfmt_route(struct buf *out, const char *line, size_t len)
{
	struct ctlfmt_toks t = { line, line + len };
	const char *id, *src, *arrow, *addr, *w;
	size_t idlen, srclen, arrowlen, addrlen, wlen;

	if (!ctlfmt_tok(&t, &id, &idlen) || idlen < 2 || id[idlen - 1] != '.' ||
	    !ctlfmt_num(id, idlen - 1) || !ctlfmt_tok(&t, &src, &srclen) ||
	    !ctlfmt_tok(&t, &arrow, &arrowlen) || arrowlen != 3 ||
	    memcmp(arrow, "<->", 3) != 0 || !ctlfmt_tok(&t, &addr, &addrlen) ||
	    !ctlfmt_tok(&t, &w, &wlen)) {
		ctlfmt_raw_line(out, line, len);
		return;
	}
	buf_addstr(out, "{");
	ctlfmt_jkey(out, "id");
	buf_add(out, id, idlen - 1);
	buf_addstr(out, ",");
	ctlfmt_source(out, src, srclen);
	buf_addstr(out, ",");
	ctlfmt_jstr(out, "address", addr, addrlen);
	buf_addstr(out, ",");
	ctlfmt_jkey(out, "hostname");
	if (wlen >= 2 && w[0] == '(' && w[wlen - 1] == ')') {
		ctlfmt_json_str(out, w + 1, wlen - 2);
		if (!ctlfmt_tok(&t, &w, &wlen))
			wlen = 0;
	} else
		buf_addstr(out, "null");
	buf_addstr(out, ",");
	ctlfmt_jstr(out, "flags", w, wlen);
	ctlfmt_kvs(out, &t);
	buf_addstr(out, "}");
}

/* "ADDR HOSTNAME k=v ..." */
static void
ctlfmt_host(struct buf *out, const char *line, size_t len)
{
	struct ctlfmt_toks t = { line, line + len };
	const char *addr, *host;
	size_t addrlen, hostlen;

	if (!ctlfmt_tok(&t, &addr, &addrlen) ||
	    !ctlfmt_tok(&t, &host, &hostlen)) {
		ctlfmt_raw_line(out, line, len);
		return;
	}
	buf_addstr(out, "{");
	ctlfmt_jstr(out, "address", addr, addrlen);
	buf_addstr(out, ",");
	ctlfmt_jkey(out, "hostname");
	ctlfmt_value(out, host, hostlen);
	ctlfmt_kvs(out, &t);
	buf_addstr(out, "}");
}

/* "DOMAIN|UNIXTIME|STATUS", the status being the rest of the line. */
static void
ctlfmt_hoststat(struct buf *out, const char *line, size_t len)
{
	const char *b1, *b2;

	if ((b1 = memchr(line, '|', len)) == NULL ||
	    (b2 = memchr(b1 + 1, '|', len - (size_t)(b1 + 1 - line))) == NULL ||
	    !ctlfmt_num(b1 + 1, (size_t)(b2 - b1 - 1))) {
		ctlfmt_raw_line(out, line, len);
		return;
	}
	buf_addstr(out, "{");
	ctlfmt_jstr(out, "domain", line, (size_t)(b1 - line));
	buf_addstr(out, ",");
	ctlfmt_jkey(out, "time");
	buf_add(out, b1 + 1, (size_t)(b2 - b1 - 1));
	buf_addstr(out, ",");
	ctlfmt_jstr(out, "status", b2 + 1, len - (size_t)(b2 + 1 - line));
	buf_addstr(out, "}");
}

/*
 * An array with one object per line (show relays: per relay line, its
 * connector lines in "connectors"), "[]" when there is none.
 */
void
ctlfmt_relay_json(struct buf *out, enum ctl_cmd cmd, const char *text,
    size_t len)
{
	static const char conn[] = "  connector ";
	const char *p = text, *end = text + len, *nl, *rest;
	struct ctlfmt_toks t;
	size_t n = 0, nconn = 0, l;
	int open = 0;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		l = (size_t)(nl - p);
		if (l == 0) {
			p = nl + 1;
			continue;
		}
		if (cmd == CTL_SHOW_RELAYS && l > sizeof(conn) - 1 &&
		    memcmp(p, conn, sizeof(conn) - 1) == 0) {
			if (open) {
				buf_addstr(out, nconn++ ? "," : "");
				t.p = p + sizeof(conn) - 1;
				t.end = nl;
				buf_addstr(out, "{");
				if (ctlfmt_tok(&t, &rest, &l))
					ctlfmt_source(out, rest, l);
				else
					ctlfmt_source(out, "[]", 2);
				ctlfmt_kvs(out, &t);
				buf_addstr(out, "}");
			}
			p = nl + 1;
			continue;
		}
		if (open)
			buf_addstr(out, "]}");
		open = 0;
		buf_addstr(out, n++ ? ",\n" : "[\n");
		switch (cmd) {
		case CTL_SHOW_ROUTES:
			ctlfmt_route(out, p, l);
			break;
		case CTL_SHOW_HOSTS:
			ctlfmt_host(out, p, l);
			break;
		case CTL_SHOW_HOSTSTATS:
			ctlfmt_hoststat(out, p, l);
			break;
		default:
			/* "[relay:...] k=v ...": the name ends before refcount= */
			rest = p;
			while ((rest = memchr(rest, ' ', (size_t)(nl - rest))) !=
			    NULL && (size_t)(nl - rest) > 10 &&
			    memcmp(rest, " refcount=", 10) != 0)
				rest++;
			if (rest == NULL || (size_t)(nl - rest) <= 10)
				rest = nl;
			buf_addstr(out, "{");
			ctlfmt_jstr(out, "relay", p, (size_t)(rest - p));
			t.p = rest;
			t.end = nl;
			ctlfmt_kvs(out, &t);
			buf_addstr(out, ",");
			ctlfmt_jkey(out, "connectors");
			buf_addstr(out, "[");
			open = 1;
			nconn = 0;
			break;
		}
		p = nl + 1;
	}
	if (open)
		buf_addstr(out, "]}");
	buf_addstr(out, n ? "\n]\n" : "[]\n");
}

/*
 * format_stats.c: smtpctl's output formatters for the daemon's state
 * (format.h): show stats with uptime.human and show status (spec/ctl.md
 * section 6), their -j JSON forms, the texts of simple and queue commands
 * (sections 3 and 7) and monitor's header and rows (section 6.3). Called
 * by ctl/smtpctl.c and ctl/monitor.c. Pure: appends to a struct buf,
 * never writes, never exits, never trusts the daemon's text to be
 * well-formed (a line without '=' is kept as it is).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/format.h"
#include "lib/xmalloc.h"

#define CTLFMT_NUM_MAX		20	/* digits of an int64 */

/* One "key=value" line of show stats, pointing into the daemon's text. */
struct ctlfmt_kv {
	const char	*key;
	size_t		 keylen;
	const char	*val;		/* NULL: the line has no '=' */
	size_t		 vallen;
};

static int	ctlfmt_is_number(const char *, size_t);
static size_t	ctlfmt_kv_split(const char *, size_t, struct ctlfmt_kv **);
static int	ctlfmt_kv_cmp(const void *, const void *);
static int	ctlfmt_kv_is(const struct ctlfmt_kv *, const char *);

/* ------------------------------------------------------------ stats */

/* 2d3h4m5s; zero components omitted; 0s for zero. */
void
ctlfmt_uptime_human(char *out, size_t outsz, int64_t secs)
{
	static const struct {
		int64_t	 unit;
		char	 name;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i, len = 0;
	int n;

	out[0] = '\0';
	if (secs <= 0) {
		snprintf(out, outsz, "0s");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (secs / units[i].unit == 0)
			continue;
		n = snprintf(out + len, outsz - len, "%lld%c",
		    (long long)(secs / units[i].unit), units[i].name);
		if (n < 0 || (size_t)n >= outsz - len)
			return;
		len += (size_t)n;
		secs %= units[i].unit;
	}
}

static int
ctlfmt_is_number(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 0 && s[0] == '-')
		i++;
	if (i == len || len - i > CTLFMT_NUM_MAX - 1)
		return 0;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The non-empty lines of text, split at '='; *kvp to free. */
static size_t
ctlfmt_kv_split(const char *text, size_t len, struct ctlfmt_kv **kvp)
{
	struct ctlfmt_kv *kv = NULL;
	const char *p = text, *end = text + len, *nl, *eq;
	size_t n = 0, cap = 0;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				kv = xreallocarray(kv, cap, sizeof(*kv));
			}
			kv[n].key = p;
			if ((eq = memchr(p, '=', (size_t)(nl - p))) == NULL) {
				kv[n].keylen = (size_t)(nl - p);
				kv[n].val = NULL;
				kv[n].vallen = 0;
			} else {
				kv[n].keylen = (size_t)(eq - p);
				kv[n].val = eq + 1;
				kv[n].vallen = (size_t)(nl - eq - 1);
			}
			n++;
		}
		p = nl + 1;
	}
	*kvp = kv;
	return n;
}

static int
ctlfmt_kv_cmp(const void *a, const void *b)
{
	const struct ctlfmt_kv *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c;

	if ((c = memcmp(x->key, y->key, n)) != 0)
		return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

static int
ctlfmt_kv_is(const struct ctlfmt_kv *kv, const char *key)
{
	return kv->keylen == strlen(key) && memcmp(kv->key, key,
	    kv->keylen) == 0;
}

/*
 * The daemon's key=value lines sorted by key (byte order); after
 * uptime=N comes uptime.human=..., unless the daemon sent one.
 */
void
ctlfmt_stats(struct buf *out, const char *text, size_t len)
{
	struct ctlfmt_kv *kv;
	char human[CTLFMT_HUMAN_MAX], num[CTLFMT_NUM_MAX + 2];
	size_t i, n;
	int has_human = 0;

	n = ctlfmt_kv_split(text, len, &kv);
	if (n > 0)
		qsort(kv, n, sizeof(*kv), ctlfmt_kv_cmp);
	for (i = 0; i < n; i++)
		has_human |= ctlfmt_kv_is(&kv[i], "uptime.human");
	for (i = 0; i < n; i++) {
		buf_add(out, kv[i].key, kv[i].keylen);
		if (kv[i].val != NULL) {
			buf_addstr(out, "=");
			buf_add(out, kv[i].val, kv[i].vallen);
		}
		buf_addstr(out, "\n");
		if (has_human || !ctlfmt_kv_is(&kv[i], "uptime") ||
		    kv[i].val == NULL || !ctlfmt_is_number(kv[i].val,
		    kv[i].vallen))
			continue;
		memcpy(num, kv[i].val, kv[i].vallen);
		num[kv[i].vallen] = '\0';
		ctlfmt_uptime_human(human, sizeof(human),
		    strtoll(num, NULL, 10));
		buf_printf(out, "uptime.human=%s\n", human);
	}
	free(kv);
}

void
ctlfmt_stats_json(struct buf *out, const char *text, size_t len)
{
	struct buf sorted;
	struct ctlfmt_kv *kv;
	size_t i, n;
	int first = 1;

	buf_init(&sorted);
	ctlfmt_stats(&sorted, text, len);	/* sorted, uptime.human */
	n = ctlfmt_kv_split((const char *)buf_head(&sorted),
	    buf_avail(&sorted), &kv);
	buf_addstr(out, "{");
	for (i = 0; i < n; i++) {
		if (!first)
			buf_addstr(out, ",");
		first = 0;
		ctlfmt_json_str(out, kv[i].key, kv[i].keylen);
		buf_addstr(out, ":");
		if (kv[i].val == NULL)
			buf_addstr(out, "null");
		else if (ctlfmt_is_number(kv[i].val, kv[i].vallen))
			buf_add(out, kv[i].val, kv[i].vallen);
		else
			ctlfmt_json_str(out, kv[i].val, kv[i].vallen);
	}
	buf_addstr(out, "}\n");
	free(kv);
	buf_free(&sorted);
}

/* ------------------------------------------------------------ status */

/* The daemon's lines as they are, each ending in a newline. */
void
ctlfmt_status(struct buf *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p) {
			buf_add(out, p, (size_t)(nl - p));
			buf_addstr(out, "\n");
		}
		p = nl + 1;
	}
}

/* "MDA running" lines as {"mda":"running",...}. */
void
ctlfmt_status_json(struct buf *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *sp;
	char key[CTL_TEXT_MAX + 1];
	size_t i, klen;
	int first = 1;

	buf_addstr(out, "{");
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p) {
			if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL)
				sp = nl;
			klen = (size_t)(sp - p);
			if (klen >= sizeof(key))
				klen = sizeof(key) - 1;
			for (i = 0; i < klen; i++)
				key[i] = (p[i] >= 'A' && p[i] <= 'Z') ?
				    (char)(p[i] - 'A' + 'a') : p[i];
			if (!first)
				buf_addstr(out, ",");
			first = 0;
			ctlfmt_json_str(out, key, klen);
			buf_addstr(out, ":");
			ctlfmt_json_str(out, sp < nl ? sp + 1 : sp,
			    sp < nl ? (size_t)(nl - sp - 1) : 0);
		}
		p = nl + 1;
	}
	buf_addstr(out, "}\n");
}

/* ------------------------------------------------------------ commands */

/* "command succeeded", "command failed", "command failed: REASON". */
void
ctlfmt_simple(struct buf *out, int ok, const char *reason)
{
	if (ok)
		buf_addstr(out, "command succeeded\n");
	else if (reason != NULL && reason[0] != '\0')
		buf_printf(out, "command failed: %s\n", reason);
	else
		buf_addstr(out, "command failed\n");
}

/* "N envelope VERB", with an s only when N > 1 (OpenSMTPD's rule). */
void
ctlfmt_count(struct buf *out, uint64_t n, const char *verb)
{
	buf_printf(out, "%llu envelope%s %s\n", (unsigned long long)n,
	    n > 1 ? "s" : "", verb);
}

/* What smtpctl says on stderr for a refusal the daemon sent. */
const char *
ctlfmt_error(enum ctl_status status)
{
	switch (status) {
	case CTL_OK:
		return "command succeeded";
	case CTL_FAIL:
		return "command failed";
	case CTL_DENIED:
		return "permission denied";
	case CTL_UNAVAILABLE:
		return "command not available";
	case CTL_NOTFOUND:
		return "not found";
	}
	return "unexpected reply";
}

/* ------------------------------------------------------------ monitor */

/* The two header lines; every header but the first after an empty line. */
void
ctlfmt_monitor_header(struct buf *out, int first)
{
	if (!first)
		buf_addstr(out, "\n");
	buf_addstr(out,
	    "--- client ---  -- envelope --   ---- relay/delivery --- "
	    "------- misc -------\n"
	    "curr conn disc  curr  enq  deq   ok tmpfail prmfail loop "
	    "expire remove bounce\n");
}

void
ctlfmt_monitor_row(struct buf *out, const size_t c[CTLFMT_MONITOR_COLS])
{
	buf_printf(out, "%4zu %4zu %4zu  %4zu %4zu %4zu %4zu    %4zu    %4zu "
	    "%4zu   %4zu   %4zu   %4zu\n", c[0], c[1], c[2], c[3], c[4], c[5],
	    c[6], c[7], c[8], c[9], c[10], c[11], c[12]);
}

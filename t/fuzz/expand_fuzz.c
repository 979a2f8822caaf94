/*
 * expand_fuzz.c: libFuzzer harness for the expansion of a user's
 * .forward (aliases/expand.c; the contents come from a user, the lookup
 * role reads them from the descriptor the parent passes). The input is
 * the .forward of the system user `daemon`, expanded for
 * <daemon@sys.test> under a fixed configuration (an alias table, a
 * relay action for other domains). Invariants: the run ends (never
 * PENDING: every .forward is known), a failure has a 4xx/5xx reply and
 * no destination, a success has 1..EXPAND_FINAL_MAX destinations, each
 * builds an envelope that envelope_validate() accepts and that survives
 * an encode/decode round trip. :include: files are refused (no I/O).
 * Any broken invariant calls abort(). Built with replay.c, `make check`
 * replays t/fuzz/corpus/expand_fuzz/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases/expand.h"
#include "aliases/localnames.h"
#include "aliases/table.h"
#include "lib/log.h"
#include "queue/envelope.h"
#include "smtpd/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_conf[] =
    "table aliases { \"team\" = \"daemon, bin\", \"list\" = \"team, x@relay.test\" }\n"
    "action \"sys\" mbox alias <aliases>\n"
    "action \"out\" relay\n"
    "match from any for domain \"sys.test\" action \"sys\"\n"
    "match from any for domain \"relay.test\" action \"out\"\n";

static struct rules_ctx	 fuzz_ctx;
static const uint8_t	*fuzz_data;
static size_t		 fuzz_len;

static void	fuzz_init(void);
static void	fuzz_forward(void *, const char *, struct expand_forward *);
static int	fuzz_include(void *, const char *, char **, size_t *);

static void
fuzz_init(void)
{
	static struct config *conf;
	char err[TABLE_ERR_MAX];
	struct tableset *ts;
	FILE *null;

	if (conf != NULL)
		return;
	null = fopen("/dev/null", "w");
	conf = config_parse_buffer("fuzz.conf", fuzz_conf, strlen(fuzz_conf),
	    NULL, CONFIG_NORESOLVE, null != NULL ? null : stderr);
	if (null != NULL)
		fclose(null);
	if (conf == NULL || (ts = tableset_open(conf, err, sizeof(err))) ==
	    NULL)
		abort();
	fuzz_ctx.conf = conf;
	fuzz_ctx.tables = ts;
	fuzz_ctx.localnames = localnames_new(conf, LOCALNAMES_NOIFADDRS);
}

static void
fuzz_forward(void *arg, const char *user, struct expand_forward *fw)
{
	(void)arg;
	if (strcmp(user, "daemon") != 0) {
		fw->status = EXPAND_FWD_NONE;
		return;
	}
	fw->status = EXPAND_FWD_FOUND;
	fw->buf = (const char *)fuzz_data;
	fw->len = fuzz_len;
	fw->owner_root = 0;
}

static int
fuzz_include(void *arg, const char *path, char **bufp, size_t *lenp)
{
	(void)arg;
	(void)path;
	*bufp = NULL;
	*lenp = 0;
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct lka_rcpt_req q;
	struct expand_ops ops;
	struct expand_result res;
	struct envelope ev, back;
	char err[ENVELOPE_ERR_MAX];
	uint8_t *buf;
	size_t i, elen;

	fuzz_init();
	fuzz_data = data;
	fuzz_len = len;
	memset(&q, 0, sizeof(q));
	q.session = 1;
	strlcpy(q.src, "192.0.2.1", sizeof(q.src));
	strlcpy(q.rcpt, "daemon@sys.test", sizeof(q.rcpt));
	strlcpy(q.helo, "fuzz.test", sizeof(q.helo));
	memset(&ops, 0, sizeof(ops));
	ops.forward = fuzz_forward;
	ops.include = fuzz_include;
	expand_run(&fuzz_ctx, &q, &ops, &res);
	switch (res.status) {
	case EXPAND_OK:
		if (res.nfinals == 0 || res.nfinals > EXPAND_FINAL_MAX ||
		    res.reply[0] != '\0')
			abort();
		break;
	case EXPAND_REJECT:
	case EXPAND_TEMPFAIL:
		if (res.nfinals != 0 || res.reply[0] !=
		    (res.status == EXPAND_REJECT ? '5' : '4'))
			abort();
		break;
	default:
		abort();
	}
	for (i = 0; i < res.nfinals; i++) {
		if (expand_envelope(&fuzz_ctx, &q, &res, i, &ev, err,
		    sizeof(err)) == -1) {
			/* only a destination too long for a field may fail */
			if (strstr(err, "too long") == NULL &&
			    strstr(err, "bad") == NULL)
				abort();
			continue;
		}
		if (envelope_encode(&ev, &buf, &elen, err, sizeof(err)) == -1 ||
		    envelope_decode(buf, elen, &back, err, sizeof(err)) == -1 ||
		    !envelope_equal(&ev, &back))
			abort();
		free(buf);
	}
	expand_result_free(&res);
	return 0;
}

/*
 * rules_util.h: the environment the rule and expansion unit tests share
 * (rules_test.c, expand_test.c): a configuration parsed from text with
 * "DIR" standing for the test's scratch directory, its tables loaded,
 * the local names, and the rules context over them.
 */
#ifndef T_UNIT_RULES_UTIL_H
#define T_UNIT_RULES_UTIL_H

struct env {
	struct config		*conf;
	struct tableset		*tables;
	struct localnames	*ln;
	struct rules_ctx	 ctx;
};

/* loopback: 127.0.0.1 and ::1 count as our own addresses. */
static inline void
env_open(struct env *e, const char *tdir, const char *text, int loopback)
{
	char buf[8192], err[TABLE_ERR_MAX];
	const char *p;
	size_t n = 0;

	for (p = text; *p != '\0'; p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			n += strlcpy(buf + n, tdir, sizeof(buf) - n);
			p += 2;
		} else
			buf[n++] = *p;
		assert_true(n < sizeof(buf) - 1);
	}
	buf[n] = '\0';
	memset(e, 0, sizeof(*e));
	e->conf = config_parse_buffer("smtpd.conf", buf, n, NULL,
	    CONFIG_NORESOLVE, stderr);
	assert_non_null(e->conf);
	if ((e->tables = tableset_open(e->conf, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	e->ln = localnames_new(e->conf, LOCALNAMES_NOIFADDRS);
	if (loopback) {
		assert_int_equal(localnames_add_addr(e->ln, "127.0.0.1"), 0);
		assert_int_equal(localnames_add_addr(e->ln, "::1"), 0);
	}
	e->ctx.conf = e->conf;
	e->ctx.tables = e->tables;
	e->ctx.localnames = e->ln;
}

static inline void
env_close(struct env *e)
{
	tableset_free(e->tables);
	localnames_free(e->ln);
	config_free(e->conf);
}

#endif

/*
 * config_util.h: helpers shared by the smtpd.conf parser unit tests
 * (config_test.c, config_listen_test.c, config_rules_test.c): parse a
 * string with errors captured in memory, and assert either success or
 * the exact error text. Header-only; include after <cmocka.h>.
 */
#ifndef T_UNIT_CONFIG_UTIL_H
#define T_UNIT_CONFIG_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/config.h"

#define CFG_NAME	"test.conf"

/* Parse text as "test.conf"; *errs gets every error line (maybe ""). */
static inline struct config *
cfg_parse_defs(const char *text, char *const *defines, int flags,
    char **errs)
{
	struct config *conf;
	size_t len = 0;
	FILE *fp;

	*errs = NULL;
	fp = open_memstream(errs, &len);
	assert_non_null(fp);
	conf = config_parse_buffer(CFG_NAME, text, strlen(text), defines,
	    flags, fp);
	assert_int_equal(fclose(fp), 0);
	return conf;
}

static inline struct config *
cfg_parse(const char *text, int flags, char **errs)
{
	return cfg_parse_defs(text, NULL, flags, errs);
}

/* The text must parse without any error. */
static inline struct config *
cfg_ok_flags(const char *text, int flags)
{
	struct config *conf;
	char *errs;

	conf = cfg_parse(text, flags, &errs);
	if (conf == NULL || errs[0] != '\0')
		fail_msg("unexpected errors for:\n%s\n---\n%s", text, errs);
	free(errs);
	return conf;
}

static inline struct config *
cfg_ok(const char *text)
{
	return cfg_ok_flags(text, CONFIG_NORESOLVE);
}

/* The text must fail with exactly `expected` (all lines, with \n). */
static inline void
cfg_err_flags(const char *text, int flags, const char *expected)
{
	struct config *conf;
	char *errs;

	conf = cfg_parse(text, flags, &errs);
	if (conf != NULL) {
		config_free(conf);
		fail_msg("parsed without error:\n%s", text);
	}
	if (strcmp(errs, expected) != 0)
		fail_msg("for:\n%s\n---\nexpected: %s\ngot:      %s", text,
		    expected, errs);
	free(errs);
}

static inline void
cfg_err(const char *text, const char *expected)
{
	cfg_err_flags(text, CONFIG_NORESOLVE, expected);
}

#endif

/*
 * main.c: smtpd's command line. `smtpd [-dnv] [-D macro=value] [-f file]
 * [-T trace]` parses the configuration and either checks it (-n), starts
 * the parent (parent.c), or - with the internal `-x ROLE` the parent uses
 * when it re-executes itself - runs one role (role.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtpd/config.h"
#include "smtpd/parent.h"
#include "smtpd/proc.h"
#include "smtpd/role.h"

#define DEFINES_MAX	64

static void	usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: smtpd [-dnv] [-D macro=value] [-f file] "
	    "[-P system] [-T trace]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct parent_opts opts;
	struct config *conf;
	char *defines[DEFINES_MAX + 1];
	const char *role = NULL;
	int ch, ndefines = 0, check = 0, id = -1;

	memset(&opts, 0, sizeof(opts));
	opts.conffile = SYSCONFDIR "/smtpd.conf";
	opts.defines = defines;
	while ((ch = getopt(argc, argv, "dD:f:nP:T:vx:")) != -1) {
		switch (ch) {
		case 'd':
			opts.foreground = 1;
			break;
		case 'D':
			if (ndefines == DEFINES_MAX || strchr(optarg, '=') == NULL) {
				fprintf(stderr, "smtpd: invalid -D %s\n", optarg);
				exit(1);
			}
			defines[ndefines++] = optarg;
			break;
		case 'f':
			opts.conffile = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'P':
			if (strcmp(optarg, "mda") == 0)
				opts.paused |= CONFIG_PAUSE_MDA;
			else if (strcmp(optarg, "mta") == 0)
				opts.paused |= CONFIG_PAUSE_MTA;
			else if (strcmp(optarg, "smtp") == 0)
				opts.paused |= CONFIG_PAUSE_SMTP;
			else {
				fprintf(stderr, "smtpd: invalid -P %s (mda, "
				    "mta or smtp)\n", optarg);
				exit(1);
			}
			break;
		case 'T':
			if (log_trace_parse(optarg, &opts.trace) == -1) {
				fprintf(stderr, "smtpd: unknown trace flag in "
				    "\"%s\" (valid: %s)\n", optarg,
				    log_trace_names());
				exit(1);
			}
			opts.tracelist[opts.ntrace++ % PARENT_TRACE_MAX] = optarg;
			break;
		case 'v':
			opts.verbose++;
			break;
		case 'x':
			role = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	defines[ndefines] = NULL;

	if (role && (id = proc_byname(role)) <= 0) {
		fprintf(stderr, "smtpd: unknown role %s\n", role);
		exit(1);
	}
	log_init("smtpd", opts.foreground || check, opts.verbose);
	ipc_set_typename(imsg_name);
	log_settrace(opts.trace);
	if (opts.trace)
		log_setverbose(1);

	conf = config_parse_file(opts.conffile, defines, 0, stderr);
	if (conf == NULL)
		exit(1);
	conf->start_paused = opts.paused;
	if (check) {
		printf("configuration OK\n");
		config_free(conf);
		exit(0);
	}
	if (role)
		role_main(id, conf, opts.foreground);
	parent_main(&opts, conf, argv[0]);
	/* NOTREACHED */
	return 1;
}

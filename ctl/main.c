/*
 * main.c: smtpctl and its personalities (sendmail, send-mail, mailq,
 * makemap, newaliases), chosen by the last component of argv[0]
 * (spec/ctl.md section 1). makemap and newaliases - and sendmail with
 * -bi or -I anywhere in argv, which is newaliases - are ctl/makemap.c's;
 * sendmail and send-mail are ctl/sendmail.c's; smtpctl and mailq (which
 * is `smtpctl show queue`) are ctl/smtpctl.c's.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/makemap.h"
#include "ctl/sendmail.h"
#include "ctl/smtpctl.h"
#include "lib/log.h"

static const char *personalities[] = {
	"smtpctl", "sendmail", "send-mail", "mailq", "makemap", "newaliases",
};

static int	main_newaliases_flag(int, char *[]);

/* sendmail -bi / -I (ctl.md sections 1 and 9): newaliases mode. */
static int
main_newaliases_flag(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-bi") == 0 || strcmp(argv[i], "-I") == 0)
			return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *name, *slash;
	size_t i;

	name = argc > 0 && argv[0] != NULL ? argv[0] : "smtpctl";
	if ((slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	for (i = 0; i < sizeof(personalities) / sizeof(personalities[0]); i++)
		if (strcmp(name, personalities[i]) == 0)
			break;
	if (i == sizeof(personalities) / sizeof(personalities[0])) {
		fprintf(stderr, "smtpctl: unsupported mode\n");
		return 1;
	}
	log_init(name, 1, 0);	/* library warnings go to stderr */
	if (strcmp(name, "makemap") == 0)
		return makemap_main(argc, argv);
	if (strcmp(name, "newaliases") == 0)
		return newaliases_main(argc, argv);
	if ((strcmp(name, "sendmail") == 0 || strcmp(name, "send-mail") == 0) &&
	    main_newaliases_flag(argc, argv))
		return newaliases_compat();
	if (strcmp(name, "sendmail") == 0 || strcmp(name, "send-mail") == 0)
		return sendmail_main(argc, argv);
	if (strcmp(name, "mailq") == 0)
		return smtpctl_mailq();
	return smtpctl_main(argc, argv);
}

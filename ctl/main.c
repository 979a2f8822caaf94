/*
 * main.c: smtpctl and its personalities (sendmail, send-mail, mailq,
 * makemap, newaliases), chosen by the last component of argv[0]
 * (spec/ctl.md §1). The commands arrive with the control work; until then
 * every personality says plainly that it is not available.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const char *personalities[] = {
	"smtpctl", "sendmail", "send-mail", "mailq", "makemap", "newaliases",
};

int
main(int argc, char *argv[])
{
	const char *name, *slash;
	size_t i;

	(void)argc;
	name = argv[0] ? argv[0] : "smtpctl";
	if ((slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	for (i = 0; i < sizeof(personalities) / sizeof(personalities[0]); i++)
		if (strcmp(name, personalities[i]) == 0)
			break;
	if (i == sizeof(personalities) / sizeof(personalities[0])) {
		fprintf(stderr, "smtpctl: unsupported mode\n");
		return 1;
	}
	fprintf(stderr, "%s: command not supported yet\n", name);
	return EX_UNAVAILABLE;
}

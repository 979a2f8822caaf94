/*
 * main.c: the deliver command, the local delivery agent (Maildir, mbox,
 * pipe, LMTP). Not implemented yet: it says so and exits EX_TEMPFAIL, so
 * a caller treats the message as deferred, never as delivered.
 */
#include <stdio.h>
#include <sysexits.h>

int
main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "deliver: local delivery is not implemented yet\n");
	return EX_TEMPFAIL;
}

/*
 * encrypt.c: `smtpctl encrypt [password]` (spec/ctl.md section 8). The
 * argument, or each line of standard input (a terminal: one line read
 * after a "Password: " prompt on stderr with echo off), is hashed with
 * crypto_pwhash_str() at the INTERACTIVE limits (Argon2id) and printed
 * with a newline. Called by ctl/smtpctl.c; unprivileged, never contacts
 * the daemon, never prints or keeps a password longer than it must (the
 * buffers are wiped).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl/encrypt.h"

#define ENCRYPT_PROMPT	"Password: "

_Static_assert(ENCRYPT_HASH_MAX == crypto_pwhash_STRBYTES,
    "ENCRYPT_HASH_MAX is crypto_pwhash_STRBYTES");

static struct termios	encrypt_saved;
static volatile sig_atomic_t encrypt_echo_off;

static void	encrypt_restore(int);
static int	encrypt_one(const char *);
static int	encrypt_tty(void);
static int	encrypt_lines(void);
static void	encrypt_chomp(char *);

/* 0, or -1 after the message of ctl.md. */
int
encrypt_init(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "smtpctl: libsodium initialisation failed\n");
		return -1;
	}
	return 0;
}

/* The hash of pw into out; 0, or -1 (out of memory). */
int
encrypt_hash(const char *pw, char out[ENCRYPT_HASH_MAX])
{
	return crypto_pwhash_str(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

/* Print one hash; 0, or 1 after a message. */
static int
encrypt_one(const char *pw)
{
	char hash[ENCRYPT_HASH_MAX];

	if (pw[0] == '\0') {
		fprintf(stderr, "smtpctl: empty password\n");
		return 1;
	}
	if (encrypt_hash(pw, hash) == -1) {
		fprintf(stderr, "smtpctl: cannot hash the password: out of "
		    "memory\n");
		return 1;
	}
	printf("%s\n", hash);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "smtpctl: stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static void
encrypt_chomp(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
}

/* A signal while echo is off: give the terminal back, then die of it. */
static void
encrypt_restore(int sig)
{
	if (encrypt_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &encrypt_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
encrypt_tty(void)
{
	struct sigaction sa, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct termios noecho;
	char line[ENCRYPT_LINE_MAX];
	int i, rc, got;

	if (tcgetattr(STDIN_FILENO, &encrypt_saved) == -1) {
		fprintf(stderr, "smtpctl: stdin: %s\n", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = encrypt_restore;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	noecho = encrypt_saved;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	/* echo off (dropping what was typed ahead), then the prompt */
	encrypt_echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) == 0;
	fputs(ENCRYPT_PROMPT, stderr);
	fflush(stderr);
	got = fgets(line, sizeof(line), stdin) != NULL;
	if (encrypt_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &encrypt_saved);
	encrypt_echo_off = 0;
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (!got) {
		fprintf(stderr, "smtpctl: empty password\n");
		return 1;
	}
	encrypt_chomp(line);
	rc = encrypt_one(line);
	sodium_memzero(line, sizeof(line));
	return rc;
}

/* Each line of standard input; stops at the first error. */
static int
encrypt_lines(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		encrypt_chomp(line);
		rc = encrypt_one(line);
		sodium_memzero(line, cap);
		if (rc != 0)
			break;
	}
	if (rc == 0 && ferror(stdin)) {
		fprintf(stderr, "smtpctl: stdin: %s\n", strerror(errno));
		rc = 1;
	}
	free(line);
	return rc;
}

/* The command: exit status 0 or 1. */
int
encrypt_main(const char *arg)
{
	if (encrypt_init() == -1)
		return 1;
	if (arg != NULL) {
		/* issue 5: say so, the argument shows in ps(1) */
		if (arg[0] != '\0')
			fprintf(stderr, "smtpctl: warning: a password given "
			    "as an argument is visible to other users (ps)\n");
		return encrypt_one(arg);
	}
	if (isatty(STDIN_FILENO))
		return encrypt_tty();
	return encrypt_lines();
}

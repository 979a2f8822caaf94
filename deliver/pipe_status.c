/*
 * pipe_status.c: the outcome of a |command or mda delivery from how the
 * command ended and what it printed (delivery.md §6): the sysexits table
 * (Postfix codes, OpenSMTPD's temporary set), the enhanced status code
 * override (output starting "4.x.y text" or "5.x.y text", Postfix rule)
 * and the diagnostic: the table text and the last non-empty output line,
 * quoted, control characters escaped (OpenSMTPD rule).
 * Called by pipe.c. Pure: the output is untrusted text from the user's
 * program, copied only through outcome_quote().
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>

#include "deliver/deliver.h"
#include "lib/esc.h"

static const struct {
	int			 code;
	enum outcome_status	 status;
	const char		*esc;
	const char		*text;
} pipe_status_table[] = {
	{ 64, OUTCOME_PERM, "5.3.0", "command line usage error" },
	{ 65, OUTCOME_PERM, "5.6.0", "data format error" },
	{ 66, OUTCOME_PERM, "5.3.0", "cannot open input" },
	{ 67, OUTCOME_PERM, "5.1.1", "user unknown" },
	{ 68, OUTCOME_PERM, "5.1.2", "host name unknown" },
	{ 69, OUTCOME_PERM, "5.3.0", "service unavailable" },
	{ 70, OUTCOME_PERM, "5.3.0", "internal software error" },
	{ 71, OUTCOME_TEMP, "4.3.0", "system resource problem" },
	{ 72, OUTCOME_PERM, "5.3.0", "critical OS file missing" },
	{ 73, OUTCOME_PERM, "5.2.0", "can't create user output file" },
	{ 74, OUTCOME_PERM, "5.3.0", "input/output error" },
	{ 75, OUTCOME_TEMP, "4.3.0", "temporary failure" },
	{ 76, OUTCOME_PERM, "5.5.0", "remote error in protocol" },
	{ 77, OUTCOME_PERM, "5.7.0", "permission denied" },
	{ 78, OUTCOME_PERM, "5.3.5", "local configuration error" },
};

static int	pipe_status_override(struct outcome *, const char *, size_t);
static size_t	pipe_status_lastline(const char *, size_t, size_t *);

/*
 * Output beginning with "4.x.y " or "5.x.y ": that code, and the rest of
 * the first line as the text. Returns 1 if it applied.
 */
static int
pipe_status_override(struct outcome *o, const char *out, size_t len)
{
	char esc[OUTCOME_ESC_SIZE], text[OUTCOME_TEXT_SIZE];
	size_t n, end;

	if ((n = esc_len(out, len)) == 0 || n >= len ||
	    n >= sizeof(esc) || out[n] != ' ' || out[0] == '2')
		return 0;
	memcpy(esc, out, n);
	esc[n] = '\0';
	for (end = n + 1; end < len && out[end] != '\n'; end++)
		;
	if (end > n + 1 && out[end - 1] == '\r')
		end--;
	outcome_quote(text, sizeof(text), out + n + 1, end - n - 1);
	outcome_set(o, out[0] == '4' ? OUTCOME_TEMP : OUTCOME_PERM, esc, "%s",
	    text);
	return 1;
}

/*
 * The last line of out[0..len) with anything but blanks and line ends:
 * its length, *start its offset; 0 if there is none.
 */
static size_t
pipe_status_lastline(const char *out, size_t len, size_t *start)
{
	size_t end = len, s, i;

	while (end > 0) {
		for (s = end; s > 0 && out[s - 1] != '\n'; s--)
			;
		for (i = s; i < end; i++)
			if (out[i] != ' ' && out[i] != '\t' && out[i] != '\r' &&
			    out[i] != '\n')
				break;
		if (i < end) {
			while (end > s && (out[end - 1] == '\n' ||
			    out[end - 1] == '\r'))
				end--;
			*start = s;
			return end - s;
		}
		end = s > 0 ? s - 1 : 0;
	}
	return 0;
}

/*
 * The outcome of a command that ended with wait status wstatus (or ran
 * past its time limit: timedout), having printed out[0..len) (the first
 * PIPE_OUTPUT_MAX bytes of stdout and stderr).
 */
void
pipe_status_outcome(struct outcome *o, int wstatus, int timedout,
    const char *out, size_t len)
{
	char what[64], line[OUTCOME_TEXT_SIZE / 2];
	enum outcome_status status = OUTCOME_PERM;
	const char *esc = "5.3.0";
	size_t i, n, start = 0;
	int code;

	if (timedout) {
		outcome_set(o, OUTCOME_PERM, "5.3.0", "Command time limit "
		    "exceeded");
		return;
	}
	if (WIFSIGNALED(wstatus)) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "Command died with "
		    "signal %d", WTERMSIG(wstatus));
		return;
	}
	if (!WIFEXITED(wstatus)) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "Command ended with "
		    "status %#x", (unsigned)wstatus);
		return;
	}
	if ((code = WEXITSTATUS(wstatus)) == 0) {
		outcome_ok(o);
		return;
	}
	if (pipe_status_override(o, out, len))
		return;

	snprintf(what, sizeof(what), "unknown mail system error %d", code);
	for (i = 0; i < sizeof(pipe_status_table) /
	    sizeof(pipe_status_table[0]); i++)
		if (pipe_status_table[i].code == code) {
			status = pipe_status_table[i].status;
			esc = pipe_status_table[i].esc;
			strlcpy(what, pipe_status_table[i].text, sizeof(what));
			break;
		}
	if ((n = pipe_status_lastline(out, len, &start)) == 0) {
		outcome_set(o, status, esc, "%s", what);
		return;
	}
	outcome_quote(line, sizeof(line), out + start, n);
	outcome_set(o, status, esc, "%s: \"%s\"", what, line);
}

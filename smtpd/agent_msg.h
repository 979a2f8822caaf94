/*
 * agent_msg.h: the channel between the parent and a `deliver -A` agent
 * (smtpd/parent_agent.c; the agent reads it on descriptor 3), one
 * SOCK_SEQPACKET datagram per message:
 *
 *   request  parent -> agent: deliver's argv as NUL-terminated strings
 *            (at most AGENT_ARGV_MAX, the first "deliver"), exactly the
 *            command line of a one-shot deliver, with the message file
 *            as the one descriptor (SCM_RIGHTS, lib/fdpass.h)
 *   reply    agent -> parent: int32_t exit code (sysexits, host byte
 *            order), then the first line of deliver's stderr, not
 *            NUL-terminated, at most AGENT_TEXT_MAX - 1 bytes, maybe empty
 *
 * An agent serves one request at a time, exits 0 at EOF, and answers
 * AGENT_REFUSED, then exits with it, to a request it does not serve.
 * Pure functions; no I/O.
 */
#ifndef SMTPD_AGENT_MSG_H
#define SMTPD_AGENT_MSG_H

#include <stddef.h>
#include <sys/types.h>

#define AGENT_ARGV_MAX	24		/* strings in a request */
#define AGENT_REQ_MAX	16384		/* a request datagram */
#define AGENT_TEXT_MAX	1024		/* reply text, with our NUL */
#define AGENT_CODE_LEN	4		/* the reply's int32_t */
#define AGENT_REPLY_MAX	(AGENT_CODE_LEN + AGENT_TEXT_MAX - 1)
#define AGENT_REFUSED	76		/* EX_PROTOCOL */

/* argv (NULL-terminated) as a request; its length, or -1 if invalid. */
ssize_t	agent_msg_request(char *const [], char *, size_t);
/*
 * A request read into buf (len bytes) as argv pointing into buf, NULL
 * after the last; the count, or -1 if malformed.
 */
int	agent_msg_request_parse(char *, size_t, char *[AGENT_ARGV_MAX + 1]);
/* A reply of code and the first line of text; its length. */
size_t	agent_msg_reply(int, const char *, char *, size_t);
/*
 * A reply read into buf: the code and the text up to its first newline
 * or NUL (cut to textsize - 1 bytes); -1 if shorter than the code.
 */
int	agent_msg_reply_parse(const char *, size_t, int *, char *, size_t);

#endif

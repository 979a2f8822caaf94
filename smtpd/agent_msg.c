/*
 * agent_msg.c: requests and replies of the deliver agents' channel
 * (agent_msg.h). Used by smtpd/parent_agent.c and by the agent; the
 * lengths come from the datagram, so a NUL or newline inside a field
 * cannot forge another.
 */
#include <stdint.h>
#include <string.h>

#include "smtpd/agent_msg.h"

ssize_t
agent_msg_request(char *const argv[], char *buf, size_t size)
{
	size_t len = 0, n;
	int i;

	if (argv[0] == NULL || strcmp(argv[0], "deliver") != 0)
		return -1;
	for (i = 0; argv[i] != NULL; i++) {
		if (i == AGENT_ARGV_MAX)
			return -1;
		n = strlen(argv[i]) + 1;
		if (n > size - len)
			return -1;
		memcpy(buf + len, argv[i], n);
		len += n;
	}
	return (ssize_t)len;
}

int
agent_msg_request_parse(char *buf, size_t len, char *argv[AGENT_ARGV_MAX + 1])
{
	size_t off = 0, n;
	int argc = 0;

	if (len == 0 || buf[len - 1] != '\0')
		return -1;
	while (off < len) {
		if (argc == AGENT_ARGV_MAX)
			return -1;
		argv[argc++] = buf + off;
		n = strlen(buf + off) + 1;
		off += n;
	}
	argv[argc] = NULL;
	if (strcmp(argv[0], "deliver") != 0)
		return -1;
	return argc;
}

size_t
agent_msg_reply(int code, const char *text, char *buf, size_t size)
{
	int32_t c = code;
	size_t n;

	if (size < AGENT_CODE_LEN)
		return 0;
	memcpy(buf, &c, AGENT_CODE_LEN);
	n = strcspn(text, "\n");
	if (n > AGENT_TEXT_MAX - 1)
		n = AGENT_TEXT_MAX - 1;
	if (n > size - AGENT_CODE_LEN)
		n = size - AGENT_CODE_LEN;
	memcpy(buf + AGENT_CODE_LEN, text, n);
	return AGENT_CODE_LEN + n;
}

int
agent_msg_reply_parse(const char *buf, size_t len, int *code, char *text,
    size_t textsize)
{
	int32_t c;
	size_t n;

	if (len < AGENT_CODE_LEN || textsize == 0)
		return -1;
	memcpy(&c, buf, AGENT_CODE_LEN);
	*code = c;
	buf += AGENT_CODE_LEN;
	len -= AGENT_CODE_LEN;
	for (n = 0; n < len && n < textsize - 1; n++)
		if (buf[n] == '\n' || buf[n] == '\0')
			break;
	memcpy(text, buf, n);
	text[n] = '\0';
	return 0;
}

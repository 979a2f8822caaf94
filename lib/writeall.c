/*
 * writeall.c: write a whole buffer to a blocking descriptor, going on
 * after short writes and EINTR. For the command-line programs (sendmail's
 * session and offline file); the daemon's event loops never block on a
 * write and do not use it.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/writeall.h"

/* 0 when every byte was written, -1 with errno. */
int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

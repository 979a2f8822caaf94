/*
 * expand_io.c: what crosses the edges of the expansion (expand*.c): the
 * contents of :include: files and of the .forward descriptor the parent
 * passes come in, one envelope per final destination goes out. Called by
 * the lookup role. Reads only world-readable regular files, never follows
 * a symlink, never reads more than the spec's limits.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "aliases/aliasfmt.h"
#include "aliases/expand.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define EXPAND_COPY(dst, src) do {					\
	if (strlcpy((dst), (src), sizeof(dst)) >= sizeof(dst)) {	\
		snprintf(err, errsz, "%s too long", #dst);		\
		return -1;						\
	}								\
} while (0)

int
expand_envelope(const struct rules_ctx *ctx, const struct lka_rcpt_req *req,
    const struct expand_result *res, size_t i, struct envelope *e,
    char *err, size_t errsz)
{
	const struct expand_final *f;

	if (res->status != EXPAND_OK || i >= res->nfinals) {
		snprintf(err, errsz, "no such destination");
		return -1;
	}
	f = &res->finals[i];
	if (recipient_envelope(ctx, req, &res->decision, e, err, errsz) == -1)
		return -1;
	e->type = f->type;
	EXPAND_COPY(e->dispatcher, f->action->name);
	EXPAND_COPY(e->dest, f->dest);
	e->mda_user[0] = e->mda_subaddress[0] = e->mda_exec[0] = '\0';
	e->mda_method = ENVELOPE_MDA_ACTION;
	if (f->type == ENVELOPE_MDA) {
		EXPAND_COPY(e->mda_user, f->user);
		EXPAND_COPY(e->mda_subaddress, f->subaddress);
		EXPAND_COPY(e->mda_exec, f->exec);
		e->mda_method = f->method;
	}
	e->ttl = f->action->ttl != 0 ? f->action->ttl : ctx->conf->queue_ttl;
	return envelope_validate(e, err, errsz);
}

#undef EXPAND_COPY

int
expand_include_file(void *arg, const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	ssize_t n = 0;
	size_t len = 0;
	char *buf;
	int fd;

	(void)arg;
	*bufp = NULL;
	*lenp = 0;
	if (path[0] != '/' || (fd = open(path, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_warn("lookup event=include path=%s result=TempFail", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & S_IROTH) || st.st_size > EXPAND_INCLUDE_SIZE) {
		log_warnx("lookup event=include path=%s error=\"not a "
		    "world-readable regular file of at most %d bytes\" "
		    "result=TempFail", path, EXPAND_INCLUDE_SIZE);
		close(fd);
		return -1;
	}
	buf = xmalloc(EXPAND_INCLUDE_SIZE + 1);
	while (len <= EXPAND_INCLUDE_SIZE) {
		n = read(fd, buf + len, EXPAND_INCLUDE_SIZE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (n == -1 || len > EXPAND_INCLUDE_SIZE) {
		log_warnx("lookup event=include path=%s error=\"read\" "
		    "result=TempFail", path);
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
expand_read_forward(int fd, char *buf, size_t bufsz, size_t *lenp)
{
	size_t len = 0;
	ssize_t n;

	*lenp = 0;
	for (;;) {
		if (len >= bufsz || len >= EXPAND_FORWARD_SIZE)
			return -1;
		n = read(fd, buf + len, bufsz - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*lenp = len;
	return 0;
}

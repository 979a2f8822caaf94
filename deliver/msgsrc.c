/*
 * msgsrc.c: the message as deliver reads it, and the passes over it.
 *
 * Size hint (delivery.md §2.3): the Maildir name carries the exact final
 * size, so the converted message is measured before it is written. The
 * input is made re-readable instead of held in memory:
 *   - a regular file (the queue's message descriptor, or `< file`) is
 *     read in place with pread: no copy, no memory;
 *   - anything else (a pipe from another MTA) is read into memory up to
 *     MSGSRC_MEM_MAX (1 MiB, most mail); a larger message goes on into an
 *     unlinked spill file (O_TMPFILE, else mkstemp + unlink) in the
 *     directory the caller names: the Maildir's tmp/ (same file system
 *     and quota as the delivery), or /tmp for mbox and pipes.
 * Memory stays bounded by 1 MiB plus two 64 KiB chunks whatever the size.
 * Each pass (loop check, measure, write) streams through convert.c.
 *
 * Called by maildir.c, mbox.c, pipe.c and main.c after privileges are
 * dropped: it must never run as root (it reads the message).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver/deliver.h"

#define MSGSRC_SPILL_NAME	"/.deliver-spill.XXXXXX"

static int	msgsrc_spill_open(const char *);
static ssize_t	msgsrc_read_full(int, uint8_t *, size_t);

/* A read error on the message: always temporary. */
void
msgsrc_readerr(struct outcome *o, int err)
{
	outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot read the message: %s",
	    strerror(err));
}

/* read() until len bytes or end of input; -1 on error. */
static ssize_t
msgsrc_read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Writes all of p; -1 with errno on error (a zero write is EIO). */
int
msgsrc_write(int fd, const void *p, size_t len)
{
	const uint8_t *q = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, q, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

/* An anonymous read-write file in dir; -1 with errno set. */
static int
msgsrc_spill_open(const char *dir)
{
	char path[4096];
	int fd, save;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL && errno != ENOENT))
		return fd;
	if (snprintf(path, sizeof(path), "%s%s", dir, MSGSRC_SPILL_NAME) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return -1;
	if (unlink(path) == -1) {
		save = errno;
		close(fd);
		errno = save;
		return -1;
	}
	return fd;
}

/*
 * Makes the message on descriptor in re-readable (see above). spilldir
 * is where a large piped message goes. -1 with a temporary outcome on
 * any error: the input is never half-read into a delivery.
 */
int
msgsrc_load(struct msgsrc *m, int in, const char *spilldir, struct outcome *o)
{
	struct stat st;
	uint8_t *p;
	ssize_t n;
	off_t off;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (fstat(in, &st) == -1) {
		msgsrc_readerr(o, errno);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		if ((off = lseek(in, 0, SEEK_CUR)) == -1) {
			msgsrc_readerr(o, errno);
			return -1;
		}
		m->fd = in;
		m->base = off;
		m->size = st.st_size > off ? st.st_size - off : 0;
		return 0;
	}

	if ((m->mem = malloc(MSGSRC_MEM_MAX)) == NULL) {
		outcome_set(o, OUTCOME_TEMP, "4.3.0", "out of memory");
		return -1;
	}
	if ((n = msgsrc_read_full(in, m->mem, MSGSRC_MEM_MAX)) == -1)
		goto readerr;
	m->size = n;
	if (n < MSGSRC_MEM_MAX)
		return 0;

	/* Larger than the memory bound: all of it into a spill file. */
	if ((m->fd = msgsrc_spill_open(spilldir)) == -1)
		goto spillerr;
	m->own = 1;
	p = m->mem;
	do {
		if (msgsrc_write(m->fd, p, (size_t)n) == -1)
			goto spillerr;
		if ((n = msgsrc_read_full(in, p, MSGSRC_MEM_MAX)) == -1)
			goto readerr;
		m->size += n;
	} while (n > 0);
	free(m->mem);
	m->mem = NULL;
	return 0;

 readerr:
	msgsrc_readerr(o, errno);
	msgsrc_free(m);
	return -1;
 spillerr:
	outcome_set(o, OUTCOME_TEMP, "4.3.0", "cannot buffer the message in "
	    "%s: %s", spilldir, strerror(errno));
	msgsrc_free(m);
	return -1;
}

void
msgsrc_free(struct msgsrc *m)
{
	if (m->own && m->fd != -1)
		close(m->fd);
	free(m->mem);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

/* Raw message bytes at off; 0 at the end, -1 on a read error. */
ssize_t
msgsrc_pread(struct msgsrc *m, void *buf, size_t len, off_t off)
{
	ssize_t n;

	if (off >= m->size)
		return 0;
	if ((off_t)len > m->size - off)
		len = (size_t)(m->size - off);
	if (m->fd == -1) {
		memcpy(buf, m->mem + off, len);
		return (ssize_t)len;
	}
	do
		n = pread(m->fd, buf, len, m->base + off);
	while (n == -1 && errno == EINTR);
	return n;
}

/* A new pass over the converted message (flags: CONVERT_*). */
void
msgsrc_reader(struct msgread *r, struct msgsrc *m, int flags)
{
	r->src = m;
	r->off = 0;
	r->inpos = r->inlen = 0;
	r->eof = 0;
	convert_init(&r->conv, flags);
}

/*
 * The next converted bytes, at most cap (> 0); 0 at the end, -1 on a
 * read error (errno set).
 */
ssize_t
msgsrc_next(struct msgread *r, uint8_t *out, size_t cap)
{
	size_t used, n;
	ssize_t got;

	while (!r->conv.done) {
		if (r->inpos == r->inlen && !r->eof) {
			got = msgsrc_pread(r->src, r->in, sizeof(r->in),
			    r->off);
			if (got == -1)
				return -1;
			r->off += got;
			r->inpos = 0;
			r->inlen = (size_t)got;
			r->eof = got == 0;
		}
		n = convert_run(&r->conv, r->in + r->inpos, r->inlen - r->inpos,
		    &used, out, cap, r->eof);
		r->inpos += used;
		if (n > 0)
			return (ssize_t)n;
	}
	return 0;
}

/* The converted size (flags: CONVERT_*), without the trace fields. */
int
msgsrc_measure(struct msgsrc *m, int flags, uint64_t *size,
    struct outcome *o)
{
	struct msgread r;
	uint8_t buf[MSGSRC_CHUNK];
	ssize_t n;

	*size = 0;
	msgsrc_reader(&r, m, flags);
	while ((n = msgsrc_next(&r, buf, sizeof(buf))) > 0)
		*size += (uint64_t)n;
	if (n == -1) {
		msgsrc_readerr(o, errno);
		return -1;
	}
	return 0;
}

/*
 * Writes head (may be NULL) then the converted message to fd; *written
 * counts the bytes. -1 with the outcome set on a read or write error
 * (write errors mapped by §2.4); what names the destination.
 */
int
msgsrc_copy(struct msgsrc *m, int flags, const struct buf *head, int fd,
    uint64_t *written, const char *what, struct outcome *o)
{
	struct msgread r;
	uint8_t buf[MSGSRC_CHUNK];
	ssize_t n;

	*written = 0;
	if (head != NULL && buf_avail(head) > 0) {
		if (msgsrc_write(fd, buf_head(head), buf_avail(head)) == -1)
			goto writeerr;
		*written += buf_avail(head);
	}
	msgsrc_reader(&r, m, flags);
	while ((n = msgsrc_next(&r, buf, sizeof(buf))) > 0) {
		if (msgsrc_write(fd, buf, (size_t)n) == -1)
			goto writeerr;
		*written += (uint64_t)n;
	}
	if (n == -1) {
		msgsrc_readerr(o, errno);
		return -1;
	}
	return 0;

 writeerr:
	outcome_errno(o, errno, "write %s", what);
	return -1;
}

/*
 * The Delivered-To loop check of §4 over the raw header section. -1 with
 * a permanent 5.4.6 outcome on a loop, or a temporary one on a read error.
 */
int
msgsrc_loop(struct msgsrc *m, const char *final, struct outcome *o)
{
	struct headers_loop h;
	uint8_t buf[MSGSRC_CHUNK];
	off_t off = 0;
	ssize_t n;

	headers_loop_init(&h, final);
	while ((n = msgsrc_pread(m, buf, sizeof(buf), off)) > 0) {
		off += n;
		if (headers_loop_feed(&h, buf, (size_t)n))
			break;
	}
	if (n == -1) {
		msgsrc_readerr(o, errno);
		return -1;
	}
	if (headers_loop_end(&h)) {
		outcome_set(o, OUTCOME_PERM, "5.4.6", "mail forwarding loop "
		    "for %s", final);
		return -1;
	}
	return 0;
}

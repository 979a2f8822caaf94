/*
 * sendmail_offline.c: submissions made while smtpd is down (spec/ctl.md
 * section 9, design.md "Spool"). sendmail writes the message it would
 * have submitted to SPOOL/offline/ (mode 1777) as a file of the caller,
 * mode 0600; at start the parent (smtpd/parent_offline.c) runs
 * `sendmail -bO SOCKET` as the file's owner with the file on stdin, and
 * removes the file when that exits 0.
 *
 * File: a 4-byte big-endian length, then that many bytes of a record
 * stream (lib/record.h, schema "offline") with the envelope - sender,
 * recipients, DSN and BODY parameters, submission time, message size -
 * then the message itself: CRLF lines, headers already completed, not
 * dot-stuffed. Written under a name starting with "." and renamed when
 * complete and fsynced, so the parent never sees half a file. The file
 * is the caller's own data read back by the caller's own process: every
 * field is checked again on reading, as if given on the command line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/sendmail.h"
#include "lib/writeall.h"
#include "lib/record.h"

#define OFFLINE_MAGIC		0x534d4f46	/* "SMOF" */
#define OFFLINE_VERSION		1
#define OFFLINE_NAME_MAX	64
#define OFFLINE_READ_CHUNK	65536

enum {
	OFR_SENDER = 0x02, OFR_RCPT = 0x03, OFR_NOTIFY = 0x04, OFR_RET = 0x05,
	OFR_ENVID = 0x06, OFR_BODY = 0x07, OFR_CTIME = 0x08, OFR_SIZE = 0x09,
};

static const struct record_field offline_fields[] = {
	{ OFR_SENDER, RECORD_STR, RECORD_REQUIRED, ADDR_MAILBOX_SIZE,
	    "sender" },
	{ OFR_RCPT, RECORD_STR, RECORD_REQUIRED | RECORD_REPEAT,
	    ADDR_MAILBOX_SIZE, "rcpt" },
	{ OFR_NOTIFY, RECORD_STR, 0, SM_NOTIFY_MAX, "notify" },
	{ OFR_RET, RECORD_STR, 0, SM_RET_MAX, "ret" },
	{ OFR_ENVID, RECORD_STR, 0, SM_ENVID_MAX, "envid" },
	{ OFR_BODY, RECORD_STR, 0, SM_BODY_MAX, "body" },
	{ OFR_CTIME, RECORD_U64, 0, 0, "ctime" },
	{ OFR_SIZE, RECORD_U64, RECORD_REQUIRED, 0, "size" },
};

static const struct record_schema offline_schema = {
	"offline", OFFLINE_MAGIC, OFFLINE_VERSION, OFFLINE_VERSION,
	RECORD_STREAM_MAX, offline_fields,
	sizeof(offline_fields) / sizeof(offline_fields[0]),
};

static int	offline_encode(const struct sm_env *, size_t, uint8_t **,
		    size_t *);
static int	offline_decode(const uint8_t *, size_t, struct sm_env *,
		    size_t *);
static int	offline_check(struct sm_env *);
static int	offline_read_all(int, struct buf *);

static int
offline_encode(const struct sm_env *env, size_t msglen, uint8_t **out,
    size_t *outlen)
{
	struct record_writer w;
	size_t i;

	record_writer_init(&w, &offline_schema);
	record_put_str(&w, OFR_SENDER, env->sender);
	for (i = 0; i < env->rcpts.n; i++)
		record_put_str(&w, OFR_RCPT, env->rcpts.v[i]);
	if (env->notify[0])
		record_put_str(&w, OFR_NOTIFY, env->notify);
	if (env->ret[0])
		record_put_str(&w, OFR_RET, env->ret);
	if (env->envid[0])
		record_put_str(&w, OFR_ENVID, env->envid);
	if (env->body[0])
		record_put_str(&w, OFR_BODY, env->body);
	record_put_u64(&w, OFR_CTIME, (uint64_t)env->ctime);
	record_put_u64(&w, OFR_SIZE, (uint64_t)msglen);
	if (record_finish(&w, out, outlen) == -1) {
		fprintf(stderr, "sendmail: cannot save the envelope: %s\n",
		    record_writer_error(&w));
		return -1;
	}
	return 0;
}

/* The envelope of a file's record stream; *size: the message's. */
static int
offline_decode(const uint8_t *p, size_t len, struct sm_env *env,
    size_t *size)
{
	struct record_reader rd;
	struct record rec;
	char addr[ADDR_MAILBOX_SIZE];
	uint64_t v = 0;
	int r;

	memset(env, 0, sizeof(*env));
	record_reader_init(&rd, &offline_schema, p, len);
	while ((r = record_next(&rd, &rec)) == 1) {
		switch (rec.type) {
		case OFR_SENDER:
			r = record_get_str(&rd, &rec, env->sender,
			    sizeof(env->sender));
			break;
		case OFR_RCPT:
			if ((r = record_get_str(&rd, &rec, addr,
			    sizeof(addr))) == 0)
				sm_list_add(&env->rcpts, addr);
			break;
		case OFR_NOTIFY:
			r = record_get_str(&rd, &rec, env->notify,
			    sizeof(env->notify));
			break;
		case OFR_RET:
			r = record_get_str(&rd, &rec, env->ret,
			    sizeof(env->ret));
			break;
		case OFR_ENVID:
			r = record_get_str(&rd, &rec, env->envid,
			    sizeof(env->envid));
			break;
		case OFR_BODY:
			r = record_get_str(&rd, &rec, env->body,
			    sizeof(env->body));
			break;
		case OFR_CTIME:
			r = record_get_u64(&rd, &rec, &v);
			env->ctime = (time_t)v;
			break;
		case OFR_SIZE:
			r = record_get_u64(&rd, &rec, &v);
			*size = (size_t)v;
			break;
		}
		if (r == -1)
			break;
	}
	if (r != 0) {
		fprintf(stderr, "sendmail: corrupt offline file: %s\n",
		    record_reader_error(&rd));
		return -1;
	}
	return 0;
}

/* Every field as if it came from the command line. */
static int
offline_check(struct sm_env *env)
{
	char tmp[ADDR_MAILBOX_SIZE], param[SM_ENVID_MAX + 1];
	size_t i;

	if (env->sender[0] != '\0' && (sm_addr_qualify(env->sender, "", 0,
	    tmp, sizeof(tmp)) != 0 || strcmp(tmp, env->sender) != 0))
		return -1;
	for (i = 0; i < env->rcpts.n; i++)
		if (sm_addr_qualify(env->rcpts.v[i], "", 0, tmp,
		    sizeof(tmp)) != 0 || strcmp(tmp, env->rcpts.v[i]) != 0)
			return -1;
	if ((env->notify[0] && (sm_notify_parse(env->notify, param,
	    sizeof(param)) == -1 || strcmp(param, env->notify) != 0)) ||
	    (env->ret[0] && sm_ret_parse(env->ret, param,
	    sizeof(param)) == -1) ||
	    (env->body[0] && sm_body_parse(env->body, param,
	    sizeof(param)) == -1) ||
	    (env->envid[0] && sm_xtext(env->envid, param,
	    sizeof(param)) == -1))
		return -1;
	return 0;
}


int
sm_offline_write(const char *spool, const struct sm_env *env,
    const struct buf *msg, int verbose)
{
	char dir[4096], tmp[OFFLINE_NAME_MAX], name[OFFLINE_NAME_MAX];
	uint8_t *stream = NULL, hdr[4];
	size_t len;
	uint32_t rnd = arc4random();
	int dfd = -1, fd = -1, rc = SM_EX_TEMPFAIL;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/offline", spool) >=
	    sizeof(dir)) {
		fprintf(stderr, "sendmail: %s/offline: name too long\n", spool);
		return SM_EX_TEMPFAIL;
	}
	snprintf(tmp, sizeof(tmp), ".tmp-%lld-%08x", (long long)env->ctime,
	    rnd);
	snprintf(name, sizeof(name), "%lld-%08x", (long long)env->ctime, rnd);
	if (offline_encode(env, buf_avail(msg), &stream, &len) == -1)
		return SM_EX_TEMPFAIL;
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail;
	if (fchmod(fd, 0600) == -1 || write_all(fd, hdr, sizeof(hdr)) == -1 ||
	    write_all(fd, stream, len) == -1 ||
	    write_all(fd, buf_head(msg), buf_avail(msg)) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) == -1)
		goto fail_unlink;
	if (fsync(dfd) == -1 && errno != EINVAL)
		goto fail;
	if (verbose)
		fprintf(stderr, "sendmail: smtpd is not running: message saved "
		    "as %s/%s, submitted when smtpd starts\n", dir, name);
	rc = SM_EX_OK;
	goto done;
 fail_unlink:
	fprintf(stderr, "sendmail: cannot save the message in %s: %s\n", dir,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	fd = -1;
	unlinkat(dfd, tmp, 0);
	goto done;
 fail:
	fprintf(stderr, "sendmail: cannot save the message in %s: %s\n", dir,
	    strerror(errno));
 done:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	free(stream);
	return rc;
}

static int
offline_read_all(int fd, struct buf *b)
{
	ssize_t n;

	for (;;) {
		buf_reserve(b, OFFLINE_READ_CHUNK);
		n = read(fd, b->data + b->len, OFFLINE_READ_CHUNK);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		b->len += (size_t)n;
	}
}

/*
 * sendmail -bO SOCKET: submit the offline file on stdin. 0 when smtpd
 * accepted it (the parent then removes the file), 65 if the file is not
 * one of ours (kept aside), 69 if smtpd refused it for good, 75 to try
 * again at the next start.
 */
int
sm_offline_submit(const char *sockpath, int verbose)
{
	struct sm_env env;
	struct buf in, msg;
	const uint8_t *p;
	size_t len, slen, size = 0;
	int fd, rc = 65;

	memset(&env, 0, sizeof(env));
	buf_init(&in);
	buf_init(&msg);
	if (offline_read_all(STDIN_FILENO, &in) == -1) {
		fprintf(stderr, "sendmail: offline file: %s\n",
		    strerror(errno));
		rc = SM_EX_TEMPFAIL;
		goto done;
	}
	p = buf_head(&in);
	len = buf_avail(&in);
	if (len < 4 || (slen = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
	    (size_t)p[2] << 8 | p[3]) > len - 4) {
		fprintf(stderr, "sendmail: corrupt offline file: too short\n");
		goto done;
	}
	if (offline_decode(p + 4, slen, &env, &size) == -1)
		goto done;
	if (size != len - 4 - slen || offline_check(&env) == -1) {
		fprintf(stderr, "sendmail: corrupt offline file: bad %s\n",
		    size != len - 4 - slen ? "size" : "envelope");
		goto done;
	}
	buf_add(&msg, p + 4 + slen, size);
	switch ((rc = sm_ctl_session(sockpath, &fd))) {
	case SM_OFFLINE:
		fprintf(stderr, "sendmail: smtpd doesn't seem to be running\n");
		rc = SM_EX_TEMPFAIL;
		goto done;
	case SM_EX_OK:
		break;
	default:
		goto done;
	}
	rc = sm_smtp_submit(fd, &env, &msg, verbose);
	close(fd);
 done:
	sm_list_free(&env.rcpts);
	buf_free(&in);
	buf_free(&msg);
	return rc;
}

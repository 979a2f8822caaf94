/*
 * ctl_client_test.c: unit tests for ctl/client.c over a socketpair,
 * without a daemon: request frames as the daemon reads them, reply frames
 * read back one by one (with a descriptor riding on one), client_text()
 * gathering lines and stopping at a refusal, and what is refused: a zero
 * or over-long length, a stream that does not decode, the peer closing
 * half-way, silence past the timeout. Also: nothing listening is
 * CLIENT_DOWN, and the configuration gives the socket and the spool.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/client.h"
#include "lib/fdpass.h"

struct pair {
	struct client	cl;
	int		peer;	/* the daemon's end */
};

static int
setup(void **state)
{
	struct pair *p;
	int sv[2];

	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->cl.fd = sv[0];
	p->cl.timeout_ms = 2000;
	p->peer = sv[1];
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	client_close(&p->cl);
	if (p->peer != -1)
		close(p->peer);
	free(p);
	return 0;
}

static void
put_raw(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void
put_len(int fd, uint32_t len)
{
	uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };

	put_raw(fd, hdr, sizeof(hdr));
}

/* One reply frame as the control role writes it. */
static void
put_reply(int fd, enum ctl_status status, int last, uint64_t count,
    const char *text, const char *data)
{
	struct ctl_reply rep;
	uint8_t *buf;
	size_t len;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.status = status;
	rep.last = last;
	rep.count = count;
	rep.delay = -5;
	snprintf(rep.text, sizeof(rep.text), "%s", text);
	if (data != NULL) {
		rep.data = (const uint8_t *)data;
		rep.datalen = strlen(data);
	}
	assert_int_equal(ctl_reply_encode(&rep, &buf, &len), 0);
	put_len(fd, (uint32_t)len);
	put_raw(fd, buf, len);
	free(buf);
}

static void
test_send(void **state)
{
	struct pair *p = *state;
	struct ctl_request req, got;
	uint8_t hdr[4], buf[CTL_FRAME_MAX];
	size_t len;

	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.cmd = CTL_REMOVE;
	req.idkind = CTL_ID_EVPID;
	req.id = 0x1a2b3c4d9e8f7a6bULL;
	assert_int_equal(client_send(&p->cl, &req), CLIENT_OK);
	assert_int_equal(read(p->peer, hdr, 4), 4);
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | hdr[2] << 8 |
	    hdr[3];
	assert_true(len > 0 && len <= CTL_FRAME_MAX);
	assert_int_equal(read(p->peer, buf, len), (ssize_t)len);
	assert_int_equal(ctl_request_decode(buf, len, &got), 0);
	assert_int_equal(got.cmd, CTL_REMOVE);
	assert_int_equal(got.idkind, CTL_ID_EVPID);
	assert_true(got.id == req.id);
}

static void
test_recv(void **state)
{
	struct pair *p = *state;
	struct ctl_reply rep;
	int fd;

	put_reply(p->peer, CTL_OK, 0, 0, "", "message bytes\r\n");
	put_reply(p->peer, CTL_OK, 1, 3, "done", NULL);
	assert_int_equal(client_recv(&p->cl, &rep, &fd), CLIENT_OK);
	assert_int_equal(fd, -1);
	assert_false(rep.last);
	assert_int_equal(rep.datalen, 15);
	assert_memory_equal(rep.data, "message bytes\r\n", 15);
	assert_true(rep.delay == -5);
	assert_int_equal(client_recv(&p->cl, &rep, NULL), CLIENT_OK);
	assert_true(rep.last);
	assert_true(rep.count == 3);
	assert_string_equal(rep.text, "done");
	assert_int_equal(rep.datalen, 0);
}

/* A descriptor on the frame's first byte, as CTL_SMTP_SESSION sends it. */
static void
test_recv_fd(void **state)
{
	struct pair *p = *state;
	struct ctl_reply rep;
	struct stat a, b;
	uint8_t *buf, *frame;
	size_t len;
	int fd = -1, passed;

	memset(&rep, 0, sizeof(rep));
	rep.version = CTL_PROTO_VERSION;
	rep.last = 1;
	assert_int_equal(ctl_reply_encode(&rep, &buf, &len), 0);
	frame = malloc(len + 4);
	assert_non_null(frame);
	frame[0] = len >> 24;
	frame[1] = len >> 16;
	frame[2] = len >> 8;
	frame[3] = len;
	memcpy(frame + 4, buf, len);
	passed = open("/dev/null", O_RDONLY);
	/* the daemon's side: the whole frame and the descriptor at once */
	assert_int_equal(fdpass_send(p->peer, frame, len + 4, passed), 0);
	assert_int_equal(client_recv(&p->cl, &rep, &fd), CLIENT_OK);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(passed, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fd);
	close(passed);
	free(frame);
	free(buf);
}

static void
test_text(void **state)
{
	struct pair *p = *state;
	struct ctl_request req;
	struct ctl_reply last;
	struct buf out;

	memset(&req, 0, sizeof(req));
	req.version = CTL_PROTO_VERSION;
	req.cmd = CTL_SHOW_STATS;
	put_reply(p->peer, CTL_OK, 0, 0, "a=1", NULL);
	put_reply(p->peer, CTL_OK, 0, 0, "b=2", "c=3\n");
	put_reply(p->peer, CTL_OK, 1, 0, "", NULL);
	buf_init(&out);
	assert_int_equal(client_text(&p->cl, &req, &out, &last), CLIENT_OK);
	assert_int_equal(last.status, CTL_OK);
	assert_true(last.last);
	assert_int_equal(buf_avail(&out), 12);
	assert_memory_equal(buf_head(&out), "a=1\nb=2\nc=3\n", 12);

	/* a refusal (always the last frame): its status and text */
	buf_reset(&out);
	put_reply(p->peer, CTL_DENIED, 1, 0, "permission denied", NULL);
	put_reply(p->peer, CTL_OK, 1, 0, "next=1", NULL);
	assert_int_equal(client_text(&p->cl, &req, &out, &last), CLIENT_OK);
	assert_int_equal(last.status, CTL_DENIED);
	assert_string_equal(last.text, "permission denied");
	assert_int_equal(buf_avail(&out), 0);
	assert_int_equal(client_text(&p->cl, &req, &out, &last), CLIENT_OK);
	assert_memory_equal(buf_head(&out), "next=1\n", 7);
	buf_free(&out);
}

static void
test_bad_frames(void **state)
{
	struct pair *p = *state;
	struct ctl_reply rep;
	static const char junk[] = "this is no record stream";

	put_len(p->peer, 0);
	errno = 0;
	assert_int_equal(client_recv(&p->cl, &rep, NULL), CLIENT_ERROR);
	assert_int_equal(errno, EBADMSG);

	put_len(p->peer, CTL_FRAME_MAX + 1);
	assert_int_equal(client_recv(&p->cl, &rep, NULL), CLIENT_ERROR);
	assert_int_equal(errno, EBADMSG);
	assert_string_equal(client_strerror(CLIENT_ERROR),
	    "malformed reply from smtpd");

	put_len(p->peer, sizeof(junk) - 1);
	put_raw(p->peer, junk, sizeof(junk) - 1);
	assert_int_equal(client_recv(&p->cl, &rep, NULL), CLIENT_ERROR);
	assert_int_equal(errno, EBADMSG);
}

static void
test_eof_timeout(void **state)
{
	struct pair *p = *state;
	struct ctl_reply rep;

	p->cl.timeout_ms = 100;
	assert_int_equal(client_recv(&p->cl, &rep, NULL), CLIENT_TIMEOUT);
	put_len(p->peer, 100);
	put_raw(p->peer, "short", 5);
	close(p->peer);
	p->peer = -1;
	assert_int_equal(client_recv(&p->cl, &rep, NULL), CLIENT_ERROR);
	assert_int_equal(client_recv(&p->cl, &rep, NULL), CLIENT_EOF);
}

static void
test_connect_conf(void **state)
{
	char dir[] = "/tmp/ctl_client_test.XXXXXX", path[256], conf[256];
	struct client_conf cc;
	struct client cl;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nothing.sock", dir);
	assert_int_equal(client_connect(&cl, path), CLIENT_DOWN);
	snprintf(conf, sizeof(conf), "%s/smtpd.conf", dir);
	assert_int_equal(client_connect(&cl, conf), CLIENT_DOWN);	/* absent */
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "queue directory \"%s/spool\"\ncontrol socket \"%s\"\n"
	    "listen on 127.0.0.1 port 2525\n", dir, path);
	fclose(f);
	assert_int_equal(client_connect(&cl, conf), CLIENT_DOWN);	/* a file */

	assert_int_equal(client_conf_load("test", conf, &cc), 0);
	assert_string_equal(cc.socket, path);
	assert_true(strncmp(cc.spool, dir, strlen(dir)) == 0);
	assert_string_equal(cc.path, conf);
	unsetenv("SMTPD_CONF");
	setenv("SMTPD_CONF", conf, 1);
	memset(&cc, 0, sizeof(cc));
	assert_int_equal(client_conf_load("test", NULL, &cc), 0);
	assert_string_equal(cc.socket, path);
	unsetenv("SMTPD_CONF");
	unlink(conf);
	assert_int_equal(client_conf_load("test", conf, &cc), -1);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eof_timeout, setup,
		    teardown),
		cmocka_unit_test(test_connect_conf),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

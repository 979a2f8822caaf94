/*
 * ipc_test.c: frame validation rules and real exchanges over socketpairs
 * (payload, request id, passed descriptor; a frame sent at once, the
 * rest queued in order behind a full socket; malformed datagrams close only
 * the peer that sent them; a peer gone with our message unread is an end,
 * not an error).
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/ipc.h"
#include "lib/log.h"

#define T_PING	1
#define T_FD	2

static const struct ipc_rule rules[] = {
	{ T_PING, 1u << 1, 0, 16, IPC_FD_NONE },
	{ T_FD, 1u << 1, 4, 4, IPC_FD_REQUIRED },
};
#define NRULES	(sizeof(rules) / sizeof(rules[0]))

struct sink {
	int		 got;
	uint32_t	 type, reqid;
	char		 data[32];
	size_t		 len;
	int		 fd;
	int		 closed;
	struct ev_loop	*loop;
};

static int
sink_handler(struct ipc_peer *p, struct ipc_msg *m, void *arg)
{
	struct sink *s = arg;

	(void)p;
	s->got++;
	s->type = m->type;
	s->reqid = m->reqid;
	s->len = m->len < sizeof(s->data) ? m->len : sizeof(s->data);
	memcpy(s->data, m->data, s->len);
	s->fd = m->fd;
	ev_break(s->loop, EVBREAK_ALL);
	return 0;
}

static void
sink_closed(struct ipc_peer *p, void *arg)
{
	struct sink *s = arg;

	s->closed++;
	ipc_peer_free(p);
	ev_break(s->loop, EVBREAK_ALL);
}

static void
hdr_make(struct ipc_hdr *h, uint32_t type, uint32_t len, uint16_t version,
    uint16_t flags)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->len = len;
	h->version = version;
	h->flags = flags;
}

static void
test_check_frame(void **state)
{
	struct ipc_hdr h;

	(void)state;
	hdr_make(&h, T_PING, 4, IPC_VERSION, 0);
	assert_null(ipc_check_frame(rules, NRULES, 1, &h, 4, 0));
	hdr_make(&h, T_PING, 4, IPC_VERSION + 1, 0);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 4, 0),
	    "wrong version");
	hdr_make(&h, T_PING, 5, IPC_VERSION, 0);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 4, 0),
	    "length mismatch");
	hdr_make(&h, 99, 0, IPC_VERSION, 0);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 0, 0),
	    "unknown type");
	hdr_make(&h, T_PING, 0, IPC_VERSION, 0);
	assert_string_equal(ipc_check_frame(rules, NRULES, 2, &h, 0, 0),
	    "type not allowed from this peer");
	hdr_make(&h, T_PING, 17, IPC_VERSION, 0);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 17, 0),
	    "bad payload length");
	hdr_make(&h, T_FD, 4, IPC_VERSION, 0);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 4, 0),
	    "descriptor missing");
	hdr_make(&h, T_PING, 0, IPC_VERSION, IPC_F_FD);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 0, 1),
	    "unexpected descriptor");
	hdr_make(&h, T_PING, 0, IPC_VERSION, IPC_F_FD);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 0, 0),
	    "descriptor flag mismatch");
	hdr_make(&h, T_PING, 0, IPC_VERSION, 0x8000);
	assert_string_equal(ipc_check_frame(rules, NRULES, 1, &h, 0, 0),
	    "unknown flags");
}

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

static void
test_roundtrip_with_fd(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sink s = { .fd = -1, .loop = loop };
	struct ipc_peer *a, *b;
	int sv[2], pipefd[2];
	uint32_t v = 0x01020304;
	char c = 0;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(pipefd), 0);
	/* a receives from b: a's peer id for b must be allowed by the rules. */
	a = ipc_peer_new(loop, sv[0], 1, "a", rules, NRULES, sink_handler,
	    sink_closed, &s);
	b = ipc_peer_new(loop, sv[1], 0, "b", rules, NRULES, sink_handler,
	    sink_closed, &s);
	assert_int_equal(ipc_send(b, T_FD, 77, pipefd[1], &v, sizeof(v)), 0);
	ev_run(loop, 0);
	assert_int_equal(s.got, 1);
	assert_int_equal(s.type, T_FD);
	assert_int_equal(s.reqid, 77);
	assert_int_equal(s.len, 4);
	assert_memory_equal(s.data, &v, 4);
	assert_true(s.fd >= 0);
	/* The passed descriptor is the pipe's write end: prove it. */
	assert_int_equal(write(s.fd, "x", 1), 1);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	close(s.fd);
	close(pipefd[0]);
	ipc_peer_free(a);
	ipc_peer_free(b);
	ev_loop_destroy(loop);
}

/* Frames counted in the order they arrive; out-of-order ones noted. */
struct order {
	uint32_t	 next, want;
	int		 disorder;
	struct ev_loop	*loop;
};

static int
order_handler(struct ipc_peer *p, struct ipc_msg *m, void *arg)
{
	struct order *o = arg;

	(void)p;
	if (m->reqid != o->next)
		o->disorder++;
	o->next = m->reqid + 1;
	if (o->next == o->want)
		ev_break(o->loop, EVBREAK_ALL);
	return 0;
}

static void
order_closed(struct ipc_peer *p, void *arg)
{
	(void)p;
	(void)arg;
	fail_msg("peer closed");
}

static void
order_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/*
 * A frame with nothing queued before it leaves at once, without the loop;
 * once the socket is full the rest wait, and all arrive in order.
 */
static void
test_send_at_once_then_queued(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct order o = { .next = 0, .loop = loop };
	struct ipc_peer *a, *b;
	ev_timer t;
	uint32_t n;
	int sv[2];

	(void)state;
	pair(sv);
	a = ipc_peer_new(loop, sv[0], 1, "a", rules, NRULES, order_handler,
	    order_closed, &o);
	b = ipc_peer_new(loop, sv[1], 0, "b", rules, NRULES, order_handler,
	    order_closed, &o);
	assert_int_equal(ipc_send(b, T_PING, 0, -1, "x", 1), 0);
	assert_int_equal(ipc_pending(b), 0);
	/* fill the socket (bounded), then ten more behind it */
	for (n = 1; ipc_pending(b) == 0 && n < 1000000; n++)
		assert_int_equal(ipc_send(b, T_PING, n, -1, "x", 1), 0);
	assert_int_equal(ipc_pending(b), 1);
	for (; ipc_pending(b) < 11; n++)
		assert_int_equal(ipc_send(b, T_PING, n, -1, "x", 1), 0);
	o.want = n;
	ev_timer_init(&t, order_timeout, 10.0, 0.0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	assert_int_equal(o.next, n);
	assert_int_equal(o.disorder, 0);
	assert_int_equal(ipc_pending(b), 0);
	ev_timer_stop(loop, &t);
	ipc_peer_free(a);
	ipc_peer_free(b);
	ev_loop_destroy(loop);
}

/* Raw datagrams on one pair; the receiver must close that peer only. */
static void
expect_closed_by(const void *frame, size_t len)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sink s = { .fd = -1, .loop = loop };
	struct sink s2 = { .fd = -1, .loop = loop };
	struct ipc_peer *good;
	struct ipc_hdr h;
	int sv[2], sv2[2];

	pair(sv);
	pair(sv2);
	(void)ipc_peer_new(loop, sv[0], 1, "bad", rules, NRULES, sink_handler,
	    sink_closed, &s);
	good = ipc_peer_new(loop, sv2[0], 1, "good", rules, NRULES,
	    sink_handler, sink_closed, &s2);
	assert_int_equal(send(sv[1], frame, len, 0), (ssize_t)len);
	ev_run(loop, 0);
	assert_int_equal(s.closed, 1);
	assert_int_equal(s.got, 0);
	/* The other peer still works. */
	hdr_make(&h, T_PING, 0, IPC_VERSION, 0);
	assert_int_equal(send(sv2[1], &h, sizeof(h), 0), (ssize_t)sizeof(h));
	ev_run(loop, 0);
	assert_int_equal(s2.got, 1);
	assert_int_equal(s2.closed, 0);
	/* and the closed one's remote end sees EOF. */
	assert_int_equal(recv(sv[1], &h, sizeof(h), MSG_DONTWAIT), 0);
	ipc_peer_free(good);
	close(sv[1]);
	close(sv2[1]);
	ev_loop_destroy(loop);
}

static void
test_malformed_truncated(void **state)
{
	struct ipc_hdr h;

	(void)state;
	hdr_make(&h, T_PING, 0, IPC_VERSION, 0);
	expect_closed_by(&h, sizeof(h) - 3);
}

static void
test_malformed_oversized(void **state)
{
	static uint8_t big[IPC_HDR_SIZE + IPC_MAX_PAYLOAD + 100];
	struct ipc_hdr h;

	(void)state;
	hdr_make(&h, T_PING, IPC_MAX_PAYLOAD + 100, IPC_VERSION, 0);
	memcpy(big, &h, sizeof(h));
	expect_closed_by(big, sizeof(big));
}

static void
test_malformed_version(void **state)
{
	struct ipc_hdr h;

	(void)state;
	hdr_make(&h, T_PING, 0, IPC_VERSION + 7, 0);
	expect_closed_by(&h, sizeof(h));
}

static void
test_malformed_type(void **state)
{
	struct ipc_hdr h;

	(void)state;
	hdr_make(&h, 12345, 0, IPC_VERSION, 0);
	expect_closed_by(&h, sizeof(h));
}

static void
test_malformed_length(void **state)
{
	uint8_t frame[IPC_HDR_SIZE + 8];
	struct ipc_hdr h;

	(void)state;
	hdr_make(&h, T_PING, 2, IPC_VERSION, 0);
	memcpy(frame, &h, sizeof(h));
	expect_closed_by(frame, sizeof(frame));
}

/*
 * The far end closes with our message still unread (a role exiting while
 * the parent stops): recvmsg() says ECONNRESET. That is the peer's end,
 * handed to the closed callback like EOF, with no error logged.
 */
static void
test_reset_is_an_end(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sink s = { .fd = -1, .loop = loop };
	char logged[256];
	FILE *log;
	int sv[2], saved;
	ssize_t n;

	(void)state;
	pair(sv);
	(void)ipc_peer_new(loop, sv[0], 1, "far", rules, NRULES, sink_handler,
	    sink_closed, &s);
	assert_int_equal(send(sv[0], "x", 1, 0), 1);
	close(sv[1]);
	assert_non_null(log = tmpfile());
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(log), STDERR_FILENO);
	log_init("ipc_test", 1, 0);
	ev_run(loop, 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(s.closed, 1);
	assert_int_equal(s.got, 0);
	rewind(log);
	n = (ssize_t)fread(logged, 1, sizeof(logged) - 1, log);
	logged[n < 0 ? 0 : n] = '\0';
	assert_string_equal(logged, "");
	fclose(log);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_frame),
		cmocka_unit_test(test_roundtrip_with_fd),
		cmocka_unit_test(test_send_at_once_then_queued),
		cmocka_unit_test(test_malformed_truncated),
		cmocka_unit_test(test_malformed_oversized),
		cmocka_unit_test(test_malformed_version),
		cmocka_unit_test(test_malformed_type),
		cmocka_unit_test(test_malformed_length),
		cmocka_unit_test(test_reset_is_an_end),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

# 21-queue-ipc.t: the queue role alone (`smtpd -x queue`) with socketpairs
# in place of its channels, driven by the smtp side of the transaction
# protocol (smtpd/proc.h IMSG_QUEUE_*, queue/queue_msg.h). CREATE gives a
# msgid and incoming/<msgid>/message; ENVELOPE + COMMIT answers Ok only
# with queue/<hh>/<msgid>/{message,<evpid>} on disk; a wrong envelope
# count or a duplicate evpid fails the commit and leaves nothing in
# queue/; ROLLBACK and a lost peer empty incoming/; a COMMIT for an
# unknown msgid closes that peer and nothing else.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use SmtpdTest;
use IpcTest;

my %ID = %IpcTest::ID;
my %IMSG = %IpcTest::IMSG;
*frame = \&IpcTest::frame;
*recv_frame = \&IpcTest::recv_frame;
*next_msg = \&IpcTest::next_msg;

# An envelope as queue/envelope.c encodes it (see 20-queue-corrupt.t).
sub rec { my ($type, $value) = @_; return pack("CN", $type, length $value) . $value }
sub envelope {
	my ($evpid) = @_;
	return rec(0x01, pack("NN", 0x454e564c, 3)) .
	    rec(0x02, pack("Q>", $evpid)) . rec(0x03, pack("C", 1)) .
	    rec(0x04, "local") . rec(0x09, pack("C", 1)) . rec(0x0a, "local") .
	    rec(0x0e, "bob\@example.org") . rec(0x0f, "bob\@example.org") .
	    rec(0x17, pack("Q>", time)) . rec(0x18, pack("Q>", 345600)) .
	    rec(0x00, "");
}

my $d = SmtpdTest->new;
my $spool = $d->spool;
# What the parent's spool_prepare() would have made.
mkdir $spool, 0711 or die;
for my $sub (qw(incoming queue corrupt purge)) {
	mkdir "$spool/$sub", 0700 or die;
	if (SmtpdTest::is_root()) {
		my (undef, undef, $uid, $gid) = getpwnam("_smtpq") or die "no _smtpq";
		chown $uid, $gid, "$spool/$sub";
	}
}

my $log = $d->dir . "/queue.log";
my ($pid, $ch) = IpcTest::start_role("queue", $d->conf_path, $log, [0, 1, 2, 4, 5]);
my %mine = %$ch;
my $smtp = $mine{$ID{smtp}};

sub wait_log {
	my ($re) = @_;
	my $deadline = time + 10;
	while (time < $deadline) {
		return 1 if SmtpdTest::slurp($log) =~ $re;
		sleep 0.05;
	}
	return 0;
}

sub create {
	my ($reqid) = @_;
	syswrite($smtp, frame($IMSG{IMSG_QUEUE_CREATE}, pack("Q", (0x5e551000 << 32) + $reqid),
	    reqid => $reqid));
	my ($type, $r, $payload) = next_msg($smtp);
	return () unless defined $type && $type == $IMSG{IMSG_QUEUE_CREATE_RES} && $r == $reqid;
	return unpack("LL", $payload);
}

sub commit {
	my ($msgid, $n, $reqid) = @_;
	syswrite($smtp, frame($IMSG{IMSG_QUEUE_COMMIT}, pack("LLQ", $msgid, $n, 42),
	    reqid => $reqid));
	my ($type, $r, $payload) = next_msg($smtp, 10);
	return () unless defined $type && $type == $IMSG{IMSG_QUEUE_COMMIT_RES} && $r == $reqid;
	return unpack("LL", $payload);
}

sub queue_path { my ($msgid) = @_; return sprintf("%s/queue/%02x/%08x", $spool, $msgid & 0xff, $msgid) }

my ($type) = next_msg($mine{0}, 10);
is($type, $IMSG{IMSG_READY}, "queue sends READY");

# The good path.
my ($status, $msgid) = create(1);
is($status, 0, "CREATE: QUEUE_OK");
ok($msgid, "with a msgid");
my $in = sprintf("%s/incoming/%08x", $spool, $msgid);
ok(-f "$in/message", "incoming/<msgid>/message exists");
my $body = "Subject: ipc\r\n\r\nbody\r\n";
{
	open(my $fh, '>>', "$in/message") or die "$in/message: $!";
	print $fh $body;
	close $fh;
}
my $evpid = ($msgid << 32) | 0x1234;
my $sent = envelope($evpid);	# once: it holds the time of day
syswrite($smtp, frame($IMSG{IMSG_QUEUE_ENVELOPE}, $sent));
($status, my $cmsgid) = commit($msgid, 1, 2);
is($status, 0, "COMMIT: QUEUE_OK");
is($cmsgid, $msgid, "for that msgid");
my $qp = queue_path($msgid);
ok(-f "$qp/message", "queue/<hh>/<msgid>/message");
ok(-f sprintf("%s/%016x", $qp, $evpid), "queue/<hh>/<msgid>/<evpid>");
is(SmtpdTest::slurp(sprintf("%s/%016x", $qp, $evpid)), $sent,
    "the envelope as sent");
ok(!-e $in, "gone from incoming/");
like(SmtpdTest::slurp($log), qr/\b${\ sprintf("%08x", $msgid)} queue event=commit envelopes=1 size=${\ length $body} result=Ok\b/,
    "commit logged");

# Failing commits leave nothing in queue/.
for my $case ([ "count mismatch", 1, 2 ], [ "duplicate evpid", 2, 2 ]) {
	my ($what, $sent, $claimed) = @$case;
	my ($st, $id) = create(3);
	is($st, 0, "CREATE for the $what case");
	my $e = envelope(($id << 32) | 7);
	syswrite($smtp, frame($IMSG{IMSG_QUEUE_ENVELOPE}, $e)) for 1 .. $sent;
	($st) = commit($id, $claimed, 4);
	is($st, 1, "$what: COMMIT answers QUEUE_TEMPFAIL");
	ok(!-e queue_path($id), "$what: nothing in queue/");
	ok(wait_log(qr/${\ sprintf("%08x", $id)} queue event=rollback reason=refused result=Ok/),
	    "$what: rolled back");
	ok(!-e sprintf("%s/incoming/%08x", $spool, $id), "$what: nothing in incoming/");
}

# ROLLBACK has no reply; the message is gone.
{
	my ($st, $id) = create(5);
	syswrite($smtp, frame($IMSG{IMSG_QUEUE_ROLLBACK}, pack("LL", $id, 0)));
	ok(wait_log(qr/${\ sprintf("%08x", $id)} queue event=rollback reason=requested result=Ok/),
	    "ROLLBACK logged");
	ok(!-e sprintf("%s/incoming/%08x", $spool, $id), "ROLLBACK empties incoming/<msgid>");
	ok(!-e queue_path($id), "and nothing reached queue/");
}

# A COMMIT for a msgid nobody created: the smtp peer is closed, its open
# transaction rolled back, the role keeps going.
{
	my ($st, $open) = create(6);
	is($st, 0, "an open transaction");
	syswrite($smtp, frame($IMSG{IMSG_QUEUE_COMMIT}, pack("LLQ", 0x0badf00d, 1, 0)));
	is(recv_frame($smtp, 5), '', "unknown msgid: the queue closes the smtp channel");
	ok(wait_log(qr/${\ sprintf("%08x", $open)} queue event=rollback reason=peer-lost result=Ok/),
	    "the lost peer's open transaction is rolled back");
	ok(!-e sprintf("%s/incoming/%08x", $spool, $open), "and its incoming/ directory is gone");
	syswrite($mine{0}, frame($IMSG{IMSG_PING}, "still?", reqid => 9));
	# Committed local envelopes go to the parent for delivery meanwhile.
	my ($t, $r, $p);
	for (1 .. 10) {
		($t, $r, $p) = next_msg($mine{0});
		last unless defined $t && $t == $IMSG{IMSG_MDA_DELIVER};
	}
	ok(defined $t && $t == $IMSG{IMSG_PONG} && $r == 9 && $p eq "still?",
	    "the queue still answers its parent");
	is(waitpid($pid, WNOHANG), 0, "and is running");
}
ok(-f "$qp/message", "the committed message is still there");

close $mine{0};
my $deadline = time + 5;
my $gone = 0;
while (time < $deadline) {
	if (waitpid($pid, WNOHANG) == $pid) { $gone = 1; last }
	sleep 0.05;
}
ok($gone, "the queue exits when its parent channel closes");
unless ($gone) { kill 'KILL', $pid; waitpid($pid, 0) }
done_testing();

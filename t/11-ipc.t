# 11-ipc.t: each role started alone (`smtpd -x ROLE`) with socketpairs in
# place of its channels. Truncated, oversized, wrong-version and
# unknown-type frames on a peer channel close that channel only: the role
# keeps running and still answers PING on its parent channel.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Handle;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use SmtpdTest;
use IpcTest;

my %ID = %IpcTest::ID;
my $IMSG_PING = $IpcTest::IMSG{IMSG_PING};
my $IMSG_PONG = $IpcTest::IMSG{IMSG_PONG};
my $MAX = $IpcTest::MAX;
*frame = \&IpcTest::frame;
*recv_frame = \&IpcTest::recv_frame;

my $d = SmtpdTest->new;	# for its config and spool only
# A role started alone chroots like in the daemon: give it its directories.
mkdir $d->spool, 0711;
mkdir "/var/empty", 0755 if SmtpdTest::is_root() && !-d "/var/empty";

for my $role (qw(smtp lookup queue relay control)) {
	my $self = $ID{$role};
	my @others = grep { $_ != $self && $_ != 0 } values %ID;
	my $log = $d->dir . "/ipc-$role.log";
	my ($pid, $ch) = IpcTest::start_role($role, $d->conf_path, $log, [0, @others]);
	my %mine = %$ch;

	my $ready = recv_frame($mine{0}, 10);
	ok(defined $ready && length($ready) >= 16 &&
	    (unpack("L", $ready))[0] == 3, "$role sends READY to its parent");

	my @bad = (
	    [ "truncated",	substr(frame($IMSG_PING, ""), 0, 10) ],
	    [ "oversized",	frame($IMSG_PING, "x" x ($MAX + 10)) ],
	    [ "wrong-version",	frame($IMSG_PING, "", version => 99) ],
	    [ "unknown-type",	frame(4242, "") ],
	);
	for my $i (0 .. $#bad) {
		my ($what, $bytes) = @{ $bad[$i] };
		my $peer = $others[$i];
		syswrite($mine{$peer}, $bytes);
		my $eof = recv_frame($mine{$peer}, 5);
		is($eof, '', "$role closes the peer that sent a $what frame");
		my $ping = "ping-$what";
		syswrite($mine{0}, frame($IMSG_PING, $ping, reqid => 7));
		my $pong = recv_frame($mine{0}, 5) // '';
		my ($type, $len, $reqid) = unpack("LLL", $pong);
		ok(defined $type && $type == $IMSG_PONG && $reqid == 7 &&
		    substr($pong, 16) eq $ping,
		    "$role still answers PING after a $what frame");
		is(waitpid($pid, WNOHANG), 0, "$role is still running");
	}
	my $text = SmtpdTest::slurp($log);
	like($text, qr/malformed frame \(truncated frame\)/, "$role logs the truncated frame");
	like($text, qr/malformed frame \(oversized frame\)/, "$role logs the oversized frame");
	like($text, qr/malformed frame \(wrong version\)/, "$role logs the wrong version");
	like($text, qr/malformed frame \(unknown type\)/, "$role logs the unknown type");

	# Losing the parent channel ends the role.
	close $mine{0};
	my $deadline = time + 5;
	my $gone = 0;
	while (time < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) { $gone = 1; last }
		sleep 0.05;
	}
	ok($gone, "$role exits when its parent channel closes");
	unless ($gone) { kill 'KILL', $pid; waitpid($pid, 0) }
}

done_testing();

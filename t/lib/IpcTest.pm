# IpcTest.pm: talk to one role of the daemon started alone (`smtpd -x
# ROLE`), with socketpairs in place of its channels, using the framing of
# lib/ipc.h and the message numbers of smtpd/proc.h (read from the source,
# so the tests follow the one definition).
#
#   my ($pid, $ch) = IpcTest::start_role("queue", $conf, $log, [0, 1, 2]);
#   IpcTest::send_frame($ch->{1}, $IpcTest::IMSG{IMSG_QUEUE_CREATE}, $p);
#   my ($type, $reqid, $payload) = IpcTest::next_msg($ch->{1});
package IpcTest;

use strict;
use warnings;
use Carp;
use Socket qw(AF_UNIX SOCK_SEQPACKET PF_UNSPEC);
use POSIX qw(dup2);
use SmtpdTest;

our %ID = (parent => 0, smtp => 1, lookup => 2, queue => 3, relay => 4,
    control => 5);
our $IPC_VERSION = 1;
our $MAX = 64 * 1024;
our %IMSG;
{
	my $h = SmtpdTest::slurp(SmtpdTest::src() . "/smtpd/proc.h");
	my ($body) = $h =~ /enum imsg_type \{(.*?)\n\};/s
	    or croak "no enum imsg_type in smtpd/proc.h";
	$body =~ s{/\*.*?\*/}{}gs;
	my $n = 0;
	for my $item (split /,/, $body) {
		next unless $item =~ /(IMSG_\w+)(?:\s*=\s*(\d+))?/;
		$n = defined $2 ? $2 : $n + 1;
		$IMSG{$1} = $n;
	}
}

# A frame: header (type, length, reqid, version, flags) and payload;
# len and version may be forged for tests.
sub frame {
	my ($type, $payload, %o) = @_;
	return pack("LLLSS", $type, $o{len} // length $payload, $o{reqid} // 0,
	    $o{version} // $IPC_VERSION, 0) . $payload;
}

sub send_frame {
	my ($sock, $type, $payload, %o) = @_;
	return syswrite($sock, frame($type, $payload, %o));
}

# The next datagram ('' at EOF, undef on timeout). The queue's periodic
# free-space report is not part of any exchange and is skipped.
sub recv_frame {
	my ($sock, $timeout) = @_;
	my $rin = '';
	vec($rin, fileno($sock), 1) = 1;
	return undef unless select(my $rout = $rin, undef, undef, $timeout // 5) > 0;
	my $r = sysread($sock, my $buf, $MAX + 64);
	return undef unless defined $r;
	return recv_frame($sock, $timeout) if length $buf >= 16 &&
	    (unpack("L", $buf))[0] == $IMSG{IMSG_QUEUE_SPACE};
	return $buf;
}

# (type, reqid, payload) of the next frame, or () on EOF/timeout.
sub next_msg {
	my ($sock, $timeout) = @_;
	my $f = recv_frame($sock, $timeout);
	return () unless defined $f && length $f >= 16;
	my ($type, $len, $reqid) = unpack("LLL", $f);
	return ($type, $reqid, substr($f, 16));
}

# Start `smtpd -d -v -x ROLE -f CONF` with a socketpair on descriptor
# 3 + P for every peer id P listed; returns (pid, { P => our end }).
sub start_role {
	my ($role, $conf, $log, $peers) = @_;
	my (%mine, %theirs);
	for my $p (@$peers) {
		socketpair(my $a, my $b, AF_UNIX, SOCK_SEQPACKET, PF_UNSPEC)
		    or croak "socketpair: $!";
		$mine{$p} = $a;
		$theirs{$p} = $b;
	}
	my $pid = fork() // croak "fork: $!";
	if ($pid == 0) {
		open(STDOUT, '>>', $log);
		open(STDERR, '>&', \*STDOUT);
		# Move each channel to fd 3 + peer id, via high fds first.
		for my $p (keys %theirs) {
			dup2(fileno($theirs{$p}), 100 + $p) or POSIX::_exit(126);
		}
		for my $p (keys %theirs) {
			dup2(100 + $p, 3 + $p) or POSIX::_exit(126);
			POSIX::close(100 + $p);
		}
		exec(SmtpdTest::build() . "/smtpd", "-d", "-v", "-x", $role,
		    "-f", $conf) or POSIX::_exit(127);
	}
	close $_ for values %theirs;
	return ($pid, \%mine);
}

1;

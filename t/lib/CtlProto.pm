# CtlProto.pm: a small Perl speaker of the control protocol
# (smtpd/ctl_msg.h), for tests that talk to the control socket without
# smtpctl. A frame is a 4-byte big-endian length and a record stream
# (lib/record.h: type byte, 4-byte big-endian length, value; a VERSION
# record first, END last). Requests "CTLQ", replies "CTLR"; the envelope
# a show queue frame carries is the queue's own stream ("ENVL").
#
#   my $s = CtlProto::connect($path);
#   my @r = CtlProto::request($s, cmd => 'show_queue');
#   # ({status => 0, last => 0, data => ..., runstate => 0, ...}, ..., {last => 1})
package CtlProto;

use strict;
use warnings;
use Carp;
use IO::Socket::UNIX;
use IO::Select;
use Time::HiRes qw(time);

our %CMD = (
	show_queue => 1, show_envelope => 2, show_message => 3,
	show_stats => 4, show_status => 5, pause_envelope => 6,
	resume_envelope => 7, schedule => 8, remove => 9, pause_mda => 10,
	resume_mda => 11, pause_mta => 12, resume_mta => 13, pause_smtp => 14,
	resume_smtp => 15, update_table => 16, log_verbose => 17,
	log_brief => 18, trace => 19, untrace => 20, show_hosts => 21,
	show_hoststats => 22, show_relays => 23, show_routes => 24,
	resume_route => 25, smtp_session => 26, monitor => 27, discover => 28,
	profile => 29, unprofile => 30,
);
our %ID = (none => 0, msgid => 1, evpid => 2, all => 3);
our %STATUS = (0 => 'ok', 1 => 'fail', 2 => 'denied', 3 => 'unavailable',
    4 => 'notfound');
our @RUNSTATE = qw(pending inflight offline invalid);

use constant { REQ_MAGIC => 0x43544c51, REP_MAGIC => 0x43544c52,
    ENV_MAGIC => 0x454e564c };

sub rec { my ($t, $v) = @_; return pack("C N", $t, length $v) . $v }

# The record stream of a request; any field may be overridden, and
# extra => [[type, bytes], ...] appends raw records (for malformed ones).
sub request_stream {
	my (%a) = @_;
	my $cmd = $a{cmd} // 'show_stats';
	$cmd = $CMD{$cmd} // croak "unknown command $cmd" unless $cmd =~ /^\d+$/;
	my $s = rec(1, pack("N N", REQ_MAGIC, $a{schema} // 1));
	$s .= rec(2, pack("N", $a{version} // 1));
	$s .= rec(3, pack("N", $cmd));
	$s .= rec(4, pack("C", $ID{ $a{idkind} // 'none' } // $a{idkind}));
	$s .= rec(5, pack("Q>", $a{id} // 0));
	$s .= rec(6, $a{arg} // '');
	$s .= rec(7, pack("N", $a{uid} // 0));
	$s .= rec($_->[0], $_->[1]) for @{ $a{extra} // [] };
	$s .= rec(0, '');
	return $s;
}

sub frame { my ($stream) = @_; return pack("N", length $stream) . $stream }

sub connect {
	my ($path) = @_;
	return IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path);
}

sub send_raw {
	my ($s, $bytes) = @_;
	local $SIG{PIPE} = 'IGNORE';
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($s, $bytes, length($bytes) - $off, $off);
		return 0 unless defined $n && $n > 0;
		$off += $n;
	}
	return 1;
}

sub send_request { my ($s, %a) = @_; return send_raw($s, frame(request_stream(%a))) }

# Exactly $n bytes, or undef at EOF or timeout.
sub read_n {
	my ($s, $n, $deadline) = @_;
	my $buf = '';
	my $sel = IO::Select->new($s);
	while (length $buf < $n) {
		my $left = $deadline - time;
		return undef if $left <= 0 || !$sel->can_read($left);
		my $r = sysread($s, $buf, $n - length $buf, length $buf);
		return undef unless $r;
	}
	return $buf;
}

# One reply frame decoded (a hash), or undef at EOF/timeout.
sub read_reply {
	my ($s, $timeout) = @_;
	my $deadline = time + ($timeout // 10);
	my $hdr = read_n($s, 4, $deadline) // return undef;
	my $len = unpack("N", $hdr);
	my $body = read_n($s, $len, $deadline) // return undef;
	return decode_reply($body);
}

# Every frame of one request's answer (up to and including `last`).
sub request {
	my ($s, %a) = @_;
	send_request($s, %a) or return ();
	my @r;
	while (my $r = read_reply($s, $a{timeout})) {
		push @r, $r;
		last if $r->{last};
	}
	return @r;
}

# Records of a stream with the given magic: [[type, value], ...] or undef.
sub records {
	my ($bytes, $magic) = @_;
	my ($off, @r) = (0);
	while ($off + 5 <= length $bytes) {
		my ($t, $l) = unpack("C N", substr($bytes, $off, 5));
		return undef if $off + 5 + $l > length $bytes;
		my $v = substr($bytes, $off + 5, $l);
		$off += 5 + $l;
		if ($t == 1) {
			my ($m) = unpack("N", $v);
			return undef unless $m == $magic;
			next;
		}
		return \@r if $t == 0;
		push @r, [$t, $v];
	}
	return undef;
}

sub decode_reply {
	my ($bytes) = @_;
	my $r = records($bytes, REP_MAGIC) // croak "bad reply stream";
	my %h = (data => undef);
	for my $f (@$r) {
		my ($t, $v) = @$f;
		$h{version} = unpack("N", $v) if $t == 2;
		$h{status} = unpack("N", $v) if $t == 3;
		$h{last} = unpack("C", $v) if $t == 4;
		$h{count} = unpack("Q>", $v) if $t == 5;
		$h{delay} = unpack("q>", $v) if $t == 6;
		$h{runstate} = unpack("C", $v) if $t == 7;
		$h{text} = $v if $t == 8;
		$h{data} = $v if $t == 9;
	}
	$h{status_name} = $STATUS{ $h{status} // -1 } // '?';
	return \%h;
}

# The fields of an encoded envelope that tests look at.
my %ENVF = (0x02 => ['evpid', 'Q>'], 0x03 => ['type', 'C'],
    0x04 => ['dispatcher', 'a*'], 0x09 => ['family', 'C'],
    0x0c => ['flags', 'N'], 0x0d => ['sender', 'a*'], 0x0e => ['rcpt', 'a*'],
    0x0f => ['dest', 'a*'], 0x17 => ['ctime', 'Q>'], 0x18 => ['ttl', 'Q>'],
    0x19 => ['lasttry', 'Q>'], 0x1a => ['nexttry', 'Q>'],
    0x1c => ['retry', 'N'], 0x1d => ['errorline', 'a*'],
    0x21 => ['runflags', 'N']);

sub decode_envelope {
	my ($bytes) = @_;
	my $r = records($bytes, ENV_MAGIC) // return undef;
	my %e = (flags => 0, runflags => 0, sender => '', retry => 0,
	    lasttry => 0, nexttry => 0, errorline => '');
	for my $f (@$r) {
		my $d = $ENVF{ $f->[0] } or next;
		$e{ $d->[0] } = unpack($d->[1], $f->[1]);
	}
	$e{evpid_hex} = sprintf("%016x", $e{evpid});
	return \%e;
}

1;

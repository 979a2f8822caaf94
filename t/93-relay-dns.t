# 93-relay-dns.t: the relay role's resolver (deliver/relay_dns.c,
# protocol.md B.2) end to end through $(BUILD)/t/relay-dns-probe against a
# fake DNS server on loopback (t/lib/FakeDns.pm): MX preference order and
# the shuffle of equal preferences (both orders seen, bounded runs), IPv6
# before IPv4, implicit MX, NODATA without addresses, null MX alone and
# mixed, NXDOMAIN, SERVFAIL, a server that never answers (the deadline),
# the own-MX cut by name and by address, host lookups without MX, address
# literals answered without DNS, IDNA, the host and address caps, the port
# in every address, and a cancelled query that never calls back. Never
# uses the Internet; every process is stopped by its PID.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX ();
use FakeDns;
use SmtpdTest;

BEGIN {
	FakeDns::available()
	    or plan skip_all => "Net::DNS::Nameserver (libnet-dns-perl) missing";
}

my $PROBE = SmtpdTest::build() . "/t/relay-dns-probe";
my $SHUFFLE_RUNS = 40;		# both orders of two: 1 in 2^39 to miss
my $PROBE_SECONDS = 30;		# a probe that hangs is killed

# ------------------------------------------------------------ the zone
my %ZONE = (
	'pref.example' => { MX => [ [ 30, 'mx3.pref.example' ],
	    [ 20, 'mx2a.pref.example' ], [ 10, 'mx1.pref.example' ],
	    [ 20, 'mx2b.pref.example' ] ], TXT => [ [ "x" ] ] },
	'mx1.pref.example' => { A => [ '192.0.2.1' ], AAAA => [ '2001:db8::1' ] },
	'mx2a.pref.example' => { A => [ '192.0.2.2' ] },
	'mx2b.pref.example' => { A => [ '192.0.2.3' ] },
	'mx3.pref.example' => { AAAA => [ '2001:db8::3' ] },
	'implicit.example' => { A => [ '192.0.2.10' ], AAAA => [ '2001:db8::10' ] },
	'noaddr.example' => { TXT => [ [ "no address here" ] ] },
	'nullmx.example' => { MX => [ [ 0, '.' ] ], A => [ '192.0.2.11' ] },
	'mixednull.example' => { MX => [ [ 0, '.' ], [ 10, 'mx1.pref.example' ] ] },
	'fail.example' => { FAIL => 1 },
	'failhost.example' => { MX => [ [ 10, 'fail.example' ] ] },
	'nxhost.example' => { MX => [ [ 10, 'nowhere.example' ] ] },
	'own.example' => { MX => [ [ 10, 'a.own.example' ],
	    [ 20, 'self.own.example' ], [ 20, 'b.own.example' ],
	    [ 30, 'c.own.example' ] ] },
	'a.own.example' => { A => [ '192.0.2.21' ] },
	'b.own.example' => { A => [ '192.0.2.22' ] },
	'c.own.example' => { A => [ '192.0.2.23' ] },
	'self.own.example' => { A => [ '192.0.2.99' ] },
	'ownaddr.example' => { MX => [ [ 10, 'x.ownaddr.example' ],
	    [ 20, 'y.ownaddr.example' ] ] },
	'x.ownaddr.example' => { A => [ '192.0.2.31' ] },
	'y.ownaddr.example' => { AAAA => [ '2001:db8::99' ] },
	'xn--bcher-kva.example' => { A => [ '192.0.2.40' ] },
	'addrcap.example' => { MX => [ map { [ 10 * $_, "h$_.addrcap.example" ] } 1 .. 4 ] },
	'hostcap.example' => { MX => [ map { [ 10 * $_, "h$_.hostcap.example" ] } 1 .. 8 ] },
);
for my $i (1 .. 4) {
	$ZONE{"h$i.addrcap.example"} = { A => [ "192.0.2.1$i", "192.0.2.2$i" ],
	    AAAA => [ "2001:db8::1$i", "2001:db8::2$i" ] };
}
$ZONE{"h$_.hostcap.example"} = { A => [ "198.51.100.$_" ] } for 1 .. 8;

my $dns = FakeDns->new(zone => \%ZONE);
my $FWD = $dns->forwarder;

# A UDP socket that never answers: a server that times out.
my $mute = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Proto => 'udp') or BAIL_OUT("udp socket: $!");
my $MUTE = "127.0.0.1\@" . $mute->sockport;
# Nothing listens there: any question asked would time out.
my $NODNS = $MUTE;

# ------------------------------------------------------------ the probe
# (exit status, [ result line, address lines... ], stderr)
sub probe {
	my (@args) = @_;
	my $errf = "/tmp/relay-dns-probe.err.$$";
	my $pid = open(my $out, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>', $errf) or POSIX::_exit(126);
		exec($PROBE, @args) or POSIX::_exit(127);
	}
	my @lines;
	eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm $PROBE_SECONDS;
		@lines = <$out>;
		alarm 0;
	};
	if ($@) {
		kill 'KILL', $pid;
		fail("probe @args: killed after $PROBE_SECONDS s");
	}
	close $out;
	my $rc = $? >> 8;
	open(my $fh, '<', $errf);
	my $err = $fh ? do { local $/; <$fh> } : "";
	unlink $errf;
	chomp @lines;
	return ($rc, \@lines, $err);
}

sub lines {
	my ($rc, $l) = probe(@_);
	is($rc, 0, "probe @_: exit 0");
	return $l;
}

# ------------------------------------------------------------ MX order
{
	my %seen;
	for (1 .. $SHUFFLE_RUNS) {
		my $l = lines($FWD, "mx", "pref.example", "25");
		is($l->[0], "ok - -", "pref.example: found");
		is_deeply([ @$l[1, 2] ],
		    [ "mx1.pref.example 10 2001:db8::1 25",
		      "mx1.pref.example 10 192.0.2.1 25" ],
		    "lowest preference first, its IPv6 before its IPv4");
		is($l->[5], "mx3.pref.example 30 2001:db8::3 25",
		    "highest preference last");
		my $mid = join(",", @$l[3, 4]);
		ok($mid eq "mx2a.pref.example 20 192.0.2.2 25,mx2b.pref.example 20 192.0.2.3 25" ||
		    $mid eq "mx2b.pref.example 20 192.0.2.3 25,mx2a.pref.example 20 192.0.2.2 25",
		    "equal preferences in the middle") or diag($mid);
		is(scalar(@$l), 6, "five addresses");
		$seen{$l->[3] =~ /mx2a/ ? "a first" : "b first"}++;
		last if keys %seen == 2;
	}
	is(scalar(keys %seen), 2, "equal preferences: both orders seen")
	    or diag(join(", ", %seen));
}

# port kept in every address
is_deeply(lines($FWD, "mx", "implicit.example", "2525"),
    [ "ok - -", "implicit.example 0 2001:db8::10 2525",
      "implicit.example 0 192.0.2.10 2525" ],
    "no MX: implicit MX at preference 0, the port asked for");

is_deeply(lines($FWD, "mx", "noaddr.example", "25"),
    [ "permfail 5.1.2 Host or domain name not found" ],
    "no MX, neither AAAA nor A: 5.1.2");

is_deeply(lines($FWD, "mx", "nullmx.example", "25"),
    [ "permfail 5.1.10 Recipient address has null MX" ],
    "null MX: 5.1.10, its A record never used");

{
	my ($rc, $l, $err) = probe($FWD, "mx", "mixednull.example", "25");
	is_deeply($l, [ "ok - -", "mx1.pref.example 10 2001:db8::1 25",
	    "mx1.pref.example 10 192.0.2.1 25" ],
	    "null MX beside another MX: ignored");
	like($err, qr/mixednull\.example: null MX beside other MX records ignored/,
	    "null MX beside another MX: a warning");
}

is_deeply(lines($FWD, "mx", "nx.example", "25"),
    [ "permfail 5.1.2 Host or domain name not found" ], "NXDOMAIN: 5.1.2");

{
	my $l = lines($FWD, "mx", "fail.example", "25");
	like($l->[0], qr/^tempfail 4\.4\.3 DNS lookup for fail\.example MX failed/,
	    "SERVFAIL: temporary 4.4.3");
	is(scalar(@$l), 1, "SERVFAIL: no address");
}

like(lines($FWD, "mx", "failhost.example", "25")->[0],
    qr/^tempfail 4\.4\.3 address lookup of fail\.example failed/,
    "the only MX host's lookup fails: temporary");

is_deeply(lines($FWD, "mx", "nxhost.example", "25"),
    [ "permfail 5.4.4 no MX host of nxhost.example has an address" ],
    "the only MX host does not exist: permanent");

{
	my $l = lines("-t", "1", $MUTE, "mx", "slow.example", "25");
	is_deeply($l, [ "tempfail 4.4.3 DNS lookup for slow.example timed out" ],
	    "a server that never answers: the deadline, 4.4.3");
}

# ------------------------------------------------------------ own MX
is_deeply(lines("-n", "SELF.own.example.", $FWD, "mx", "own.example", "25"),
    [ "ok - -", "a.own.example 10 192.0.2.21 25" ],
    "own MX by name: it, its equal and higher preferences dropped");
is_deeply(lines("-n", "a.own.example", $FWD, "mx", "own.example", "25"),
    [ "permfail 5.4.6 mail for own.example loops back to myself" ],
    "own MX by name, lowest preference: 5.4.6");
is_deeply(lines("-s", "2001:db8::99", $FWD, "mx", "ownaddr.example", "25"),
    [ "ok - -", "x.ownaddr.example 10 192.0.2.31 25" ],
    "own MX by address: cut after the lower preference");
is_deeply(lines("-s", "10.9.9.9", "-s", "192.0.2.31", $FWD, "mx",
    "ownaddr.example", "25"),
    [ "permfail 5.4.6 mail for ownaddr.example loops back to myself" ],
    "own MX by address, lowest preference: 5.4.6");
is(scalar(@{ lines("-n", "other.example", "-s", "192.0.2.200", $FWD, "mx",
    "own.example", "25") }), 5, "not our MX: every host kept");

# ------------------------------------------------------------ hosts
is_deeply(lines($FWD, "host", "mx1.pref.example", "587"),
    [ "ok - -", "mx1.pref.example 0 2001:db8::1 587",
      "mx1.pref.example 0 192.0.2.1 587" ], "a host: its addresses");
is_deeply(lines($FWD, "host", "[mx2a.pref.example]", "25"),
    [ "ok - -", "mx2a.pref.example 0 192.0.2.2 25" ],
    "a bracketed host name");
is_deeply(lines($FWD, "host", "pref.example", "25"),
    [ "permfail 5.1.2 Host or domain name not found" ],
    "a host is never looked up by MX");
is_deeply(lines($FWD, "host", "nx.example", "25"),
    [ "permfail 5.1.2 Host or domain name not found" ], "a host: NXDOMAIN");
like(lines($FWD, "host", "fail.example", "25")->[0],
    qr/^tempfail 4\.4\.3 /, "a host: SERVFAIL");
is_deeply(lines($FWD, "mx", "b\x{c3}\x{bc}cher.example", "25"),
    [ "ok - -", "xn--bcher-kva.example 0 192.0.2.40 25" ],
    "a U-label domain asked as its A-label");

# ------------------------------------------------------------ literals
for my $t ([ "192.0.2.55", "192.0.2.55" ], [ "[192.0.2.56]", "192.0.2.56" ],
    [ "2001:db8::55", "2001:db8::55" ], [ "[2001:db8::56]", "2001:db8::56" ],
    [ "ipv6:2001:db8::57", "2001:db8::57" ],
    [ "[IPv6:2001:db8::58]", "2001:db8::58" ]) {
	my ($in, $addr) = @$t;
	is_deeply(lines("-t", "5", $NODNS, "host", $in, "26"),
	    [ "ok - -", "$addr 0 $addr 26" ], "literal $in: no DNS");
}
is_deeply(lines("-t", "5", $NODNS, "mx", "[192.0.2.59]", "25"),
    [ "ok - -", "192.0.2.59 0 192.0.2.59 25" ],
    "a domain literal: its address, no MX");
is_deeply(lines("-t", "5", $NODNS, "host", "ipv6:192.0.2.1", "25"),
    [ "permfail 5.1.2 Host or domain name not found" ],
    "ipv6: with an IPv4 address: refused");

# ------------------------------------------------------------ caps
{
	my $l = lines($FWD, "mx", "addrcap.example", "25");
	shift @$l;
	is(scalar(@$l), 10, "at most 10 addresses");
	# the order inside an RRset is the server's (and libunbound rotates)
	my @a = map { (split / /)[2] } @$l;
	my @groups = map { join(",", sort @a[@$_]) } [0, 1], [2, 3], [4, 5],
	    [6, 7], [8, 9];
	is_deeply(\@groups,
	    [ "2001:db8::11,2001:db8::21", "192.0.2.11,192.0.2.21",
	      "2001:db8::12,2001:db8::22", "192.0.2.12,192.0.2.22",
	      "2001:db8::13,2001:db8::23" ],
	    "by preference, each host IPv6 then IPv4, cut at 10");
	$l = lines($FWD, "mx", "hostcap.example", "25");
	shift @$l;
	is_deeply([ map { (split / /)[0] } @$l ],
	    [ map { "h$_.hostcap.example" } 1 .. 5 ], "at most 5 hosts");
}

# ------------------------------------------------------------ cancel
is_deeply(lines("-c", $FWD, "mx", "pref.example", "25"), [ "cancelled" ],
    "cancelled at once: never called back");
is_deeply(lines("-c", $NODNS, "host", "192.0.2.1", "25"), [ "cancelled" ],
    "a literal cancelled: never called back");
{
	my ($rc, $l, $err) = probe("not-an-address", "mx", "x.example", "25");
	is($rc, 2, "a bad forwarder: exit 2");
	like($err, qr/not ADDRESS\[\@PORT\]: not-an-address/, "a bad forwarder: why");
}

my $dns_pid = $dns->pid;
$dns->stop;
ok(!kill(0, $dns_pid), "the fake server stopped");
close $mute;
done_testing();

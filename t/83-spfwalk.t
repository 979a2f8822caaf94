# 83-spfwalk.t: `smtpctl spf walk` against a fake DNS server on loopback
# (t/lib/FakeDns.pm: Net::DNS::Nameserver forked on a free UDP+TCP port,
# stopped by PID), reached through SMTPCTL_RESOLVER: ip4/ip6 and
# include:, a TXT record in several strings, qualifiers, an include loop,
# redirect= (and redirect= ignored beside "all"), a and mx with prefix
# lengths, macros, junk terms, a domain without SPF, NXDOMAIN, SERVFAIL,
# the depth bound of 10 and the input rules (blanks, duplicates, bad
# names). The output set is compared exactly, and each line must be
# printed once. Never uses the Internet.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CtlTest;
use FakeDns;

BEGIN {
	FakeDns::available()
	    or plan skip_all => "Net::DNS::Nameserver (libnet-dns-perl) missing";
}

# ------------------------------------------------------------ the zones
# Under example., not test.: libunbound answers test. itself (one of its
# default local zones, RFC 6761) without asking the forwarder.
my %ZONE = (
	'one.example' => { TXT => [
	    [ "v=spf1 ip4:192.0.2.0/24 ip6:2001:DB8::/32 include:two.example -all" ],
	    [ "google-site-verification=abc" ] ] },
	# one record in two strings, joined without a space between them
	'two.example' => { TXT => [ [ "v=spf1 ip4:198.51.100.1 ?ip4:198.51.",
	    "100.2 -ip4:203.0.113.99 ~ip6:2001:db8:dead::1 ip4:192.0.2.0/24 ~all" ] ] },
	'loop1.example' => { TXT => [ [ "v=spf1 include:loop2.example ip4:10.0.0.1 -all" ] ] },
	'loop2.example' => { TXT => [ [ "V=SPF1 +include:LOOP1.example. ip4:10.0.0.2 -all" ] ] },
	'redir.example' => { TXT => [ [ "v=spf1 ip4:10.1.0.1 redirect=target.example" ] ] },
	'target.example' => { TXT => [ [ "v=spf1 ip4:10.2.0.0/16 -all" ] ] },
	'redirall.example' => { TXT => [ [ "v=spf1 ip4:10.1.1.1 redirect=never.example -all" ] ] },
	'never.example' => { TXT => [ [ "v=spf1 ip4:10.66.0.1 -all" ] ] },
	'amx.example' => {
	    TXT => [ [ "v=spf1 a a:host.amx.example/28 mx/24//64 mx:other.example -a:other.example ~all" ] ],
	    A => [ "10.3.0.1" ], MX => [ [ 10, "mx1.amx.example" ] ] },
	'host.amx.example' => { A => [ "10.3.1.5" ], AAAA => [ "2001:db8:3::5" ] },
	'mx1.amx.example' => { A => [ "10.3.2.1" ], AAAA => [ "2001:db8:3::1" ] },
	'other.example' => { MX => [ [ 5, "mx.other.example" ], [ 10, "mx2.other.example" ] ],
	    A => [ "10.66.0.2" ] },
	'mx.other.example' => { A => [ "10.4.0.1" ] },
	'mx2.other.example' => { AAAA => [ "2001:db8:4::2" ] },
	'macro.example' => { TXT => [ [ "v=spf1 include:%{d}._spf.macro.example exists:%{i}.x.example a:%{h} ip4:10.5.0.1 -all" ] ] },
	'nospf.example' => { TXT => [ [ "just some text" ], [ "v=spf10 ip4:10.66.0.3" ] ] },
	'junk.example' => { TXT => [ [ "v=spf1 ip4:300.1.1.1 foo:bar ip4:10.6.0.1 a:/33 mx//129 ptr -all" ] ] },
	'brokeninc.example' => { TXT => [ [ "v=spf1 include:nx-inc.example include:fail.example ip4:10.7.0.1" ] ] },
	'fail.example' => { FAIL => 1 },
	'two-records.example' => { TXT => [ [ "v=spf1 ip4:10.8.0.1 -all" ], [ "v=spf1 ip4:10.8.0.2 -all" ] ] },
);
# d0 includes d1 ... d11: only ten levels of include are followed
$ZONE{"d$_.example"} = { TXT => [ [ "v=spf1 include:d" . ($_ + 1) . ".example ip4:10.9.0.$_" ] ] }
    for 0 .. 11;

my $dns = FakeDns->new(zone => \%ZONE);
my $port = $dns->port;

my %ENVDNS = (SMTPCTL_RESOLVER => "127.0.0.1\@$port");

sub walk {
	my ($input, %o) = @_;
	return CtlTest::ctl({ env => $o{env} // \%ENVDNS, stdin => $input },
	    @{ $o{words} // [ "spf", "walk" ] });
}

sub lines { return sort split /\n/, $_[0] }

# ------------------------------------------------------------ the walk
{
	my $input = join("\n", "one.example", "  loop1.example  ", "", "   ",
	    "redir.example", "redirall.example", "amx.example", "macro.example",
	    "nospf.example", "junk.example", "brokeninc.example", "nx.example",
	    "fail.example", "two-records.example", "d0.example", "ONE.example.",
	    "not..valid") . "\n";
	my ($rc, $out, $err) = walk($input);
	is($rc, 0, "spf walk: exit 0");
	my @want = (
	    "192.0.2.0/24", "2001:db8::/32",		# one.example, canonical
	    "198.51.100.1", "198.51.100.2",		# two.example in 2 strings
	    "10.0.0.1", "10.0.0.2",			# the include loop
	    "10.1.0.1", "10.2.0.0/16",			# redirect=
	    "10.1.1.1",					# redirect= beside all
	    "10.3.0.1", "10.3.1.5/28", "2001:db8:3::5",	# a, a:/28
	    "10.3.2.1/24", "2001:db8:3::1/64",		# mx/24//64
	    "10.4.0.1", "2001:db8:4::2",		# mx:other.example
	    "10.5.0.1", "10.6.0.1", "10.7.0.1",
	    "10.8.0.1", "10.8.0.2",
	    map { "10.9.0.$_" } 0 .. 10);
	my @got = lines($out);
	is_deeply(\@got, [ sort @want ], "spf walk: the output set")
	    or diag("stdout:\n$out\nstderr:\n$err");
	my %n;
	$n{$_}++ for @got;
	is(scalar(grep { $n{$_} > 1 } keys %n), 0, "each line printed once");
	unlike($out, qr/ip[46]:/, "bare addresses, as OpenSMTPD prints them");
	unlike($out, qr/203\.0\.113\.99|dead::1|10\.66\./,
	    "- and ~ terms, redirect beside all, v=spf10 not walked");
	unlike($out, qr/10\.9\.0\.11/, "include depth bounded at 10");

	like($err, qr/^smtpctl: spf walk: macro\.example: skipped "include:%\{d\}\._spf\.macro\.example": a macro/m,
	    "a macro: warning");
	like($err, qr/^smtpctl: spf walk: macro\.example: skipped "a:%\{h\}"/m,
	    "a:%{h}: warning");
	unlike($err, qr/exists:/, "exists: ignored without a word");
	like($err, qr/^smtpctl: spf walk: nx\.example TXT: no such domain$/m,
	    "NXDOMAIN: warning");
	like($err, qr/^smtpctl: spf walk: nx-inc\.example TXT: no such domain$/m,
	    "include of a missing domain: warning");
	like($err, qr/^smtpctl: spf walk: fail\.example TXT: lookup failed: SERVFAIL$/m,
	    "SERVFAIL: warning, once although asked twice");
	is(scalar(() = $err =~ /fail\.example TXT: lookup failed/g), 1,
	    "fail.example asked once");
	like($err, qr/^smtpctl: spf walk: nospf\.example: no SPF record$/m,
	    "no SPF record: warning");
	like($err, qr/^smtpctl: spf walk: junk\.example: ignored "ip4:300\.1\.1\.1": bad address$/m,
	    "junk ip4: warning");
	like($err, qr/^smtpctl: spf walk: junk\.example: ignored "foo:bar": unknown mechanism$/m,
	    "unknown mechanism: warning");
	like($err, qr/^smtpctl: spf walk: junk\.example: ignored "a:\/33"/m,
	    "a bad prefix length: warning");
	like($err, qr/^smtpctl: spf walk: junk\.example: ignored "mx\/\/129"/m,
	    "a bad ip6 prefix length: warning");
	like($err, qr/^smtpctl: spf walk: two-records\.example: 2 SPF records/m,
	    "two SPF records: warning, both walked");
	like($err, qr/^smtpctl: spf walk: d10\.example: skipped "include:d11\.example": more than 10 levels/m,
	    "depth: warning");
	like($err, qr/^smtpctl: spf walk: "not\.\.valid": not a domain name$/m,
	    "a bad input line: warning");
	unlike($err, qr/loop[12]/, "the loop is silent: each domain once");
	is(scalar(grep { !/^smtpctl: spf walk: / } split /\n/, $err), 0,
	    "stderr holds warnings only")
	    or diag($err);
}

# ------------------------------------------------------------ input rules
{
	my ($rc, $out, $err) = walk("");
	is($rc, 0, "empty input: exit 0");
	is($out, "", "empty input: no output");
	is($err, "", "empty input: no warning");

	($rc, $out, $err) = walk("\n  \n\t\n");
	is($rc, 0, "blank lines only: exit 0");
	is($out . $err, "", "blank lines only: nothing");

	($rc, $out, $err) = walk("target.example", words => [ "sp", "w" ]);
	is($rc, 0, "sp w = spf walk, no final newline");
	is($out, "10.2.0.0/16\n", "sp w: the record walked");

	# the system resolver is set up, but nothing is asked
	($rc, $out, $err) = walk("", env => {});
	is($rc, 0, "system resolver, empty input: exit 0");
	is($out, "", "system resolver, empty input: no output");

	($rc, $out, $err) = walk("one.example\n",
	    env => { SMTPCTL_RESOLVER => "not-an-address" });
	is($rc, 1, "bad SMTPCTL_RESOLVER: exit 1");
	like($err, qr/^smtpctl: spf walk: SMTPCTL_RESOLVER: not ADDRESS\[\@PORT\]: not-an-address$/m,
	    "bad SMTPCTL_RESOLVER: message");
	is($out, "", "bad SMTPCTL_RESOLVER: no output");

	($rc, $out, $err) = walk("one.example\n",
	    env => { SMTPCTL_RESOLVER => "127.0.0.1\@70000" });
	is($rc, 1, "SMTPCTL_RESOLVER with a bad port: exit 1");

	($rc, $out, $err) = walk("", words => [ "spf", "walk", "extra" ]);
	is($rc, 255, "words after spf walk: exit 255");
	is($err, "invalid command\n", "words after spf walk: invalid command");
}

$dns->stop;
done_testing();

# 97-relay-ctl.t: the relay role's smtpctl commands (smtpctl(8) "RELAY
# STATE") against a daemon relaying by MX to scripted servers on
# 127.0.0.x (t/lib/FakeDns.pm, t/lib/ScriptSmtp.pm, `mta resolver`,
# `mta port`): a delivery that succeeds and one that fails at connection
# level (nothing listens); show routes has the failed route disabled with
# a penalty, show hosts both addresses, show hoststats both domains with
# their last status, show relays the held destination; -j parses;
# resume route re-enables the route and `schedule all` then delivers once
# a server listens there; a disabled route is skipped for the next MX
# (its server sees no second connection); resume route with an unknown
# id fails.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use CtlTest;
use FakeDns;
use ScriptSmtp;
use SmtpClient;
use SmtpdTest;

plan skip_all => "Net::DNS::Nameserver (libnet-dns-perl) missing"
    unless FakeDns::available();
plan skip_all => "smtpctl needs root" unless SmtpdTest::is_root();
my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;

my $d = SmtpdTest->new(no_conf => 1);
my $dir = $d->dir;

my $ok = ScriptSmtp->new(dir => "$dir/srv-ok", host => "127.0.0.2");
my $port = $ok->port;
# two.example: the first MX refuses with 421, the second takes the mail
my $busy = ScriptSmtp->new(dir => "$dir/srv-busy", host => "127.0.0.4",
    port => $port, greeting => "421 4.3.2 busy, try later");
my $second = ScriptSmtp->new(dir => "$dir/srv-second", host => "127.0.0.5",
    port => $port);
my $down;	# 127.0.0.3: nothing listens there at first

my %ZONE = (
	'ok.example' => { MX => [ [ 10, 'mx.ok.example' ] ] },
	'mx.ok.example' => { A => [ '127.0.0.2' ] },
	'down.example' => { MX => [ [ 10, 'mx.down.example' ] ] },
	'mx.down.example' => { A => [ '127.0.0.3' ] },
	'two.example' => { MX => [ [ 10, 'mx1.two.example' ], [ 20, 'mx2.two.example' ] ] },
	'mx1.two.example' => { A => [ '127.0.0.4' ] },
	'mx2.two.example' => { A => [ '127.0.0.5' ] },
);
my $dns = FakeDns->new(zone => \%ZONE);

$d->write_conf(<<EOF);
mta resolver ${\ $dns->forwarder }
mta port $port
listen on 127.0.0.1 port \@PORT\@
action "local" maildir "\@DIR\@/mail/%{user.username}/Maildir"
action "out" relay
match from any for domain "example.org" action "local"
match from any for any action "out"
EOF
$d->shared_dirs("mail");
$d->start;
my $conf = { env => { SMTPD_CONF => $d->conf_path } };
sub ctl { return CtlTest::ctl($conf, @_) }

my $c = SmtpClient->new($d->port);
$c->cmd("EHLO client.example");
my $from = "$user\@example.org";
sub send_to {
	my ($to) = @_;
	return $c->mail($from, $to, "Subject: to $to\r\n\r\nhello\r\n");
}
sub lines {
	my ($rc, $out, $err) = ctl(@_);
	is($rc, 0, "smtpctl @_: exit 0") or diag $err;
	return split /\n/, $out;
}
sub quiet_lines { my (undef, $out) = ctl(@_); return split /\n/, $out }

# ------------------------------------------------------------ empty
{
	my ($rc, $out, $err) = ctl("show", "routes");
	is("$rc|$out|$err", "0||", "show routes: nothing yet");
	($rc, $out, $err) = ctl("-j", "show", "hosts");
	is("$rc|$out", "0|[]\n", "show hosts -j: an empty array");
}

# ------------------------------------------------------------ one ok, one down
like(send_to('a@ok.example'), qr/^250 /, "accepted for ok.example");
ok($ok->wait_transactions(1, 20), "delivered to 127.0.0.2");
like(send_to('b@down.example'), qr/^250 /, "accepted for down.example");
ok($d->wait_log(qr/relay event=delivery rcpt=<b\@down\.example> host=\S+ result=TempFail/, 20),
    "nothing listens on 127.0.0.3: deferred");
ok($d->wait_log(qr/relay event=route-disabled route=\d+ host=mx\.down\.example penalty=1 for=60s/),
    "the route is disabled for 60s");

my @routes = lines("show", "routes");
my ($okr) = grep { /<-> 127\.0\.0\.2 / } @routes;
my ($downr) = grep { /<-> 127\.0\.0\.3 / } @routes;
like($okr // '', qr/^\d+\. \[\] <-> 127\.0\.0\.2 \(mx\.ok\.example\) -[-D][-Q][-K] nconn=[01] nerror=0 penalty=0 timeout=\S+$/,
    "show routes: the working route, established") or diag explain \@routes;
like($downr // '', qr/^\d+\. \[\] <-> 127\.0\.0\.3 \(mx\.down\.example\) ND-- nconn=0 nerror=1 penalty=1 timeout=(?:1m|[1-5]?\ds)$/,
    "show routes: the failed route new, disabled, penalty 1, about a minute left")
    or diag explain \@routes;
my ($downid) = ($downr // '') =~ /^(\d+)\./;

my @hosts = lines("show", "hosts");
ok((grep { /^127\.0\.0\.2 mx\.ok\.example refcount=1 nconn=[01] lastconn=\d+s$/ } @hosts),
    "show hosts: 127.0.0.2") or diag explain \@hosts;
ok((grep { /^127\.0\.0\.3 mx\.down\.example refcount=1 nconn=0 lastconn=\d+s$/ } @hosts),
    "show hosts: 127.0.0.3");
is_deeply([ map { /^(\S+)/ } @hosts ], [ '127.0.0.2', '127.0.0.3' ],
    "show hosts: in address order");

my @hs = lines("show", "hoststats");
my $now = time;
ok((grep { /^ok\.example\|(\d+)\|250 / && abs($1 - $now) < 60 } @hs),
    "show hoststats: ok.example, the 250 reply") or diag explain \@hs;
ok((grep { /^down\.example\|\d+\|4\.\d+\.\d+ / } @hs),
    "show hoststats: down.example, a temporary failure");

my @rel = lines("show", "relays");
note("show routes:\n", join("\n", @routes), "\nshow hosts:\n", join("\n", @hosts),
    "\nshow hoststats:\n", join("\n", @hs), "\nshow relays:\n", join("\n", @rel));
my $i = 0;
$i++ while $i < @rel && $rel[$i] !~ /^\[relay:down\.example,/;
like($rel[$i] // '', qr/^\[relay:down\.example,port=$port,smtp,action=out\] refcount=0 ntask=0 nconn=0 lastconn=\d+s timeout=[0-9dhms]+ wait=ONHOLD$/,
    "show relays: down.example held") or diag explain \@rel;
like($rel[$i + 1] // '', qr/^  connector \[\] refcount=1 nconn=0 lastconn=\d+s timeout=- flags=NEW,ERROR_ROUTE_NET$/,
    "show relays: its connector");

# ------------------------------------------------------------ -j
{
	my ($rc, $out) = ctl("-j", "show", "routes");
	my $j = eval { decode_json($out) };
	ok($j, "show routes -j: JSON") or diag $out;
	my ($r) = grep { $_->{address} eq '127.0.0.3' } @{ $j // [] };
	is_deeply($r && { map { $_ => $r->{$_} } qw(id source hostname flags nconn nerror penalty) },
	    { id => $downid, source => '', hostname => 'mx.down.example', flags => 'ND--',
	      nconn => 0, nerror => 1, penalty => 1 }, "show routes -j: the fields");
	($rc, $out) = ctl("-j", "show", "relays");
	$j = eval { decode_json($out) };
	($r) = grep { $_->{relay} =~ /^\[relay:down\.example,/ } @{ $j // [] };
	is($r && $r->{wait}, 'ONHOLD', "show relays -j: wait") or diag $out;
	is($r && $r->{connectors}[0]{flags}, 'NEW,ERROR_ROUTE_NET', "show relays -j: connector");
	($rc, $out) = ctl("-j", "show", "hoststats");
	$j = eval { decode_json($out) };
	($r) = grep { $_->{domain} eq 'ok.example' } @{ $j // [] };
	like($r && $r->{status}, qr/^250 /, "show hoststats -j: status") or diag $out;
	ok($r && $r->{time} =~ /^\d+$/, "show hoststats -j: time a number");
	($rc, $out) = ctl("-j", "show", "hosts");
	$j = eval { decode_json($out) };
	is(scalar @{ $j // [] }, 2, "show hosts -j: two hosts") or diag $out;
}

# ------------------------------------------------------------ resume route
{
	my ($rc, $out, $err) = ctl("resume", "route", "999999");
	is("$rc|$out", "1|command failed: no such route\n", "resume route: unknown id");
	($rc, $out, $err) = ctl("resume", "route", "1f");
	is($rc, 255, "resume route: a route id is decimal");
}
$down = ScriptSmtp->new(dir => "$dir/srv-down", host => "127.0.0.3", port => $port);
{
	my ($rc, $out, $err) = ctl("resume", "route", $downid // 0);
	is("$rc|$out", "0|command succeeded\n", "resume route ID") or diag $err;
	my ($r) = grep { /<-> 127\.0\.0\.3 / } lines("show", "routes");
	like($r // '', qr/^$downid\. \[\] <-> 127\.0\.0\.3 \(mx\.down\.example\) N-Q- nconn=0 nerror=0 penalty=0 timeout=\S+$/,
	    "the route is enabled, penalty gone") or diag $r;
	($rc, $out) = ctl("schedule", "all");
	is("$rc|$out", "0|1 envelope scheduled\n", "schedule all");
	ok($down->wait_transactions(1, 20), "delivered to 127.0.0.3 now");
	ok(SmtpdTest::wait_for(sub { grep { /^down\.example\|\d+\|250 / } quiet_lines("show", "hoststats") }, 10),
	    "show hoststats: down.example's last status is now the 250");
	($r) = grep { /<-> 127\.0\.0\.3 / } lines("show", "routes");
	like($r // '', qr/^$downid\. \[\] <-> 127\.0\.0\.3 \(mx\.down\.example\) --[-Q][-K] nconn=[01] nerror=0 penalty=0 /,
	    "the route established") or diag $r;
}

# ------------------------------------------------------------ skipped route
like(send_to('c@two.example'), qr/^250 /, "accepted for two.example");
ok($second->wait_transactions(1, 20), "delivered by the second MX");
is($busy->connections, 1, "after the first answered 421");
my ($busyr) = grep { /<-> 127\.0\.0\.4 / } lines("show", "routes");
like($busyr // '', qr/ ND-- nconn=0 nerror=1 penalty=1 timeout=/, "the 421 route disabled")
    or diag $busyr;
# the session ends after 2 idle seconds and the destination is forgotten:
# the next message resolves again and walks the MX list from the start
ok(SmtpdTest::wait_for(sub { !grep { /^\[relay:two\.example,/ } quiet_lines("show", "relays") }, 15),
    "two.example's destination is gone once idle");
like(send_to('d@two.example'), qr/^250 /, "accepted for two.example again");
ok($second->wait_transactions(2, 20), "delivered by the second MX again");
is($busy->connections, 1, "the disabled route was skipped: no new connection");

$c->cmd("QUIT");
diag("relay log:\n", grep { /relay|control/ } split /^/m, $d->log)
    unless Test::More->builder->is_passing;
$d->stop;
$_->stop for grep { defined } $ok, $busy, $second, $down;
$dns->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

# 96-relay-mx.t: the relay client by MX (protocol.md B.2 to B.4), end to
# end: our smtpd resolves through a fake DNS server on loopback
# (t/lib/FakeDns.pm, `mta resolver`) and relays to scripted SMTP servers
# (t/lib/ScriptSmtp.pm) on 127.0.0.x addresses sharing one port (`mta
# port`). MX preference; a 421 greeting falls back to the next MX;
# implicit MX; null MX bounces without a connection; 550 to RCPT bounces
# with the server's reply in the report (Diagnostic-Code: smtp); 451 to
# RCPT defers with the reply kept; odd multi-line replies; a connection
# dropped in DATA defers; a slow reply within the timeout delivers; a
# a failed opportunistic handshake retried in plaintext; 452 4.5.3 sends
# the rest in a new transaction; at most 100 recipients per
# transaction; at most 10
# sessions to a destination at once; a pipelined
# transaction with two recipients, one refused, in one write;
# and a capture byte-compared with the original (dot lines, 8-bit body,
# a 998-octet line, a bare CR written into the queued body).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use CtlTest;
use FakeDns;
use ScriptSmtp;
use SmtpClient;
use SmtpdTest;

plan skip_all => "Net::DNS::Nameserver (libnet-dns-perl) missing"
    unless FakeDns::available();
my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;

my $d = SmtpdTest->new(no_conf => 1);
my $dir = $d->dir;

# ------------------------------------------------------------ servers
# One scripted server per 127.0.0.x, all on the first one's port.
my %srv;
my $port;
sub server {
	my ($name, $last, %o) = @_;
	my $s = ScriptSmtp->new(dir => "$dir/srv-$name", host => "127.0.0.$last",
	    (defined $port ? (port => $port) : ()), %o);
	$port //= $s->port;
	$srv{$name} = $s;
	return $s;
}
server("mx1", 2, greeting => "421 4.3.2 mx1 busy, try later");
server("mx2", 3);
server("pref1", 4);
server("implicit", 5);
server("bounce", 6, rules => [ { cmd => qr/^RCPT/i,
    reply => "550 5.1.1 <nobody\@bounce.example>: no such user here" } ]);
server("defer", 7, rules => [ { cmd => qr/^RCPT/i,
    reply => "451 4.3.0 greylisted, come back later" } ]);
server("multi", 8, rules => [ { cmd => qr/^RCPT/i,
    raw => "250-first\r\n250-\r\n250 2.1.5 fine\r\n" } ]);
server("drop", 9, rules => [ { cmd => qr/^DATA$/i, drop_in_data => 20 } ]);
server("slow", 10, rules => [ { cmd => qr/^DATA-END$/, sleep => 2,
    reply => "250 2.0.0 slow but fine" } ]);
server("pipe", 11, rules => [ { cmd => qr/^RCPT TO:<two\@/i,
    reply => "550 5.1.1 second refused" } ]);
server("capture", 12);
# a second recipient is one too many
server("many", 15, rules => [ { cmd => qr/^RCPT/i, nth => 2,
    reply => "452 4.5.3 Too many recipients" } ]);
# a message for 105 recipients
server("hundred", 16);
# every end of data answered after 3 s: sessions pile up to the limit
server("conc", 14, rules => [ { cmd => qr/^DATA-END$/, sleep => 3 } ]);
# STARTTLS offered and accepted, then no TLS at all: the handshake fails
server("tlsfail", 13, ext => [ 'PIPELINING', '8BITMIME', 'STARTTLS' ],
    rules => [ { cmd => qr/^STARTTLS/i, reply => "220 2.0.0 go ahead" } ]);

my %ZONE = (
	'mx.example' => { MX => [ [ 10, 'mx1.mx.example' ], [ 20, 'mx2.mx.example' ] ] },
	'mx1.mx.example' => { A => [ '127.0.0.2' ] },
	'mx2.mx.example' => { A => [ '127.0.0.3' ] },
	'pref.example' => { MX => [ [ 20, 'mx2.mx.example' ], [ 5, 'p1.pref.example' ] ] },
	'p1.pref.example' => { A => [ '127.0.0.4' ] },
	'implicit.example' => { A => [ '127.0.0.5' ] },
	'null.example' => { MX => [ [ 0, '.' ] ] },
	'bounce.example' => { MX => [ [ 10, 'h.bounce.example' ] ] },
	'h.bounce.example' => { A => [ '127.0.0.6' ] },
	'defer.example' => { A => [ '127.0.0.7' ] },
	'multi.example' => { A => [ '127.0.0.8' ] },
	'drop.example' => { A => [ '127.0.0.9' ] },
	'slow.example' => { A => [ '127.0.0.10' ] },
	'pipe.example' => { A => [ '127.0.0.11' ] },
	'capture.example' => { A => [ '127.0.0.12' ] },
	'tlsfail.example' => { A => [ '127.0.0.13' ] },
	'conc.example' => { A => [ '127.0.0.14' ] },
	'many.example' => { A => [ '127.0.0.15' ] },
	'hundred.example' => { A => [ '127.0.0.16' ] },
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
my $new = "$dir/mail/$user/Maildir/new";
my $ctlconf = { env => { SMTPD_CONF => $d->conf_path } };

my $c = SmtpClient->new($d->port);
$c->cmd("EHLO client.example");
my $from = "$user\@example.org";

sub send_to {
	my ($to, $body) = @_;
	return $c->mail($from, $to, $body // "Subject: to $to\r\n\r\nhello\r\n");
}
sub reports { return map { SmtpdTest::slurp($_) } SmtpdTest::maildir_files($new) }
sub report_for {
	my ($rcpt) = @_;
	my $found;
	SmtpdTest::wait_for(sub {
		($found) = grep { /Final-Recipient: rfc822; \Q$rcpt\E/ } reports();
		defined $found }, 20);
	return $found // '';
}
sub envelope_texts {
	return join "\n", map { SmtpdTest::slurp($_) }
	    map { @{ $_->{envelopes} } } values %{ $d->queued };
}

# ------------------------------------------------------------ MX order
like(send_to('a@mx.example'), qr/^250 /, "accepted for mx.example");
ok($srv{mx2}->wait_transactions(1, 20), "delivered by the second MX");
ok($srv{mx1}->connections >= 1, "after the first MX answered 421");
is($srv{mx1}->transactions, 0, "the first MX got no transaction");

like(send_to('b@pref.example'), qr/^250 /, "accepted for pref.example");
ok($srv{pref1}->wait_transactions(1, 20),
    "delivered to the preferred MX (5 before 20)");
is($srv{mx2}->transactions, 1, "the backup MX was not used");

like(send_to('c@implicit.example'), qr/^250 /, "accepted for implicit.example");
ok($srv{implicit}->wait_transactions(1, 20), "implicit MX: the domain's A");

# ------------------------------------------------------------ failures
like(send_to('d@null.example'), qr/^250 /, "accepted for null.example");
my $rep = report_for('d@null.example');
like($rep, qr/Status: 5\.1\.10/, "null MX: a failure report 5.1.10");
like($rep, qr/null MX/, "saying so");

like(send_to('nobody@bounce.example'), qr/^250 /, "accepted for bounce.example");
$rep = report_for('nobody@bounce.example');
like($rep, qr/Action: failed\r?\nStatus: 5\.1\.1\r?\n/, "550 5.1.1 to RCPT: failed, 5.1.1");
like($rep, qr/Diagnostic-Code: smtp; 550 5\.1\.1 <nobody\@bounce\.example>: no\s+such user here/,
    "the server's reply as an smtp diagnostic");
like($rep, qr/\nRemote-MTA: dns; h\.bounce\.example\r?\n/, "from that server (Remote-MTA)");
unlike(report_for('d\@null.example'), qr/Remote-MTA/, "none when no server replied");

like(send_to('e@defer.example'), qr/^250 /, "accepted for defer.example");
ok($d->wait_log(qr/relay event=delivery rcpt=<e\@defer\.example> host=\S+ result=TempFail text="451 4\.3\.0 greylisted/),
    "451 to RCPT: deferred");
ok(SmtpdTest::wait_for(sub { envelope_texts() =~ /451 4\.3\.0 greylisted, come back later/ }),
    "the reply kept in the envelope (show queue's error)");

like(send_to('f@multi.example'), qr/^250 /, "accepted for multi.example");
ok($d->wait_log(qr/relay event=delivery rcpt=<f\@multi\.example> host=\S+ result=Ok/),
    "odd multi-line RCPT reply read whole: delivered");
ok($srv{multi}->wait_transactions(1, 10), "the server has the transaction");

like(send_to('g@drop.example', "Subject: dropped\r\n\r\n" . ("x" x 200) . "\r\n"),
    qr/^250 /, "accepted for drop.example");
ok($d->wait_log(qr/relay event=delivery rcpt=<g\@drop\.example> host=\S+ result=TempFail text="4\.4\.2 /),
    "connection lost in DATA: deferred 4.4.2");

like(send_to('h@slow.example'), qr/^250 /, "accepted for slow.example");
ok($d->wait_log(qr/relay event=delivery rcpt=<h\@slow\.example> host=\S+ result=Ok text="250 2\.0\.0 slow but fine"/, 20),
    "a slow end-of-data reply within the timeout: delivered");

# ------------------------------------------------------------ TLS fallback
like(send_to('i@tlsfail.example'), qr/^250 /, "accepted for tlsfail.example");
ok($srv{tlsfail}->wait_transactions(1, 20),
    "a failed opportunistic handshake: delivered in plaintext");
is($srv{tlsfail}->connections, 2, "on a second connection");
like($srv{tlsfail}->log(1), qr/< STARTTLS/, "the first one tried STARTTLS");
unlike($srv{tlsfail}->log(2), qr/< STARTTLS/, "the second did not");
like($d->log, qr/relay event=tls-fallback host=tlsfail\.example /,
    "the host is remembered for plaintext");

# ------------------------------------------------------------ 452 4.5.3
{
	$c->cmd("MAIL FROM:<$from>");
	$c->cmd("RCPT TO:<x1\@many.example>");
	$c->cmd("RCPT TO:<x2\@many.example>");
	$c->cmd("DATA");
	like($c->cmd("Subject: many\r\n\r\nbody\r\n."), qr/^250 /,
	    "accepted for two many.example recipients");
	ok($srv{many}->wait_transactions(2, 20),
	    "452 4.5.3: the rest in a second transaction");
	is($srv{many}->connections, 1, "on the same connection");
	ok($d->wait_log(qr/rcpt=<x1\@many\.example> host=\S+ result=Ok/) &&
	    $d->wait_log(qr/rcpt=<x2\@many\.example> host=\S+ result=Ok/),
	    "both delivered");
}

# ------------------------------------------------------------ 100 per transaction
{
	$c->cmd("MAIL FROM:<$from>");
	my $ok = 0;
	for my $i (1 .. 105) {
		$ok++ if $c->cmd("RCPT TO:<r$i\@hundred.example>") =~ /^250 /;
	}
	is($ok, 105, "105 recipients accepted");
	$c->cmd("DATA");
	like($c->cmd("Subject: hundred\r\n\r\nbody\r\n."), qr/^250 /, "and the message");
	# how the 105 are split depends on when their envelopes arrive
	my $h = $srv{hundred};
	my @n;
	SmtpdTest::wait_for(sub {
		@n = map { scalar @{ $h->envelope($_)->{rcpts} } }
		    1 .. $h->transactions;
		my $sum = 0;
		$sum += $_ for @n;
		$sum == 105 }, 30);
	my $sum = 0;
	$sum += $_ for @n;
	is($sum, 105, "all relayed, in " . scalar(@n) . " transactions");
	ok(!grep({ $_ > 100 } @n), "none with more than 100 recipients (B.3 item 5)")
	    or diag "@n";
}

# ------------------------------------------------------------ concurrency
{
	my $n = 14;
	for my $i (1 .. $n) {
		send_to("c$i\@conc.example") =~ /^250 / or fail("message $i");
	}
	my $srv = $srv{conc};
	my $open = sub {
		my $c = $srv->connections;
		return $c - grep { $srv->closed($_) } 1 .. $c;
	};
	my $peak = 0;
	my $deadline = time + 8;
	while (time < $deadline && $srv->transactions < $n) {
		my $o = $open->();
		$peak = $o if $o > $peak;
		sleep 0.1;
	}
	ok($srv->wait_transactions($n, 20), "all $n messages relayed");
	ok($peak > 1, "in parallel ($peak sessions at once)");
	ok($peak <= 10, "never more than 10 sessions to one destination");
}

# ------------------------------------------------------------ pipelining
{
	$c->cmd("MAIL FROM:<$from>");
	$c->cmd("RCPT TO:<one\@pipe.example>");
	$c->cmd("RCPT TO:<two\@pipe.example>");
	$c->cmd("DATA");
	like($c->cmd("Subject: pipelined\r\n\r\nbody\r\n."), qr/^250 /,
	    "accepted for two pipe.example recipients");
	ok($srv{pipe}->wait_transactions(1, 20), "one transaction");
	my $env = $srv{pipe}->envelope(1);
	is(scalar @{ $env->{rcpts} }, 2, "with both recipients");
	my @reads = $srv{pipe}->reads(1);
	# the envelopes reach the relay in any order: so do the RCPTs
	ok((grep { /\AMAIL FROM:<\Q$from\E>[^\r]*\r\n(?:RCPT TO:<(?:one|two)\@pipe\.example>[^\r]*\r\n){2}DATA\r\n\z/ } @reads),
	    "MAIL, both RCPTs and DATA in one write (PIPELINING)")
	    or diag explain \@reads;
	ok($d->wait_log(qr/rcpt=<one\@pipe\.example> host=\S+ result=Ok/), "the first delivered");
	$rep = report_for('two@pipe.example');
	like($rep, qr/Diagnostic-Code: smtp; 550 5\.1\.1 second refused/, "the second bounced");
}

# ------------------------------------------------------------ capture
SKIP: {
	skip "pause mta needs smtpctl as root", 6 unless SmtpdTest::is_root();
	my ($rc, $out, $err) = CtlTest::ctl($ctlconf, "pause", "mta");
	is($rc, 0, "pause mta") or diag $err;
	my $long = "L" x 998;
	my $body = "Subject: capture\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	    . "..leading dot\r\n...two dots\r\n..\r\n"
	    . "caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac\r\n"
	    . "$long\r\n"
	    . "a bare Q here\r\n"
	    . "last line\r\n";
	$c->cmd("MAIL FROM:<$from> BODY=8BITMIME");
	$c->cmd("RCPT TO:<cap\@capture.example>");
	$c->cmd("DATA");
	$c->send($body . ".\r\n");
	like($c->reply, qr/^250 /, "an 8-bit message accepted while paused");
	# A bare CR in the queued body, written into the spool file.
	my ($q) = grep { $_->{message} =~ /Subject: capture/ } values %{ $d->queued };
	my $file = $q ? "$q->{dir}/message" : '';
	my $m = SmtpdTest::slurp($file);
	(my $cr = $m) =~ s/a bare Q here/a bare \r here/;
	ok($q && $cr ne $m && length $cr == length $m, "a bare CR put in the queued body")
	    or diag "queued: ", scalar(keys %{ $d->queued }), " file=$file [$m]";
	if (open(my $fh, '+<', $file)) {
		print $fh $cr;
		close $fh;
	}
	($rc, $out, $err) = CtlTest::ctl($ctlconf, "resume", "mta");
	is($rc, 0, "resume mta") or diag $err;
	ok($srv{capture}->wait_transactions(1, 20), "relayed");
	# what was queued (our Received: first), as it must be on the wire:
	# dot-stuffed, the bare CR made a line break, CRLF everywhere
	(my $want = $cr) =~ s/\r(?!\n)/\r\n/g;
	$want =~ s/(?<!\r)\n/\r\n/g;
	$want =~ s/^\./../mg;
	is($srv{capture}->data(1), $want, "the server got exactly that, byte for byte");
	like($srv{capture}->envelope(1)->{mail}, qr/BODY=8BITMIME/, "MAIL FROM with BODY=8BITMIME");
}

$c->cmd("QUIT");
diag("relay log:\n", grep { /relay/ } split /^/m, $d->log)
    unless Test::More->builder->is_passing;
$d->stop;
$_->stop for values %srv;
$dns->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

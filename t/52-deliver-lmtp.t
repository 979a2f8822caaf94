# 52-deliver-lmtp.t: deliver -L, the LMTP hand-off (doc/deliver.8,
# spec/delivery.md §7, protocol.md A.11 and B.4), against a scripted
# LMTP server (t/lib/ScriptSmtp.pm) on a UNIX socket or on 127.0.0.1,
# which records every byte it receives. Covers: the exact DATA bytes (CRLF,
# dot-stuffing, LF-only and bare-CR input, 8-bit with BODY=8BITMIME, no
# header added), per-recipient outcomes and the exit status rule, 4xx,
# 5xx, a server that closes in the middle of DATA, a multi-line LHLO
# reply, PIPELINING used only when offered, timeouts (-t), connection
# refused, malformed replies; as root, the connection is made as the
# user and uid 0 is refused. Every server is stopped by PID. Last, the
# daemon's `lmtp` action: one smtpd hands a message over to the LMTP
# listener of a second one, which delivers it to a Maildir.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use ScriptSmtp;
use SmtpdTest;
use SmtpClient;

my $deliver = SmtpdTest::build() . "/deliver";
my $root = SmtpdTest::is_root();
my $user;
if ($root) {
	$user = 'dtest1';
	unless (defined getpwnam($user)) {
		system('useradd', '-m', '-d', "/home/$user", '-s', '/bin/sh',
		    $user) == 0 or BAIL_OUT("useradd $user failed");
	}
} else {
	$user = getpwuid($<);
}
my $uid = (getpwnam($user))[2];
my $base = SmtpdTest::tempdir_public();
my $seq = 0;

sub slurp { return SmtpdTest::slurp($_[0]) }

my $EXT = ['PIPELINING', 'ENHANCEDSTATUSCODES', '8BITMIME', 'SIZE 10000000', 'SMTPUTF8'];

# A scripted LMTP server (t/lib/ScriptSmtp.pm) for one case, on a UNIX
# socket ('unix') or 127.0.0.1 ('inet'): (server, destination for -L).
# This test's defaults: the extensions above after "250-test.example",
# "250 2.0.0 Ok: saved" for each recipient at the end of data, strict
# (replies to MAIL and RCPT held until DATA when PIPELINING is offered,
# the lockstep check when it is not). %o: ScriptSmtp options (rules go
# before the default one).
sub server {
	my ($kind, %o) = @_;
	my $n = $seq++;
	my $rules = [ @{ delete $o{rules} // [] },
	    { cmd => qr/^DATA-END /, reply => '250 2.0.0 Ok: saved' } ];
	my $s = ScriptSmtp->new(dir => "$base/server$n", lmtp => 1, hostname => 'test.example',
	    ext => $EXT, strict => 1, $kind eq 'unix' ? (unix => "$base/lmtp$n.sock") : (),
	    rules => $rules, %o);
	return ($s, $kind eq 'unix' ? $s->addr : "inet:" . $s->addr);
}

# The transcript of the (one) session, once it is over.
sub received {
	my ($s) = @_;
	$s->wait_closed(1, 10);
	return $s->transcript(1) // '';
}

# Runs deliver with the message on stdin (a file): (exit code, stdout,
# stderr, seconds taken). %o: input, args (after -L), both => stdout and
# stderr into one file (returned as stdout), nouser.
sub dlv {
	my ($dest, $args, %o) = @_;
	my $n = $seq++;
	my ($in, $out, $err) = map { "$base/$_$n" } qw(in out err);
	SmtpdTest::spew($in, $o{input} // "Subject: x\n\nbody\n");
	my @d = $o{nouser} ? () : ('-d', $o{user} // $user);
	my $redir = $o{both} ? '>"$O" 2>&1' : '>"$O" 2>"$E"';
	my $start = time;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		@ENV{qw(I O E)} = ($in, $out, $err);
		exec('/bin/sh', '-c', "exec \"\$@\" <\"\$I\" $redir", 'sh',
		    $deliver, @d, '-L', $dest, @$args) or POSIX::_exit(127);
	}
	my $rc = SmtpdTest::reap_child($pid, 60);
	return ($rc, slurp($out), slurp($err), time - $start);
}

# The bytes between "DATA\r\n" and the end of data, as received.
sub data_of {
	my ($got) = @_;
	return $got =~ /\r\nDATA\r\n(.*?\r\n\.\r\n)/s ? $1 : undef;
}

my $host = `hostname`;
chomp $host;

# ------------------------------------------- unix and inet, byte exact
my $MSG = "From s\@example.net Thu Nov 21 09:10:00 2024\n" .
    "Subject: dots\nX-Test: 1\n\n.\n..x\nline\n.end\n8bit \xc3\xa9\nlast";
my $WANT = "Subject: dots\r\nX-Test: 1\r\n\r\n..\r\n...x\r\nline\r\n..end\r\n" .
    "8bit \xc3\xa9\r\nlast\r\n.\r\n";
for my $kind ('unix', 'inet') {
	my ($s, $dest) = server($kind);
	my ($rc, $out, $err) = dlv($dest, ['-f', 's@example.net', '-R', 'alice'],
	    input => $MSG);
	is($rc, 0, "$kind: 250 -> exit 0") or diag "$out$err";
	like($err, qr/\A2\.0\.0 \Q$dest\E said: 250 2\.0\.0 Ok: saved \(in reply to end of DATA\)\n\z/,
	    "$kind: the status line on stderr, also on success");
	like($out, qr/\A<alice> 2\.0\.0 \Q$dest\E said: 250 2\.0\.0 Ok: saved \(in reply to end of DATA\)\n\z/,
	    "$kind: one line for the recipient on stdout");
	ok($s->wait_closed(1, 10) && $s->log(1) =~ /^\* closed quit$/m,
	    "$kind: the server saw QUIT and ended");
	my $got = received($s);
	like($got, qr/\ALHLO \S+\r\nMAIL FROM:<s\@example\.net> BODY=8BITMIME\r\nRCPT TO:<alice>\r\nDATA\r\n/,
	    "$kind: LHLO, MAIL with BODY=8BITMIME (8-bit body, offered), RCPT, DATA");
	is(data_of($got), $WANT, "$kind: DATA is CRLF, dot-stuffed, From_ line dropped, final CRLF added, no header added");
	like($got, qr/\r\n\.\r\nQUIT\r\n\z/, "$kind: QUIT after the end of data");
	if ($root) {
		is($s->peer_uid(1), $uid, "$kind: connected as $user, not root")
		    if $kind eq 'unix';
	}
	$s->stop;
}

# CRLF input, bare CR, no 8-bit: no BODY=; null sender; the default
# recipient is the user name.
{
	my ($s, $dest) = server('unix');
	my ($rc, $out) = dlv($dest, [], input => "A: b\r\n\r\nx\ry\r\n.\r\n\r\n");
	is($rc, 0, "CRLF input: exit 0") or diag $out;
	my $got = received($s);
	$s->stop;
	like($got, qr/^MAIL FROM:<>\r\nRCPT TO:<\Q$user\E>\r\n/m, "null sender, RCPT TO:<user> by default");
	is(data_of($got), "A: b\r\n\r\nx\r\ny\r\n..\r\n\r\n.\r\n", "bare CR becomes CRLF; the lone dot is stuffed");
	unlike($got, qr/Return-Path|Delivered-To/, "no trace fields");
}

# -------------------------------------------- several recipients
{
	my ($s, $dest) = server('unix', rules => [
	    { cmd => qr/^RCPT/i, nth => 2, reply => '550 5.1.1 <bob@example.org>: unknown' },
	    { cmd => qr/^DATA-END alice\@example\.org$/, reply => '250 2.0.0 <alice> saved' },
	    { cmd => qr/^DATA-END carol$/, reply => '452 4.2.2 <carol> Mailbox full' } ]);
	my ($rc, $out, $err) = dlv($dest, ['-f', 's@example.net', '-R', 'alice@example.org',
	    '-R', 'bob@example.org', '-R', 'carol']);
	is($rc, 75, "250, 550, 452: a temporary failure decides: 75");
	my @lines = split /\n/, $out;
	is(scalar @lines, 3, "one stdout line per recipient");
	like($lines[0] // '', qr/^<alice\@example\.org> 2\.0\.0 .*said: 250 2\.0\.0 <alice> saved \(in reply to end of DATA\)$/, "alice delivered");
	like($lines[1] // '', qr/^<bob\@example\.org> 5\.1\.1 .*said: 550 5\.1\.1 <bob\@example\.org>: unknown \(in reply to RCPT TO\)$/, "bob refused at RCPT");
	like($lines[2] // '', qr/^<carol> 4\.2\.2 .*said: 452 4\.2\.2 <carol> Mailbox full \(in reply to end of DATA\)$/, "carol deferred at end of data");
	like($err, qr/\A4\.2\.2 .*Mailbox full.*\n\z/, "stderr: the deciding (temporary) outcome");
	my $got = received($s);
	$s->stop;
	like($got, qr/MAIL FROM:<s\@example\.net>\r\nRCPT TO:<alice\@example\.org>\r\nRCPT TO:<bob\@example\.org>\r\nRCPT TO:<carol>\r\nDATA\r\n/,
	    "one connection, MAIL, the RCPTs, DATA pipelined");
}
{
	my ($s, $dest) = server('unix',
	    rules => [ { cmd => qr/^RCPT/i, nth => 2, reply => '550 5.1.1 unknown' } ]);
	my ($rc, $out, $err) = dlv($dest, ['-R', 'alice', '-R', 'bob']);
	is($rc, 67, "250 and 550 5.1.1: no temporary failure, so the permanent one decides: 67");
	like($out, qr/\A<alice> 2\.0\.0 .*\n<bob> 5\.1\.1 .*\n\z/, "per-recipient lines");
	like($err, qr/\A5\.1\.1 .*said: 550 5\.1\.1 unknown \(in reply to RCPT TO\)\n\z/, "stderr: the permanent failure");
	$s->stop;
}

# -------------------------------------------- single recipient outcomes
for my $t (
    [ "452 4.2.2 Mailbox full\r\n", 75, qr/^4\.2\.2 /, "452 at end of data" ],
    [ "550 5.2.2 Over quota\r\n", 73, qr/^5\.2\.2 /, "550 5.2.2 at end of data" ],
    [ "554 5.6.0 bad\r\n", 65, qr/^5\.6\.0 /, "554 5.6.0 at end of data" ],
    [ "550 no enhanced code\r\n", 70, qr/^5\.0\.0 .*said: 550 no enhanced code/, "550 without an enhanced code" ],
    [ "451 4.3.0 \x01ctl\xff\r\n", 75, qr/^4\.3\.0 .*said: 451 4\.3\.0 \?ctl\?/, "control bytes of the reply sanitised" ],
    ) {
	my ($reply, $code, $re, $name) = @$t;
	my ($s, $dest) = server('unix', rules => [ { cmd => qr/^DATA-END /, raw => $reply } ]);
	my ($rc, $out, $err) = dlv($dest, ['-R', 'alice']);
	is($rc, $code, "$name: exit $code");
	like($err, $re, "$name: stderr");
	unlike($err, qr/[\x00-\x09\x0b-\x1f\x7f-\xff]/, "$name: printable stderr");
	$s->stop;
}
{
	my ($s, $dest) = server('unix',
	    rules => [ { cmd => qr/^RCPT/i, reply => '452 4.5.3 Too many recipients' } ]);
	my ($rc, $out, $err) = dlv($dest, ['-R', 'alice']);
	is($rc, 75, "452 to RCPT: 75");
	like($err, qr/^4\.5\.3 .*in reply to RCPT TO/, "452 to RCPT: stderr");
	$s->stop;
	($s, $dest) = server('unix',
	    rules => [ { cmd => qr/^MAIL/i, reply => '550 5.7.1 sender refused' } ]);
	($rc, $out, $err) = dlv($dest, ['-R', 'alice', '-R', 'bob']);
	is($rc, 77, "550 5.7.1 to MAIL: permanent for everyone: 77");
	like($out, qr/\A<alice> 5\.7\.1 .*\n<bob> 5\.7\.1 .*\n\z/, "550 to MAIL: both recipients");
	$s->stop;
}

# The daemon reads stdout and stderr as one stream: the first line must
# be the status line.
{
	my ($s, $dest) = server('unix',
	    rules => [ { cmd => qr/^DATA-END /, reply => '452 4.2.2 Mailbox full' } ]);
	my ($rc, $out) = dlv($dest, ['-R', 'alice'], both => 1);
	is($rc, 75, "merged streams: 75");
	like($out, qr/\A4\.2\.2 [^\n]*\n<alice> 4\.2\.2 /, "merged streams: the status line comes first");
	$s->stop;
}

# -------------------------------------------- connection problems
{
	my ($s, $dest) = server('unix', rules => [ { cmd => qr/^DATA$/i, drop_in_data => 1 } ]);
	my $big = "Subject: big\n\n" . ("x" x 70 . "\n") x 20000;
	my ($rc, $out, $err) = dlv($dest, ['-R', 'alice'], input => $big);
	is($rc, 75, "server closes in the middle of DATA: 75");
	like($err, qr/^4\.4\.2 /, "... 4.4.2") or diag $err;
	$s->stop;

	my $port = SmtpdTest::free_port();
	($rc, $out, $err) = dlv("inet:127.0.0.1:$port", ['-R', 'alice']);
	is($rc, 75, "connection refused: 75");
	like($err, qr/^4\.4\.1 connect to inet:127\.0\.0\.1:$port: Connection refused$/, "... 4.4.1");
	like($out, qr/\A<alice> 4\.4\.1 /, "... and the recipient line");

	($rc, $out, $err) = dlv("unix:$base/nonexistent.sock", ['-R', 'alice']);
	is($rc, 75, "no socket: 75");

	($rc, $out, $err) = dlv("inet:127.0.0.1:25", ['-R', 'alice']);
	is($rc, 75, "port 25 refused as a destination: 75 (configuration error)");
	like($err, qr/^4\.3\.5 .*port 25/, "... 4.3.5");
	($rc, $out, $err) = dlv("inet:nohost", ['-R', 'alice']);
	is($rc, 75, "no port: 75");
}
{
	# greeting after 4 s, -t 1
	my ($s, $dest) = server('inet', rules => [ { cmd => qr/^CONNECT$/, sleep => 4 } ]);
	my ($rc, $out, $err, $took) = dlv($dest, ['-t', '1', '-R', 'alice']);
	is($rc, 75, "slow greeting beyond -t: 75");
	like($err, qr/^4\.4\.2 .*timeout \(in reply to the greeting\)/, "... timeout");
	ok($took < 3.5, "... after about 1 s (took $took)");
	$s->stop;

	($s, $dest) = server('unix', rules => [ { cmd => qr/^DATA-END /, sleep => 60 } ]);
	($rc, $out, $err, $took) = dlv($dest, ['-t', '1', '-R', 'alice']);
	is($rc, 75, "no reply after the end of data: 75");
	like($err, qr/timeout \(in reply to end of DATA\)/, "... timeout at end of DATA");
	$s->stop;
}
for my $t (
    [ "220-x\r\n221 changed\r\n", "code changed within a multi-line reply" ],
    [ "22O hi\r\n", "malformed reply code" ],
    [ "220 " . ("x" x 2000) . "\r\n", "reply line too long" ],
    [ join('', map { "220-l$_\r\n" } 1 .. 150), "too many lines" ],
    ) {
	my ($raw, $why) = @$t;
	my ($s, $dest) = server('unix',
	    rules => [ { cmd => qr/^CONNECT$/, raw => $raw, drop => 1 } ]);
	my ($rc, $out, $err) = dlv($dest, ['-R', 'alice']);
	is($rc, 75, "malformed greeting ($why): 75");
	like($err, qr/^4\.5\.0 .*protocol error: .*\Q$why\E/, "... 4.5.0 $why");
	$s->stop;
}
{
	my ($s, $dest) = server('unix', greeting => '554 5.3.2 not now');
	my ($rc, $out, $err) = dlv($dest, ['-R', 'alice']);
	is($rc, 75, "554 greeting: temporary (a local server's state never bounces)");
	like($err, qr/^4\.3\.2 .*said: 554 5\.3\.2 not now \(in reply to the greeting\)/, "... with the server's text");
	$s->stop;
}

# -------------------------------------------- LHLO and extensions
{
	# Multi-line LHLO without PIPELINING: strict lock-step.
	my ($s, $dest) = server('unix', ext => ['ENHANCEDSTATUSCODES', '8BITMIME'], rules => [
	    { cmd => qr/^RCPT/i, nth => 2, reply => '550 5.1.1 no' },
	    { cmd => qr/^DATA-END a$/, reply => '250 2.0.0 a' },
	    { cmd => qr/^DATA-END c$/, reply => '250 2.0.0 c' } ]);
	my ($rc, $out) = dlv($dest, ['-R', 'a', '-R', 'b', '-R', 'c']);
	is($rc, 67, "lock-step: 250, 550, 250 -> 67");
	like($out, qr/\A<a> 2\.0\.0 .* a \(.*\n<b> 5\.1\.1 .*\n<c> 2\.0\.0 .* c \(/, "lock-step: replies matched to recipients");
	ok($s->wait_closed(1, 10), "lock-step: session over");
	is_deeply([ $s->sent_ahead(1) ], [], "no command sent ahead of a reply without PIPELINING");
	$s->stop;
}
{
	# PIPELINING offered: the server answers only after DATA arrived.
	my ($s, $dest) = server('unix');
	my ($rc) = dlv($dest, ['-t', '5', '-R', 'a', '-R', 'b']);
	is($rc, 0, "pipelined MAIL/RCPT/DATA answered in one go: 0");
	$s->stop;
}
{
	# 8-bit body, no 8BITMIME offered: sent without BODY=.
	my ($s, $dest) = server('unix', hostname => 'x', ext => ['PIPELINING']);
	my ($rc) = dlv($dest, ['-R', 'a'], input => "S: x\n\n\xc3\xa9\n");
	is($rc, 0, "8-bit body without 8BITMIME: delivered");
	like(received($s), qr/^MAIL FROM:<>\r\n/m, "... MAIL without BODY=");
	$s->stop;

	# A UTF-8 header needs SMTPUTF8: offered -> used; not offered -> 5.6.7.
	($s, $dest) = server('unix');
	($rc) = dlv($dest, ['-R', 'a'], input => "Subject: \xc3\xa9\n\nx\n");
	is($rc, 0, "UTF-8 header, SMTPUTF8 offered: delivered");
	like(received($s), qr/^MAIL FROM:<> BODY=8BITMIME SMTPUTF8\r\n/m, "... with SMTPUTF8");
	$s->stop;
	($s, $dest) = server('unix', hostname => 'x', ext => ['8BITMIME']);
	my ($out, $err);
	($rc, $out, $err) = dlv($dest, ['-R', "j\xc3\xb6rg\@example.org"]);
	is($rc, 65, "UTF-8 recipient, no SMTPUTF8: permanent 5.6.7 (65)");
	like($err, qr/^5\.6\.7 /, "... 5.6.7");
	unlike(received($s), qr/MAIL FROM/, "... and no transaction was started");
	$s->stop;
}

# -------------------------------------------- usage and privileges
{
	my ($rc, $out, $err) = dlv("unix:/x", ['-R', 'a b']);
	is($rc, 64, "an invalid -R is a usage error");
	($rc, $out, $err) = dlv("unix:/x", ['-R', 'a', '-m', '/tmp/x']);
	is($rc, 64, "-L with another mode: usage error");
	my $n = $seq++;
	SmtpdTest::spew("$base/in$n", "x\n");
	my ($rc2) = SmtpdTest::run('/bin/sh', '-c', "exec \"\$@\" < $base/in$n", 'sh',
	    $deliver, '-R', 'a', '-m', "$base/md$n");
	is($rc2, 64, "-R without -L: usage error");
}
SKIP: {
	skip "root only", 4 unless $root;
	my ($s, $dest) = server('unix');
	my ($rc, $out, $err) = dlv($dest, ['-R', 'a'], user => 'root');
	is($rc, 77, "-d root: refused (77)");
	like("$out$err", qr/5\.7\.0 refusing to deliver as root/, "... 5.7.0");
	($rc) = dlv($dest, ['-R', 'a'], nouser => 1);
	is($rc, 77, "root without -d: refused");
	is($s->connections, 0, "... before connecting");
	$s->stop;
}

# -------------------------------------------- through the daemon
{
	my $back = SmtpdTest->new(conf => <<"EOF2");
listen on socket "\@DIR\@/lmtp.sock" lmtp mode 0666
action "local" maildir "\@DIR\@/mail/%{user.username}/Maildir"
match from local for domain "example.org" action "local"
EOF2
	$back->shared_dirs("mail");
	$back->start;
	my $sock = $back->dir . "/lmtp.sock";
	my $front = SmtpdTest->new(conf => <<"EOF2");
listen on 127.0.0.1 port \@PORT\@
action "l" lmtp "unix:$sock" rcpt-to
action "down" lmtp "unix:\@DIR\@/none.sock"
match from any for domain "example.org" action "l"
match from any for domain "down.example" action "down"
EOF2
	$front->start;
	my $wait = sub {
		my ($cond) = @_;
		my $deadline = time + 15;
		while (time < $deadline) {
			return 1 if $cond->();
			sleep 0.05;
		}
		return 0;
	};
	my $files = sub {
		opendir(my $dh, $_[0]) or return ();
		my @f = grep { !/^\./ } readdir $dh;
		closedir $dh;
		return map { "$_[0]/$_" } @f;
	};
	my $c = SmtpClient->new($front->port);
	$c->cmd("EHLO client.example");
	my $r = $c->mail('sender@example.net', "$user\@example.org",
	    "Subject: via lmtp\r\n\r\n..dot\r\nline\r\n");
	like($r, qr/^250 2\.0\.0 /, "daemon: accepted for the lmtp action");
	my $new = $back->dir . "/mail/$user/Maildir/new";
	ok($wait->(sub { (() = $files->($new)) == 1 }),
	    "daemon: handed over by LMTP, in the second instance's Maildir")
	    or diag $front->log . $back->log;
	my ($f) = $files->($new);
	my $got = slurp($f // '/nonexistent');
	like($got, qr/\AReturn-Path: <sender\@example\.net>\nX-Original-To: \Q$user\E\@example\.org\nDelivered-To: \Q$user\E\@example\.org\nReceived: [^\n]*\n\t[^\n]* with LMTP id /,
	    "daemon: the trace fields come from the LMTP side only");
	is(() = $got =~ /^Delivered-To:/mg, 1, "daemon: one Delivered-To");
	like($got, qr/\nSubject: via lmtp\n\n\.dot\nline\n\z/, "daemon: the body intact");
	ok($wait->(sub { !%{ $front->queued } }), "daemon: the message left the first queue");
	like($front->log, qr/queue event=delivery rcpt=<\Q$user\E\@example\.org> .*result=Ok text="2\.0\.0 unix:\Q$sock\E said: 250 /,
	    "daemon: the LMTP server's reply is logged");

	$r = $c->mail('sender@example.net', "$user\@down.example", "Subject: stuck\r\n\r\nx\r\n");
	like($r, qr/^250 2\.0\.0 /, "daemon: accepted for an LMTP server that is down");
	ok($front->wait_log(qr/queue event=delivery rcpt=<\Q$user\E\@down\.example> .*result=TempFail.*4\.4\.1 connect to unix:/),
	    "daemon: connection refused is a temporary failure");
	$c->cmd("QUIT");
	$front->stop;
	$back->stop;
}

done_testing();

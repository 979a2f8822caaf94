# 94-relay-session.t: the relay role's outbound SMTP/LMTP client session
# (deliver/relay_sess*.c, protocol.md B.3/B.4, A.11 output side), driven
# by $BUILD/t/relay-sess-probe (t/tools/relay_sess_probe.c) against
# scripted servers (t/lib/ScriptSmtp.pm) on 127.0.0.1, ::1 or a UNIX
# socket for LMTP, which record every byte they receive (decrypted under
# TLS). Where PIPELINING is offered they answer MAIL and RCPT only with
# the reply to DATA; where it is not, they note any command sent ahead.
# Checks the bytes on the wire (pipelined MAIL/RCPT/DATA, dot-stuffing,
# bare CR and LF made CRLF, 8-bit body, long lines, DSN parameters) and
# the outcomes (4xx/5xx to RCPT, MAIL, DATA, multi-line replies, a
# connection dropped mid-DATA, a reply slower than the timeout, the HELO
# fallback, 421, refused before sending: 8BITMIME, SIZE, SMTPUTF8), then
# TLS with IO::Socket::SSL when installed: opportunistic STARTTLS with
# bytes injected after the 220, AUTH PLAIN and LOGIN under TLS, 535, TLS
# required but not offered, implicit TLS, verification by name.
# Every server is stopped by PID.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::IP;
use MIME::Base64;
use POSIX ();
use Time::HiRes qw(time sleep);
use ScriptSmtp;
use SmtpdTest;
use TlsCert;

my $probe = SmtpdTest::build() . "/t/relay-sess-probe";
plan skip_all => "$probe not built" unless -x $probe;
my $base = SmtpdTest::tempdir_public();
my $have_ssl = eval { require IO::Socket::SSL; 1 };
my $certs;
$certs = TlsCert->new($base) if $have_ssl;
my $seq = 0;

sub slurp { return SmtpdTest::slurp($_[0]) // '' }

my $EXT = ['PIPELINING', '8BITMIME', 'SIZE 10000000', 'ENHANCEDSTATUSCODES', 'SMTPUTF8'];

# A scripted server for one case, with this test's defaults: the
# extensions above after "250-test.example", strict (replies to MAIL and
# RCPT held until DATA when PIPELINING is offered, the lockstep check
# when it is not), "250 2.0.0 Ok: queued" to the end of data. %o:
# ScriptSmtp options (rules go before the default one).
sub server {
	my (%o) = @_;
	my $rules = [ @{ delete $o{rules} // [] },
	    { cmd => qr/^DATA-END$/, reply => '250 2.0.0 Ok: queued' } ];
	return ScriptSmtp->new(dir => "$base/server" . $seq++, hostname => 'test.example',
	    ext => $EXT, strict => 1, rules => $rules, %o);
}

# Runs the probe: (exit code, stdout, stderr, seconds).
sub probe {
	my ($addr, $msg, $args, @rcpts) = @_;
	my $n = $seq++;
	my ($in, $out, $err) = map { "$base/p$_$n" } qw(msg out err);
	SmtpdTest::spew($in, $msg);
	my $start = time;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDOUT, '>', $out) or POSIX::_exit(126);
		open(STDERR, '>', $err) or POSIX::_exit(126);
		exec($probe, @$args, $addr, $in, 's@example.net',
		    @rcpts ? @rcpts : ('a@example.org')) or POSIX::_exit(127);
	}
	my $rc = SmtpdTest::reap_child($pid, 60);
	return ($rc, slurp($out), slurp($err), time - $start);
}

sub data_of {
	my ($got) = @_;
	return $got =~ /\r\nDATA\r\n(.*?\r\n\.\r\n)/s ? $1 : undef;
}

# One case: a server (%{ $o{server} }), the probe against it; returns
# (stdout, every byte the server received, stderr, seconds, the server).
sub run_case {
	my (%o) = @_;
	my $s = server(%{ $o{server} // {} });
	my ($rc, $out, $err, $secs) = probe($s->addr, $o{msg} // "Subject: x\r\n\r\nbody\r\n",
	    $o{args} // [], @{ $o{rcpts} // [] });
	$s->wait_closed(1, 10);
	$s->stop;
	return ($out, $s->transcript(1) // '', $err, $secs, $s);
}

# ------------------------------------------------ bytes on the wire
my $long = 'x' x 2000;
my $MSG = "Subject: dots\n.\n..x\r\nbare\rcr\r\n.end\n8bit \xc3\xa9\n$long\nlast";
my $WANT = "Subject: dots\r\n..\r\n...x\r\nbare\r\ncr\r\n..end\r\n" .
    "8bit \xc3\xa9\r\n$long\r\nlast\r\n.\r\n";
{
	my ($out, $got, $err, $secs, $s) = run_case(msg => $MSG, args => ['-8', '-m', 'none'],
	    rcpts => ['a@example.org', 'b@example.org']);
	my $size = length $MSG;
	like($got, qr/\AEHLO probe\.example\r\nMAIL FROM:<s\@example\.net> SIZE=$size BODY=8BITMIME\r\nRCPT TO:<a\@example\.org>\r\nRCPT TO:<b\@example\.org>\r\nDATA\r\n/,
	    "pipelined: EHLO, MAIL with SIZE and BODY=8BITMIME, the RCPTs, DATA (replies held until DATA)") or diag $err;
	ok((grep { /\AMAIL FROM:[^\n]*\nRCPT[^\n]*\nRCPT[^\n]*\nDATA\r\n\z/ } $s->reads(1)),
	    "MAIL, the RCPTs and DATA in one write");
	is(data_of($got), $WANT, "content: CRLF only, bare CR and LF made CRLF, dots stuffed, 8-bit and a 2000-byte line as they are, final CRLF added");
	like($got, qr/\r\n\.\r\nQUIT\r\n\z/, "QUIT after the end of data");
	like($out, qr/^done tls=0\nrcpt a\@example\.org status=2 code=250 esc=2\.0\.0 text=250 2\.0\.0 Ok: queued\nrcpt b\@example\.org status=2 code=250 /m,
	    "both delivered with the end-of-data reply");
	like($out, qr/^closed status=2 stage=quit esc= text=221 2\.0\.0 Bye$/m, "closed(2) after QUIT");
}
{
	my $msg = "A: b\r\n\r\n.\r\n\r\n";
	my ($out, $got, $err, $secs, $s) = run_case(msg => $msg, args => ['-m', 'none'],
	    server => { ext => ['8BITMIME'] },
	    rcpts => ['a@example.org', 'b@example.org']);
	like($got, qr/MAIL FROM:<s\@example\.net>\r\nRCPT TO:<a\@example\.org>\r\nRCPT TO:<b\@example\.org>\r\nDATA\r\n/, "no PIPELINING: no SIZE, no BODY for 7-bit");
	is_deeply([ $s->sent_ahead(1) ], [], "no PIPELINING: nothing sent ahead of a reply");
	is(data_of($got), "A: b\r\n\r\n..\r\n\r\n.\r\n", "a lone dot line is stuffed, CRLF-terminated content kept");
	like($out, qr/status=2.*\n.*status=2/, "delivered one command at a time");
}
{
	my ($out, $got) = run_case(msg => "", args => ['-m', 'none']);
	like($got, qr/\r\nDATA\r\n\.\r\nQUIT\r\n\z/, "empty message: just the end of data");
}

# ------------------------------------------------ outcomes
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { rules => [
		{ cmd => qr/^RCPT/i, nth => 2, reply => '550 5.1.1 <b>: unknown' },
		{ cmd => qr/^RCPT/i, nth => 3, reply => '452 4.2.2 full' } ] },
	    rcpts => ['a@x.org', 'b@x.org', 'c@x.org']);
	like($out, qr/^rcpt a\@x\.org status=2 /m, "250 to RCPT, delivered");
	like($out, qr/^rcpt b\@x\.org status=5 code=550 esc=5\.1\.1 text=550 5\.1\.1 <b>: unknown$/m, "550 to RCPT: that recipient bounced");
	like($out, qr/^rcpt c\@x\.org status=4 code=452 esc=4\.2\.2 /m, "452 to RCPT: that recipient deferred");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { greeting => ['220-first line', '220-', '220'], rules => [
		{ cmd => qr/^EHLO/i, raw => "250-test.example\r\n250-\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 \r\n" },
		{ cmd => qr/^DATA-END$/, raw => "250-2.0.0 part one\r\n250-2.0.0\r\n250 2.0.0 last\r\n" } ] });
	like($out, qr/^rcpt a\@example\.org status=2 code=250 esc=2\.0\.0 text=250 2\.0\.0 part one last$/m,
	    "multi-line replies with empty and bare continuation lines");
	like($got, qr/\r\nDATA\r\n/, "pipelined after a multi-line EHLO");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { rules => [ { cmd => qr/^RCPT/i, reply => '550 5.1.1 no' } ] },
	    rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=5 .*\nrcpt b\@x\.org status=5 /m, "every RCPT refused: both bounced");
	unlike($got, qr/\r\n\.\r\n/, "no content after a 5xx to the pipelined DATA");
	like($got, qr/DATA\r\nRSET\r\nQUIT\r\n\z/, "RSET closes the transaction, then QUIT");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { rules => [ { cmd => qr/^RCPT/i, reply => '550 5.1.1 no' },
		{ cmd => qr/^DATA$/i, reply => '354 go' } ] });
	like($got, qr/DATA\r\n\.\r\nQUIT\r\n\z/, "354 with no recipient accepted: a lone dot, no content");
	like($out, qr/^rcpt a\@example\.org status=5 code=550 /m, "the RCPT refusal is the outcome");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { rules => [ { cmd => qr/^MAIL/i, reply => '553 5.1.8 bad sender' },
		{ cmd => qr/^RCPT/i, reply => '503 5.5.1 MAIL first' } ] },
	    rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=5 code=553 esc=5\.1\.8 .*\nrcpt b\@x\.org status=5 code=553 /m, "5xx to MAIL: every recipient bounced");
	unlike($got, qr/RSET|\r\n\.\r\n/, "no RSET and no content after a refused MAIL");
	($out, $got) = run_case(args => ['-m', 'none'],
	    server => { hostname => 'x', ext => ['8BITMIME'],
		rules => [ { cmd => qr/^MAIL/i, reply => '451 4.3.0 later' } ] });
	like($out, qr/^rcpt a\@example\.org status=4 code=451 /m, "4xx to MAIL: deferred");
	unlike($got, qr/RCPT/, "without PIPELINING no RCPT after a refused MAIL");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { rules => [ { cmd => qr/^DATA$/i, reply => '554 5.6.0 no data' } ] },
	    rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=5 code=554 .*\nrcpt b\@x\.org status=5 code=554 /m, "5xx to DATA: every accepted recipient bounced");
	like($got, qr/DATA\r\nRSET\r\n/, "RSET after a refused DATA");
	($out) = run_case(args => ['-m', 'none'],
	    server => { rules => [ { cmd => qr/^DATA-END$/, reply => '451 4.3.0 try later' } ] },
	    rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=4 code=451 .*\nrcpt b\@x\.org status=4 code=451 /m, "4xx to end of data: every accepted recipient deferred");
}
{
	my ($out, $got) = run_case(msg => "x\r\n" x 100000, args => ['-m', 'none'],
	    server => { rules => [ { cmd => qr/^DATA$/i, drop_in_data => 1 } ] });
	like($out, qr/\Adone tls=0\nrcpt a\@example\.org status=0 code=0 esc= text=\nclosed status=4 stage=body esc=4\.4\.2 /,
	    "connection dropped mid-DATA: done() with no outcome, then closed(4, body, 4.4.2)");
}
{
	my ($out, $got, $err, $secs) = run_case(args => ['-m', 'none', '-T', '1'],
	    server => { rules => [ { cmd => qr/^MAIL/i, sleep => 3 } ] });
	like($out, qr/^closed status=4 stage=mail esc=4\.4\.2 text=.*timed out/m, "a reply slower than the timeout: closed(4, mail, 4.4.2)");
	like($out, qr/^rcpt a\@example\.org status=0 /m, "the recipient has no outcome");
	cmp_ok($secs, '<', 2.8, "given up after the 1 s timeout");
}
{
	my @no_ehlo = (ext => [], rules => [ { cmd => qr/^EHLO/i, reply => '502 5.5.2 no EHLO' },
	    { cmd => qr/^HELO/i, reply => '250 ok' } ]);
	my ($out, $got) = run_case(args => ['-m', 'none', '-8'], server => { @no_ehlo });
	like($got, qr/\AEHLO probe\.example\r\nHELO probe\.example\r\nQUIT\r\n\z/, "EHLO 5xx: HELO; 8-bit message not sent without 8BITMIME");
	like($out, qr/^rcpt a\@example\.org status=5 code=0 esc=5\.6\.3 /m, "8-bit to a server without 8BITMIME: 5.6.3, no downgrade");
	($out, $got) = run_case(args => ['-m', 'none'], server => { @no_ehlo });
	like($got, qr/\AEHLO probe\.example\r\nHELO probe\.example\r\nMAIL FROM:<s\@example\.net>\r\nRCPT TO:<a\@example\.org>\r\nDATA\r\n/, "after HELO: no extension used, one command at a time");
	like($out, qr/^rcpt a\@example\.org status=2 /m, "delivered after HELO");
	($out, $got) = run_case(args => ['-m', 'none'],
	    server => { ext => [], rules => [ { cmd => qr/^EHLO/i, reply => '500 5.5.1 no' },
		{ cmd => qr/^HELO/i, reply => '550 5.7.1 go away' } ] });
	like($out, qr/^closed status=5 stage=helo esc=5\.7\.1 text=550 5\.7\.1 go away$/m, "EHLO 5xx then HELO 5xx: closed(5, helo)");
	($out, $got) = run_case(args => ['-m', 'none'],
	    server => { greeting => '554 5.3.2 not today' });
	like($out, qr/\Aclosed status=5 stage=greeting esc=5\.3\.2 /, "greeting 554: closed(5, greeting), no done()");
	like($got, qr/\AQUIT\r\n\z/, "only QUIT after a refused greeting");
	($out) = run_case(args => ['-m', 'none'],
	    server => { rules => [ { cmd => qr/^RCPT/i, reply => '421 4.3.2 shutting down' } ] });
	like($out, qr/^rcpt a\@example\.org status=0 .*\nclosed status=4 stage=\S+ esc=4\.3\.2 text=421 /m, "421 to RCPT: closed(4), recipient without outcome");
}
{
	my ($out, $got) = run_case(msg => "x" x 500, args => ['-m', 'none'],
	    server => { hostname => 'test', ext => ['PIPELINING', 'SIZE 100'] });
	like($out, qr/^rcpt a\@example\.org status=5 code=0 esc=5\.3\.4 /m, "bigger than the SIZE limit: 5.3.4");
	unlike($got, qr/MAIL/, "and nothing sent");
	($out, $got) = run_case(args => ['-m', 'none', '-U'],
	    server => { hostname => 'test', ext => ['PIPELINING'] });
	like($out, qr/^rcpt a\@example\.org status=5 code=0 esc=5\.6\.7 /m, "SMTPUTF8 needed and not offered: 5.6.7");
	($out, $got) = run_case(args => ['-m', 'none', '-U'], rcpts => ["j\xc3\xb6rg\@example.org"]);
	like($got, qr/MAIL FROM:<s\@example\.net> SIZE=\d+ SMTPUTF8\r\nRCPT TO:<j\xc3\xb6rg\@example\.org>\r\n/, "SMTPUTF8 parameter when needed and offered");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none', '-N', '6', '-R', '2', '-E', 'id+1=x y',
	    '-O', 'rfc822;a+b=c@example.org'],
	    server => { hostname => 'test', ext => ['PIPELINING', 'DSN'] });
	like($got, qr/MAIL FROM:<s\@example\.net> RET=HDRS ENVID=id\+2B1\+3Dx\+20y\r\nRCPT TO:<a\@example\.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a\+2Bb\+3Dc\@example\.org\r\n/,
	    "DSN offered: RET, ENVID and ORCPT xtext-encoded, NOTIFY");
	($out, $got) = run_case(args => ['-m', 'none', '-N', '6', '-R', '2', '-E', 'x'],
	    server => { hostname => 'test', ext => ['PIPELINING'] });
	like($got, qr/MAIL FROM:<s\@example\.net>\r\nRCPT TO:<a\@example\.org>\r\n/, "DSN not offered: no DSN parameter");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none', '-n', '2']);
	my @mail = $got =~ /^MAIL FROM:/mg;
	is(scalar @mail, 2, "connection reuse: two transactions on one connection");
	my @done = $out =~ /^done /mg;
	is(scalar @done, 2, "done() for each");
}
{
	my ($out, $got) = run_case(args => ['-L', '-m', 'none'],
	    server => { unix => "$base/lmtp$seq.sock", lmtp => 1, hostname => 'lmtp.example',
		ext => ['PIPELINING', '8BITMIME'], rules => [
		{ cmd => qr/^RCPT/i, nth => 2, reply => '550 5.1.1 unknown' },
		{ cmd => qr/^DATA-END a$/, reply => '250 2.0.0 saved' },
		{ cmd => qr/^DATA-END c$/, reply => '452 4.2.2 full' } ] },
	    rcpts => ['a', 'b', 'c']);
	like($got, qr/\ALHLO probe\.example\r\nMAIL FROM:<s\@example\.net>\r\nRCPT TO:<a>\r\nRCPT TO:<b>\r\nRCPT TO:<c>\r\nDATA\r\n/, "LMTP over a UNIX socket: LHLO, pipelined");
	like($out, qr/^rcpt a status=2 code=250 .*\nrcpt b status=5 code=550 .*\nrcpt c status=4 code=452 esc=4\.2\.2 /m,
	    "LMTP: one end-of-data reply per accepted recipient, in order");
}
SKIP: {
	my $l6 = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0, Listen => 1);
	skip "no IPv6 loopback", 2 unless $l6;
	close $l6;
	my ($out, $got) = run_case(args => ['-m', 'none'], server => { host => '::1' });
	like($got, qr/\AEHLO probe\.example\r\nMAIL FROM:/, "IPv6: [::1]");
	like($out, qr/^rcpt a\@example\.org status=2 /m, "IPv6: delivered");
}
{
	my $port = SmtpdTest::free_port();
	my ($rc, $out) = probe("127.0.0.1:$port", "x\r\n", ['-m', 'none']);
	like($out, qr/\Aclosed status=4 stage=connect esc=4\.4\.1 /, "connection refused: closed(4, connect, 4.4.1)");
}

# ------------------------------------------------ TLS
# The handshake came after STARTTLS and before the EHLO that follows it.
sub tls_then_ehlo {
	my ($s) = @_;
	return ($s->log(1) // '') =~
	    /^< STARTTLS\n(?:[>*] [^\n]*\n)*\* tls [^\n]+\n(?:\* [^\n]*\n)*< EHLO probe\.example$/m;
}

SKIP: {
	skip "IO::Socket::SSL not installed (libio-socket-ssl-perl)", 20 unless $have_ssl;
	skip "no test certificates: $TlsCert::ERROR", 20 unless $certs;
	my %tls = (tls => { cert => $certs->cert('localhost'), key => $certs->key('localhost') },
	    ext => ['PIPELINING', 'STARTTLS', '8BITMIME'],
	    ext_tls => ['PIPELINING', 'AUTH PLAIN LOGIN', '8BITMIME']);
	my ($out, $got, $err, $secs, $s) = run_case(args => [],
	    server => { %tls, rules => [ { cmd => qr/^STARTTLS/i,
		raw => "220 2.0.0 go\r\n250-test\r\n250 fake\r\n" } ] });
	like($got, qr/\AEHLO probe\.example\r\nSTARTTLS\r\nEHLO probe\.example\r\nMAIL FROM:/, "opportunistic STARTTLS, then EHLO again");
	ok(tls_then_ehlo($s), "... that EHLO under TLS") or diag $s->log(1);
	like($out, qr/^done tls=1\nrcpt a\@example\.org status=2 /m, "delivered under TLS; bytes injected after the 220 were ignored");
	my %auth = (auth => { user => 'user', pass => 'sEcret' });
	($out, $got, $err, $secs, $s) = run_case(args => ['-a', 'user', '-P', 'sEcret'],
	    server => { %tls, %auth });
	my $plain = encode_base64("\0user\0sEcret", '');
	like($got, qr/STARTTLS\r\nEHLO probe\.example\r\nAUTH PLAIN \Q$plain\E\r\nMAIL FROM:/, "AUTH PLAIN with the initial response, under TLS");
	ok(tls_then_ehlo($s), "... after the handshake");
	like($out, qr/^rcpt a\@example\.org status=2 /m, "delivered after AUTH");
	($out, $got, $err, $secs, $s) = run_case(args => ['-a', 'user', '-P', 'sEcret'],
	    server => { %tls, %auth, hostname => 'test', ext_tls => ['AUTH LOGIN'] });
	like($got, qr/AUTH LOGIN\r\ndXNlcg==\r\nc0VjcmV0\r\nMAIL FROM:/, "AUTH LOGIN when PLAIN is not offered");
	is_deeply([ map { "$_->{mech} $_->{user} $_->{pass} $_->{result}" } @{ $s->auths } ],
	    [ 'LOGIN user sEcret 235' ], "... the credentials the server got");
	($out, $got) = run_case(args => ['-a', 'user', '-P', 'sEcret'],
	    server => { %tls, rules => [ { cmd => qr/^AUTH/i, reply => '535 5.7.8 bad credentials' } ] });
	like($out, qr/\Aclosed status=5 stage=auth esc=5\.7\.8 text=535 5\.7\.8 bad credentials$/m, "535: closed(5, auth, 5.7.8)");
	unlike($got, qr/MAIL/, "nothing sent after a failed AUTH");
	($out, $got) = run_case(args => ['-m', 'none', '-a', 'user', '-P', 'sEcret'],
	    server => { ext => $tls{ext_tls}, %auth });
	like($out, qr/\Aclosed status=4 stage=auth esc=4\.7\.5 /, "AUTH never in plaintext: closed(4, auth, 4.7.5)");
	unlike($got, qr/AUTH|sEcret|MAIL/, "no AUTH, no password, no MAIL on the wire");
	($out, $got) = run_case(args => ['-m', 'starttls']);
	like($out, qr/\Aclosed status=4 stage=starttls esc=4\.7\.5 /, "TLS required, STARTTLS not offered: closed(4, starttls, 4.7.5)");
	like($got, qr/\AEHLO probe\.example\r\nQUIT\r\n\z/, "nothing of the message sent");
	($out, $got, $err, $secs, $s) = run_case(args => ['-m', 'implicit'],
	    server => { tls => { %{ $tls{tls} }, implicit => 1 } });
	like($got, qr/\AEHLO probe\.example\r\nMAIL FROM:/, "implicit TLS: handshake first, then the greeting");
	like($s->log(1), qr/\A\* connect [^\n]*\n\* tls [^\n]*\n> 220 /, "... the handshake before the greeting");
	like($out, qr/^done tls=1\nrcpt a\@example\.org status=2 /m, "delivered over implicit TLS");
	($out, $got) = run_case(args => ['-m', 'starttls', '-v', '-C', $certs->ca, '-S', 'localhost'],
	    server => { %tls });
	like($out, qr/^done tls=1\nrcpt a\@example\.org status=2 /m, "verified: chain and name localhost");
	($out, $got) = run_case(args => ['-m', 'starttls', '-v', '-C', $certs->ca, '-S', 'wrong.example'],
	    server => { %tls });
	like($out, qr/\Aclosed status=4 stage=starttls esc=4\.7\.5 /, "verification by name fails: 4.7.5");
	unlike($got, qr/MAIL/, "and nothing of the message sent");
}

done_testing();

# 94-relay-session.t: the relay role's outbound SMTP/LMTP client session
# (deliver/relay_sess*.c, protocol.md B.3/B.4, A.11 output side), driven
# by $BUILD/t/relay-sess-probe (t/tools/relay_sess_probe.c) against
# scripted servers forked by this test on 127.0.0.1 (or a UNIX socket for
# LMTP), which record every byte they receive (decrypted under TLS).
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
use IO::Socket::INET;
use IO::Socket::IP;
use IO::Socket::UNIX;
use MIME::Base64;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use SmtpdTest;
use TlsCert;

my $probe = SmtpdTest::build() . "/t/relay-sess-probe";
plan skip_all => "$probe not built" unless -x $probe;
my $base = SmtpdTest::tempdir_public();
my $have_ssl = eval { require IO::Socket::SSL; 1 };
my $certs;
$certs = TlsCert->new($base) if $have_ssl;
my $seq = 0;
my @servers;

END { for (@servers) { kill 'KILL', $_; waitpid($_, 0); } }

sub spew {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	binmode $fh;
	print $fh $text;
	close $fh;
}

sub slurp { return SmtpdTest::slurp($_[0]) // '' }

my $EHLO = "250-test.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n" .
    "250-SIZE 10000000\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n";

sub listener {
	my ($kind) = @_;
	if ($kind eq 'unix') {
		my $path = "$base/lmtp" . $seq++ . ".sock";
		my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM(),
		    Local => $path, Listen => 5) or die "listen $path: $!";
		return ($l, "unix:$path");
	}
	my $port = SmtpdTest::free_port();
	if ($kind eq 'inet6') {
		my $l = IO::Socket::IP->new(Listen => 5, LocalHost => '::1',
		    LocalPort => $port, Proto => 'tcp', ReuseAddr => 1)
		    or return ();
		return ($l, "[::1]:$port");
	}
	my $l = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
	    LocalPort => $port, Proto => 'tcp', ReuseAddr => 1)
	    or die "listen $port: $!";
	return ($l, "127.0.0.1:$port");
}

sub tls_up {
	my ($c) = @_;
	return IO::Socket::SSL->start_SSL($c, SSL_server => 1,
	    SSL_cert_file => $certs->cert('localhost'),
	    SSL_key_file => $certs->key('localhost'));
}

# One scripted connection. %b: greeting, ehlo (reply to EHLO/LHLO),
# ehlo_tls (to EHLO after STARTTLS), helo, starttls (reply, undef: 502),
# inject (bytes sent right after the 220 to STARTTLS), implicit (TLS
# first), auth => [replies], mail, rcpt => [replies, cycled], data, eod
# => [replies], close_in_data, delay => { mail => secs }, rset.
# Everything received goes to $log; commands sent ahead of our reply
# without PIPELINING to "$log.err". Returns ($pid, $log).
sub serve {
	my ($l, %b) = @_;
	my $log = "$base/server" . $seq++;
	spew($log, '');
	my $pid = fork() // die "fork: $!";
	if ($pid) {
		push @servers, $pid;
		return ($pid, $log);
	}
	$SIG{ALRM} = sub { POSIX::_exit(3) };
	alarm(30);
	my $c = $l->accept or POSIX::_exit(1);
	open(my $lf, '>>', $log) or POSIX::_exit(1);
	binmode $lf;
	$lf->autoflush(1);
	my $buf = '';
	my $line = sub {
		while ($buf !~ /\n/) {
			my $n = sysread($c, my $chunk, 4096);
			return undef unless $n;
			print $lf $chunk;
			$buf .= $chunk;
		}
		$buf =~ s/\A(.*?\n)//s;
		return $1;
	};
	my $send = sub { syswrite($c, $_[0]) if defined $_[0] };
	my $ehlo = $b{ehlo} // $EHLO;
	my $pipelining = sub { $ehlo =~ /^250[- ]PIPELINING/mi };
	my $check = sub {
		return if $pipelining->() || ref($c) ne 'IO::Socket::INET' &&
		    ref($c) ne 'IO::Socket::UNIX';
		sleep 0.05;
		my $rin = '';
		vec($rin, fileno($c), 1) = 1;
		if (length $buf || select(my $r = $rin, undef, undef, 0) > 0) {
			open(my $ef, '>>', "$log.err");
			print $ef "sent ahead after: $_[0]";
			close $ef;
		}
	};
	if ($b{implicit}) {
		tls_up($c) or POSIX::_exit(4);
	}
	$send->($b{greeting} // "220 test.example ESMTP\r\n");
	my ($nrcpt, $accepted, $nauth, @pending) = (0, 0, 0);
	while (defined(my $cmd = $line->())) {
		$check->($cmd);
		if ($cmd =~ /^[EL]HLO /i) {
			$send->($ehlo);
		} elsif ($cmd =~ /^HELO /i) {
			$send->($b{helo} // "250 test.example\r\n");
		} elsif ($cmd =~ /^STARTTLS/i) {
			unless (defined $b{starttls}) {
				$send->("502 5.5.1 no\r\n");
				next;
			}
			$send->($b{starttls} . ($b{inject} // ''));
			next unless $b{starttls} =~ /^220/;
			tls_up($c) or POSIX::_exit(4);
			print $lf "<TLS>";
			$buf = '';
			$ehlo = $b{ehlo_tls} // $ehlo;
		} elsif ($cmd =~ /^AUTH /i) {
			my $list = $b{auth} // ["235 2.7.0 ok\r\n"];
			$send->($list->[$nauth++]);
			while ($nauth < @$list && $list->[$nauth - 1] =~ /^334/) {
				defined($line->()) or last;
				$send->($list->[$nauth++]);
			}
		} elsif ($cmd =~ /^MAIL FROM:/i) {
			sleep $b{delay}{mail} if $b{delay}{mail};
			push @pending, $b{mail} // "250 2.1.0 Ok\r\n";
		} elsif ($cmd =~ /^RCPT TO:/i) {
			my $list = $b{rcpt} // ["250 2.1.5 Ok\r\n"];
			my $r = $list->[$nrcpt++ % @$list];
			$accepted++ if $r =~ /^2/;
			push @pending, $r;
		} elsif ($cmd =~ /^DATA/i) {
			my $r = $b{data} // ($accepted ? "354 go ahead\r\n" :
			    "503 5.5.1 No valid recipients\r\n");
			$send->(join('', @pending, $r));
			@pending = ();
			next unless $r =~ /^354/;
			while (defined(my $d = $line->())) {
				if ($b{close_in_data}) {
					close $c;
					POSIX::_exit(0);
				}
				last if $d eq ".\r\n";
			}
			my $eod = $b{eod} // ["250 2.0.0 Ok: queued\r\n"];
			my $n = $ehlo =~ /LMTP|^250-lmtp/m || $b{lmtp} ?
			    $accepted : 1;
			$send->($eod->[$_ % @$eod]) for 0 .. $n - 1;
			($nrcpt, $accepted) = (0, 0);
		} elsif ($cmd =~ /^RSET/i) {
			$send->($b{rset} // "250 2.0.0 Ok\r\n");
			($nrcpt, $accepted) = (0, 0);
		} elsif ($cmd =~ /^QUIT/i) {
			$send->("221 2.0.0 Bye\r\n");
			last;
		} elsif ($cmd eq ".\r\n") {
			$send->("503 5.5.1 nothing\r\n");
		} else {
			$send->("500 5.5.1 what\r\n");
		}
		$send->(shift @pending) while !$pipelining->() && @pending;
	}
	close $c;
	POSIX::_exit(0);
}

sub reap_server {
	my ($pid) = @_;
	my $deadline = time + 10;
	while (time < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) {
			@servers = grep { $_ != $pid } @servers;
			return 1;
		}
		sleep 0.05;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
	@servers = grep { $_ != $pid } @servers;
	return 0;
}

# Runs the probe: (exit code, stdout, stderr, seconds).
sub probe {
	my ($addr, $msg, $args, @rcpts) = @_;
	my $n = $seq++;
	my ($in, $out, $err) = map { "$base/p$_$n" } qw(msg out err);
	spew($in, $msg);
	my $start = time;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDOUT, '>', $out) or POSIX::_exit(126);
		open(STDERR, '>', $err) or POSIX::_exit(126);
		exec($probe, @$args, $addr, $in, 's@example.net',
		    @rcpts ? @rcpts : ('a@example.org')) or POSIX::_exit(127);
	}
	my $deadline = time + 60;
	my $rc = -1;
	while (time < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) {
			$rc = $? >> 8;
			last;
		}
		sleep 0.02;
	}
	if ($rc == -1) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
	}
	return ($rc, slurp($out), slurp($err), time - $start);
}

sub data_of {
	my ($log) = @_;
	return $log =~ /\r\nDATA\r\n(.*?\r\n\.\r\n)/s ? $1 : undef;
}

sub run_case {
	my (%o) = @_;
	my ($l, $addr) = listener($o{kind} // 'inet');
	my ($pid, $log) = serve($l, %{ $o{server} // {} });
	my ($rc, $out, $err, $secs) = probe($addr, $o{msg} // "Subject: x\r\n\r\nbody\r\n",
	    $o{args} // [], @{ $o{rcpts} // [] });
	reap_server($pid);
	close $l;
	return ($out, slurp($log), $err, $secs, $log);
}

# ------------------------------------------------ bytes on the wire
my $long = 'x' x 2000;
my $MSG = "Subject: dots\n.\n..x\r\nbare\rcr\r\n.end\n8bit \xc3\xa9\n$long\nlast";
my $WANT = "Subject: dots\r\n..\r\n...x\r\nbare\r\ncr\r\n..end\r\n" .
    "8bit \xc3\xa9\r\n$long\r\nlast\r\n.\r\n";
{
	my ($out, $got, $err) = run_case(msg => $MSG, args => ['-8', '-m', 'none'],
	    rcpts => ['a@example.org', 'b@example.org']);
	my $size = length $MSG;
	like($got, qr/\AEHLO probe\.example\r\nMAIL FROM:<s\@example\.net> SIZE=$size BODY=8BITMIME\r\nRCPT TO:<a\@example\.org>\r\nRCPT TO:<b\@example\.org>\r\nDATA\r\n/,
	    "pipelined: EHLO, MAIL with SIZE and BODY=8BITMIME, the RCPTs, DATA (replies held until DATA)") or diag $err;
	is(data_of($got), $WANT, "content: CRLF only, bare CR and LF made CRLF, dots stuffed, 8-bit and a 2000-byte line as they are, final CRLF added");
	like($got, qr/\r\n\.\r\nQUIT\r\n\z/, "QUIT after the end of data");
	like($out, qr/^done tls=0\nrcpt a\@example\.org status=2 code=250 esc=2\.0\.0 text=250 2\.0\.0 Ok: queued\nrcpt b\@example\.org status=2 code=250 /m,
	    "both delivered with the end-of-data reply");
	like($out, qr/^closed status=2 stage=quit esc= text=221 2\.0\.0 Bye$/m, "closed(2) after QUIT");
}
{
	my $msg = "A: b\r\n\r\n.\r\n\r\n";
	my ($out, $got) = run_case(msg => $msg, args => ['-m', 'none'],
	    server => { ehlo => "250-test.example\r\n250 8BITMIME\r\n" },
	    rcpts => ['a@example.org', 'b@example.org']);
	like($got, qr/MAIL FROM:<s\@example\.net>\r\nRCPT TO:<a\@example\.org>\r\nRCPT TO:<b\@example\.org>\r\nDATA\r\n/, "no PIPELINING: no SIZE, no BODY for 7-bit");
	ok(!-e "$base/server" . ($seq - 2) . ".err", "no PIPELINING: nothing sent ahead of a reply");
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
	    server => { rcpt => ["250 2.1.5 Ok\r\n", "550 5.1.1 <b>: unknown\r\n", "452 4.2.2 full\r\n"] },
	    rcpts => ['a@x.org', 'b@x.org', 'c@x.org']);
	like($out, qr/^rcpt a\@x\.org status=2 /m, "250 to RCPT, delivered");
	like($out, qr/^rcpt b\@x\.org status=5 code=550 esc=5\.1\.1 text=550 5\.1\.1 <b>: unknown$/m, "550 to RCPT: that recipient bounced");
	like($out, qr/^rcpt c\@x\.org status=4 code=452 esc=4\.2\.2 /m, "452 to RCPT: that recipient deferred");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { greeting => "220-first line\r\n220-\r\n220\r\n",
	    ehlo => "250-test.example\r\n250-\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 \r\n",
	    eod => ["250-2.0.0 part one\r\n250-2.0.0\r\n250 2.0.0 last\r\n"] });
	like($out, qr/^rcpt a\@example\.org status=2 code=250 esc=2\.0\.0 text=250 2\.0\.0 part one last$/m,
	    "multi-line replies with empty and bare continuation lines");
	like($got, qr/\r\nDATA\r\n/, "pipelined after a multi-line EHLO");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { rcpt => ["550 5.1.1 no\r\n"] }, rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=5 .*\nrcpt b\@x\.org status=5 /m, "every RCPT refused: both bounced");
	unlike($got, qr/\r\n\.\r\n/, "no content after a 503 to the pipelined DATA");
	like($got, qr/DATA\r\nRSET\r\nQUIT\r\n\z/, "RSET closes the transaction, then QUIT");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { rcpt => ["550 5.1.1 no\r\n"], data => "354 go\r\n" });
	like($got, qr/DATA\r\n\.\r\nQUIT\r\n\z/, "354 with no recipient accepted: a lone dot, no content");
	like($out, qr/^rcpt a\@example\.org status=5 code=550 /m, "the RCPT refusal is the outcome");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { mail => "553 5.1.8 bad sender\r\n",
	    rcpt => ["503 5.5.1 MAIL first\r\n"] }, rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=5 code=553 esc=5\.1\.8 .*\nrcpt b\@x\.org status=5 code=553 /m, "5xx to MAIL: every recipient bounced");
	unlike($got, qr/RSET|\r\n\.\r\n/, "no RSET and no content after a refused MAIL");
	($out, $got) = run_case(args => ['-m', 'none'],
	    server => { mail => "451 4.3.0 later\r\n", ehlo => "250-x\r\n250 8BITMIME\r\n" });
	like($out, qr/^rcpt a\@example\.org status=4 code=451 /m, "4xx to MAIL: deferred");
	unlike($got, qr/RCPT/, "without PIPELINING no RCPT after a refused MAIL");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none'],
	    server => { data => "554 5.6.0 no data\r\n" }, rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=5 code=554 .*\nrcpt b\@x\.org status=5 code=554 /m, "5xx to DATA: every accepted recipient bounced");
	like($got, qr/DATA\r\nRSET\r\n/, "RSET after a refused DATA");
	($out) = run_case(args => ['-m', 'none'],
	    server => { eod => ["451 4.3.0 try later\r\n"] }, rcpts => ['a@x.org', 'b@x.org']);
	like($out, qr/^rcpt a\@x\.org status=4 code=451 .*\nrcpt b\@x\.org status=4 code=451 /m, "4xx to end of data: every accepted recipient deferred");
}
{
	my ($out, $got) = run_case(msg => "x\r\n" x 100000, args => ['-m', 'none'],
	    server => { close_in_data => 1 });
	like($out, qr/\Adone tls=0\nrcpt a\@example\.org status=0 code=0 esc= text=\nclosed status=4 stage=body esc=4\.4\.2 /,
	    "connection dropped mid-DATA: done() with no outcome, then closed(4, body, 4.4.2)");
}
{
	my ($out, $got, $err, $secs) = run_case(args => ['-m', 'none', '-T', '1'],
	    server => { delay => { mail => 3 } });
	like($out, qr/^closed status=4 stage=mail esc=4\.4\.2 text=.*timed out/m, "a reply slower than the timeout: closed(4, mail, 4.4.2)");
	like($out, qr/^rcpt a\@example\.org status=0 /m, "the recipient has no outcome");
	cmp_ok($secs, '<', 2.8, "given up after the 1 s timeout");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none', '-8'],
	    server => { ehlo => "502 5.5.2 no EHLO\r\n", helo => "250 ok\r\n" });
	like($got, qr/\AEHLO probe\.example\r\nHELO probe\.example\r\nQUIT\r\n\z/, "EHLO 5xx: HELO; 8-bit message not sent without 8BITMIME");
	like($out, qr/^rcpt a\@example\.org status=5 code=0 esc=5\.6\.3 /m, "8-bit to a server without 8BITMIME: 5.6.3, no downgrade");
	($out, $got) = run_case(args => ['-m', 'none'],
	    server => { ehlo => "502 5.5.2 no EHLO\r\n", helo => "250 ok\r\n" });
	like($got, qr/\AEHLO probe\.example\r\nHELO probe\.example\r\nMAIL FROM:<s\@example\.net>\r\nRCPT TO:<a\@example\.org>\r\nDATA\r\n/, "after HELO: no extension used, one command at a time");
	like($out, qr/^rcpt a\@example\.org status=2 /m, "delivered after HELO");
	($out, $got) = run_case(args => ['-m', 'none'],
	    server => { ehlo => "500 5.5.1 no\r\n", helo => "550 5.7.1 go away\r\n" });
	like($out, qr/^closed status=5 stage=helo esc=5\.7\.1 text=550 5\.7\.1 go away$/m, "EHLO 5xx then HELO 5xx: closed(5, helo)");
	($out, $got) = run_case(args => ['-m', 'none'],
	    server => { greeting => "554 5.3.2 not today\r\n" });
	like($out, qr/\Aclosed status=5 stage=greeting esc=5\.3\.2 /, "greeting 554: closed(5, greeting), no done()");
	like($got, qr/\AQUIT\r\n\z/, "only QUIT after a refused greeting");
	($out) = run_case(args => ['-m', 'none'],
	    server => { rcpt => ["421 4.3.2 shutting down\r\n"] });
	like($out, qr/^rcpt a\@example\.org status=0 .*\nclosed status=4 stage=\S+ esc=4\.3\.2 text=421 /m, "421 to RCPT: closed(4), recipient without outcome");
}
{
	my ($out, $got) = run_case(msg => "x" x 500, args => ['-m', 'none'],
	    server => { ehlo => "250-test\r\n250-PIPELINING\r\n250 SIZE 100\r\n" });
	like($out, qr/^rcpt a\@example\.org status=5 code=0 esc=5\.3\.4 /m, "bigger than the SIZE limit: 5.3.4");
	unlike($got, qr/MAIL/, "and nothing sent");
	($out, $got) = run_case(args => ['-m', 'none', '-U'],
	    server => { ehlo => "250-test\r\n250 PIPELINING\r\n" });
	like($out, qr/^rcpt a\@example\.org status=5 code=0 esc=5\.6\.7 /m, "SMTPUTF8 needed and not offered: 5.6.7");
	($out, $got) = run_case(args => ['-m', 'none', '-U'], rcpts => ["j\xc3\xb6rg\@example.org"]);
	like($got, qr/MAIL FROM:<s\@example\.net> SIZE=\d+ SMTPUTF8\r\nRCPT TO:<j\xc3\xb6rg\@example\.org>\r\n/, "SMTPUTF8 parameter when needed and offered");
}
{
	my ($out, $got) = run_case(args => ['-m', 'none', '-N', '6', '-R', '2', '-E', 'id+1=x y',
	    '-O', 'rfc822;a+b=c@example.org'],
	    server => { ehlo => "250-test\r\n250-PIPELINING\r\n250 DSN\r\n" });
	like($got, qr/MAIL FROM:<s\@example\.net> RET=HDRS ENVID=id\+2B1\+3Dx\+20y\r\nRCPT TO:<a\@example\.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a\+2Bb\+3Dc\@example\.org\r\n/,
	    "DSN offered: RET, ENVID and ORCPT xtext-encoded, NOTIFY");
	($out, $got) = run_case(args => ['-m', 'none', '-N', '6', '-R', '2', '-E', 'x'],
	    server => { ehlo => "250-test\r\n250 PIPELINING\r\n" });
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
	my ($out, $got) = run_case(kind => 'unix', args => ['-L', '-m', 'none'],
	    server => { lmtp => 1, ehlo => "250-lmtp.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
	    rcpt => ["250 2.1.5 Ok\r\n", "550 5.1.1 unknown\r\n", "250 2.1.5 Ok\r\n"],
	    eod => ["250 2.0.0 saved\r\n", "452 4.2.2 full\r\n"] },
	    rcpts => ['a', 'b', 'c']);
	like($got, qr/\ALHLO probe\.example\r\nMAIL FROM:<s\@example\.net>\r\nRCPT TO:<a>\r\nRCPT TO:<b>\r\nRCPT TO:<c>\r\nDATA\r\n/, "LMTP over a UNIX socket: LHLO, pipelined");
	like($out, qr/^rcpt a status=2 code=250 .*\nrcpt b status=5 code=550 .*\nrcpt c status=4 code=452 esc=4\.2\.2 /m,
	    "LMTP: one end-of-data reply per accepted recipient, in order");
}
SKIP: {
	my ($l6) = listener('inet6');
	skip "no IPv6 loopback", 2 unless $l6;
	close $l6;
	my ($out, $got) = run_case(kind => 'inet6', args => ['-m', 'none']);
	like($got, qr/\AEHLO probe\.example\r\nMAIL FROM:/, "IPv6: [::1]");
	like($out, qr/^rcpt a\@example\.org status=2 /m, "IPv6: delivered");
}
{
	my $port = SmtpdTest::free_port();
	my ($rc, $out) = probe("127.0.0.1:$port", "x\r\n", ['-m', 'none']);
	like($out, qr/\Aclosed status=4 stage=connect esc=4\.4\.1 /, "connection refused: closed(4, connect, 4.4.1)");
}

# ------------------------------------------------ TLS
SKIP: {
	skip "IO::Socket::SSL not installed (libio-socket-ssl-perl)", 16 unless $have_ssl;
	skip "no test certificates: $TlsCert::ERROR", 16 unless $certs;
	my $tls_ehlo = "250-test.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
	my $after = "250-test.example\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
	my ($out, $got) = run_case(args => [],
	    server => { ehlo => $tls_ehlo, ehlo_tls => $after, starttls => "220 2.0.0 go\r\n",
	    inject => "250-test\r\n250 fake\r\n" });
	like($got, qr/\AEHLO probe\.example\r\nSTARTTLS\r\n<TLS>EHLO probe\.example\r\nMAIL FROM:/, "opportunistic STARTTLS, then EHLO again");
	like($out, qr/^done tls=1\nrcpt a\@example\.org status=2 /m, "delivered under TLS; bytes injected after the 220 were ignored");
	($out, $got) = run_case(args => ['-a', 'user', '-P', 'sEcret'],
	    server => { ehlo => $tls_ehlo, ehlo_tls => $after, starttls => "220 go\r\n" });
	my $plain = encode_base64("\0user\0sEcret", '');
	like($got, qr/<TLS>EHLO probe\.example\r\nAUTH PLAIN \Q$plain\E\r\nMAIL FROM:/, "AUTH PLAIN with the initial response, under TLS");
	like($out, qr/^rcpt a\@example\.org status=2 /m, "delivered after AUTH");
	($out, $got) = run_case(args => ['-a', 'user', '-P', 'sEcret'],
	    server => { ehlo => $tls_ehlo, starttls => "220 go\r\n",
	    ehlo_tls => "250-test\r\n250 AUTH LOGIN\r\n", auth => ["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 2.7.0 ok\r\n"] });
	like($got, qr/AUTH LOGIN\r\ndXNlcg==\r\nc0VjcmV0\r\nMAIL FROM:/, "AUTH LOGIN when PLAIN is not offered");
	($out, $got) = run_case(args => ['-a', 'user', '-P', 'sEcret'],
	    server => { ehlo => $tls_ehlo, ehlo_tls => $after, starttls => "220 go\r\n",
	    auth => ["535 5.7.8 bad credentials\r\n"] });
	like($out, qr/\Aclosed status=5 stage=auth esc=5\.7\.8 text=535 5\.7\.8 bad credentials$/m, "535: closed(5, auth, 5.7.8)");
	unlike($got, qr/MAIL/, "nothing sent after a failed AUTH");
	($out, $got) = run_case(args => ['-m', 'none', '-a', 'user', '-P', 'sEcret'],
	    server => { ehlo => $after });
	like($out, qr/\Aclosed status=4 stage=auth esc=4\.7\.5 /, "AUTH never in plaintext: closed(4, auth, 4.7.5)");
	unlike($got, qr/AUTH|sEcret|MAIL/, "no AUTH, no password, no MAIL on the wire");
	($out, $got) = run_case(args => ['-m', 'starttls'], server => { ehlo => $EHLO });
	like($out, qr/\Aclosed status=4 stage=starttls esc=4\.7\.5 /, "TLS required, STARTTLS not offered: closed(4, starttls, 4.7.5)");
	like($got, qr/\AEHLO probe\.example\r\nQUIT\r\n\z/, "nothing of the message sent");
	($out, $got) = run_case(args => ['-m', 'implicit'], server => { implicit => 1 });
	like($got, qr/\AEHLO probe\.example\r\nMAIL FROM:/, "implicit TLS: handshake first, then the greeting");
	like($out, qr/^done tls=1\nrcpt a\@example\.org status=2 /m, "delivered over implicit TLS");
	($out, $got) = run_case(args => ['-m', 'starttls', '-v', '-C', $certs->ca, '-S', 'localhost'],
	    server => { ehlo => $tls_ehlo, ehlo_tls => $after, starttls => "220 go\r\n" });
	like($out, qr/^done tls=1\nrcpt a\@example\.org status=2 /m, "verified: chain and name localhost");
	($out, $got) = run_case(args => ['-m', 'starttls', '-v', '-C', $certs->ca, '-S', 'wrong.example'],
	    server => { ehlo => $tls_ehlo, ehlo_tls => $after, starttls => "220 go\r\n" });
	like($out, qr/\Aclosed status=4 stage=starttls esc=4\.7\.5 /, "verification by name fails: 4.7.5");
	unlike($got, qr/MAIL/, "and nothing of the message sent");
}

done_testing();

# 90-tls.t: STARTTLS, smtps and tls-require with real TLS clients
# (gnutls-cli, openssl s_client, Python ssl/smtplib, swaks) against the
# daemon, certificates made at test time (t/lib/TlsCert.pm): messages are
# queued with "with ESMTPS" and the TLS comment in Received:, SNI picks the
# second certificate, pipelined plaintext after STARTTLS is never answered,
# tls-require refuses MAIL before STARTTLS, and handshakes cut at any byte
# (or never finished) leave the daemon serving everyone else.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use IPC::Open3;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use SmtpClient;
use SmtpdTest;
use TlsCert;

my $d = SmtpdTest->new(no_conf => 1);
my $certs = TlsCert->new($d->dir)
    or plan skip_all => "cannot make test certificates: $TlsCert::ERROR";
my $CA = $certs->ca;

# @PORT@ tls (STARTTLS, two pki for SNI), @PORT2@ smtps, @PORT3@
# tls-require, @PORT4@ plain; tlsonly.example is accepted under TLS only.
$d->write_conf($certs->pki_conf . <<'CONF');
smtp timeout 4s
listen on 127.0.0.1 port @PORT@ tls pki localhost pki mx2.test
listen on 127.0.0.1 port @PORT2@ smtps pki localhost pki mx2.test
listen on 127.0.0.1 port @PORT3@ tls-require pki localhost
listen on 127.0.0.1 port @PORT4@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
match from any for domain "example.org" action "local"
match tls from any for domain "tlsonly.example" action "local"
CONF
$d->start;
my ($TLS, $SMTPS, $REQ, $PLAIN) = map { $d->port($_) } 1 .. 4;
my $smtp_pid = $d->roles->{smtp};
ok($smtp_pid, "the smtp role runs");

my $python = (grep { -x $_ } map { "$_/python3" } split /:/, $ENV{PATH})[0];

sub queued_with {
	my ($needle) = @_;
	return grep { $_->{message} =~ /\Q$needle\E/ } values %{ $d->queued };
}

# The Received: field of the message carrying $subject says ESMTPS and
# which TLS version and cipher (delivery.md §1.1).
sub received_tls_ok {
	my ($subject, $what) = @_;
	my @m;
	SmtpdTest::wait_for(sub { @m = queued_with($subject) }, 5);
	is(scalar(@m), 1, "$what: the message is queued");
	like($m[0]{message} // '', qr/\AReceived: from \S+ \(<unknown> \[127\.0\.0\.1\]\)\r\n\tby \S+ \(\S+\) with ESMTPS id [0-9a-f]{8}\r\n\t\(TLS1\.[23]:TLS_[A-Z0-9_]+:(?:128|256):NO\)\r\n\tfor <root\@example\.org>;/,
	    "$what: Received says ESMTPS with the TLS version and cipher");
}

# Run a client, feed it lines and wait for what it prints: steps are
# [bytes to send or undef, regex expected next]. Returns (ok, transcript).
sub converse {
	my ($cmd, @steps) = @_;
	my ($in, $out);
	my $pid = open3($in, $out, undef, @$cmd);
	$in->autoflush(1);
	my $sel = IO::Select->new($out);
	my ($buf, $pos, $ok, $eof) = ('', 0, 1, 0);
	my $fill = sub {
		my ($deadline) = @_;
		return 0 if $eof || !$sel->can_read($deadline - time > 0 ?
		    $deadline - time : 0);
		my $n = sysread($out, my $chunk, 65536);
		$eof = 1 unless $n;
		$buf .= $chunk if $n;
		return $n;
	};
	for my $st (@steps) {
		my ($send, $re) = @$st;
		print $in $send if defined $send;
		my $deadline = time + 15;
		until (substr($buf, $pos) =~ $re) {
			last if time > $deadline || $eof;
			$fill->($deadline);
		}
		if (substr($buf, $pos) =~ $re) {
			$pos += $+[0];
		} else {
			$ok = 0;
			last;
		}
	}
	close $in;
	my $deadline = time + 5;
	$fill->($deadline) while !$eof && time < $deadline;
	kill 'TERM', $pid unless $eof;
	waitpid($pid, 0);
	return ($ok, $buf);
}

my $BODY_STEPS = sub {
	my ($subject) = @_;
	# Our EHLO's own reply (openssl may echo the end of the first one).
	return ([ "EHLO client.example\r\n",
		qr/^250-\S+ Hello client\.example .*\n(?:250-.*\n)*250 HELP\r?$/m ],
	    [ "MAIL FROM:<tls\@example.net>\r\n", qr/^250 2\.0\.0 Ok/m ],
	    [ "RCPT TO:<root\@example.org>\r\n", qr/^250 2\.1\.5/m ],
	    [ "DATA\r\n", qr/^354 /m ],
	    [ "Subject: $subject\r\n\r\nover TLS\r\n.\r\n",
		qr/^250 2\.0\.0 [0-9a-f]{8} Message accepted for delivery/m ],
	    [ "QUIT\r\n", qr/^221 2\.0\.0/m ]);
};

# ------------------------------------------------------------ EHLO, errors
{
	my $c = SmtpClient->new($TLS);
	my $r = $c->cmd("EHLO client.example");
	like($r, qr/^250-STARTTLS\r$/m, "tls listener: EHLO offers STARTTLS");
	like($c->cmd("STARTTLS now"), qr/^501 5\.5\.4 /, "STARTTLS with an argument: 501 5.5.4");
	$c->close;
	$c = SmtpClient->new($PLAIN);
	unlike($c->cmd("EHLO client.example"), qr/STARTTLS/, "plain listener: no STARTTLS offered");
	like($c->cmd("STARTTLS"), qr/^502 5\.5\.1 /, "plain listener: STARTTLS is 502 5.5.1");
	$c->cmd("EHLO client.example");
	$c->cmd("MAIL FROM:<a\@example.net>");
	like($c->cmd("RCPT TO:<root\@tlsonly.example>"), qr/^550 /, "match tls: refused in plaintext");
	$c->close;
}

# ------------------------------------------------------------ gnutls-cli
SKIP: {
	skip "gnutls-cli not installed", 3 unless `gnutls-cli --version 2>&1` =~ /gnutls/i;
	my ($ok, $out) = converse([ "gnutls-cli", "--starttls-proto=smtp",
	    "--x509cafile", $CA, "-p", $TLS, "localhost" ],
	    [ undef, qr/Simple Client Mode/ ], $BODY_STEPS->("via-gnutls-cli"));
	ok($ok, "gnutls-cli --starttls-proto=smtp: a message over STARTTLS") or diag $out;
	received_tls_ok("via-gnutls-cli", "gnutls-cli");
}

# ------------------------------------------------------------ openssl s_client
SKIP: {
	skip "openssl not installed", 3 unless `openssl version 2>&1` =~ /SSL/;
	my ($ok, $out) = converse([ "openssl", "s_client", "-starttls", "smtp",
	    "-connect", "127.0.0.1:$TLS", "-CAfile", $CA, "-verify_return_error",
	    "-nocommands", "-quiet" ], $BODY_STEPS->("via-openssl"));
	ok($ok, "openssl s_client -starttls smtp: a message over STARTTLS") or diag $out;
	received_tls_ok("via-openssl", "openssl s_client");

	# SNI: the pki named like the name, or whose certificate matches it.
	for ([ "mx2.test", "mx2.test" ], [ "x.alt.test", "mx2.test" ],
	    [ "unknown.test", "localhost" ]) {
		my ($sni, $cn) = @$_;
		for my $mode ([ "STARTTLS", "-starttls", "smtp", "-connect", "127.0.0.1:$TLS" ],
		    [ "smtps", "-connect", "127.0.0.1:$SMTPS" ]) {
			my ($name, @args) = @$mode;
			my ($sok, $sout) = converse([ "openssl", "s_client", @args,
			    "-servername", $sni, "-CAfile", $CA, "-nocommands" ],
			    [ "QUIT\r\n", qr/^221 /m ]);
			like($sout, qr/^subject=\s*CN\s*=\s*\Q$cn\E\s*$/m,
			    "$name, SNI $sni: the certificate of $cn");
		}
	}
	my ($sok, $sout) = converse([ "openssl", "s_client", "-connect",
	    "127.0.0.1:$SMTPS", "-CAfile", $CA, "-nocommands", "-tls1_2" ],
	    [ "QUIT\r\n", qr/^221 /m ]);
	like($sout, qr/^subject=\s*CN\s*=\s*localhost\s*$/m, "no SNI: the listener's first pki");
	like($sout, qr/Protocol\s*:\s*TLSv1\.2/, "TLS 1.2 is accepted");
	($sok, $sout) = converse([ "openssl", "s_client", "-connect",
	    "127.0.0.1:$SMTPS", "-nocommands", "-tls1_1" ], [ undef, qr/\z/ ]);
	unlike($sout, qr/^220 /m, "TLS 1.1 is refused");
}

# ------------------------------------------------------------ Python
SKIP: {
	skip "python3 not installed", 8 unless $python;
	my $py = <<'PY';
import smtplib, ssl, sys
port, smtps_port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("python.example")
assert s.has_extn("starttls")
code, msg = s.starttls(context=ctx)
assert code == 220, (code, msg)
code, msg = s.ehlo("python.example")
assert code == 250 and not s.has_extn("starttls"), (code, msg)
print("version", s.sock.version())
r = s.sendmail("py@example.net", ["root@example.org"],
    "Subject: via-smtplib-starttls\r\n\r\n" + "x" * 998 + "\r\n" + ("line\r\n" * 60000))
assert not r, r
# two messages in one TLS session, the second to a tls-only domain
r = s.sendmail("py@example.net", ["root@example.org", "root@tlsonly.example"],
    "Subject: via-smtplib-second\r\n\r\nsecond\r\n")
assert not r, r
code, _ = s.docmd("STARTTLS")
assert code == 503, code
s.quit()
t = smtplib.SMTP_SSL("127.0.0.1", smtps_port, context=ctx, timeout=10)
code, _ = t.ehlo("python.example")
assert code == 250 and not t.has_extn("starttls")
t.sendmail("py@example.net", ["root@example.org"], "Subject: via-smtps\r\n\r\nimplicit\r\n")
t.quit()
print("ok")
PY
	my ($rc, $out) = SmtpdTest::run($python, "-c", $py, $TLS, $SMTPS, $CA);
	is($rc, 0, "python smtplib starttls() and SMTP_SSL") or diag $out;
	like($out, qr/^version TLSv1\.3$/m, "python negotiates TLS 1.3");
	received_tls_ok("via-smtplib-starttls", "smtplib starttls");
	my ($big) = queued_with("via-smtplib-starttls");
	like($big->{message} // '', qr/\r\n\r\nx{998}\r\n(?:line\r\n){60000}\z/,
	    "a 360 KB message went through TLS records whole");
	my ($second) = queued_with("via-smtplib-second");
	is(scalar(@{ $second->{envelopes} // [] }), 2, "match tls: the tls-only recipient is accepted under TLS");
	received_tls_ok("via-smtps", "smtps");
}

# ------------------------------------------------------------ swaks
SKIP: {
	skip "swaks without TLS support", 6
	    unless -x "/usr/bin/swaks" && `swaks --support 2>&1` =~ /TLS supported/;
	my ($rc, $out) = SmtpdTest::run("swaks", "--server", "127.0.0.1", "--port", $TLS,
	    "--tls", "--from", 'sw@example.net', "--to", 'root@example.org',
	    "--header", "Subject: via-swaks-tls", "--body", "hello", "--timeout", "10");
	is($rc, 0, "swaks --tls exits 0") or diag $out;
	like($out, qr/<~\s+250 2\.0\.0 [0-9a-f]{8} Message accepted/, "swaks --tls: accepted inside TLS");
	received_tls_ok("via-swaks-tls", "swaks --tls");
	($rc, $out) = SmtpdTest::run("swaks", "--server", "127.0.0.1", "--port", $SMTPS,
	    "--tls-on-connect", "--from", 'sw@example.net', "--to", 'root@example.org',
	    "--header", "Subject: via-swaks-smtps", "--body", "hello", "--timeout", "10");
	is($rc, 0, "swaks --tls-on-connect exits 0") or diag $out;
	received_tls_ok("via-swaks-smtps", "swaks --tls-on-connect");
}

# ------------------------------------------------------------ injection
SKIP: {
	skip "python3 not installed", 6 unless $python;
	my $py = <<'PY';
import socket, ssl, sys, time
port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = b""
def line():
    global f
    while b"\r\n" not in f:
        c = s.recv(4096)
        if not c:
            raise SystemExit("eof")
        f += c
    l, f = f.split(b"\r\n", 1)
    return l
def reply():
    r = []
    while True:
        l = line()
        r.append(l.decode())
        if l[3:4] != b"-":
            return r
reply()
s.sendall(b"EHLO inject.example\r\n")
reply()
if mode == "pipelined":
    # one packet: the RSET must never be answered, in or out of TLS
    s.sendall(b"STARTTLS\r\nRSET\r\nMAIL FROM:<evil@example.net>\r\n")
    print("starttls", reply())
    assert f == b"", f
    t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    t.settimeout(1.5)
    t.sendall(b"MAIL FROM:<a@example.net>\r\n")
    got = b""
    try:
        while True:
            c = t.recv(4096)
            if not c:
                break
            got += c
    except socket.timeout:
        pass
    print("after", got.decode().replace("\r\n", "|"))
    t.sendall(b"EHLO inject.example\r\n")
    got = b""
    try:
        while True:
            c = t.recv(4096)
            if not c:
                break
            got += c
    except socket.timeout:
        pass
    print("ehlo", got.decode().replace("\r\n", "|"))
else:
    # plaintext sent after the 220 goes into the handshake, never to SMTP
    s.sendall(b"STARTTLS\r\n")
    print("starttls", reply())
    s.sendall(b"RSET\r\n")
    s.settimeout(2)
    try:
        c = s.recv(4096)
        print("plaintext", repr(c))
    except socket.timeout:
        print("plaintext timeout")
    except ConnectionError:
        print("plaintext reset")
PY
	my ($rc, $out) = SmtpdTest::run($python, "-c", $py, $TLS, $CA, "pipelined");
	is($rc, 0, "STARTTLS with pipelined commands: the client ran") or diag $out;
	like($out, qr/^starttls \['220 2\.0\.0 Ready to start TLS'\]$/m, "220 2.0.0 Ready to start TLS");
	like($out, qr/^after 503 5\.5\.1 [^|]*\|$/m,
	    "inside TLS: MAIL before a new EHLO is 503, and nothing else was answered");
	like($out, qr/^ehlo 250-[^|]*\|(?:250-[^|]*\|)*250 HELP\|$/m,
	    "inside TLS: only the EHLO reply, the pipelined RSET was never answered");
	ok($d->wait_log(qr/event=starttls-discard address=127\.0\.0\.1 bytes=36\b/),
	    "the discarded plaintext is logged");
	($rc, $out) = SmtpdTest::run($python, "-c", $py, $TLS, $CA, "late");
	like($out, qr/^plaintext (?:b''|timeout|reset)$/m,
	    "plaintext after the 220 is never answered in plaintext") or diag $out;
}

# ------------------------------------------------------------ tls-require
{
	my $c = SmtpClient->new($REQ);
	like($c->cmd("EHLO client.example"), qr/^250-STARTTLS\r$/m, "tls-require: STARTTLS offered");
	for my $cmd ("MAIL FROM:<a\@example.net>", "RCPT TO:<root\@example.org>", "DATA",
	    "VRFY root", "AUTH PLAIN") {
		like($c->cmd($cmd), qr/^530 5\.7\.0 Must issue a STARTTLS command first\r\n\z/,
		    "tls-require: $cmd before STARTTLS is 530 5.7.0");
	}
	like($c->cmd("NOOP"), qr/^250 /, "tls-require: NOOP is allowed");
	like($c->cmd("RSET"), qr/^250 /, "tls-require: RSET is allowed");
	like($c->cmd("QUIT"), qr/^221 /, "tls-require: QUIT is allowed");
	$c->close;
}
SKIP: {
	skip "python3 not installed", 1 unless $python;
	my $py = <<'PY';
import smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
s.sendmail("r@example.net", ["root@example.org"], "Subject: via-tls-require\r\n\r\nok\r\n")
s.quit()
print("ok")
PY
	my ($rc, $out) = SmtpdTest::run($python, "-c", $py, $REQ, $CA);
	is($rc, 0, "tls-require: mail accepted after STARTTLS") or diag $out;
}

# ------------------------------------------------------------ handshake aborts
# A real ClientHello, captured from openssl s_client on a listener of ours.
sub capture_client_hello {
	my $l = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', ReuseAddr => 1) or return undef;
	my $port = $l->sockport;
	my $pid = fork() // return undef;
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec("openssl", "s_client", "-connect", "127.0.0.1:$port",
		    "-servername", "localhost") or POSIX::_exit(127);
	}
	my $hello = '';
	if (IO::Select->new($l)->can_read(10)) {
		my $c = $l->accept;
		my $sel = IO::Select->new($c);
		my $deadline = time + 10;
		while (time < $deadline && $sel->can_read(1)) {
			my $n = sysread($c, my $chunk, 65536);
			last unless $n;
			$hello .= $chunk;
			last if length($hello) >= 5 &&
			    length($hello) >= 5 + unpack("n", substr($hello, 3, 2));
		}
		close $c;
	}
	kill 'TERM', $pid;
	waitpid($pid, 0);
	return length($hello) > 5 && substr($hello, 0, 1) eq "\x16" ? $hello : undef;
}

sub plain_session_works {
	my $c = eval { SmtpClient->new($PLAIN) } or return 0;
	my $ok = $c->greeting =~ /^220 / && $c->cmd("QUIT") =~ /^221 /;
	$c->close;
	return $ok;
}

my $hello = capture_client_hello();
SKIP: {
	skip "could not capture a ClientHello", 3 unless $hello;
	my $len = length $hello;
	my @offsets = (0, 1, 3, 5, 6, 11, 43, int($len / 2), $len - 1, $len);
	my ($served, $total) = (0, 0);
	for my $off (@offsets) {
		for my $where ("smtps", "starttls") {
			for my $how ("close", "reset") {
				my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
				    PeerPort => $where eq "smtps" ? $SMTPS : $TLS,
				    Proto => 'tcp', Timeout => 5) or next;
				if ($where eq "starttls") {
					my $c = bless { sock => $s, buf => '' }, 'SmtpClient';
					$c->reply;
					$c->cmd("EHLO abort.example");
					$c->cmd("STARTTLS");
				}
				syswrite($s, substr($hello, 0, $off)) if $off;
				setsockopt($s, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0))
				    if $how eq "reset";
				close $s;
				$total++;
				$served++ if plain_session_works();
			}
		}
	}
	is($served, $total, "after each cut handshake ($total, at offsets @offsets of $len) another client is served");
	# Not TLS at all on the smtps port.
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $SMTPS,
	    Proto => 'tcp', Timeout => 5);
	syswrite($s, "EHLO plain.example\r\n" x 50);
	my $c = bless { sock => $s, buf => '' }, 'SmtpClient';
	ok($c->closed(5), "plaintext on the smtps port: closed without a reply");
	ok($d->wait_log(qr/event=tls-failed/), "failed handshakes are logged");
}

# A handshake that never starts, or never ends, is timed out.
{
	my $t0 = time;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $SMTPS,
	    Proto => 'tcp', Timeout => 5);
	my $c = bless { sock => $s, buf => '' }, 'SmtpClient';
	ok($c->closed(10), "smtps: a silent client is closed");
	my $took = time - $t0;
	ok($took > 3 && $took < 8, sprintf("after the handshake timeout (%.1fs)", $took));
	$c = SmtpClient->new($TLS);
	$c->cmd("EHLO slow.example");
	like($c->cmd("STARTTLS"), qr/^220 /, "STARTTLS accepted");
	$c->send(substr($hello, 0, 20)) if $hello;
	ok($c->closed(10), "STARTTLS then a stalled handshake: closed");
	ok($d->wait_log(qr/event=tls-timeout/), "the timeout is logged");
}

# ------------------------------------------------------------ still alive
SKIP: {
	skip "python3 not installed", 1 unless $python;
	my ($rc, $out) = SmtpdTest::run($python, "-c", <<'PY', $SMTPS, $CA);
import smtplib, ssl, sys
t = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), timeout=10,
    context=ssl.create_default_context(cafile=sys.argv[2]))
t.ehlo("after.example")
t.sendmail("a@example.net", ["root@example.org"], "Subject: after-aborts\r\n\r\nok\r\n")
t.quit()
PY
	is($rc, 0, "smtps still works after the aborts") or diag $out;
}
is($d->roles->{smtp}, $smtp_pid, "the smtp role never restarted or died");
ok($d->alive, "the daemon is alive");
unlike($d->log, qr/AddressSanitizer|runtime error|LeakSanitizer/, "no sanitizer report");
$d->stop;

# ------------------------------------------------------------ bad keys
{
	my $key = $d->dir . "/open.key";
	system("cp", $certs->key("localhost"), $key);
	chmod 0644, $key;
	my $b = SmtpdTest->new(conf => "pki p cert \"" . $certs->cert("localhost") . "\"\n"
	    . "pki p key \"$key\"\nlisten on 127.0.0.1 port \@PORT\@ tls pki p\n");
	$b->start(wait => 0);
	ok(defined $b->wait_exit(10), "a world-readable key: smtpd refuses to start");
	like($b->log, qr/key file is world-readable/, "and says why");
	my $p = SmtpdTest->new(conf => $certs->pki_conf . "smtp ciphers \"NOSUCH:+X\"\n"
	    . "listen on 127.0.0.1 port \@PORT\@ smtps pki localhost\n");
	$p->start(wait => 0);
	ok(defined $p->wait_exit(10), "a bad smtp ciphers string: smtpd refuses to start");
	like($p->log, qr/smtp ciphers "NOSUCH:\+X"/, "and says why");
	my $g = SmtpdTest->new(conf => $certs->pki_conf
	    . "smtp ciphers \"NORMAL:-VERS-ALL:+VERS-TLS1.2\"\n"
	    . "listen on 127.0.0.1 port \@PORT\@ smtps pki localhost\n");
	$g->start;
	SKIP: {
		skip "openssl not installed", 1 unless `openssl version 2>&1` =~ /SSL/;
		my ($ok, $out) = converse([ "openssl", "s_client", "-connect",
		    "127.0.0.1:" . $g->port, "-CAfile", $CA, "-nocommands" ],
		    [ "QUIT\r\n", qr/^221 /m ]);
		like($out, qr/Protocol\s*:\s*TLSv1\.2/, "smtp ciphers: TLS 1.2 only when so configured");
	}
	$g->stop;
}

done_testing();

# 95-scriptsmtp.t: the scripted SMTP/LMTP server of t/lib/ScriptSmtp.pm,
# the far end of the relay tests, tested on its own with Net::SMTP and a
# raw socket client: the transcript holds exactly the bytes sent
# (pipelined commands in one read), DATA is stored dot-stuffed as it came,
# multi-line and odd replies go out byte for byte, rules by command, by
# occurrence and by connection, drops (at connect, after a command, in
# DATA), slow replies, STARTTLS and AUTH PLAIN/LOGIN with Net::SMTP,
# implicit TLS, LMTP replies per recipient, a UNIX socket with the
# peer's uid, replies held for a pipelined group, strict (held where the
# EHLO reply offered PIPELINING, checked where it did not), the lockstep
# check (commands sent ahead without PIPELINING), concurrent connections,
# ::1, the idle exit and stop by PID.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::IP;
use MIME::Base64 qw(encode_base64);
use Net::SMTP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use ScriptSmtp;
use SmtpClient;
use TlsCert;

my $tmp = tempdir('scriptsmtp-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $seq = 0;
sub server {
	my (%o) = @_;
	return ScriptSmtp->new(dir => "$tmp/s" . ++$seq, idle => 30, timeout => 5, %o);
}

# Read everything until the server closes (bounded); '' if nothing.
sub read_to_eof {
	my ($c, $secs) = @_;
	my $all = '';
	while (defined(my $l = $c->line($secs // 5))) {
		$all .= $l;
	}
	return $all;
}

# ---------------------------------------------------------------- Net::SMTP
{
	my $s = server(ext => ['PIPELINING', '8BITMIME', 'SIZE 4096', 'DSN',
	    'SMTPUTF8', 'ENHANCEDSTATUSCODES']);
	my $smtp = Net::SMTP->new('127.0.0.1', Port => $s->port, Hello => 'client.test',
	    Timeout => 5);
	ok($smtp, "Net::SMTP connects") or BAIL_OUT("no session with ScriptSmtp");
	like($smtp->banner, qr/^mx\.script\.test ESMTP ScriptSmtp/, "default greeting");
	is($smtp->supports('SIZE'), '4096', "EHLO: SIZE 4096");
	ok(defined $smtp->supports($_), "EHLO: $_") for qw(PIPELINING 8BITMIME DSN SMTPUTF8
	    ENHANCEDSTATUSCODES);
	ok(!defined $smtp->supports('STARTTLS'), "EHLO: no STARTTLS unless listed");
	ok($smtp->mail('a@example.net'), "MAIL");
	ok($smtp->to('b@example.org'), "RCPT");
	# Net::SMTP dot-stuffs: ".dot" goes out as "..dot".
	ok($smtp->data("Subject: one\r\n\r\n.dot\r\nlast\r\n"), "DATA accepted");
	$smtp->quit;
	ok($s->wait_transactions(1, 5), "one transaction stored");
	is($s->data(1), "Subject: one\r\n\r\n..dot\r\nlast\r\n", "data: raw, dot-stuffed as received");
	is($s->message(1), "Subject: one\r\n\r\n.dot\r\nlast\r\n", "message: un-dot-stuffed");
	my $e = $s->envelope(1);
	is($e->{mail}, 'MAIL FROM:<a@example.net>', "envelope: MAIL line");
	is_deeply([ map { [ $_->{code}, $_->{addr} ] } @{ $e->{rcpts} } ],
	    [ [ 250, 'b@example.org' ] ], "envelope: the recipient and its reply");
	ok($s->wait_closed(1, 5), "session closed");
	like($s->transcript(1), qr/\AEHLO client\.test\r\nMAIL FROM:<a\@example\.net>.*\r\nRCPT TO:<b\@example\.org>.*\r\nDATA\r\nSubject: one\r\n\r\n\.\.dot\r\nlast\r\n\.\r\nQUIT\r\n\z/s,
	    "transcript: every byte of the session");
	is($s->connections, 1, "one connection counted");
	$s->stop;
}

# ---------------------------------------------------------------- raw bytes
{
	my $s = server(greeting => ['220-mx.test first line', '220 mx.test second line']);
	my $c = SmtpClient->new($s->port);
	is($c->greeting, "220-mx.test first line\r\n220 mx.test second line\r\n",
	    "multi-line greeting, byte for byte");
	my $ehlo = $c->cmd("EHLO c.test");
	like($ehlo, qr/\A250-mx\.script\.test\r\n(?:250-[^\r]*\r\n)*250 [^\r]*\r\n\z/,
	    "EHLO reply well formed");
	my $pipelined = "MAIL FROM:<x\@example.net>\r\nRCPT TO:<y\@example.org>\r\n" .
	    "RCPT TO:<z\@example.org>\r\nDATA\r\n";
	$c->send($pipelined);
	my @r = $c->replies(4);
	like($r[$_], qr/^250 /, "pipelined reply $_ is 250") for 0 .. 2;
	like($r[3], qr/^354 /, "DATA: 354");
	# Content with a dot line, a line of dots, a lone LF and a CR.
	my $content = "Subject: two\r\n\r\n..\r\n...x\r\nbare\nlf and \r cr\r\n";
	$c->send("$content.\r\n");
	like($c->reply, qr/^250 2\.0\.0 Ok: queued as 1\r\n/, "end of data: 250");
	$c->send("RSET\r\nMAIL FROM:<>\r\nRCPT TO:<w\@example.org>\r\nDATA\r\n");
	@r = $c->replies(4);
	like($r[3], qr/^354 /, "second transaction on the same connection");
	$c->send(".\r\n");
	like($c->reply, qr/^250 .* 2\r\n/, "empty message accepted as transaction 2");
	$c->send("QUIT\r\n");
	like($c->reply, qr/^221 /, "QUIT: 221");
	ok($c->closed, "closed after QUIT");
	ok($s->wait_closed(1, 5), "session over");
	is($s->transcript(1), "EHLO c.test\r\n$pipelined$content.\r\n" .
	    "RSET\r\nMAIL FROM:<>\r\nRCPT TO:<w\@example.org>\r\nDATA\r\n.\r\nQUIT\r\n",
	    "transcript equals the bytes sent");
	ok((grep { $_ eq $pipelined } $s->reads(1)),
	    "the four pipelined commands arrived in one read");
	is($s->data(1), $content, "data 1: exactly the content sent");
	is($s->data(2), '', "data 2: empty");
	is($s->transactions, 2, "two transactions");
	is_deeply([ map { $_->{addr} } @{ $s->envelope(1)->{rcpts} } ],
	    [ 'y@example.org', 'z@example.org' ], "both recipients recorded");
	is($s->envelope(2)->{mail}, 'MAIL FROM:<>', "null sender recorded");
	$s->stop;
}

# ---------------------------------------------------------------- rules
{
	my $s = server(rules => [
		{ cmd => qr/^EHLO/i, raw => "250-mx.odd\r\n250-PIPELINING\r\n250\r\n" },
		{ cmd => qr/^HELO/i, raw => "250 \r\n" },
		{ cmd => qr/^RCPT TO:<bad\@/i, reply => '550 5.1.1 <bad> no such user' },
		{ cmd => qr/^RCPT/i, nth => 3, reply => [ '452-4.5.3 too many', '452-4.5.3 recipients',
		    '452 4.5.3 try later' ] },
		{ cmd => 'noop', sleep => 1, reply => '250 2.0.0 slow' },
		{ cmd => qr/^DATA-END$/, conn => 1, reply => '451 4.3.0 not today' },
	]);
	my $c = SmtpClient->new($s->port);
	$c->send("EHLO c\r\n");
	my $odd = '';
	$odd .= $c->line // last for 1 .. 3;
	is($odd, "250-mx.odd\r\n250-PIPELINING\r\n250\r\n", "raw EHLO reply with a bare '250' last line");
	is($c->cmd("HELO c"), "250 \r\n", "raw reply '250 ' (space, no text)");
	$c->cmd("MAIL FROM:<a\@example.net>");
	like($c->cmd("RCPT TO:<ok1\@example.org>"), qr/^250 /, "RCPT 1: default");
	is($c->cmd("RCPT TO:<bad\@example.org>"), "550 5.1.1 <bad> no such user\r\n",
	    "RCPT matching a pattern: its reply");
	is($c->cmd("RCPT TO:<ok3\@example.org>"),
	    "452-4.5.3 too many\r\n452-4.5.3 recipients\r\n452 4.5.3 try later\r\n",
	    "third RCPT (nth => 3): multi-line reply");
	like($c->cmd("RCPT TO:<ok4\@example.org>"), qr/^250 /, "fourth RCPT: default again");
	my $t0 = time;
	is($c->cmd("NOOP"), "250 2.0.0 slow\r\n", "string cmd, case-insensitive");
	cmp_ok(time - $t0, '>=', 0.9, "sleep => 1 delays the reply");
	like($c->cmd("DATA"), qr/^354 /, "DATA");
	$c->send("x\r\n.\r\n");
	is($c->reply, "451 4.3.0 not today\r\n", "DATA-END rule on connection 1");
	is_deeply([ map { $_->{code} } @{ $s->envelope(1)->{rcpts} } ], [ 250, 550, 452, 250 ],
	    "each RCPT's reply code recorded");
	$c->cmd("QUIT");
	# Connection 2: the conn => 1 rule does not apply; nth counted globally.
	$c = SmtpClient->new($s->port);
	$c->cmd("MAIL FROM:<a\@example.net>");
	like($c->cmd("RCPT TO:<n\@example.org>"), qr/^250 /, "connection 2: RCPT (fifth) default");
	$c->cmd("DATA");
	$c->send("y\r\n.\r\n");
	like($c->reply, qr/^250 2\.0\.0 Ok: queued as 2/, "connection 2: default end of data");
	$c->cmd("QUIT");
	is($s->connections, 2, "two connections counted");
	$s->stop;
}

# ---------------------------------------------------------------- drops
{
	my $s = server(rules => [
		{ cmd => qr/^CONNECT$/, conn => 1, drop => 1 },
		{ cmd => qr/^CONNECT$/, conn => 2, reply => '421 4.3.2 busy', drop => 1 },
		{ cmd => qr/^RCPT/i, conn => 3, drop => 1 },
		{ cmd => qr/^DATA$/i, conn => 4, drop_in_data => 10 },
		{ cmd => qr/^DATA-END$/, conn => 5, drop => 1 },
		{ cmd => qr/^MAIL/i, conn => 6, reply => '250 2.1.0 ok then bye', drop => 1 },
	]);
	my $c = SmtpClient->new($s->port, no_greeting => 1);
	is(read_to_eof($c), '', "drop at connect: nothing, then EOF");
	$c = SmtpClient->new($s->port, no_greeting => 1);
	is(read_to_eof($c), "421 4.3.2 busy\r\n", "421 greeting, then EOF");

	$c = SmtpClient->new($s->port);
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->send("RCPT TO:<b\@example.org>\r\n");
	is(read_to_eof($c), '', "drop after reading RCPT: no reply, EOF");
	ok($s->wait_closed(3, 5), "connection 3 over");
	like($s->log(3), qr/^\* drop after RCPT$/m, "log: dropped after RCPT");
	like($s->transcript(3), qr/RCPT TO:<b\@example\.org>\r\n\z/, "RCPT was read before the drop");

	$c = SmtpClient->new($s->port);
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->cmd("RCPT TO:<b\@example.org>");
	like($c->cmd("DATA"), qr/^354 /, "mid-DATA drop: 354 first");
	$c->send("0123456789abcdef\r\n");
	is(read_to_eof($c), '', "mid-DATA drop: EOF without a reply");
	ok($s->wait_transactions(1, 5), "partial transaction stored");
	is($s->data(1), "0123456789abcdef\r\n", "partial content kept as received");

	$c = SmtpClient->new($s->port);
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->cmd("RCPT TO:<b\@example.org>");
	$c->cmd("DATA");
	$c->send("whole\r\n.\r\n");
	is(read_to_eof($c), '', "drop after the end of data: no reply");
	ok($s->wait_transactions(2, 5), "the whole content was stored first");
	is($s->data(2), "whole\r\n", "content before the drop");

	$c = SmtpClient->new($s->port);
	is($c->cmd("MAIL FROM:<a\@example.net>"), "250 2.1.0 ok then bye\r\n", "reply, then drop");
	is(read_to_eof($c, 5), '', "reply then drop: EOF right after");
	is($s->connections, 6, "six connections");
	$s->stop;
}

# ---------------------------------------------------------------- STARTTLS and AUTH
SKIP: {
	skip "IO::Socket::SSL not installed (libio-socket-ssl-perl)", 31
	    unless eval { require IO::Socket::SSL; 1 };
	mkdir "$tmp/tls";
	my $certs = TlsCert->new("$tmp/tls");
	skip "cannot make test certificates: $TlsCert::ERROR", 31 unless $certs;
	my $s = server(ext => ['PIPELINING', 'STARTTLS', 'ENHANCEDSTATUSCODES'],
	    ext_tls => ['PIPELINING', 'AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES'],
	    tls => { cert => $certs->cert('localhost'), key => $certs->key('localhost') },
	    auth => { user => 'joe', pass => 'se cret' });
	my $smtp = Net::SMTP->new('127.0.0.1', Port => $s->port, Hello => 'tls.client',
	    Timeout => 5);
	ok($smtp && defined $smtp->supports('STARTTLS'), "STARTTLS offered");
	ok(!defined $smtp->supports('AUTH'), "no AUTH before TLS");
	ok($smtp->starttls(SSL_ca_file => $certs->ca, SSL_verifycn_name => 'localhost',
	    SSL_verifycn_scheme => 'smtp'), "Net::SMTP starttls, certificate verified")
	    or diag(IO::Socket::SSL::errstr());
	ok(!defined $smtp->supports('STARTTLS'), "no STARTTLS after TLS");
	like($smtp->supports('AUTH') // '', qr/^PLAIN LOGIN\s*$/, "AUTH offered after TLS");
	# Net::SMTP's auth() needs Authen::SASL: the commands by hand.
	my $plain = encode_base64("\0joe\0wrong", '');
	is($smtp->command('AUTH', 'PLAIN', $plain)->response, 5, "AUTH PLAIN, wrong password: 5xx");
	is($smtp->code, 535, "the code is 535");
	$plain = encode_base64("admin\0joe\0se cret", '');
	is($smtp->command('AUTH', 'PLAIN', $plain)->response, 2, "AUTH PLAIN with authzid: 2xx");
	is($smtp->code, 235, "the code is 235");
	ok($smtp->mail('joe@example.net') && $smtp->to('r@example.org') &&
	    $smtp->data("Subject: secret\r\n\r\nover TLS\r\n"), "mail over TLS");
	$smtp->quit;
	ok($s->wait_closed(1, 5), "TLS session over");
	like($s->log(1), qr/^\* tls TLSv1_[23] \S+$/m, "log: TLS version and cipher");
	like($s->transcript(1), qr/\AEHLO tls\.client\r\nSTARTTLS\r\nEHLO tls\.client\r\nAUTH PLAIN /,
	    "transcript: EHLO, STARTTLS, then a fresh EHLO (decrypted)");
	is($s->message(1), "Subject: secret\r\n\r\nover TLS\r\n", "the message arrived over TLS");

	# AUTH LOGIN, and AUTH PLAIN with the credentials on their own line,
	# over a raw connection (no TLS: the server does not insist).
	my $c = SmtpClient->new($s->port);
	is($c->cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n", "AUTH LOGIN: Username: prompt");
	is($c->cmd(encode_base64('joe', '')), "334 UGFzc3dvcmQ6\r\n", "Password: prompt");
	like($c->cmd(encode_base64('se cret', '')), qr/^235 /, "AUTH LOGIN: 235");
	is($c->cmd("AUTH PLAIN"), "334 \r\n", "AUTH PLAIN without initial response: 334");
	like($c->cmd(encode_base64("\0joe\0nope", '')), qr/^535 /, "then 535");
	$c->cmd("QUIT");
	ok($s->wait_closed(2, 5), "raw AUTH session over");
	is_deeply([ map { "$_->{conn} $_->{mech} $_->{authzid}/$_->{user}/$_->{pass} $_->{result}" }
	    @{ $s->auths } ], [ '1 PLAIN /joe/wrong 535', '1 PLAIN admin/joe/se cret 235',
	    '2 LOGIN /joe/se cret 235', '2 PLAIN /joe/nope 535' ],
	    "auth.log: every credential used, decoded, with the result");

	# Plaintext pipelined after STARTTLS is discarded, never answered.
	$c = SmtpClient->new($s->port);
	$c->send("EHLO raw\r\nSTARTTLS\r\nNOOP\r\n");
	my @r = $c->replies(2);
	like($r[1], qr/^220 /, "STARTTLS: 220 with NOOP pipelined behind it");
	ok(IO::Socket::SSL->start_SSL($c->sock, SSL_ca_file => $certs->ca,
	    SSL_verifycn_name => 'localhost', SSL_verifycn_scheme => 'smtp', Timeout => 5),
	    "raw client: handshake");
	$c->{buf} = '';
	is($c->cmd("RSET"), "250 2.0.0 Ok\r\n", "first reply under TLS answers RSET, not NOOP");
	$c->cmd("QUIT");
	ok($s->wait_closed(3, 5), "session 3 over");
	like($s->log(3), qr/^\* discarded 6 bytes pipelined after STARTTLS$/m,
	    "log: the 6 plaintext bytes were discarded");
	$s->stop;

	# Implicit TLS: the handshake first, then the greeting.
	$s = server(tls => { cert => $certs->cert('localhost'), key => $certs->key('localhost'),
	    implicit => 1 });
	my $tls = IO::Socket::SSL->new(PeerHost => '127.0.0.1', PeerPort => $s->port,
	    SSL_ca_file => $certs->ca, SSL_verifycn_name => 'localhost',
	    SSL_verifycn_scheme => 'smtp', Timeout => 5);
	ok($tls, "implicit TLS: the handshake comes first")
	    or diag(IO::Socket::SSL::errstr());
	like($tls ? scalar <$tls> : '', qr/^220 mx\.script\.test ESMTP/, "then the greeting, under TLS");
	print $tls "STARTTLS\r\n" if $tls;
	like($tls ? scalar <$tls> : '', qr/^503 /, "no STARTTLS inside TLS");
	print $tls "QUIT\r\n" if $tls;
	like($tls ? scalar <$tls> : '', qr/^221 /, "QUIT under TLS");
	ok($s->wait_closed(1, 5), "implicit TLS session over");
	$s->stop;
}

# ---------------------------------------------------------------- LMTP
{
	my $s = server(lmtp => 1, ext => ['PIPELINING', 'ENHANCEDSTATUSCODES'], rules => [
		{ cmd => qr/^RCPT TO:<nobody\@/i, reply => '550 5.1.1 unknown' },
		{ cmd => qr/^DATA-END full\@example\.org$/, reply => '452 4.2.2 mailbox full' },
		{ cmd => qr/^DATA-END multi\@example\.org$/,
		    reply => [ '250-2.0.0 first line', '250 2.0.0 delivered' ] },
	]);
	my $c = SmtpClient->new($s->port);
	like($c->greeting, qr/^220 \S+ LMTP /, "LMTP greeting");
	like($c->cmd("EHLO c"), qr/^500 /, "LMTP: EHLO refused");
	like($c->cmd("LHLO c"), qr/\A250-mx\.script\.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n\z/,
	    "LHLO: the extension list");
	$c->send("MAIL FROM:<a\@example.net>\r\nRCPT TO:<ok\@example.org>\r\n" .
	    "RCPT TO:<nobody\@example.org>\r\nRCPT TO:<full\@example.org>\r\n" .
	    "RCPT TO:<multi\@example.org>\r\nDATA\r\n");
	my @r = $c->replies(6);
	is(join('', map { substr($_, 0, 3) } @r), '250250550250250354', "pipelined LMTP replies");
	$c->send("lmtp body\r\n.\r\n");
	@r = $c->replies(3);
	like($r[0], qr/^250 2\.0\.0 <ok\@example\.org> delivered/, "ok: default per-recipient 250");
	is($r[1], "452 4.2.2 mailbox full\r\n", "full: scripted 452");
	is($r[2], "250-2.0.0 first line\r\n250 2.0.0 delivered\r\n", "multi: multi-line reply");
	ok(!defined $c->line(0.5), "exactly three replies (the refused recipient gets none)");
	$c->cmd("QUIT");
	is($s->data(1), "lmtp body\r\n", "LMTP content stored");
	$s->stop;
}

# ---------------------------------------------------------------- UNIX socket, hold
{
	my $path = "$tmp/lmtp.sock";
	my $s = server(unix => $path, lmtp => 1, hold => qr/^(MAIL|RCPT)\b/i);
	is($s->addr, "unix:$path", "addr of a UNIX socket");
	ok(!defined $s->port, "no port on a UNIX socket");
	my $c = SmtpClient->new($path);
	like($c->greeting, qr/^220 \S+ LMTP /, "greeting over the UNIX socket");
	like($c->cmd("LHLO c"), qr/^250 /m, "LHLO answered at once");
	$c->send("MAIL FROM:<a\@example.net>\r\nRCPT TO:<b\@example.org>\r\n");
	ok(!defined $c->line(0.3), "hold: no reply to MAIL or RCPT yet");
	$c->send("DATA\r\n");
	my @r = $c->replies(3);
	is(join('', map { substr($_, 0, 3) } @r), '250250354', "the held replies come with the DATA reply");
	$c->send("x\r\n.\r\n");
	like($c->reply, qr/^250 2\.0\.0 <b\@example\.org> /, "end of data not held");
	$c->cmd("QUIT");
	ok($s->wait_closed(1, 5), "UNIX session over");
	like($s->log(1), qr/^< DATA\n> 250 2\.1\.0 Ok\n> 250 2\.1\.5 Ok\n> 354 /m,
	    "log: MAIL and RCPT answered after DATA arrived");
	is($s->peer_uid(1), $<, "the peer's uid (SO_PEERCRED)");
	is((stat $path)[2] & 0777, 0666, "socket mode 0666");
	$s->stop;
	ok(!-e $path, "stop removes the socket");
}

# ---------------------------------------------------------------- strict
{
	my $s = server(strict => 1,
	    rules => [ { cmd => qr/^EHLO/i, conn => 2, raw => "250-mx\r\n250 8BITMIME\r\n" } ]);
	my $c = SmtpClient->new($s->port);
	$c->cmd("EHLO c");
	$c->send("MAIL FROM:<a\@example.net>\r\n");
	ok(!defined $c->line(0.3), "strict, PIPELINING offered: the MAIL reply is held");
	$c->send("RCPT TO:<b\@example.org>\r\nDATA\r\n");
	is(join('', map { substr($_, 0, 3) } $c->replies(3)), '250250354', "... until DATA");
	$c->send(".\r\n");
	$c->reply;
	$c->cmd("QUIT");
	$c = SmtpClient->new($s->port);
	$c->cmd("EHLO c");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^250 /,
	    "strict, a rule's EHLO reply without PIPELINING: MAIL answered at once");
	$c->send("RCPT TO:<b\@example.org>\r\nRSET\r\n");
	$c->replies(2);
	$c->cmd("QUIT");
	ok($s->wait_closed(1, 5) && $s->wait_closed(2, 5), "strict sessions over");
	is_deeply([ $s->sent_ahead(1) ], [], "strict: nothing noted where PIPELINING was offered");
	is_deeply([ $s->sent_ahead(2) ], [ 'RCPT TO:<b@example.org>' ],
	    "strict: the lockstep check where it was not");
	$s->stop;
}

# ---------------------------------------------------------------- lockstep
{
	my $s = server(ext => ['8BITMIME'], lockstep => 1);
	my $c = SmtpClient->new($s->port);
	$c->cmd("EHLO c");
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->cmd("RCPT TO:<b\@example.org>");
	$c->send("RCPT TO:<c\@example.org>\r\nRCPT TO:<d\@example.org>\r\n");
	$c->replies(2);
	$c->send("NOOP\r\n");
	$c->send("RSET\r\n");
	$c->replies(2);
	$c->send("QUIT\r\n");
	$c->close;
	ok($s->wait_closed(1, 5), "lockstep session over");
	is_deeply([ $s->sent_ahead(1) ], [ 'RCPT TO:<c@example.org>', 'NOOP' ],
	    "lockstep: the commands something was sent ahead of; an EOF after QUIT is not one");
	like($s->transcript(1), qr/RSET\r\nQUIT\r\n\z/, "every command still answered");
}

# ---------------------------------------------------------------- concurrency, ::1
{
	my $s = server(rules => [ { cmd => qr/^NOOP/i, conn => 1, sleep => 2, reply => '250 late' } ]);
	my $c1 = SmtpClient->new($s->port);
	my $c2 = SmtpClient->new($s->port);
	like($c1->greeting . $c2->greeting, qr/^220 .*\n220 /s, "two connections open at once");
	$c1->send("NOOP\r\n");
	my $t0 = time;
	like($c2->cmd("NOOP"), qr/^250 2\.0\.0 Ok/, "the second is served while the first sleeps");
	cmp_ok(time - $t0, '<', 1.5, "without waiting for it");
	is($c1->reply, "250 late\r\n", "the first gets its slow reply");
	$c1->cmd("QUIT");
	$c2->cmd("QUIT");
	is($s->connections, 2, "two connections");
	$s->stop;
}
SKIP: {
	my $probe = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0, Listen => 1);
	skip "no ::1 here", 3 unless $probe;
	close $probe;
	my $s = server(host => '::1');
	is($s->addr, '[::1]:' . $s->port, "addr in brackets");
	my $smtp = Net::SMTP->new('::1', Port => $s->port, Timeout => 5);
	ok($smtp && $smtp->mail('a@example.net') && $smtp->to('b@example.org') &&
	    $smtp->data("v6\r\n"), "a message over ::1");
	$smtp->quit if $smtp;
	like($s->log(1), qr/^\* connect ::1 /, "peer ::1");
	$s->stop;
}

# ---------------------------------------------------------------- bounds, stop
{
	my $s = server(idle => 1, timeout => 1);
	my $c = SmtpClient->new($s->port);
	ok($c->closed(3), "a silent client is dropped after the read timeout");
	ok($s->wait_closed(1, 3), "the session logs why");
	like($s->log(1), qr/^\* closed timeout$/m, "closed: timeout");
	my $pid = $s->pid;
	my $deadline = time + 5;
	sleep 0.1 while $s->running && time < $deadline;
	ok(!$s->running, "the server exits by itself after idle => 1");
	$s->stop;

	$s = server(max_conns => 1);
	$c = SmtpClient->new($s->port);
	$c->cmd("QUIT");
	ok($s->wait_closed(1, 5), "max_conns: first session done");
	$deadline = time + 2;
	sleep 0.05 while time < $deadline && IO::Socket::IP->new(PeerHost => '127.0.0.1',
	    PeerPort => $s->port, Timeout => 1);
	ok(!IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $s->port, Timeout => 1),
	    "max_conns => 1: the listener is closed afterwards");

	$s = server();
	$pid = $s->pid;
	$c = SmtpClient->new($s->port);
	ok(kill(0, $pid), "server running");
	$s->stop;
	ok(!kill(0, $pid), "stop: killed and reaped by PID");
	ok($c->closed(3), "its open session is closed too");
	undef $s;
}

done_testing;

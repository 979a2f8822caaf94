# 30-smtp-commands.t: protocol.md A.1 (session, commands, sequencing),
# A.9 (enhanced codes on every reply) and A.5 (8BITMIME), each reply
# asserted by code, enhanced code and, where the checklist shows it, text.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf());
$d->start;
my $port = $d->port;

sub client { SmtpClient->new($port) }
sub ehlo { my $c = client(); $c->cmd("EHLO client.example"); return $c }

{
	my $c = client();
	like($c->greeting, qr/^220 \S+ ESMTP smtpd\r\n\z/, "greeting: 220 NAME ESMTP PRODUCT");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^503 5\.5\.1 Polite people say HELO first\r\n/,
	    "MAIL before HELO: 503 5.5.1");
	like($c->cmd("EHLO"), qr/^501 5\.5\.4 /, "EHLO without argument: 501 5.5.4");
	like($c->cmd("HELO"), qr/^501 5\.5\.4 /, "HELO without argument: 501 5.5.4");
	like($c->cmd("EHLO bad_name!"), qr/^501 5\.5\.4 Invalid domain name/, "EHLO with a bad name: 501 5.5.4");
	like($c->cmd("EHLO [127.0.0.1]"), qr/^250-/, "EHLO with an address literal");
	my $e = $c->cmd("EHLO client.example");
	like($e, qr/^250-\S+ Hello client\.example \[127\.0\.0\.1\]/, "EHLO greets the client");
	like($e, qr/^250-PIPELINING\r$/m, "EHLO advertises PIPELINING");
	like($e, qr/^250-8BITMIME\r$/m, "EHLO advertises 8BITMIME");
	like($e, qr/^250-ENHANCEDSTATUSCODES\r$/m, "EHLO advertises ENHANCEDSTATUSCODES");
	like($e, qr/^250-SIZE 36700160\r$/m, "EHLO advertises SIZE (35M)");
	like($e, qr/^250-DSN\r$/m, "EHLO advertises DSN");
	like($e, qr/^250-SMTPUTF8\r$/m, "EHLO advertises SMTPUTF8");
	unlike($e, qr/STARTTLS|AUTH/, "no STARTTLS or AUTH on a plain listener");
	like($c->cmd("HELO client.example"), qr/^250 \S+ Hello/, "HELO: 250");
	like($c->cmd("QUIT"), qr/^221 2\.0\.0 Bye\r\n/, "QUIT: 221 2.0.0");
	ok($c->closed, "connection closed after QUIT");
}

{
	my $c = ehlo();
	like($c->cmd("mail from: <a\@example.net>"), qr/^250 2\.0\.0 Ok/,
	    "lower-case verb, blank after the colon: accepted");
	like($c->cmd("MAIL FROM:<b\@example.net>"), qr/^503 5\.5\.1 Error: nested MAIL command/,
	    "nested MAIL: 503 5.5.1");
	like($c->cmd("EHLO again.example"), qr/^250 HELP\r\n\z/m, "EHLO again");
	like($c->cmd("RCPT TO:<root\@example.org>"), qr/^503 5\.5\.1 /, "EHLO again reset the transaction");
	like($c->cmd("MAIL FROM:a\@example.net"), qr/^501 5\.5\.4 /, "MAIL without angle brackets: 501 5.5.4");
	like($c->cmd("MAIL FROM:<>"), qr/^250 2\.0\.0/, "null sender accepted");
	like($c->cmd("RSET"), qr/^250 2\.0\.0 Ok/, "RSET: 250 2.0.0");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^250 2\.0\.0/, "RSET keeps HELO state");
	like($c->cmd("RSET"), qr/^250 2\.0\.0/, "RSET");
}

{
	my $c = ehlo();
	like($c->cmd("RCPT TO:<root\@example.org>"), qr/^503 5\.5\.1 /, "RCPT before MAIL: 503 5.5.1");
	like($c->cmd("DATA"), qr/^503 5\.5\.1 /, "DATA before MAIL: 503 5.5.1");
	$c->cmd("MAIL FROM:<a\@example.net>");
	like($c->cmd("DATA"), qr/^554 5\.5\.1 No valid recipients/, "DATA without recipients: 554 5.5.1");
	like($c->cmd("RCPT TO:<root\@example.org>"), qr/^250 2\.1\.5 /, "RCPT to a local user: 250 2.1.5");
	like($c->cmd("RCPT TO:<postmaster>"), qr/^250 2\.1\.5 /, "RCPT <postmaster> without a domain: 250");
	like($c->cmd("RCPT TO:<\@relay.example,\@other.example:root\@example.org>"), qr/^250 2\.1\.5 /,
	    "source route accepted and dropped");
	like($c->cmd("RCPT TO:<nosuchuser\@example.org>"), qr/^550 5\.1\.1 Invalid recipient/,
	    "unknown local user: 550 5.1.1");
	like($c->cmd("RCPT TO:<root\@reject.example>"), qr/^550 5\.7\.1 Delivery not authorized, message refused/,
	    "reject rule: 550 5.7.1");
	like($c->cmd("RCPT TO:<someone\@elsewhere.example>"), qr/^550 5\.7\.1 Relay denied/,
	    "no rule for a remote domain: 550 5.7.1 Relay denied");
	like($c->cmd("RCPT TO:<bad\@\@example.org>"), qr/^501 5\.1\.3 Recipient address syntax error/,
	    "recipient syntax error: 501 5.1.3");
	like($c->cmd("RCPT TO:<\"quoted local\"\@example.org>"), qr/^553 5\.1\.3 /,
	    "quoted local part: 553 5.1.3");
	like($c->cmd("DATA"), qr/^354 End data with <CR><LF>\.<CR><LF>/, "DATA: 354");
	$c->send("Subject: test\r\n\r\n..leading dot\r\nbody\r\n.\r\n");
	my $r = $c->reply;
	like($r, qr/^250 2\.0\.0 ([0-9a-f]{8}) Message accepted for delivery\r\n/, "end of data: 250 2.0.0 MSGID");
	my ($id) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8})/;
	my $q = $d->queued;
	ok($id && $q->{$id}, "message $id is in queue/");
	if ($id && $q->{$id}) {
		my $m = $q->{$id}{message};
		like($m, qr/\A(?:Received: from client\.example \(<unknown> \[127\.0\.0\.1\]\)\r\n\tby \S+ \(smtpd\) with ESMTP id $id;\r\n\t\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [-+]\d{4}\r\n)Subject: test\r\n\r\n\.leading dot\r\nbody\r\n\z/,
		    "queued content: one Received: field, dot-unstuffed, CRLF");
		is(scalar @{ $q->{$id}{envelopes} }, 3, "one envelope per accepted recipient");
	}
}

{
	my $c = ehlo();
	like($c->cmd("MAIL FROM:<bad address\@example.net>"), qr/^553 5\.1\.7 Sender address syntax error/,
	    "sender syntax error: 553 5.1.7");
	like($c->cmd("MAIL FROM:<a\@example.net> FOO=BAR"), qr/^555 5\.5\.4 Unsupported option: FOO/,
	    "unknown MAIL parameter: 555 5.5.4");
	like($c->cmd("MAIL FROM:<a\@example.net> SIZE=abc"), qr/^501 5\.5\.4 Invalid parameter/,
	    "bad parameter value: 501 5.5.4");
	like($c->cmd("MAIL FROM:<a\@example.net> SIZE=10 SIZE=10"), qr/^501 5\.5\.4 /,
	    "duplicate parameter: 501 5.5.4");
	like($c->cmd("MAIL FROM:<a\@example.net> BODY=BINARYMIME"), qr/^555 5\.5\.4 /,
	    "BODY=BINARYMIME: 555 5.5.4");
	like($c->cmd("MAIL FROM:<a\@example.net> BODY=8BITMIME"), qr/^250 2\.0\.0/, "BODY=8BITMIME accepted");
	like($c->cmd("RCPT TO:<root\@example.org> FOO"), qr/^555 5\.5\.4 /, "unknown RCPT parameter: 555 5.5.4");
	like($c->cmd("NOOP"), qr/^250 2\.0\.0 Ok/, "NOOP: 250 2.0.0");
	like($c->cmd("NOOP with arguments"), qr/^250 2\.0\.0/, "NOOP ignores arguments");
	like($c->cmd("VRFY root"), qr/^252 2\.5\.2 Cannot VRFY user; try RCPT to attempt delivery/, "VRFY: 252 2.5.2");
	like($c->cmd("EXPN staff"), qr/^502 5\.5\.1 Command not implemented/, "EXPN: 502 5.5.1");
	like($c->cmd("HELP"), qr/^214-2\.0\.0 .*214 2\.0\.0 /s, "HELP: 214 2.0.0");
	like($c->cmd("FOOBAR"), qr/^500 5\.5\.1 Command unrecognized/, "unknown verb: 500 5.5.1");
	like($c->cmd("STARTTLS"), qr/^502 5\.5\.1 /, "STARTTLS not offered: 502 5.5.1");
	like($c->cmd("STARTTLS now"), qr/^501 5\.5\.4 /, "STARTTLS with arguments: 501 5.5.4");
	like($c->cmd("AUTH PLAIN"), qr/^503 5\.5\.1 /, "AUTH on a listener without auth: 503 5.5.1");
	like($c->cmd("LHLO x.example"), qr/^500 5\.5\.1 /, "LHLO on an SMTP listener: 500 5.5.1");
}

{
	my $c = ehlo();
	my $r;
	for my $i (1 .. 25) {
		$r = $c->cmd("BOGUS$i");
		last if $r =~ /^421/;
	}
	like($r, qr/^421 4\.7\.0 \S+ Error: too many errors/, "too many errors: 421 4.7.0");
	ok($c->closed, "and the connection is closed");
}

{
	# The transaction's limits (A.2) with a small configuration.
	my $d2 = SmtpdTest->new(conf => SmtpdTest::standard_conf(
	    extra => "smtp limit max-rcpt 2\nsmtp limit max-mails 1\nsmtp max-message-size 200"));
	$d2->start;
	my $c = SmtpClient->new($d2->port);
	$c->cmd("EHLO client.example");
	like($c->cmd("MAIL FROM:<a\@example.net> SIZE=201"), qr/^552 5\.3\.4 Message size exceeds fixed maximum message size/,
	    "SIZE over the maximum: 552 5.3.4");
	like($c->cmd("MAIL FROM:<a\@example.net> SIZE=100"), qr/^250/, "SIZE under the maximum");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("RCPT TO:<root+a\@example.org>");
	like($c->cmd("RCPT TO:<root+b\@example.org>"), qr/^452 4\.5\.3 Too many recipients/,
	    "recipient over max-rcpt: 452 4.5.3");
	$c->cmd("DATA");
	$c->send(("x" x 70 . "\r\n") x 4 . ".\r\n");
	like($c->reply, qr/^552 5\.3\.4 Message too big for system/, "content over the maximum: 552 5.3.4 after DATA");
	is(scalar keys %{ $d2->queued }, 0, "nothing queued");
	ok($d2->wait_log(qr/queue event=rollback/), "the transaction is rolled back");
	is_deeply([$d2->spool_settled("incoming")], [], "nothing left in incoming/");
	like($c->mail('a@example.net', 'root@example.org', "small\r\n"), qr/^250 2\.0\.0/, "a small message is accepted");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^452 4\.5\.3 Too many messages sent/,
	    "messages over max-mails: 452 4.5.3");
	$d2->stop;
}

{
	my $c = ehlo();
	like($c->cmd("X" x 5000), qr/^500 5\.5\.2 Line too long/, "command line over 4096: 500 5.5.2");
	like($c->cmd("NOOP"), qr/^250 2\.0\.0/, "the session goes on after a long line");
	my $long = "a" x 65 . "\@example.org";
	like($c->cmd("MAIL FROM:<$long>"), qr/^553 5\.1\.3 /, "local part over 64 octets: 553 5.1.3");
	$c->cmd("MAIL FROM:<a\@example.net>");
	like($c->cmd("RCPT TO:<$long>"), qr/^501 5\.1\.3 /, "recipient local part over 64: 501 5.1.3");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("DATA");
	$c->send("X" x 70000 . "\r\n.\r\n");
	like($c->reply, qr/^500 5\.5\.2 Line too long/, "text line over 65536: 500 5.5.2 after DATA");
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("DATA");
	$c->send(join("", map { "Received: from hop$_\r\n" } 1 .. 100) . "\r\nbody\r\n.\r\n");
	like($c->reply, qr/^554 5\.4\.6 Too many hops/, "100 Received: fields: 554 5.4.6");
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("DATA");
	$c->send(join("", map { "X-Field-$_: v\r\n" } 1 .. 1001) . "\r\nbody\r\n.\r\n");
	like($c->reply, qr/^552 5\.3\.4 Message header too large/, "1001 header fields: 552 5.3.4");
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("DATA");
	$c->send("Subject: " . ("y" x 9000) . "\r\n\r\nbody\r\n.\r\n");
	like($c->reply, qr/^552 5\.3\.4 Message header too large/, "a 9000-octet header line: 552 5.3.4");
	like($c->cmd("NOOP"), qr/^250 2\.0\.0/, "the session goes on after a refused message");
	is(scalar grep({ $_->{message} =~ /hop100/ } values %{ $d->queued }), 0, "the looping message was not queued");
}

$d->stop;
done_testing();

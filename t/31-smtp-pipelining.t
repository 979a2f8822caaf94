# 31-smtp-pipelining.t: protocol.md A.4. Replies to a pipelined batch come
# in order, errors per RCPT included; content sent before the 354 and
# commands sent ahead without PIPELINING are synchronisation errors.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf());
$d->start;

{
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	$c->send("MAIL FROM:<a\@example.net>\r\n" .
	    "RCPT TO:<root\@example.org>\r\n" .
	    "RCPT TO:<nosuchuser\@example.org>\r\n" .
	    "RCPT TO:<x\@elsewhere.example>\r\n" .
	    "RCPT TO:<bad\@\@syntax>\r\n" .
	    "RCPT TO:<root+tag\@example.org>\r\n" .
	    "DATA\r\n");
	my @r = $c->replies(7);
	like($r[0], qr/^250 2\.0\.0/, "pipelined MAIL");
	like($r[1], qr/^250 2\.1\.5/, "pipelined RCPT 1 accepted");
	like($r[2], qr/^550 5\.1\.1/, "pipelined RCPT 2 unknown user");
	like($r[3], qr/^550 5\.7\.1 Relay denied/, "pipelined RCPT 3 relay denied");
	like($r[4], qr/^501 5\.1\.3/, "pipelined RCPT 4 syntax error");
	like($r[5], qr/^250 2\.1\.5/, "pipelined RCPT 5 accepted");
	like($r[6], qr/^354 /, "then DATA: 354");
	$c->send("Subject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n");
	my ($end, $quit) = $c->replies(2);
	like($end, qr/^250 2\.0\.0 [0-9a-f]{8} /, "end of data answered");
	like($quit, qr/^221 2\.0\.0/, "QUIT pipelined after the dot is answered, not lost");
	my ($msg) = grep { $_->{message} =~ /Subject: pipelined/ } values %{ $d->queued };
	is(scalar @{ $msg->{envelopes} // [] }, 2, "two envelopes for the two accepted recipients");
}

{
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	$c->send("MAIL FROM:<a\@example.net>\r\nRCPT TO:<root\@example.org>\r\nDATA\r\nSubject: early\r\n\r\n");
	my @r = $c->replies(3);
	like($r[2], qr/^554 5\.5\.0 Error: SMTP protocol synchronization/,
	    "content sent before 354: 554 5.5.0");
	ok($c->closed, "and the connection is closed");
	is(scalar(grep { $_->{message} =~ /early/ } values %{ $d->queued }), 0, "nothing queued");
}

{
	my $c = SmtpClient->new($d->port);
	$c->send("HELO client.example\r\nMAIL FROM:<a\@example.net>\r\n");
	my $r = $c->reply;
	like($r, qr/^554 5\.5\.0 /, "commands sent ahead without PIPELINING: 554 5.5.0");
	ok($c->closed, "and the connection is closed");
}

{
	my $c = SmtpClient->new($d->port);
	$c->cmd("HELO client.example");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^250/, "one command at a time after HELO is fine");
	like($c->cmd("RCPT TO:<root\@example.org>"), qr/^250/, "RCPT");
	like($c->cmd("DATA"), qr/^354/, "DATA");
	like($c->cmd("Subject: helo\r\n\r\nx\r\n."), qr/^250 2\.0\.0/, "accepted");
}

$d->stop;
done_testing();

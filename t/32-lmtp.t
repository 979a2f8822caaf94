# 32-lmtp.t: protocol.md A.8. LHLO instead of HELO/EHLO, one reply per
# accepted recipient after the final dot, in RCPT order, on TCP and on a
# UNIX-domain listener. The outcomes themselves: t/73-lmtp-front.t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf(
    extra => "listen on socket \"\@DIR\@/lmtp.sock\" lmtp"));
$d->start;

for my $where ($d->port(2), $d->dir . "/lmtp.sock") {
	my $c = SmtpClient->new($where);
	like($c->greeting, qr/^220 \S+ LMTP smtpd\r\n/, "LMTP greeting on $where");
	like($c->cmd("HELO x.example"), qr/^500 5\.5\.1 /, "HELO on LMTP: 500 5.5.1");
	like($c->cmd("EHLO x.example"), qr/^500 5\.5\.1 /, "EHLO on LMTP: 500 5.5.1");
	my $l = $c->cmd("LHLO x.example");
	like($l, qr/^250-PIPELINING\r$/m, "LHLO advertises PIPELINING");
	like($l, qr/^250-ENHANCEDSTATUSCODES\r$/m, "LHLO advertises ENHANCEDSTATUSCODES");
	unlike($l, qr/STARTTLS|AUTH/, "LHLO reply has no STARTTLS/AUTH");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^250/, "MAIL");
	like($c->cmd("DATA"), qr/^503 5\.5\.1 No valid recipients/, "DATA without recipients: 503 5.5.1");
	$c->send("RCPT TO:<root\@example.org>\r\nRCPT TO:<nosuchuser\@example.org>\r\n" .
	    "RCPT TO:<postmaster\@example.org>\r\nDATA\r\n");
	my @r = $c->replies(4);
	like($r[0], qr/^250 /, "rcpt 1 accepted");
	like($r[1], qr/^550 5\.1\.1 /, "rcpt 2 refused");
	like($r[2], qr/^250 /, "rcpt 3 accepted");
	like($r[3], qr/^354 /, "DATA gets 354");
	$c->send("Subject: lmtp\r\n\r\nhello\r\n.\r\n");
	# Each reply is the real outcome (t/73-lmtp-front.t): both go to
	# root's mailbox, and deliver never runs as root.
	my @end = $c->replies(2);
	like($end[0], qr/^451 4\.3\.0 <root\@example\.org> refusing to deliver as root\r\n/, "first reply for the first accepted recipient");
	like($end[1], qr/^451 4\.3\.0 <postmaster\@example\.org> refusing to deliver as root\r\n/, "second reply for the second");
	$c->send("MAIL FROM:<a\@example.net>\r\nRCPT TO:<root\@example.org>\r\nRCPT TO:<postmaster\@example.org>\r\nDATA\r\n");
	$c->replies(4);
	$c->send(join("", map { "Received: from hop$_\r\n" } 1 .. 100) . "\r\nbody\r\n.\r\n");
	my @hop = $c->replies(2);
	like($hop[0], qr/^554 5\.4\.6 /, "a message-level error is repeated: first recipient");
	like($hop[1], qr/^554 5\.4\.6 /, "a message-level error is repeated: second recipient");
	like($c->cmd("QUIT"), qr/^221 /, "QUIT");
}
ok(-S $d->dir . "/lmtp.sock", "the UNIX-domain LMTP socket exists");
my $mode = (stat($d->dir . "/lmtp.sock"))[2] & 07777;
is(sprintf("%04o", $mode), "0660", "with the default mode 0660");

$d->stop;
done_testing();

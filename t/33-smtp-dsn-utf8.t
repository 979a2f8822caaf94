# 33-smtp-dsn-utf8.t: protocol.md A.10 (DSN parameters, stored in the
# envelope) and A.12 (SMTPUTF8, UTF-8 command lines).
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
	like($c->cmd("MAIL FROM:<a\@example.net> RET=HDRS ENVID=QQ+2Bid42"), qr/^250 2\.0\.0/, "RET and ENVID accepted");
	like($c->cmd("RCPT TO:<root\@example.org> NOTIFY=NEVER,SUCCESS"), qr/^501 5\.5\.4 /,
	    "NOTIFY=NEVER with another keyword: 501 5.5.4");
	like($c->cmd("RCPT TO:<root\@example.org> NOTIFY=SOMETIMES"), qr/^501 5\.5\.4 /, "bad NOTIFY: 501 5.5.4");
	like($c->cmd("RCPT TO:<root\@example.org> ORCPT=x400;foo"), qr/^501 5\.5\.4 /, "ORCPT with an unknown type: 501 5.5.4");
	like($c->cmd("RCPT TO:<root\@example.org> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;orig+2Bx\@example.org"),
	    qr/^250 2\.1\.5/, "NOTIFY and ORCPT accepted");
	like($c->cmd("RCPT TO:<root+2\@example.org> NOTIFY=NEVER"), qr/^250/, "NOTIFY=NEVER accepted");
	$c->cmd("DATA");
	my $r = $c->cmd("Subject: dsn\r\n\r\nx\r\n.");
	my ($id) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8})/;
	ok($id, "message accepted");
	my $q = $d->queued->{$id // ''};
	my $all = join "", map { SmtpdTest::slurp($_) } @{ $q->{envelopes} // [] };
	like($all, qr/QQ\+id42/, "ENVID stored decoded in the envelope");
	like($all, qr/orig\+x\@example\.org/, "ORCPT stored decoded in the envelope");
	like($c->cmd("MAIL FROM:<a\@example.net> ENVID=bad=value"), qr/^501 5\.5\.4 /, "ENVID with a raw '=': 501 5.5.4");
	like($c->cmd("MAIL FROM:<a\@example.net> RET=SOME"), qr/^501 5\.5\.4 /, "bad RET: 501 5.5.4");
}

{
	# A no-dsn listener neither advertises nor accepts DSN parameters.
	my $c = SmtpClient->new($d->port(3));
	unlike($c->cmd("EHLO client.example"), qr/DSN/, "no-dsn: DSN not advertised");
	like($c->cmd("MAIL FROM:<a\@example.net> RET=FULL"), qr/^555 5\.5\.4 /, "no-dsn: RET refused with 555");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^250/, "MAIL");
	like($c->cmd("RCPT TO:<root\@example.org> NOTIFY=NEVER"), qr/^555 5\.5\.4 /, "no-dsn: NOTIFY refused with 555");
}

{
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	like($c->cmd("MAIL FROM:<j\xc3\xb6rg\@example.net>"), qr/^553 5\.6\.7 /,
	    "non-ASCII sender without SMTPUTF8: 553 5.6.7");
	like($c->cmd("MAIL FROM:<j\xc3\xb6rg\@example.net> SMTPUTF8"), qr/^250 2\.0\.0/, "with SMTPUTF8: accepted");
	like($c->cmd("RCPT TO:<root\@example.org>"), qr/^250/, "RCPT");
	$c->cmd("RSET");
	$c->cmd("MAIL FROM:<a\@example.net>");
	like($c->cmd("RCPT TO:<r\xc3\xb6ot\@example.org>"), qr/^553 5\.6\.7 /,
	    "non-ASCII recipient without SMTPUTF8: 553 5.6.7");
	like($c->cmd("NOOP \xc3\x28"), qr/^500 5\.5\.2 Error: bad UTF-8 syntax/, "invalid UTF-8: 500 5.5.2");
	like($c->cmd("NOOP \xc0\xaf"), qr/^500 5\.5\.2 /, "overlong UTF-8: 500 5.5.2");
	like($c->cmd("NOOP \xed\xa0\x80"), qr/^500 5\.5\.2 /, "UTF-8 surrogate: 500 5.5.2");
	like($c->cmd("NOOP a\0b"), qr/^500 5\.5\.2 /, "NUL in a command: 500 5.5.2");
	$c->cmd("RSET");
	$c->cmd("MAIL FROM:<a\@example.net> SMTPUTF8");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("DATA");
	my $r = $c->cmd("Subject: utf8\r\n\r\nx\r\n.");
	my ($id) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8})/;
	like($d->queued->{$id // ''}{message} // '', qr/ with UTF8SMTP id /, "Received: says UTF8SMTP");
}

$d->stop;
done_testing();

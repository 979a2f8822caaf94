# 34-smuggling.t: protocol.md A.11. Every non-standard end-of-data
# sequence, in both bare-newline modes: never two messages, never a
# truncated one; bare LF in a command line per mode.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

my %seq = (
	'LF.LF'		=> "\n.\n",
	'LF.CRLF'	=> "\n.\r\n",
	'CRLF.LF'	=> "\r\n.\n",
	'CR.CRLF'	=> "\r.\r\n",
	'CR.CR'		=> "\r.\r",
	'bare CR'	=> "\rbare\r",
	'bare LF'	=> "\nbare\n",
);

for my $mode (qw(normalize reject)) {
	my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf(
	    extra => "smtp bare-newline $mode"));
	$d->start;
	for my $name (sort keys %seq) {
		my $c = SmtpClient->new($d->port);
		$c->cmd("EHLO client.example");
		$c->cmd("MAIL FROM:<a\@example.net>");
		$c->cmd("RCPT TO:<root\@example.org>");
		$c->cmd("DATA");
		my $tag = "$mode-$name";
		$tag =~ s/\W/_/g;
		# A hidden second message behind the non-standard sequence.
		$c->send("Subject: $tag\r\n\r\nfirst$seq{$name}MAIL FROM:<evil\@example.net>\r\n" .
		    "RCPT TO:<root\@example.org>\r\nDATA\r\nSubject: smuggled-$tag\r\n\r\nx\r\n.\r\n");
		my $r = $c->reply;
		my @hits = grep { $_->{message} =~ /\Q$tag\E/ } values %{ $d->queued };
		if ($mode eq 'normalize') {
			like($r, qr/^250 2\.0\.0 /, "$mode $name: one message accepted");
			is(scalar @hits, 1, "$mode $name: exactly one message queued");
			like($hits[0]{message} // '', qr/smuggled-\Q$tag\E\r\n\r\nx\r\n\z/,
			    "$mode $name: the hidden part is content of the one message, not truncated");
			unlike($hits[0]{message} // '', qr/\r\n\.\r\n|[^\r]\n|\r[^\n]/,
			    "$mode $name: stored with CRLF only and no lone dot line");
		} else {
			like($r, qr/^550 5\.5\.2 \S+ Error: bare <LF> received/, "$mode $name: 550 5.5.2 after the data");
			is(scalar @hits, 0, "$mode $name: nothing queued");
		}
		# Whatever came, the session is in sync: the next reply is ours.
		like($c->cmd("NOOP"), qr/^250 2\.0\.0 Ok/, "$mode $name: session still in step");
	}
	{
		my $c = SmtpClient->new($d->port);
		$c->send("EHLO client.example\n");
		my $r = $c->reply;
		if ($mode eq 'normalize') {
			like($r, qr/^250-/, "$mode: a command ending in bare LF is accepted");
		} else {
			like($r, qr/^550 5\.5\.2 \S+ Error: bare <LF> received/, "$mode: a command ending in bare LF: 550 5.5.2");
			ok($c->closed, "$mode: and the connection is closed");
		}
	}
	is_deeply([$d->spool_settled("incoming")], [], "$mode: nothing left in incoming/");
	$d->stop;
}

done_testing();

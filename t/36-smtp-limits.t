# 36-smtp-limits.t: protocol.md A.2 session limits. Sessions per client
# address and in total (421 4.7.0), the idle timeout between commands and
# during DATA (421 4.4.2), and 421 4.3.2 to open sessions at shutdown.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

{
	my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf(
	    extra => "smtp limit max-sessions 3 max-sessions-per-client 2"));
	$d->start;
	my @c = map { SmtpClient->new($d->port) } 1 .. 2;
	like($_->greeting, qr/^220 /, "session within the per-client limit") for @c;
	my $third = SmtpClient->new($d->port);
	like($third->greeting, qr/^421 4\.7\.0 \S+ Error: too many connections from your address/,
	    "third session from one address: 421 4.7.0");
	ok($third->closed, "and it is closed");
	$c[0]->cmd("QUIT");
	$c[0]->closed;
	my $again;
	for (1 .. 50) {
		$again = SmtpClient->new($d->port);
		last if $again->greeting =~ /^220/;
		select(undef, undef, undef, 0.05);
	}
	like($again->greeting, qr/^220 /, "a slot freed by QUIT is usable again");
	$d->stop;
}

{
	my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf(
	    extra => "smtp limit max-sessions 2"));
	$d->start;
	my @c = map { SmtpClient->new($d->port) } 1 .. 2;
	my $over = SmtpClient->new($d->port(2));
	like($over->greeting, qr/^421 4\.7\.0 \S+ Error: too many sessions/, "over max-sessions: 421 4.7.0");
	$d->stop;
}

{
	my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf(extra => "smtp timeout 1s"));
	$d->start;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	like($c->reply(5), qr/^421 4\.4\.2 \S+ Timeout exceeded/, "idle between commands: 421 4.4.2");
	ok($c->closed, "and closed");

	$c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	$c->cmd("MAIL FROM:<a\@example.net>");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("DATA");
	$c->send("Subject: half\r\n\r\nhalf a message");
	like($c->reply(5), qr/^421 4\.4\.2 /, "idle during DATA: 421 4.4.2");
	ok($d->wait_log(qr/queue event=rollback/), "the half-received message is rolled back");
	is_deeply([$d->spool_settled("incoming")], [], "nothing left in incoming/");
	is(scalar keys %{ $d->queued }, 0, "nothing queued");
	$d->stop;
}

{
	my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf());
	$d->start;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	kill 'TERM', $d->pid;
	like($c->reply(5), qr/^421 4\.3\.2 \S+ Service shutting down/, "open session at shutdown: 421 4.3.2");
	ok(defined $d->wait_exit(5), "daemon stopped");
	$d->stop;
}

done_testing();

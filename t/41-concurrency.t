# 41-concurrency.t: 500 sessions open at once, each completing a
# transaction; the smtp role's memory stays bounded.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

my $N = 500;
my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf(
    extra => "smtp limit max-sessions 600\nsmtp limit max-sessions-per-client 600"));
$d->start;

sub rss_kb {
	my ($pid) = @_;
	my $s = SmtpdTest::slurp("/proc/$pid/status");
	return $s =~ /^VmRSS:\s+(\d+)/m ? $1 : 0;
}

my $smtp = $d->roles->{smtp};
my $rss0 = rss_kb($smtp);
my @c = map { SmtpClient->new($d->port) } 1 .. $N;
is(scalar(grep { $_->greeting =~ /^220 / } @c), $N, "$N sessions greeted");
my @steps = (
	[ "EHLO many.example", qr/^250-.*^250 HELP/ms ],
	[ "MAIL FROM:<m\@example.net>", qr/^250 2\.0\.0/ ],
	[ "RCPT TO:<root\@example.org>", qr/^250 2\.1\.5/ ],
	[ "DATA", qr/^354 / ],
);
for my $step (@steps) {
	$_->send("$step->[0]\r\n") for @c;
	my $ok = grep { $_->reply =~ $step->[1] } @c;
	is($ok, $N, "$N sessions: $step->[0]");
}
my $i = 0;
$_->send("Subject: many-" . $i++ . "\r\n\r\nhello\r\n.\r\n") for @c;
my $ok = grep { $_->reply =~ /^250 2\.0\.0 [0-9a-f]{8} / } @c;
is($ok, $N, "$N messages accepted while all sessions were open");
my $rss1 = rss_kb($smtp);
cmp_ok($rss1, '<', 128 * 1024, "smtp role RSS stays under 128 MiB ($rss1 kB)");
my $q = $d->queued;
is(scalar(grep { $_->{message} =~ /Subject: many-/ } values %$q), $N, "$N messages in queue/");
$_->cmd("QUIT") for @c;
$d->stop;
done_testing();

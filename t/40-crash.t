# 40-crash.t: durability under SIGKILL. Clients send messages over several
# sessions while the test kills the queue role or the whole daemon at
# random moments and restarts it. Every message that got 250 must be in
# queue/ exactly once and complete; nothing else may be half-present.
# Bounded: a fixed number of rounds of at most a few seconds each.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use SmtpdTest;
use SmtpClient;

my $ROUNDS = 8;
my $CLIENTS = 4;
my $dir = SmtpdTest::tempdir_public();
my $conf = SmtpdTest::standard_conf();

sub client_loop {
	my ($port, $id, $round, $ackfile) = @_;
	open(my $ack, '>>', $ackfile) or die;
	$ack->autoflush(1);
	my $n = 0;
	my $deadline = time + 10;
	while (time < $deadline) {
		my $c = eval { SmtpClient->new($port) } or last;
		$c->cmd("EHLO crash.example") =~ /^250/ or last;
		for (1 .. 5) {
			my $token = "r${round}c${id}m" . $n++;
			$c->cmd("MAIL FROM:<c\@example.net>") =~ /^250/ or last;
			$c->cmd("RCPT TO:<root\@example.org>") =~ /^250/ or last;
			$c->cmd("DATA") =~ /^354/ or last;
			$c->send("Subject: $token\r\n\r\n" . ("line of $token\r\n" x 50) .
			    "END-OF-$token\r\n.\r\n");
			my $r = $c->reply(5);
			last unless $r =~ /^250 2\.0\.0 ([0-9a-f]{8})/;
			print $ack "$token $1\n";
		}
		$c->close;
	}
	POSIX::_exit(0);
}

my $base = SmtpdTest->new(dir => $dir, conf => $conf);
my $ackfile = "$dir/acked";
my $d;

sub daemon {
	my $x = SmtpdTest->new(dir => $dir, no_conf => 1);
	$x->{ports} = $base->{ports};
	$x->{port} = $base->port;
	return $x;
}

for my $round (1 .. $ROUNDS) {
	$d = daemon();
	$d->start;
	my @kids;
	for my $c (1 .. $CLIENTS) {
		my $pid = fork() // die;
		client_loop($d->port, $c, $round, $ackfile) if $pid == 0;
		push @kids, $pid;
	}
	sleep(0.3 + rand(1.2));
	if ($round % 2) {
		my $q = $d->roles->{queue};
		kill 'KILL', $q if $q;
		$d->wait_exit(5);
	} else {
		kill 'KILL', -$d->pid;	# the whole daemon, every process at once
		$d->wait_exit(5);
	}
	$d->stop;
	for my $k (@kids) {
		my $deadline = time + 15;
		while (waitpid($k, WNOHANG) == 0 && time < $deadline) { sleep 0.05 }
		kill 'KILL', $k;
		waitpid($k, 0);
	}
}

# One clean start: the walk purges incoming/ and keeps what was committed.
$d = daemon();
$d->start;
my $q = $d->queued;
$d->stop;

my %acked;
open(my $fh, '<', $ackfile) or die "no acks: $!";
while (<$fh>) {
	my ($token, $id) = split;
	$acked{$token} = $id;
}
close $fh;
cmp_ok(scalar keys %acked, '>', 20, "clients got 250 for a good number of messages");

my %found;
my $incomplete = 0;
for my $id (keys %$q) {
	my $m = $q->{$id}{message};
	my ($token) = $m =~ /^Subject: (\S+)\r$/m;
	$incomplete++ unless defined $token && $m =~ /END-OF-\Q$token\E\r\n\z/ &&
	    @{ $q->{$id}{envelopes} } == 1;
	$found{$token}++ if defined $token;
}
is($incomplete, 0, "every queued message is complete with its one envelope");
my @missing = grep { !$found{$_} } keys %acked;
is_deeply(\@missing, [], "every acknowledged message is in queue/");
my @dup = grep { $found{$_} > 1 } keys %found;
is_deeply(\@dup, [], "no message is in queue/ twice");
my @wrongid = grep { $q->{ $acked{$_} } && $q->{ $acked{$_} }{message} !~ /Subject: \Q$_\E\r/ } keys %acked;
is_deeply(\@wrongid, [], "each acknowledged queue id holds that message");
is_deeply([$d->spool_entries("incoming")], [], "incoming/ is empty after the restart");

done_testing();

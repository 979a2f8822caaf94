# 75-mda-lifetime.t: no delivery outlives the daemon. A deliver left
# running (in its own session) after the daemon stopped or crashed could
# race the next start's redelivery of the same envelope and deliver it
# twice. A clean stop kills every running delivery's process group; a
# SIGKILL of the parent takes deliver down through its parent-death
# signal. The envelope stays queued either way.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use SmtpdTest;
use SmtpClient;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;

# deliver, a child of the daemon's parent, and the command it runs.
sub delivery_pids {
	my ($d) = @_;
	my @deliver = grep { SmtpdTest::comm($_) eq 'deliver' } SmtpdTest::children_of($d->pid);
	return (@deliver, map { SmtpdTest::children_of($_) } @deliver);
}

for my $how ("stop", "crash") {
	my $d = SmtpdTest->new(conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@
action "slow" mda "sleep 60"
match from any for domain "example.org" action "slow"
EOF2
	$d->start;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	like($c->mail('sender@example.net', "$user\@example.org", "Subject: x\r\n\r\nx\r\n"),
	    qr/^250 /, "$how: accepted");
	$c->cmd("QUIT");
	my @pids;
	ok(SmtpdTest::wait_for(sub { @pids = delivery_pids($d); @pids >= 2 }),
	    "$how: deliver and its command run");
	if ($how eq "stop") {
		$d->stop;
	} else {
		# the parent dies alone; its roles see the channel close
		kill 'KILL', $d->pid;
		$d->stop;
	}
	ok(SmtpdTest::wait_for(sub { !grep { SmtpdTest::running($_) } @pids }, 5),
	    "$how: no delivery process outlives the daemon");
	kill 'KILL', grep { SmtpdTest::running($_) } @pids;
	ok(%{ $d->queued }, "$how: the message is still queued");
}
done_testing();

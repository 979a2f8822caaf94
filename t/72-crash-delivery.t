# 72-crash-delivery.t: exactly once under SIGKILL, end to end. Clients
# send a few hundred messages over several SMTP sessions to a Maildir
# user while the test SIGKILLs `deliver` processes at random moments of
# their run, and a few times the whole daemon (the parent, its roles and
# the delivers it started, by PID), restarting it on the same spool.
# After a last clean run every message that got 250 must be in the
# Maildir exactly once, every other one at most once, complete, and
# nothing may be left in Maildir/tmp or in the queue.
#
# A delivery killed while the daemon runs is a temporary failure, retried
# 5 minutes later. Before each restart the test makes every queued
# envelope due at once by setting its next-try to its creation time, on
# the stopped spool: a stand-in for `smtpctl schedule all`, which does not
# exist yet. Envelopes of an earlier run must be handed to deliver with
# the "look for it first" check (design.md, local delivery); restarts
# here come quickly, often within the second of the crash.
#
# Random choices come from CRASH_SEED (printed); timing makes a replay
# close, not identical. CRASH_KEEP=DIR keeps a failed run's files.
# Bounded: fixed rounds of a few seconds each, about 10 s in all.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use SmtpdTest;
use SmtpClient;

my $ROUNDS = 5;			# the first ROUNDS-1 end with a daemon SIGKILL
my $CLIENTS = 3;
my $PER_CLIENT = 20;		# messages per client and round
my $TARGET = 300;		# messages sent in all (the last round tops up)
my $P_KILL = 0.3;		# share of the delivers that get killed
my $KILL_SPREAD = 0.004;	# a late kill: up to this long after first sight
my $PACE = 0.15;		# a client waits up to this long between mails
my $FINAL_WAIT = 30;		# seconds for the last run to empty the queue

my $seed = $ENV{CRASH_SEED} // int(rand(1e9));
srand($seed);
diag("CRASH_SEED=$seed");

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;

my $base = SmtpdTest->new(conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
match from any for domain "example.org" action "local"
EOF2
my $dir = $base->dir;
$base->shared_dirs("mail");
my $md = "$dir/mail/$user/Maildir";
my $clientlog = "$dir/clients";
my $t0 = time;

# ------------------------------------------------------------ processes

sub gone {
	my ($pid) = @_;
	return SmtpdTest::slurp("/proc/$pid/stat") !~ /^\d+ \(.*\) [^Z]/;
}

# Bounded wait until none of the pids runs any more (zombies are gone).
sub wait_gone {
	my (@pids) = @_;
	my $deadline = time + 5;
	while (time < $deadline) {
		@pids = grep { !gone($_) } @pids;
		return 1 unless @pids;
		sleep 0.02;
	}
	return 0;
}

# ------------------------------------------------------------ clients

sub client_loop {
	my ($port, $prefix, $count) = @_;
	open(my $log, '>>', $clientlog) or POSIX::_exit(1);
	$log->autoflush(1);
	my $n = 0;
	my $deadline = time + 20;
	SESSION: while ($n < $count && time < $deadline) {
		my $c = eval { SmtpClient->new($port) } or last;
		$c->cmd("EHLO crash.example") =~ /^250/ or last;
		for (1 .. 5) {
			last SESSION if $n >= $count;
			my $token = sprintf("%s-m%02d", $prefix, $n++);
			last SESSION unless
			    $c->cmd("MAIL FROM:<c\@example.net>") =~ /^250/ &&
			    $c->cmd("RCPT TO:<$user\@example.org>") =~ /^250/ &&
			    $c->cmd("DATA") =~ /^354/;
			print $log "sent $token\n";
			$c->send("Message-Id: <$token\@crash.example>\r\n" .
			    "Subject: $token\r\n\r\n" .
			    ("body of $token " . ("x" x 60) . "\r\n") x 100 .
			    "END-OF-$token\r\n.\r\n");
			my $r = $c->reply(10);
			last SESSION unless $r =~ /^250 2\.0\.0 ([0-9a-f]{8})/;
			print $log "ack $token $1\n";
			sleep(rand($PACE));
		}
		$c->cmd("QUIT");
		$c->close;
	}
	POSIX::_exit(0);
}

# ------------------------------------------------------------ daemon

my $nstart = 0;

# A daemon on the shared dir, config and ports, with a fresh log (the
# old one is kept as smtpd.log.N) so that ready means this start.
sub start_daemon {
	my $d = SmtpdTest->new(dir => $dir, no_conf => 1);
	$d->{ports} = $base->{ports};
	$d->{port} = $base->port;
	rename($d->log_path, $d->log_path . "." . $nstart++) if -e $d->log_path;
	$d->start;
	return $d;
}

# The whole daemon at once: the parent is stopped first so it cannot
# start another deliver, then it, its roles and its delivers are killed.
sub kill_daemon {
	my ($d) = @_;
	kill 'STOP', $d->pid;
	my @all = ($d->pid, SmtpdTest::children_of($d->pid));
	kill 'KILL', @all;
	$d->wait_exit(5);
	wait_gone(@all) or diag("processes still alive after SIGKILL: @all");
	$d->stop;
}

# Every envelope on the stopped spool due now: next-try (record 0x1a)
# set to ctime (0x17), in place. Returns how many were changed.
sub schedule_all {
	my $n = 0;
	for my $f (glob($base->spool . "/queue/*/*/*")) {
		next unless $f =~ m{/[0-9a-f]{16}$};
		open(my $fh, '+<:raw', $f) or next;
		my $buf = do { local $/; <$fh> } // '';
		my ($off, $ctime, $at) = (0);
		while ($off + 5 <= length $buf) {
			my ($t, $l) = unpack("CN", substr($buf, $off, 5));
			$ctime = substr($buf, $off + 5, 8)
			    if $t == 0x17 && $l == 8;
			$at = $off + 5 if $t == 0x1a && $l == 8;
			last if $t == 0;
			$off += 5 + $l;
		}
		if (defined $ctime && defined $at &&
		    substr($buf, $at, 8) ne $ctime) {
			seek($fh, $at, 0);
			print $fh $ctime;
			$n++;
		}
		close $fh;
	}
	return $n;
}

# Watch the daemon's children until done->() or the deadline: each new
# deliver is picked for a kill with probability P_KILL, the kill falling
# when it is first seen or a random moment (up to KILL_SPREAD) later.
my %stats = (delivers => 0, killed => 0, daemon_kills => 0);

sub watch {
	my ($d, $deadline, $done) = @_;
	my %roles = map { $_ => 1 } values %{ $d->roles };
	my (%seen, %killat);
	while (time < $deadline && !$done->()) {
		my $now = time;
		for my $p (SmtpdTest::children_of($d->pid)) {
			next if $roles{$p};
			unless (exists $seen{$p}) {
				next unless SmtpdTest::comm($p) eq 'deliver';
				$seen{$p} = 1;
				$stats{delivers}++;
				# half at once, half a little later
				$killat{$p} = $now + (rand() < 0.5 ? 0 :
				    rand($KILL_SPREAD)) if rand() < $P_KILL;
			}
			if (defined $killat{$p} && $now >= $killat{$p}) {
				delete $killat{$p};
				$stats{killed}++ if kill('KILL', $p);
			}
		}
		sleep 0.001;
	}
	return keys %seen;
}

# Messages in queue/, without reading them.
sub queue_count {
	my @m = glob($base->spool . "/queue/*/*");
	return scalar @m;
}

sub clients_done {
	my ($kids) = @_;
	@$kids = grep { waitpid($_, WNOHANG) == 0 } @$kids;
	return !@$kids;
}

# Messages sent so far.
sub sent {
	open(my $fh, '<', $clientlog) or return 0;
	my $n = grep { /^sent / } <$fh>;
	close $fh;
	return $n;
}

# Is a client waiting for the reply to its data?
sub awaiting {
	open(my $fh, '<', $clientlog) or return 0;
	my $n = 0;
	while (<$fh>) {
		$n += /^sent / ? 1 : /^ack / ? -1 : 0;
	}
	close $fh;
	return $n > 0;
}

# ------------------------------------------------------------ the run

for my $round (1 .. $ROUNDS) {
	my $d = start_daemon();
	my @kids;
	my $count = $PER_CLIENT;
	$count = int(($TARGET - sent() + $CLIENTS - 1) / $CLIENTS)
	    if $round == $ROUNDS && sent() + $CLIENTS * $count < $TARGET;
	for my $c (1 .. $CLIENTS) {
		my $pid = fork() // die "fork: $!";
		client_loop($d->port, "r${round}c$c", $count) if $pid == 0;
		push @kids, $pid;
	}
	my @delivers;
	if ($round < $ROUNDS) {
		# The daemon dies at a random moment of the traffic, if it
		# can while a client waits for its 250.
		@delivers = watch($d, time + 0.2 + rand(1.4), sub { 0 });
		push @delivers, watch($d, time + 0.3, \&awaiting);
		kill_daemon($d);
		$stats{daemon_kills}++;
	} else {
		@delivers = watch($d, time + 20, sub { clients_done(\@kids) });
		# and the deliveries of the last messages
		push @delivers, watch($d, time + 1, sub { !queue_count() });
		$d->stop;
	}
	my $deadline = time + 15;
	until (clients_done(\@kids) || time > $deadline) { sleep 0.05 }
	kill 'KILL', @kids;
	waitpid($_, 0) for @kids;
	# A deliver that outlived a clean stop must not race the next start.
	wait_gone(@delivers) or diag("delivers still running: @delivers");
	$stats{rescheduled} += schedule_all();
}

# The last start: no kills; every envelope left is due and is checked
# against the Maildir before it is delivered.
my $d = start_daemon();
my $deadline = time + $FINAL_WAIT;
sleep 0.1 while queue_count() && time < $deadline;
my $left = $d->queued;
$d->stop;
is_deeply([$d->stray], [], "no process left behind");
diag(sprintf("%.1f s: %d delivers seen, %d killed, %d daemon kills, " .
    "%d envelopes rescheduled", time - $t0, @stats{qw(delivers killed
    daemon_kills rescheduled)}));

# ------------------------------------------------------------ checks

my (%sent, %acked);
open(my $fh, '<', $clientlog) or die "no client log: $!";
while (<$fh>) {
	$sent{$1} = 1 if /^sent (\S+)/;
	$acked{$1} = $2 if /^ack (\S+) (\S+)/;
}
close $fh;
cmp_ok(scalar keys %sent, '>=', 200, "several hundred messages sent (" .
    scalar(keys %sent) . ")");
cmp_ok(scalar keys %acked, '>=', 100, "a good number accepted (" .
    scalar(keys %acked) . ")");
cmp_ok($stats{killed}, '>', 0, "some delivers were killed");
is_deeply([sort keys %$left], [], "the queue is empty after the last run")
    or diag(join("\n", map { SmtpdTest::slurp($_) =~ s/[^ -~]+/ /gr }
    map { @{ $_->{envelopes} } } values %$left));

sub files_in {
	my ($sub) = @_;
	opendir(my $dh, "$md/$sub") or return ();
	my @f = map { "$md/$sub/$_" } grep { !/^\./ } readdir $dh;
	closedir $dh;
	return @f;
}

my (%found, @bad);
for my $f (files_in("new"), files_in("cur")) {
	my $m = SmtpdTest::slurp($f);
	my ($token) = $m =~ /^Subject: (\S+)$/m;
	if (!defined $token || $m !~ /\nEND-OF-\Q$token\E\n\z/ ||
	    !$sent{$token}) {
		push @bad, $f;
		next;
	}
	push @{ $found{$token} }, $f =~ s{.*/}{}r;
}
is_deeply(\@bad, [], "every Maildir file is one whole message that was sent");
my @missing = sort grep { !$found{$_} } keys %acked;
is_deeply(\@missing, [], "every accepted message was delivered") or
    diag("missing: " . join(" ", map { "$_ ($acked{$_})" } @missing));
my @unacked = grep { !$acked{$_} } keys %sent;
diag(scalar(@unacked) . " sent without a 250, " .
    scalar(grep { $found{$_} } @unacked) . " of them delivered");
my @dup = sort grep { @{ $found{$_} } > 1 } keys %found;
is_deeply(\@dup, [], "no message was delivered twice, acknowledged or not") or
    diag(join("\n", map { "$_ " . ($acked{$_} // 'not acked') . ": " .
    join(" ", @{ $found{$_} }) } @dup));
my @tmp = map { s{.*/}{}r } files_in("tmp");
is_deeply(\@tmp, [], "nothing is left in Maildir/tmp");
is_deeply([$d->spool_entries("incoming")], [], "incoming/ is empty");
is_deeply([$d->spool_entries("corrupt")], [], "nothing was quarantined");
# CRASH_KEEP=DIR: a failed run's directory (logs smtpd.log.N, spool,
# Maildir, client log) is copied there for a look.
if ($ENV{CRASH_KEEP} && !Test::More->builder->is_passing) {
	system("cp", "-a", $dir, $ENV{CRASH_KEEP});
	diag("run kept in $ENV{CRASH_KEEP}");
}
done_testing();

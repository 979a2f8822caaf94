# 76-deliver-agent.t: maildir deliveries go to a long-lived deliver
# agent of the user (smtpd/parent_agent.c) instead of a deliver per
# delivery: messages in a row share one agent, a tmp/ removed meanwhile
# is made again, an agent killed while
# idle is replaced, an idle one retires after AGENT_IDLE (5 s), pipes
# still run one deliver each, and no agent outlives the daemon.
#
# The daemon runs the deliver beside itself, so the test runs a copy of
# smtpd with t/tools/deliver_agent_fake.c as its deliver (the real one
# as real/deliver): the fake serves the agent protocol by running the
# real deliver per request, and misbehaves on demand (busy death, exit,
# short reply, refusal, a hang). The same scenario runs again on the
# build's own smtpd and deliver once deliver has agent mode (-A).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Fcntl qw(F_SETFD);
use POSIX qw(dup2);
use Socket qw(AF_UNIX SOCK_SEQPACKET PF_UNSPEC);
use Time::HiRes qw(sleep time);
use SmtpdTest;
use SmtpClient;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;
my $BUILD = SmtpdTest::build();
my $IDLE = 5;		# AGENT_IDLE


# `deliver -A -d USER` with its socket closed at once exits 0 (EOF).
sub real_agent {
	socketpair(my $ours, my $its, AF_UNIX, SOCK_SEQPACKET, PF_UNSPEC) or return 0;
	my $pid = fork() // return 0;
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		if (fileno($its) == 3) {
			fcntl($its, F_SETFD, 0);
		} else {
			dup2(fileno($its), 3) // POSIX::_exit(127);
		}
		exec("$BUILD/deliver", "-A", "-d", $user) or POSIX::_exit(127);
	}
	close $its;
	close $ours;
	return SmtpdTest::reap_child($pid, 10) == 0;
}

sub agent_starts {
	my ($d) = @_;
	return $d->agent_starts($user);
}

sub deliveries {
	my ($d, $result) = @_;
	return scalar(() = $d->log =~ /queue event=delivery .*result=$result\b/g);
}

# Deliver-named children of the daemon's parent (one-shot or agents).
sub deliver_children {
	my ($d) = @_;
	return grep { SmtpdTest::comm($_) eq 'deliver' } SmtpdTest::children_of($d->pid);
}

sub subjects {
	my ($new) = @_;
	return sort { $a <=> $b } map { SmtpdTest::slurp($_) =~ /^Subject: agent (\d+)$/m ? $1 : -1 }
	    SmtpdTest::maildir_files($new);
}

sub scenario {
	my ($how, %o) = @_;
	my $d = SmtpdTest->new(bin => $o{bin}, conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
action "pipe" mda "echo $PPID >> @DIR@/pipe/ppids"
match from any for domain "example.org" action "local"
match from any for domain "pipe.example" action "pipe"
EOF2
	$d->shared_dirs("mail", "pipe");
	$d->start;
	my $new = $d->dir . "/mail/$user/Maildir/new";
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	my $n = 0;
	my $send = sub {
		my ($rcpt, $want) = @_;
		$n++;
		my $ok = deliveries($d, $want // "Ok");
		my $r = $c->mail('sender@example.net', $rcpt, "Subject: agent $n\r\n\r\nbody $n\r\n");
		return $r =~ /^250 / && SmtpdTest::wait_for(sub { deliveries($d, $want // "Ok") > $ok });
	};

	# Ten in a row, each once the last is reported: one agent serves all.
	my $sent = 0;
	$sent += $send->("$user\@example.org") for 1 .. 10;
	is($sent, 10, "$how: ten messages accepted and delivered");
	is_deeply([subjects($new)], [1 .. 10], "$how: each delivered exactly once");
	my @starts = agent_starts($d);
	is(scalar @starts, 1, "$how: one agent started for ten deliveries");
	unlike($d->log, qr/event=agent-exit/, "$how: and it is still there");

	# tmp/ removed while the agent is idle: made again for the next one.
	my $tmp = $d->dir . "/mail/$user/Maildir/tmp";
	ok(rmdir($tmp), "$how: tmp/ removed") or diag("rmdir $tmp: $!");
	ok($send->("$user\@example.org"), "$how: a message after it is delivered");
	ok(-d $tmp, "$how: tmp/ made again");
	is_deeply([subjects($new)], [1 .. 11], "$how: into new/, once");
	is(scalar(() = agent_starts($d)), 1, "$how: by the same agent");

	# An idle agent killed: noticed, and the next delivery gets a new one.
	kill 'KILL', $starts[0];
	ok($d->wait_log(qr/event=agent-exit pid=$starts[0] user=\Q$user\E uses=11 reason=died signal=9/),
	    "$how: the killed idle agent is reaped, reason=died");
	ok($send->("$user\@example.org"), "$how: the next message is delivered");
	is_deeply([subjects($new)], [1 .. 12], "$how: into the Maildir, once");
	@starts = agent_starts($d);
	ok(@starts == 2 && $starts[1] != $starts[0], "$how: by a new agent");

	# Idle for AGENT_IDLE: it retires, and no deliver is left.
	ok($d->wait_log(qr/event=agent-exit pid=$starts[1] user=\Q$user\E uses=1 reason=idle status=0/, $IDLE + 5),
	    "$how: an idle agent retires after ${IDLE}s");
	ok(SmtpdTest::wait_for(sub { !deliver_children($d) }), "$how: no deliver process left");

	# A pipe (mda) runs one deliver per delivery, no agent.
	ok($send->("$user\@pipe.example") && $send->("$user\@pipe.example"),
	    "$how: two pipe deliveries");
	my @ppids = split ' ', SmtpdTest::slurp($d->dir . "/pipe/ppids");
	ok(@ppids == 2 && $ppids[0] != $ppids[1], "$how: by two deliver processes (@ppids)");
	is(scalar(() = agent_starts($d)), 2, "$how: no agent for a pipe");

	$o{more}->($d, $send, $new) if $o{more};

	# The daemon stops with an agent idle: promptly, none left.
	ok($send->("$user\@example.org"), "$how: one more delivery before the stop");
	@starts = agent_starts($d);
	my @live = grep { SmtpdTest::running($_) } @starts;
	ok(@live >= 1, "$how: an agent is alive before the stop");
	$c->cmd("QUIT");
	my $took = $d->stop;
	ok($took < 3, sprintf("$how: the daemon stopped promptly (%.1fs)", $took));
	ok(SmtpdTest::wait_for(sub { !grep { SmtpdTest::running($_) } @starts }, 5),
	    "$how: no agent outlives the daemon");
	kill 'KILL', grep { SmtpdTest::running($_) } @starts;
	is_deeply([$d->stray], [], "$how: no process left behind");
}

# The fake agent's misbehaviours, each by the message's subaddress.
sub misbehaviours {
	my ($d, $send, $new) = @_;
	my %cases = (
		'agent-die'	=> [qr/4\.3\.0 deliver died with a signal/, qr/reason=died signal=9/],
		'agent-exit'	=> [qr/4\.3\.0 delivery agent exited/, qr/reason=died status=3/],
		'agent-short'	=> [qr/4\.3\.0 malformed reply from the delivery agent/, qr/reason=malformed signal=9/],
		'agent-refuse'	=> [qr/4\.3\.0 the delivery agent refused the request/, qr/reason=refused status=76/],
	);
	for my $tag (sort keys %cases) {
		my ($text, $exit) = @{ $cases{$tag} };
		my $exits = () = $d->log =~ /event=agent-exit [^\n]*$exit/g;
		ok($send->("$user+$tag\@example.org", "TempFail"), "$tag: a temporary failure");
		like($d->log, qr/queue event=delivery rcpt=<\Q$user+$tag\E\@example\.org> .*result=TempFail text="$text"/,
		    "$tag: with its reason");
		ok(SmtpdTest::wait_for(sub { (() = $d->log =~ /event=agent-exit [^\n]*$exit/g) > $exits }),
		    "$tag: the agent is dropped ($exit)");
		my $count = () = subjects($new);
		my $starts = () = agent_starts($d);
		ok($send->("$user\@example.org"), "$tag: the next message is delivered");
		is(scalar(() = subjects($new)), $count + 1, "$tag: into the Maildir");
		is(scalar(() = agent_starts($d)), $starts + 1, "$tag: by a new agent");
	}
	# Busy at the stop and deaf to EOF: only the stop's kill ends it.
	my $starts = () = agent_starts($d);
	my $r = SmtpClient->new($d->port);
	$r->cmd("EHLO client.example");
	like($r->mail('sender@example.net', "$user+agent-hang\@example.org", "Subject: hang\r\n\r\nx\r\n"),
	    qr/^250 /, "agent-hang: accepted");
	$r->cmd("QUIT");
	ok($send->("$user\@example.org"), "agent-hang: a message after it is delivered");
	is(scalar(() = agent_starts($d)), $starts + 1, "agent-hang: the two had an agent each");
	unlike($d->log, qr/event=delivery rcpt=<\Q$user\E\+agent-hang/, "agent-hang: still out at the stop");
}

scenario("fake agent", bin => SmtpdTest::fake_agent_copy("agent"), more => \&misbehaviours);
ok(real_agent(), "the build's deliver has an agent mode: exits 0 at EOF");
scenario("deliver -A", bin => $BUILD);
done_testing();

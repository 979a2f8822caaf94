# 78-delivery-limits.t: the time limits of a local delivery, on a build
# of smtpd whose limits are short (t/smtpd-short, GNUmakefile: the same
# sources with three time limits made short, below):
#   - a command still running at the limit is killed, its process
#     group with it: a temporary failure, the message stays queued;
#   - a Maildir delivery whose agent hangs: the agent is killed, the
#     same outcome, and the next message gets a new agent;
#   - an LMTP recipient whose mailbox delivery has not ended when the
#     queue stops waiting (4 s instead of 6 minutes) gets 451, the others
#     their outcome; the delivery killed later changes nothing the
#     client was told;
#   - a queue role that never answers (stopped with SIGSTOP): the
#     session gives up after its own bound (7 s instead of 7 minutes)
#     with 421, and the answer that comes after it harms nothing.
# The hanging agent is t/tools/deliver_agent_fake.c's agent-hang.
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
my $BUILD = SmtpdTest::build();
my $LIMIT = 10;		# MDA_TIMEOUT of t/smtpd-short
my $WAIT = 4;		# LMTP_SYNC_WAIT of t/smtpd-short
my $FRONT = 7;		# LMTP_FRONT_WAIT of t/smtpd-short

# The short smtpd, the fake agent as its deliver, the real one beneath.
my $bin = SmtpdTest::fake_agent_copy("limits", "$BUILD/t/smtpd-short");

my $d = SmtpdTest->new(bin => $bin, conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@
listen on 127.0.0.1 port @PORT2@ lmtp
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
action "slow" mda "echo $$ > @DIR@/pipe/pid; exec sleep 60"
match from any for domain "example.org" action "local"
match from any for domain "slow.example" action "slow"
EOF2
$d->shared_dirs("mail", "pipe");
$d->start;
my $new = $d->dir . "/mail/$user/Maildir/new";

sub subjects {
	return sort map { SmtpdTest::slurp($_) =~ /^Subject: (\S+)$/m ? $1 : '?' }
	    SmtpdTest::maildir_files($new);
}

sub agent_starts { return $d->agent_starts($user) }

my $c = SmtpClient->new($d->port);
$c->cmd("EHLO client.example");

# --- a command past the limit
my $t0 = time;
like($c->mail('sender@example.net', "$user\@slow.example", "Subject: slow\r\n\r\nx\r\n"),
    qr/^250 /, "command: accepted");
my $pidfile = $d->dir . "/pipe/pid";
ok(SmtpdTest::wait_for(sub { -s $pidfile }), "command: running");
my ($cmd) = SmtpdTest::slurp($pidfile) =~ /(\d+)/;
ok($d->wait_log(qr/event=delivery rcpt=<\Q$user\E\@slow\.example> .*result=TempFail text="4\.3\.0 delivery time limit exceeded"/,
    $LIMIT + 10), "command: killed at the limit, a temporary failure");
my $took = time - $t0;
ok($took >= $LIMIT - 0.5, sprintf("command: not before the limit (%.1fs)", $took));
ok(SmtpdTest::wait_for(sub { !SmtpdTest::running($cmd) }, 5), "command: its process is gone");
ok(scalar(grep { $_->{message} =~ /^Subject: slow\r?$/m } values %{ $d->queued }),
    "command: the message stays queued for a retry");

# --- a Maildir delivery whose agent hangs
$t0 = time;
like($c->mail('sender@example.net', "$user+agent-hang\@example.org", "Subject: hang\r\n\r\nx\r\n"),
    qr/^250 /, "agent: accepted");
ok(SmtpdTest::wait_for(sub { agent_starts() >= 1 }), "agent: started");
my ($hung) = agent_starts();
ok($d->wait_log(qr/event=delivery rcpt=<\Q$user\E\+agent-hang\@example\.org> .*result=TempFail text="4\.3\.0 delivery time limit exceeded"/,
    $LIMIT + 10), "agent: killed at the limit, a temporary failure");
ok(time - $t0 >= $LIMIT - 0.5, "agent: not before the limit");
ok($d->wait_log(qr/event=agent-exit pid=$hung user=\Q$user\E .*signal=9/),
    "agent: the hung agent is reaped after its kill");
like($c->mail('sender@example.net', "$user\@example.org", "Subject: after\r\n\r\nx\r\n"),
    qr/^250 /, "agent: the next message accepted");
ok(SmtpdTest::wait_for(sub { grep { $_ eq 'after' } subjects() }), "agent: and delivered");
my @starts = agent_starts();
ok(@starts == 2 && $starts[1] != $hung, "agent: by a new agent");
$c->cmd("QUIT");

# --- LMTP: a mailbox delivery not over when the front stops waiting
my $l = SmtpClient->new($d->port(2));
like($l->cmd("LHLO client.example"), qr/^250 /m, "LHLO");
$l->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<$user\@example.org>\r\n" .
    "RCPT TO:<$user+agent-hang\@example.org>\r\nDATA\r\n");
my @r = $l->replies(4);
like($r[3], qr/^354 /, "LMTP: DATA for a mailbox and a hanging one");
$t0 = time;
$l->send("Subject: lmtp\r\n\r\nx\r\n.\r\n");
@r = $l->replies(2, $WAIT + 10);
$took = time - $t0;
like($r[0], qr/^250 2\.0\.0 <\Q$user\E\@example\.org> /, "LMTP: the first recipient delivered");
like($r[1], qr/^451 4\.\d+\.\d+ <\Q$user\E\+agent-hang\@example\.org> /, "LMTP: the hanging one 451");
ok($took >= $WAIT - 0.5 && $took < $LIMIT, sprintf("LMTP: after the front's wait, before the limit (%.1fs)", $took));
like($l->cmd("NOOP"), qr/^250 /, "LMTP: the session goes on");
my $killed = qr/event=delivery rcpt=<\Q$user\E\+agent-hang\@example\.org> .*text="4\.3\.0 delivery time limit exceeded"/;
ok(SmtpdTest::wait_for(sub { (() = $d->log =~ /$killed/g) == 2 }, $LIMIT + 10),
    "LMTP: the delivery is killed at the limit later");
is(scalar(grep { $_ eq 'lmtp' } subjects()), 1, "LMTP: one copy in the Maildir");

# --- the queue stopped while a session waits for its answer
my ($queue) = grep { SmtpdTest::slurp("/proc/$_/cmdline") =~ /\0-x\0queue\b/ }
    SmtpdTest::children_of($d->pid);
ok($queue, "the queue role's pid");
$l->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<$user+agent-hang\@example.org>\r\nDATA\r\n");
@r = $l->replies(3);
like($r[2], qr/^354 /, "stopped queue: DATA");
my $accepted = () = $d->log =~ /smtp event=accepted .*queue=direct/g;
$t0 = time;
$l->send("Subject: stopped\r\n\r\nx\r\n.\r\n");
# COMMIT answered: the session waits, and the queue would answer in $WAIT s
ok(SmtpdTest::wait_for(sub { (() = $d->log =~ /smtp event=accepted .*queue=direct/g) > $accepted }, $WAIT),
    "stopped queue: the transaction is the queue's");
kill 'STOP', $queue;
my $reply = $l->reply($FRONT + 10);
$took = time - $t0;
like($reply, qr/^421 4\.4\.2 .*Timeout waiting for local delivery/, "stopped queue: 421 for the waiting session");
ok($took >= $FRONT - 0.5, sprintf("stopped queue: after the session's bound (%.1fs)", $took));
ok($l->closed, "stopped queue: and the session is closed");
kill 'CONT', $queue;
ok($d->wait_log(qr/smtp event=lmtp-timeout .*result=TempFail/), "stopped queue: logged");
my $m = SmtpClient->new($d->port(2));
like($m->cmd("LHLO client.example"), qr/^250 /m, "stopped queue: resumed, a new session is served");
like($m->mail('sender@example.net', "$user\@example.org", "Subject: resumed\r\n\r\nx\r\n"),
    qr/^250 2\.0\.0 <\Q$user\E\@example\.org> [0-9a-f]{8} Delivered/, "stopped queue: and delivers");
$m->cmd("QUIT");
ok($d->alive, "the daemon is still running");

unlike($d->log, qr/runtime error|ERROR: AddressSanitizer/, "no sanitizer report");
$d->stop;
done_testing();

# 74-bounce.t: delivery reports (protocol.md A.13) end to end. A local
# delivery that fails permanently, a message whose queue lifetime runs
# out, a delayed delivery and NOTIFY=SUCCESS each make an RFC 3464 report
# that is queued with the null sender and delivered into the original
# sender's Maildir; NOTIFY=NEVER makes none; a report that fails itself
# goes once to the postmaster and no further.
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

my $d = SmtpdTest->new(conf => <<EOF2);
bounce warn-interval 1s
table aliases { "postmaster" = "$user" }
listen on 127.0.0.1 port \@PORT\@
action "local" maildir "\@DIR\@/mail/%{user.username}/Maildir" alias <aliases>
action "pm" maildir "\@DIR\@/pm/%{user.username}/Maildir" alias <aliases>
action "fail" mda "exit 67"
action "slow" mda "sleep 2; exit 75" ttl 4s
action "expire" mda "exit 75" ttl 2s
match from any for domain "example.org" action "local"
match from any for domain "fail.example" action "fail"
match from any for domain "slow.example" action "slow"
match from any for domain "expire.example" action "expire"
match from local for any action "pm"
EOF2
$d->shared_dirs("mail", "pm");
$d->start;

my $inbox = $d->dir . "/mail/$user/Maildir/new";
my $pmbox = $d->dir . "/pm/$user/Maildir/new";

# The report in $dir whose text mentions $token (and matches $kind, a
# pattern for its Subject line, if given), once it is there.
sub report_about {
	my ($dir, $token, $secs, $kind) = @_;
	my $found;
	SmtpdTest::wait_for(sub {
		for my $f (SmtpdTest::maildir_files($dir)) {
			my $c = SmtpdTest::slurp($f);
			if ($c =~ /\Q$token\E/ && $c =~ /^Auto-Submitted: auto-replied/m &&
			    (!$kind || $c =~ /^Subject: $kind/m)) {
				$found = $c;
				return 1;
			}
		}
		return 0;
	}, $secs);
	return $found;
}

my $c = SmtpClient->new($d->port);
$c->cmd("EHLO client.example");
my $sender = "$user\@example.org";

sub send_one {
	my ($from, $rcpt, $token, %o) = @_;
	my $mail = $c->cmd("MAIL FROM:<$from>" . ($o{ret} ? " RET=$o{ret}" : "") .
	    ($o{envid} ? " ENVID=$o{envid}" : ""));
	like($mail, qr/^250 /, "$token: MAIL");
	my $r = $c->cmd("RCPT TO:<$rcpt>" . ($o{notify} ? " NOTIFY=$o{notify}" : "") .
	    ($o{orcpt} ? " ORCPT=rfc822;$o{orcpt}" : ""));
	like($r, qr/^250 /, "$token: RCPT") or diag($d->log);
	like($c->cmd("DATA"), qr/^354 /, "$token: DATA");
	my $reply = $c->cmd("Subject: $token\r\nMessage-Id: <$token\@client.example>\r\n\r\nbody of $token\r\n.");
	like($reply, qr/^250 2\.0\.0 ([0-9a-f]{8}) /, "$token: accepted");
	return ($reply =~ /^250 2\.0\.0 ([0-9a-f]{8}) /)[0];
}

# --- a permanent failure: an RFC 3464 report back to the sender
{
	my $msgid = send_one($sender, "$user\@fail.example", "perm-token-1",
	    envid => "ENV123", orcpt => "orig\@fail.example");
	my $rep = report_about($inbox, "perm-token-1");
	ok($rep, "a failure report reached the sender's Maildir");
	$rep //= "";
	like($rep, qr/^Return-Path: <>$/m, "sent with the null sender");
	like($rep, qr/^From: Mail Delivery System <MAILER-DAEMON\@/m, "From: MAILER-DAEMON");
	like($rep, qr/^Subject: Undelivered Mail Returned to Sender$/m, "failure subject");
	like($rep, qr/^Auto-Submitted: auto-replied \(failure\)$/m, "Auto-Submitted");
	like($rep, qr/^Content-Type: multipart\/report; report-type=delivery-status;/m, "multipart/report");
	like($rep, qr/^Content-Type: message\/delivery-status$/m, "a delivery-status part");
	like($rep, qr/^Original-Envelope-Id: ENV123$/m, "ENVID echoed");
	like($rep, qr/^Original-Recipient: rfc822; ?orig\@fail\.example$/m, "ORCPT echoed");
	like($rep, qr/^Final-Recipient: rfc822; ?\Q$user\E\@fail\.example$/m, "Final-Recipient");
	like($rep, qr/^Action: failed$/m, "Action: failed");
	like($rep, qr/^Status: 5\.\d+\.\d+$/m, "a permanent status");
	like($rep, qr/^Diagnostic-Code: x-unix; /m, "a local diagnostic");
	like($rep, qr/^Content-Type: message\/rfc822$/m, "the original attached");
	like($rep, qr/^Subject: perm-token-1$/m, "the original's header");
	like($rep, qr/^body of perm-token-1$/m, "and its body");
	like($d->log, qr/\Q$msgid\E queue event=bounce type=failed to=<\Q$sender\E> rcpts=1 .*result=Ok/,
	    "the report is logged");
	ok(SmtpdTest::wait_for(sub { !grep { $_ eq $msgid } keys %{ $d->queued } }),
	    "the failed message left the queue");
}

# --- RET=HDRS: only the headers come back
{
	send_one($sender, "$user\@fail.example", "hdrs-token-2", ret => "HDRS");
	my $rep = report_about($inbox, "hdrs-token-2") // "";
	like($rep, qr/^Content-Type: text\/rfc822-headers$/m, "RET=HDRS: headers only");
	unlike($rep, qr/body of hdrs-token-2/, "RET=HDRS: no body");
}

# --- NOTIFY=NEVER: no report at all
{
	my $msgid = send_one($sender, "$user\@fail.example", "never-token-3", notify => "NEVER");
	ok($d->wait_log(qr/queue event=discard reason="no report wanted"/), "NOTIFY=NEVER: discarded");
	ok(SmtpdTest::wait_for(sub { !grep { $_ eq $msgid } keys %{ $d->queued } }), "and removed from the queue");
	sleep 1.5;	# longer than a report takes to be gathered and made
	ok(!report_about($inbox, "never-token-3", 0.1), "no report for NOTIFY=NEVER");
}

# --- NOTIFY=SUCCESS: a success report
{
	send_one($sender, "$user\@example.org", "success-token-4", notify => "SUCCESS");
	my $rep = report_about($inbox, "success-token-4") // "";
	like($rep, qr/^Subject: Successful Mail Delivery Report$/m, "success report");
	like($rep, qr/^Action: delivered$/m, "Action: delivered");
	like($rep, qr/^Status: 2\.0\.0$/m, "Status 2.0.0");
}

# --- expiry: a message never delivered within its ttl
{
	send_one($sender, "$user\@expire.example", "expire-token-5");
	my $rep = report_about($inbox, "expire-token-5", 15, qr/Undelivered/) // "";
	like($rep, qr/^Action: failed$/m, "expired: Action failed");
	like($rep, qr/^Status: 4\.\d+\.\d+$/m, "expired: the last temporary status");
	like($rep, qr/delivery time expired/, "expired: says so");
}

# --- a delayed delivery: a delay warning (warn-interval 1s, attempt 2s)
{
	send_one($sender, "$user\@slow.example", "delay-token-6");
	my $rep = report_about($inbox, "delay-token-6", 15, qr/Delayed/) // "";
	like($rep, qr/^Subject: Delayed Mail \(still being retried\)$/m, "a delay warning");
	like($rep, qr/^Action: delayed$/m, "Action: delayed");
	like($rep, qr/^Will-Retry-Until: /m, "Will-Retry-Until");
	like($rep, qr/^Content-Type: text\/rfc822-headers$/m, "headers only in a delay report");
}

# --- a report that fails itself goes to the postmaster, once
{
	my $bad = "$user\@fail.example";
	my $msgid = send_one($bad, $bad, "double-token-7");
	my $rep = report_about($pmbox, "double-token-7", 15) // "";
	ok($rep, "the failed report went to the postmaster");
	like($rep, qr/^To: <postmaster\@/m, "addressed to postmaster");
	like($rep, qr/^Return-Path: <>$/m, "with the null sender");
	ok($d->wait_log(qr/queue event=bounce type=failed to=<postmaster\@/), "logged");
	ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }, 15), "nothing left in the queue");
	my @pm = grep { SmtpdTest::slurp($_) =~ /double-token-7/ } SmtpdTest::maildir_files($pmbox);
	is(scalar @pm, 1, "exactly one report to the postmaster");
}

$c->cmd("QUIT");
diag($d->log) unless Test::More->builder->is_passing;
$d->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

# 70-local-delivery.t: mail accepted over SMTP reaches the user's Maildir.
# The queue's scheduler hands due local envelopes to the parent, which
# runs deliver as the user with the message; delivered envelopes leave
# the queue, a failure keeps them (temporary: rescheduled).
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

my $d = SmtpdTest->new(conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
action "broken" maildir "@DIR@/readonly/%{user.username}/Maildir"
match from any for domain "example.org" action "local"
match from any for domain "broken.example" action "broken"
EOF2
$d->shared_dirs("mail");
mkdir $d->dir . "/readonly", 0555;
$d->start;

my $c = SmtpClient->new($d->port);
$c->cmd("EHLO client.example");
my $r = $c->mail('sender@example.net', "$user\@example.org",
    "Subject: delivered\r\n\r\nline one\r\n..dot\r\n");
like($r, qr/^250 2\.0\.0 ([0-9a-f]{8}) /, "accepted");
my $new = $d->dir . "/mail/$user/Maildir/new";
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($new)) == 1 }), "one file in the user's Maildir/new");
my ($file) = SmtpdTest::maildir_files($new);
my $content = SmtpdTest::slurp($file // '');
like($content, qr/\AReturn-Path: <sender\@example\.net>\nX-Original-To: \Q$user\E\@example\.org\nDelivered-To: \Q$user\E\@example\.org\nReceived: from client\.example/,
    "trace fields first, then our Received:, LF line endings");
like($content, qr/\nSubject: delivered\n\nline one\n\.dot\n\z/, "the body, unstuffed once");
my $uid = (stat($file // '/'))[4] // -1;
is($uid, scalar getpwnam($user), "the file belongs to $user");
ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }), "the delivered message left the queue");
like($d->log, qr/queue event=delivery rcpt=<\Q$user\E\@example\.org> .*result=Ok/, "delivery logged");

{
	# readonly/ is 0555: the user cannot create the Maildir there.
	$r = $c->mail('sender@example.net', "$user\@broken.example", "Subject: stuck\r\n\r\nx\r\n");
	like($r, qr/^250 2\.0\.0 /, "accepted for a mailbox that cannot be written");
	ok($d->wait_log(qr/queue event=delivery rcpt=<\Q$user\E\@broken\.example> .*result=TempFail/),
	    "a temporary failure");
	my ($q) = values %{ $d->queued };
	ok($q && @{ $q->{envelopes} } == 1, "the message stays queued for a retry");
}
$c->cmd("QUIT");
$d->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

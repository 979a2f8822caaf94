# 73-lmtp-front.t: the LMTP front answers each recipient with its real
# outcome (protocol.md A.8, design.md "The LMTP front"): local mailboxes
# are delivered before the reply, a recipient that expands to a program
# is only queued ("accepted for delivery"), a recipient refused at RCPT
# gets no reply after the dot, and a failure told to the client leaves
# our queue (no retry, no report). A transaction whose recipients are
# each one mailbox is delivered straight from incoming/, never committed;
# with local delivery paused, or a success report asked for, it is
# committed as usual. Two Maildirs owned by one user (the
# runner, or a test user as root) through a virtual table; the second is
# made unwritable (new/ and tmp/ mode 0500).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use SmtpdTest;
use SmtpClient;
use CtlTest;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;
my ($uid, $gid) = (getpwnam($user))[2, 3];

my $d = SmtpdTest->new(conf => <<"EOF2");
table vusers { "good\@example.org" = "$user", "bad\@example.org" = "$user", "other\@example.org" = "$user", "piper\@example.org" = "|/bin/cat > \@DIR\@/pipes/out", "slow\@example.org" = "\@DIR\@/pipes/slow.mbox", "half\@example.org" = "$user, \@DIR\@/nowrite/half.mbox" }
listen on 127.0.0.1 port \@PORT\@
listen on 127.0.0.1 port \@PORT2\@ lmtp
action "vlocal" maildir "\@DIR\@/mail/%{rcpt.user}/Maildir" virtual <vusers> user $user
match from any for domain "example.org" action "vlocal"
EOF2
my $dir = $d->dir;
$d->shared_dirs("mail", "pipes");
# bad's Maildir exists, but its user may not create files in it.
for my $p ("mail/bad", "mail/bad/Maildir", map { "mail/bad/Maildir/$_" } qw(cur new tmp)) {
	mkdir "$dir/$p";
	chown $uid, $gid, "$dir/$p";
}
chmod 0500, "$dir/mail/bad/Maildir/new", "$dir/mail/bad/Maildir/tmp";
# nowrite/: nobody but root may create a file there.
mkdir "$dir/nowrite";
chown $uid, $gid, "$dir/nowrite";
chmod 0555, "$dir/nowrite";
$d->start;

my $good_new = "$dir/mail/good/Maildir/new";
my $c = SmtpClient->new($d->port(2));
like($c->cmd("LHLO client.example"), qr/^250 /m, "LHLO");

# --- valid, unknown and unwritable: 250, 550 5.1.1 at RCPT, 4xx, in order
$c->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<good\@example.org>\r\n" .
    "RCPT TO:<nosuchuser\@example.org>\r\nRCPT TO:<bad\@example.org>\r\nDATA\r\n");
my @r = $c->replies(5);
like($r[0], qr/^250 /, "MAIL");
like($r[1], qr/^250 /, "good: accepted at RCPT");
like($r[2], qr/^550 5\.1\.1 /, "unknown user: 550 5.1.1 at RCPT");
like($r[3], qr/^250 /, "bad: accepted at RCPT");
like($r[4], qr/^354 /, "DATA");
$c->send("Subject: lmtp front\r\n\r\nhello\r\n.\r\n");
my $first = $c->reply;
my @in_new = SmtpdTest::maildir_files($good_new);	# right after the reply, no wait
like($first, qr/^250 2\.0\.0 <good\@example\.org> [0-9a-f]{8} Delivered\r\n\z/,
    "first reply: good, delivered");
is(scalar @in_new, 1, "the message is in good's Maildir/new when the reply arrives");
my ($msgid) = $first =~ /> ([0-9a-f]{8}) /;
my $second = $c->reply;
like($second, qr/^4\d\d 4\.\d{1,3}\.\d{1,3} <bad\@example\.org> \S/,
    "second reply: bad, a temporary failure with its enhanced code");
unlike($second, qr/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\xff]/, "the failure text is one clean line");
is(scalar(() = SmtpdTest::maildir_files("$dir/mail/bad/Maildir/new")), 0, "nothing in bad's Maildir");
is(scalar(() = SmtpdTest::maildir_files("$dir/mail/bad/Maildir/tmp")), 0, "nothing left in bad's tmp/");
like($c->cmd("NOOP"), qr/^250 /, "the session goes on after the replies");
ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }), "the queue holds nothing more of that message")
    or diag(explain($d->queued));
ok($d->wait_log(qr/event=lmtp-returned .*rcpt=<bad\@example\.org> .*result=TempFail/),
    "the failure told to the client is logged as returned");
like($d->log, qr/\b$msgid smtp event=accepted .*result=Ok queue=direct\b/,
    "each recipient one mailbox: delivered from incoming/ without a commit");
unlike($d->log, qr/\b$msgid queue event=commit\b/, "no commit for it");
is_deeply([$d->spool_settled("incoming")], [], "and incoming/ is empty after it");
is_deeply([$d->spool_settled("purge")], [], "as is purge/");
unlike($d->log, qr/event=report /, "no failure report for it");
is(scalar(() = $d->log =~ /event=delivery rcpt=<bad\@example\.org>/g), 1,
    "and no second delivery attempt");

# --- a program is only queued: accepted, delivered afterwards
$c->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<piper\@example.org>\r\n" .
    "RCPT TO:<other\@example.org>\r\nDATA\r\n");
@r = $c->replies(4);
like($r[3], qr/^354 /, "DATA for a pipe and a mailbox");
$c->send("Subject: to a program\r\n\r\npiped body\r\n.\r\n");
@r = $c->replies(2);
like($r[0], qr/^250 2\.0\.0 <piper\@example\.org> [0-9a-f]{8} Message accepted for delivery\r\n\z/,
    "the pipe's recipient: accepted for delivery");
like($r[1], qr/^250 2\.0\.0 <other\@example\.org> [0-9a-f]{8} Delivered\r\n\z/,
    "the mailbox recipient: delivered");
ok(SmtpdTest::wait_for(sub { my @o = SmtpdTest::maildir_files("$dir/pipes"); @o && SmtpdTest::slurp($o[0]) =~ /piped body/ }),
    "the program ran afterwards");
ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }), "and the queue is empty again");

# --- two transactions back to back: the second waits for the first's replies
$c->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<good\@example.org>\r\n" .
    "RCPT TO:<other\@example.org>\r\nDATA\r\n");
@r = $c->replies(4);
like($r[3], qr/^354 /, "DATA (first of two)");
$c->send("Subject: one\r\n\r\none\r\n.\r\nMAIL FROM:<sender\@example.net>\r\n" .
    "RCPT TO:<other\@example.org>\r\nRCPT TO:<bad\@example.org>\r\nDATA\r\n");
@r = $c->replies(6);
like($r[0], qr/^250 2\.0\.0 <good\@example\.org> ([0-9a-f]{8}) Delivered\r\n/, "1st message, 1st recipient");
like($r[1], qr/^250 2\.0\.0 <other\@example\.org> [0-9a-f]{8} Delivered\r\n/, "1st message, 2nd recipient");
like($r[2], qr/^250 /, "then MAIL of the 2nd");
like($r[3], qr/^250 /, "RCPT");
like($r[4], qr/^250 /, "RCPT");
like($r[5], qr/^354 /, "DATA");
$c->send("Subject: two\r\n\r\ntwo\r\n.\r\nNOOP\r\n");
@r = $c->replies(3);
like($r[0], qr/^250 2\.0\.0 <other\@example\.org> [0-9a-f]{8} Delivered\r\n/, "2nd message, 1st recipient");
like($r[1], qr/^4\d\d 4\.\d+\.\d+ <bad\@example\.org> /, "2nd message, 2nd recipient");
like($r[2], qr/^250 /, "NOOP after them");
is(scalar(() = SmtpdTest::maildir_files($good_new)), 2, "good has two messages");
is(scalar(() = SmtpdTest::maildir_files("$dir/mail/other/Maildir/new")), 3, "other has three");

# --- one recipient, a mailbox delivered and a file that fails: we keep
# the failed envelope (retry, report), the client hears "accepted"
$c->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<half\@example.org>\r\nDATA\r\n");
@r = $c->replies(3);
$c->send("Subject: half\r\n\r\nhalf\r\n.\r\n");
my $half = $c->reply;
like($half, qr/^250 2\.0\.0 <half\@example\.org> ([0-9a-f]{8}) Message accepted for delivery\r\n\z/,
    "mailbox delivered, file failed: accepted for delivery");
my ($half_id) = $half =~ /> ([0-9a-f]{8}) /;
is(scalar(() = SmtpdTest::maildir_files("$dir/mail/half/Maildir/new")), 1, "the mailbox part is delivered");
ok(SmtpdTest::wait_for(sub { my $q = $d->queued->{$half_id // ''}; $q && @{ $q->{envelopes} } == 1 }),
    "the failed part stays in our queue");
unlike($d->log, qr/event=lmtp-returned .*rcpt=<half\@/, "and is not returned to the client");

# --- local delivery paused: the same kind of transaction is committed
# and only queued, then delivered on resume
my $ctlconf = { env => { SMTPD_CONF => $d->conf_path } };
my ($crc) = CtlTest::ctl($ctlconf, "pause", "mda");
is($crc, 0, "smtpctl pause mda");
$c->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<good\@example.org>\r\nDATA\r\n");
@r = $c->replies(3);
$c->send("Subject: paused\r\n\r\npaused\r\n.\r\n");
my $paused = $c->reply;
like($paused, qr/^250 2\.0\.0 <good\@example\.org> ([0-9a-f]{8}) Message accepted for delivery\r\n\z/,
    "mda paused: accepted for delivery, not delivered first");
my ($paused_id) = $paused =~ /> ([0-9a-f]{8}) /;
ok($d->queued->{$paused_id // ''}, "the message is in the queue");
like($d->log, qr/\b$paused_id queue event=commit envelopes=1 .*result=Ok/, "committed as usual");
($crc) = CtlTest::ctl($ctlconf, "resume", "mda");
is($crc, 0, "smtpctl resume mda");
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($good_new)) == 3 }),
    "delivered after the resume");
ok(SmtpdTest::wait_for(sub { !$d->queued->{$paused_id // ''} }), "and gone from the queue");

# --- a success report asked for (DSN NOTIFY=SUCCESS): committed, so that
# the report has an envelope to come from; the reply is still the outcome
$c->send("MAIL FROM:<good\@example.org>\r\nRCPT TO:<good\@example.org> NOTIFY=SUCCESS\r\nDATA\r\n");
@r = $c->replies(3);
like($r[1], qr/^250 /, "RCPT with NOTIFY=SUCCESS");
$c->send("Subject: notify\r\n\r\nnotify\r\n.\r\n");
my $notify = $c->reply;
like($notify, qr/^250 2\.0\.0 <good\@example\.org> ([0-9a-f]{8}) Delivered\r\n\z/, "NOTIFY=SUCCESS: delivered");
my ($notify_id) = $notify =~ /> ([0-9a-f]{8}) /;
like($d->log, qr/\b$notify_id queue event=commit envelopes=1 .*result=Ok/, "committed first");
ok($d->wait_log(qr/\b${notify_id}[0-9a-f]{8} queue event=report type=delivered to=<good\@example\.org>/),
    "and the success report is made");
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($good_new)) == 5 }),
    "the message and its report are in good's Maildir");
ok(SmtpdTest::wait_for(sub { !grep { $_ ne ($half_id // '') } keys %{ $d->queued } }),
    "nothing of it stays queued");

# --- the client leaves while its delivery runs: delivered anyway, the
# replies are dropped. A dot-lock makes deliver wait (it retries each second).
$d->write_file("$dir/pipes/slow.mbox.lock", "1\n");
$c->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<slow\@example.org>\r\nDATA\r\n");
@r = $c->replies(3);
my $accepted = () = $d->log =~ /smtp event=accepted /g;
$c->send("Subject: gone\r\n\r\ngone\r\n.\r\n");
ok(SmtpdTest::wait_for(sub { (() = $d->log =~ /smtp event=accepted /g) > $accepted }),
    "committed (the session now waits for the delivery)");
$c->close;
ok($d->wait_log(qr/smtp event=closed reason=disconnected/), "the client is gone");
unlink "$dir/pipes/slow.mbox.lock";
ok($d->wait_log(qr/smtp event=lmtp-result .*note=client-gone-before-reply/),
    "the late replies are dropped");
ok(SmtpdTest::wait_for(sub { SmtpdTest::slurp("$dir/pipes/slow.mbox") =~ /\ngone\n/ }), "the message was delivered");
ok(SmtpdTest::wait_for(sub { !grep { $_ ne ($half_id // '') } keys %{ $d->queued } }),
    "and left the queue");

# --- SMTP is unchanged: accepted at once
my $s = SmtpClient->new($d->port);
$s->cmd("EHLO client.example");
like($s->mail('sender@example.net', 'bad@example.org', "Subject: smtp\r\n\r\nx\r\n"),
    qr/^250 2\.0\.0 [0-9a-f]{8} Message accepted for delivery/, "SMTP: accepted, not delivered first");
ok(SmtpdTest::wait_for(sub { (() = $d->log =~ /event=delivery rcpt=<bad\@example\.org> .*result=TempFail/g) == 3 }),
    "over SMTP the delivery fails too");
my ($q) = values %{ $d->queued };
ok($q && @{ $q->{envelopes} } == 1, "and the envelope stays queued for a retry");
$s->cmd("QUIT");

$d->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

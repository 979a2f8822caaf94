# 77-lmtp-mailbox-full.t: a full mailbox over LMTP (protocol.md A.8,
# lmtpd/lmtp_policy.c): deliver runs into its file size limit (EFBIG, as
# with a quota, EDQUOT), which is a permanent "mailbox full" 5.2.2, and the
# LMTP front replies 552 5.2.2 for that recipient while a small message to
# the same mailbox is delivered (250). Nothing is left in tmp/, and the
# failure told to the client leaves our queue.
#
# The daemon runs the deliver beside itself: the test runs a copy of
# smtpd with a shell script as its deliver that sets RLIMIT_FSIZE (ulimit
# -f) and runs the build's deliver; smtpd and the smtp role are not
# limited.
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

# smtpd copied beside the wrapper (SmtpdTest::smtpd_copy).
my $bin = SmtpdTest::smtpd_copy("fsize");
# 8 blocks of 512 bytes (dash's unit; bash's is 1024): 4 KB or 8 KB.
open(my $fh, '>', "$bin/deliver") or die "$bin/deliver: $!";
print $fh "#!/bin/sh\nulimit -f 8 || exit 75\nexec '$BUILD/deliver' \"\$\@\"\n";
close $fh;
chmod 0755, "$bin/deliver";

my $d = SmtpdTest->new(bin => $bin, conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@ lmtp
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
match from any for domain "example.org" action "local"
EOF2
$d->shared_dirs("mail");
$d->start;
my $md = $d->dir . "/mail/$user/Maildir";

my $c = SmtpClient->new($d->port);
like($c->cmd("LHLO client.example"), qr/^250 /m, "LHLO");

sub lmtp_one {
	my ($subject, $body) = @_;
	$c->send("MAIL FROM:<sender\@example.net>\r\nRCPT TO:<$user\@example.org>\r\nDATA\r\n");
	my @r = $c->replies(3);
	$c->send("Subject: $subject\r\n\r\n$body.\r\n");
	return $c->reply;
}

my $small = lmtp_one("small", "a short message\r\n");
like($small, qr/^250 2\.0\.0 <\Q$user\E\@example\.org> [0-9a-f]{8} Delivered\r\n\z/,
    "a small message is delivered");
is(scalar(() = SmtpdTest::maildir_files("$md/new")), 1, "and is in Maildir/new");

my $line = "x" x 76 . "\r\n";
my $big = lmtp_one("big", $line x 400);		# about 31 KB
like($big, qr/^552 5\.2\.2 <\Q$user\E\@example\.org> \S/,
    "over the file size limit: 552 5.2.2, mailbox full")
    or diag($d->log);
is(scalar(() = SmtpdTest::maildir_files("$md/new")), 1, "nothing more in Maildir/new")
    or diag(join("\n", SmtpdTest::maildir_files("$md/new")));
is(scalar(() = SmtpdTest::maildir_files("$md/tmp")), 0, "nothing left in tmp/");
ok($d->wait_log(qr/event=lmtp-returned .*result=PermFail reply=552 text="[^"]*mailbox full/),
    "the failure told to the client is returned, not kept");
ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }), "the queue holds nothing");
unlike($d->log, qr/event=report /, "and makes no failure report");

like($c->cmd("NOOP"), qr/^250 /, "the session goes on");
$c->cmd("QUIT");
$d->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

# 61-userbase.t: users of an action's `userbase <table>` (tables.md 6.3)
# and the forward-only / expand-only actions (config.md 5.1) against the
# real daemon.
#   - RCPT: a userbase user is known, a user missing from the userbase is
#     550 5.1.1, a userbase table that cannot answer is 451 4.3.0;
#   - delivery: the parent asks the lookup role for UID:GID:HOME and runs
#     deliver with them: the Maildir file belongs to UID, `~/Maildir` and
#     %{user.username} come from the entry; a user that is not in the
#     userbase at delivery time fails permanently (5.1.1), a userbase
#     table that cannot answer then fails temporarily (4.3.0) and the
#     message is delivered on a retry once the table is back;
#   - HOME/.forward of a userbase user is honoured (opened as UID);
#   - forward-only accepts an alias to a remote address only, expand-only
#     an alias to a delivery method only (550 otherwise).
# As root the virtual user's UID/GID have no passwd or group entry (so
# nothing can come from getpwnam); otherwise they are the runner's own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use SmtpdTest;
use SmtpClient;
use CtlTest;

my $root = SmtpdTest::is_root();
my ($uid, $gid);
if ($root) {
	# ids nobody has: deliver cannot have found them in passwd
	for my $n (61000 .. 61999) {
		next if defined getpwuid($n) || defined getgrgid($n);
		($uid, $gid) = ($n, $n);
		last;
	}
	plan skip_all => "no free uid" unless defined $uid;
} else {
	($uid, $gid) = ($<, (split ' ', $()[0]);
}

my $d = SmtpdTest->new(conf => <<'CONF');
table ub file:@DIR@/userbase
table ubdb db:@DIR@/ubdb.db
table vt file:@DIR@/virtual
table fwdaliases file:@DIR@/fwdaliases
table expaliases file:@DIR@/expaliases
listen on 127.0.0.1 port @PORT@
action "vd" maildir "@DIR@/vmail/%{user.username}/Maildir" userbase <ub> virtual <vt>
action "home" maildir userbase <ub>
action "dbh" maildir userbase <ubdb>
action "fwd" forward-only alias <fwdaliases>
action "exp" expand-only alias <expaliases>
action "out" relay
match from any for domain "example.com" action "vd"
match from any for domain "home.example" action "home"
match from any for domain "db.example" action "dbh"
match from any for domain "fwd.example" action "fwd"
match from any for domain "exp.example" action "exp"
match from any for domain "relay.test" action "out"
CONF
my $dir = $d->dir;
$d->write_file("userbase", <<"EOF");
vjoe	$uid:$gid:$dir/vhome/vjoe
vann	$uid:$gid:$dir/vhome/vann
EOF
$d->write_file("virtual", <<"EOF");
vjoe\@example.com	vjoe
info\@example.com	vjoe
ghost\@example.com	nosuchvuser
abuse\@example.com	postmaster
EOF
$d->write_file("fwdaliases", <<"EOF");
remote: someone\@relay.test
twice: someone\@relay.test, other\@relay.test
local: daemon
mixed: someone\@relay.test, daemon
prog: "|/bin/cat"
EOF
$d->write_file("expaliases", <<"EOF");
prog: "|/bin/cat"
arch: $dir/archive.mbox
remote: someone\@relay.test
local: daemon
EOF
my ($rc, $out) = SmtpdTest::run(SmtpdTest::build() . "/makemap", "-o", "$dir/ubdb.db",
    "$dir/userbase");
is($rc, 0, "makemap builds the db: userbase") or diag($out);
chmod 0644, "$dir/ubdb.db";

$d->shared_dirs("vmail");
mkdir "$dir/vhome";
for my $u (qw(vjoe vann)) {
	mkdir "$dir/vhome/$u", 0755;
	chown $uid, $gid, "$dir/vhome/$u";
}
# vann forwards to vjoe's mailbox in HOME
open(my $fh, '>', "$dir/vhome/vann/.forward") or die "$dir/vhome/vann/.forward: $!";
print $fh "vjoe\@home.example\n";
close $fh;
chmod 0644, "$dir/vhome/vann/.forward";
chown $uid, $gid, "$dir/vhome/vann/.forward";

$d->start;

sub rcpt {
	my ($to) = @_;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	$c->cmd("MAIL FROM:<sender\@remote.example>");
	my $r = $c->cmd("RCPT TO:<$to>");
	$c->cmd("QUIT");
	return $r;
}

sub send_mail {
	my ($to, $subject) = @_;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	my $r = $c->mail('sender@remote.example', $to,
	    "Subject: $subject\r\n\r\nbody\r\n");
	$c->cmd("QUIT");
	return $r;
}

# RCPT
like(rcpt("vjoe\@example.com"), qr/^250 /, "a userbase user through virtual: 250");
like(rcpt("nosuch\@example.com"), qr/^550 5\.1\.1 /, "no virtual key: 550 5.1.1");
like(rcpt("ghost\@example.com"), qr/^550 5\.1\.1 /,
    "virtual to a user missing from the userbase: 550 5.1.1");
like(rcpt("vann\@home.example"), qr/^250 /, "a userbase user without virtual: 250");
like(rcpt("nosuch\@home.example"), qr/^550 5\.1\.1 /,
    "a user missing from the userbase: 550 5.1.1");
like(rcpt("daemon\@home.example"), qr/^550 5\.1\.1 /,
    "a system user is no user of a userbase action: 550 5.1.1");
like(rcpt("vjoe\@db.example"), qr/^250 /, "a db: userbase: 250");

# Delivery into the maildir path of the action, as UID.
my $r = send_mail("info\@example.com", "to vjoe");
like($r, qr/^250 2\.0\.0 /, "mail for a userbase user accepted");
my $new = "$dir/vmail/vjoe/Maildir/new";
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($new)) == 1 }), "delivered into %{user.username}'s Maildir")
    or diag($d->log);
my ($file) = SmtpdTest::maildir_files($new);
is((stat($file // '/'))[4], $uid, "the file belongs to the userbase UID");
is((stat($file // '/'))[5], $gid, "and to its GID") if $root;
like(SmtpdTest::slurp($file // ''), qr/^Delivered-To: vjoe\@example\.com$/m, "Delivered-To: the userbase user");
ok($d->wait_log(qr/queue event=delivery rcpt=<info\@example\.com> .*result=Ok/), "delivery logged Ok");

# ~/Maildir is HOME/Maildir of the entry; vann's HOME/.forward sends to vjoe.
$r = send_mail("vann\@home.example", "via forward");
like($r, qr/^250 2\.0\.0 /, "mail for a userbase user with a .forward accepted");
my $home = "$dir/vhome/vjoe/Maildir/new";
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($home)) == 1 }),
    "the .forward of the userbase user was honoured: delivered into vjoe's HOME/Maildir")
    or diag($d->log);
is(scalar(() = SmtpdTest::maildir_files("$dir/vhome/vann/Maildir/new")), 0, "nothing in vann's own Maildir");
($file) = SmtpdTest::maildir_files($home);
is((stat($file // '/'))[4], $uid, "HOME/Maildir file belongs to the userbase UID");
like(SmtpdTest::slurp($file // ''), qr/^X-Original-To: vann\@home\.example$/m, "original recipient kept");

# A virtual key to postmaster, who is not in the userbase: accepted as
# the mailbox of root (tables.md 4), who is no user of the userbase
# either: permanent 5.1.1 when the parent asks at delivery time.
$r = send_mail("abuse\@example.com", "to postmaster");
like($r, qr/^250 2\.0\.0 /, "virtual alias to postmaster accepted");
ok($d->wait_log(qr/queue event=delivery rcpt=<abuse\@example\.com> .*result=PermFail text="5\.1\.1 /),
    "a user missing from the userbase at delivery: permanent 5.1.1") or diag($d->log);

# A db: userbase whose file vanished cannot answer: 451 4.3.0, never 550.
rename "$dir/ubdb.db", "$dir/ubdb.db.away";
sleep 1.2;	# db: tables look at their file at most once a second
like(rcpt("vjoe\@db.example"), qr/^451 4\.3\.0 /, "userbase table error: 451 4.3.0");
rename "$dir/ubdb.db.away", "$dir/ubdb.db";

# The same table error at delivery time, when the parent asks the lookup
# role for the entry: a temporary failure (4.3.0), the message stays
# queued, and it is delivered once the table is back.
{
	my $conf = { env => { SMTPD_CONF => $d->conf_path } };
	my $box = "$dir/vhome/vjoe/Maildir/new";
	my $before = () = SmtpdTest::maildir_files($box);
	sleep 1.2;	# the table above is back: let the db: table see it
	my ($crc) = CtlTest::ctl($conf, "pause", "mda");
	is($crc, 0, "smtpctl pause mda");
	my $sent = send_mail("vjoe\@db.example", "db userbase at delivery");
	like($sent, qr/^250 2\.0\.0 /, "mail for a db: userbase user accepted");
	rename "$dir/ubdb.db", "$dir/ubdb.db.away";
	sleep 1.2;	# db: tables look at their file at most once a second
	($crc) = CtlTest::ctl($conf, "resume", "mda");
	is($crc, 0, "smtpctl resume mda");
	ok($d->wait_log(qr/queue event=delivery rcpt=<vjoe\@db\.example> .*result=TempFail text="4\.3\.0 /),
	    "userbase table error at delivery: temporary failure 4.3.0") or diag($d->log);
	is(scalar(() = SmtpdTest::maildir_files($box)), $before, "nothing delivered meanwhile");
	rename "$dir/ubdb.db.away", "$dir/ubdb.db";
	sleep 1.2;
	($crc) = CtlTest::ctl($conf, "schedule", "all");
	is($crc, 0, "smtpctl schedule all");
	ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($box)) == $before + 1 }),
	    "the table back, the retry delivers the message") or diag($d->log);
	ok($d->wait_log(qr/queue event=delivery rcpt=<vjoe\@db\.example> .*result=Ok/),
	    "and logs it Ok");
}

# forward-only: remote addresses only.
like(rcpt("remote\@fwd.example"), qr/^250 /, "forward-only: alias to a remote address accepted");
like(rcpt("twice\@fwd.example"), qr/^250 /, "forward-only: alias to two remote addresses accepted");
like(rcpt("local\@fwd.example"), qr/^550 5\.7\.1 /, "forward-only: alias to a local user refused");
like(rcpt("mixed\@fwd.example"), qr/^550 5\.7\.1 /, "forward-only: a remote and a local user refused");
like(rcpt("prog\@fwd.example"), qr/^550 5\.7\.1 /, "forward-only: a pipe refused");
like(rcpt("daemon\@fwd.example"), qr/^550 5\.7\.1 /, "forward-only: a user without .forward refused");

# expand-only: a delivery method (pipe, file, remote address).
like(rcpt("prog\@exp.example"), qr/^250 /, "expand-only: alias to a pipe accepted");
like(rcpt("arch\@exp.example"), qr/^250 /, "expand-only: alias to a file accepted");
like(rcpt("remote\@exp.example"), qr/^250 /, "expand-only: alias to a remote address accepted");
like(rcpt("local\@exp.example"), qr/^550 5\.1\.1 /, "expand-only: alias to a plain local user refused");
like(rcpt("daemon\@exp.example"), qr/^550 5\.1\.1 /, "expand-only: a user without .forward refused");

$d->stop;
unlike($d->log, qr/event=died|bad-request|malformed/, "no role died, no malformed message")
    or diag(join("\n", grep { /died|bad-request|malformed/ } split /\n/, $d->log));
is_deeply([$d->stray], [], "no process left behind");
done_testing;

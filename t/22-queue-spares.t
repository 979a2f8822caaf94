# 22-queue-spares.t: a delivered message's directory is kept in free/
# (queue/recycle.c, design.md "The queue role"), its message emptied,
# and the next message is written into the same directory and files (same
# inodes, the envelope written over the old one);
# what is in free/ never reaches a Maildir, and free/ is emptied when the
# daemon starts again.
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

my $d = SmtpdTest->new(conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
match from any for domain "example.org" action "local"
EOF2
$d->shared_dirs("mail");
$d->start;
my $spool = $d->spool;
my $new = $d->dir . "/mail/$user/Maildir/new";
my $ctl = { env => { SMTPD_CONF => $d->conf_path } };

# The spare directories in free/: { name => { file => [inode, size] } }.
sub spares {
	my %s;
	for my $n ($d->spool_entries("free")) {
		opendir(my $dh, "$spool/free/$n") or next;
		for my $f (grep { !/^\./ } readdir $dh) {
			my @st = stat("$spool/free/$n/$f") or next;
			$s{$n}{$f} = [$st[1], $st[7]];
		}
		closedir $dh;
	}
	return \%s;
}

my $c = SmtpClient->new($d->port);
$c->cmd("EHLO client.example");
# a long sender: the first envelope is the longer one
my $r = $c->mail('a.long.sender.address.of.the.first.message@example.net',
    "$user\@example.org", "Subject: first\r\n\r\n" . ("first body line\r\n" x 200));
my ($first) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
ok($first, "the first message is accepted");
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($new)) == 1 }), "and delivered");
ok(SmtpdTest::wait_for(sub { keys %{ spares() } == 1 }), "its directory waits in free/")
    or diag(explain(spares()));
my ($name, $files) = %{ spares() };
is_deeply([sort keys %{ $files // {} }], [qw(message spare)],
    "holding the message file and the envelope file, renamed spare");
is($files->{message}[1], 0, "the message emptied");
cmp_ok($files->{spare}[1], '>', 0, "the envelope kept, to be written over");
is_deeply([$d->spool_entries("purge")], [], "nothing went to purge/");

# mda paused: the next message stays queued, in the spare's files
my ($crc) = CtlTest::ctl($ctl, "pause", "mda");
is($crc, 0, "smtpctl pause mda");
$r = $c->mail('b@example.net', "$user\@example.org", "Subject: second\r\n\r\nshort\r\n");
my ($second) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
ok($second, "the second message is accepted");
my $q = $d->queued->{$second // ''};
ok($q && @{ $q->{envelopes} } == 1, "and queued");
is(scalar keys %{ spares() }, 0, "free/ gave its directory");
is((stat($q->{dir}))[1], (stat("$spool/queue/" . substr($second, 6, 2) . "/$second"))[1], "sanity: the queued directory");
is((stat("$q->{dir}/message"))[1], $files->{message}[0], "the message file is the spare's inode");
is((stat($q->{envelopes}[0]))[1], $files->{spare}[0], "the envelope file is the spare's inode");
like($q->{message}, qr/\nSubject: second\r\n\r\nshort\r\n\z/, "holding the new message only");
my $env = SmtpdTest::slurp($q->{envelopes}[0]) // '';
like($env, qr/b\@example\.net/, "the envelope is the new message's");
unlike($env, qr/first\.message/, "cut to its own length, nothing of the old one after it");
cmp_ok(length($env), '<', $files->{spare}[1], "shorter than the spare was");
unlike($q->{message}, qr/first body line/, "with nothing left of the first");

($crc) = CtlTest::ctl($ctl, "resume", "mda");
is($crc, 0, "smtpctl resume mda");
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($new)) == 2 }), "the second is delivered");
my @got = map { SmtpdTest::slurp($_) } SmtpdTest::maildir_files($new);
is(scalar(grep { /Subject: second\n\nshort\n\z/ } @got), 1, "the second message arrives whole");
is(scalar(grep { /first body line/ } @got), 1, "and the first only once, in its own file");
ok(SmtpdTest::wait_for(sub { keys %{ spares() } == 1 }), "the directory is back in free/");
$c->cmd("QUIT");

# a restart empties free/
$d->stop;
is_deeply([$d->stray], [], "no process left behind");
ok(keys %{ spares() } == 1, "the spare is still there while the daemon is down");
my $d2 = SmtpdTest->new(dir => $d->dir, no_conf => 1);
$d2->{ports} = $d->{ports};
$d2->{port} = $d->port;
rename($d->log_path, $d->log_path . ".1");
$d2->start;
ok($d2->wait_log(qr/queue event=walk .*purged=1 .*result=Ok/), "restarted: the walk empties it")
    or diag($d2->log);
is_deeply([$d2->spool_entries("free")], [], "free/ is empty");
$d2->stop;
is_deeply([$d2->stray], [], "no process left behind");
done_testing();

# 71-exactly-once.t: design.md step 7. An envelope committed before the
# daemon started may have been delivered just before a crash, without its
# removal reaching the disk. Its id is in the Maildir file name, so on
# redelivery deliver finds it and the envelope is removed without a second
# copy; an envelope that never arrived is delivered normally.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use SmtpdTest;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;
my (undef, undef, $uid, $gid) = getpwnam($user);

my $d = SmtpdTest->new(conf => <<'EOF2');
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
match from any for domain "example.org" action "local"
EOF2
my $dir = $d->dir;
my $spool = $d->spool;

# Queued in the very second the daemon starts: a check by whole seconds
# (ctime < start) would miss it and deliver A a second time.
my $ctime = time;

# An envelope as queue/envelope.c encodes it (type, big-endian length, value).
sub rec { my ($t, $v) = @_; return pack("CN", $t, length $v) . $v }
sub envelope {
	my ($evpid) = @_;
	return rec(0x01, pack("NN", 0x454e564c, 3)) .
	    rec(0x02, pack("Q>", $evpid)) . rec(0x03, pack("C", 1)) .
	    rec(0x04, "local") . rec(0x09, pack("C", 1)) . rec(0x0a, "local") .
	    rec(0x0d, "sender\@example.net") .
	    rec(0x0e, "$user\@example.org") . rec(0x0f, "$user\@example.org") .
	    rec(0x10, $user) .
	    rec(0x17, pack("Q>", $ctime)) . rec(0x18, pack("Q>", 345600)) .
	    rec(0x00, "");
}

my ($squid, $sqgid) = SmtpdTest::is_root() ? (getpwnam("_smtpq"))[2, 3] : ($<, $();
sub own { chown $squid, $sqgid, @_ if SmtpdTest::is_root() }
sub put {
	my ($path, $data) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $data;
	close $fh;
}

mkdir $spool, 0711;
mkdir "$spool/$_", 0700 for qw(queue incoming corrupt purge);
own("$spool/$_") for qw(queue incoming corrupt purge);
my %evpid = (A => 0x1a2b3c0100000001, B => 0x1a2b3c0200000001);
for my $k (sort keys %evpid) {
	my $id = sprintf("%08x", $evpid{$k} >> 32);
	my $hh = sprintf("%02x", ($evpid{$k} >> 32) & 0xff);
	mkdir "$spool/queue/$hh", 0700;
	mkdir "$spool/queue/$hh/$id", 0700;
	put("$spool/queue/$hh/$id/message", "Subject: message $k\r\n\r\nbody $k\r\n");
	put(sprintf("$spool/queue/$hh/$id/%016x", $evpid{$k}), envelope($evpid{$k}));
	own("$spool/queue/$hh", "$spool/queue/$hh/$id", glob("$spool/queue/$hh/$id/*"));
}

# A arrived before the crash: its file is in the Maildir already.
my $md = "$dir/mail/$user/Maildir";
mkdir "$dir/mail", 0755;
mkdir "$dir/mail/$user", 0700;
mkdir $md, 0700;
mkdir "$md/$_", 0700 for qw(new cur tmp);
my $planted = sprintf("%s/new/1700000000.M1P1Q1E%016x.host,S=10", $md, $evpid{A});
put($planted, "Subject: message A\n\nbody A\n");
# ... and the killed deliver left its tmp/ name, a link to the same file.
my $leftover = sprintf("%s/tmp/1700000000.M1P1Q1E%016x.host,S=10", $md, $evpid{A});
link($planted, $leftover) or die "link: $!";
if (SmtpdTest::is_root()) {
	chown $uid, $gid, "$dir/mail/$user", $md, map({ "$md/$_" } qw(new cur tmp)), $planted;
}

$d->start;
my $deadline = time + 15;
while (time < $deadline && %{ $d->queued }) {
	sleep 0.1;
}
is_deeply([keys %{ $d->queued }], [], "both envelopes have left the queue");
opendir(my $dh, "$md/new") or die;
my @files = sort grep { !/^\./ } readdir $dh;
closedir $dh;
is(scalar @files, 2, "two files in the Maildir: no second copy of A");
my $a = sprintf("E%016x.", $evpid{A});
my $b = sprintf("E%016x.", $evpid{B});
is(scalar(grep { index($_, $a) >= 0 } @files), 1, "A is there once");
is(scalar(grep { index($_, $b) >= 0 } @files), 1, "B was delivered, its id in the file name");
opendir($dh, "$md/tmp") or die;
is_deeply([grep { !/^\./ } readdir $dh], [], "the leftover in tmp/ was removed");
closedir $dh;
like($d->log, qr/\Q${\ sprintf("%016x", $evpid{A})}\E queue event=delivery .*result=Ok text="2\.0\.0 already delivered"/,
    "A: already delivered, logged");
$d->stop;
done_testing();

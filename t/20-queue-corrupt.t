# 20-queue-corrupt.t: the queue's start-up walk against a planted spool.
# A truncated, a garbage and a wrong-version envelope file and a message
# directory without its message file are moved to corrupt/ with a log
# line naming each; a good envelope beside them stays and is indexed;
# incoming/ and purge/ are emptied; the daemon keeps running with all
# five roles. Then a message committed over SMTP survives a restart.
# Envelopes are built by hand with pack() after lib/record.h and the
# record map of queue/envelope.c, so a change of the on-disk format
# shows up here.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Find;
use SmtpdTest;
use SmtpClient;

my @ROLES = qw(smtp lookup queue relay control);

# lib/record.h: type (1 byte), length (4 bytes, big-endian), value.
sub rec { my ($type, $value) = @_; return pack("CN", $type, length $value) . $value }
sub u8 { my ($t, $v) = @_; return rec($t, pack("C", $v)) }
sub u64 { my ($t, $v) = @_; return rec($t, pack("Q>", $v)) }

# queue/envelope.c: magic "ENVL", version 3; evpid 0x02, type 0x03,
# dispatcher 0x04, family 0x09, sockaddr 0x0a, sender 0x0d, rcpt 0x0e,
# dest 0x0f, ctime 0x17, ttl 0x18; END is type 0 with length 0.
sub envelope {
	my ($evpid, %o) = @_;
	return rec(0x01, pack("NN", 0x454e564c, $o{version} // 3)) .
	    u64(0x02, $evpid) . u8(0x03, 1) . rec(0x04, "local") .
	    u8(0x09, 1) . rec(0x0a, "local") .
	    rec(0x0d, "alice\@example.org") . rec(0x0e, "bob\@example.org") .
	    rec(0x0f, "bob\@example.org") . u64(0x17, time) .
	    u64(0x18, 4 * 86400) . rec(0x00, "");
}

# 16 hex digits as a number, without perl's "non-portable" warning.
sub evpid { my ($s) = @_; return hex(substr($s, 0, 8)) << 32 | hex(substr($s, 8, 8)) }

sub put {
	my ($path, $bytes) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	binmode $fh;
	print $fh $bytes;
	close $fh or die "$path: $!";
	chmod 0600, $path;
}

# As root the queue role runs as _smtpq: the spool is its, as if it had
# written every file itself.
sub give_to_queue_user {
	my ($root) = @_;
	return unless SmtpdTest::is_root();
	my (undef, undef, $uid, $gid) = getpwnam("_smtpq") or die "no _smtpq";
	find({ no_chdir => 1, wanted => sub { lchown($uid, $gid, $_) } }, $root);
}

sub lchown {
	my ($uid, $gid, $path) = @_;
	chown($uid, $gid, $path) unless -l $path;
}

my $d = SmtpdTest->new(conf => "listen on 127.0.0.1 port \@PORT\@\n");
my $spool = $d->spool;
mkdir $spool, 0711 or die "$spool: $!";
mkdir "$spool/$_", 0700 or die for qw(incoming queue corrupt purge);

my $good_id = "5eed0001";
my $nomsg_id = "5eed0102";
my %evp = (
	good	=> "${good_id}11111111",
	trunc	=> "${good_id}22222222",
	garbage	=> "${good_id}33333333",
	version	=> "${good_id}44444444",
);
my $gdir = "$spool/queue/01/$good_id";
mkdir "$spool/queue/01" or die;
mkdir $gdir or die;
put("$gdir/message", "Subject: planted\r\n\r\nbody\r\n");
put("$gdir/$evp{good}", envelope(evpid($evp{good})));
my $full = envelope(evpid($evp{trunc}));
put("$gdir/$evp{trunc}", substr($full, 0, int(length($full) / 2)));
put("$gdir/$evp{garbage}", "this is not an envelope\n" x 3);
put("$gdir/$evp{version}", envelope(evpid($evp{version}), version => 2));

my $ndir = "$spool/queue/02/$nomsg_id";
mkdir "$spool/queue/02" or die;
mkdir $ndir or die;
put("$ndir/${nomsg_id}00000001", envelope(evpid("${nomsg_id}00000001")));

put("$spool/queue/stray.txt", "left here by hand\n");
mkdir "$spool/incoming/0badf00d" or die;
put("$spool/incoming/0badf00d/message", "half a mess");
mkdir "$spool/purge/0badf00d.00000001" or die;
put("$spool/purge/0badf00d.00000001/message", "rolled back");
give_to_queue_user($spool);

$d->start;
ok($d->wait_log(qr/queue event=walk messages=/), "the start-up walk ends")
    or diag $d->log;
my $log = $d->log;

my $cdir = "$spool/corrupt/$good_id";
for my $kind (qw(trunc garbage version)) {
	ok(-f "$cdir/$evp{$kind}", "$kind envelope moved to corrupt/$good_id/");
	ok(!-e "$gdir/$evp{$kind}", "$kind envelope gone from queue/");
}
like($log, qr{^.*\b$good_id queue event=quarantine file=queue/01/$good_id/$evp{trunc} reason=truncated\b}m,
    "log names the truncated envelope");
like($log, qr{^.*\b$good_id queue event=quarantine file=queue/01/$good_id/$evp{garbage} reason=garbage\b}m,
    "log names the garbage envelope");
like($log, qr{^.*\b$good_id queue event=quarantine file=queue/01/$good_id/$evp{version} reason=wrong-version\b}m,
    "log names the wrong-version envelope");

ok(-d "$spool/corrupt/$nomsg_id", "message directory without message moved to corrupt/");
ok(-f "$spool/corrupt/$nomsg_id/${nomsg_id}00000001", "with its envelope");
ok(!-e $ndir, "and gone from queue/");
like($log, qr{^.*\b$nomsg_id queue event=quarantine file=queue/02/$nomsg_id reason=no-message\b}m,
    "log names the message directory without message");

ok(-f "$spool/corrupt/stray-stray.txt", "a stray file in queue/ goes to corrupt/");
like($log, qr{queue event=quarantine file=queue/stray\.txt reason=stray\b}, "log names the stray");

ok(-f "$gdir/message" && -f "$gdir/$evp{good}", "the good envelope and its message stay");
like($log, qr/queue event=walk messages=1 envelopes=1 quarantined=5 incoming=1 purged=1 errors=0 result=Ok/,
    "walk summary: one message, one envelope indexed, five quarantined");
is_deeply([$d->spool_entries("incoming")], [], "incoming/ emptied");
is_deeply([$d->spool_entries("purge")], [], "purge/ emptied");

ok($d->alive, "the daemon keeps running");
is_deeply([sort keys %{ $d->roles }], [sort @ROLES], "all five roles present");
$d->stop;
is($d->{status} >> 8, 0, "clean exit");

# A committed message: durable, logged, and found again by the next walk.
{
	my $d2 = SmtpdTest->new(conf => SmtpdTest::standard_conf());
	$d2->start;
	ok($d2->wait_log(qr/queue event=walk messages=0 envelopes=0/), "empty spool walked");
	my $c = SmtpClient->new($d2->port);
	$c->cmd("EHLO queue.example");
	my $r = $c->mail('a@example.net', 'root@example.org', "Subject: kept\r\n\r\nhello\r\n");
	like($r, qr/^250 2\.0\.0 ([0-9a-f]{8}) /, "message accepted");
	my ($msgid) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
	$msgid //= 'none';
	$c->cmd("QUIT");
	like($d2->log, qr/^.*\b$msgid queue event=commit envelopes=1 size=\d+ result=Ok\b/m,
	    "commit logged with its msgid, envelope count and size");
	my $q = $d2->queued;
	ok($q->{$msgid}, "queue/<hh>/$msgid/ exists");
	is(scalar @{ $q->{$msgid}{envelopes} // [] }, 1, "with one envelope");
	like($q->{$msgid}{message} // '', qr/Subject: kept\r\n\r\nhello\r\n/, "and the body");
	is_deeply([$d2->spool_entries("incoming")], [], "nothing left in incoming/");
	$d2->stop;

	my $d3 = SmtpdTest->new(dir => $d2->dir, no_conf => 1);
	$d3->start;
	ok($d3->wait_log(qr/queue event=walk messages=1 envelopes=1 quarantined=0 /),
	    "after a restart the walk indexes it again");
	ok($d3->queued->{$msgid}, "and it is still queued");
	$d3->stop;
}

done_testing();

# 84-smtpctl-discover.t: smtpctl discover, profile and unprofile against a
# running daemon (smtpctl(8), issue 6).
# discover: envelope files taken out of a message's directory while the
# daemon was stopped are unknown to it after the restart; put back, they
# join the schedule with `discover EVPID|MSGID` ("N envelope(s)
# discovered", s only when N > 1), show in show queue and are delivered;
# known ones, unknown ids and a missing message count 0; a corrupt
# envelope file is quarantined to corrupt/ as the start-up walk does, and
# a file that is not an envelope is left alone.
# profile imsg|queue: `profile imsg ...` lines from every role, `profile
# queue op=...` lines from the queue's worker jobs; unprofile stops them;
# a bad keyword is refused by smtpctl and by the daemon.
use strict;
use warnings;
use File::Copy qw(move);
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use CtlProto;
use CtlTest;
use SmtpdTest;
use SmtpClient;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;

# -P mta: relay envelopes stay queued as they were committed
my $d = SmtpdTest->new(args => [ '-P', 'mta' ], conf => <<'CONF');
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
action "out" relay
match from any for domain "example.org" action "local"
match from any for domain "relay.test" action "out"
CONF
my $dir = $d->dir;
$d->shared_dirs("mail");
mkdir "$dir/aside";
$d->start;

my $conf = { env => { SMTPD_CONF => $d->conf_path } };
sub ctl { return CtlTest::ctl($conf, @_) }

sub queue {
	my ($rc, $out) = ctl("show", "queue");
	return () unless $rc == 0;
	return CtlTest::queue_fields($out);
}

sub by_rcpt {
	my ($rcpt) = @_;
	my ($f) = grep { $_->[5] eq $rcpt } queue();
	return $f;
}

sub maildir_new {
	opendir(my $dh, "$dir/mail/$user/Maildir/new") or return ();
	my @f = grep { !/^\./ } readdir $dh;
	closedir $dh;
	return @f;
}

sub send_mail {
	my ($to, $subject) = @_;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	my $r = $c->mail('alice@example.net', $to,
	    "Subject: $subject\r\n\r\nbody of $subject\r\n");
	$c->cmd("QUIT");
	my ($msgid) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
	ok($msgid, "$subject: queued") or diag $r;
	return $msgid // "00000000";
}

# The envelope file of a message whose bytes name this recipient.
sub envelope_file {
	my ($msgid, $rcpt) = @_;
	my $m = $d->queued->{$msgid} or return undef;
	my ($f) = grep { index(SmtpdTest::slurp($_), $rcpt) >= 0 }
	    @{ $m->{envelopes} };
	return $f;
}

sub base { my ($p) = @_; $p =~ s{.*/}{}; return $p }

# ------------------------------------------------------------ set up
{
	my ($rc, $out) = ctl("pause", "mda");
	is("$rc|$out", "0|command succeeded\n", "pause mda: the local envelope waits");
}
my $a = send_mail([ 'x@relay.test', 'y@relay.test', 'z@relay.test' ], "three relayed");
my $b = send_mail([ 'w@relay.test', "$user\@example.org" ], "one relayed one local");
ok(SmtpdTest::wait_for(sub { queue() == 5 }), "five envelopes queued");
my %file = (
	y => envelope_file($a, 'y@relay.test'),
	z => envelope_file($a, 'z@relay.test'),
	l => envelope_file($b, "$user\@example.org"),
);
ok($file{y} && $file{z} && $file{l}, "their envelope files") or diag explain \%file;
my %evpid = map { $_ => base($file{$_} // "none") } keys %file;

$d->stop;
for my $k (sort keys %file) {
	ok(move($file{$k}, "$dir/aside/$evpid{$k}"), "$evpid{$k} taken out while stopped");
}
# -v: each role logs (at debug) when a profile change reaches it
my $d2 = SmtpdTest->new(dir => $dir, no_conf => 1, args => [ '-P', 'mta', '-v' ]);
$d2->start;
ok($d2->wait_log(qr/queue event=walk messages=2 envelopes=2 quarantined=0 /),
    "after the restart the daemon knows two envelopes");
is(scalar(() = queue()), 2, "show queue: two envelopes");
for my $k (sort keys %file) {
	ok(move("$dir/aside/$evpid{$k}", $file{$k}), "$evpid{$k} put back behind its back");
}
is(scalar(() = queue()), 2, "show queue: still two");

# ------------------------------------------------------------ discover
{
	my ($rc, $out, $err) = ctl("discover", $a);
	is("$rc|$out|$err", "0|2 envelopes discovered\n|", "discover MSGID: two, plural");
	my $y = by_rcpt('y@relay.test');
	ok($y && $y->[0] eq $evpid{y}, "show queue: y is back") or diag explain $y;
	ok(by_rcpt('z@relay.test'), "show queue: z is back");
	like($y->[11] // '', qr/^(?:pending|inflight)$/, "y: scheduled");
	is(scalar(() = queue()), 4, "show queue: four envelopes");
	like($d2->log, qr/^.*\b$evpid{y} queue event=discover$/m, "logged per envelope");
	like($d2->log, qr/\b$a queue event=discover envelopes=2 quarantined=0 uid=\d+/,
	    "and per command");

	($rc, $out) = ctl("discover", $evpid{y});
	is("$rc|$out", "0|0 envelope discovered\n", "discover EVPID already known: 0");
	($rc, $out) = ctl("di", $a);
	is("$rc|$out", "0|0 envelope discovered\n", "di MSGID again: 0");

	ok(!SmtpdTest::wait_for(sub { (() = maildir_new()) > 0 }, 1), "the local envelope is unknown: not delivered");
	($rc, $out) = ctl("disc", $evpid{l});
	is("$rc|$out", "0|1 envelope discovered\n", "discover EVPID: one, singular");
	ok(SmtpdTest::wait_for(sub { (() = maildir_new()) == 1 }), "the discovered local envelope is delivered");
	ok(SmtpdTest::wait_for(sub { !by_rcpt("$user\@example.org") }), "and leaves the queue");

	($rc, $out) = ctl("discover", "0badf00d");
	is("$rc|$out", "0|0 envelope discovered\n", "discover an unknown message: 0");
	($rc, $out) = ctl("discover", $a . "0badf00d");
	is("$rc|$out", "0|0 envelope discovered\n", "discover an unknown envelope: 0");
}

# ------------------------------------------------------------ corrupt, stray
{
	my $msgdir = $d2->queued->{$a}{dir};
	my $bad = $a . "0badcafe";
	$d2->write_file("bad", "this is not an envelope\n");
	ok(move("$dir/bad", "$msgdir/$bad"), "a corrupt envelope file put in");
	$d2->write_file("notes", "mine\n");
	ok(move("$dir/notes", "$msgdir/notes.txt"), "and a file that is no envelope");
	my ($rc, $out) = ctl("discover", $a);
	is("$rc|$out", "0|0 envelope discovered\n", "discover: the corrupt one does not count");
	ok(!-e "$msgdir/$bad", "it left the message directory");
	ok(-f $d2->spool . "/corrupt/$a/$bad", "to corrupt/MSGID/EVPID");
	like($d2->log, qr/\b$a queue event=quarantine file=\S*$bad reason=\S+/,
	    "the quarantine is logged");
	ok(-f "$msgdir/notes.txt", "the other file is left alone");
	ok(-f "$msgdir/message", "the message stays");
	is(scalar(() = queue()), 4, "show queue: the same four envelopes");
	unlink "$msgdir/notes.txt";
}

# ------------------------------------------------------------ profile
my $traffic = sub {
	send_mail([ 'p@relay.test' ], $_[0]);
	sleep 0.5;
};
# The parent answers before the roles have the new mask: wait until the
# roles this test reads have logged it, so no traffic races the change.
my $applied = sub {
	my ($mark, $mask, @roles) = @_;
	for my $role (@roles) {
		SmtpdTest::wait_for(sub { substr($d2->log, $mark) =~
		    /role=$role event=log verbose=\d+ trace=0x[0-9a-f]+ profile=$mask$/m })
		    or diag "role $role never logged profile=$mask";
	}
};
{
	my $mark = length $d2->log;
	my ($rc, $out, $err) = ctl("profile", "imsg");
	is("$rc|$out|$err", "0|command succeeded\n|", "profile imsg");
	$applied->($mark, "0x1", qw(smtp queue lookup));
	$mark = length $d2->log;
	$traffic->("profiled imsg");
	my $log = substr($d2->log, $mark);
	like($log, qr/^smtpd\[\d+\] queue: profile imsg type=QUEUE_COMMIT from=smtp len=\d+ usec=\d+$/m,
	    "the queue's handler of QUEUE_COMMIT");
	like($log, qr/^smtpd\[\d+\] smtp: profile imsg type=QUEUE_COMMIT_RES from=queue len=\d+ usec=\d+$/m,
	    "the smtp role's handler of the reply");
	like($log, qr/^smtpd\[\d+\] lookup: profile imsg type=LKA_RCPT from=smtp /m,
	    "the lookup role's");
	unlike($log, qr/profile queue/, "no queue profile");

	$mark = length $d2->log;
	($rc, $out) = ctl("unp", "imsg");
	is("$rc|$out", "0|command succeeded\n", "unp imsg = unprofile imsg");
	$applied->($mark, "0x0", qw(smtp queue lookup));
	sleep 0.5;
	$mark = length $d2->log;
	$traffic->("not profiled");
	unlike(substr($d2->log, $mark), qr/profile imsg/, "unprofile imsg: no more lines");

	$mark = length $d2->log;
	($rc, $out) = ctl("profile", "queue");
	is("$rc|$out", "0|command succeeded\n", "profile queue");
	$applied->($mark, "0x2", qw(queue));
	$mark = length $d2->log;
	$traffic->("profiled queue");
	$log = substr($d2->log, $mark);
	like($log, qr/^smtpd\[\d+\] queue: profile queue op=commit usec=\d+ wait=\d+$/m,
	    "profile queue: the commit");
	like($log, qr/ queue: profile queue op=create usec=\d+ wait=0$/m, "and the create");
	unlike($log, qr/profile imsg/, "no imsg profile");
	$mark = length $d2->log;
	($rc, $out) = ctl("unprofile", "queue");
	is("$rc|$out", "0|command succeeded\n", "unprofile queue");
	$applied->($mark, "0x0", qw(queue));
	$mark = length $d2->log;
	$traffic->("not profiled again");
	unlike(substr($d2->log, $mark), qr/profile (?:queue|imsg)/, "unprofile queue: no more lines");

	($rc, $out, $err) = ctl("profile", "bogus");
	is("$rc|$out|$err", "1||smtpctl: invalid profile keyword: bogus\n", "an invalid profile keyword");
	($rc, $out, $err) = ctl("unprofile", "all");
	is("$rc|$err", "1|smtpctl: invalid profile keyword: all\n", "all is not a profile keyword");
	my $s = CtlProto::connect($d2->control_socket) or die "connect: $!";
	my @r = CtlProto::request($s, cmd => 'profile', arg => 'bogus');
	close $s;
	is(($r[-1]{status_name} // '') . "|" . ($r[-1]{text} // ''),
	    "fail|invalid profile keyword", "the daemon refuses it too");
}

# ------------------------------------------------------------ the end
{
	my ($rc, $out) = ctl("remove", "all");
	like("$rc|$out", qr/^0\|\d+ envelopes? removed\n\z/, "remove all");
	ok(SmtpdTest::wait_for(sub { !%{ $d2->queued } }), "the spool is empty");
}
$d2->stop;
is_deeply([$d2->stray], [], "no process left behind");
{
	# unprivileged, only the owner of the (now gone) socket passed
	my $why = SmtpdTest::is_root() ? "smtpd doesn't seem to be running" :
	    "need root privileges";
	my ($rc, $out, $err) = ctl("discover", $a);
	is("$rc|$out|$err", "1||smtpctl: $why\n", "discover needs the daemon");
	($rc, $out, $err) = ctl("profile", "queue");
	is("$rc|$err", "1|smtpctl: $why\n", "profile too");
}
done_testing();

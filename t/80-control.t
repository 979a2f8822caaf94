# 80-control.t: the control socket against the real daemon, spoken by a
# small Perl client (t/lib/CtlProto.pm) rather than smtpctl: status and
# stats; show queue / envelope / message field by field; pause mda keeps
# mail queued and resume delivers it; pause/resume envelope, schedule and
# remove with their counts (by evpid, msgid and all); update table picks
# up a rebuilt aliases.db and an edited file table without a restart;
# log verbose/brief and trace switch the log output; pause smtp refuses
# new sessions only; the relay commands are answered by the relay role;
# a uid that is neither root nor the daemon's is denied (root only);
# malformed, truncated and random frames close only that client.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Socket qw(SHUT_WR);
use POSIX ();
use SmtpdTest;
use SmtpClient;
use CtlProto;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;
my $build = SmtpdTest::build();

my $d = SmtpdTest->new(conf => <<'EOF');
listen on 127.0.0.1 port @PORT@
listen on 127.0.0.1 port @PORT2@ lmtp
table aliases db:@DIR@/aliases.db
table flat file:@DIR@/flat
action "local" maildir "@DIR@/mail/%{user.username}/Maildir" alias <aliases>
action "flat" maildir "@DIR@/mail/%{user.username}/Maildir" alias <flat>
action "broken" maildir "@DIR@/readonly/%{user.username}/Maildir"
action "slow" mda "sleep 2; exit 75"
match from any for domain "slow.example" action "slow"
match from any for domain "example.org" action "local"
match from any for domain "flat.example" action "flat"
match from any for domain "broken.example" action "broken"
EOF
my $dir = $d->dir;
$d->shared_dirs("mail");
mkdir "$dir/readonly", 0555;
chmod 0555, "$dir/readonly";
$d->write_file("aliases", "ctlfirst: $user\n");
my ($rc, $out) = SmtpdTest::run("$build/makemap", "-t", "aliases", "$dir/aliases");
is($rc, 0, "makemap builds aliases.db") or diag $out;
$d->write_file("flat", "flatone: $user\n");
$d->start;

my $new = "$dir/mail/$user/Maildir/new";

sub ctl {
	my (%a) = @_;
	my $s = CtlProto::connect($d->control_socket) or die "connect: $!";
	my @r = CtlProto::request($s, %a);
	close $s;
	return @r;
}

sub status_of { my @r = ctl(@_); return @r ? $r[-1]{status_name} : 'none' }
sub count_of { my @r = ctl(@_); return @r ? $r[-1]{count} : -1 }
sub lines_of { return map { $_->{text} } grep { length($_->{text} // '') } ctl(@_) }

# show queue, decoded: ({env}, ...) with runstate and delay.
sub queue_list {
	my @r = ctl(cmd => 'show_queue', @_);
	return map { my $e = CtlProto::decode_envelope($_->{data});
	    $e->{runstate} = $CtlProto::RUNSTATE[$_->{runstate}];
	    $e->{delay} = $_->{delay}; $e } grep { defined $_->{data} } @r;
}

sub new_files { return () = SmtpdTest::maildir_files($new) }

sub submit {
	my ($to, $subject) = @_;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	my $r = $c->mail('sender@example.net', $to,
	    "Subject: $subject\r\n\r\nbody of $subject\r\n");
	$c->cmd("QUIT");
	return $r =~ /^250 2\.0\.0 ([0-9a-f]{8}) / ? $1 : undef;
}

sub rcpt_reply {
	my ($rcpt) = @_;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	$c->cmd("MAIL FROM:<sender\@example.net>");
	my $r = $c->cmd("RCPT TO:<$rcpt>");
	$c->cmd("QUIT");
	return $r;
}

# ------------------------------------------------------------ status, stats
is_deeply([lines_of(cmd => 'show_status')],
    ["MDA running", "MTA running", "SMTP running"], "show status: three lines");
{
	my @l = lines_of(cmd => 'show_stats');
	my @keys = map { /^([^=]+)=/ ? $1 : '?' } @l;
	is_deeply(\@keys, [sort @keys], "show stats: sorted by key");
	like(join("\n", @l), qr/^uptime=\d+\nuptime\.human=\d+s$/m,
	    "show stats: uptime and uptime.human");
	like(join("\n", @l), qr/^control\.session=1$/m,
	    "show stats: control.session counts this client");
}
for my $cmd (qw(pause_mta resume_mta)) {
	my @r = ctl(cmd => $cmd);
	is($r[-1]{status_name}, "ok", "$cmd: done by the queue");
}
for my $cmd (qw(show_hosts show_hoststats show_relays show_routes)) {
	my @r = ctl(cmd => $cmd);
	is(join(",", map { "$_->{status_name}:$_->{last}:"
	    . length($_->{data} // '') } @r), "ok:1:0",
	    "$cmd: answered by the relay role, nothing relayed yet");
}
{
	my @r = ctl(cmd => 'resume_route', arg => '1');
	is("$r[-1]{status_name} $r[-1]{text}", "fail no such route",
	    "resume route: an unknown route");
}
{
	my @r = ctl(cmd => 'show_status', version => 2);
	is("$r[0]{status_name} $r[0]{text}", "fail protocol version mismatch",
	    "another protocol version is told so");
}

# ------------------------------------------------------------ pause mda, show
is(status_of(cmd => 'pause_mda'), 'ok', "pause mda");
is_deeply([lines_of(cmd => 'show_status')],
    ["MDA paused", "MTA running", "SMTP running"], "show status: MDA paused");
my $m1 = submit(["$user\@example.org", "ctlfirst\@example.org"], "first");
ok($m1, "a message with two recipients accepted");
sleep 1.5;
is(new_files(), 0, "pause mda: nothing delivered");
my @q = queue_list();
is(scalar @q, 2, "show queue: one frame per envelope");
{
	my @r = ctl(cmd => 'show_queue');
	is($r[-1]{count}, 2, "show queue: the final frame counts them");
	ok($r[-1]{last} && !defined $r[-1]{data}, "show queue: ends with an empty frame");
}
for my $e (@q) {
	is(substr($e->{evpid_hex}, 0, 8), $m1, "envelope of the message");
	is($e->{type}, 1, "type mda");
	is($e->{family}, 2, "family inet4");
	is($e->{sender}, 'sender@example.net', "sender");
	is($e->{runstate}, 'pending', "runstate pending");
	ok($e->{runflags} & 2, "held while mda is paused (flag hold)");
	ok(abs($e->{ctime} - time) < 30, "creation time");
	is($e->{dest}, "$user\@example.org", "destination after expansion");
}
is_deeply([sort map { $_->{rcpt} } @q],
    [sort("$user\@example.org", "ctlfirst\@example.org")], "original recipients");
is(scalar(queue_list(idkind => 'msgid', id => hex $m1)), 2, "show queue MSGID");
is(scalar(queue_list(idkind => 'msgid', id => 0x12345678)), 0,
    "show queue of an unknown message: nothing");
{
	my @r = ctl(cmd => 'show_envelope', idkind => 'evpid', id => $q[0]{evpid});
	is(scalar @r, 1, "show envelope: one frame");
	ok($r[0]{last}, "...the last");
	is(CtlProto::decode_envelope($r[0]{data})->{rcpt}, $q[0]{rcpt},
	    "...with the envelope");
	is(status_of(cmd => 'show_envelope', idkind => 'evpid',
	    id => $q[0]{evpid} ^ 0xffff), 'notfound', "show envelope: unknown id");
	my ($msg) = values %{ $d->queued };
	my $data = join '', map { $_->{data} // '' }
	    ctl(cmd => 'show_message', idkind => 'msgid', id => hex $m1);
	is($data, $msg->{message}, "show message MSGID: the file as stored");
	$data = join '', map { $_->{data} // '' }
	    ctl(cmd => 'show_message', idkind => 'evpid', id => $q[1]{evpid});
	is($data, $msg->{message}, "show message EVPID: the same");
	is(status_of(cmd => 'show_message', idkind => 'msgid', id => 0x1234567),
	    'notfound', "show message: unknown id");
}
is(status_of(cmd => 'resume_mda'), 'ok', "resume mda");
ok(SmtpdTest::wait_for(sub { new_files() == 2 }), "resume mda: both delivered");
ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }), "...and the queue is empty");
is((lines_of(cmd => 'show_status'))[0], "MDA running", "show status: MDA running");

# ------------------------------------------------------------ envelopes
is(status_of(cmd => 'pause_mda'), 'ok', "pause mda again");
my $ma = submit(["$user\@example.org", "ctlfirst\@example.org"], "a");
my $mb = submit("$user\@example.org", "b");
my $mc = submit("$user\@example.org", "c");
ok($ma && $mb && $mc, "three messages queued");
my ($qa) = grep { $_ eq $ma } keys %{ $d->queued };
my $afiles = $d->queued->{$ma}{envelopes};
is(count_of(cmd => 'pause_envelope', idkind => 'msgid', id => hex $ma), 2,
    "pause envelope MSGID: 2");
is(count_of(cmd => 'pause_envelope', idkind => 'msgid', id => hex $ma), 0,
    "again: 0 (already paused)");
is(scalar(grep { $_->{runflags} & 4 } queue_list()), 2, "show queue: flag suspend");
is(scalar(grep { (CtlProto::decode_envelope(SmtpdTest::slurp($_)) // {})->{runflags} & 4 }
    @$afiles), 2, "the suspend flag is on disk");
my @qa = queue_list(idkind => 'msgid', id => hex $ma);
is(count_of(cmd => 'resume_envelope', idkind => 'evpid', id => $qa[0]{evpid}),
    1, "resume envelope EVPID: 1");
is(count_of(cmd => 'resume_envelope', idkind => 'all'), 1, "resume envelope all: 1");
is(scalar(grep { (CtlProto::decode_envelope(SmtpdTest::slurp($_)) // {})->{runflags} & 4 }
    @$afiles), 0, "the suspend flag is cleared on disk");
is(count_of(cmd => 'schedule', idkind => 'all'), 0,
    "schedule all: held envelopes are not made due");
is(count_of(cmd => 'remove', idkind => 'evpid', id => $qa[0]{evpid}), 1,
    "remove EVPID: 1");
ok(!-e $afiles->[0] || !-e $afiles->[1], "its file is gone");
is(count_of(cmd => 'remove', idkind => 'evpid', id => $qa[0]{evpid}), 0,
    "remove it again: 0");
is(count_of(cmd => 'remove', idkind => 'msgid', id => hex $ma), 1,
    "remove MSGID: its last envelope");
is(count_of(cmd => 'remove', idkind => 'msgid', id => hex $mb), 1,
    "remove MSGID of another message: 1");
is(count_of(cmd => 'remove', idkind => 'all'), 1, "remove all: the last one");
is(count_of(cmd => 'remove', idkind => 'all'), 0, "remove all on an empty queue: 0");
is(scalar(queue_list()), 0, "show queue: empty");
ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }), "the spool is empty");
is(status_of(cmd => 'resume_mda'), 'ok', "resume mda");
sleep 1;
is(new_files(), 2, "removed mail was not delivered");

# ------------------------------------------------------------ schedule
my $md = submit("$user\@broken.example", "deferred");
ok($md, "a message for a mailbox that cannot be written");
ok($d->wait_log(qr/rcpt=<\Q$user\E\@broken\.example> .*result=TempFail/),
    "its delivery fails temporarily");
my @qd;
ok(SmtpdTest::wait_for(sub { @qd = queue_list(); @qd == 1 && $qd[0]{retry} == 1 }),
    "show queue: one attempt made");
cmp_ok($qd[0]{delay}, '>', 100, "the next try is minutes away");
like($qd[0]{errorline}, qr/\S/, "the last error is shown");
ok($qd[0]{lasttry} > 0, "last try set");
chmod 01777, "$dir/readonly";
is(count_of(cmd => 'schedule', idkind => 'evpid', id => $qd[0]{evpid}), 1,
    "schedule EVPID: 1");
ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files("$dir/readonly/$user/Maildir/new")) == 1 }),
    "schedule: the deferred message is delivered at once");
ok(SmtpdTest::wait_for(sub { !%{ $d->queued } }), "...and leaves the queue");

# ------------------------------------------------------------ inflight
{
	my $mx = submit("$user\@slow.example", "removed in flight");
	my $my = submit("$user\@slow.example", "paused in flight");
	my @f;
	ok(SmtpdTest::wait_for(sub { @f = grep { $_->{runstate} eq 'inflight' }
	    queue_list(); @f == 2 }), "two envelopes in flight");
	cmp_ok($f[0]{delay}, '>=', 0, "inflight: DELAY counts from the start");
	my ($ex) = grep { substr($_->{evpid_hex}, 0, 8) eq $mx } @f;
	my ($ey) = grep { substr($_->{evpid_hex}, 0, 8) eq $my } @f;
	is(count_of(cmd => 'remove', idkind => 'msgid', id => hex $mx), 1,
	    "remove an inflight envelope: counted");
	is(count_of(cmd => 'pause_envelope', idkind => 'evpid', id => $ey->{evpid}), 1,
	    "pause an inflight envelope");
	ok($d->wait_log(qr/\Q$ex->{evpid_hex}\E queue event=discard reason="removed by smtpctl"/),
	    "the removed one goes when its attempt ends");
	ok(SmtpdTest::wait_for(sub { !$d->queued->{$mx} }), "...with its message");
	ok($d->wait_log(qr/\Q$ey->{evpid_hex}\E queue event=delivery .*result=TempFail/),
	    "the paused one's attempt fails temporarily");
	my $file = (SmtpdTest::wait_for(sub { $d->queued->{$my} }) &&
	    $d->queued->{$my}{envelopes}[0]) // '';
	ok(SmtpdTest::wait_for(sub {
		((CtlProto::decode_envelope(SmtpdTest::slurp($file)) // {})->{retry} // 0) == 1 }),
	    "its retry is written");
	my $e = CtlProto::decode_envelope(SmtpdTest::slurp($file)) // {};
	ok(($e->{runflags} // 0) & 4, "...with the suspend flag");
	# the file is written by a worker; the scheduler learns it just after
	my $q1;
	SmtpdTest::wait_for(sub { ($q1) = queue_list(idkind => 'msgid', id => hex $my);
	    ($q1->{runstate} // '') eq 'pending' });
	is($q1->{runstate}, 'pending', "pending again");
	ok($q1->{runflags} & 4, "...and still suspended");
	unlike($d->log, qr/\Q$mx\E[0-9a-f]{8} queue event=(?:report|discard reason="no)/,
	    "no report for the removed one");
	is(count_of(cmd => 'remove', idkind => 'msgid', id => hex $my), 1, "removed too");
}

# ------------------------------------------------------------ update table
like(rcpt_reply("ctlsecond\@example.org"), qr/^550 /, "an alias not in aliases.db yet");
$d->write_file("aliases", "ctlfirst: $user\nctlsecond: $user\n");
($rc, $out) = SmtpdTest::run("$build/makemap", "-t", "aliases", "$dir/aliases");
is($rc, 0, "aliases.db rebuilt") or diag $out;
is(status_of(cmd => 'update_table', arg => 'aliases'), 'ok', "update table aliases");
like(rcpt_reply("ctlsecond\@example.org"), qr/^250 /, "the new alias is served");
like(rcpt_reply("flattwo\@flat.example"), qr/^550 /, "not in the file table");
$d->write_file("flat", "flatone: $user\nflattwo: $user\n");
sleep 1.2;
like(rcpt_reply("flattwo\@flat.example"), qr/^550 /, "a file table is not re-read by itself");
is(status_of(cmd => 'update_table', arg => 'flat'), 'ok', "update table flat");
like(rcpt_reply("flattwo\@flat.example"), qr/^250 /, "the edited file table is served");
$d->write_file("flat", "flatone: $user\n[broken: $user\n");
{
	my @r = ctl(cmd => 'update_table', arg => 'flat');
	is($r[-1]{status_name}, 'fail', "a broken file table: command failed");
	like($r[-1]{text}, qr/flat:2: /, "...with FILE:LINE");
}
like(rcpt_reply("flattwo\@flat.example"), qr/^250 /, "the old contents stay");
{
	my @r = ctl(cmd => 'update_table', arg => 'nosuch');
	is("$r[-1]{status_name} $r[-1]{text}", "fail no such table", "unknown table");
}

# ------------------------------------------------------------ log, trace
sub occurrences { my ($re) = @_; my @m = $d->log =~ /$re/g; return scalar @m }
{
	is(status_of(cmd => 'log_brief'), 'ok', "log brief");
	my $n = occurrences(qr/control event=connected/);
	ctl(cmd => 'show_status');
	sleep 0.3;
	is(occurrences(qr/control event=connected/), $n, "brief: no debug line");
	is(status_of(cmd => 'log_verbose'), 'ok', "log verbose");
	ok($d->wait_log(qr/role=queue event=log verbose=1/), "every role switched");
	ctl(cmd => 'show_status');
	ok(SmtpdTest::wait_for(sub { occurrences(qr/control event=connected/) > $n }),
	    "verbose: debug lines appear");
	is(status_of(cmd => 'log_brief'), 'ok', "log brief again");
	sleep 0.3;
	$n = occurrences(qr/control event=connected/);
	ctl(cmd => 'show_status');
	sleep 0.3;
	is(occurrences(qr/control event=connected/), $n, "brief: gone again");

	$n = occurrences(qr/smtp >>> /);
	is(status_of(cmd => 'trace', arg => 'smtp'), 'ok', "trace smtp");
	sleep 0.3;
	rcpt_reply("$user\@example.org");
	ok(SmtpdTest::wait_for(sub { occurrences(qr/smtp >>> /) > $n }),
	    "trace smtp: the dialogue is logged");
	is(status_of(cmd => 'untrace', arg => 'smtp'), 'ok', "untrace smtp");
	sleep 0.3;
	$n = occurrences(qr/smtp >>> /);
	rcpt_reply("$user\@example.org");
	sleep 0.3;
	is(occurrences(qr/smtp >>> /), $n, "untrace smtp: quiet again");
	is(status_of(cmd => 'trace', arg => 'nonsense'), 'fail', "an unknown trace word");
}

# ------------------------------------------------------------ pause smtp
{
	my $old = SmtpClient->new($d->port);
	like($old->greeting, qr/^220 /, "a session opened before the pause");
	is(status_of(cmd => 'pause_smtp'), 'ok', "pause smtp");
	is((lines_of(cmd => 'show_status'))[2], "SMTP paused", "show status: SMTP paused");
	my $c = SmtpClient->new($d->port);
	like($c->greeting, qr/^421 4\.3\.2 \S+ Service not available, closing channel\r\n\z/,
	    "a new SMTP connection: 421 4.3.2");
	ok($c->closed, "...and closed");
	my $l = SmtpClient->new($d->port(2));
	like($l->greeting, qr/^421 4\.3\.2 /, "the LMTP listener too");
	like($old->cmd("EHLO client.example"), qr/^250/, "the open session goes on");
	like($old->mail('sender@example.net', "$user\@example.org",
	    "Subject: during pause\r\n\r\nx\r\n"), qr/^250 /, "...and sends mail");
	$old->cmd("QUIT");
	is(status_of(cmd => 'resume_smtp'), 'ok', "resume smtp");
	like(SmtpClient->new($d->port)->greeting, qr/^220 /, "new sessions again");
	ok(SmtpdTest::wait_for(sub { new_files() == 3 }), "the mail sent during the pause is delivered");
}

# ------------------------------------------------------------ stats
{
	my %s;
	ok(SmtpdTest::wait_for(sub {
		%s = map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } lines_of(cmd => 'show_stats');
		($s{'scheduler.delivery.ok'} // 0) >= 4 && ($s{'smtp.session'} // -1) == 0 &&
		# a delivery is counted when its result comes, the envelope
		# when its file is gone: wait for both
		($s{'scheduler.envelope'} // -1) == 0 }),
	    "show stats: deliveries counted, sessions back to 0") or diag explain \%s;
	cmp_ok($s{'scheduler.delivery.tempfail'} // 0, '>=', 1, "tempfail counted");
	is($s{'scheduler.envelope.removed'}, 6, "removed envelopes counted");
	is($s{'scheduler.envelope'}, 0, "no envelope left");
	ok(exists $s{'smtp.session.inet4'} && exists $s{'mda.running'} &&
	    exists $s{'scheduler.envelope.inflight'}, "the other keys are there");
	my %m = map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } lines_of(cmd => 'monitor');
	is_deeply([sort keys %m], [sort qw(clients connected disconnected envelopes
	    enqueued dequeued ok tempfail permfail loop expired removed bounced)],
	    "monitor: the 13 counters");
	cmp_ok($m{connected}, '>=', 8, "monitor: connections counted");
	is($m{enqueued}, $m{dequeued}, "monitor: every envelope in went out");
}

# ------------------------------------------------------------ permission
SKIP: {
	skip "switching uid needs root", 5 unless SmtpdTest::is_root();
	my $who = defined getpwnam("tester") ? "tester" : "nobody";
	my ($uid, $gid) = (getpwnam($who))[2, 3];
	pipe(my $rd, my $wr) or die;
	my $pid = fork() // die;
	if ($pid == 0) {
		close $rd;
		POSIX::setgid($gid);
		POSIX::setuid($uid);
		my @res;
		for my $a ([cmd => 'remove', idkind => 'all'],
		    [cmd => 'show_message', idkind => 'msgid', id => 0x1234567],
		    [cmd => 'show_queue'], [cmd => 'pause_smtp'], [cmd => 'show_stats']) {
			my @r = ($> == $uid) ? ctl(@$a) : ();
			push @res, @r ? "$r[-1]{status_name}:" . ($r[-1]{text} // '') : 'none';
		}
		print $wr join("\n", @res), "\n";
		close $wr;
		POSIX::_exit(0);
	}
	close $wr;
	my @res = map { chomp; $_ } <$rd>;
	waitpid($pid, 0);
	is($res[0], "denied:permission denied", "$who: remove is denied");
	is($res[1], "denied:permission denied", "$who: show message is denied");
	is($res[2], "denied:permission denied", "$who: show queue is denied");
	is($res[3], "denied:permission denied", "$who: pause smtp is denied");
	is($res[4], "ok:", "$who: show stats is allowed");
}

# ------------------------------------------------------------ bad frames
sub closes_client {
	my ($bytes, $name) = @_;
	my $s = CtlProto::connect($d->control_socket) or die;
	CtlProto::send_raw($s, $bytes);
	shutdown($s, SHUT_WR);
	my $r = CtlProto::read_reply($s, 5);
	ok(!defined $r, "$name: the client is closed without a reply");
	close $s;
}

sub frame_of { CtlProto::frame(CtlProto::request_stream(@_)) }
my $good = CtlProto::request_stream(cmd => 'show_status');
closes_client(pack("N", 0), "a zero length");
closes_client(pack("N", 0x7fffffff) . "x" x 100, "a huge length");
closes_client(pack("N", 65537) . "x" x 70000, "one byte over 64 KiB");
closes_client(pack("N", 100) . "x" x 10, "a truncated frame");
closes_client(substr(CtlProto::frame($good), 0, 3), "a truncated length");
closes_client(pack("N", 40) . ("\xa5" x 40), "garbage");
closes_client(CtlProto::frame(substr($good, 0, -5)), "no END record");
closes_client(CtlProto::frame($good . "\0"), "a byte after END");
closes_client(frame_of(cmd => 'show_status', extra => [[0x42, "x"]]), "an unknown record");
closes_client(frame_of(cmd => 'show_status', extra => [[3, pack("N", 5)]]),
    "a duplicate record");
closes_client(frame_of(cmd => 0), "command 0");
closes_client(frame_of(cmd => 99), "an unknown command");
closes_client(frame_of(cmd => 'show_envelope', idkind => 'msgid', id => 1),
    "an id of the wrong kind");
closes_client(frame_of(cmd => 'show_envelope', idkind => 'evpid', id => 2**32),
    "an evpid with a zero low half");
closes_client(frame_of(cmd => 'show_stats', arg => 'x'), "an argument where none belongs");
closes_client(frame_of(cmd => 'update_table', arg => "a\nb"), "a control character");
closes_client(frame_of(cmd => 'update_table', arg => "a\0b"), "a NUL");
closes_client(frame_of(cmd => 'update_table', arg => 'x' x 256), "an argument too long");
closes_client(frame_of(cmd => 'show_status', schema => 2), "another schema version");
{
	# pipelined: a good request, then garbage: the answer, then the close
	my $s = CtlProto::connect($d->control_socket) or die;
	CtlProto::send_raw($s, CtlProto::frame($good) . pack("N", 8) . "\xff" x 8);
	my @r;
	while (my $r = CtlProto::read_reply($s, 5)) { push @r, $r }
	is(scalar @r, 4, "pipelined: the good request is answered, then the close");
	close $s;
}
{
	# random and mutated frames, each on its own connection
	srand(80);
	my $valid = CtlProto::frame($good);
	for my $i (1 .. 300) {
		my $b;
		if ($i % 3 == 0) {
			$b = $valid;
			substr($b, int(rand(length $b)), 1) = chr(int(rand(256)))
			    for 1 .. 1 + int(rand(4));
		} elsif ($i % 3 == 1) {
			$b = substr($valid, 0, int(rand(length $valid)));
		} else {
			my $n = int(rand(200));
			$b = pack("N", $i % 2 ? $n : int(rand(2**32)));
			$b .= chr(int(rand(256))) for 1 .. $n;
		}
		my $s = CtlProto::connect($d->control_socket) or next;
		CtlProto::send_raw($s, $b);
		shutdown($s, SHUT_WR);
		1 while CtlProto::read_reply($s, 2);
		close $s;
	}
	is_deeply([lines_of(cmd => 'show_status')],
	    ["MDA running", "MTA running", "SMTP running"],
	    "300 random and mutated frames later the daemon answers");
}
{
	# more clients than the limit: the extra ones are closed at once
	my @c = map { CtlProto::connect($d->control_socket) } 1 .. 70;
	sleep 0.5;
	my $extra = $c[-1];
	CtlProto::send_request($extra, cmd => 'show_status');
	ok(!defined CtlProto::read_reply($extra, 3), "over 64 clients: closed");
	close $_ for @c;
	sleep 0.3;
	is(status_of(cmd => 'show_status'), 'ok', "then served again");
}

# ------------------------------------------------------------ a big message
{
	is(status_of(cmd => 'pause_mda'), 'ok', "pause mda for a big message");
	my $body = join '', map { sprintf("line %06d %s\r\n", $_, 'x' x 60) } 1 .. 12000;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	my $r = $c->mail('sender@example.net', "$user\@example.org", "Subject: big\r\n\r\n$body");
	$c->cmd("QUIT");
	my ($mid) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
	ok($mid, "an 880 KB message queued");
	my $s = CtlProto::connect($d->control_socket) or die;
	CtlProto::send_request($s, cmd => 'show_message', idkind => 'msgid', id => hex $mid);
	sleep 1;	# not reading: the stream waits, others are served
	is_deeply([lines_of(cmd => 'show_status')],
	    ["MDA paused", "MTA running", "SMTP running"], "a slow reader blocks nobody");
	my ($data, $frames) = ('', 0);
	while (my $f = CtlProto::read_reply($s, 10)) {
		$frames++;
		$data .= $f->{data} // '';
		last if $f->{last};
	}
	close $s;
	is($data, $d->queued->{$mid}{message}, "show message: every byte, in order");
	cmp_ok($frames, '>', 16, "...in more frames than the window");
	is(count_of(cmd => 'remove', idkind => 'msgid', id => hex $mid), 1, "removed");
	is(status_of(cmd => 'resume_mda'), 'ok', "resume mda");
}

ok($d->alive, "the daemon is still running");
unlike($d->log, qr/event=died|event=channel-lost/, "no role died, no channel was lost");
$d->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

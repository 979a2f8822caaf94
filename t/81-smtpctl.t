# 81-smtpctl.t: smtpctl against a running daemon with mail in its queue
# (spec/ctl.md sections 3 to 7, issue 6): show status, stats, queue
# (parsed field by field), envelope and message; -j; schedule makes a
# deferred message be tried at once; pause/resume envelope; pause mda keeps
# mail queued and resume delivers it; pause smtp; log verbose/brief and
# trace/untrace switch the daemon's log output; update table picks up a
# rebuilt aliases.db; monitor prints rows every second until SIGINT;
# remove by evpid, msgid and all; abbreviations.
# Every command but encrypt needs euid 0 (ctl.md 1) or, as the issue
# allows, the daemon's own uid: run unprivileged, the test drives the
# runner's own daemon (80-smtpctl-offline.t checks the refusal).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use CtlTest;
use SmtpdTest;
use SmtpClient;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;

# -P mta: relay envelopes stay queued as they were committed
my $d = SmtpdTest->new(args => [ '-P', 'mta' ], conf => <<'CONF');
table aliases db:@DIR@/aliases.db
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir" alias <aliases>
action "out" relay
match from any for domain "example.org" action "local"
match from any for domain "relay.test" action "out"
CONF
my $dir = $d->dir;
$d->shared_dirs("mail");
sub makemap {
	my ($text) = @_;
	$d->write_file("aliases", $text);
	my ($rc, $out) = SmtpdTest::run(SmtpdTest::build() . "/makemap", "-t",
	    "aliases", "$dir/aliases");
	is($rc, 0, "makemap aliases") or diag $out;
}
makemap("team: $user\n");
$d->start;

my $conf = { env => { SMTPD_CONF => $d->conf_path } };
sub ctl { return CtlTest::ctl($conf, @_) }

sub wait_for {
	my ($cond, $timeout) = @_;
	my $deadline = time + ($timeout // 10);
	while (time < $deadline) {
		return 1 if $cond->();
		sleep 0.1;
	}
	return 0;
}

sub queue {
	my ($rc, $out, $err) = ctl("show", "queue");
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
	my ($from, $to, $subject) = @_;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	my $r = $c->mail($from, $to, "Subject: $subject\r\n\r\nbody of $subject\r\n");
	$c->cmd("QUIT");
	my ($msgid) = $r =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
	ok($msgid, "$subject: queued") or diag $r;
	return $msgid;
}

# ------------------------------------------------------------ status, stats
{
	my ($rc, $out, $err) = ctl("show", "status");
	is($rc, 0, "show status: exit 0");
	# started with -P mta
	is($out, "MDA running\nMTA paused\nSMTP running\n", "show status: three lines");
	($rc, $out) = ctl("-j", "sh", "statu");
	is_deeply(eval { decode_json($out) }, { mda => "running", mta => "paused",
	    smtp => "running" }, "-j sh statu: an object");

	($rc, $out, $err) = ctl("show", "stats");
	is($rc, 0, "show stats: exit 0");
	my @keys = map { (split /=/)[0] } split /\n/, $out;
	is_deeply(\@keys, [ sort @keys ], "show stats: sorted by key");
	like($out, qr/^uptime=\d+\nuptime\.human=(?:\d+[dhms])+\n/m, "uptime and uptime.human");
	unlike($out, qr/^(?![^=\s]+=-?\d+$|uptime\.human=)/m, "every line key=value");
	($rc, $out) = ctl("-j", "show", "stats");
	my $j = eval { decode_json($out) };
	ok(ref $j eq "HASH" && $j->{uptime} =~ /^\d+$/, "-j show stats: an object with numbers");

	($rc, $out, $err) = ctl("sh", "st");
	is($rc, 255, "sh st: ambiguous online too");
	like($err, qr/^show stats\nshow status\n\z/m, "sh st: the possibilities");
}

# ------------------------------------------------------------ show queue
my $relay = send_mail('alice@example.org', ['x@relay.test', 'y@relay.test'], "relay me");
my $deferred = send_mail('', ['root@example.org'], "deferred");
ok(wait_for(sub { my $f = by_rcpt('root@example.org'); $f && $f->[10] >= 1 }),
    "mail for root failed once (deliver refuses uid 0)");
{
	my @q = queue();
	is(scalar @q, 3, "show queue: three envelopes");
	my @mine = grep { substr($_->[0], 0, 8) eq $relay } @q;
	is(scalar @mine, 2, "two envelopes of the relayed message");
	for my $f (@mine) {
		is(scalar @$f, 14, "14 fields");
		like($f->[0], qr/^\Q$relay\E[0-9a-f]{8}$/, "evpid of the message");
		is($f->[1], "inet4", "family");
		is($f->[2], "mta", "type mta");
		like($f->[3], qr/^(?:hold)?$/, "flags: none (or held)");
		is($f->[4], 'alice@example.org', "sender");
		like($f->[5], qr/^[xy]\@relay\.test$/, "rcpt");
		is($f->[6], $f->[5], "dest");
		ok(abs($f->[7] - time) < 60, "ctime now");
		is($f->[8], $f->[7] + 4 * 86400, "expiry ctime + 4d");
		is($f->[9], "0", "never tried");
		is($f->[10], "0", "no attempt");
		like($f->[11], qr/^(?:pending|inflight)$/, "runstate");
		like($f->[12], qr/^-?\d+$/, "delay a number");
		is($f->[13], "", "no error");
	}
	my $r = by_rcpt('root@example.org');
	is($r->[2], "mda", "root: type mda");
	is($r->[4], '@', "root: the null sender as @");
	is($r->[11], "pending", "root: pending");
	ok($r->[9] > 0 && $r->[9] <= time, "root: last try set");
	ok($r->[12] > 60, "root: next try minutes away") or diag "@$r";
	isnt($r->[13], "", "root: the error line");
	my ($rc, $out) = ctl("sh", "q", $relay);
	is(scalar(() = $out =~ /\n/g), 2, "sh q MSGID: that message only");
	($rc, $out) = ctl("-j", "show", "queue");
	my $j = eval { decode_json($out) };
	is(scalar @{ $j // [] }, 3, "-j show queue: three objects");
	my ($jr) = grep { $_->{rcpt} eq 'root@example.org' } @{ $j // [] };
	is($jr->{sender}, "", "-j: null sender empty");
	ok($jr->{delay} > 60 && $jr->{retry} >= 1, "-j: numbers");
}

# ------------------------------------------------------------ show envelope, message
{
	my $r = by_rcpt('root@example.org');
	my ($rc, $out, $err) = ctl("show", "envelope", $r->[0]);
	is($rc, 0, "show envelope: exit 0");
	like($out, qr/\Aversion: 3\n/, "show envelope: version first");
	like($out, qr/^type: mda\nsmtpname: /m, "type");
	like($out, qr/^rcpt: root\@example\.org\ndest: root\@example\.org\n/m, "rcpt, dest");
	unlike($out, qr/^sender: /m, "no sender line for the null sender");
	like($out, qr/^errorline: \S/m, "errorline");
	like($out, qr/^retry: [1-9]\d*\n/m, "retry");
	like($out, qr/^sockaddr: 127\.0\.0\.1\n/m, "sockaddr");
	($rc, $out) = ctl("-j", "sh", "e", $r->[0]);
	my $j = eval { decode_json($out) };
	is($j->{rcpt}, 'root@example.org', "-j show envelope: an object");
	($rc, $out, $err) = ctl("show", "envelope", $relay . "0badf00d");
	is($rc, 1, "an unknown envelope: exit 1");
	is($err, "smtpctl: unable to retrieve envelope\n", "an unknown envelope: the message");

	($rc, $out) = ctl("show", "message", $relay);
	is($rc, 0, "show message MSGID: exit 0");
	like($out, qr/\r\nSubject: relay me\r\n\r\nbody of relay me\r\n\z/, "the message as stored");
	my ($x) = grep { $_->[5] eq 'x@relay.test' } queue();
	my ($rc2, $out2) = ctl("show", "message", $x->[0]);
	is($out2, $out, "show message EVPID: the same message");
	($rc, $out, $err) = ctl("show", "message", "0badf00d");
	is("$rc $err", "1 smtpctl: unable to retrieve message\n", "an unknown message");
}

# ------------------------------------------------------------ schedule
{
	my $r = by_rcpt('root@example.org');
	my $tries = $r->[10];
	my ($rc, $out) = ctl("schedule", $r->[0]);
	is($rc, 0, "schedule EVPID: exit 0");
	is($out, "1 envelope scheduled\n", "schedule EVPID: one envelope");
	ok(wait_for(sub { my $f = by_rcpt('root@example.org'); $f && $f->[10] > $tries }),
	    "the deferred envelope was tried again at once");
	($rc, $out) = ctl("sch", "0badf00d");
	is($out, "0 envelope scheduled\n", "schedule an unknown msgid: 0");
}

# ------------------------------------------------------------ pause/resume envelope
{
	my ($rc, $out) = ctl("pause", "envelope", $relay);
	is($rc, 0, "pause envelope MSGID: exit 0");
	is($out, "2 envelopes paused\n", "pause envelope MSGID: two, plural");
	my @mine = grep { substr($_->[0], 0, 8) eq $relay } queue();
	ok(@mine == 2 && !grep({ $_->[3] !~ /(?:^|,)suspend(?:,|$)/ } @mine),
	    "show queue: suspend flag");
	($rc, $out) = ctl("res", "e", "all");
	like($out, qr/^[2-9]\d* envelopes resumed\n\z/, "resume envelope all");
	@mine = grep { substr($_->[0], 0, 8) eq $relay } queue();
	ok(!grep({ $_->[3] =~ /suspend/ } @mine), "suspend cleared");
	($rc, $out) = ctl("pause", "envelope", $mine[0][0]);
	is($out, "1 envelope paused\n", "pause envelope EVPID: one, singular");
	ctl("resume", "envelope", $mine[0][0]);
}

# ------------------------------------------------------------ pause mda
{
	my ($rc, $out) = ctl("pause", "mda");
	is("$rc $out", "0 command succeeded\n", "pause mda");
	(undef, $out) = ctl("show", "status");
	like($out, qr/^MDA paused$/m, "show status: MDA paused");
	send_mail('bob@example.net', ["$user\@example.org"], "held back");
	sleep 2;
	my @held = maildir_new();
	is(scalar @held, 0, "nothing delivered while mda is paused");
	ok(by_rcpt("$user\@example.org"), "the message stays queued");
	($rc, $out) = ctl("resume", "mda");
	is("$rc $out", "0 command succeeded\n", "resume mda");
	ok(wait_for(sub { my @f = maildir_new(); @f == 1 }), "delivered after resume mda");
	ok(wait_for(sub { !by_rcpt("$user\@example.org") }), "and gone from the queue");
	(undef, $out) = ctl("show", "status");
	like($out, qr/^MDA running$/m, "show status: MDA running");
}

# ------------------------------------------------------------ pause smtp, mta
{
	my ($rc, $out) = ctl("pa", "sm");
	is("$rc $out", "0 command succeeded\n", "pa sm = pause smtp");
	(undef, $out) = ctl("show", "status");
	like($out, qr/^SMTP paused$/m, "show status: SMTP paused");
	my $c = SmtpClient->new($d->port, no_greeting => 1);
	like($c->reply(5), qr/^421 4\.3\.2 /, "a new client gets 421 4.3.2");
	($rc, $out) = ctl("resume", "smtp");
	is("$rc $out", "0 command succeeded\n", "resume smtp");
	$c = SmtpClient->new($d->port);
	like($c->greeting, qr/^220 /, "greeted again");
	$c->cmd("QUIT");

	my $err;
	($rc, $out, $err) = ctl("pause", "mta");
	is("$rc $out", "0 command succeeded\n", "pause mta") or diag $err;
	($rc, $out) = ctl("show", "status");
	like($out, qr/^MTA paused$/m, "show status: MTA paused");
	# no resume: the relay envelopes below must stay as they are
}

# ------------------------------------------------------------ log and trace
{
	my $mark = length $d->log;
	my $session = sub {
		my $c = SmtpClient->new($d->port);
		$c->cmd("EHLO trace.example");
		$c->cmd("MAIL FROM:<trace\@example.net>");
		$c->cmd("QUIT");
		sleep 0.5;
	};
	my ($rc, $out) = ctl("log", "verbose");
	is("$rc $out", "0 command succeeded\n", "log verbose");
	$session->();
	like(substr($d->log, $mark), qr/smtp event=mail from=<trace\@example\.net>/,
	    "log verbose: debug lines in the log");
	($rc, $out) = ctl("l", "b");
	is("$rc $out", "0 command succeeded\n", "l b = log brief");
	$mark = length $d->log;
	$session->();
	unlike(substr($d->log, $mark), qr/smtp event=mail from=/, "log brief: no debug lines");

	($rc, $out) = ctl("trace", "smtp");
	is("$rc $out", "0 command succeeded\n", "trace smtp");
	$mark = length $d->log;
	$session->();
	like(substr($d->log, $mark), qr/smtp <<< EHLO trace\.example/, "trace smtp: the dialogue logged");
	($rc, $out) = ctl("untrace", "smtp");
	is("$rc $out", "0 command succeeded\n", "untrace smtp");
	$mark = length $d->log;
	$session->();
	unlike(substr($d->log, $mark), qr/smtp (?:<<<|>>>) /, "untrace smtp: no more");
	my $err;
	($rc, $out, $err) = ctl("trace", "bogus");
	is("$rc $err", "1 smtpctl: invalid trace keyword: bogus\n", "an invalid trace keyword");
}

# ------------------------------------------------------------ update table
{
	my $rcpt = sub {
		my $c = SmtpClient->new($d->port);
		$c->cmd("EHLO table.example");
		$c->cmd("MAIL FROM:<t\@example.net>");
		my $r = $c->cmd("RCPT TO:<$_[0]>");
		$c->cmd("QUIT");
		return $r;
	};
	like($rcpt->('team@example.org'), qr/^250 /, "the alias team is known");
	like($rcpt->('crew@example.org'), qr/^5\d\d /, "the alias crew is not yet");
	makemap("team: $user\ncrew: $user\n");
	my ($rc, $out) = ctl("update", "table", "aliases");
	is("$rc $out", "0 command succeeded\n", "update table aliases");
	like($rcpt->('crew@example.org'), qr/^250 /, "the rebuilt aliases.db is used");
	my $err;
	($rc, $out, $err) = ctl("up", "t", "nosuch");
	is($rc, 1, "update table of an unknown table: exit 1");
	like($out, qr/^command failed: .*no such table/, "command failed: REASON");

	# newaliases rebuilds the table and tells the daemon (tables.md 9.2)
	SKIP: {
		skip "newaliases needs root", 3 unless SmtpdTest::is_root();
		$d->write_file("aliases", "team: $user\ncrew: $user\nband: $user\n");
		my $n = () = $d->log =~ /lookup event=update-table table=aliases .*result=Ok/g;
		($rc, $out) = SmtpdTest::run(SmtpdTest::build() . "/newaliases", "-f", $d->conf_path);
		is("$rc $out", "0 $dir/aliases: 3 aliases\n", "newaliases rebuilt the table");
		ok(wait_for(sub { (() = $d->log =~ /lookup event=update-table table=aliases .*result=Ok/g) > $n }),
		    "and told the running daemon: update table aliases");
		like($rcpt->('band@example.org'), qr/^250 /, "the new alias is used");
	}
}

# ------------------------------------------------------------ monitor
{
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if ($pid == 0) {
		$ENV{SMTPD_CONF} = $d->conf_path;
		open(STDERR, '>&', \*STDOUT);
		exec(SmtpdTest::build() . "/smtpctl", "monitor") or POSIX::_exit(127);
	}
	sleep 2.5;
	kill 'INT', $pid;
	local $/;
	my $out = <$fh> // '';
	close $fh;
	is($?, 0, "monitor: SIGINT, exit 0");
	my @lines = split /\n/, $out;
	like($lines[0] // '', qr/^--- client ---  -- envelope --   ---- relay\/delivery --- ------- misc -------$/,
	    "monitor: the header");
	like($lines[1] // '', qr/^curr conn disc  curr  enq  deq   ok tmpfail prmfail loop expire remove bounce$/,
	    "monitor: the labels");
	my @rows = grep { /^ {0,3}\d+ +\d+ +\d+  +\d+/ } @lines;
	ok(@rows >= 2, "monitor: at least two rows in 2.5 s") or diag $out;
	like($rows[0] // '', qr/^(?:[ \d]{4} ){3} [ \d]{4} (?:[ \d]{4} ){2}[ \d]{4}    [ \d]{4}    [ \d]{4} [ \d]{4}   [ \d]{4}   [ \d]{4}   [ \d]{4}$/,
	    "monitor: the row layout");
	my @c = split ' ', $rows[0] // '';
	ok(@c == 13 && $c[3] >= 2, "monitor: 13 columns, envelopes in the queue") or diag "@c";
}

# ------------------------------------------------------------ remove
{
	my @mine = grep { substr($_->[0], 0, 8) eq $relay } queue();
	my ($rc, $out) = ctl("remove", $mine[0][0]);
	is("$rc $out", "0 1 envelope removed\n", "remove EVPID");
	($rc, $out) = ctl("rem", $relay);
	is("$rc $out", "0 1 envelope removed\n", "remove MSGID: its last envelope");
	($rc, $out) = ctl("remove", $relay);
	is("$rc $out", "0 0 envelope removed\n", "remove MSGID again: 0");
	($rc, $out) = ctl("remove", "all");
	like($out, qr/^[0-9]+ envelopes? removed\n\z/, "remove all");
	ok(wait_for(sub { !queue() }), "show queue: empty");
	($rc, $out) = ctl("show", "queue");
	is("$rc|$out", "0|", "an empty queue prints nothing");
	ok(wait_for(sub { !%{ $d->queued } }), "the spool is empty");
}

$d->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

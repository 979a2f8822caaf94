# 53-deliver-agent.t: deliver -A, one process serving many deliveries
# for one user (doc/deliver.8 AGENT MODE), driven through
# t/tools/deliver_agent_probe.c, which starts the agent with a
# SOCK_SEQPACKET socket on descriptor 3 and passes each message file
# positioned at its end. Maildir and mbox deliveries land with the
# bytes of a one-shot run, one agent serves them all without keeping
# descriptors, its replies carry the exit status and the first stderr
# line; a request it may not serve ends it with 76 (EX_PROTOCOL), EOF
# with 0. As root the agent runs as the delivery user (dtest1), else as
# the runner.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Handle;
use IPC::Open2;
use SmtpdTest;

my $build = SmtpdTest::build();
my $deliver = "$build/deliver";
my $probe = "$build/t/deliver-agent-probe";
my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;
my ($uid, $gid, $home) = (getpwnam($user))[2, 3, 7];
my $other = $user eq 'nobody' ? 'daemon' : 'nobody';
my $base = SmtpdTest::tempdir_public();
my $seq = 0;

# A directory the delivering user owns.
sub workdir { return SmtpdTest::owned_dir("$base/w" . $seq++, $uid, $gid) }

sub slurp { return SmtpdTest::slurp($_[0]) }

# An agent behind the probe; ids: its -u.
sub agent {
	my (@ids) = @_;
	my ($out, $in);
	my $pid = open2($out, $in, $probe, $deliver, $user, @ids);
	$in->autoflush(1);
	return { pid => $pid, out => $out, in => $in };
}

# One probe command, its one-line answer.
sub cmd {
	my ($a, $line) = @_;
	print { $a->{in} } "$line\n";
	my $ans = readline($a->{out}) // '';
	chomp $ans;
	return $ans;
}

# A request with MSG as the message file: (code, text), or (undef, answer).
sub req {
	my ($a, $msg, @args) = @_;
	my $f = "$base/msg." . $seq++;
	SmtpdTest::spew($f, $msg);
	my $ans = cmd($a, join(' ', 'req', $f, map { length ? $_ : "''" } @args));
	return ($1, $2) if $ans =~ /^reply (-?\d+) (.*)\z/s;
	return (undef, $ans);
}

sub agent_pid { my ($p) = cmd($_[0], 'pid') =~ /^pid (\d+)$/; return $p }

sub fds { my ($n) = cmd($_[0], 'fds') =~ /^fds (\d+)$/; return $n }

sub finish {
	my ($a) = @_;
	close $a->{in};
	close $a->{out};
	return SmtpdTest::reap_child($a->{pid}, 60);
}

sub trace {
	my ($sender, $rcpt) = @_;
	return "Return-Path: <$sender>\nX-Original-To: $rcpt\nDelivered-To: $rcpt\n";
}

my @A = ('-d', $user, '-f', 's@example.net', '-r', 'rcpt@example.org');
my $MSG1 = "Received: from x\r\nSubject: one\r\n\r\nfirst body\r\n>From quoted\r\n";
my $MSG2 = "Subject: two\r\n\r\nsecond body\r\nFrom the body\r\n";
(my $LF1 = $MSG1) =~ s/\r\n/\n/g;
(my $LF2 = $MSG2) =~ s/\r\n/\n/g;

# ------------------------------------------- Maildir, one agent, many
{
	my $w = workdir();
	my $md = "$w/Maildir";
	my $a = agent();
	my $pid = agent_pid($a);
	ok($pid, "the probe started an agent");
	is_deeply([req($a, $MSG1, @A, '-m', $md)], [0, ''], "Maildir 1: code 0, no text");
	my $fds1 = fds($a);
	ok($fds1 && $fds1 >= 4, "agent descriptors readable ($fds1)");
	is_deeply([req($a, $MSG2, @A, '-o', 'orig@example.org', '-m', $md)], [0, ''],
	    "Maildir 2: code 0, no text");
	my @new = SmtpdTest::maildir_files("$md/new");
	is(scalar @new, 2, "two files in new/");
	my %by = map { slurp($_) => $_ } @new;
	my $want1 = trace('s@example.net', 'rcpt@example.org') . $LF1;
	my $want2 = "Return-Path: <s\@example.net>\nX-Original-To: orig\@example.org\n" .
	    "Delivered-To: rcpt\@example.org\n$LF2";
	ok(exists $by{$want1}, "first message: trace fields + LF message, read from its start")
	    or diag explain [keys %by];
	ok(exists $by{$want2}, "second message: its own -o, nothing of the first");
	like($by{$want1} // '', qr{/\d+\.M\d+P${pid}Q1\.[^/]+,S=\d+$},
	    "first file named by the agent's pid, Q1");
	like($by{$want2} // '', qr{/\d+\.M\d+P${pid}Q2\.[^/]+,S=\d+$},
	    "second file by the same pid, Q2: one process served both");
	is((stat($new[0]))[4], $uid, "file owned by $user");
	my @st = split /\s+/, (slurp("/proc/$pid/status") =~ /^Uid:\s*(.*)$/m)[0] // '';
	is_deeply(\@st, [($uid) x 4], "the agent runs as $user (real, effective, saved, fs)");

	# -c for an envelope delivered already: a reply, no file.
	my $ev = '0123456789abcdef';
	is_deeply([req($a, $MSG1, @A, '-e', $ev, '-m', $md)], [0, ''], "-e: delivered");
	my $n = () = SmtpdTest::maildir_files("$md/new");
	is_deeply([req($a, $MSG1, @A, '-c', '-e', $ev, '-m', $md)],
	    [0, '2.0.0 already delivered'], "-c for a delivered evpid: 0, 2.0.0 already delivered");
	is(scalar(() = SmtpdTest::maildir_files("$md/new")), $n, "-c: nothing written");
	is(scalar(grep { /E${ev}\./ } SmtpdTest::maildir_files("$md/new")), 1,
	    "-c: still one file for the evpid");

	# An mbox file.
	my $mb = "$w/mbox";
	is_deeply([req($a, $MSG1, '-d', $user, '-f', '', '-r', 'rcpt@example.org', '-M', $mb)],
	    [0, ''], "mbox: code 0");
	(my $q = $LF1) =~ s/^(>*From )/>$1/mg;
	like(slurp($mb), qr/\AFrom MAILER-DAEMON [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\n\Q${\ trace('', 'rcpt@example.org')}$q\E\n\z/,
	    "mbox: From line, trace fields, mboxrd-quoted message, empty line");
	ok(!-e "$mb.lock", "mbox: no lock left");
	is(fds($a), $fds1, "as many descriptors after 5 requests as after 1");
	is(readlink("/proc/$pid/fd/0"), '/dev/null',
	    "between requests stdin is /dev/null: no message held");
	is(readlink("/proc/$pid/fd/2"), readlink("/proc/self/fd/2"),
	    "between requests stderr is the agent's own again");

	# A Maildir the user cannot write: temporary, and the next reply is clean.
	my $ro = "$w/ro";
	is((req($a, $MSG1, @A, '-m', $ro))[0], 0, "read-only Maildir: made first");
	chmod 0500, "$ro/tmp", "$ro/new", "$ro/cur", $ro;
	my ($code, $text) = req($a, $MSG1, @A, '-m', $ro);
	is($code, 75, "read-only Maildir: code 75 (EX_TEMPFAIL)");
	like($text, qr/^4\.\d+\.\d+ \S/, "read-only Maildir: a 4.x.x text") or diag $text;
	is(scalar(() = SmtpdTest::maildir_files("$ro/new")), 1, "read-only Maildir: nothing added");
	is_deeply([req($a, $MSG2, @A, '-m', $md)], [0, ''],
	    "after a failure: success has an empty text (stderr emptied per request)");
	is(fds($a), $fds1, "as many descriptors after a failure");
	chmod 0700, "$ro/tmp", "$ro/new", "$ro/cur", $ro;

	# EOF: the agent ends with 0.
	is(cmd($a, 'close'), 'exit 0', "EOF: the agent exits 0");
	finish($a);
}

# ------------------------------------------------------ -u, kept as given
{
	my $w = workdir();
	my $ids = "$uid:$gid:$w";
	my $a = agent($ids);
	is_deeply([req($a, $MSG1, @A, '-u', $ids)], [0, ''], "-u: delivered to HOME/Maildir");
	is(scalar(() = SmtpdTest::maildir_files("$w/Maildir/new")), 1, "-u: the file is there");
	my ($code, $text) = req($a, $MSG1, @A, '-m', "$w/Maildir");
	is($code, 76, "-u missing in a request to an agent with -u: 76");
	like($text, qr/^4\.3\.0 agent: /, "-u missing: 4.3.0 agent: ...");
	is(cmd($a, 'wait'), 'exit 76', "-u missing: the agent exits 76");
	is(scalar(() = SmtpdTest::maildir_files("$w/Maildir/new")), 1, "-u missing: nothing written");
	finish($a);
}

# -------------------------------------------------- protocol errors
{
	my $w = workdir();
	my $md = "$w/Maildir";
	my $mark = "$w/ran";
	my $script = "$w/cmd.sh";
	SmtpdTest::spew($script, "#!/bin/sh\ntouch $mark\n");
	chmod 0755, $script;
	my @cases = (
		[ 'another user', "req %M -d $other -f s\@example.net -m $md", qr/another user/ ],
		[ '-u that the agent has not', "req %M -d $user -u $uid:$gid:$w -m $md", qr/another user/ ],
		[ 'no descriptor', "nofd -d $user -m $md", qr/without a descriptor/ ],
		[ 'two descriptors', "twofd %M -d $user -m $md", qr/more than one descriptor/ ],
		[ 'a request over 16384 bytes', "big %M 17000", qr/too long/ ],
		[ '26 strings', "req %M -d $user -n -n -n -n -n -n -n -n -n -n -n -n -n -n -n -n -n -n -n -n -n -m $md",
		    qr/more than 24/ ],
		[ '-p', "req %M -d $user -p $script", qr/only -m and -M/ ],
		[ '-s', "req %M -d $user -s", qr/only -m and -M/ ],
		[ '-L', "req %M -d $user -L unix:$w/lmtp", qr/only -m and -M/ ],
		[ '-A', "req %M -A -d $user", qr/-A/ ],
		[ 'a bad option', "req %M -d $user -x -m $md", qr/unknown option/ ],
		[ 'a bad recipient', "req %M -d $user -r bad< -m $md", qr/invalid recipient/ ],
		[ 'a relative path', "req %M -d $user -m rel/Maildir", qr/not an absolute path/ ],
	);
	for my $c (@cases) {
		my ($name, $line, $why) = @$c;
		my $f = "$base/msg." . $seq++;
		SmtpdTest::spew($f, $MSG1);
		$line =~ s/%M/$f/;
		my $a = agent();
		my $ans = cmd($a, $line);
		like($ans, qr/^reply 76 4\.3\.0 agent: /, "$name: code 76, 4.3.0 agent: ...") or diag $ans;
		like($ans, $why, "$name: says why");
		is(cmd($a, 'wait'), 'exit 76', "$name: the agent exits 76 by itself");
		finish($a);
	}
	ok(!-e $md, "protocol errors: nothing delivered");
	ok(!-e $mark, "protocol errors: -p ran nothing");
}

# ------------------------------------------ end, start, death of the parent
{
	my $a = agent();
	is(cmd($a, 'empty'), 'sent', "an empty datagram sent");
	is(cmd($a, 'wait'), 'exit 0', "empty datagram: the agent exits 0");
	finish($a);

	my ($rc, $out) = SmtpdTest::run($deliver, '-A', '-d', $user);
	is($rc, 64, "-A without a socket on descriptor 3: exit 64");
	like($out, qr/not a SOCK_SEQPACKET socket/, "-A without a socket: says why");
	($rc, $out) = SmtpdTest::run($deliver, '-A', '-d', $user, '-m', '/tmp/x');
	is($rc, 64, "-A with -m: usage error");
	($rc) = SmtpdTest::run($deliver, '-A');
	is($rc, 64, "-A without -d: usage error");

	# The socket stays open in a child of the probe: no EOF, only the
	# death of its parent can end the agent.
	$a = agent();
	my $pid = agent_pid($a);
	my $w = workdir();
	is((req($a, $MSG1, @A, '-m', "$w/Maildir"))[0], 0, "an agent serving");
	my ($holder) = cmd($a, 'hold') =~ /^holder (\d+)$/;
	ok($holder, "the socket held by another process");
	kill 'KILL', $a->{pid};
	waitpid($a->{pid}, 0);
	ok(SmtpdTest::wait_for(sub { !SmtpdTest::running($pid) }, 10),
	    "the agent dies with the process that started it");
	kill 'KILL', $holder if $holder;
}

done_testing();

# 50-deliver.t: the deliver program as a stand-alone MDA (doc/deliver.8,
# spec/delivery.md §1.2-§6). Maildir: directory creation, the unique name
# with its exact ,S= size, content (trace fields, LF endings), +tag
# folders, failures that leave nothing behind (read-only, RLIMIT_FSIZE,
# a full tmpfs). mbox: From line, mboxrd quoting, concurrent deliveries,
# truncation back on a failed write, lock files. Pipes: environment,
# cwd, umask, exit status mapping, time limit. Privileges: as root it
# delivers as a test user (dtest1, created if missing) and refuses uid 0.
# Root-only parts are TAP skips for anyone else.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(:sys_wait_h uname);
use Time::HiRes qw(time sleep);
use SmtpdTest;

my $deliver = SmtpdTest::build() . "/deliver";
my $root = SmtpdTest::is_root();

my $user;
if ($root) {
	$user = 'dtest1';
	unless (defined getpwnam($user)) {
		system('useradd', '-m', '-d', "/home/$user", '-s', '/bin/sh',
		    $user) == 0 or BAIL_OUT("useradd $user failed");
	}
} else {
	$user = getpwuid($<);
}
my ($uid, $gid, $home) = (getpwnam($user))[2, 3, 7];
my $base = SmtpdTest::tempdir_public();
my $seq = 0;
my @mounts;

END { system('umount', $_) for @mounts; }

my $host = (uname())[1];
$host =~ s{/}{\\057}g;
$host =~ s{:}{\\072}g;

# A directory the delivering user owns.
sub workdir { return SmtpdTest::owned_dir("$base/w" . $seq++, $uid, $gid) }

sub spew { return SmtpdTest::spew(@_) }

sub slurp { return SmtpdTest::slurp($_[0]) }

sub entries {
	my ($dir) = @_;
	opendir(my $dh, $dir) or return ();
	my @e = sort grep { !/^\.\.?$/ } readdir $dh;
	closedir $dh;
	return @e;
}

# The shell line that runs deliver: stdin from a file (seekable, like the
# queue's descriptor) or through cat (a pipe, like another MTA), with an
# optional RLIMIT_FSIZE in 512-byte blocks (dash's ulimit -f).
sub command {
	my ($args, %o) = @_;
	my $in = "$base/in." . $seq++;
	spew($in, $o{input} // '');
	my $pre = defined $o{fsize} ? "ulimit -f $o{fsize}; " : '';
	my $sh = $o{pipe} ? "${pre}cat \"\$DLV_IN\" | \"\$@\""
	    : "${pre}exec \"\$@\" < \"\$DLV_IN\"";
	my @d = $o{nouser} ? () : ('-d', $user);
	return ($in, '/bin/sh', '-c', $sh, 'sh', $deliver, @d, @$args);
}

# Runs deliver to completion: (exit code, stdout+stderr).
sub dlv {
	my ($args, %o) = @_;
	my ($in, @cmd) = command($args, %o);
	local $ENV{DLV_IN} = $in;
	local $ENV{SECRET_VAR} = 'must not leak';
	return SmtpdTest::run(@cmd);
}

# Starts deliver in the background; reap() waits with a bound.
sub spawn {
	my ($args, %o) = @_;
	my ($in, @cmd) = command($args, %o);
	my $out = "$base/out." . $seq++;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		$ENV{DLV_IN} = $in;
		open(STDOUT, '>', $out);
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or POSIX::_exit(127);
	}
	return [$pid, $out];
}

sub reap {
	my ($p, $timeout) = @_;
	my $deadline = time + ($timeout // 60);
	while (time < $deadline) {
		return ($? >> 8, slurp($p->[1])) if waitpid($p->[0], WNOHANG) == $p->[0];
		sleep 0.05;
	}
	kill 'KILL', $p->[0];
	waitpid($p->[0], 0);
	return (-1, slurp($p->[1]));
}

sub lf { my ($t) = @_; $t =~ s/\r\n/\n/g; $t .= "\n" if length $t && $t !~ /\n\z/; return $t }

sub trace {
	my (%o) = @_;
	return "Return-Path: <" . ($o{sender} // 's@example.net') . ">\n" .
	    "X-Original-To: " . ($o{orig} // $o{rcpt} // 'rcpt@example.org') . "\n" .
	    "Delivered-To: " . ($o{rcpt} // 'rcpt@example.org') . "\n";
}

my @A = ('-f', 's@example.net', '-r', 'rcpt@example.org');
my $MSG = "Received: from x\r\nSubject: test\r\nFrom: a\@b\r\n\r\n" .
    "line one\r\nFrom the body\r\n>From quoted\r\nbare\rcr\r\n8bit \xc3\xa9\x00\xff\r\n";
my $NAME_RE = qr/^(\d+)\.M(\d+)P(\d+)Q(\d+)\.\Q$host\E,S=(\d+)$/;

# ------------------------------------------------------------- Maildir
{
	my $w = workdir();
	my $md = "$w/mail/Maildir";
	my ($rc, $out) = dlv([@A, '-o', 'orig@example.org', '-m', $md], input => $MSG);
	is($rc, 0, "maildir: exit 0") or diag $out;
	is($out, '', "maildir: silent on success");
	for my $sub ('', '/tmp', '/new', '/cur', '/..') {
		my @st = stat("$md$sub");
		ok(@st && -d _, "maildir: $md$sub created");
		is($st[2] & 07777, 0700, "maildir: $md$sub mode 0700") if @st;
		is($st[4], $uid, "maildir: $md$sub owned by $user") if @st;
	}
	my @new = entries("$md/new");
	is(scalar @new, 1, "maildir: one file in new/");
	is_deeply([entries("$md/tmp")], [], "maildir: tmp/ empty");
	my @m = ($new[0] // '') =~ $NAME_RE;
	ok(@m, "maildir: name matches SECONDS.M<usec>P<pid>Q<n>.HOST,S=<size>")
	    or diag $new[0];
	my $f = "$md/new/$new[0]";
	my $want = trace(orig => 'orig@example.org') . lf($MSG);
	is(slurp($f), $want, "maildir: content is trace fields + LF message, nothing else changed");
	is($m[4], -s $f, "maildir: ,S= is the exact file size") if @m;
	is($m[3], 1, "maildir: Q1 for the first delivery of the process") if @m;
	ok(abs($m[0] - time) < 60, "maildir: SECONDS is now") if @m;
	my @st = stat($f);
	is($st[2] & 07777, 0600, "maildir: file mode 0600");
	is($st[4], $uid, "maildir: file owned by $user");

	# The same message through a pipe, with LF endings, or a From_ line.
	my @before = entries("$md/new");
	($rc) = dlv([@A, '-o', 'orig@example.org', '-m', $md], input => $MSG, pipe => 1);
	is($rc, 0, "maildir, piped input: exit 0");
	(my $lfmsg = $MSG) =~ s/\r\n/\n/g;
	($rc) = dlv([@A, '-o', 'orig@example.org', '-m', $md], input => $lfmsg);
	is($rc, 0, "maildir, LF input: exit 0");
	($rc) = dlv([@A, '-o', 'orig@example.org', '-m', $md],
	    input => "From s\@example.net Thu Nov 21 09:10:00 2024\n$lfmsg", pipe => 1);
	is($rc, 0, "maildir, input with an mbox From_ line: exit 0");
	my %seen = map { $_ => 1 } @before;
	my @added = grep { !$seen{$_} } entries("$md/new");
	is(scalar @added, 3, "three more files");
	for my $n (@added) {
		is(slurp("$md/new/$n"), $want, "maildir: $n has the same content");
		my ($size) = $n =~ /,S=(\d+)$/;
		is($size, -s "$md/new/$n", "maildir: $n size hint exact");
	}

	# No final newline; the null sender; -n.
	($rc) = dlv(['-f', '', '-r', 'a@x', '-m', "$w/nonl"], input => "A: b\r\n\r\nno newline");
	is($rc, 0, "maildir, no final newline: exit 0");
	my ($nf) = entries("$w/nonl/new");
	is(slurp("$w/nonl/new/$nf"), "Return-Path: <>\nX-Original-To: a\@x\nDelivered-To: a\@x\n" .
	    "A: b\n\nno newline\n", "maildir: newline added, Return-Path: <> for the null sender");
	($rc) = dlv(['-n', '-m', "$w/notrace"], input => "Delivered-To: rcpt\@example.org\r\n\r\nx\r\n");
	is($rc, 0, "-n: exit 0 (no loop check)");
	($nf) = entries("$w/notrace/new");
	is(slurp("$w/notrace/new/$nf"), "Delivered-To: rcpt\@example.org\n\nx\n", "-n: no trace fields");
}

# Large messages: the measured size must be exact on both input paths
# (file: read in place; pipe: past the 1 MiB memory bound, spilled).
{
	my $w = workdir();
	my $body = join('', map { sprintf("line %07d %s\r\n", $_, 'x' x ($_ % 97)) } 1 .. 40000);
	my $msg = "Subject: big\r\n\r\n$body";
	for my $pipe (0, 1) {
		my $md = "$w/big$pipe";
		my ($rc, $out) = dlv([@A, '-m', $md], input => $msg, pipe => $pipe);
		is($rc, 0, "large message, pipe=$pipe: exit 0") or diag $out;
		my ($n) = entries("$md/new");
		my ($size) = ($n // '') =~ /,S=(\d+)$/;
		ok(length($msg) > 2 * 1024 * 1024, "large message is over 2 MiB");
		is($size, -s "$md/new/$n", "large message, pipe=$pipe: size hint exact");
		ok(slurp("$md/new/$n") eq trace() . lf($msg), "large message, pipe=$pipe: content exact");
		is_deeply([entries("$md/tmp")], [], "large message, pipe=$pipe: tmp/ empty (no spill file left)");
	}
}

# +tag folders: used only when they exist, never created.
{
	my $w = workdir();
	my $md = "$w/Maildir";
	my ($rc) = dlv([@A, '-a', 'lists', '-m', $md], input => $MSG);
	is($rc, 0, "tag without folder: exit 0");
	is(scalar entries("$md/new"), 1, "tag without folder: delivered to the root");
	ok(!-e "$md/.lists", "tag without folder: no folder created");
	for my $sub ('', '/tmp', '/new', '/cur') {
		mkdir "$md/.lists$sub", 0700;
		chown $uid, $gid, "$md/.lists$sub";
	}
	($rc) = dlv([@A, '-a', 'lists', '-m', $md], input => $MSG);
	is($rc, 0, "tag with folder: exit 0");
	is(scalar entries("$md/.lists/new"), 1, "tag with folder: delivered to .lists");
	($rc) = dlv([@A, '-a', 'Lists', '-m', $md], input => $MSG);
	is(scalar entries("$md/.lists/new"), 2, "tag Lists: the lower-case folder .lists");
	for my $bad ('../lists', '.lists', 'a/b', 'lists/..') {
		($rc) = dlv([@A, '-a', $bad, '-m', $md], input => $MSG);
		is($rc, 0, "tag '$bad': exit 0");
	}
	is(scalar entries("$md/new"), 5, "unusable tags: delivered to the root");
	is(scalar entries("$md/.lists/new"), 2, "unusable tags: not to the folder");
}

# Failures leave nothing half-written.
{
	my $w = workdir();
	my $md = "$w/ro";
	my ($rc) = dlv([@A, '-m', $md], input => $MSG);
	chmod 0500, "$md/tmp", "$md/new", "$md/cur", $md;
	($rc, my $out) = dlv([@A, '-m', $md], input => $MSG);
	is($rc, 75, "read-only Maildir: exit 75 (temporary)");
	like($out, qr/^4\.2\.0 /, "read-only Maildir: 4.2.0 on stderr");
	is_deeply([entries("$md/tmp")], [], "read-only Maildir: nothing in tmp/");
	is(scalar entries("$md/new"), 1, "read-only Maildir: new/ unchanged");
	chmod 0700, "$md/tmp", $md;		# tmp/ writable, new/ not
	($rc, $out) = dlv([@A, '-m', $md], input => $MSG);
	is($rc, 75, "read-only new/: exit 75");
	is_deeply([entries("$md/tmp")], [], "read-only new/: the tmp file is removed");
	chmod 0700, "$md/new", "$md/cur";

	# RLIMIT_FSIZE: EFBIG is "mailbox full", permanent 5.2.2 (§2.4).
	($rc, $out) = dlv([@A, '-m', $md], input => $MSG . ('y' x 8000), fsize => 1);
	is($rc, 73, "RLIMIT_FSIZE: exit 73 (5.2.2 mailbox full, §2.4)");
	like($out, qr/^5\.2\.2 mailbox full: /, "RLIMIT_FSIZE: 5.2.2 mailbox full");
	is_deeply([entries("$md/tmp")], [], "RLIMIT_FSIZE: nothing left in tmp/");
	is(scalar entries("$md/new"), 1, "RLIMIT_FSIZE: nothing added to new/");

	# A path component that is a file.
	spew("$w/file", "x");
	($rc, $out) = dlv([@A, '-m', "$w/file/Maildir"], input => $MSG);
	is($rc, 75, "Maildir under a file: exit 75");
	($rc, $out) = dlv([@A, '-m', "relative/Maildir"], input => $MSG);
	is($rc, 64, "relative Maildir path: usage error");
}

SKIP: {
	skip "needs root to mount a small tmpfs", 5 unless $root;
	my $w = workdir();
	my $mnt = "$w/full";
	mkdir $mnt;
	system('mount', '-t', 'tmpfs', '-o', "size=64k,mode=0700,uid=$uid,gid=$gid",
	    'tmpfs', $mnt) == 0 or skip "cannot mount tmpfs here", 5;
	push @mounts, $mnt;
	my ($rc, $out) = dlv([@A, '-m', "$mnt/Maildir"], input => 'S: x' . ("z" x 200000));
	is($rc, 75, "full file system: exit 75 (temporary)");
	like($out, qr/^4\.3\.0 /, "full file system: 4.3.0 (ENOSPC)");
	is_deeply([entries("$mnt/Maildir/tmp")], [], "full file system: nothing in tmp/");
	is_deeply([entries("$mnt/Maildir/new")], [], "full file system: nothing in new/");
	($rc) = dlv([@A, '-m', "$mnt/Maildir"], input => $MSG);
	is($rc, 0, "full file system: a small message still fits");
}

# Loop detection (§4).
{
	my $w = workdir();
	my ($rc, $out) = dlv([@A, '-m', "$w/Maildir"],
	    input => "X: y\r\nDelivered-To: <RCPT\@Example.org>\r\n\r\nbody\r\n");
	is($rc, 65, "Delivered-To loop: exit 65");
	like($out, qr/^5\.4\.6 mail forwarding loop for rcpt\@example\.org/, "Delivered-To loop: 5.4.6");
	is_deeply([entries("$w/Maildir/new")], [], "Delivered-To loop: nothing delivered");
	($rc) = dlv([@A, '-m', "$w/Maildir"],
	    input => "X: y\r\n\r\nDelivered-To: rcpt\@example.org\r\n");
	is($rc, 0, "Delivered-To in the body: no loop");
}

# ---------------------------------------------------------------- mbox
{
	my $w = workdir();
	my $mb = "$w/mbox";
	my ($rc, $out) = dlv([@A, '-M', $mb], input => $MSG);
	is($rc, 0, "mbox: exit 0") or diag $out;
	my @st = stat($mb);
	is($st[2] & 07777, 0600, "mbox: created 0600");
	is($st[4], $uid, "mbox: owned by $user");
	my $t = slurp($mb);
	my $from = qr/From s\@example\.net [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/;
	(my $q = lf($MSG)) =~ s/^(>*From )/>$1/mg;
	like($t, qr/\A$from\Q${\ trace()}$q\E\n\z/, "mbox: From line, trace fields, mboxrd-quoted message, empty line");
	like($t, qr/^>From the body$/m, "mbox: From quoted");
	like($t, qr/^>>From quoted$/m, ">From quoted again (mboxrd)");
	ok(!-e "$mb.lock", "mbox: dot-lock removed");
	($rc) = dlv(['-f', '', '-r', 'a@x', '-M', $mb], input => "A: b\n\nno newline");
	is($rc, 0, "mbox: second append");
	like(slurp($mb), qr/\A\Q$t\EFrom MAILER-DAEMON .*\nReturn-Path: <>\n.*\nA: b\n\nno newline\n\n\z/s,
	    "mbox: appended after the first, null sender");

	# Truncated back after a failed write (RLIMIT_FSIZE mid-message).
	my $before = slurp($mb);
	my $limit = int(length($before) / 512) + 2;
	($rc, $out) = dlv([@A, '-M', $mb], input => $MSG . ('q' x 20000), fsize => $limit);
	is($rc, 73, "mbox, write fails half-way: exit 73 (5.2.2)");
	like($out, qr/^5\.2\.2 /, "mbox, write fails half-way: 5.2.2");
	ok(slurp($mb) eq $before, "mbox: truncated back to the original bytes");
	ok(!-e "$mb.lock", "mbox: dot-lock removed after the failure");

	# A stale dot-lock is removed; a symlink or a second link is refused.
	spew("$mb.lock", "99999\n");
	utime(time - 1000, time - 1000, "$mb.lock");
	($rc) = dlv([@A, '-M', $mb], input => $MSG);
	is($rc, 0, "mbox: stale dot-lock removed");
	ok(!-e "$mb.lock", "mbox: no lock left");
	symlink($mb, "$w/link");
	($rc, $out) = dlv([@A, '-M', "$w/link"], input => $MSG);
	is($rc, 75, "mbox symlink: exit 75");
	link($mb, "$w/hard");
	($rc, $out) = dlv([@A, '-M', $mb], input => $MSG);
	is($rc, 75, "mbox with two links: exit 75");
	like($out, qr/^4\.2\.0 .*2 links/, "mbox with two links: 4.2.0");
	unlink "$w/hard";
	($rc) = dlv([@A, '-M', '/dev/null'], input => $MSG);
	is($rc, 0, "mbox /dev/null: exit 0");
}

# Concurrent deliveries to one mbox: every message whole, none interleaved.
{
	my $w = workdir();
	my $mb = "$w/mbox";
	my %msg;
	for my $c ('a' .. 'd') {
		$msg{$c} = "Subject: $c\n\n" . join('', map { "$c$c$c $_ " . ($c x 60) . "\n" } 1 .. 20000);
	}
	# First with a dot-lock held by us for a while: all must wait for it.
	spew("$mb.lock", "$$\n");
	my @p = map { spawn(['-f', "$_\@x", '-r', 'r@x', '-M', $mb], input => $msg{$_}, pipe => $_ eq 'b') } 'a', 'b';
	sleep 1.5;
	is(-s $mb // 0, 0, "mbox locked: nobody wrote");
	unlink "$mb.lock";
	push @p, map { spawn(['-f', "$_\@x", '-r', 'r@x', '-M', $mb], input => $msg{$_}) } 'c', 'd';
	for my $p (@p) {
		my ($rc, $out) = reap($p, 60);
		is($rc, 0, "concurrent delivery: exit 0") or diag $out;
	}
	my $t = slurp($mb);
	my @parts = split /^(?=From [a-d]\@x )/m, $t;
	is(scalar @parts, 4, "concurrent: four messages");
	my %got;
	for my $part (@parts) {
		my ($c) = $part =~ /^From ([a-d])\@x / or next;
		$part =~ s/\AFrom [^\n]*\n//;
		$got{$c} = $part;
	}
	for my $c ('a' .. 'd') {
		ok(defined $got{$c} && $got{$c} eq trace(sender => "$c\@x", rcpt => 'r@x') . $msg{$c} . "\n",
		    "concurrent: message $c intact");
	}
	ok(!-e "$mb.lock", "concurrent: no lock left");
}

# ---------------------------------------------------------------- pipe
{
	my $w = workdir();
	my ($rc, $out) = dlv(['-f', 's@example.net', '-r', 'rcpt+ext@example.org', '-o', 'orig@example.org',
	    '-a', 'ext', '-p', "env > $w/env; cat > $w/piped; pwd > $w/pwd; umask > $w/umask"],
	    input => $MSG);
	is($rc, 0, "pipe: exit 0") or diag $out;
	my %env = map { /^([^=]+)=(.*)$/ } split /\n/, slurp("$w/env");
	delete $env{PWD};			# the shell's own
	is_deeply(\%env, {
		DOMAIN => 'example.org', EXTENSION => 'ext', HOME => $home,
		LOCAL => 'rcpt+ext', LOGNAME => $user,
		ORIGINAL_RECIPIENT => 'orig@example.org',
		PATH => '/usr/bin:/bin:/usr/sbin:/sbin',
		RECIPIENT => 'rcpt+ext@example.org', SENDER => 's@example.net',
		SHELL => '/bin/sh', USER => $user,
	}, "pipe: exactly the environment of §6");
	is(slurp("$w/piped"), trace(rcpt => 'rcpt+ext@example.org', orig => 'orig@example.org') . lf($MSG),
	    "pipe: stdin is trace fields + LF message");
	is(slurp("$w/pwd"), "$home\n", "pipe: cwd is HOME");
	is(slurp("$w/umask"), "0077\n", "pipe: umask 077");

	($rc) = dlv(['-f', '', '-r', 'r@x', '-p', "env > $w/env2"], input => $MSG);
	%env = map { /^([^=]+)=(.*)$/ } split /\n/, slurp("$w/env2");
	ok(!exists $env{EXTENSION}, "pipe: no EXTENSION without a tag");
	is($env{SENDER}, '', "pipe: SENDER empty for <>");

	my @cases = (
		[ 'exit 0', 0, qr/\A\z/ ],
		[ 'echo hello; exit 67', 67, qr/^5\.1\.1 user unknown: "hello"$/ ],
		[ 'echo busy >&2; exit 75', 75, qr/^4\.3\.0 temporary failure: "busy"$/ ],
		[ 'exit 71', 75, qr/^4\.3\.0 system resource problem$/ ],
		[ 'printf "first\\nlast\\tline\\n\\n"; exit 3', 70,
		    qr/^5\.3\.0 unknown mail system error 3: "last\\tline"$/ ],
		[ 'echo "4.2.2 over quota"; exit 1', 75, qr/^4\.2\.2 over quota$/ ],
		[ 'echo "5.7.1 go away"; exit 75', 77, qr/^5\.7\.1 go away$/ ],
		[ 'exec true', 0, qr/\A\z/ ],			# never reads stdin
		[ 'kill -9 $$', 75, qr/^4\.3\.0 Command died with signal 9$/ ],
	);
	for my $c (@cases) {
		($rc, $out) = dlv([@A, '-p', $c->[0]], input => $MSG . ('big' x 100000));
		is($rc, $c->[1], "pipe '$c->[0]': exit $c->[1]");
		like($out, $c->[2], "pipe '$c->[0]': diagnostic");
	}
	my $t0 = time;
	($rc, $out) = dlv([@A, '-t', '1', '-p', 'sleep 30'], input => $MSG);
	is($rc, 70, "pipe time limit: exit 70 (permanent)");
	like($out, qr/^5\.3\.0 Command time limit exceeded$/, "pipe time limit: 5.3.0");
	ok(time - $t0 < 10, "pipe time limit: ended in time");
	($rc, $out) = dlv([@A, '-t', '1', '-p', 'trap "" TERM; sleep 8'], input => $MSG);
	is($rc, 70, "pipe ignoring SIGTERM: killed, exit 70");
}

# -------------------------------------------------------- privileges
{
	my ($rc, $out) = SmtpdTest::run($deliver, '-d', 'root', '-m', "$base/rootmail");
	is($rc, 77, "-d root: exit 77");
	ok(!-e "$base/rootmail", "-d root: nothing created");
	($rc, $out) = SmtpdTest::run($deliver, '-d', 'no-such-user-x', '-m', "$base/x");
	is($rc, 67, "unknown user: exit 67");
	like($out, qr/^5\.1\.1 user unknown/, "unknown user: 5.1.1");
	($rc, $out) = SmtpdTest::run($deliver, '-x');
	is($rc, 64, "bad option: exit 64");
}

SKIP: {
	skip "root only: privilege drop", 4 unless $root;
	my ($rc, $out) = SmtpdTest::run($deliver, '-m', "$base/x");
	is($rc, 77, "as root without -d: exit 77");
	like($out, qr/refusing to run as root/, "as root without -d: says why");
	my $w = workdir();
	chmod 0700, $w;
	($rc) = dlv([@A, '-p', "id -u > $w/id; id -G > $w/groups"], input => $MSG);
	is(slurp("$w/id"), "$uid\n", "as root: the command runs as $user");
	unlike(slurp("$w/groups"), qr/\b0\b/, "as root: no root group left");
}

SKIP: {
	skip "not root: delivering for another user", 1 if $root;
	my ($rc) = SmtpdTest::run($deliver, '-d', 'nobody', '-m', "$base/x");
	is($rc, 77, "as $user, -d nobody: exit 77");
}

SKIP: {
	skip "root only: default Maildir of $user", 3 unless $root && -d $home;
	system('rm', '-rf', "$home/Maildir");
	my ($rc) = dlv([@A], input => $MSG);
	is($rc, 0, "default Maildir: exit 0");
	my @new = entries("$home/Maildir/new");
	is(scalar @new, 1, "default Maildir: ~$user/Maildir/new");
	is((stat("$home/Maildir/new/$new[0]"))[4], $uid, "default Maildir: owned by $user");
	system('rm', '-rf', "$home/Maildir");
}

SKIP: {
	skip "root only: the system spool", 7 unless $root && -d '/var/mail';
	my $sp = "/var/mail/$user";
	unlink $sp, "$sp.lock";
	my ($rc, $out) = dlv([@A, '-s'], input => $MSG);
	is($rc, 0, "spool: exit 0") or diag $out;
	my @st = stat($sp);
	is($st[4], $uid, "spool: owned by $user");
	my $mailgid = getgrnam('mail');
	if (defined $mailgid && (stat('/var/mail'))[5] == $mailgid) {
		is($st[5], $mailgid, "spool: group mail");
		is($st[2] & 07777, 0660, "spool: mode 0660");
	} else {
		is($st[2] & 07777, 0600, "spool: mode 0600") for 1 .. 2;
	}
	like(slurp($sp), qr/\AFrom s\@example\.net .*\n\Q${\ trace()}\E/, "spool: content");
	ok(!-e "$sp.lock", "spool: the root parent removed the dot-lock");
	chown 0, 0, $sp;
	($rc) = dlv([@A, '-s'], input => $MSG);
	is($rc, 75, "spool owned by someone else: exit 75");
	unlink $sp, "$sp.lock";
}

done_testing();

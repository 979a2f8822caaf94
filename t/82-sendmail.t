# 82-sendmail.t: the sendmail personality of smtpctl (spec/ctl.md section
# 9) against the real daemon: -t with To/Cc/Bcc (Bcc removed, all three
# delivered), -f/-F, a lone "." with and without -i/-oi, -bs speaking
# SMTP on stdin/stdout, the ESMTP parameters of -N/-R/-V/-B seen with -v,
# the exit codes (usage 64, permanent rejection 69), the local session
# (`from socket` rules, Received: from localhost), offline submission
# while smtpd is stopped - as the runner and, as root, as another user -
# picked up and delivered at the next start, and mail(1) from GNU
# mailutils submitting through our sendmail.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IPC::Open2;
use POSIX ();
use Time::HiRes qw(sleep time);
use SmtpdTest;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;
my $sendmail = SmtpdTest::build() . "/sendmail";
my $me = getpwuid($<);

my $d = SmtpdTest->new(conf => <<"EOF");
listen on 127.0.0.1 port \@PORT\@
table catchall { "\@" = "$user" }
action "local" maildir "\@DIR\@/mail/%{user.username}/Maildir" virtual <catchall>
match from socket for domain "sock.example" action "local"
match from any for domain "reject.example" reject
match from local for domain "example.org" action "local"
EOF
$d->shared_dirs("mail");
$d->start;
my $new = $d->dir . "/mail/$user/Maildir/new";

# Run sendmail (or prog) with input on stdin, as `as` if given (root
# only); returns (exit status, stdout, stderr).
my $runs = 0;
my $sanitizer = '';
sub sendmail {
	my (%o) = @_;
	$runs++;
	my $in = $d->write_file("sm-in-$runs", $o{input} // "");
	my $out = $d->dir . "/sm-out-$runs";
	my $err = $d->dir . "/sm-err-$runs";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', $in) or POSIX::_exit(126);
		open(STDOUT, '>', $out) or POSIX::_exit(126);
		open(STDERR, '>', $err) or POSIX::_exit(126);
		$ENV{SMTPD_CONF} = $d->conf_path;
		if (defined $o{as}) {
			my ($uid, $gid, $home) = (getpwnam($o{as}))[2, 3, 7];
			$ENV{HOME} = $home;
			POSIX::setgid($gid);
			$) = "$gid $gid";
			POSIX::setuid($uid) or POSIX::_exit(125);
		}
		my @cmd = $o{cmd} ? @{ $o{cmd} } : ($sendmail, @{ $o{args} // [] });
		exec(@cmd) or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	my $e = SmtpdTest::slurp($err);
	$sanitizer .= $e if $e =~ /runtime error|ERROR: AddressSanitizer/;
	return ($? >> 8, SmtpdTest::slurp($out), $e);
}

# The delivered messages whose Subject: is $subject, once there are $n.
sub delivered {
	my ($subject, $n) = @_;
	my @m;
	SmtpdTest::wait_for(sub {
		@m = grep { /^Subject: \Q$subject\E$/m }
		    map { SmtpdTest::slurp($_) } SmtpdTest::maildir_files($new);
		@m >= $n;
	});
	return @m;
}

sub header { my ($m) = @_; return (split /\n\n/, $m, 2)[0] // '' }
sub body { my ($m) = @_; return (split /\n\n/, $m, 2)[1] // '' }

# ---------------------------------------------------------------- -t
{
	my ($rc, $out, $err) = sendmail(args => ['-t'], input =>
	    "To: The To <to\@example.org>\nCc: cc\@example.org\n" .
	    "Bcc: bcc\@example.org\nSubject: t-flag\n\nbody of t\n");
	is($rc, 0, "-t: exit 0") or diag($err);
	my @m = delivered("t-flag", 3);
	is(scalar @m, 3, "-t: To, Cc and Bcc each got the message");
	my %rcpt = map { header($_) =~ /^X-Original-To: (\S+)$/m ? ($1 => 1) : () } @m;
	is_deeply([sort keys %rcpt], ['bcc@example.org', 'cc@example.org', 'to@example.org'],
	    "-t: the three recipients");
	ok(!(grep { header($_) =~ /^Bcc:/mi } @m), "-t: Bcc: removed from every copy");
	my $h = header($m[0] // '');
	like($h, qr/^Cc: cc\@example\.org$/m, "Cc: kept");
	like($h, qr/^From: .*<?\Q$me\E\@[^>\s]+>?$/m, "From: added for the caller");
	like($h, qr/^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [-+]\d{4}$/m, "Date: added");
	like($h, qr/^Message-Id: <[^@>\s]+\@[^>\s]+>$/m, "Message-Id: added");
	like($h, qr/^Return-Path: <\Q$me\E\@[^>]+>$/m, "default sender: login\@servername");
	like($h, qr/^Received: from localhost \(localhost\)$/m, "Received: a local session");
	is(body($m[0] // ''), "body of t\n", "the body");
	like($d->log, qr/smtp event=connected address=local listener=\S+ enqueue uid=$<\b/,
	    "the session is local and knows the caller's uid");
}

# ---------------------------------------------------------------- -f -F
{
	my ($rc, $out, $err) = sendmail(args => ['-f', '<boss@example.net>', '-F', 'The "Big" Boss',
	    'f@example.org'], input => "Subject: f-flag\n\nx\n");
	is($rc, 0, "-f: exit 0") or diag($err);
	my ($m) = delivered("f-flag", 1);
	like(header($m // ''), qr/^Return-Path: <boss\@example\.net>$/m, "-f: the envelope sender, brackets stripped");
	like(header($m // ''), qr/^From: "The \\"Big\\" Boss" <boss\@example\.net>$/m, "-F: the name in From:");

	($rc, $out, $err) = sendmail(args => ['-f', '', 'null@example.org'], input => "Subject: f-null\n\nx\n");
	is($rc, 0, "-f '': exit 0") or diag($err);
	($m) = delivered("f-null", 1);
	like(header($m // ''), qr/^Return-Path: <>$/m, "-f '': the null sender");

	($rc, $out, $err) = sendmail(args => ['-r', 'someone', 'r@example.org'], input => "Subject: f-unq\n\nx\n");
	is($rc, 0, "-r: exit 0") or diag($err);
	($m) = delivered("f-unq", 1);
	like(header($m // ''), qr/^Return-Path: <someone\@[^>]+\.?[^>]*>$/m, "-r: an unqualified name gets \@servername");

	($rc, $out, $err) = sendmail(args => ['-f', 'a b@x', 'r@example.org'], input => "x\n");
	is($rc, 64, "-f with a bad address: exit 64");
}

# ---------------------------------------------------------------- lone dot
{
	my $in = "Subject: dot-%s\n\nbefore\n.\nafter\n";
	my ($rc) = sendmail(args => ['dot@example.org'], input => sprintf($in, "plain"));
	is($rc, 0, "lone dot: exit 0");
	my ($m) = delivered("dot-plain", 1);
	is(body($m // ''), "before\n", "without -i a lone \".\" ends the input");

	($rc) = sendmail(args => ['-i', 'dot@example.org'], input => sprintf($in, "i"));
	($m) = delivered("dot-i", 1);
	is(body($m // ''), "before\n.\nafter\n", "-i: the \".\" line is data, dot-stuffed on the wire");

	($rc) = sendmail(args => ['-oi', 'dot@example.org'], input => sprintf($in, "oi"));
	($m) = delivered("dot-oi", 1);
	is(body($m // ''), "before\n.\nafter\n", "-oi: the same");

	($rc) = sendmail(args => ['dot@example.org'],
	    input => "From bob Sat Nov 21 12:00:00 2026\r\nSubject: dot-crlf\r\n\r\n..x\r\nend");
	($m) = delivered("dot-crlf", 1);
	unlike($m // '', qr/^From bob/m, "a leading mbox From_ line is dropped");
	is(body($m // ''), "..x\nend\n", "CRLF input, a last line without a newline");
}

# ---------------------------------------------------------------- -bs
{
	local $ENV{SMTPD_CONF} = $d->conf_path;
	my ($rd, $wr);
	my $pid = open2($rd, $wr, $sendmail, '-bs');
	my $t = '';
	my $say = sub {
		my ($line) = @_;
		print $wr "$line\r\n" if defined $line;
		$wr->flush;
		my $r = SmtpdTest::read_reply($rd, 10);
		$t .= $r;
		return $r;
	};
	like($say->(undef), qr/^220 /, "-bs: the greeting on stdout");
	like($say->("EHLO client.example"), qr/^250[ -]/m, "-bs: EHLO");
	like($say->("MAIL FROM:<bs\@example.net>"), qr/^250 /, "-bs: MAIL");
	like($say->("RCPT TO:<bs\@example.org>"), qr/^250 /, "-bs: RCPT");
	like($say->("DATA"), qr/^354 /, "-bs: DATA");
	like($say->("Subject: bs-mode\r\n\r\nspoken over stdin\r\n."), qr/^250 /, "-bs: accepted");
	like($say->("QUIT"), qr/^221 /, "-bs: QUIT");
	close $wr;
	waitpid($pid, 0);
	is($? >> 8, 0, "-bs: exit 0 once smtpd closed");
	my ($m) = delivered("bs-mode", 1);
	like(header($m // ''), qr/^Return-Path: <bs\@example\.net>$/m, "-bs: delivered");
	is(body($m // ''), "spoken over stdin\n", "-bs: the body");
}

# ---------------------------------------------------------------- -v, DSN
{
	my ($rc, $out, $err) = sendmail(args => ['-v', '-N', 'failure,DELAY', '-R', 'hdrs',
	    '-V', 'env+id', '-B', '8bitmime', 'v@example.org'], input => "Subject: v-flag\n\nx\n");
	is($rc, 0, "-v: exit 0") or diag($err);
	like($err, qr/^>>> MAIL FROM:<\Q$me\E\@\S+> SIZE=\d+ BODY=8BITMIME RET=HDRS ENVID=env\+2Bid$/m,
	    "-v: MAIL FROM with SIZE, BODY, RET and ENVID (xtext)");
	like($err, qr/^>>> RCPT TO:<v\@example\.org> NOTIFY=FAILURE,DELAY$/m, "-N: NOTIFY on RCPT");
	like($err, qr/^<<< 250 2\.0\.0 [0-9a-f]{8} /m, "-v: the final reply");
	ok(delivered("v-flag", 1), "-v: delivered");
}

# ---------------------------------------------------------------- rules, errors
{
	my ($rc, $out, $err) = sendmail(args => ['s@sock.example'], input => "Subject: from-socket\n\nx\n");
	is($rc, 0, "a `from socket` rule matches a sendmail session") or diag($err);
	ok(delivered("from-socket", 1), "from socket: delivered");

	($rc, $out, $err) = sendmail(args => ['x@reject.example'], input => "Subject: no\n\nx\n");
	is($rc, 69, "a permanent rejection: exit 69");
	like($err, qr/^sendmail: 5\d\d /m, "the reply on stderr");

	($rc, $out, $err) = sendmail(args => [], input => "Subject: none\n\nx\n");
	is($rc, 64, "no recipient: exit 64");
	like($err, qr/^sendmail: no recipients$/m, "no recipients: said so");
	($rc, $out, $err) = sendmail(args => ['-t'], input => "Subject: none\n\nx\n");
	is($rc, 64, "-t and no recipient field: exit 64");
	($rc, $out, $err) = sendmail(args => ['-k', 'a@example.org']);
	is($rc, 64, "unknown flag: exit 64");
	like($err, qr/^usage: sendmail \[-tv\] \[-f from\] \[-F name\] to \.\.\.$/m, "the usage line");
	($rc) = sendmail(args => ['-bd']);
	is($rc, 64, "-bd: exit 64");
	($rc) = sendmail(args => ['-q30m']);
	is($rc, 64, "-q30m: exit 64");
	($rc) = sendmail(args => ['-N', 'sometimes', 'a@example.org']);
	is($rc, 64, "-N with a bad value: exit 64");

	SKIP: {
		skip "pause smtp needs root", 3 unless SmtpdTest::is_root();
		my $smtpctl = SmtpdTest::build() . "/smtpctl";
		($rc, $out, $err) = sendmail(cmd => [$smtpctl, 'pause', 'smtp']);
		($rc, $out, $err) = sendmail(args => ['p@example.org'], input => "Subject: paused\n\nx\n");
		is($rc, 75, "smtp paused: exit 75");
		like($err, qr/^sendmail: server disallowed submission request: smtp is paused$/m, "smtp paused: said so");
		($rc) = sendmail(cmd => [$smtpctl, 'resume', 'smtp']);
		is($rc, 0, "resume smtp");
	}

	($rc, $out, $err) = sendmail(args => [qw(-oem -odb -U -x -m -n -e x -h 5 -L id -O Opt=1 -p x -G
	    -C /nonexistent -A c -E -S -J -bm), 'ign@example.org'], input => "Subject: ignored-flags\n\nx\n");
	is($rc, 0, "compatibility flags are accepted and ignored") or diag($err);
	ok(delivered("ignored-flags", 1), "ignored flags: delivered");
}

# ---------------------------------------------------------------- mail(1)
SKIP: {
	my ($mrc, $ver) = SmtpdTest::run("mail", "--version");
	skip "mail(1) from GNU mailutils is not installed", 3
	    unless $mrc == 0 && $ver =~ /GNU Mailutils/;
	my ($rc, $out, $err) = sendmail(cmd => ['mail', '-s', 'mailutils-subject', '-E',
	    "set sendmail=sendmail://$sendmail", 'mu@example.org'], input => "sent by mail(1)\n");
	is($rc, 0, "mail(1) through our sendmail: exit 0") or diag($err);
	my ($m) = delivered("mailutils-subject", 1);
	like(header($m // ''), qr/^X-Original-To: mu\@example\.org$/m, "mail(1): delivered");
	like($m // '', qr/\n\nsent by mail\(1\)\n/, "mail(1): the body");
}

# ---------------------------------------------------------------- offline
$d->stop;
my $off = $d->spool . "/offline";
my @mode = stat($off);
is($mode[2] & 07777, 01777, "offline/ is world-writable and sticky") if SmtpdTest::is_root();
{
	my ($rc, $out, $err) = sendmail(args => ['off1@example.org'], input => "Subject: offline-me\n\nwhile down\n");
	is($rc, 0, "smtpd stopped: sendmail exits 0") or diag($err);
	is($err, '', "silently");
	my @f = SmtpdTest::maildir_files($off);
	is(scalar @f, 1, "one file in offline/");
	my @st = stat($f[0] // '/');
	is($st[4], $<, "owned by the caller");
	is($st[2] & 0777, 0600, "mode 0600");
}
my $other = SmtpdTest::is_root() ? $user : undef;
SKIP: {
	skip "another user's submission needs root", 2 unless defined $other;
	my ($rc, $out, $err) = sendmail(as => $other, args => ['off2@example.org'],
	    input => "Subject: offline-user\n\nfrom $other\n");
	is($rc, 0, "as $other: exit 0") or diag($err);
	my @mine = grep { (stat($_))[4] == scalar getpwnam($other) } SmtpdTest::maildir_files($off);
	is(scalar @mine, 1, "a file owned by $other");
	# A symlink planted there is never followed.
	symlink("/etc/passwd", "$off/planted");
}
is(scalar(grep { SmtpdTest::slurp($_) =~ /^Subject: offline-/m } SmtpdTest::maildir_files($new)), 0,
    "nothing delivered while smtpd is down");
# Not an offline file: set aside. Readable by others: not one of ours.
chmod 0600, $d->write_file("$off/garbage", "not an offline file\n");
$d->write_file("$off/public", "x\n");

my $d2 = SmtpdTest->new(dir => $d->dir, no_conf => 1);
$d2->start;
{
	my ($m) = delivered("offline-me", 1);
	ok($m, "picked up and delivered at start");
	like(header($m // ''), qr/^Return-Path: <\Q$me\E\@[^>]+>$/m, "the caller's sender");
	is(body($m // ''), "while down\n", "the body");
	# The submitter logs once sendmail has exited, which may be after the delivery.
	ok($d2->wait_log(qr/offline event=submitted file=\S+ uid=$< result=Ok/), "logged");
}
SKIP: {
	skip "another user's submission needs root", 4 unless defined $other;
	my ($m) = delivered("offline-user", 1);
	ok($m, "${other}'s message delivered");
	like(header($m // ''), qr/^Return-Path: <\Q$other\E\@[^>]+>$/m, "submitted as $other");
	my $ouid = getpwnam($other);
	ok($d2->wait_log(qr/offline event=submitted file=\S+ uid=$ouid result=Ok/), "as ${other}'s uid");
	like($d2->log, qr/offline event=skip file=planted /, "the symlink is skipped");
}
ok(SmtpdTest::wait_for(sub { -e "$off/garbage.failed" }), "a file that is not an offline file: NAME.failed");
ok(!-e "$off/garbage", "and no longer under its name");
ok($d2->wait_log(qr/offline event=failed file=garbage uid=$< status=65 result=PermFail kept=garbage\.failed error="sendmail: corrupt offline file: [^"]+"/),
    "logged with sendmail's reason");
like($d2->log, qr/offline event=skip file=public /, "a file readable by others is skipped");
ok(SmtpdTest::wait_for(sub { !grep { !m{/(?:planted|public|garbage\.failed)$} } SmtpdTest::maildir_files($off) }),
    "offline/ emptied");
$d2->stop;
is_deeply([$d2->stray], [], "no process left behind");
unlike($d->log, qr/runtime error|ERROR: AddressSanitizer|event=died .*result=TempFail/,
    "no sanitizer report, no role died");
is($sanitizer, '', "no sanitizer report from sendmail");
done_testing();

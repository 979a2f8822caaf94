# 80-smtpctl-offline.t: smtpctl without a running daemon (spec/ctl.md
# sections 1, 3, 4.1 and 8): command matching and its exit statuses,
# LATER commands, `need root privileges`, encrypt (hashes checked with
# libsodium's crypto_pwhash_str_verify through python3 ctypes), and the
# offline `show queue` / `mailq` against a spool written by a daemon that
# was stopped (relay envelopes stay queued), found through -f, SMTPD_CONF
# or the mailq personality, with a corrupt envelope file skipped.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use CtlTest;
use SmtpdTest;
use SmtpClient;

my $root = SmtpdTest::is_root();
my $tmp = SmtpdTest::tempdir_public();

sub ctl { return CtlTest::ctl(@_) }

# crypto_pwhash_str_verify(hash, password) through libsodium itself.
sub verify {
	my ($hash, $pw) = @_;
	my $py = <<'PY';
import ctypes, ctypes.util, sys
s = ctypes.CDLL(ctypes.util.find_library("sodium"))
assert s.sodium_init() >= 0
h, p = sys.argv[1].encode(), sys.argv[2].encode()
sys.exit(0 if s.crypto_pwhash_str_verify(h, p, ctypes.c_ulonglong(len(p))) == 0 else 1)
PY
	my ($rc) = SmtpdTest::run("python3", "-c", $py, $hash, $pw);
	return $rc == 0;
}

# ------------------------------------------------------------ matching
{
	my ($rc, $out, $err) = ctl({}, "sh", "st");
	is($rc, 255, "sh st: ambiguous, exit 255");
	is($out, "", "sh st: nothing on stdout");
	like($err, qr/\Apossibilities are:\n(?:show \S+\n)*show stats\nshow status\n\z/,
	    "sh st: the possibilities on stderr, with the matched words");
	($rc, $out, $err) = ctl({}, "frobnicate");
	is($rc, 255, "unknown command: exit 255");
	like($err, qr/\Apossibilities are:\ndiscover\nencrypt\n.*\nupdate\n\z/s,
	    "unknown command: the top level listed");
	($rc, $out, $err) = ctl({}, "show", "stats", "now");
	is($rc, 255, "words left over: exit 255");
	is($err, "invalid command\n", "words left over: invalid command");
	($rc, $out, $err) = ctl({}, "sh", "ho");
	is($rc, 255, "sh ho: hosts or hoststats");
	($rc, $out, $err) = ctl({}, "sh", "mta", "pa");
	is($rc, 1, "sh mta pa = show mta paused, LATER: exit 1");
	is($err, "smtpctl: command not supported yet\n", "LATER: not supported yet");
	($rc, $out, $err) = ctl({ stdin => "" }, "spf", "walk");
	is("$rc|$out|$err", "0||", "spf walk: built (no input, no lookup)");
	($rc, $out, $err) = ctl({}, "-x", "show", "queue");
	is($rc, 1, "an unknown option: exit 1");
	like($err, qr/^usage: smtpctl /m, "an unknown option: usage");
	($rc, $out, $err) = ctl({ name => "smtpctl-other" }, "show", "queue");
	is($rc, 1, "another program name: exit 1");
	is($err, "smtpctl: unsupported mode\n", "another program name: unsupported mode");
}

# ------------------------------------------------------------ encrypt
{
	my ($rc, $out, $err) = ctl({}, "encrypt", "s3cret pass");
	is($rc, 0, "encrypt ARG: exit 0");
	is($err, "smtpctl: warning: a password given as an argument is visible to other users (ps)\n",
	    "encrypt ARG: warns that the argument shows in ps");
	like($out, qr/\A\$argon2id\$v=19\$m=65536,t=2,p=1\$\S+\n\z/,
	    "encrypt ARG: one Argon2id hash at the INTERACTIVE limits");
	chomp(my $h = $out);
	ok(length($h) < 128, "the hash fits crypto_pwhash_STRBYTES");
	ok(verify($h, "s3cret pass"), "the hash verifies with crypto_pwhash_str_verify");
	ok(!verify($h, "s3cret pasS"), "and refuses another password");

	($rc, $out, $err) = ctl({ stdin => "first\nsecond\r\nthird" }, "enc");
	is($rc, 0, "encrypt on stdin (abbreviated): exit 0");
	my @h = split /\n/, $out;
	is(scalar @h, 3, "one hash per line, the last without a newline too");
	ok(verify($h[0] // '', "first"), "line 1 verifies");
	ok(verify($h[1] // '', "second"), "line 2 verifies, its CR stripped");
	ok(verify($h[2] // '', "third"), "line 3 verifies");

	($rc, $out, $err) = ctl({}, "encrypt", "");
	is($rc, 1, "empty password: exit 1");
	is($err, "smtpctl: empty password\n", "empty password: the message");
	($rc, $out, $err) = ctl({ stdin => "ok\n\nnever\n" }, "encrypt");
	is($rc, 1, "an empty line on stdin: exit 1");
	is(scalar(() = $out =~ /\n/g), 1, "the lines before it were hashed");
	is($err, "smtpctl: empty password\n", "an empty line: the message");
	# a terminal: a prompt on stderr, no echo, one line
	my $py = <<'PY';
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], ["smtpctl", "encrypt"])
out = b""
deadline = time.time() + 10
def more():
    global out
    if not select.select([fd], [], [], max(0, deadline - time.time()))[0]:
        return False
    try:
        d = os.read(fd, 1024)
    except OSError:
        return False
    out += d
    return len(d) > 0
while b"Password: " not in out and more():
    pass
os.write(fd, b"tty secret\n")
while more():
    pass
if time.time() >= deadline:
    os.kill(pid, signal.SIGKILL)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode() + "exit=%d\n" % os.waitstatus_to_exitcode(st))
PY
	my ($prc, $tty) = SmtpdTest::run("python3", "-c", $py, SmtpdTest::build() . "/smtpctl");
	like($tty, qr/\APassword: \r\n(\$argon2id\$\S+)\r\nexit=0\n\z/,
	    "a terminal: prompt, nothing echoed, one hash") or diag $tty;
	my ($th) = $tty =~ /(\$argon2id\$\S+)\r\n/;
	ok(verify($th // '', "tty secret"), "the terminal's password verifies");

	($rc, $out, $err) = ctl({ uid => scalar getpwnam("nobody") }, "encrypt", "x")
	    if $root;
	is($rc, 0, "encrypt is unprivileged") if $root;
}

# ------------------------------------------------------------ privileges
SKIP: {
	my $uid = $root ? (getpwnam("tester") // getpwnam("nobody")) : $<;
	skip "no unprivileged user to run as", 6 unless defined $uid;
	my $as = $root ? { uid => $uid } : {};
	for my $cmd (["show", "queue"], ["remove", "all"], ["sh", "message", "1a2b3c4d"]) {
		my ($rc, $out, $err) = ctl($as, @$cmd);
		is($rc, 1, "@$cmd as uid $uid: exit 1");
		is($err, "smtpctl: need root privileges\n", "@$cmd as uid $uid: need root");
	}
}

# ------------------------------------------------------------ offline show queue
SKIP: {
	skip "offline show queue is for root (ctl.md 4.1)", 1 unless $root;

	my ($rc, $out, $err) = ctl({ env => { SMTPD_CONF => "$tmp/none.conf" } },
	    "show", "stats");
	is($rc, 1, "a missing SMTPD_CONF: exit 1");

	# -P mta: relay envelopes stay queued as they were committed
	my $d = SmtpdTest->new(args => [ '-P', 'mta' ], conf => <<'CONF');
listen on 127.0.0.1 port @PORT@
action "out" relay
match from any for domain "relay.test" action "out"
CONF
	$d->start;
	my $t0 = time;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	my $r1 = $c->mail('alice@example.org', ['bob@relay.test', 'carol@relay.test'],
	    "Subject: one\r\n\r\nfirst\r\n");
	like($r1, qr/^250 2\.0\.0 ([0-9a-f]{8}) /, "message 1 queued");
	my ($m1) = $r1 =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
	my $r2 = $c->mail('', ['dave@relay.test'], "Subject: two\r\n\r\nsecond\r\n");
	my ($m2) = $r2 =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
	ok($m2, "message 2 (null sender) queued");
	$c->cmd("QUIT");
	$d->stop;
	my $t1 = time;
	my $q = $d->queued;
	my @files = sort map { (split m{/}, $_)[-1] } map { @{ $_->{envelopes} } } values %$q;
	is(scalar @files, 3, "three envelopes stay in the spool");

	($rc, $out, $err) = ctl({}, "-f", $d->conf_path, "show", "queue");
	is($rc, 0, "offline show queue -f: exit 0");
	is($err, "", "offline show queue: nothing on stderr");
	my @lines = split /\n/, $out;
	is(scalar @lines, 3, "one line per envelope");
	my (%byrcpt, @ids);
	for my $l (@lines) {
		my @f = split /\|/, $l, 14;
		is(scalar @f, 14, "14 fields: $l");
		push @ids, $f[0];
		$byrcpt{ $f[5] } = \@f;
		like($f[0], qr/^[0-9a-f]{16}$/, "field 1: evpid");
		is($f[1], "inet4", "field 2: family inet4");
		is($f[2], "mta", "field 3: type mta");
		is($f[3], "", "field 4: no flags");
		is($f[6], $f[5], "field 7: dest = rcpt (no expansion)");
		ok($f[7] >= $t0 - 1 && $f[7] <= $t1 + 1, "field 8: ctime now");
		is($f[8], $f[7] + 4 * 86400, "field 9: expiry = ctime + the 4d ttl");
		is($f[9], "0", "field 10: never tried");
		is($f[10], "0", "field 11: no attempt");
		is($f[11], "offline", "field 12: runstate offline");
		is($f[12], "", "field 13: empty delay");
		is($f[13], "", "field 14: no error");
	}
	is_deeply(\@ids, \@files, "the spool's envelopes, in evpid order");
	is($byrcpt{'bob@relay.test'}[4], 'alice@example.org', "sender");
	is($byrcpt{'dave@relay.test'}[4], '@', "the null sender prints as @");
	is(substr($byrcpt{'bob@relay.test'}[0], 0, 8), $m1, "evpid carries the msgid");

	my ($rc2, $out2) = ctl({ env => { SMTPD_CONF => $d->conf_path } }, "sh", "q");
	is($rc2, 0, "SMTPD_CONF, sh q: exit 0");
	is($out2, $out, "SMTPD_CONF: the same lines");
	($rc2, $out2, $err) = ctl({ name => "mailq", env => { SMTPD_CONF => $d->conf_path } },
	    "-v", "ignored");
	is($rc2, 0, "mailq: exit 0");
	is($out2, $out, "mailq = show queue, arguments ignored");

	($rc2, $out2) = ctl({}, "-f", $d->conf_path, "show", "queue", $m2);
	is($rc2, 0, "show queue MSGID: exit 0");
	is(scalar(() = $out2 =~ /\n/g), 1, "show queue MSGID: only that message");
	like($out2, qr/^\Q$m2\E[0-9a-f]{8}\|/, "show queue MSGID: its envelope");
	($rc2, $out2) = ctl({}, "-f", $d->conf_path, "show", "queue", "0badf00d");
	is("$rc2:$out2", "0:", "show queue of an unknown msgid: nothing, exit 0");

	($rc2, $out2) = ctl({}, "-j", "-f", $d->conf_path, "show", "queue");
	is($rc2, 0, "-j show queue: exit 0");
	my $j = eval { decode_json($out2) };
	is(ref $j, "ARRAY", "-j: a JSON array") or diag $out2;
	is(scalar @{ $j // [] }, 3, "-j: three objects");
	is_deeply([ map { $_->{evpid} } @{ $j // [] } ], \@files, "-j: evpids");
	my ($jd) = grep { $_->{rcpt} eq 'dave@relay.test' } @{ $j // [] };
	is($jd->{sender}, "", "-j: the null sender is an empty string");
	is($jd->{runstate}, "offline", "-j: runstate");
	ok(exists $jd->{delay} && !defined $jd->{delay}, "-j: delay null offline");
	is_deeply($jd->{flags}, [], "-j: flags an array");

	# a corrupt envelope file beside the good ones
	my $dir = $q->{$m1}{dir};
	my $bad = "$dir/${m1}0badbeef";
	SmtpdTest::write_file($d, $bad, "not an envelope");
	($rc2, $out2, $err) = ctl({}, "-f", $d->conf_path, "show", "queue");
	is($rc2, 0, "a corrupt envelope: still exit 0");
	is($out2, $out, "a corrupt envelope: skipped, the others printed");
	like($err, qr{^smtpctl: warning: queue/[0-9a-f]{2}/\Q$m1\E/\Q${m1}\E0badbeef: corrupt envelope: .*, skipped\n\z},
	    "a corrupt envelope: a warning on stderr");
	ok(-e $bad, "smtpctl never touches the spool");

	($rc2, $out2, $err) = ctl({}, "-f", $d->conf_path, "show", "stats");
	is($rc2, 1, "show stats without a daemon: exit 1");
	is($err, "smtpctl: smtpd doesn't seem to be running\n",
	    "show stats without a daemon: not running");
	($rc2, $out2, $err) = ctl({}, "-f", $d->conf_path, "trace", "nonsense");
	is("$rc2 $err", "1 smtpctl: invalid trace keyword: nonsense\n",
	    "a bad trace keyword");

	# an empty queue prints nothing
	my $e = SmtpdTest->new(conf => "listen on 127.0.0.1 port \@PORT\@\n");
	mkdir $e->spool;
	mkdir $e->spool . "/queue";
	($rc2, $out2, $err) = ctl({}, "-f", $e->conf_path, "show", "queue");
	is("$rc2|$out2|$err", "0||", "an empty queue: no output, exit 0");
	($rc2, $out2) = ctl({}, "-j", "-f", $e->conf_path, "show", "queue");
	is($out2, "[]\n", "an empty queue, -j: []");
	rmdir $e->spool . "/queue";
	($rc2, $out2, $err) = ctl({}, "-f", $e->conf_path, "show", "queue");
	is($rc2, 1, "no queue directory at all: exit 1");
	like($err, qr/^smtpctl: smtpd doesn't seem to be running, and its queue .* cannot be read/,
	    "no queue directory: said so");
}

done_testing();

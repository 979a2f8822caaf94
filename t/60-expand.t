# 60-expand.t: alias, virtual and ~/.forward expansion at RCPT time
# (tables.md sections 3-5, delivery.md section 5) against the real daemon:
# each case sends a RCPT, asserts the reply, and for an accepted one
# commits a message and reads its envelope files from the spool (records:
# type byte, 4-byte big-endian length, value; dest 0x0f, mda-user 0x10,
# dispatcher 0x04, mda-method 0x25, mda-exec 0x26).
# The .forward cases need root (a test user with a home, files owned by
# it): they are skipped otherwise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

my $FWDUSER = "fwdtest1";
my $root = SmtpdTest::is_root();
my $home;
if ($root) {
	system("id $FWDUSER >/dev/null 2>&1") == 0 or
	    system("useradd -m $FWDUSER >/dev/null 2>&1") == 0 or
	    diag("useradd $FWDUSER failed");
	$home = (getpwnam($FWDUSER))[7];
}

my $d = SmtpdTest->new(conf => <<'CONF');
table aliases file:@DIR@/aliases
table virt { "info@example.net" = "root, postmaster", "ext@example.net" = "x@relay.test", "@example.net" = "root" }
listen on 127.0.0.1 port @PORT@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir" alias <aliases>
action "virt" maildir "@DIR@/vmail/%{user.username}" virtual <virt>
action "out" relay
match from any for domain "example.org" action "local"
match from any for domain "example.net" action "virt"
match from any for domain "relay.test" action "out"
match from any for local action "local"
CONF
my $dir = $d->dir;
$d->write_file("aliases", <<"EOF");
staff: root, daemon
ext: someone\@relay.test, root
prog: "|/usr/bin/logger -t expand"
arch: $dir/archive.mbox
list: :include:$dir/list.txt
nobody: error:550 5.1.1 no such user here
later: error:451 4.3.2 try later
loop1: loop2
loop2: loop1, root
d0: d1
d1: d2
d2: d3
d3: d4
d4: d5
d5: d6
d6: d7
d7: d8
d8: d9
d9: d10
d10: d11
d11: root
dup: root, root, staff, root\@example.org
ghost: nosuchuser
fwd: $FWDUSER
EOF
$d->write_file("list.txt", "daemon\n# a comment\nlisted\@relay.test, root\n");
$d->start;

# The records of one envelope file: { dest, user, dispatcher, method, exec }.
sub envelope {
	my ($path) = @_;
	my $raw = SmtpdTest::slurp($path);
	my %e = (method => 0, exec => '', user => '');
	my $pos = 0;
	while ($pos + 5 <= length $raw) {
		my ($type, $len) = unpack("C N", substr($raw, $pos, 5));
		my $v = substr($raw, $pos + 5, $len);
		$pos += 5 + $len;
		$e{dest} = $v if $type == 0x0f;
		$e{user} = $v if $type == 0x10;
		$e{dispatcher} = $v if $type == 0x04;
		$e{exec} = $v if $type == 0x26;
		$e{method} = unpack("C", $v) if $type == 0x25;
	}
	return \%e;
}

# "dispatcher user dest" for a mailbox, "pipe|file user exec".
sub render {
	my ($e) = @_;
	return "$e->{dispatcher} $e->{user} $e->{dest}" if $e->{method} == 0;
	return ($e->{method} == 1 ? "pipe" : "file") . " $e->{user} $e->{exec}";
}

# Sends one RCPT; on 250 commits a message. (reply, [sorted envelopes])
sub send_rcpt {
	my ($rcpt) = @_;
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	$c->cmd("MAIL FROM:<sender\@remote.example>");
	my $r = $c->cmd("RCPT TO:<$rcpt>");
	return ($r, []) unless $r =~ /^250 /;
	$c->cmd("DATA");
	$c->send("Subject: expand\r\n\r\nbody\r\n.\r\n");
	my $done = $c->reply;
	$c->cmd("QUIT");
	my ($id) = $done =~ /^250 2\.0\.0 ([0-9a-f]{8}) /;
	return ($r, ["no message: $done"]) unless $id;
	my $q = $d->queued->{$id} or return ($r, ["not queued"]);
	return ($r, [ sort map { render(envelope($_)) } @{ $q->{envelopes} } ]);
}

sub accepts {
	my ($rcpt, $want, $name) = @_;
	my ($r, $envs) = send_rcpt($rcpt);
	like($r, qr/^250 2\.1\.5 /, "$name: 250") or diag($d->log);
	is_deeply($envs, [ sort @$want ], "$name: envelopes") or
	    diag(explain($envs));
}

sub refuses {
	my ($rcpt, $re, $name) = @_;
	my ($r) = send_rcpt($rcpt);
	like($r, $re, $name);
}

my $mu = "_smtpd";	# MAIL_USER: runs the pipes and files of alias tables

accepts("root\@example.org", ["local root root\@example.org"], "a user, no alias");
accepts("staff\@example.org", ["local root root\@example.org", "local daemon daemon\@example.org"],
    "alias to two users");
accepts("ext\@example.org", ["out  someone\@relay.test", "local root root\@example.org"],
    "alias to an address re-routed to a relay action, and a user");
accepts("prog\@example.org", ["pipe $mu /usr/bin/logger -t expand"], "alias to a pipe");
accepts("arch\@example.org", ["file $mu $dir/archive.mbox"], "alias to a file");
accepts("list\@example.org", ["local daemon daemon\@example.org", "out  listed\@relay.test",
    "local root root\@example.org"], ":include: file");
refuses("nobody\@example.org", qr/^550 5\.1\.1 no such user here\r\n/, "error:550 alias: that reply");
refuses("later\@example.org", qr/^451 4\.3\.2 try later\r\n/, "error:451 alias: temporary");
accepts("loop1\@example.org", ["local root root\@example.org"], "alias loop: cut, root delivered");
refuses("d0\@example.org", qr/^524 5\.2\.4 Mailing list expansion problem\r\n/, "depth limit: 524 5.2.4");
accepts("d2\@example.org", ["local root root\@example.org"], "nine levels are fine");
accepts("dup\@example.org", ["local root root\@example.org", "local daemon daemon\@example.org"],
    "duplicates delivered once");
refuses("ghost\@example.org", qr/^550 5\.1\.1 /, "alias to an unknown user: 550 5.1.1");
refuses("nosuchuser\@example.org", qr/^550 5\.1\.1 Invalid recipient/, "unknown recipient: 550 5.1.1");
accepts("info\@example.net", ["virt root root\@example.net"],
    "virtual: two destinations that are the same mailbox");
accepts("ext\@example.net", ["out  x\@relay.test"], "virtual to a relayed address");
accepts("anything\@example.net", ["virt root root\@example.net"], "virtual domain catch-all");

{
	# +tag: the tag is in mda-subaddress (0x11) of the user's own mailbox
	my ($r) = send_rcpt("root+news\@example.org");
	like($r, qr/^250 /, "root+news: accepted");
	my $q = $d->queued;
	my $found = 0;
	for my $m (values %$q) {
		for my $f (@{ $m->{envelopes} }) {
			my $raw = SmtpdTest::slurp($f);
			$found++ if $raw =~ /\x11\x00\x00\x00\x04news/ && $raw =~ /root\+news\@example\.org/;
		}
	}
	ok($found, "root+news: mda-subaddress news");
}

# A lookup error is 451 4.3.0, never 550: here an :include: file that is
# not world-readable (the unprivileged lookup role may only read those).
chmod 0600, "$dir/list.txt";
refuses("list\@example.org", qr/^451 4\.3\.0 /, "non-world-readable :include: -> 451 4.3.0, never 550");
chmod 0644, "$dir/list.txt";

SKIP: {
	skip "the .forward cases need root (a test user)", 22 unless $root && $home && -d $home;
	my ($uid, $gid) = (getpwnam($FWDUSER))[2, 3];
	my $fw = "$home/.forward";
	my $put = sub {
		my ($text, $mode) = @_;
		unlink $fw;
		open(my $fh, '>', $fw) or die "$fw: $!";
		print $fh $text;
		close $fh;
		chown $uid, $gid, $fw;
		chmod $mode // 0644, $fw;
	};
	chmod 0755, $home;

	$put->("root, \\$FWDUSER\n\"|/usr/bin/logger fwd\"\n");
	accepts("$FWDUSER\@example.org", ["local root root\@example.org",
	    "local $FWDUSER $FWDUSER\@example.org", "pipe $FWDUSER /usr/bin/logger fwd"],
	    ".forward: user, \\self, pipe run as the owner");
	accepts("fwd\@example.org", ["local root root\@example.org",
	    "local $FWDUSER $FWDUSER\@example.org", "pipe $FWDUSER /usr/bin/logger fwd"],
	    "alias to a user with a .forward");

	$put->("root, $FWDUSER\n");
	accepts("$FWDUSER\@example.org", ["local root root\@example.org",
	    "local $FWDUSER $FWDUSER\@example.org"], ".forward naming its owner: the mailbox");

	$put->("root\n", 0664);
	refuses("$FWDUSER\@example.org", qr/^451 4\.7\.0 insecure \.forward for $FWDUSER\r\n/,
	    "group-writable .forward: 451 4.7.0");

	$put->("root\n", 0646);
	refuses("$FWDUSER\@example.org", qr/^451 4\.7\.0 /, "world-writable .forward: 451 4.7.0");

	$put->("root\n");
	chown 0, 0, $fw;
	refuses("$FWDUSER\@example.org", qr/^451 4\.7\.0 /, ".forward owned by another user: 451 4.7.0");

	unlink $fw;
	$put->("root\n");
	rename $fw, "$home/real-forward";
	symlink "$home/real-forward", $fw;
	accepts("$FWDUSER\@example.org", ["local $FWDUSER $FWDUSER\@example.org"],
	    "symlinked .forward: ignored, the mailbox");
	ok($d->wait_log(qr/symbolic link ignored/, 5), "symlinked .forward: warning logged");
	unlink $fw, "$home/real-forward";

	$put->("root\n");
	link $fw, "$home/hardlink";
	refuses("$FWDUSER\@example.org", qr/^451 4\.7\.0 /, "hard-linked .forward: 451 4.7.0");
	unlink "$home/hardlink";

	unlink $fw;
	system("mkfifo", $fw) == 0 or die "mkfifo";
	chown $uid, $gid, $fw;
	refuses("$FWDUSER\@example.org", qr/^451 4\.7\.0 /, "FIFO .forward: 451 4.7.0, no hang");
	unlink $fw;

	$put->("x" x 5000);
	refuses("$FWDUSER\@example.org", qr/^451 /, ".forward of 4 KiB or more: 451");

	$put->("");
	accepts("$FWDUSER\@example.org", ["local $FWDUSER $FWDUSER\@example.org"], "empty .forward: the mailbox");

	$put->("root\n");
	chmod 01755, $home;
	refuses("$FWDUSER\@example.org", qr/^451 /, "sticky HOME: 451");
	chmod 0775, $home;
	refuses("$FWDUSER\@example.org", qr/^451 4\.7\.0 /, "group-writable HOME: 451 4.7.0");
	chmod 0755, $home;

	$put->("\\$FWDUSER, \"unbalanced\n");
	refuses("$FWDUSER\@example.org", qr/^451 4\.3\.0 /, "unparsable .forward: 451 4.3.0");

	unlink $fw;
	accepts("$FWDUSER\@example.org", ["local $FWDUSER $FWDUSER\@example.org"], "no .forward: the mailbox");
}

$d->stop;
unlike($d->log, qr/event=died/, "no role died") or
    diag(join("\n", grep { /died|ERROR|Sanitizer|SUMMARY|#\d+ / } split /\n/, $d->log));
done_testing;

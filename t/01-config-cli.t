# 01-config-cli.t: `smtpd -n` from the command line. The embedded default
# and every sample config print "configuration OK" and exit 0; a broken
# file prints FILE:LINE: message per error and exits 1; -D overrides a
# macro; unknown -T flags are refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;

my $smtpd = SmtpdTest::build() . "/smtpd";
my $src = SmtpdTest::src();

for my $f (sort glob("$src/etc/smtpd.conf*")) {
	my ($rc, $out) = SmtpdTest::run($smtpd, "-n", "-f", $f);
	is($rc, 0, "$f: exit 0");
	is($out, "configuration OK\n", "$f: configuration OK");
}

my $d = SmtpdTest->new(no_conf => 1);
my $bad = $d->write_file("bad.conf", <<'EOF2');
listen on 127.0.0.1 port 2525
table t file:relative/path
action "x" maildir
match from any for any action "nosuch"
accept from any for any deliver to mbox
listen on 127.0.0.1 port 24 lmtp smtps
EOF2
my ($rc, $out) = SmtpdTest::run($smtpd, "-n", "-f", $bad);
is($rc, 1, "broken config: exit 1");
like($out, qr/^\Q$bad\E:2: invalid backend parameter for table: t$/m, "line 2: relative table path");
like($out, qr/^\Q$bad\E:4: .*nosuch/m, "line 4: unknown action");
like($out, qr/^\Q$bad\E:5: obsolete OpenSMTPD < 6\.4 syntax$/m, "line 5: pre-6.4 syntax");
like($out, qr/^\Q$bad\E:6: /m, "line 6: smtps with lmtp");
unlike($out, qr/configuration OK/, "no OK on a broken file");

my $m = $d->write_file("macro.conf", "dir = \"/nonexistent/a\"\nqueue directory \$dir\n");
($rc, $out) = SmtpdTest::run($smtpd, "-n", "-f", $m, "-D", "dir=/nonexistent/b");
is($rc, 0, "-D with a macro defined in the file: OK");
($rc, $out) = SmtpdTest::run($smtpd, "-n", "-f", $m, "-D", "broken");
is($rc, 1, "-D without '=': exit 1");
($rc, $out) = SmtpdTest::run($smtpd, "-n", "-f", $m, "-T", "smtp,nosuch");
is($rc, 1, "-T with an unknown subsystem: exit 1");
like($out, qr/unknown trace flag/, "and says so");
($rc, $out) = SmtpdTest::run($smtpd, "-n", "-f", "$src/etc/smtpd.conf.local", "-T", "smtp,queue,imsg", "-v");
is($rc, 0, "-T with known subsystems and -v: OK");
($rc, $out) = SmtpdTest::run($smtpd, "-n", "-f", $d->dir . "/missing.conf");
is($rc, 1, "missing file: exit 1");
like($out, qr/missing\.conf:0: cannot read file/, "missing file: FILE:0: message");

done_testing();

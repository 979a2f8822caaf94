# 55-makemap.t: makemap and newaliases, the smtpctl personalities of
# spec/tables.md section 9 (and ctl.md sections 1 and 10), run through the
# symlinks in $SMTPD_BUILD. Plain, aliases and set maps are built and
# dumped back with -U; the sendmail form, standard input, -O AliasFile=;
# option errors; a broken source gives FILE:LINE and exit 1 and leaves the
# previous database untouched with no temporary file; owner and mode come
# from the source; a reader running `makemap -U` in a loop during rebuilds
# only ever sees the old or the new database; the source lock.
# newaliases finds the table named `aliases` in the configuration (-f,
# SMTPD_CONF), also as sendmail -bi / -I and makemap -bi, rebuilds a db:
# table, only checks a file: table, and needs root.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Fcntl qw(:flock);
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use SmtpdTest;

my $build = SmtpdTest::build();
my $makemap = "$build/makemap";
my $newaliases = "$build/newaliases";
plan skip_all => "$makemap not built" unless -x $makemap;

my $dir = SmtpdTest::tempdir_public();	# sources and databases only
my $io = SmtpdTest::tempdir_public();	# captured output

sub put {
	my ($name, $text, $mode) = @_;
	my $path = $name =~ m{^/} ? $name : "$dir/$name";
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close $fh;
	chmod($mode // 0644, $path);
	return $path;
}

# Runs a command: (exit status, stdout, stderr). Options: stdin (text),
# env (hash), uid (setuid before exec, as root).
sub run3 {
	my ($cmd, %o) = @_;
	my ($in, $out, $err) = ("$io/in", "$io/out", "$io/err");
	put($in, $o{stdin} // '');
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', $in) or _exit(127);
		open(STDOUT, '>', $out) or _exit(127);
		open(STDERR, '>', $err) or _exit(127);
		$ENV{$_} = $o{env}{$_} for keys %{ $o{env} // {} };
		delete $ENV{SMTPD_CONF} unless exists(($o{env} // {})->{SMTPD_CONF});
		if (defined $o{uid}) {
			POSIX::setgid($o{uid});
			POSIX::setuid($o{uid}) or _exit(126);
		}
		exec(@$cmd) or _exit(127);
	}
	waitpid($pid, 0);
	return ($? >> 8, SmtpdTest::slurp($out), SmtpdTest::slurp($err));
}

sub dump_db {
	my ($db) = @_;
	my ($rc, $out, $err) = run3([$makemap, '-U', $db]);
	return $rc == 0 && $err eq '' ? join('', sort split /^/m, $out) : "rc=$rc $err";
}

sub leftovers { opendir(my $d, $dir); my @t = grep { /\.db\.\w{10}$/ } readdir $d; return @t }

sub fileid { my @s = stat($_[0]); return join(':', @s[0, 1, 7, 9]) }

# ------------------------------------------------------------ plain, aliases, set
my $plain = put("plain", "# mapping\nAlice:   alice\@example.net\nbob\tbob\@example.net\n[::1]    localhost\n");
my ($rc, $out, $err) = run3([$makemap, $plain]);
is($rc, 0, "plain map: exit 0");
is($out . $err, '', "plain map: silent");
ok(-f "$plain.db", "plain map: $plain.db written");
is(dump_db("$plain.db"), "[::1]\tlocalhost\nalice\talice\@example.net\nbob\tbob\@example.net\n",
    "makemap -U dumps KEY<TAB>VALUE, keys folded, values verbatim");

my $aliases = put("aliases", <<'EOF');
# /etc/mail/aliases
postmaster:   root
root:         alice
abuse:        postmaster
staff:        alice, bob,
              carol@example.net          # continuation line [project]
bob:          \bob, "|/usr/local/bin/vacation bob"
lists:        :include:/etc/mail/lists.txt
archive:      /var/mail/archive.mbox
nobody:       error:550 5.1.1 no such user here
EOF
($rc, $out, $err) = run3([$makemap, '-t', 'aliases', $aliases]);
is($rc, 0, "aliases map (tables.md section 4 example): exit 0") or diag($err);
my $aliases_dump = <<'EOF';
abuse	postmaster
archive	/var/mail/archive.mbox
bob	\bob, "|/usr/local/bin/vacation bob"
lists	:include:/etc/mail/lists.txt
nobody	error:550 5.1.1 no such user here
postmaster	root
root	alice
staff	alice, bob, carol@example.net          # continuation line [project]
EOF
is(dump_db("$aliases.db"), $aliases_dump, "aliases map: continuation joined, text stored as written");

my $set = put("set", "Example.ORG\nfoo bar baz\n");
($rc, $out, $err) = run3([$makemap, '-t', 'set', $set]);
is($rc, 0, "set map: exit 0");
is(dump_db("$set.db"), "example.org\nfoo bar baz\n", "set map: KEY alone, every line a key");

($rc, $out, $err) = run3([$makemap, '-d', 'hash', '-o', "$dir/other.db", $plain]);
is($rc, 0, "-d hash -o dbfile: exit 0");
is(dump_db("$dir/other.db"), dump_db("$plain.db"), "-o dbfile: same contents");

# ------------------------------------------------------------ other inputs
($rc, $out, $err) = run3([$makemap, 'hash', "$dir/smform"], stdin => "k1 v1\nK2 v2 v3\n");
is($rc, 0, "sendmail form makemap TYPE DBNAME: exit 0") or diag($err);
is(dump_db("$dir/smform.db"), "k1\tv1\nk2\tv2 v3\n", "sendmail form: DBNAME.db from standard input");
($rc, $out, $err) = run3([$makemap, 'hash', "$dir/smform2.db"], stdin => "a b\n");
ok($rc == 0 && -f "$dir/smform2.db" && !-e "$dir/smform2.db.db", "sendmail form: DBNAME ending in .db kept");
($rc, $out, $err) = run3([$makemap, 'btree', "$dir/smform3"], stdin => "a b\n");
is($err, "makemap: unsupported DB type 'btree'\n", "sendmail form: other types refused");
is($rc, 1, "sendmail form, btree: exit 1");

($rc, $out, $err) = run3([$makemap, '-t', 'set', '-o', "$dir/stdin.db", '-'], stdin => "x\ny\n");
is($rc, 0, "standard input with -o: exit 0");
is((stat("$dir/stdin.db"))[2] & 07777, 0644, "standard input: mode 0644");
($rc, $out, $err) = run3([$makemap, '-'], stdin => "x\n");
is($rc, 1, "standard input without -o: exit 1");
($rc, $out, $err) = run3([$makemap, '-t', 'aliases', '-o', "$dir/stdin.db", '-'], stdin => "a: b\nc: \"d\n");
is($err, "makemap: <stdin>:2: invalid entry\n", "standard input: errors name <stdin>");

my $af = put("aliasfile", "root: alice\n");
($rc, $out, $err) = run3([$makemap, '-O', "AliasFile=$af"]);
is($rc, 0, "-O AliasFile=PATH: exit 0");
is(dump_db("$af.db"), "root\talice\n", "-O AliasFile=PATH: builds PATH.db");
put("aliasfile", "root: a b\n");
($rc, $out, $err) = run3([$makemap, '-O', "AliasFile=$af"]);
is($err, "makemap: $af:1: invalid entry\n", "-O AliasFile= implies -t aliases");

($rc, $out, $err) = run3([$makemap, '-C', '/etc/mail/sendmail.cf', '-O', 'Foo=bar', '-b', 'x', $plain]);
is($rc, 0, "-C, -O other than AliasFile=, -b other than i: accepted and ignored") or diag($err);

# ------------------------------------------------------------ option errors
my $usage = "usage: makemap [-U] [-d hash] [-o dbfile] [-t aliases|set] file\n";
($rc, $out, $err) = run3([$makemap, '-d', 'btree', $plain]);
is($err, "makemap: unsupported DB type 'btree'\n", "-d btree: message");
is($rc, 1, "-d btree: exit 1");
($rc, $out, $err) = run3([$makemap, '-t', 'btree', $plain]);
is($err, "makemap: unsupported type 'btree'\n", "-t other: message");
is($rc, 1, "-t other: exit 1");
for my $args (['-P', $plain], [], [$plain, $plain, $plain], ['-o']) {
	($rc, $out, $err) = run3([$makemap, @$args]);
	is($err, $usage, "makemap @$args: usage line");
	is($rc, 1, "makemap @$args: exit 1");
}

my $empty = put("empty", "# nothing here\n");
($rc, $out, $err) = run3([$makemap, $empty]);
is($err, "makemap: warning: empty map created: $empty.db\n", "no entries: warning");
is($rc, 0, "no entries: exit 0");

($rc, $out, $err) = run3([$makemap, '-U', $plain]);
is($err, "makemap: $plain: not a Tokyo Cabinet hash database (rebuild it with makemap)\n",
    "-U on a text file: refused");
is($rc, 1, "-U on a text file: exit 1");
($rc, $out, $err) = run3([$makemap, '-U', "$dir/nosuch.db"]);
is($rc, 1, "-U on a missing file: exit 1");
($rc, $out, $err) = run3([$makemap, '-o', $plain, $plain]);
is($rc, 1, "-o naming the source itself: exit 1");
like(SmtpdTest::slurp($plain), qr/^# mapping/, "the source is intact");

# ------------------------------------------------------------ errors keep the old db
my $before = fileid("$plain.db");
my $dump_before = dump_db("$plain.db");
put("plain", "a: 1\nb: 2\nA: 3\n");
($rc, $out, $err) = run3([$makemap, $plain]);
is($err, "makemap: $plain:3: duplicate entry for a\n", "duplicate: FILE:LINE message");
is($rc, 1, "duplicate: exit 1");
put("plain", "a: 1\nb\n");
($rc, $out, $err) = run3([$makemap, $plain]);
is($err, "makemap: $plain:2: invalid entry\n", "entry without a value: FILE:LINE: invalid entry");
is($rc, 1, "entry without a value: exit 1");
is(fileid("$plain.db"), $before, "errors: the previous database is untouched (dev, ino, size, mtime)");
is(dump_db("$plain.db"), $dump_before, "errors: the previous contents still read");

my $aliases_before = fileid("$aliases.db");
for my $bad (["root: alice\nstaff: alice,\n  \"bob\n", 2, "unbalanced quote in a continuation"],
    ["root: alice\nx: a\@b\@c\n", 2, "bad destination"],
    ["root: alice\nnone:   # nothing\n", 2, "only a comment"],
    ["root: alice\nx: |\n", 2, "empty command"],
    ["root: alice\nroot: bob\n", 2, "duplicate", "duplicate entry for root"]) {
	my ($text, $line, $what, $msg) = @$bad;
	put("aliases", $text);
	($rc, $out, $err) = run3([$makemap, '-t', 'aliases', $aliases]);
	is($err, "makemap: $aliases:$line: " . ($msg // "invalid entry") . "\n", "aliases, $what: FILE:LINE message");
	is($rc, 1, "aliases, $what: exit 1");
}
is(fileid("$aliases.db"), $aliases_before, "aliases errors: previous database untouched");
is(join(' ', leftovers()), '', "no temporary file left behind");

# ------------------------------------------------------------ owner and mode
my $owned = put("owned", "a: b\n", 0640);
($rc, $out, $err) = run3([$makemap, $owned]);
is((stat("$owned.db"))[2] & 07777, 0640, "the database gets the source's mode");
SKIP: {
	skip "not root", 2 unless $> == 0;
	chown(65534, 65534, $owned) or die "chown: $!";
	($rc, $out, $err) = run3([$makemap, $owned]);
	is($rc, 0, "source owned by 65534: exit 0");
	is(join(':', (stat("$owned.db"))[4, 5]), "65534:65534", "the database gets the source's owner and group");
}

# ------------------------------------------------------------ atomic rebuild
{
	my $src = "$dir/live";
	my $textA = join('', map { "key$_: a$_\n" } 1 .. 50);
	my $textB = join('', map { "key$_: b$_ " . ('x' x 40) . "\n" } 1 .. 400);
	put("live", $textA);
	run3([$makemap, $src]);
	my $dumpA = dump_db("$src.db");
	put("live", $textB);
	run3([$makemap, $src]);
	my $dumpB = dump_db("$src.db");
	my ($stop, $progress) = ("$io/stop", "$io/progress");
	unlink $stop, $progress;
	my $pid = fork() // die;
	if ($pid == 0) {
		my ($reads, $bad) = (0, 0);
		my %seen;
		open(my $pf, '>>', $progress) or _exit(2);
		$pf->autoflush(1);
		until (-e $stop) {
			my $o = join('', sort split /^/m, scalar qx{$makemap -U $src.db 2>&1});
			$reads++;
			if ($? != 0 || ($o ne $dumpA && $o ne $dumpB)) {
				$bad++;
				print STDERR "# bad read: rc=$? ", substr($o, 0, 200), "\n";
			}
			$seen{$o eq $dumpA ? 'A' : 'B'}++;
			print $pf '.';
		}
		put("$io/reads", "$reads $bad " . join(',', sort keys %seen));
		_exit($bad ? 1 : 0);
	}
	# rebuild, alternating, until the reader has read 30 times during
	# the rebuilds (at least 40 rebuilds, at most 2000)
	my ($builds, $builds_ok) = (0, 0);
	while ($builds < 2000 && ($builds < 40 || (-s $progress // 0) < 30)) {
		$builds++;
		put("live", $builds % 2 ? $textA : $textB);
		my ($r) = run3([$makemap, $src]);
		$builds_ok++ if $r == 0;
	}
	put($stop, '');
	waitpid($pid, 0);
	is($? >> 8, 0, "a concurrent reader only ever saw the old or the new database");
	my ($reads, $bad, $seen) = split / /, SmtpdTest::slurp("$io/reads");
	ok($reads >= 30, "the reader read $reads times during $builds rebuilds");
	is($seen, 'A,B', "the reader saw both versions");
	is($builds_ok, $builds, "every rebuild succeeded");
	is(join(' ', leftovers()), '', "no temporary file left behind after rebuilds");
}

# ------------------------------------------------------------ source lock
{
	my $src = put("locked", "a: b\n");
	open(my $lk, '<', $src) or die;
	flock($lk, LOCK_EX) or die "flock: $!";
	my $pid = fork() // die;
	if ($pid == 0) {
		sleep 1;
		flock($lk, LOCK_UN);
		_exit(0);
	}
	close $lk;
	my $t0 = time;
	($rc, $out, $err) = run3([$makemap, $src]);
	my $waited = time - $t0;
	waitpid($pid, 0);
	is($rc, 0, "a locked source: makemap waits for the lock");
	ok($waited >= 0.8, sprintf("waited %.1f s for the other holder", $waited));

	open($lk, '<', $src) or die;
	flock($lk, LOCK_EX) or die "flock: $!";
	$t0 = time;
	($rc, $out, $err) = run3([$makemap, $src]);
	$waited = time - $t0;
	close $lk;
	is($err, "makemap: $src is locked\n", "still locked after 10 s: FILE is locked");
	is($rc, 1, "still locked: exit 1");
	ok($waited >= 9.5 && $waited < 20, sprintf("gave up after %.1f s", $waited));
}

# ------------------------------------------------------------ newaliases
# newaliases rebuilds system tables: it needs root, so do its tests.
subtest 'newaliases' => sub {
	plan skip_all => 'newaliases needs root' unless $> == 0;
	my $na_src = put("na-aliases", "postmaster: root\nroot: alice\nstaff: alice,\n  bob\n");
	my $conf = put("smtpd.conf", <<"EOF");
queue directory "$dir/spool"
table aliases db:$dir/na-aliases.db
action "local" maildir alias <aliases>
match from any for local action "local"
EOF
	($rc, $out, $err) = run3([$newaliases, '-f', $conf]);
	is($out, "$na_src: 3 aliases\n", "newaliases -f: SOURCE: N aliases");
	is($rc, 0, "newaliases: exit 0") or diag($err);
	is(dump_db("$na_src.db"), "postmaster\troot\nroot\talice\nstaff\talice, bob\n",
	    "newaliases: db: table rebuilt from its name without .db");
	for my $how ([[$newaliases], "newaliases with SMTPD_CONF"],
	    [["$build/sendmail", '-oi', '-bi'], "sendmail -bi"],
	    [["$build/sendmail", '-I'], "sendmail -I"],
	    [["$build/send-mail", '-bi'], "send-mail -bi"],
	    [[$makemap, '-bi'], "makemap -bi"]) {
		my ($cmd, $what) = @$how;
		($rc, $out, $err) = run3($cmd, env => { SMTPD_CONF => $conf });
		is("$rc $out$err", "0 $na_src: 3 aliases\n", "$what: rebuilds the aliases table");
	}
	($rc, $out, $err) = run3([$newaliases, '-f', $conf], env => { SMTPD_CONF => "$dir/nosuch.conf" });
	is($rc, 0, "newaliases: -f wins over SMTPD_CONF");

	my $na_before = fileid("$na_src.db");
	put("na-aliases", "postmaster: root\nroot: \"alice\n");
	($rc, $out, $err) = run3([$newaliases, '-f', $conf]);
	is($err, "newaliases: $na_src:2: invalid entry\n", "newaliases, invalid entry: FILE:LINE");
	is($rc, 1, "newaliases, invalid entry: exit 1");
	is($out, '', "newaliases, invalid entry: no count");
	is(fileid("$na_src.db"), $na_before, "newaliases, invalid entry: database untouched");

	my $fsrc = put("file-aliases", "root: alice\nbob: \\bob\nBOB: bob\n");
	my $fconf = put("file.conf", "table aliases file:$fsrc\naction \"l\" maildir alias <aliases>\nmatch from any for local action \"l\"\n");
	($rc, $out, $err) = run3([$newaliases, '-f', $fconf]);
	is($out, "$fsrc: 2 aliases\n", "newaliases, file: table: checked and counted");
	is($err, "newaliases: warning: $fsrc:3: duplicate entry for bob\n", "file: table: a duplicate is a warning, as the daemon loads it");
	ok(!-e "$fsrc.db", "file: table: nothing built");
	put("file-aliases", "root: a b\n");
	($rc, $out, $err) = run3([$newaliases, '-f', $fconf]);
	is("$rc $err", "1 newaliases: $fsrc:1: invalid entry\n", "file: table: invalid entry, exit 1");

	my $iconf = put("inline.conf", "table aliases { root = alice, postmaster = root }\naction \"l\" maildir alias <aliases>\nmatch from any for local action \"l\"\n");
	($rc, $out, $err) = run3([$newaliases, '-f', $iconf]);
	is("$rc $out", "0 $iconf: 2 aliases\n", "inline table: checked and counted");

	my $nconf = put("nodb.conf", "table aliases db:$dir/na-aliases.tc\naction \"l\" maildir alias <aliases>\nmatch from any for local action \"l\"\n");
	($rc, $out, $err) = run3([$newaliases, '-f', $nconf]);
	is($rc, 1, "db: table whose name does not end in .db: exit 1");
	like($err, qr/^newaliases: \Q$nconf\E:1: table aliases: .*does not end in \.db/, "and says why");

	my $bconf = put("broken.conf", "table aliases db:relative.db\n");
	($rc, $out, $err) = run3([$newaliases, '-f', $bconf]);
	is($rc, 1, "broken configuration: exit 1");
	like($err, qr/^\Q$bconf\E:1: /m, "broken configuration: FILE:LINE");
	SKIP: {
		skip "/etc/mail/aliases exists: not rebuilding the system's file", 2 if -e "/etc/mail/aliases";
		my $hconf = put("hint.conf", "table myaliases file:$fsrc\naction \"l\" maildir alias <myaliases>\nmatch from any for local action \"l\"\n");
		($rc, $out, $err) = run3([$newaliases, '-f', $hconf]);
		is($err, "newaliases: warning: action \"l\" uses table \"myaliases\", not \"aliases\"; rebuild it with makemap -t aliases\n"
		    . "newaliases: /etc/mail/aliases: No such file or directory\n", "no table named aliases: the default file, and a hint");
		is($rc, 1, "no table named aliases, no /etc/mail/aliases: exit 1");
	}
	{
		($rc, $out, $err) = run3([$newaliases, '-f', $conf], uid => 65534);
		is($err, "newaliases: need root privileges\n", "newaliases as a user: need root privileges");
		is($rc, 1, "newaliases as a user: exit 1");
	}
};
($rc, $out, $err) = run3([$newaliases, '-x']);
is("$rc $err", "1 usage: newaliases [-f config]\n", "newaliases: unknown option: usage");


# ------------------------------------------------------------ other personalities
# mailq is smtpctl's (t/80-smtpctl-offline.t), sendmail without -bi is
# ctl/sendmail.c's (t/82-sendmail.t).

done_testing();

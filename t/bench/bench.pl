#!/usr/bin/perl
# bench.pl: `make bench`, a benchmark and never a test. Accept-and-commit
# throughput of our smtpd against Postfix's smtpd in the same run, on
# loopback, driven by Postfix's smtp-source: for each message size and
# session count, 5000 messages (BENCH_MESSAGES) to root@bench.example,
# one message per connection (smtp-source's default).
#
# For each run it prints wall-clock messages per second, the CPU seconds
# of the server's whole process tree, the peak RSS of its processes, and
# checks that the number of committed messages equals what was sent. Then
# the ratios ours/Postfix.
#
#   perl t/bench/bench.pl [--build DIR]        (as root; DIR defaults to build)
#
# Environment (all optional):
#   BENCH_MESSAGES=5000        messages per run
#   BENCH_SIZES="1024 102400"  message sizes in bytes (smtp-source -l)
#   BENCH_SESSIONS="1 20"      parallel sessions (smtp-source -s)
#   BENCH_SERVERS="smtpd postfix"
#   BENCH_TIMEOUT=180          seconds before one run is abandoned
#   BENCH_TMPDIR=/tmp          where the spools live (its filesystem matters)
#   BENCH_KEEP=1               keep the temporary directory (logs) afterwards
#
# CPU: for every process of the server's tree (ours: the parent and its
# roles; Postfix: master and everything under it), utime+stime from
# /proc/PID/stat plus cutime+cstime (children already reaped by it), read
# just before smtp-source starts and just after it exits; the difference
# is the run's CPU. Because /proc/PID/stat truncates utime and stime to
# 10 ms ticks, which over ~45 live Postfix processes would under-count by
# ~0.4 s, a live process's own time is the larger of those ticks and the
# nanosecond sum of /proc/PID/task/*/schedstat.
# Peak RSS: /proc/PID/status sampled every 0.2 s during the run (and at
# its end): the largest VmHWM of any one process, and the largest sum of
# VmRSS over the tree at one sample.
#
# Also printed: how idle the machine was, the CPU the whole machine spent
# during each run (server + client + the rest), and what creating one
# small file costs in each run's spool directory (see doc/performance.md
# for why that matters on this kind of machine).
#
# Spools are kept until the end of the whole run (and then removed with
# the temporary directory): on an ext4 without a journal, like this
# machine's, the inode allocator skips inodes freed in the last 60-360 s,
# so deleting one run's 5,000-15,000 files would tax the next run's file
# creations and bias whichever server runs second.
#
# Every process started here is stopped by PID, also on failure or ^C.
use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use Getopt::Long;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h setpgid _exit);
use Time::HiRes qw(time sleep);

$| = 1;

my $SRC = abs_path("$FindBin::Bin/../..");
my %opt = (
	build	=> $ENV{BENCH_BUILD} // 'build',
);
GetOptions('build=s' => \$opt{build}) or die "usage: bench.pl [--build DIR]\n";

my $BUILD	= abs_path($opt{build} =~ m{^/} || -d $opt{build} ? $opt{build} : "$SRC/$opt{build}")
    // die "bench: no build directory $opt{build}\n";
my $MESSAGES	= $ENV{BENCH_MESSAGES} // 5000;
my @SIZES	= split ' ', ($ENV{BENCH_SIZES} // '1024 102400');
my @SESSIONS	= split ' ', ($ENV{BENCH_SESSIONS} // '1 20');
my @SERVERS	= split ' ', ($ENV{BENCH_SERVERS} // 'smtpd postfix');
my $TIMEOUT	= $ENV{BENCH_TIMEOUT} // 180;
my $KEEP	= $ENV{BENCH_KEEP} // 0;
my $RCPT	= 'root@bench.example';
my $SENDER	= 'bench@example.net';
my $HZ		= POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my $nproc_n	= () = (slurp('/proc/stat') // "cpu0") =~ /^cpu\d+ /mg;
my $PF_CONF	= "$SRC/t/bench/postfix-conf.sh";

die "BENCH_MESSAGES must be a positive number\n" unless $MESSAGES =~ /^\d+$/ && $MESSAGES > 0;
die "bench: $BUILD/smtpd is missing (make all)\n" unless -x "$BUILD/smtpd";
die "bench: run as root (Postfix's master and our roles need it)\n" if $> != 0;
my $SMTP_SOURCE = find_prog('smtp-source')
    // die "bench: smtp-source not found (Debian package postfix)\n";
my $POSTFIX = find_prog('postfix');
die "bench: postfix not found (Debian package postfix)\n"
    if !$POSTFIX && grep { $_ eq 'postfix' } @SERVERS;
die "bench: getpwnam(root) fails: the recipient must be a real user\n"
    unless defined getpwnam('root');

# ---------------------------------------------------------------- cleanup
my @LIVE_PIDS;		# pids we started and have not reaped yet
my %PF_LIVE;		# postfix roots started and not yet stopped
my %SMTPD_LIVE;		# config paths of our daemons not yet stopped
my $TMP;
my $interrupted = 0;

for my $sig (qw(INT TERM HUP PIPE)) {
	$SIG{$sig} = sub { $interrupted = 1; die "bench: interrupted by SIG$sig\n" };
}

END {
	my $status = $?;
	cleanup_all() if defined $TMP;
	$? = $status;
}

sub cleanup_all {
	local ($!, $@);
	for my $pid (@LIVE_PIDS) {
		kill 'TERM', $pid;
	}
	for my $pid (@LIVE_PIDS) {
		my $deadline = time + 5;
		while (waitpid($pid, WNOHANG) == 0 && time < $deadline) { sleep 0.05 }
		kill 'KILL', $pid if waitpid($pid, WNOHANG) == 0;
		waitpid($pid, 0);
	}
	@LIVE_PIDS = ();
	postfix_stop($_) for keys %PF_LIVE;
	sweep_smtpd($_) for keys %SMTPD_LIVE;
	if ($KEEP) {
		print "bench: kept $TMP\n";
	} else {
		remove_tree($TMP, { safe => 1 });
	}
	undef $TMP;
}

# ---------------------------------------------------------------- helpers
sub find_prog {
	my ($name) = @_;
	for my $d (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/usr/bin', '/sbin') {
		return "$d/$name" if $d ne '' && -x "$d/$name";
	}
	return undef;
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return undef;
	local $/;
	my $t = <$fh>;
	close $fh;
	return $t;
}

sub spit {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "bench: $path: $!\n";
	print $fh $text;
	close $fh or die "bench: $path: $!\n";
}

sub free_port {
	my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
	    or die "bench: free_port: $!\n";
	my $port = $s->sockport;
	close $s;
	return $port;
}

sub cmd_out {
	my (@cmd) = @_;
	my $pid = open(my $fh, '-|') // die "bench: fork: $!\n";
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or _exit(127);
	}
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return wantarray ? ($? >> 8, $out) : $out;
}

# All processes: pid => { ppid, state }.
sub proc_table {
	my %t;
	opendir(my $dh, '/proc') or return \%t;
	for my $p (grep { /^\d+$/ } readdir $dh) {
		my $st = slurp("/proc/$p/stat") // next;
		next unless $st =~ /\) (\S) (\d+)/;
		$t{$p} = { state => $1, ppid => $2 };
	}
	closedir $dh;
	return \%t;
}

# The root and every live descendant of it.
sub tree_pids {
	my ($root, $t) = @_;
	$t //= proc_table();
	return () unless $t->{$root};
	my %kids;
	push @{ $kids{ $t->{$_}{ppid} } }, $_ for keys %$t;
	my @out;
	my @todo = ($root);
	while (@todo) {
		my $p = shift @todo;
		next if $t->{$p}{state} eq 'Z' && $p != $root;
		push @out, $p;
		push @todo, @{ $kids{$p} // [] };
	}
	return @out;
}

# CPU seconds of one process: its own time (see the header) plus its
# reaped children's.
sub proc_cpu {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/stat") // return 0;
	$st =~ s/^.*\) //s;
	my @f = split ' ', $st;		# $f[0] is field 3 (state)
	my $ticks = ($f[11] + $f[12]) / $HZ;
	my $children = ($f[13] + $f[14]) / $HZ;
	my $ns = 0;
	if (opendir(my $dh, "/proc/$pid/task")) {
		for my $tid (grep { /^\d+$/ } readdir $dh) {
			my $ss = slurp("/proc/$pid/task/$tid/schedstat") // next;
			$ns += (split ' ', $ss)[0];
		}
		closedir $dh;
	}
	my $own = $ns / 1e9 > $ticks ? $ns / 1e9 : $ticks;
	return $own + $children;
}

# CPU seconds of the tree: (total, { label => seconds }). The label is
# our role (-x ROLE) or the process name; a Postfix daemon that already
# exited (smtpd after max_use) is counted in master's reaped children.
sub tree_cpu {
	my ($root) = @_;
	my ($sum, %by) = (0);
	for my $p (tree_pids($root)) {
		my $c = proc_cpu($p);
		$sum += $c;
		my $cmd = slurp("/proc/$p/cmdline") // '';
		my $label;
		if ($cmd =~ /\0-x\0([^\0]+)/) {
			$label = $1;
		} else {
			($label = slurp("/proc/$p/comm") // '?') =~ s/\s+$//;
			$label = 'parent' if $p == $root && $label eq 'smtpd';
		}
		$by{$label} += $c;
	}
	return ($sum, \%by);
}

sub cpu_split {
	my ($b0, $b1) = @_;
	my %d = %$b1;
	$d{$_} -= $b0->{$_} for keys %$b0;
	return join ', ', map { sprintf "%s %.2f", $_, $d{$_} }
	    sort { $d{$b} <=> $d{$a} } grep { abs($d{$_}) >= 0.005 } keys %d;
}

# Memory sample: (max VmHWM of one process, sum of VmRSS) in kB.
sub tree_mem {
	my ($root) = @_;
	my ($hwm, $rss) = (0, 0);
	for my $p (tree_pids($root)) {
		my $s = slurp("/proc/$p/status") // next;
		$hwm = $1 if $s =~ /^VmHWM:\s+(\d+)/m && $1 > $hwm;
		$rss += $1 if $s =~ /^VmRSS:\s+(\d+)/m;
	}
	return ($hwm, $rss);
}

sub alive {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/stat") // return 0;
	return $st !~ /\) Z /;
}

# Stop the listed pids: TERM, a bounded wait, then KILL; one by one.
sub stop_pids {
	my ($grace, @pids) = @_;
	@pids = grep { alive($_) } @pids;
	return () unless @pids;
	kill 'TERM', $_ for @pids;
	my $deadline = time + $grace;
	while (time < $deadline && grep { alive($_) } @pids) {
		waitpid($_, WNOHANG) for @pids;
		sleep 0.05;
	}
	my @left = grep { alive($_) } @pids;
	kill 'KILL', $_ for @left;
	return @left;
}

sub pids_where {
	my ($test) = @_;
	my @out;
	opendir(my $dh, '/proc') or return @out;
	for my $p (grep { /^\d+$/ } readdir $dh) {
		next if $p == $$;
		push @out, $p if $test->($p);
	}
	closedir $dh;
	return grep { alive($_) } @out;
}

sub count_files {
	my ($dir, $re) = @_;
	my $n = 0;
	opendir(my $dh, $dir) or return 0;
	for my $e (grep { !/^\.\.?$/ } readdir $dh) {
		my $p = "$dir/$e";
		if (-d $p && !-l $p) {
			$n += count_files($p, $re);
		} elsif (!defined $re || $e =~ $re) {
			$n++;
		}
	}
	closedir $dh;
	return $n;
}

# Busy CPU seconds of the whole machine (all CPUs, everything but idle
# and iowait) from /proc/stat: a cross-check of the per-tree figures.
sub machine_busy {
	my $st = slurp('/proc/stat') // return 0;
	return 0 unless $st =~ /^cpu\s+(.*)$/m;
	my @f = split ' ', $1;
	my $busy = 0;
	for my $i (0 .. $#f) {
		next if $i == 3 || $i == 4 || $i >= 7;	# idle, iowait, steal, guest*
		$busy += $f[$i];
	}
	return $busy / $HZ;
}

# What creating a small file costs in CPU (microseconds) in DIR: the
# servers create one (Postfix) or three (ours) inodes per message, and on
# some filesystems, or some parts of one, that is the dominant cost.
sub create_probe {
	my ($dir) = @_;
	my $d = "$dir/probe";
	mkdir $d or return -1;
	my $n = 300;
	my $self0 = (split ' ', (slurp('/proc/self/schedstat') // '0'))[0];
	for my $i (1 .. $n) {
		open(my $fh, '>', "$d/f$i") or last;
		print $fh 'x' x 1024;
		close $fh;
	}
	my $self1 = (split ' ', (slurp('/proc/self/schedstat') // '0'))[0];
	return ($self1 - $self0) / 1000 / $n;
}

# How idle the machine is: CPU busy over one second (all CPUs), the
# pressure-stall averages and the load average.
sub machine_state {
	my $b0 = machine_busy();
	my $t0 = time;
	sleep 1;
	my $pct = 100 * (machine_busy() - $b0) / ((time - $t0) * ($nproc_n || 1));
	my %psi;
	for my $r (qw(cpu io)) {
		my $t = slurp("/proc/pressure/$r") // next;
		$psi{$r} = $1 if $t =~ /^some avg10=([\d.]+)/m;
	}
	my ($la) = (slurp('/proc/loadavg') // '?') =~ /^(\S+ \S+ \S+)/;
	my $txt = sprintf "CPU busy %.0f%% over 1 s, pressure (some, avg10) cpu %s%% io %s%%, load %s",
	    $pct, $psi{cpu} // '?', $psi{io} // '?', $la // '?';
	return ($txt, $pct, $psi{io} // 0);
}

sub settle {
	system('sync');
	sleep 0.5;
}

# ---------------------------------------------------------------- the load
# Runs smtp-source under a small timing wrapper (a fork of this script
# that waits for it, blocking, so the wall time is exact) while this
# process samples the server's memory. Returns { wall, client_cpu, rc,
# out, hwm, rss }.
sub drive {
	my ($root, $port, $size, $sessions, $tag) = @_;
	my $res = "$TMP/$tag.drive";
	my $outf = "$TMP/$tag.smtp-source";
	my @cmd = ($SMTP_SOURCE, '-s', $sessions, '-m', $MESSAGES, '-l', $size,
	    '-t', $RCPT, '-f', $SENDER, "127.0.0.1:$port");
	my $w = fork() // die "bench: fork: $!\n";
	if ($w == 0) {
		my $child;
		$SIG{TERM} = sub { kill 'KILL', $child if $child; _exit(124) };
		$SIG{$_} = 'DEFAULT' for qw(INT HUP PIPE);
		my @t0 = times;
		my $t0 = time;
		$child = fork() // _exit(125);
		if ($child == 0) {
			open(STDIN, '<', '/dev/null');
			open(STDOUT, '>', $outf);
			open(STDERR, '>&', \*STDOUT);
			exec(@cmd) or _exit(127);
		}
		waitpid($child, 0);
		my $rc = $?;
		my $t1 = time;
		my @t1 = times;
		my $cpu = ($t1[2] + $t1[3]) - ($t0[2] + $t0[3]);
		if (open(my $fh, '>', $res)) {
			printf $fh "%.6f %.3f %d\n", $t1 - $t0, $cpu, $rc;
			close $fh;
		}
		_exit(0);
	}
	push @LIVE_PIDS, $w;
	my $busy0 = machine_busy();
	my ($hwm, $rss) = (0, 0);
	my $deadline = time + $TIMEOUT;
	my $timed_out = 0;
	while (waitpid($w, WNOHANG) == 0) {
		my ($h, $r) = tree_mem($root);
		$hwm = $h if $h > $hwm;
		$rss = $r if $r > $rss;
		if (time > $deadline) {
			$timed_out = 1;
			kill 'TERM', $w;
			waitpid($w, 0);
			last;
		}
		sleep 0.2;
	}
	my $busy = machine_busy() - $busy0;
	@LIVE_PIDS = grep { $_ != $w } @LIVE_PIDS;
	my ($h, $r) = tree_mem($root);
	$hwm = $h if $h > $hwm;
	$rss = $r if $r > $rss;
	my ($wall, $ccpu, $rc) = split ' ', (slurp($res) // "0 0 -1");
	my $out = slurp($outf) // '';
	return { wall => $wall, client_cpu => $ccpu, rc => $rc, out => $out,
	    hwm => $hwm, rss => $rss, timed_out => $timed_out, busy => $busy };
}

# ---------------------------------------------------------------- our smtpd
my %SMTPD_OK_EVENT = map { $_ => 1 } qw(connected mail rcpt accepted commit
    starting ready walk signal shutdown);

sub smtpd_log_problems {
	my ($log) = @_;
	my (%count, @first);
	for my $l (split /\n/, $log) {
		my $ok = 0;
		if ($l =~ /\bresult=(\S+)/) {
			$ok = $1 eq 'Ok';
		} elsif ($l =~ /\bevent=(\S+)/) {
			my $e = $1;
			$ok = 1 if $SMTPD_OK_EVENT{$e};
			$ok = 1 if $e eq 'closed' && $l =~ /reason=quit\b/;
			$ok = 1 if $e eq 'exit' && $l =~ /status=0\b/;
		}
		next if $ok;
		(my $k = $l) =~ s/^\S+\s+\S+\s+(?:[0-9a-f]{8,16}\s+)?//;
		$k =~ s/\b(session|from|to|rcpt|msgid|id)=\S+/$1=*/g;
		$k =~ s/\d+/N/g;
		push @first, $l unless $count{$k}++;
	}
	return (\%count, \@first);
}

sub smtpd_run {
	my ($size, $sessions, $tag) = @_;
	my $dir = "$TMP/$tag";
	mkdir $dir or die "bench: mkdir $dir: $!\n";
	chmod 0755, $dir;
	my $port = free_port();
	my $conf = "$dir/smtpd.conf";
	spit($conf, <<"CONF");
queue directory "$dir/spool"
control socket "$dir/smtpd.sock"
listen on 127.0.0.1 port $port
action "out" relay
match from any for domain "bench.example" action "out"
CONF
	chmod 0644, $conf;
	my $logf = "$dir/smtpd.log";
	my $probe = create_probe($dir);
	settle();
	my $pid = fork() // die "bench: fork: $!\n";
	if ($pid == 0) {
		setpgid(0, 0);
		$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP PIPE);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $logf);
		open(STDERR, '>&', \*STDOUT);
		exec("$BUILD/smtpd", '-d', '-f', $conf) or _exit(127);
	}
	push @LIVE_PIDS, $pid;
	$SMTPD_LIVE{$conf} = 1;
	my $deadline = time + 15;
	while (time < $deadline) {
		last if (slurp($logf) // '') =~ /event=ready/;
		if (waitpid($pid, WNOHANG) == $pid) {
			@LIVE_PIDS = grep { $_ != $pid } @LIVE_PIDS;
			die "bench: smtpd exited before ready:\n" . (slurp($logf) // '');
		}
		sleep 0.02;
	}
	die "bench: smtpd not ready after 15 s:\n" . (slurp($logf) // '')
	    unless (slurp($logf) // '') =~ /event=ready/;

	my ($cpu0, $by0) = tree_cpu($pid);
	my $d = drive($pid, $port, $size, $sessions, $tag);
	my ($cpu1, $by1) = tree_cpu($pid);
	$d->{split} = cpu_split($by0, $by1);
	$d->{probe} = $probe;
	my $nproc = scalar tree_pids($pid);

	my $committed = count_files("$dir/spool/queue", qr/^message$/);
	my $incoming = count_files("$dir/spool/incoming");
	my $corrupt = count_files("$dir/spool/corrupt");

	# Stop: SIGTERM to the parent, bounded wait, then any straggler.
	my $t0 = time;
	kill 'TERM', $pid;
	my $status;
	$deadline = time + 10;
	while (time < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) { $status = $?; last }
		sleep 0.02;
	}
	if (!defined $status) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
		$status = 'killed';
	}
	my $stop_s = time - $t0;
	@LIVE_PIDS = grep { $_ != $pid } @LIVE_PIDS;
	my @stray = sweep_smtpd($conf);

	my ($cnt, $first) = smtpd_log_problems(slurp($logf) // '');
	my @notes;
	push @notes, "exit status $status" if $status ne '0';
	push @notes, sprintf("stop took %.1f s", $stop_s) if $stop_s > 2;
	push @notes, "stray processes killed: @stray" if @stray;
	push @notes, "incoming/ not empty: $incoming" if $incoming;
	push @notes, "corrupt/ not empty: $corrupt" if $corrupt;
	my $res = result('smtpd', $size, $sessions, $d, $cpu1 - $cpu0,
	    $committed, $nproc, \@notes);
	$res->{log_counts} = $cnt;
	$res->{log_first} = $first;
	# The spool stays until the end: see "Spools are kept" in the header.
	return $res;
}

# Everything still running with our config path in its command line.
sub sweep_smtpd {
	my ($conf) = @_;
	delete $SMTPD_LIVE{$conf};
	my @p = pids_where(sub {
		my $c = slurp("/proc/$_[0]/cmdline") // return 0;
		return index($c, "\0$conf\0") >= 0 || $c =~ /\0\Q$conf\E$/;
	});
	stop_pids(2, @p);
	return @p;
}

# ---------------------------------------------------------------- postfix
sub postfix_pids {
	my ($root) = @_;
	my $want = "MAIL_CONFIG=$root/etc";
	return pids_where(sub {
		my $e = slurp("/proc/$_[0]/environ") // return 0;
		return grep { $_ eq $want } split /\0/, $e;
	});
}

sub postfix_master {
	my ($root) = @_;
	my $p = slurp("$root/queue/pid/master.pid") // return undef;
	return $p =~ /(\d+)/ ? $1 : undef;
}

# postfix stop, then make sure nothing of this instance is left.
sub postfix_stop {
	my ($root) = @_;
	return () unless delete $PF_LIVE{$root};
	my @before = postfix_pids($root);
	my $master = postfix_master($root);
	push @before, $master if $master && !grep { $_ == $master } @before;
	cmd_out($POSTFIX, '-c', "$root/etc", 'stop');
	my $deadline = time + 10;
	while (time < $deadline && grep { alive($_) } @before, postfix_pids($root)) {
		sleep 0.05;
	}
	my @left = grep { alive($_) } @before, postfix_pids($root);
	my %u = map { $_ => 1 } @left;
	@left = sort { $a <=> $b } keys %u;
	stop_pids(2, @left);
	return @left;
}

sub postfix_log_problems {
	my ($log) = @_;
	my (%count, @first, $qmgr);
	$qmgr = 0;
	for my $l (split /\n/, $log) {
		next unless $l =~ /\b(warning|error|fatal|panic|reject|lost connection|timeout)\b/i;
		if ($l =~ /warning: unable to look up public\/qmgr/) { $qmgr++; next }
		(my $k = $l) =~ s/^.*?\]: //;
		$k =~ s/\b[0-9A-F]{6,}\b/ID/g;
		$k =~ s/\d+/N/g;
		push @first, $l unless $count{$k}++;
	}
	return (\%count, \@first, $qmgr);
}

sub postfix_run {
	my ($size, $sessions, $tag) = @_;
	my $root = "$TMP/$tag";
	my $port = free_port();
	my ($rc, $out) = cmd_out('sh', $PF_CONF, $root, $port);
	die "bench: postfix-conf.sh failed: $out\n" if $rc;
	my $probe = create_probe($root);
	settle();
	$PF_LIVE{$root} = 1;
	($rc, $out) = cmd_out($POSTFIX, '-c', "$root/etc", 'start');
	my $master = postfix_master($root);
	if ($rc || !$master || !alive($master)) {
		die "bench: postfix start failed ($rc): $out\n" .
		    (slurp("$root/maillog") // '');
	}
	# master -w returns when the master is up; the listener is open.
	my ($cpu0, $by0) = tree_cpu($master);
	my $d = drive($master, $port, $size, $sessions, $tag);
	my ($cpu1, $by1) = tree_cpu($master);
	$d->{split} = cpu_split($by0, $by1);
	$d->{probe} = $probe;
	my $nproc = scalar tree_pids($master);

	my $incoming = count_files("$root/queue/incoming");
	my $active = count_files("$root/queue/active");
	my %other;
	for my $q (qw(deferred hold corrupt maildrop bounce defer)) {
		my $n = count_files("$root/queue/$q");
		$other{$q} = $n if $n;
	}
	my $t0 = time;
	my @stray = postfix_stop($root);
	my $stop_s = time - $t0;
	my ($cnt, $first, $qmgr) = postfix_log_problems(slurp("$root/maillog") // '');
	my @notes;
	push @notes, "stray processes killed: @stray" if @stray;
	push @notes, sprintf("stop took %.1f s", $stop_s) if $stop_s > 5;
	push @notes, "$_/: $other{$_}" for sort keys %other;
	push @notes, "incoming $incoming + active $active";
	push @notes, "'unable to look up public/qmgr' warnings: $qmgr (expected, no qmgr)"
	    if $qmgr;
	my $res = result('postfix', $size, $sessions, $d, $cpu1 - $cpu0,
	    $incoming + $active, $nproc, \@notes);
	$res->{log_counts} = $cnt;
	$res->{log_first} = $first;
	return $res;
}

# ---------------------------------------------------------------- report
sub result {
	my ($server, $size, $sessions, $d, $cpu, $committed, $nproc, $notes) = @_;
	my $wall = $d->{wall} || 1e-9;
	my @n = @$notes;
	unshift @n, "smtp-source exit status " . ($d->{rc} >> 8) .
	    ($d->{rc} & 127 ? " signal " . ($d->{rc} & 127) : '') if $d->{rc};
	unshift @n, "TIMED OUT after $TIMEOUT s" if $d->{timed_out};
	unshift @n, "COMMITTED $committed != SENT $MESSAGES" if $committed != $MESSAGES;
	if ($d->{out} =~ /\S/) {
		my @l = split /\n/, $d->{out};
		push @n, "smtp-source said (" . scalar(@l) . " lines): " .
		    join(' | ', @l[0 .. ($#l < 4 ? $#l : 4)]);
	}
	return {
		server => $server, size => $size, sessions => $sessions,
		wall => $d->{wall}, rate => $committed / $wall,
		cpu => $cpu, cpu_msg => $committed ? 1000 * $cpu / $committed : 0,
		hwm => $d->{hwm}, rss => $d->{rss}, committed => $committed,
		client_cpu => $d->{client_cpu}, nproc => $nproc, notes => \@n,
		busy => $d->{busy},
		split => $d->{split},
		probe => $d->{probe},
	};
}

sub size_label {
	my ($s) = @_;
	return $s % 1024 == 0 ? ($s / 1024) . " KB" : "$s B";
}

sub print_run {
	my ($r) = @_;
	printf "%-8s %7s %4d %6d %8.2f %9.1f %7.2f %8.3f %7.1f %8.1f %6d %8.2f %7.0f\n",
	    $r->{server}, size_label($r->{size}), $r->{sessions}, $r->{committed},
	    $r->{wall}, $r->{rate}, $r->{cpu}, $r->{cpu_msg}, $r->{hwm} / 1024,
	    $r->{rss} / 1024, $r->{nproc}, $r->{client_cpu}, $r->{probe};
}

my $HEADER = sprintf "%-8s %7s %4s %6s %8s %9s %7s %8s %7s %8s %6s %8s %7s\n",
    'server', 'size', 'sess', 'commit', 'wall s', 'msg/s', 'cpu s',
    'ms/msg', 'HWM MB', 'RSS MB', 'procs', 'client s', 'crt us';

# ---------------------------------------------------------------- main
my $base = $ENV{BENCH_TMPDIR} // $ENV{TMPDIR} // '/tmp';
$TMP = tempdir('smtpd-bench-XXXXXX', DIR => $base);
chmod 0755, $TMP;

my $etc_before = -d '/etc/postfix' ?
    scalar cmd_out('find', '/etc/postfix', '-printf', '%P %s %T@\n') : '';
my $sys_master = join ' ', pids_where(sub {
	return (slurp("/proc/$_[0]/comm") // '') eq "master\n";
});

chomp(my $kernel = cmd_out('uname', '-sr'));
my ($cpu_model) = (slurp('/proc/cpuinfo') // '') =~ /^model name\s*:\s*(.*)$/m;
chomp(my $nproc = cmd_out('nproc'));
my ($memkb) = (slurp('/proc/meminfo') // '') =~ /^MemTotal:\s+(\d+)/m;
chomp(my $pfver = $POSTFIX ? scalar cmd_out('postconf', '-d', '-h', 'mail_version') : 'n/a');
chomp(my $rev = scalar cmd_out('git', '-C', $SRC, 'describe', '--always', '--dirty'));
sub fs_of {
	my ($path) = @_;
	my @l = split /\n/, scalar cmd_out('df', '-T', '-P', $path);
	my @f = split ' ', ($l[-1] // '');
	return @f >= 7 ? sprintf("%s %s, %s (%s used), mounted on %s", $f[1], $f[0],
	    fmt_kb($f[2]), $f[5], $f[6]) : '?';
}

sub fmt_kb {
	my ($kb) = @_;
	return $kb >= 1048576 ? sprintf("%.0f GB", $kb / 1048576) : sprintf("%.0f MB", $kb / 1024);
}


print "== make bench: accept-and-commit, smtpd vs Postfix smtpd, on loopback\n";
printf "machine: %s CPUs (%s), %.1f GB RAM, %s\n", $nproc, $cpu_model // '?',
    ($memkb // 0) / 1048576, $kernel;
print "smtpd: $BUILD/smtpd (source $rev); Postfix $pfver; client $SMTP_SOURCE\n";
print "spools: $TMP: ", fs_of($TMP), "\n";
print "source: $SRC: ", fs_of($SRC), "\n";
printf "cost of creating a 1 KB file there (open O_CREAT, write, close): %.0f us CPU\n",
    create_probe($TMP);
printf "workload: %d messages per run, 1 recipient, one message per connection; " .
    "sizes %s; sessions %s\n", $MESSAGES, join(', ', map { size_label($_) } @SIZES),
    join(', ', @SESSIONS);
print "system postfix master already running: pid $sys_master\n" if $sys_master;
my ($state0, $busy_pct0, $io0) = machine_state();
print "machine before: $state0\n";
print "WARNING: the machine is not idle (other work uses the CPUs or the disk): " .
    "figures will be noisy\n" if $busy_pct0 > 10 || $io0 > 5;
print "\n", $HEADER;

my @results;
my $t_start = time;
for my $size (@SIZES) {
	for my $sessions (@SESSIONS) {
		for my $server (@SERVERS) {
			my $tag = sprintf "%s-%d-%d", $server, $size, $sessions;
			my $r = $server eq 'smtpd' ? smtpd_run($size, $sessions, $tag)
			    : $server eq 'postfix' ? postfix_run($size, $sessions, $tag)
			    : die "bench: unknown server $server\n";
			push @results, $r;
			print_run($r);
		}
	}
}
my $elapsed = time - $t_start;

print "\nmsg/s = committed messages / wall seconds of smtp-source; cpu s = CPU of the\n" .
    "server's process tree during the run; ms/msg = cpu s / messages; HWM MB = largest\n" .
    "VmHWM of one process; RSS MB = largest sum of VmRSS over the tree; procs = processes\n" .
    "in the tree at the end; client s = smtp-source's own CPU; crt us = CPU to create one\n" .
    "1 KB file in that run's spool directory, probed just before the run.\n";

print "\nratios ours/Postfix (msg/s: higher is better; CPU per message: lower is better)\n";
printf "%-14s %12s %14s\n", 'workload', 'msg/s', 'CPU/msg';
my %by;
$by{"$_->{size}/$_->{sessions}"}{ $_->{server} } = $_ for @results;
my $goal;
for my $size (@SIZES) {
	for my $sessions (@SESSIONS) {
		my $o = $by{"$size/$sessions"}{smtpd} or next;
		my $p = $by{"$size/$sessions"}{postfix} or next;
		my $rr = $p->{rate} ? $o->{rate} / $p->{rate} : 0;
		my $cr = $p->{cpu_msg} ? $o->{cpu_msg} / $p->{cpu_msg} : 0;
		printf "%-14s %11.2fx %13.2fx\n",
		    size_label($size) . " x $sessions", $rr, $cr;
		$goal = [$rr, $o->{rate}, $p->{rate}] if $size == 1024 && $sessions == 20;
	}
}
if ($goal) {
	printf "\ngoal (1 KB, 20 sessions, ours >= 2x Postfix): %s (%.0f vs %.0f msg/s, %.2fx)\n",
	    $goal->[0] >= 2 ? 'met' : 'NOT met', $goal->[1], $goal->[2], $goal->[0];
}

print "\nchecks and notes\n";
for my $r (@results) {
	my $tag = sprintf "%-7s %6s x %2d", $r->{server}, size_label($r->{size}), $r->{sessions};
	my $ok = $r->{committed} == $MESSAGES ? "committed $r->{committed} = sent $MESSAGES"
	    : "COMMITTED $r->{committed} != SENT $MESSAGES";
	print "$tag: $ok\n";
	printf "    machine busy %.2f s = server %.2f + client %.2f + rest %.2f " .
	    "(kernel threads, softirq, this script, other processes)\n", $r->{busy}, $r->{cpu},
	    $r->{client_cpu}, $r->{busy} - $r->{cpu} - $r->{client_cpu};
	print "    server cpu by process: $r->{split}\n" if $r->{split};
	print "    $_\n" for grep { !/^COMMITTED/ } @{ $r->{notes} };
	my $c = $r->{log_counts} // {};
	my $bad = 0;
	$bad += $_ for values %$c;
	if ($bad) {
		print "    log: $bad unexpected lines (" . scalar(keys %$c) . " kinds); first of each:\n";
		my @f = @{ $r->{log_first} };
		print "      $_\n" for @f[0 .. ($#f < 9 ? $#f : 9)];
	} else {
		print "    log: nothing unexpected\n";
	}
}

if (-d '/etc/postfix') {
	my $etc_after = cmd_out('find', '/etc/postfix', '-printf', '%P %s %T@\n');
	print "/etc/postfix: ", ($etc_after eq $etc_before ? "untouched" : "CHANGED during the run"), "\n";
}
# Anything whose command line or environment names the temporary directory.
my @left = pids_where(sub {
	for my $f (qw(cmdline environ)) {
		return 1 if index(slurp("/proc/$_[0]/$f") // '', $TMP) >= 0;
	}
	return 0;
});
print "processes left: ", (@left ? "@left (killed)" : "none"), "\n";
stop_pids(2, @left);
my ($state1) = machine_state();
print "machine after: $state1\n";
printf "elapsed: %.0f s\n", $elapsed;
exit 0;

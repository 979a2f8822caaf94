#!/usr/bin/perl
# bench.pl: `make bench`, a benchmark and never a test. Five kinds of
# run (BENCH_MODES), each ours against another server in the same run,
# driven by Postfix's smtp-source (tls: by t/bench/tls-source.py) with
# 5000 messages (BENCH_MESSAGES) per run, one message per connection
# (smtp-source's default), for each message size and session count:
#
#   commit        accept-and-commit over SMTP on loopback: our smtpd
#                 (mail routed to a relay action whose relay client is
#                 paused with `smtpctl pause mta` right after the daemon
#                 is ready, so nothing leaves: the envelopes stay queued)
#                 against Postfix's smtpd + cleanup (no qmgr, nothing
#                 delivered). msg/s = committed messages over
#                 smtp-source's wall time.
#   smtp-maildir  end to end, SMTP to Maildir: our smtpd with a maildir
#                 action against a whole Postfix delivering with local(8)
#                 to a Maildir. The clock runs from smtp-source's start
#                 until the last message is in Maildir/new.
#   lmtp-maildir  end to end, LMTP to Maildir: smtp-source -L over a UNIX
#                 socket to our LMTP listener (maildir action) and to a
#                 private Dovecot's LMTP server (mail_location maildir).
#                 Same clock as smtp-maildir, which stays valid whether
#                 an LMTP server replies before or after it delivers.
#   tls           STARTTLS sessions per second: the commit rows' servers
#                 (nothing delivered) with STARTTLS offered, our
#                 `listen ... tls pki localhost` against Postfix with
#                 smtpd_tls_security_level = may, the same test
#                 certificate (made at run time with certtool, see
#                 t/lib/TlsCert.pm). smtp-source has no TLS, so the load
#                 is t/bench/tls-source.py (Python smtplib + OpenSSL):
#                 every session EHLO, STARTTLS, a full handshake, EHLO,
#                 MAIL, RCPT, DATA, QUIT. Only 1 KB x 20 sessions by
#                 default (BENCH_TLS_SIZES, BENCH_TLS_SESSIONS). After
#                 each run one `openssl s_client -starttls smtp` session
#                 (outside the measurement) shows what the server chose
#                 (version, cipher, signature, key exchange group).
#                 Our relay client is paused as in the commit rows.
#   relay         relay throughput, queue to a loopback sink: each server
#                 relays what smtp-source injects to Postfix's smtp-sink
#                 on 127.0.0.1 (a fresh sink per run, counting messages
#                 with -c, throwing them away): our smtpd with
#                 `action "out" relay host smtp://127.0.0.1:SINKPORT` and
#                 `match from any for any action "out"` against a whole
#                 Postfix (smtpd, cleanup, qmgr, smtp(8)) with
#                 relayhost = [127.0.0.1]:SINKPORT, every smtp(8) setting
#                 at its default. The clock runs from smtp-source's start
#                 until the sink has counted every message (the change
#                 time of its counter output, polled every 20 ms); a run
#                 in which the sink gets nothing ends after 30 s without
#                 progress (or BENCH_TIMEOUT) and has no rate. The sink's
#                 CPU is not the server's (shown in the notes).
#
# The end-to-end recipient is the unprivileged user BENCH_USER (default
# smtpbench, created like t/lib/users.sh does); every server delivers as
# that user into a Maildir in its run's directory.
#
# For each run it prints messages per second, the CPU seconds of the
# server's whole process tree, the peak RSS of its processes, and checks
# that the number of committed (or delivered) messages equals what was
# sent. Then the ratios ours/theirs.
#
#   perl t/bench/bench.pl [--build DIR]        (as root; DIR defaults to build)
#
# Environment (all optional):
#   BENCH_MESSAGES=5000        messages per run
#   BENCH_SIZES="1024 102400"  message sizes in bytes (smtp-source -l)
#   BENCH_SESSIONS="1 20"      parallel sessions (smtp-source -s)
#   BENCH_MODES="commit smtp-maildir lmtp-maildir tls relay"
#   BENCH_TLS_SIZES=1024       message sizes of the tls rows
#   BENCH_TLS_SESSIONS=20      parallel sessions of the tls rows
#   BENCH_TLS_CIPHERS=STR      our smtpd's `smtp ciphers` (a GnuTLS priority
#                              string) in the tls rows; default: none, the
#                              built-in priority
#   BENCH_SERVERS="smtpd postfix dovecot"   which servers run at all
#   BENCH_USER=smtpbench       the end-to-end recipient (a system user)
#   BENCH_TIMEOUT=180          seconds before one run is abandoned
#   BENCH_TMPDIR=/tmp          where the spools live (its filesystem matters)
#   BENCH_KEEP=1               keep the temporary directory (logs) afterwards
#
# End-to-end time: smtp-source's start (taken by the timing wrapper) to
# the newest change time (ctime) of the files in the Maildir's new/ and
# cur/, read once every message is there (polled every 20 ms after
# smtp-source exits, bounded by BENCH_TIMEOUT and by 30 s without
# progress). Moving a file into new/ sets its ctime, so that is when the
# last message arrived, to the kernel's coarse clock (one tick, 4 ms here).
#
# CPU: for every process of the server's tree (ours: the parent and its
# roles, and the reaped deliver processes; Postfix: master and everything
# under it; Dovecot: its master and everything under it), utime+stime
# from /proc/PID/stat plus cutime+cstime (children already reaped by it),
# read just before smtp-source starts and just after the run (after the
# last delivery for end-to-end runs); the difference is the run's CPU.
# Because /proc/PID/stat truncates utime and stime to
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
# creations and bias whichever server runs second. (End-to-end runs
# cannot avoid it: both servers remove each queue file once delivered.)
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
my @SERVERS	= split ' ', ($ENV{BENCH_SERVERS} // 'smtpd postfix dovecot');
my @MODES	= split ' ', ($ENV{BENCH_MODES} // 'commit smtp-maildir lmtp-maildir tls relay');
my @TLS_SIZES	= split ' ', ($ENV{BENCH_TLS_SIZES} // '1024');
my @TLS_SESSIONS = split ' ', ($ENV{BENCH_TLS_SESSIONS} // '20');
my $TLS_CIPHERS	= $ENV{BENCH_TLS_CIPHERS} // '';
my $TIMEOUT	= $ENV{BENCH_TIMEOUT} // 180;
my $KEEP	= $ENV{BENCH_KEEP} // 0;
my $RCPT	= 'root@bench.example';
my $USER	= $ENV{BENCH_USER} // 'smtpbench';
my $RCPT_E2E	= "$USER\@bench.example";
my $SENDER	= 'bench@example.net';
my $HZ		= POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my $nproc_n	= () = (slurp('/proc/stat') // "cpu0") =~ /^cpu\d+ /mg;
my $PF_CONF	= "$SRC/t/bench/postfix-conf.sh";
my $DV_CONF	= "$SRC/t/bench/dovecot-conf.sh";

# Each mode: ours against whom, and the section title.
my %MODE = (
	'commit' => { other => 'postfix',
	    title => 'accept-and-commit over SMTP (nothing delivered): smtpd vs Postfix smtpd' },
	'smtp-maildir' => { other => 'postfix', e2e => 1,
	    title => 'end to end, SMTP to Maildir/new: smtpd (maildir action) vs Postfix (local(8) to Maildir)' },
	'lmtp-maildir' => { other => 'dovecot', e2e => 1, lmtp => 1,
	    title => 'end to end, LMTP (UNIX socket) to Maildir/new: smtpd (lmtp listener, maildir action) vs Dovecot lmtp' },
	'tls' => { other => 'postfix', tls => 1,
	    title => 'STARTTLS sessions (one 1 KB message each, nothing delivered): smtpd (listen ... tls) vs Postfix smtpd (tls_security_level may)' },
	'relay' => { other => 'postfix', e2e => 1, relay => 1,
	    title => 'relay, queue to a loopback smtp-sink: smtpd (relay host smtp://127.0.0.1:SINK) vs Postfix smtp(8) (relayhost [127.0.0.1]:SINK)' },
);
my %SERVER_ON = map { $_ => 1 } @SERVERS;
for my $m (@MODES) {
	die "bench: unknown mode $m (commit, smtp-maildir, lmtp-maildir, tls, relay)\n" unless $MODE{$m};
}
sub wants { my ($server, $mode) = @_; return $SERVER_ON{$server} && grep { $_ eq $mode } @MODES }
# End to end into a Maildir: the runs that need BENCH_USER.
my $E2E = grep { $MODE{$_}{e2e} && !$MODE{$_}{relay} } @MODES;

die "BENCH_MESSAGES must be a positive number\n" unless $MESSAGES =~ /^\d+$/ && $MESSAGES > 0;
die "bench: $BUILD/smtpd is missing (make all)\n" unless -x "$BUILD/smtpd";
die "bench: run as root (Postfix's master and our roles need it)\n" if $> != 0;
my $SMTP_SOURCE = find_prog('smtp-source')
    // die "bench: smtp-source not found (Debian package postfix)\n";
my $POSTFIX = find_prog('postfix');
die "bench: postfix not found (Debian package postfix)\n"
    if !$POSTFIX && (wants('postfix', 'commit') || wants('postfix', 'smtp-maildir') ||
    wants('postfix', 'tls') || wants('postfix', 'relay'));
# The relay rows' sink, run as an unprivileged user (smtp-sink -u).
my ($SMTP_SINK, $SINK_USER);
if (grep { $_ eq 'relay' } @MODES) {
	$SMTP_SINK = find_prog('smtp-sink')
	    // die "bench: smtp-sink not found (Debian package postfix; relay rows)\n";
	$SINK_USER = (grep { defined getpwnam($_) } 'nobody', $USER)[0]
	    // die "bench: no unprivileged user (nobody) to run smtp-sink as\n";
}
my $DOVECOT = find_prog('dovecot');
die "bench: dovecot not found (Debian package dovecot-lmtpd)\n"
    if wants('dovecot', 'lmtp-maildir') && !($DOVECOT && -x '/usr/lib/dovecot/lmtp');
die "bench: getpwnam(root) fails: the recipient must be a real user\n"
    unless defined getpwnam('root');
# The tls rows: the client (run by the real python3 binary, so that a
# wrapper such as a pyenv shim is not timed), certtool for the test
# certificate, openssl for the probe of what each server negotiates.
my ($PYTHON, $OPENSSL, $CERTS);
my $TLS_SOURCE = "$SRC/t/bench/tls-source.py";
if (grep { $_ eq 'tls' } @MODES) {
	my $py = find_prog('python3') // die "bench: python3 not found (tls rows)\n";
	($PYTHON = scalar cmd_out($py, '-c', 'import ssl, sys; print(sys.executable)')) =~ s/\s+\z//;
	die "bench: $py has no ssl module (tls rows): $PYTHON\n" unless -x $PYTHON;
	find_prog('certtool') // die "bench: certtool not found (Debian package gnutls-bin; tls rows)\n";
	$OPENSSL = find_prog('openssl');
}
if ($E2E) {
	system('sh', "$SRC/t/lib/users.sh", $USER) == 0
	    or die "bench: cannot create the user $USER (t/lib/users.sh)\n";
	my @pw = getpwnam($USER);
	die "bench: no user $USER for the end-to-end runs\n" unless @pw;
	die "bench: BENCH_USER must not be root\n" if $pw[2] == 0;
}

# ---------------------------------------------------------------- cleanup
my @LIVE_PIDS;		# pids we started and have not reaped yet
my %PF_LIVE;		# postfix roots started and not yet stopped
my %SMTPD_LIVE;		# config paths of our daemons not yet stopped
my %SINK_LIVE;		# smtp-sink pids not yet stopped
my %DV_LIVE;		# dovecot roots started and not yet stopped => master pid
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
	# A second signal (or a closed stdout) must not cut the cleanup short.
	local @SIG{qw(INT TERM HUP PIPE)} = ('IGNORE') x 4;
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
	sink_stop($_) for keys %SINK_LIVE;
	postfix_stop($_) for keys %PF_LIVE;
	sweep_smtpd($_) for keys %SMTPD_LIVE;
	dovecot_stop($_) for keys %DV_LIVE;
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

# A free loopback port below the kernel's ephemeral range: a port the
# kernel hands out (LocalPort 0) may be taken as the local end of some
# connection (the sink's probe, smtp-source) before the server binds it.
sub free_port {
	my $low = 32768;
	if (open(my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range')) {
		($low) = split ' ', (<$fh> // '');
		close $fh;
	}
	$low = 32768 unless defined $low && $low =~ /^\d+$/ && $low > 11000;
	for (1 .. 200) {
		my $port = 10000 + int(rand($low - 10000));
		my $s = IO::Socket::INET->new(Listen => 1,
		    LocalAddr => '127.0.0.1', LocalPort => $port,
		    Proto => 'tcp', ReuseAddr => 1) or next;
		close $s;
		return $port;
	}
	die "bench: free_port: no free port below $low\n";
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

# What a server negotiates with OpenSSL's client (the library under
# tls-source.py): one `openssl s_client -starttls smtp` session, EHLO,
# STARTTLS, the handshake, QUIT, made after the measured run. Returns a
# one-line summary, or why there is none. OpenSSL's client sends one key
# share (X25519); a server that prefers another group the client also
# offers answers with a HelloRetryRequest (-msg shows a second
# ClientHello): one more round trip, and that group's work on both sides.
sub tls_probe {
	my ($port) = @_;
	return 'no openssl to probe with' unless $OPENSSL;
	my $in = "$TMP/tls-probe.in";
	spit($in, "QUIT\n") unless -f $in;
	my $outf = "$TMP/tls-probe.$port";
	my $pid = fork() // die "bench: fork: $!\n";
	if ($pid == 0) {
		open(STDIN, '<', $in);
		open(STDOUT, '>', $outf);
		open(STDERR, '>&', \*STDOUT);
		exec($OPENSSL, 's_client', '-brief', '-msg', '-ign_eof', '-crlf', '-starttls', 'smtp',
		    '-noservername', '-CAfile', $CERTS->ca, '-connect', "127.0.0.1:$port")
		    or _exit(127);
	}
	push @LIVE_PIDS, $pid;
	my $deadline = time + 10;
	sleep 0.02 while waitpid($pid, WNOHANG) == 0 && time < $deadline;
	stop_pids(1, $pid) if alive($pid);
	waitpid($pid, 0);
	@LIVE_PIDS = grep { $_ != $pid } @LIVE_PIDS;
	my $o = slurp($outf) // '';
	my %f;
	$f{$1} = $2 while $o =~ /^(Protocol version|Ciphersuite|Signature type|Hash used|Server Temp Key|Verification): (.*?)\s*$/mg;
	return "openssl s_client failed: " . join(' | ', grep { defined } (split /\n/, $o)[0 .. 2])
	    unless $f{'Protocol version'};
	(my $kx = $f{'Server Temp Key'} // '?') =~ s/^ECDH, //;
	$kx =~ s/, (\d+) bits$/ ($1 bits)/;
	my $hellos = () = $o =~ /^>>> .*, ClientHello\s*$/mg;
	return sprintf "%s %s, signature %s %s, key exchange %s%s, verification %s%s",
	    $f{'Protocol version'}, $f{Ciphersuite} // '?', $f{'Signature type'} // '?',
	    $f{'Hash used'} // '?', $kx, $hellos > 1 ? ' after a HelloRetryRequest' : '',
	    $f{Verification} // '?', $o =~ /^221 /m ? '' : ' (no 221 to QUIT)';
}

# ---------------------------------------------------------------- the load
# Runs smtp-source under a small timing wrapper (a fork of this script
# that waits for it, blocking, so the wall time is exact) while this
# process samples the server's memory. TARGET is smtp-source's server
# argument (127.0.0.1:PORT or unix:PATH). Options: lmtp => 1 (smtp-source
# -L), rcpt => address, maildir => [dirs]: an end-to-end run, which goes
# on after smtp-source exits until every message is a file in those dirs
# (new/ and cur/ of the Maildir); sink => the counter output of a relay
# run's smtp-sink (sink_start), the same until the sink has counted every
# message. Returns { wall, client_cpu, rc, out, hwm, rss, busy, timed_out }
# and, end to end, { delivered, e2e, stalled }.
# With tls => 1 the client is tls-source.py (STARTTLS), same arguments.
sub drive {
	my ($root, $target, $size, $sessions, $tag, %o) = @_;
	my $res = "$TMP/$tag.drive";
	my $outf = "$TMP/$tag.smtp-source";
	my @cmd = $o{tls} ? ($PYTHON, $TLS_SOURCE, '-s', $sessions, '-m', $MESSAGES,
	    '-l', $size, '-t', $o{rcpt} // $RCPT, '-f', $SENDER, '--ca', $CERTS->ca,
	    $target)
	    : ($SMTP_SOURCE, ($o{lmtp} ? '-L' : ()), '-s', $sessions,
	    '-m', $MESSAGES, '-l', $size, '-t', $o{rcpt} // $RCPT, '-f', $SENDER,
	    $target);
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
			printf $fh "%.6f %.3f %d %.6f\n", $t1 - $t0, $cpu, $rc, $t0;
			close $fh;
		}
		_exit(0);
	}
	push @LIVE_PIDS, $w;
	my $busy0 = machine_busy();
	my ($hwm, $rss) = (0, 0);
	my $deadline = time + $TIMEOUT;
	my ($timed_out, $src_done, $delivered, $stalled) = (0, 0, 0, 0);
	my ($next_mem, $last_n, $last_change) = (0, -1, time);
	my $sink_last = 0;
	while (1) {
		if (!$src_done && waitpid($w, WNOHANG) != 0) {
			$src_done = 1;
			@LIVE_PIDS = grep { $_ != $w } @LIVE_PIDS;
		}
		my $now = time;
		if ($now >= $next_mem) {
			my ($h, $r) = tree_mem($root);
			$hwm = $h if $h > $hwm;
			$rss = $r if $r > $rss;
			$next_mem = $now + 0.2;
		}
		if ($src_done) {
			last unless $o{maildir} || $o{sink};
			if ($o{sink}) {
				($delivered, $sink_last) = sink_count($o{sink});
			} else {
				$delivered = 0;
				$delivered += count_entries($_) for @{ $o{maildir} };
			}
			last if $delivered >= $MESSAGES;
			if ($delivered != $last_n) {
				($last_n, $last_change) = ($delivered, $now);
			} elsif ($now - $last_change > 30) {
				$stalled = 1;
				last;
			}
		}
		if ($now > $deadline) {
			$timed_out = 1;
			if (!$src_done) {
				kill 'TERM', $w;
				waitpid($w, 0);
				@LIVE_PIDS = grep { $_ != $w } @LIVE_PIDS;
			}
			last;
		}
		sleep($src_done ? 0.02 : 0.2);
	}
	my $busy = machine_busy() - $busy0;
	my ($h, $r) = tree_mem($root);
	$hwm = $h if $h > $hwm;
	$rss = $r if $r > $rss;
	my ($wall, $ccpu, $rc, $t0) = split ' ', (slurp($res) // "0 0 -1 0");
	my $out = slurp($outf) // '';
	my %d = (wall => $wall, client_cpu => $ccpu, rc => $rc, out => $out,
	    hwm => $hwm, rss => $rss, timed_out => $timed_out, busy => $busy,
	    tls => $o{tls});
	if ($o{maildir}) {
		my ($n, $last) = maildir_last(@{ $o{maildir} });
		$d{delivered} = $n;
		$d{e2e} = $t0 && $last ? $last - $t0 : 0;
		$d{stalled} = $stalled;
	} elsif ($o{sink}) {
		# The sink's last update when it had counted them all (the
		# poll that saw it), or whatever it has now.
		my ($n, $last) = $delivered >= $MESSAGES ? ($delivered, $sink_last)
		    : sink_count($o{sink});
		$d{delivered} = $n;
		$d{e2e} = $t0 && $last && $n >= $MESSAGES ? $last - $t0 : 0;
		$d{stalled} = $stalled;
	}
	return \%d;
}

# ---------------------------------------------------------------- the sink
# The relay rows' far end: Postfix's smtp-sink on a free loopback port,
# one per run (so its counters start at 0), throwing messages away. It
# runs as $SINK_USER (-u), announces no AUTH, XCLIENT or XFORWARD (-a -C
# -F), and with -c writes its counters ("sess=N quit=N mesg=N\r")
# unbuffered to FILE at every session end, QUIT and ".". Returns
# (pid, port, FILE).
sub sink_start {
	my ($tag) = @_;
	my $port = free_port();
	my $out = "$TMP/$tag.sink";
	my $pid = fork() // die "bench: fork: $!\n";
	if ($pid == 0) {
		setpgid(0, 0);
		$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP PIPE);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $out);
		open(STDERR, '>', "$out.err");
		exec($SMTP_SINK, '-c', '-a', '-C', '-F', '-u', $SINK_USER,
		    '-h', 'sink.bench.example', "127.0.0.1:$port", 256) or _exit(127);
	}
	$SINK_LIVE{$pid} = 1;
	# Listening? A probe connection (it shows as one session, no mail).
	my $deadline = time + 5;
	while (1) {
		if (waitpid($pid, WNOHANG) == $pid) {
			delete $SINK_LIVE{$pid};
			die "bench: smtp-sink exited at start: " . (slurp("$out.err") // '') . "\n";
		}
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
		    Proto => 'tcp', Timeout => 1);
		if ($s) {
			close $s;
			last;
		}
		die "bench: smtp-sink not listening on 127.0.0.1:$port after 5 s\n"
		    if time > $deadline;
		sleep 0.02;
	}
	return ($pid, $port, $out);
}

# (messages counted, change time of the counter file): the last counters
# line is at the end of the file, so only its tail is read.
sub sink_count {
	my ($file) = @_;
	open(my $fh, '<', $file) or return (0, 0);
	my $size = -s $fh;
	seek($fh, $size > 256 ? $size - 256 : 0, 0);
	local $/;
	my $tail = <$fh> // '';
	close $fh;
	my @st = Time::HiRes::stat($file);
	my ($n) = $tail =~ /.*\bmesg=(\d+)/s;
	return ($n // 0, $st[9] // 0);
}

# Stop one sink by PID; returns its CPU seconds and what it said.
sub sink_stop {
	my ($pid, $out) = @_;
	return (0, '') unless delete $SINK_LIVE{$pid};
	my $cpu = proc_cpu($pid);
	stop_pids(2, $pid);
	waitpid($pid, 0);
	my $err = defined $out ? slurp("$out.err") // '' : '';
	return ($cpu, $err);
}

# Entries of one directory, without . and ..; 0 if it does not exist yet.
sub count_entries {
	my ($dir) = @_;
	opendir(my $dh, $dir) or return 0;
	my $n = () = grep { !/^\.\.?$/ } readdir $dh;
	closedir $dh;
	return $n;
}

# (number of files, newest ctime) over the Maildir directories given.
sub maildir_last {
	my (@dirs) = @_;
	my ($n, $last) = (0, 0);
	for my $dir (@dirs) {
		opendir(my $dh, $dir) or next;
		for my $e (grep { !/^\.\.?$/ } readdir $dh) {
			my @st = Time::HiRes::stat("$dir/$e") or next;
			$n++;
			$last = $st[10] if $st[10] > $last;
		}
		closedir $dh;
	}
	return ($n, $last);
}

# ---------------------------------------------------------------- our smtpd
my %SMTPD_OK_EVENT = map { $_ => 1 } qw(connected mail rcpt accepted commit
    starting ready walk signal shutdown);

sub smtpd_log_problems {
	my ($log, $relay) = @_;
	my (%count, @first);
	for my $l (split /\n/, $log) {
		my $ok = 0;
		if ($l =~ /\bresult=(\S+)/) {
			$ok = $1 eq 'Ok';
		} elsif ($l =~ /\bevent=(\S+)/) {
			my $e = $1;
			$ok = 1 if $SMTPD_OK_EVENT{$e};
			$ok = 1 if $e eq 'closed' && $l =~ /reason=quit\b/;
			# commit and tls: the relay client is paused, and the
			# queue says so. Not in the relay rows.
			$ok = 1 if $e eq 'pause-mta' && !$relay;
			# commit and tls: the bench's own smtpctl commands.
			$ok = 1 if $e eq 'command' &&
			    $l =~ /\bcommand="(?:pause mta|show status)"/;
			# lmtp-maildir: the LMTP front's per-transaction summary.
			$ok = 1 if $e eq 'lmtp-result' &&
			    $l =~ /\brcpts=(\d+) delivered=\1 returned=0 kept=0\b/;
			$ok = 1 if $e eq 'exit' && $l =~ /status=0\b/;
			# end to end: deliver agents start, retire, are stopped.
			$ok = 1 if $e eq 'agent-start';
			$ok = 1 if $e eq 'agent-exit' &&
			    $l =~ /\breason=(?:idle|uses|surplus|stop)\b/;
			# tls: the handshake's outcome (version, cipher, pki).
			$ok = 1 if $e eq 'tls' && $l =~ /\btls=TLS/;
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
	my ($mode, $size, $sessions, $tag) = @_;
	my $m = $MODE{$mode};
	my $dir = "$TMP/$tag";
	mkdir $dir or die "bench: mkdir $dir: $!\n";
	chmod 0755, $dir;
	my $port = free_port();
	my $conf = "$dir/smtpd.conf";
	my $target = "127.0.0.1:$port";
	my $maildir = "$dir/mail/$USER/Maildir";
	my ($sink_pid, $sink_port, $sink_out);
	($sink_pid, $sink_port, $sink_out) = sink_start($tag) if $m->{relay};
	if ($m->{relay}) {
		spit($conf, <<"CONF");
queue directory "$dir/spool"
control socket "$dir/smtpd.sock"
listen on 127.0.0.1 port $port
action "out" relay host smtp://127.0.0.1:$sink_port
match from any for any action "out"
CONF
	} elsif ($m->{tls}) {
		my $ciphers = $TLS_CIPHERS ne '' ? "smtp ciphers \"$TLS_CIPHERS\"\n" : '';
		spit($conf, <<"CONF");
queue directory "$dir/spool"
control socket "$dir/smtpd.sock"
pki localhost cert "@{[ $CERTS->cert('localhost') ]}"
pki localhost key "@{[ $CERTS->key('localhost') ]}"
${ciphers}listen on 127.0.0.1 port $port tls pki localhost
action "out" relay
match from any for domain "bench.example" action "out"
CONF
	} elsif (!$m->{e2e}) {
		spit($conf, <<"CONF");
queue directory "$dir/spool"
control socket "$dir/smtpd.sock"
listen on 127.0.0.1 port $port
action "out" relay
match from any for domain "bench.example" action "out"
CONF
	} else {
		# The deliver processes run as $USER and create the Maildir.
		mkdir "$dir/mail" or die "bench: mkdir $dir/mail: $!\n";
		chmod 01777, "$dir/mail";
		my $listen = "listen on 127.0.0.1 port $port";
		if ($m->{lmtp}) {
			$listen = "listen on socket \"$dir/lmtp.sock\" lmtp";
			$target = "unix:$dir/lmtp.sock";
		}
		spit($conf, <<"CONF");
queue directory "$dir/spool"
control socket "$dir/smtpd.sock"
$listen
action "md" maildir "$dir/mail/%{user.username}/Maildir"
match from any for domain "bench.example" action "md"
CONF
	}
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
	# commit and tls: mail goes to a relay action, so nothing may leave.
	my $pause_note = $m->{e2e} ? undef : smtpd_pause_mta($conf);
	if ($m->{lmtp}) {
		$deadline = time + 5;
		sleep 0.02 while !-S "$dir/lmtp.sock" && time < $deadline;
	}

	my ($cpu0, $by0) = tree_cpu($pid);
	my $d = drive($pid, $target, $size, $sessions, $tag, lmtp => $m->{lmtp},
	    tls => $m->{tls},
	    $m->{relay} ? (sink => $sink_out)
	    : $m->{e2e} ? (rcpt => $RCPT_E2E, maildir => ["$maildir/new", "$maildir/cur"]) : ());
	my ($cpu1, $by1) = tree_cpu($pid);
	$d->{split} = cpu_split($by0, $by1);
	$d->{probe} = $probe;
	my $nproc = scalar tree_pids($pid);
	$d->{tls_probe} = tls_probe($port) if $m->{tls};

	my $committed = $m->{e2e} ? $d->{delivered}
	    : count_files("$dir/spool/queue", qr/^message$/);
	my $queued = 0;
	if ($m->{e2e} && $committed == $MESSAGES) {
		# Delivered messages leave the queue: wait (bounded) for that.
		my $dl = time + 10;
		while (($queued = count_files("$dir/spool/queue", qr/^message$/)) && time < $dl) {
			sleep 0.1;
		}
	}
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
	my ($sink_cpu, $sink_err) = $sink_pid ? sink_stop($sink_pid, $sink_out) : (0, '');

	my $log = slurp($logf) // '';
	my ($cnt, $first) = smtpd_log_problems($log, $m->{relay});
	my @notes;
	push @notes, $pause_note if $pause_note;
	if ($m->{relay}) {
		push @notes, relay_notes($committed, $sink_cpu, $sink_err);
		my $failed = () = $log =~ /\brelay event=delivery .*result=(?:Temp|Perm)Fail/g;
		my ($why) = $log =~ /\brelay event=delivery .*result=(?:Temp|Perm)Fail text="([^"]*)"/;
		push @notes, "NOT ALL RELAYED: $failed relay failures" .
		    ($why ? ", the first: \"$why\"" : '') if $failed;
	}
	push @notes, "exit status $status" if $status ne '0';
	push @notes, sprintf("stop took %.1f s", $stop_s) if $stop_s > 2;
	push @notes, "stray processes killed: @stray" if @stray;
	push @notes, "incoming/ not empty: $incoming" if $incoming;
	push @notes, "corrupt/ not empty: $corrupt" if $corrupt;
	push @notes, "still queued 10 s after the last delivery: $queued"
	    if $queued && $committed == $MESSAGES;
	my $res = result($mode, 'smtpd', $size, $sessions, $d, $cpu1 - $cpu0,
	    $committed, $nproc, \@notes);
	$res->{log_counts} = $cnt;
	$res->{log_first} = $first;
	# The spool stays until the end: see "Spools are kept" in the header.
	return $res;
}

# `smtpctl -f CONF pause mta` (as root, over the config's control
# socket), before any mail comes in, so the commit and tls rows relay
# nothing: the envelopes stay queued. Checked with `show status`.
# Returns a note for the run, or undef.
sub smtpd_pause_mta {
	my ($conf) = @_;
	my ($rc, $out) = cmd_out("$BUILD/smtpctl", '-f', $conf, 'pause', 'mta');
	$out =~ s/\s+\z//;
	die "bench: smtpctl -f $conf pause mta failed ($rc): $out\n" if $rc;
	my ($src, $st) = cmd_out("$BUILD/smtpctl", '-f', $conf, 'show', 'status');
	die "bench: after smtpctl pause mta, show status says:\n$st"
	    unless !$src && $st =~ /^MTA paused/mi;
	return undef;
}

# The relay rows' notes on what the sink saw.
sub relay_notes {
	my ($relayed, $sink_cpu, $sink_err) = @_;
	my @n = (sprintf "sink: counted %d of %d, its cpu %.2f s", $relayed, $MESSAGES, $sink_cpu);
	push @n, "sink said: " . join(' | ', grep { /\S/ } split /\n/, $sink_err) if $sink_err =~ /\S/;
	return @n;
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
	my (%count, @first, $qmgr, $clock);
	($qmgr, $clock) = (0, 0);
	for my $l (split /\n/, $log) {
		next unless $l =~ /\b(warning|error|fatal|panic|reject|lost connection|timeout)\b/i;
		if ($l =~ /warning: unable to look up public\/qmgr/) { $qmgr++; next }
		# cleanup compares a new queue file's mtime (the kernel's
		# clock) with time(2) (glibc's coarse clock, up to a tick
		# behind): across a second boundary it warns, once.
		if ($l =~ /warning: (file system clock is \d+ seconds? ahead of local clock|resetting file time stamps)/) {
			$clock++;
			next;
		}
		(my $k = $l) =~ s/^.*?\]: //;
		$k =~ s/\b[0-9A-F]{6,}\b/ID/g;
		$k =~ s/\d+/N/g;
		push @first, $l unless $count{$k}++;
	}
	return (\%count, \@first, $qmgr, $clock);
}

sub postfix_run {
	my ($mode, $size, $sessions, $tag) = @_;
	my $m = $MODE{$mode};
	my $root = "$TMP/$tag";
	my $port = free_port();
	my ($sink_pid, $sink_port, $sink_out);
	($sink_pid, $sink_port, $sink_out) = sink_start($tag) if $m->{relay};
	my ($rc, $out) = cmd_out('sh', $PF_CONF, $root, $port,
	    $m->{relay} ? ('relay', $sink_port) : $m->{e2e} ? 'maildir'
	    : $m->{tls} ? ('tls', $CERTS->cert('localhost'), $CERTS->key('localhost'))
	    : 'commit');
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
	my $maildir = "$root/mail/$USER";
	my ($cpu0, $by0) = tree_cpu($master);
	my $d = drive($master, "127.0.0.1:$port", $size, $sessions, $tag, tls => $m->{tls},
	    $m->{relay} ? (sink => $sink_out)
	    : $m->{e2e} ? (rcpt => $RCPT_E2E, maildir => ["$maildir/new", "$maildir/cur"]) : ());
	my ($cpu1, $by1) = tree_cpu($master);
	$d->{split} = cpu_split($by0, $by1);
	$d->{probe} = $probe;
	my $nproc = scalar tree_pids($master);
	$d->{tls_probe} = tls_probe($port) if $m->{tls};

	my ($incoming, $active) = (0, 0);
	my $queued_q = sub {
		$incoming = count_files("$root/queue/incoming");
		$active = count_files("$root/queue/active");
		return $incoming + $active;
	};
	$queued_q->();
	if ($m->{e2e} && $d->{delivered} == $MESSAGES) {
		# Delivered messages leave the queue: wait (bounded) for that.
		my $dl = time + 10;
		sleep 0.1 while $queued_q->() && time < $dl;
	}
	my %other;
	for my $q (qw(deferred hold corrupt maildrop bounce defer)) {
		my $n = count_files("$root/queue/$q");
		$other{$q} = $n if $n;
	}
	my $t0 = time;
	my @stray = postfix_stop($root);
	my $stop_s = time - $t0;
	my ($sink_cpu, $sink_err) = $sink_pid ? sink_stop($sink_pid, $sink_out) : (0, '');
	my ($cnt, $first, $qmgr, $clock) = postfix_log_problems(slurp("$root/maillog") // '');
	my @notes;
	push @notes, relay_notes($d->{delivered}, $sink_cpu, $sink_err) if $m->{relay};
	push @notes, "stray processes killed: @stray" if @stray;
	push @notes, sprintf("stop took %.1f s", $stop_s) if $stop_s > 5;
	push @notes, "$_/: $other{$_}" for sort keys %other;
	if ($m->{e2e}) {
		push @notes, "still queued 10 s after the last delivery: incoming $incoming + active $active"
		    if $incoming + $active;
		if ($m->{relay}) {
			my $sent = () = (slurp("$root/maillog") // '') =~ /relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent/g;
			push @notes, "log: $sent 'status=sent' to the sink";
		} else {
			my $sent = () = (slurp("$root/maillog") // '') =~ /status=sent \(delivered to maildir\)/g;
			push @notes, "log: $sent 'status=sent (delivered to maildir)'";
		}
	} else {
		push @notes, "incoming $incoming + active $active";
	}
	push @notes, "'unable to look up public/qmgr' warnings: $qmgr (expected, no qmgr)"
	    if $qmgr;
	push @notes, "'file system clock ... ahead' warnings: $clock (benign: kernel vs glibc coarse clock)"
	    if $clock;
	my $res = result($mode, 'postfix', $size, $sessions, $d, $cpu1 - $cpu0,
	    $m->{e2e} ? $d->{delivered} : $incoming + $active, $nproc, \@notes);
	$res->{log_counts} = $cnt;
	$res->{log_first} = $first;
	return $res;
}

# ---------------------------------------------------------------- dovecot
# A private Dovecot (t/bench/dovecot-conf.sh) in the foreground (-F), our
# child; its processes are titled INSTANCE/ROLE.
sub dovecot_pids {
	my ($root) = @_;
	my $inst = $DV_LIVE{$root}{instance} // return ();
	return pids_where(sub {
		my $c = slurp("/proc/$_[0]/cmdline") // return 0;
		return index($c, "$inst/") == 0 || index($c, "$root/dovecot.conf") >= 0;
	});
}

# SIGTERM to the master (it stops its children), a bounded wait, then any
# straggler of this instance.
sub dovecot_stop {
	my ($root) = @_;
	my $dv = $DV_LIVE{$root} or return ();
	my $master = $dv->{pid};
	my @before = (tree_pids($master), dovecot_pids($root));
	kill 'TERM', $master;
	my $deadline = time + 10;
	my $status;
	while (time < $deadline) {
		if (waitpid($master, WNOHANG) == $master) { $status = $?; last }
		sleep 0.02;
	}
	if (!defined $status) {
		kill 'KILL', $master;
		waitpid($master, 0);
		$status = 'killed';
	}
	$deadline = time + 5;
	while (time < $deadline && grep { alive($_) } @before, dovecot_pids($root)) {
		sleep 0.05;
	}
	my %u = map { $_ => 1 } grep { alive($_) } @before, dovecot_pids($root);
	my @left = sort { $a <=> $b } keys %u;
	stop_pids(2, @left);
	delete $DV_LIVE{$root};
	return ($status, @left);
}

sub dovecot_log_problems {
	my ($log) = @_;
	my (%count, @first);
	for my $l (split /\n/, $log) {
		next unless $l =~ /: (Warning|Error|Fatal|Panic): /;
		# Our own SIGTERM at the end of the run.
		next if $l =~ /master: Warning: Killed with signal 15 \(by pid=$$ /;
		(my $k = $l) =~ s/^\S+ \S+ \S+ //;
		$k =~ s/<[^>]*>//g;
		$k =~ s/\d+/N/g;
		push @first, $l unless $count{$k}++;
	}
	return (\%count, \@first);
}

sub dovecot_run {
	my ($mode, $size, $sessions, $tag) = @_;
	my $root = "$TMP/$tag";
	my $inst = "dovecot-bench$$-$size-$sessions";
	my ($rc, $out) = cmd_out('sh', $DV_CONF, $root, $USER, $inst);
	die "bench: dovecot-conf.sh failed: $out\n" if $rc;
	my $probe = create_probe($root);
	settle();
	my $logf = "$root/dovecot.log";
	my $pid = fork() // die "bench: fork: $!\n";
	if ($pid == 0) {
		setpgid(0, 0);
		$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP PIPE);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', "$root/dovecot.stdout");
		open(STDERR, '>&', \*STDOUT);
		exec($DOVECOT, '-F', '-c', "$root/dovecot.conf") or _exit(127);
	}
	$DV_LIVE{$root} = { pid => $pid, instance => $inst };
	my $sock = "$root/run/lmtp";
	my $deadline = time + 15;
	while (time < $deadline && !-S $sock) {
		if (waitpid($pid, WNOHANG) == $pid) {
			delete $DV_LIVE{$root};
			die "bench: dovecot exited at start:\n" .
			    (slurp("$root/dovecot.stdout") // '') . (slurp($logf) // '');
		}
		sleep 0.02;
	}
	die "bench: dovecot's LMTP socket not there after 15 s:\n" . (slurp($logf) // '')
	    unless -S $sock;
	# The master opens its listeners before it logs "starting up".
	sleep 0.02 while time < $deadline && (slurp($logf) // '') !~ /starting up/;

	my $maildir = "$root/mail/$USER";
	my ($cpu0, $by0) = tree_cpu($pid);
	my $d = drive($pid, "unix:$sock", $size, $sessions, $tag, lmtp => 1,
	    rcpt => $RCPT_E2E, maildir => ["$maildir/new", "$maildir/cur"]);
	my ($cpu1, $by1) = tree_cpu($pid);
	$d->{split} = cpu_split($by0, $by1);
	$d->{probe} = $probe;
	my $nproc = scalar tree_pids($pid);

	my $t0 = time;
	my ($status, @stray) = dovecot_stop($root);
	my $stop_s = time - $t0;
	my $log = slurp($logf) // '';
	my ($cnt, $first) = dovecot_log_problems($log);
	my $saved = () = $log =~ /: saved mail to INBOX/g;
	my @notes;
	push @notes, "exit status $status" if $status ne '0';
	push @notes, "stray processes killed: @stray" if @stray;
	push @notes, sprintf("stop took %.1f s", $stop_s) if $stop_s > 5;
	push @notes, "log: $saved 'saved mail to INBOX'";
	my $res = result($mode, 'dovecot', $size, $sessions, $d, $cpu1 - $cpu0,
	    $d->{delivered}, $nproc, \@notes);
	$res->{log_counts} = $cnt;
	$res->{log_first} = $first;
	return $res;
}

# ---------------------------------------------------------------- report
sub result {
	my ($mode, $server, $size, $sessions, $d, $cpu, $committed, $nproc, $notes) = @_;
	my $e2e = $MODE{$mode}{e2e};
	# End to end, the rate is over the time to the last delivery; it
	# exists only if every message was delivered.
	my $wall = ($e2e ? $d->{e2e} : $d->{wall}) || 1e-9;
	my $complete = $committed == $MESSAGES;
	my @n = @$notes;
	my $client = $d->{tls} ? 'tls-source' : 'smtp-source';
	unshift @n, "$client exit status " . ($d->{rc} >> 8) .
	    ($d->{rc} & 127 ? " signal " . ($d->{rc} & 127) : '') if $d->{rc};
	my $relay = $MODE{$mode}{relay};
	unshift @n, ($relay ? "nothing new at the sink" : "no new delivery") .
	    " for 30 s after smtp-source exited" if $d->{stalled};
	unshift @n, "TIMED OUT after $TIMEOUT s" if $d->{timed_out};
	unshift @n, ($relay ? "RELAYED" : $e2e ? "DELIVERED" : "COMMITTED") .
	    " $committed != SENT $MESSAGES" unless $complete;
	my $client_tls = '';
	if ($d->{tls}) {
		# tls-source.py: a summary, what each session negotiated, errors.
		my @l = split /\n/, $d->{out};
		my ($neg, $sum) = ([], '');
		for (@l) {
			if (/^negotiated (.*)$/) { push @$neg, $1 }
			elsif (/^sessions /) { $sum = $_ }
			else { push @n, "tls-source: $_" }
		}
		$client_tls = join(', ', @$neg) || 'nothing';
		push @n, "tls-source: $sum" if $sum !~ / failed 0 /;
		push @n, "client negotiated (sessions): $client_tls";
		push @n, "server's choice (openssl s_client probe after the run): $d->{tls_probe}"
		    if $d->{tls_probe};
	} elsif ($d->{out} =~ /\S/) {
		my @l = split /\n/, $d->{out};
		push @n, "smtp-source said (" . scalar(@l) . " lines): " .
		    join(' | ', @l[0 .. ($#l < 4 ? $#l : 4)]);
	}
	return {
		mode => $mode, e2e => $e2e,
		server => $server, size => $size, sessions => $sessions,
		wall => $d->{wall}, e2e_s => $d->{e2e},
		rate => ($e2e && !$complete) ? 0 : $committed / $wall,
		cpu => $cpu, cpu_msg => $committed ? 1000 * $cpu / $committed : 0,
		hwm => $d->{hwm}, rss => $d->{rss}, committed => $committed,
		client_cpu => $d->{client_cpu}, nproc => $nproc, notes => \@n,
		busy => $d->{busy},
		split => $d->{split},
		probe => $d->{probe},
		tls => $d->{tls}, client_tls => $client_tls, tls_probe => $d->{tls_probe},
	};
}

sub size_label {
	my ($s) = @_;
	return $s % 1024 == 0 ? ($s / 1024) . " KB" : "$s B";
}

# Commit rows: wall s is smtp-source's. End-to-end rows: "smtp s" is
# smtp-source's, "e2e s" runs to the last delivery and gives msg/s; a run
# that did not deliver everything gets no rate ("-").
# A run is marked noisy when the machine spent more CPU outside the
# server and the client than half the server's own, and over 2 s: other
# work (or heavy kernel writeback) competed with it.
sub noisy {
	my ($r) = @_;
	my $rest = $r->{busy} - $r->{cpu} - $r->{client_cpu};
	return $rest > 2 && $rest > $r->{cpu} / 2 ? sprintf("  noisy: rest %.1f s", $rest) : '';
}

sub print_run {
	my ($r) = @_;
	my $rate = $r->{rate} ? sprintf("%9.1f", $r->{rate}) : sprintf("%9s", '-');
	if ($r->{e2e}) {
		printf "%-8s %7s %4d %6d %7.2f %7.2f %s %7.2f %8.3f %7.1f %8.1f %6d %8.2f %7.0f%s\n",
		    $r->{server}, size_label($r->{size}), $r->{sessions}, $r->{committed},
		    $r->{wall}, $r->{e2e_s}, $rate, $r->{cpu}, $r->{cpu_msg}, $r->{hwm} / 1024,
		    $r->{rss} / 1024, $r->{nproc}, $r->{client_cpu}, $r->{probe}, noisy($r);
		return;
	}
	printf "%-8s %7s %4d %6d %8.2f %s %7.2f %8.3f %7.1f %8.1f %6d %8.2f %7.0f%s\n",
	    $r->{server}, size_label($r->{size}), $r->{sessions}, $r->{committed},
	    $r->{wall}, $rate, $r->{cpu}, $r->{cpu_msg}, $r->{hwm} / 1024,
	    $r->{rss} / 1024, $r->{nproc}, $r->{client_cpu}, $r->{probe}, noisy($r);
}

my $HEADER = sprintf "%-8s %7s %4s %6s %8s %9s %7s %8s %7s %8s %6s %8s %7s\n",
    'server', 'size', 'sess', 'commit', 'wall s', 'msg/s', 'cpu s',
    'ms/msg', 'HWM MB', 'RSS MB', 'procs', 'client s', 'crt us';
my $HEADER_TLS = sprintf "%-8s %7s %4s %6s %8s %9s %7s %8s %7s %8s %6s %8s %7s\n",
    'server', 'size', 'sess', 'commit', 'wall s', 'sess/s', 'cpu s',
    'ms/sess', 'HWM MB', 'RSS MB', 'procs', 'client s', 'crt us';
my $HEADER_E2E = sprintf "%-8s %7s %4s %6s %7s %7s %9s %7s %8s %7s %8s %6s %8s %7s\n",
    'server', 'size', 'sess', 'deliv', 'smtp s', 'e2e s', 'msg/s', 'cpu s',
    'ms/msg', 'HWM MB', 'RSS MB', 'procs', 'client s', 'crt us';
my $HEADER_RELAY = sprintf "%-8s %7s %4s %6s %7s %7s %9s %7s %8s %7s %8s %6s %8s %7s\n",
    'server', 'size', 'sess', 'sink', 'smtp s', 'e2e s', 'msg/s', 'cpu s',
    'ms/msg', 'HWM MB', 'RSS MB', 'procs', 'client s', 'crt us';

# ---------------------------------------------------------------- main
my $base = $ENV{BENCH_TMPDIR} // $ENV{TMPDIR} // '/tmp';
$TMP = tempdir('smtpd-bench-XXXXXX', DIR => $base);
chmod 0755, $TMP;
if ($PYTHON) {
	# The tls rows' certificate: made now, removed with $TMP, never kept.
	require lib;
	lib->import("$SRC/t/lib");
	require TlsCert;
	mkdir "$TMP/tls" or die "bench: mkdir $TMP/tls: $!\n";
	chmod 0755, "$TMP/tls";
	no warnings 'once';
	$CERTS = TlsCert->new("$TMP/tls")
	    or die "bench: cannot make the tls rows' certificate: $TlsCert::ERROR\n";
}

my %etc_before;
for my $etc (qw(/etc/postfix /etc/dovecot)) {
	$etc_before{$etc} = scalar cmd_out('find', $etc, '-printf', '%P %s %T@\n') if -d $etc;
}
my $sys_master = join ' ', pids_where(sub {
	return (slurp("/proc/$_[0]/comm") // '') eq "master\n";
});
my $sys_dovecot = join ' ', pids_where(sub {
	return (slurp("/proc/$_[0]/comm") // '') eq "dovecot\n";
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


print "== make bench: smtpd vs Postfix and Dovecot, on loopback (modes: @MODES)\n";
printf "machine: %s CPUs (%s), %.1f GB RAM, %s\n", $nproc, $cpu_model // '?',
    ($memkb // 0) / 1048576, $kernel;
chomp(my $dvver = $DOVECOT ? scalar cmd_out($DOVECOT, '--version') : 'n/a');
print "smtpd: $BUILD/smtpd (source $rev); Postfix $pfver; Dovecot $dvver; client $SMTP_SOURCE\n";
if ($PYTHON) {
	chomp(my $pyssl = scalar cmd_out($PYTHON, '-c',
	    'import ssl, sys; print("Python %d.%d.%d" % sys.version_info[:3], ssl.OPENSSL_VERSION)'));
	printf "tls rows: client %s (%s), %s processes; certificate RSA 2048 from a test CA " .
	    "(certtool, made now); smtpd priority: %s\n", $TLS_SOURCE, $pyssl,
	    ($nproc_n || 1), $TLS_CIPHERS ne '' ? "smtp ciphers \"$TLS_CIPHERS\"" : 'built-in default';
}
print "spools: $TMP: ", fs_of($TMP), "\n";
print "source: $SRC: ", fs_of($SRC), "\n";
printf "cost of creating a 1 KB file there (open O_CREAT, write, close): %.0f us CPU\n",
    create_probe($TMP);
printf "workload: %d messages per run, 1 recipient, one message per connection; " .
    "sizes %s; sessions %s%s\n", $MESSAGES, join(', ', map { size_label($_) } @SIZES),
    join(', ', @SESSIONS), $PYTHON ? sprintf("; tls rows: sizes %s, sessions %s",
    join(', ', map { size_label($_) } @TLS_SIZES), join(', ', @TLS_SESSIONS)) : '';
print "recipients: $RCPT (commit), $RCPT_E2E (end to end, delivered as user $USER)\n";
print "system postfix master already running: pid $sys_master\n" if $sys_master;
print "system dovecot already running: pid $sys_dovecot\n" if $sys_dovecot;
my ($state0, $busy_pct0, $io0) = machine_state();
print "machine before: $state0\n";
print "WARNING: the machine is not idle (other work uses the CPUs or the disk): " .
    "figures will be noisy\n" if $busy_pct0 > 10 || $io0 > 5;

my @results;
my $t_start = time;
my %short = ('commit' => '', 'smtp-maildir' => 'smtpmd-', 'lmtp-maildir' => 'lmtpmd-',
    'tls' => 'tls-', 'relay' => 'relay-');
sub mode_sizes { return $MODE{ $_[0] }{tls} ? @TLS_SIZES : @SIZES }
sub mode_sessions { return $MODE{ $_[0] }{tls} ? @TLS_SESSIONS : @SESSIONS }
for my $mode (@MODES) {
	my $m = $MODE{$mode};
	my @pair = grep { $SERVER_ON{$_} } 'smtpd', $m->{other};
	next unless @pair;
	print "\n== $mode: $m->{title}\n",
	    $m->{relay} ? $HEADER_RELAY : $m->{e2e} ? $HEADER_E2E : $m->{tls} ? $HEADER_TLS : $HEADER;
	for my $size (mode_sizes($mode)) {
		for my $sessions (mode_sessions($mode)) {
			for my $server (@pair) {
				my $tag = sprintf "%s-%s%d-%d", $server, $short{$mode}, $size, $sessions;
				my $r = $server eq 'smtpd' ? smtpd_run($mode, $size, $sessions, $tag)
				    : $server eq 'postfix' ? postfix_run($mode, $size, $sessions, $tag)
				    : $server eq 'dovecot' ? dovecot_run($mode, $size, $sessions, $tag)
				    : die "bench: unknown server $server\n";
				push @results, $r;
				print_run($r);
			}
		}
	}
}
my $elapsed = time - $t_start;

print "\ncommit rows: msg/s = committed messages / wall seconds of smtp-source.\n" .
    "end-to-end rows: deliv = files in Maildir/new (+cur) at the end; smtp s = wall seconds\n" .
    "of smtp-source; e2e s = from smtp-source's start to the last file's arrival in\n" .
    "Maildir/new (its ctime); msg/s = delivered / e2e s (\"-\" unless all were delivered).\n" .
    "cpu s = CPU of the server's process tree during the run (to the last delivery);\n" .
    "ms/msg = cpu s / messages; HWM MB = largest VmHWM of one process; RSS MB = largest sum\n" .
    "of VmRSS over the tree; procs = processes in the tree at the end; client s =\n" .
    "smtp-source's own CPU; crt us = CPU to create one 1 KB file in that run's directory,\n" .
    "probed just before the run; noisy = the machine's other CPU use during the run (see\n" .
    "\"machine busy\" below) exceeded 2 s and half the server's: the row is not reliable.\n" .
    "tls rows: as commit rows, but each session is a new connection with STARTTLS and a full\n" .
    "TLS handshake (no resumption) before its one message, driven by tls-source.py (the same\n" .
    "client for both servers; client s is its CPU); sess/s = committed sessions / wall s;\n" .
    "ms/sess = the server's CPU per session, handshake included.\n" .
    "relay rows: as end-to-end rows, but sink = messages smtp-sink counted, e2e s = from\n" .
    "smtp-source's start until the sink had counted them all (its counter file's change\n" .
    "time, polled every 20 ms); cpu s = the relaying server's tree (smtp-sink excluded).\n";
print "\nsyncs per message (counted with strace on this machine, see doc/performance.md):\n" .
    "  commit:       smtpd 2 syncfs (shared by concurrent commits); Postfix 1 fsync (cleanup)\n" .
    "  smtp-maildir: smtpd 2 syncfs (commit) + 2 fsync (Maildir file, new/); the removal\n" .
    "                is made durable by the next shared syncfs round, not waited for;\n" .
    "                Postfix 2 fsync (cleanup's queue file, local's Maildir file; no directory)\n" .
    "  lmtp-maildir: smtpd 2 fsync (Maildir file, new/): each recipient is one mailbox, so\n" .
    "                the LMTP front delivers from incoming/ before the reply, with no commit;\n" .
    "                Dovecot 1 fsync (Maildir file) + 2 fdatasync (new/, dovecot-uidlist)\n";

my %by;
$by{"$_->{mode}/$_->{size}/$_->{sessions}"}{ $_->{server} } = $_ for @results;
my @goals;
for my $mode (@MODES) {
	my $other = $MODE{$mode}{other};
	my $name = $other eq 'postfix' ? 'Postfix' : 'Dovecot';
	my $tls = $MODE{$mode}{tls};
	my @rows;
	for my $size (mode_sizes($mode)) {
		for my $sessions (mode_sessions($mode)) {
			my $o = $by{"$mode/$size/$sessions"}{smtpd} or next;
			my $p = $by{"$mode/$size/$sessions"}{$other} or next;
			my $rr = $p->{rate} && $o->{rate} ? $o->{rate} / $p->{rate} : 0;
			# No CPU ratio when a side handled nothing (a relay run
			# whose sink got nothing).
			my $cr = $p->{cpu_msg} && $o->{committed} ? $o->{cpu_msg} / $p->{cpu_msg} : 0;
			push @rows, sprintf "%-14s %12s %14s\n", size_label($size) . " x $sessions",
			    $rr ? sprintf("%.2fx", $rr) : '-', $cr ? sprintf("%.2fx", $cr) : '-';
			push @goals, [$mode, $name, $rr, $o->{rate}, $p->{rate}]
			    if $size == 1024 && $sessions == 20 && !$tls && !$MODE{$mode}{relay};
			push @rows, map { sprintf "    %-8s %s\n", @$_ }
			    ['smtpd', "client: $o->{client_tls}; probe: " . ($o->{tls_probe} // '-')],
			    [$other, "client: $p->{client_tls}; probe: " . ($p->{tls_probe} // '-')]
			    if $tls;
		}
	}
	next unless @rows;
	my ($rate, $per) = $tls ? ('sess/s', 'session') : ('msg/s', 'message');
	print "\nratios ours/$name, $mode ($rate: higher is better; CPU per $per: lower is better)\n";
	printf "%-14s %12s %14s\n", 'workload', $rate, $tls ? 'CPU/sess' : 'CPU/msg';
	print @rows;
}
print "\n" if @goals;
for my $g (@goals) {
	my ($mode, $name, $rr, $ours, $theirs) = @$g;
	printf "goal %-12s (1 KB, 20 sessions, ours >= 2x %s): %s (%s vs %s msg/s, %s)\n",
	    $mode, $name, !$rr ? 'NO RESULT' : $rr >= 2 ? 'met' : 'NOT met',
	    $ours ? sprintf("%.0f", $ours) : '-', $theirs ? sprintf("%.0f", $theirs) : '-',
	    $rr ? sprintf("%.2fx", $rr) : '-';
}

print "\nchecks and notes\n";
for my $r (@results) {
	my $tag = sprintf "%-12s %-7s %6s x %2d", $r->{mode}, $r->{server}, size_label($r->{size}),
	    $r->{sessions};
	my $what = $r->{e2e} ? 'delivered' : 'committed';
	$what = 'relayed' if $MODE{ $r->{mode} }{relay};
	my $ok = $r->{committed} == $MESSAGES ? "$what $r->{committed} = sent $MESSAGES"
	    : uc($what) . " $r->{committed} != SENT $MESSAGES";
	print "$tag: $ok\n";
	printf "    machine busy %.2f s = server %.2f + client %.2f + rest %.2f " .
	    "(kernel threads, softirq, this script, other processes)\n", $r->{busy}, $r->{cpu},
	    $r->{client_cpu}, $r->{busy} - $r->{cpu} - $r->{client_cpu};
	print "    server cpu by process: $r->{split}\n" if $r->{split};
	print "    $_\n" for grep { !/^(COMMITTED|DELIVERED|RELAYED) / } @{ $r->{notes} };
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

for my $etc (qw(/etc/postfix /etc/dovecot)) {
	next unless -d $etc && defined $etc_before{$etc};
	my $etc_after = cmd_out('find', $etc, '-printf', '%P %s %T@\n');
	print "$etc: ", ($etc_after eq $etc_before{$etc} ? "untouched" : "CHANGED during the run"), "\n";
}
# Anything whose command line or environment names the temporary
# directory, or that is titled after one of our Dovecot instances.
my @left = pids_where(sub {
	for my $f (qw(cmdline environ)) {
		return 1 if index(slurp("/proc/$_[0]/$f") // '', $TMP) >= 0;
	}
	return index(slurp("/proc/$_[0]/cmdline") // '', "dovecot-bench$$-") == 0;
});
print "processes left: ", (@left ? "@left (killed)" : "none"), "\n";
stop_pids(2, @left);
my ($state1) = machine_state();
print "machine after: $state1\n";
printf "elapsed: %.0f s\n", $elapsed;
exit 0;

# 10-daemon.t: the process skeleton. The parent and five roles start,
# answer 220 on loopback, drop privileges when started as root, stop on
# SIGTERM within 2 s leaving no process behind, and a role killed with
# SIGKILL brings the daemon down with a log line naming it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;

my @ROLES = qw(smtp lookup queue relay control);

sub uid_of {
	my ($pid) = @_;
	my $status = SmtpdTest::slurp("/proc/$pid/status");
	return $status =~ /^Uid:\s+(\d+)/m ? $1 : -1;
}

{
	my $d = SmtpdTest->new;
	$d->start;
	my $roles = $d->roles;
	is_deeply([sort keys %$roles], [sort @ROLES], "parent runs five roles");

	my $s = $d->connect;
	like(SmtpdTest::read_reply($s), qr/^220 \S+ ESMTP /, "220 greeting");
	close $s;

	if (SmtpdTest::is_root()) {
		my $smtpd_uid = getpwnam("_smtpd");
		my $smtpq_uid = getpwnam("_smtpq");
		is(uid_of($roles->{$_}), $smtpd_uid, "$_ role runs as _smtpd")
		    for qw(smtp lookup relay control);
		is(uid_of($roles->{queue}), $smtpq_uid, "queue role runs as _smtpq");
		is(readlink("/proc/$roles->{queue}/root"), $d->spool,
		    "queue role is chrooted to the spool");
		is(readlink("/proc/$roles->{smtp}/root"), "/var/empty",
		    "smtp role is chrooted to /var/empty");
		is(uid_of($d->pid), 0, "parent keeps root");
	} else {
		my $me = $<;
		is(uid_of($roles->{$_}), $me, "$_ role keeps our uid") for @ROLES;
		# The no-op is logged at debug level: start one more with -v.
		my $v = SmtpdTest->new(args => ["-v"]);
		$v->start;
		like($v->log, qr/role=smtp privdrop=skipped reason=unprivileged/,
		    "privilege drop logged as a no-op");
		$v->stop;
	}
	ok(-d $d->spool . "/$_", "spool has $_/") for qw(incoming queue corrupt purge offline);
	ok(-S $d->control_socket, "control socket exists");

	my $took = $d->stop;
	cmp_ok($took, '<', 2, "SIGTERM stops the daemon within 2 s");
	is($d->{status} >> 8, 0, "clean exit status 0");
	is_deeply([$d->stray], [], "no process left behind");
	ok(!-e $d->control_socket, "control socket removed at exit");
}

for my $victim (@ROLES) {
	my $d = SmtpdTest->new;
	$d->start;
	my $pid = $d->roles->{$victim};
	ok($pid, "$victim role found");
	kill 'KILL', $pid;
	my $st = $d->wait_exit(5);
	ok(defined $st, "daemon exits after $victim is killed");
	is($st >> 8, 1, "exit status 1 after losing $victim") if defined $st;
	like($d->log, qr/role=$victim pid=$pid event=died signal=9/,
	    "log names the killed $victim role");
	$d->stop;
	is_deeply([$d->stray], [], "no process left behind after $victim died");
}

{
	# A second daemon on the same control socket must refuse to start.
	my $d = SmtpdTest->new;
	$d->start;
	my $d2 = SmtpdTest->new(dir => $d->dir, no_conf => 1);
	$d2->{ports} = $d->{ports};
	$d2->start(wait => 0);
	my $st = $d2->wait_exit(5);
	ok(defined $st && $st >> 8 == 1, "second smtpd on the same sockets exits 1");
	like($d2->log, qr/in use|cannot listen/, "and says why");
	$d->stop;
}

{
	# Without -d: daemonize, log to syslog, keep serving; stopped by PID.
	my $d = SmtpdTest->new;
	my ($rc, $out) = SmtpdTest::run(SmtpdTest::build() . "/smtpd", "-f", $d->conf_path);
	is($rc, 0, "smtpd without -d returns 0 once it has daemonized");
	is($out, "", "and prints nothing on the terminal");
	my $pid;
	for (1 .. 100) {
		opendir(my $dh, "/proc") or last;
		for my $p (grep { /^\d+$/ } readdir $dh) {
			my @argv = split /\0/, SmtpdTest::slurp("/proc/$p/cmdline");
			$pid = $p if @argv && grep({ $_ eq $d->conf_path } @argv) &&
			    !grep({ $_ eq '-x' } @argv);
		}
		closedir $dh;
		last if $pid;
		select(undef, undef, undef, 0.05);
	}
	ok($pid, "the daemonized parent is found");
	my $s;
	for (1 .. 100) {
		$s = eval { SmtpClient->new($d->port) } and last;
		select(undef, undef, undef, 0.05);
	}
	like($s ? $s->greeting : '', qr/^220 /, "the daemon answers 220");
	kill 'TERM', $pid if $pid;
	my $gone = 0;
	for (1 .. 100) {
		if (!kill(0, $pid // 0)) { $gone = 1; last }
		select(undef, undef, undef, 0.05);
	}
	ok($gone, "SIGTERM stops the daemonized smtpd");
}

done_testing();

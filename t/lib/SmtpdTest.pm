# SmtpdTest.pm: start the real smtpd on free loopback ports with a config
# written into a temporary directory, wait until it is ready, talk to it,
# and stop it by PID. Every daemon started here is stopped when the object
# goes away or the test exits, even when the test dies half-way.
#
#   my $d = SmtpdTest->new(conf => "listen on 127.0.0.1 port \@PORT\@\n");
#   $d->start;                       # waits for event=ready
#   my $s = $d->connect;             # IO::Socket::INET to @PORT@
#   $d->stop;                        # SIGTERM, wait, SIGKILL if needed
#
# bin => DIR runs DIR/smtpd instead of the build's (the daemon runs the
# deliver and smtpctl beside itself: a test can put stand-ins there).
#
# Placeholders in conf: @DIR@ (the temp dir), @PORT@, @PORT2@ ... @PORT9@
# (free loopback ports). `queue directory` and `control socket` are added
# unless the config sets them, so all state stays in the temp dir.
package SmtpdTest;

use strict;
use warnings;
use Carp;
use Cwd qw(abs_path);
use File::Copy qw(copy);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Fcntl qw(O_CREAT O_EXCL O_WRONLY);
use POSIX qw(:sys_wait_h setpgid);
use Time::HiRes qw(sleep time);

our @LIVE;	# daemons to stop at exit

my $SRC = $ENV{SMTPD_SRC} // abs_path(".");
my $BUILD = $ENV{SMTPD_BUILD} // "$SRC/build";

sub build { return $BUILD }

# The configuration most session tests share: SMTP on @PORT@, LMTP on
# @PORT2@, a no-dsn SMTP listener on @PORT3@; example.org and the local
# names are local (real system users, e.g. root), reject.example is
# refused by a rule, anything else is not relayed.
sub standard_conf {
	my (%o) = @_;
	my $extra = $o{extra} // '';
	return <<"CONF";
$extra
listen on 127.0.0.1 port \@PORT\@
listen on 127.0.0.1 port \@PORT2\@ lmtp
listen on 127.0.0.1 port \@PORT3\@ no-dsn
action "local" maildir "\@DIR\@/mail/%{user.username}/Maildir"
match from any for domain "reject.example" reject
match from any for domain "example.org" action "local"
match from any for local action "local"
CONF
}

# Committed messages: { msgid => { dir => ..., message => text, envelopes => [files] } }
sub queued {
	my ($self) = @_;
	my %q;
	my $root = $self->spool . "/queue";
	opendir(my $dh, $root) or return \%q;
	for my $hh (grep { /^[0-9a-f]{2}$/ } readdir $dh) {
		opendir(my $mh, "$root/$hh") or next;
		for my $id (grep { /^[0-9a-f]{8}$/ } readdir $mh) {
			my $dir = "$root/$hh/$id";
			opendir(my $eh, $dir) or next;
			my @evp = grep { /^[0-9a-f]{16}$/ } readdir $eh;
			closedir $eh;
			$q{$id} = { dir => $dir, message => slurp("$dir/message"),
			    envelopes => [ map { "$dir/$_" } sort @evp ] };
		}
		closedir $mh;
	}
	closedir $dh;
	return \%q;
}

# Bounded wait until a spool subdirectory is empty (rollbacks have no
# reply, so their removal is asynchronous); returns what is left.
sub spool_settled {
	my ($self, $sub, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	my @e;
	while (time < $deadline) {
		@e = $self->spool_entries($sub);
		return () unless @e;
		sleep 0.05;
	}
	return @e;
}

# Entries left in a spool subdirectory (incoming, corrupt, ...).
sub spool_entries {
	my ($self, $sub) = @_;
	opendir(my $dh, $self->spool . "/$sub") or return ();
	my @e = grep { !/^\./ } readdir $dh;
	closedir $dh;
	return @e;
}
sub src { return $SRC }
sub is_root { return $> == 0 }

# A free loopback port below the kernel's ephemeral range, so client
# connections of concurrent tests never take it, reserved by a lock file
# among tests running in parallel (released at exit).
my $PORTDIR = "/tmp/smtpd-test-ports-$<";	# per user: no shared permissions
my @RESERVED;

sub free_port {
	mkdir $PORTDIR, 0700;
	for (1 .. 1000) {
		my $port = 20000 + int(rand(12000));
		my $lock = "$PORTDIR/$port";
		if (-e $lock && time - (stat($lock))[9] > 3600) {
			unlink $lock;	# left over by a killed test run
		}
		sysopen(my $fh, $lock, O_CREAT | O_EXCL | O_WRONLY) or next;
		close $fh;
		my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
		    LocalPort => $port, Proto => 'tcp', ReuseAddr => 1);
		unless ($s) {
			unlink $lock;
			next;
		}
		close $s;
		push @RESERVED, [$lock, $$];
		return $port;
	}
	croak "free_port: no free port found";
}

sub tempdir_public {
	my $dir = tempdir("smtpd-test-XXXXXX", TMPDIR => 1, CLEANUP => 1);
	# Roles that drop to other users (as root) must reach their files.
	chmod 0755, $dir;
	return $dir;
}

# A directory holding a copy of the build's smtpd, for a test to put its
# own deliver beside it (the daemon runs the deliver beside itself): in
# the build tree if we may write there (a temp dir may be mounted
# noexec), else a temp dir. Removed at exit.
my @SMTPD_COPIES;
END { remove_tree($_) for grep { -d } @SMTPD_COPIES }
sub smtpd_copy {
	my ($tag, $from) = @_;		# $from: another build of smtpd
	my $dir;
	if (-w "$BUILD/t") {
		$dir = "$BUILD/t/$tag-bin-$$";
		mkdir $dir, 0755 or croak "$dir: $!";
		push @SMTPD_COPIES, $dir;
	} else {
		$dir = tempdir_public();
	}
	copy($from // "$BUILD/smtpd", "$dir/smtpd") or croak "copy smtpd: $!";
	chmod 0755, "$dir/smtpd";
	return $dir;
}

# smtpd_copy() with t/tools/deliver_agent_fake.c as its deliver and the
# build's deliver as real/deliver, which the fake runs per request.
sub fake_agent_copy {
	my ($tag, $from) = @_;
	my $dir = smtpd_copy($tag, $from);
	copy("$BUILD/t/deliver-agent-fake", "$dir/deliver") or croak "copy fake: $!";
	chmod 0755, "$dir/deliver";
	mkdir "$dir/real", 0755 or croak "$dir/real: $!";
	symlink("$BUILD/deliver", "$dir/real/deliver") or croak "symlink: $!";
	return $dir;
}

# Pids of the deliver agents the daemon started for USER, in order.
sub agent_starts {
	my ($self, $user) = @_;
	return $self->log =~ /parent event=agent-start pid=(\d+) user=\Q$user\E\b/g;
}

# Make directory PATH (mode 0755) for a delivering user UID:GID.
sub owned_dir {
	my ($path, $uid, $gid) = @_;
	mkdir $path, 0755 or croak "$path: $!";
	chown $uid, $gid, $path;
	return $path;
}

sub new {
	my ($class, %args) = @_;
	my $self = bless {
		dir	=> $args{dir} // tempdir_public(),
		args	=> $args{args} // [],
		env	=> $args{env} // {},
		bin	=> $args{bin} // $BUILD,
		pid	=> undef,
	}, $class;
	$self->{ports} = [ map { free_port() } 1 .. 9 ];
	# where the relay client's DNS goes unless the test says: a loopback
	# port nobody serves, so no query ever leaves the machine
	$self->{nodns} = free_port();
	$self->{port} = $self->{ports}[0];
	$self->write_conf($args{conf} // "listen on 127.0.0.1 port \@PORT\@\n")
	    unless $args{no_conf};
	return $self;
}

sub dir { $_[0]{dir} }

# Make DIR/sub for each sub, mode 01777 (like /tmp): any delivery user may
# create its mailbox there.
sub shared_dirs {
	my ($self, @subs) = @_;
	for my $sub (@subs) {
		my $p = "$self->{dir}/$sub";
		mkdir $p or croak "$p: $!";
		chmod 01777, $p or croak "chmod $p: $!";
	}
}
sub port { my ($self, $n) = @_; return $self->{ports}[($n // 1) - 1] }
sub pid { $_[0]{pid} }
sub conf_path { "$_[0]{dir}/smtpd.conf" }
sub log_path { "$_[0]{dir}/smtpd.log" }
sub spool { "$_[0]{dir}/spool" }
sub control_socket { "$_[0]{dir}/smtpd.sock" }

sub expand {
	my ($self, $text) = @_;
	$text =~ s/\@DIR\@/$self->{dir}/g;
	$text =~ s/\@PORT(\d?)\@/$self->{ports}[($1 || 1) - 1]/ge;
	return $text;
}

sub write_conf {
	my ($self, $text) = @_;
	$text = $self->expand($text);
	$text = "queue directory \"" . $self->spool . "\"\n" . $text
	    unless $text =~ /^\s*queue\s+directory\b/m;
	$text = "control socket \"" . $self->control_socket . "\"\n" . $text
	    unless $text =~ /^\s*control\s+socket\b/m;
	# appended, so the test's own line numbers stay as written
	$text .= ($text =~ /\n\z/ || $text eq "" ? "" : "\n")
	    . "mta resolver 127.0.0.1\@$self->{nodns}\n"
	    unless $text =~ /^\s*mta\s+resolver\b/m;
	$self->write_file("smtpd.conf", $text);
	return $self->conf_path;
}

sub write_file {
	my ($self, $name, $text) = @_;
	my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
	open(my $fh, '>', $path) or croak "$path: $!";
	print $fh $text;
	close $fh;
	chmod 0644, $path;
	return $path;
}

# The user mail is delivered to in tests: dtest1 (made if missing) as
# root, the runner otherwise; undef if there is none.
sub delivery_user {
	my $user;
	if (is_root()) {
		$user = "dtest1";
		system("useradd", "-m", "-d", "/home/$user", "-s", "/bin/sh",
		    $user) unless defined getpwnam($user);
	} else {
		$user = getpwuid($<);
	}
	return defined $user && defined getpwnam($user) ? $user : undef;
}

# The files of a Maildir subfolder (new/, cur/, tmp/), sorted, with paths.
sub maildir_files {
	my ($dir) = @_;
	opendir(my $dh, $dir) or return ();
	my @f = sort grep { !/^\./ } readdir $dh;
	closedir $dh;
	return map { "$dir/$_" } @f;
}

# Poll $cond every 50 ms for at most $secs (default 10): 1 once true.
sub wait_for {
	my ($cond, $secs) = @_;
	my $deadline = time + ($secs // 10);
	while (time < $deadline) {
		return 1 if $cond->();
		sleep 0.05;
	}
	return 0;
}

# A process's command name, and whether it runs (not gone, not a zombie).
sub comm {
	my $c = slurp("/proc/$_[0]/comm");
	chomp $c;
	return $c;
}

sub running {
	my ($pid) = @_;
	return slurp("/proc/$pid/stat") =~ /^\d+ \(.*\) [^Z]/;
}

# Children of pid, from /proc (the kernel's list, else a scan of ppids).
sub children_of {
	my ($pid) = @_;
	my @c;
	if (-e "/proc/$$/task/$$/children") {
		push @c, split(' ', slurp($_))
		    for glob("/proc/$pid/task/*/children");
		return @c;
	}
	opendir(my $dh, "/proc") or return @c;
	for my $p (grep { /^\d+$/ } readdir $dh) {
		push @c, $p if slurp("/proc/$p/stat") =~
		    /^\d+ \(.*\) \S (\d+) / && $1 == $pid;
	}
	closedir $dh;
	return @c;
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	local $/;
	my $t = <$fh>;
	close $fh;
	return $t // '';
}

# Write TEXT to PATH as bytes (dies on error).
sub spew {
	my ($path, $text) = @_;
	open(my $fh, '>:raw', $path) or croak "$path: $!";
	print $fh $text;
	close $fh or croak "$path: $!";
}

# Wait for the child PID at most SECS (default 60), then SIGKILL and
# reap it: its exit code, or -1 if it had to be killed.
sub reap_child {
	my ($pid, $secs) = @_;
	my $deadline = time + ($secs // 60);
	while (time < $deadline) {
		return $? >> 8 if waitpid($pid, WNOHANG) == $pid;
		sleep 0.02;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return -1;
}

sub log { return slurp($_[0]->log_path) }

# Run smtpd in the foreground with the test config; returns the pid.
sub start {
	my ($self, %opt) = @_;
	croak "already started" if $self->{pid};
	my @cmd = ("$self->{bin}/smtpd", "-d", "-f", $self->conf_path,
	    @{ $self->{args} }, @{ $opt{args} // [] });
	my $pid = fork() // croak "fork: $!";
	if ($pid == 0) {
		setpgid(0, 0);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $self->log_path);
		open(STDERR, '>&', \*STDOUT);
		$ENV{$_} = $self->{env}{$_} for keys %{ $self->{env} };
		exec(@cmd) or POSIX::_exit(127);
	}
	$self->{pid} = $pid;
	push @LIVE, $self;
	return $pid unless $opt{wait} // 1;
	$self->wait_ready or croak "smtpd did not become ready:\n" . $self->log;
	return $pid;
}

# Bounded wait for the parent's event=ready line.
sub wait_ready {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // 15);
	while (time < $deadline) {
		return 1 if $self->log =~ /event=ready/;
		return 0 unless $self->alive;
		sleep 0.05;
	}
	return 0;
}

sub wait_log {
	my ($self, $re, $timeout) = @_;
	my $deadline = time + ($timeout // 10);
	while (time < $deadline) {
		return 1 if $self->log =~ $re;
		sleep 0.05;
	}
	return 0;
}

sub alive {
	my ($self) = @_;
	return 0 unless $self->{pid};
	return 0 if defined $self->{status};
	my $r = waitpid($self->{pid}, WNOHANG);
	if ($r == $self->{pid}) {
		$self->{status} = $?;
		return 0;
	}
	return 1;
}

# Wait (bounded) for the daemon to exit; returns its wait status or undef.
sub wait_exit {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	while (time < $deadline) {
		return $self->{status} unless $self->alive;
		sleep 0.02;
	}
	return undef;
}

# Role processes: children of the parent, from /proc.
sub roles {
	my ($self) = @_;
	my %roles;
	return \%roles unless $self->{pid};
	opendir(my $dh, "/proc") or return \%roles;
	for my $p (grep { /^\d+$/ } readdir $dh) {
		my $stat = slurp("/proc/$p/stat");
		next unless $stat =~ /^\d+ \(.*?\) \S (\d+)/ && $1 == $self->{pid};
		my $cmd = slurp("/proc/$p/cmdline");
		my @argv = split /\0/, $cmd;
		for my $i (0 .. $#argv - 1) {
			$roles{ $argv[$i + 1] } = $p + 0 if $argv[$i] eq '-x';
		}
	}
	closedir $dh;
	return \%roles;
}

# Processes left in the daemon's process group.
sub group_members {
	my ($self) = @_;
	my @m;
	return @m unless $self->{pid};
	opendir(my $dh, "/proc") or return @m;
	for my $p (grep { /^\d+$/ } readdir $dh) {
		my $stat = slurp("/proc/$p/stat");
		next unless $stat =~ /^\d+ \(.*?\) (\S) \d+ (\d+)/;
		push @m, $p + 0 if $2 == $self->{pid} && $1 ne 'Z';
	}
	closedir $dh;
	return @m;
}

# SIGTERM, then SIGKILL after a bound; returns seconds taken to exit.
sub stop {
	my ($self, $timeout) = @_;
	return 0 unless $self->{pid};
	my $t0 = time;
	if ($self->alive) {
		kill 'TERM', $self->{pid};
		unless (defined $self->wait_exit($timeout // 5)) {
			kill 'KILL', $self->{pid};
			$self->wait_exit(2);
		}
	}
	my $took = time - $t0;
	# Anything left in its process group is a bug, but never leave it.
	my $deadline = time + 2;
	while ((my @left = $self->group_members) && time < $deadline) {
		sleep 0.05;
	}
	if (my @left = $self->group_members) {
		$self->{stray} = [@left];
		kill 'KILL', @left;
	}
	@LIVE = grep { defined $_ && $_ != $self } @LIVE;
	return $took;
}

sub stray { @{ $_[0]{stray} // [] } }

sub connect {
	my ($self, $port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port // $self->{port}, Proto => 'tcp', Timeout => 5)
	    or croak "connect: $!";
	$s->autoflush(1);
	return $s;
}

# Read one whole (possibly multi-line) reply with a bound; returns the text.
sub read_reply {
	my ($sock, $timeout) = @_;
	my $reply = '';
	my $deadline = time + ($timeout // 10);
	while (time < $deadline) {
		my $line = read_line($sock, $deadline - time);
		return $reply . ($line // '') unless defined $line;
		$reply .= $line;
		return $reply if $line =~ /^\d{3}(?: |\r?$)/;
	}
	return $reply;
}

sub read_line {
	my ($sock, $timeout) = @_;
	my $line = '';
	my $rin = '';
	vec($rin, fileno($sock), 1) = 1;
	my $deadline = time + ($timeout // 10);
	while (time < $deadline) {
		my $rout = $rin;
		my $n = select($rout, undef, undef, $deadline - time);
		last if $n <= 0;
		my $c;
		my $r = sysread($sock, $c, 1);
		return length $line ? $line : undef unless $r;
		$line .= $c;
		return $line if $c eq "\n";
	}
	return length $line ? $line : undef;
}

# Run a command, capture stdout+stderr and the exit code.
sub run {
	my (@cmd) = @_;
	my $pid = open(my $fh, '-|') // croak "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or POSIX::_exit(127);
	}
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return ($? >> 8, $out);
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $!, $@);
	$self->stop if $self->{pid} && !defined $self->{status};
}

END {
	local ($?, $!, $@);
	$_->stop for @LIVE;
	unlink map { $_->[0] } grep { $_->[1] == $$ } @RESERVED;
}

1;

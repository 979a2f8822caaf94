# ScriptSmtp.pm: a scripted SMTP or LMTP *server* for integration tests,
# the far end of our relay client (and of anything else that talks SMTP
# out). It listens on 127.0.0.1 (or ::1) on a port the kernel picks (or
# on a UNIX socket, for LMTP), runs
# in a forked child (one more child per connection, so sessions may
# overlap), answers from a script, and writes every byte it receives into
# files in a directory the test gives, so a test can compare bytes. It
# never talks to anything but its loopback clients, every read has a
# timeout, and it exits after an idle time; the test stops it by PID
# (stop, or when the object goes away).
#
#   my $s = ScriptSmtp->new(dir => "$tmp/mx",
#       ext => ['PIPELINING', 'SIZE 1000', 'STARTTLS', 'AUTH PLAIN LOGIN'],
#       tls => { cert => $c->cert('localhost'), key => $c->key('localhost') },
#       auth => { user => 'joe', pass => 'secret' },
#       rules => [
#           { cmd => qr/^RCPT TO:<bad\@/i, reply => '550 5.1.1 no such user' },
#           { cmd => qr/^RCPT/i, nth => 3, sleep => 2, reply => ['452-4.5.3 a', '452 4.5.3 b'] },
#           { cmd => qr/^DATA$/i, conn => 2, drop_in_data => 100 },
#           { cmd => qr/^DATA-END$/, raw => "250-ok\r\n250\r\n" },
#       ]);
#   ... relay to "127.0.0.1:" . $s->port ...
#   $s->wait_transactions(1, 10);
#   is($s->data(1), "Subject: x\r\n\r\n..dot\r\n");   # raw, dot-stuffed
#   $s->stop;
#
# Options of new (all optional but dir):
#   dir        where the files go (created if missing)
#   host       '127.0.0.1' (default), another loopback address
#              ('127.0.0.2': several MX hosts on one port), or '::1'
#   port       the port to listen on (default: one the kernel picks)
#   unix       a path: listen on a UNIX socket there instead (mode 0666,
#              removed by stop); addr is then "unix:PATH"
#   lmtp       1: LMTP (LHLO; one reply per accepted RCPT after DATA)
#   hostname   the name in the greeting and the EHLO reply ('mx.script.test')
#   greeting   the greeting: a line or [lines] (CRLF added), default
#              "220 HOSTNAME ESMTP ScriptSmtp" ("... LMTP ..." in LMTP)
#   ext        EHLO/LHLO extensions, one string per line, e.g.
#              ['PIPELINING', '8BITMIME', 'SIZE 10240000', 'DSN', 'SMTPUTF8',
#              'STARTTLS', 'AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES']
#              (the default is that list without STARTTLS and AUTH)
#   ext_tls    the extensions after STARTTLS (default: ext without STARTTLS)
#   tls        { cert => FILE, key => FILE }: STARTTLS works (needs
#              IO::Socket::SSL); without it STARTTLS is answered 454;
#              with implicit => 1 as well, the handshake comes first, at
#              once on accept (port 465 style), then the greeting
#   auth       { user => U, pass => P }: AUTH PLAIN and LOGIN are checked
#              against them (235 or 535); without it AUTH gets 503
#   rules      [ rule, ... ], see below
#   timeout    seconds each read may wait (default 10); then the session ends
#   session_max seconds one connection may last (default 120)
#   idle       seconds without a connection (and none open) after which
#              the server exits (default 60)
#   max_conns  accept this many connections, then close the listener
#   hold       qr//: replies to the command lines it matches are held
#              back and go out in one write with the next reply, as a
#              server that answers a pipelined group at DATA does, e.g.
#              qr/^(MAIL|RCPT)\b/i (a client that waits for each reply
#              then hangs: use it only where PIPELINING is offered)
#   lockstep   1: 50 ms after each command line, check that nothing more
#              has come yet; a client that sent a command ahead of the
#              reply (not allowed without PIPELINING) is noted, see
#              sent_ahead
#   strict     1: act on what the last EHLO/LHLO reply sent offered (its
#              bytes, a rule's included; none before it, after HELO or
#              after STARTTLS): with PIPELINING, hold qr/^(MAIL|RCPT)\b/i
#              (replies to MAIL and RCPT come with the reply to DATA, so
#              a client that waits for each one hangs), without it,
#              lockstep (an explicit hold replaces that pattern; with
#              lockstep => 1 every command line is checked)
#
# Rules. Every line the server reads outside DATA is a command line
# (without its CRLF); three pseudo-lines exist: "CONNECT" (on accept,
# before the greeting), "DATA-END" (the end of data, SMTP) and
# "DATA-END <addr>" (LMTP: once per accepted recipient, in RCPT order;
# addr as written between < and > in RCPT TO). The first rule that
# applies to a line decides how it is answered; a line no rule takes gets
# the default answer. A rule is a hash:
#   cmd     qr// (or a string, taken as a case-insensitive regex) matched
#           against the line
#   nth     applies only to the Nth line matching cmd (counted over every
#           connection; with conn, over that connection's lines)
#   conn    applies only on connection number N (1 = the first accepted)
#   sleep   seconds to wait before answering (or dropping)
#   reply   a reply line, or [lines]: CRLF is added to each line
#   raw     the reply's exact bytes (for odd ones: "250-a\r\n250\r\n",
#           "250 \r\n", a reply without CRLF ...)
#   drop    1: close the connection after the reply (if reply or raw is
#           given), at once otherwise (no reply at all)
#   drop_in_data  N (on the DATA command): answer 354 (or the rule's
#           reply), read at least N bytes of content, close; the partial
#           content is stored as the transaction's data
# The code of a reply (its first three digits) decides the outcome: a 2xx
# to RCPT accepts the recipient, a 354 to DATA reads the content, a 220 to
# STARTTLS starts TLS. A rule for AUTH replaces the whole exchange.
# Default answers: 250 to MAIL, RCPT, RSET, NOOP and the end of data
# ("250 2.0.0 Ok: queued as T"; LMTP: "250 2.0.0 <addr> delivered as T"
# per accepted recipient), 354 to DATA, 221 to QUIT (then close), 252 to
# VRFY, 500 to anything else (and to EHLO/HELO in LMTP, LHLO in SMTP).
# Only a little order is kept: RCPT before MAIL gets 503, DATA without an
# accepted recipient 554. Plaintext pipelined behind STARTTLS is dropped
# (and logged); after TLS the EHLO reply lists ext_tls.
#
# Files in dir (N counts connections, T transactions, over the server's
# life, from 1):
#   conn-N.raw   every byte received on connection N, in order; after
#                STARTTLS, the decrypted bytes
#   conn-N.log   the session: "* connect ADDR PORT" (or "* connect unix
#                uid=U"), "< line" received, "> line" sent, "* read N"
#                per read(2), "* held N bytes", "* ahead after LINE",
#                "* tls ...", "* drop ...", "* closed ..."
#   txn-T.data   the content of transaction T exactly as received (dot-
#                stuffed, up to and with the CRLF before ".CRLF")
#   txn-T.env    "conn N", "mail LINE", "rcpt CODE LINE" lines
#   auth.log     one line per AUTH: conn=N mech=M authzid=A user=U pass=P
#                result=CODE (values in Perl's \x escapes if unprintable)
#
# Methods: port, host, addr ("127.0.0.1:PORT", "[::1]:PORT", "unix:PATH"),
# dir, pid, connections (accepted so far), transcript(N), reads(N) (the
# bytes of each read(2) of connection N), log(N), closed(N), sent_ahead(N)
# (with lockstep: the command lines something was sent ahead of),
# peer_uid(N) (on a UNIX socket: the client's uid), data(T), message(T)
# (un-dot-stuffed), envelope(T) ({conn, mail, rcpts => [{code, line,
# addr}]}), transactions (their number), auths ([{conn, mech, authzid,
# user, pass, result}]), wait_connections(N, SECS),
# wait_transactions(T, SECS), wait_closed(N, SECS) (all bounded, return
# true on success), running, stop. The server side (the children) is
# t/lib/ScriptSmtp/Server.pm.
package ScriptSmtp;

use strict;
use warnings;
use Carp;
use Fcntl qw(O_RDWR O_CREAT);
use IO::Socket::IP;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h _exit);
use Time::HiRes qw(time sleep);
use ScriptSmtp::Server;

my @DEFAULT_EXT = ('PIPELINING', '8BITMIME', 'SIZE 10240000', 'DSN',
    'SMTPUTF8', 'ENHANCEDSTATUSCODES');

sub new {
	my ($class, %o) = @_;
	my $dir = $o{dir} // croak "ScriptSmtp: dir is required";
	mkdir $dir unless -d $dir;
	-d $dir or croak "ScriptSmtp: mkdir $dir: $!";
	my $self = bless {
		dir => $dir,
		host => $o{host} // '127.0.0.1',
		port_wanted => $o{port},
		unix => $o{unix},
		hold => $o{hold},
		lockstep => $o{lockstep} // 0,
		strict => $o{strict} // 0,
		lmtp => $o{lmtp} // 0,
		hostname => $o{hostname} // 'mx.script.test',
		timeout => $o{timeout} // 10,
		session_max => $o{session_max} // 120,
		idle => $o{idle} // 60,
		max_conns => $o{max_conns},
		tls => $o{tls},
		auth => $o{auth},
		owner => $$,
	}, $class;
	$self->{greeting} = $o{greeting} // sprintf("220 %s %s ScriptSmtp",
	    $self->{hostname}, $self->{lmtp} ? 'LMTP' : 'ESMTP');
	$self->{ext} = $o{ext} // [@DEFAULT_EXT];
	$self->{ext_tls} = $o{ext_tls} // [grep { !/^STARTTLS\b/i } @{ $self->{ext} }];
	my @rules;
	for my $r (@{ $o{rules} // [] }) {
		my %r = %$r;
		croak "ScriptSmtp: a rule needs cmd" unless defined $r{cmd};
		$r{cmd} = qr/$r{cmd}/i unless ref $r{cmd} eq 'Regexp';
		push @rules, \%r;
	}
	$self->{rules} = \@rules;
	if ($self->{tls}) {
		eval { require IO::Socket::SSL; 1 }
		    or croak "ScriptSmtp: tls needs IO::Socket::SSL (Debian libio-socket-ssl-perl)";
	}

	# Listen here, so the port is known before the child runs.
	my $l;
	if (defined $self->{unix}) {
		unlink $self->{unix};
		$l = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $self->{unix},
		    Listen => 64) or croak "ScriptSmtp: listen on $self->{unix}: $!";
		chmod 0666, $self->{unix};
	} else {
		$l = IO::Socket::IP->new(LocalHost => $self->{host},
		    LocalPort => $self->{port_wanted} // 0,
		    Listen => 64, ReuseAddr => 1, Proto => 'tcp')
		    or croak "ScriptSmtp: listen on $self->{host}: $@";
		$self->{port} = $l->sockport;
	}
	# The state file: counters shared by the connection children.
	sysopen(my $fh, "$dir/.state", O_RDWR | O_CREAT, 0644)
	    or croak "ScriptSmtp: $dir/.state: $!";
	close $fh;
	my $pid = fork() // croak "ScriptSmtp: fork: $!";
	if ($pid == 0) {
		my $rc = eval { ScriptSmtp::Server::run($self, $l); 0 } // do {
			print STDERR "ScriptSmtp: $@";
			1;
		};
		_exit($rc);
	}
	close $l;
	$self->{pid} = $pid;
	return $self;
}

sub port { $_[0]{port} }
sub host { $_[0]{host} }
sub dir { $_[0]{dir} }
sub pid { $_[0]{pid} }
sub addr {
	my ($self) = @_;
	return "unix:$self->{unix}" if defined $self->{unix};
	return $self->{host} =~ /:/ ? "[$self->{host}]:$self->{port}"
	    : "$self->{host}:$self->{port}";
}

sub running {
	my ($self) = @_;
	return 0 unless $self->{pid};
	my $w = waitpid($self->{pid}, WNOHANG);
	return 1 if $w == 0;
	# Exited (and now reaped), or not our child any more.
	$self->{status} = $? if $w == $self->{pid};
	delete $self->{pid};
	return 0;
}

# SIGTERM to the acceptor (it stops its connection children), a bounded
# wait, SIGKILL if needed, and the reap; the UNIX socket is removed.
sub stop {
	my ($self) = @_;
	return unless $self->{pid} && $$ == $self->{owner};
	my $pid = delete $self->{pid};
	kill 'TERM', $pid;
	my $deadline = time + 5;
	my $gone = 0;
	while (time < $deadline) {
		last if $gone = waitpid($pid, WNOHANG) != 0;
		sleep 0.02;
	}
	if (!$gone) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
	}
	unlink $self->{unix} if defined $self->{unix};
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $!, $@);
	$self->stop;
}

# ---------------------------------------------------------------- results
sub slurp {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return undef;
	local $/;
	my $t = <$fh>;
	close $fh;
	return $t // '';
}

sub counter {
	my ($self, $name) = @_;
	my $st = slurp("$self->{dir}/.state") // '';
	return $st =~ /^\Q$name\E (\d+)$/m ? $1 : 0;
}

sub connections { $_[0]->counter('conn') }
sub transactions { $_[0]->counter('txn') }
sub transcript { slurp("$_[0]{dir}/conn-$_[1].raw") }
sub log { slurp("$_[0]{dir}/conn-$_[1].log") }
sub data { slurp("$_[0]{dir}/txn-$_[1].data") }

sub message {
	my ($self, $t) = @_;
	my $m = $self->data($t) // return undef;
	$m =~ s/(^|\r\n)\./$1/g;
	return $m;
}

sub reads {
	my ($self, $n) = @_;
	my $raw = $self->transcript($n) // return ();
	my $log = $self->log($n) // '';
	my ($off, @r) = (0);
	for my $len ($log =~ /^\* read (\d+)$/mg) {
		push @r, substr($raw, $off, $len);
		$off += $len;
	}
	return @r;
}

sub closed {
	my ($self, $n) = @_;
	return (($self->log($n) // '') =~ /^\* closed/m) ? 1 : 0;
}

sub sent_ahead {
	my ($self, $n) = @_;
	return ($self->log($n) // '') =~ /^\* ahead after (.*)$/mg;
}

sub peer_uid {
	my ($self, $n) = @_;
	return ($self->log($n) // '') =~ /^\* connect unix uid=(\d+)$/m ? $1 : undef;
}

sub envelope {
	my ($self, $t) = @_;
	my $e = slurp("$self->{dir}/txn-$t.env") // return undef;
	my %e = (rcpts => []);
	for my $l (split /\n/, $e) {
		if ($l =~ /^conn (\d+)$/) {
			$e{conn} = $1;
		} elsif ($l =~ /^mail (.*)$/) {
			$e{mail} = $1;
		} elsif ($l =~ /^rcpt (\d{3}|---) (.*)$/) {
			my ($code, $line) = ($1, $2);
			my ($addr) = $line =~ /<([^>]*)>/;
			push @{ $e{rcpts} }, { code => $code, line => $line, addr => $addr };
		}
	}
	return \%e;
}

sub auths {
	my ($self) = @_;
	my @a;
	for my $l (split /\n/, slurp("$self->{dir}/auth.log") // '') {
		my %a;
		$a{$1} = unquote($2) while $l =~ /(\w+)="((?:[^"\\]|\\.)*)"/g;
		push @a, \%a;
	}
	return \@a;
}

sub unquote {
	my ($v) = @_;
	$v =~ s/\\(?:x\{([0-9a-f]+)\}|(.))/defined $1 ? chr hex $1 : $2/ge;
	return $v;
}

sub wait_until {
	my ($test, $secs) = @_;
	my $deadline = time + ($secs // 10);
	while (1) {
		return 1 if $test->();
		return 0 if time >= $deadline;
		sleep 0.02;
	}
}

sub wait_connections {
	my ($self, $n, $secs) = @_;
	return wait_until(sub { $self->connections >= $n }, $secs);
}

# Transaction T is complete once its .data file exists (written before
# the reply to the end of data is sent).
sub wait_transactions {
	my ($self, $t, $secs) = @_;
	return wait_until(sub { -e "$self->{dir}/txn-$t.data" }, $secs);
}

sub wait_closed {
	my ($self, $n, $secs) = @_;
	return wait_until(sub { $self->closed($n) }, $secs);
}

1;

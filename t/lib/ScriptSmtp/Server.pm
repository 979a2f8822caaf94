# ScriptSmtp/Server.pm: the server side of t/lib/ScriptSmtp.pm, run in
# its forked children: the acceptor (one child per connection, all
# stopped by PID when it gets SIGTERM, exits after the idle time) and the
# session (scripted replies, held replies, the lockstep check, DATA,
# STARTTLS or implicit TLS, AUTH), which writes the files
# ScriptSmtp.pm reads (conn-N.raw, conn-N.log, txn-T.data, txn-T.env,
# auth.log, the counters in .state). Only ScriptSmtp::new calls it; it
# never talks to anything but the clients that connect to it, and every
# read has a timeout.
package ScriptSmtp::Server;

use strict;
use warnings;
use Fcntl qw(:flock O_RDWR O_CREAT);
use IO::Select;
use MIME::Base64 qw(decode_base64);
use POSIX qw(:sys_wait_h _exit);
use Socket qw(SOL_SOCKET SO_PEERCRED);
use Time::HiRes qw(time sleep);

my $READ_SIZE = 65536;
# strict, PIPELINING offered: replies held until the next one not held.
my $STRICT_HOLD = qr/^(MAIL|RCPT)\b/i;

# Serve on listening socket L until SIGTERM or the idle time; CONF is the
# ScriptSmtp object (its options).
sub run {
	my ($conf, $l) = @_;
	my $self = bless { %$conf }, __PACKAGE__;
	return $self->acceptor($l);
}

# Increment counter NAME in the state file, under a lock; returns the new
# value.
sub bump {
	my ($self, $name) = @_;
	sysopen(my $fh, "$self->{dir}/.state", O_RDWR | O_CREAT, 0644) or die "state: $!";
	flock($fh, LOCK_EX) or die "flock: $!";
	local $/;
	my $st = <$fh> // '';
	my $v = ($st =~ /^\Q$name\E (\d+)$/m ? $1 : 0) + 1;
	$st =~ s/^\Q$name\E \d+\n//m;
	$st .= "$name $v\n";
	seek($fh, 0, 0);
	truncate($fh, 0);
	print $fh $st;
	close $fh;
	return $v;
}

sub acceptor {
	my ($self, $l) = @_;
	my %kids;
	my $term = 0;
	$SIG{TERM} = $SIG{INT} = $SIG{HUP} = sub { $term = 1 };
	$SIG{PIPE} = 'IGNORE';
	my $sel = IO::Select->new($l);
	my ($accepted, $last) = (0, time);
	while (!$term) {
		while ((my $k = waitpid(-1, WNOHANG)) > 0) {
			delete $kids{$k};
			$last = time;
		}
		last if !%kids && time - $last > $self->{idle};
		last if !$l && !%kids;
		if (!$l) {
			sleep 0.1;
			next;
		}
		next unless $sel->can_read(0.1);
		my $c = $l->accept or next;
		my $n = $self->bump('conn');
		$accepted++;
		$last = time;
		my $pid = fork();
		if (!defined $pid) {
			close $c;
			next;
		}
		if ($pid == 0) {
			$SIG{$_} = 'DEFAULT' for qw(TERM INT HUP);
			close $l;
			eval { $self->session($c, $n); 1 } or do {
				(my $e = $@) =~ s/\n\z//;
				$self->note($n, "* error $e");
			};
			_exit(0);
		}
		$kids{$pid} = 1;
		close $c;
		if (defined $self->{max_conns} && $accepted >= $self->{max_conns}) {
			$sel->remove($l);
			close $l;
			undef $l;
		}
	}
	kill 'TERM', $_ for keys %kids;
	my $deadline = time + 2;
	while (%kids && time < $deadline) {
		while ((my $k = waitpid(-1, WNOHANG)) > 0) { delete $kids{$k} }
		sleep 0.02;
	}
	for my $k (keys %kids) {
		kill 'KILL', $k;
		waitpid($k, 0);
	}
	return 0;
}

sub note {
	my ($self, $n, $line) = @_;
	open(my $fh, '>>:raw', "$self->{dir}/conn-$n.log") or return;
	print $fh "$line\n";
	close $fh;
}

sub show {
	my ($s) = @_;
	$s =~ s/([^\x20-\x7e])/sprintf("\\x%02x", ord $1)/ge;
	return $s;
}

# One connection: the state of the session is a hash.
sub session {
	my ($self, $sock, $n) = @_;
	binmode $sock;
	open(my $raw, '>>:raw', "$self->{dir}/conn-$n.raw") or die "conn-$n.raw: $!";
	$raw->autoflush(1);
	my $s = { sock => $sock, n => $n, buf => '', raw => $raw, tls => 0,
	    deadline => time + $self->{session_max}, eof => 0 };
	$self->note($n, "* connect " . peer($sock));
	if ($self->{tls} && $self->{tls}{implicit}) {
		$self->tls_handshake($s) or return;
	}
	my $r = $self->answer($s, 'CONNECT', $self->{greeting});
	if ($r->{drop}) {
		$self->drop($s, 'at connect');
		return;
	}
	while (1) {
		my $line = $self->read_line($s);
		if (!defined $line) {
			$self->finish($s, $s->{eof} ? 'eof' : 'timeout');
			return;
		}
		(my $cmd = $line) =~ s/\r?\n\z//;
		$self->note($n, "< " . show($cmd));
		$self->check_ahead($s, $cmd) if $self->{lockstep} ||
		    $self->{strict} && !$s->{pipelining};
		return if $self->command($s, $cmd);
	}
}

# "ADDR PORT" of a TCP peer; "unix uid=N" on a UNIX socket (the peer's
# uid from SO_PEERCRED, "?" if unknown).
sub peer {
	my ($sock) = @_;
	return $sock->peerhost . " " . $sock->peerport unless $sock->isa('IO::Socket::UNIX');
	my $cred = getsockopt($sock, SOL_SOCKET, SO_PEERCRED);
	my (undef, $uid) = $cred ? unpack('lI', $cred) : ();
	return "unix uid=" . ($uid // '?');
}

# lockstep: a client that was not offered PIPELINING waits for every
# reply, so nothing may be there 50 ms after a command line (an EOF is
# not a command sent ahead).
sub check_ahead {
	my ($self, $s, $cmd) = @_;
	sleep 0.05;
	if (!length $s->{buf}) {
		my $rin = '';
		vec($rin, fileno($s->{sock}), 1) = 1;
		return unless ($s->{tls} && $s->{sock}->pending) ||
		    select(my $rout = $rin, undef, undef, 0) > 0;
		$self->fill($s);
		return unless length $s->{buf};
	}
	$self->note($s->{n}, "* ahead after " . show($cmd));
}

sub finish {
	my ($self, $s, $why) = @_;
	close $s->{sock};
	$self->note($s->{n}, "* closed $why");
}

sub drop {
	my ($self, $s, $why) = @_;
	$self->note($s->{n}, "* drop $why");
	$self->finish($s, 'dropped');
}

# Fill the buffer with one read(2); 0 at EOF, timeout or session end.
sub fill {
	my ($self, $s) = @_;
	my $sock = $s->{sock};
	if (!($s->{tls} && $sock->pending)) {
		my $left = $s->{deadline} - time;
		$left = $self->{timeout} if $left > $self->{timeout};
		return 0 if $left <= 0;
		my $rin = '';
		vec($rin, fileno($sock), 1) = 1;
		return 0 unless select(my $rout = $rin, undef, undef, $left) > 0;
	}
	my $got = sysread($sock, my $chunk, $READ_SIZE);
	if (!$got) {
		if ($s->{tls} && !defined $got && $IO::Socket::SSL::SSL_ERROR ==
		    IO::Socket::SSL::SSL_WANT_READ()) {
			return 1;	# a TLS record not complete yet
		}
		$s->{eof} = 1;
		return 0;
	}
	print { $s->{raw} } $chunk;
	$self->note($s->{n}, "* read $got");
	$s->{buf} .= $chunk;
	return 1;
}

sub read_line {
	my ($self, $s) = @_;
	while (1) {
		my $i = index($s->{buf}, "\n");
		return substr($s->{buf}, 0, $i + 1, '') if $i >= 0;
		$self->fill($s) or return undef;
	}
}

# Send BYTES, after any replies held back (see answer).
sub send_bytes {
	my ($self, $s, $bytes) = @_;
	$bytes = delete($s->{held}) . $bytes if defined $s->{held};
	for my $l (split /(?<=\n)/, $bytes) {
		(my $t = $l) =~ s/\r?\n\z//;
		$self->note($s->{n}, "> " . show($t));
	}
	my $off = 0;
	while ($off < length $bytes) {
		my $w = syswrite($s->{sock}, $bytes, length($bytes) - $off, $off);
		if (!defined $w) {
			next if $s->{tls} && $IO::Socket::SSL::SSL_ERROR ==
			    IO::Socket::SSL::SSL_WANT_WRITE();
			return 0;
		}
		$off += $w;
	}
	return 1;
}

sub reply_bytes {
	my ($reply) = @_;
	return join('', map { "$_\r\n" } ref $reply ? @$reply : ($reply));
}

# The rule for LINE, if any (counting every rule's matches).
sub rule_for {
	my ($self, $s, $line) = @_;
	my $found;
	for my $i (0 .. $#{ $self->{rules} }) {
		my $r = $self->{rules}[$i];
		next if defined $r->{conn} && $r->{conn} != $s->{n};
		next unless $line =~ $r->{cmd};
		my $k = defined $r->{conn} ? "rule$i.conn$s->{n}" : "rule$i";
		my $count = $self->bump($k);
		next if defined $r->{nth} && $r->{nth} != $count;
		$found //= $r;
	}
	return $found;
}

# Answer LINE: the rule's reply or DEFAULT (a reply line or [lines]);
# FOUND, if given, is the rule already looked up for LINE (or 0: none).
# Returns { code, drop, rule }; when drop is set the caller closes. A
# reply to a LINE that matches the hold option is kept back and goes out
# in one write with the next reply sent.
sub answer {
	my ($self, $s, $line, $default, $found) = @_;
	my $r = $found // $self->rule_for($s, $line);
	sleep $r->{sleep} if $r && $r->{sleep};
	my $bytes;
	if ($r && defined $r->{raw}) {
		$bytes = $r->{raw};
	} elsif ($r && defined $r->{reply}) {
		$bytes = reply_bytes($r->{reply});
	} elsif ($r && $r->{drop}) {
		return { drop => 1, rule => $r, code => '---' };
	} else {
		$bytes = reply_bytes($default);
	}
	my $hold = $self->{hold} // ($self->{strict} && $s->{pipelining} ? $STRICT_HOLD : undef);
	if (defined $hold && $line =~ $hold && !($r && $r->{drop})) {
		$s->{held} .= $bytes;
		$self->note($s->{n}, "* held " . length($bytes) . " bytes");
	} else {
		$self->send_bytes($s, $bytes) or return { drop => 1, rule => $r, code => '---' };
	}
	my ($code) = $bytes =~ /^(\d{3})/;
	return { code => $code // '---', drop => $r && $r->{drop}, rule => $r, bytes => $bytes };
}

# One command; returns true when the session is over.
sub command {
	my ($self, $s, $cmd) = @_;
	my $n = $s->{n};
	my ($verb) = $cmd =~ /^(\S*)/;
	$verb = uc $verb;
	my $host = $self->{hostname};
	my $hello_ok = $self->{lmtp} ? $verb eq 'LHLO' : ($verb eq 'EHLO' || $verb eq 'HELO');
	my $r;
	if ($verb eq 'EHLO' || $verb eq 'LHLO' || $verb eq 'HELO') {
		my @ext = @{ $s->{tls} ? $self->{ext_tls} : $self->{ext} };
		my $def = !$hello_ok ? '500 5.5.1 ' . ($self->{lmtp} ? 'LHLO expected' : 'command unrecognized')
		    : $verb eq 'HELO' ? "250 $host"
		    : [ map({ "250-$_" } $host, @ext[0 .. $#ext - 1]),
		    @ext ? "250 $ext[-1]" : () ];
		$def = [ "250 $host" ] if $hello_ok && $verb ne 'HELO' && !@ext;
		$r = $self->answer($s, $cmd, $def);
		delete $s->{txn} if $r->{code} =~ /^2/;
		# strict: what this reply offered, whoever wrote it (a rule too).
		$s->{pipelining} = ($r->{bytes} // '') =~ /^250[- ]PIPELINING\b/mi;
	} elsif ($verb eq 'MAIL') {
		$r = $self->answer($s, $cmd, '250 2.1.0 Ok');
		$s->{txn} = { mail => $cmd, rcpts => [] } if $r->{code} =~ /^2/;
	} elsif ($verb eq 'RCPT') {
		my $def = $s->{txn} ? '250 2.1.5 Ok' : '503 5.5.1 MAIL first';
		$r = $self->answer($s, $cmd, $def);
		push @{ $s->{txn}{rcpts} }, [ $r->{code}, $cmd ] if $s->{txn};
	} elsif ($verb eq 'DATA') {
		my @ok = $s->{txn} ? grep { $_->[0] =~ /^2/ } @{ $s->{txn}{rcpts} } : ();
		my $def = @ok ? '354 End data with <CR><LF>.<CR><LF>' : '554 5.5.1 No valid recipients';
		$r = $self->answer($s, $cmd, $def);
		if (!$r->{drop} && $r->{code} eq '354') {
			return $self->data_phase($s, $r->{rule});
		}
	} elsif ($verb eq 'RSET') {
		$r = $self->answer($s, $cmd, '250 2.0.0 Ok');
		delete $s->{txn};
	} elsif ($verb eq 'NOOP') {
		$r = $self->answer($s, $cmd, '250 2.0.0 Ok');
	} elsif ($verb eq 'VRFY') {
		$r = $self->answer($s, $cmd, '252 2.0.0 Cannot VRFY');
	} elsif ($verb eq 'QUIT') {
		$r = $self->answer($s, $cmd, '221 2.0.0 Bye');
		$self->finish($s, 'quit') unless $r->{drop};
		return 1 unless $r->{drop};
	} elsif ($verb eq 'STARTTLS') {
		my $def = $s->{tls} ? '503 5.5.1 TLS already active'
		    : $self->{tls} ? '220 2.0.0 Ready to start TLS' : '454 4.7.0 TLS not available';
		$r = $self->answer($s, $cmd, $def);
		if (!$r->{drop} && $r->{code} eq '220' && !$s->{tls}) {
			return $self->start_tls($s);
		}
	} elsif ($verb eq 'AUTH') {
		my $rule = $self->rule_for($s, $cmd)
		    or return $self->auth($s, $cmd);
		$r = $self->answer($s, $cmd, '503 5.5.1 unused', $rule);
	} else {
		$r = $self->answer($s, $cmd, '500 5.5.2 Error: command not recognized');
	}
	if ($r->{drop}) {
		$self->drop($s, "after $verb");
		return 1;
	}
	return 0;
}

sub start_tls {
	my ($self, $s) = @_;
	if (length $s->{buf}) {
		$self->note($s->{n}, "* discarded " . length($s->{buf}) .
		    " bytes pipelined after STARTTLS");
		$s->{buf} = '';
	}
	delete $s->{txn};
	return $self->tls_handshake($s) ? 0 : 1;
}

# The server side of the TLS handshake (after STARTTLS, or at once with
# implicit TLS); false, the session closed, if it fails.
sub tls_handshake {
	my ($self, $s) = @_;
	my $ok = IO::Socket::SSL->start_SSL($s->{sock}, SSL_server => 1,
	    SSL_cert_file => $self->{tls}{cert}, SSL_key_file => $self->{tls}{key},
	    Timeout => $self->{timeout});
	if (!$ok) {
		$self->note($s->{n}, "* tls failed " . show(IO::Socket::SSL::errstr() // '?'));
		$self->finish($s, 'tls failed');
		return 0;
	}
	$s->{tls} = 1;
	$s->{pipelining} = 0;
	$self->note($s->{n}, sprintf "* tls %s %s", $s->{sock}->get_sslversion // '?',
	    $s->{sock}->get_cipher // '?');
	return 1;
}

sub auth_record {
	my ($self, $s, %a) = @_;
	open(my $fh, '>>:raw', "$self->{dir}/auth.log") or return;
	print $fh join(' ', "conn=\"$s->{n}\"", map { "$_=\"" . quote($a{$_}) . "\"" }
	    qw(mech authzid user pass result)), "\n";
	close $fh;
}

sub quote {
	my ($v) = @_;
	$v //= '';
	$v =~ s/([\\"\$\@])/\\$1/g;
	$v =~ s/([^\x20-\x7e])/sprintf("\\x{%x}", ord $1)/ge;
	return $v;
}

# One line of an AUTH exchange (not a command): undef at EOF or "*".
sub auth_line {
	my ($self, $s, $prompt) = @_;
	$self->send_bytes($s, "334 $prompt\r\n") or return undef;
	my $l = $self->read_line($s) // return undef;
	$l =~ s/\r?\n\z//;
	$self->note($s->{n}, "< " . show($l));
	return $l;
}

sub auth {
	my ($self, $s, $cmd) = @_;
	my (undef, $mech, $initial) = split ' ', $cmd, 3;
	$mech = uc($mech // '');
	if (!$self->{auth}) {
		$self->send_bytes($s, "503 5.5.1 AUTH not available\r\n");
		return 0;
	}
	my ($authzid, $user, $pass);
	if ($mech eq 'PLAIN') {
		my $b64 = $initial // $self->auth_line($s, '');
		return $self->auth_gone($s) unless defined $b64;
		return $self->auth_cancel($s) if $b64 eq '*';
		($authzid, $user, $pass) = split /\0/, ($b64 eq '=' ? '' : decode_base64($b64)), 3;
	} elsif ($mech eq 'LOGIN') {
		my $u = $initial // $self->auth_line($s, 'VXNlcm5hbWU6');
		return $self->auth_gone($s) unless defined $u;
		return $self->auth_cancel($s) if $u eq '*';
		my $p = $self->auth_line($s, 'UGFzc3dvcmQ6');
		return $self->auth_gone($s) unless defined $p;
		return $self->auth_cancel($s) if $p eq '*';
		($user, $pass) = (decode_base64($u), decode_base64($p));
	} else {
		$self->send_bytes($s, "504 5.5.4 Unrecognized authentication type\r\n");
		return 0;
	}
	my $ok = defined $user && defined $pass && $user eq $self->{auth}{user} &&
	    $pass eq $self->{auth}{pass};
	my $reply = $ok ? '235 2.7.0 Authentication successful'
	    : '535 5.7.8 Authentication credentials invalid';
	$self->auth_record($s, mech => $mech, authzid => $authzid, user => $user,
	    pass => $pass, result => substr($reply, 0, 3));
	$self->send_bytes($s, "$reply\r\n");
	return 0;
}

sub auth_gone {
	my ($self, $s) = @_;
	$self->finish($s, $s->{eof} ? 'eof in AUTH' : 'timeout in AUTH');
	return 1;
}

sub auth_cancel {
	my ($self, $s) = @_;
	$self->send_bytes($s, "501 5.7.0 Authentication cancelled\r\n");
	return 0;
}

# After 354: read to CRLF.CRLF, store, answer (once per accepted
# recipient in LMTP). Returns true when the session is over.
sub data_phase {
	my ($self, $s, $rule) = @_;
	my $n = $s->{n};
	my $t = $self->bump('txn');
	my $txn = $s->{txn} // { mail => '', rcpts => [] };
	open(my $env, '>:raw', "$self->{dir}/txn-$t.env") or die "txn-$t.env: $!";
	print $env "conn $n\nmail $txn->{mail}\n";
	print $env "rcpt $_->[0] $_->[1]\n" for @{ $txn->{rcpts} };
	close $env;
	my $limit = $rule && $rule->{drop_in_data};
	my ($content, $from) = (undef, 0);
	while (1) {
		if ($limit && length($s->{buf}) >= $limit) {
			$self->store_data($t, $s->{buf});
			$self->drop($s, "in DATA after " . length($s->{buf}) . " bytes");
			return 1;
		}
		my $i = index("\r\n" . $s->{buf}, "\r\n.\r\n", $from);
		if ($i >= 0) {
			$content = substr($s->{buf}, 0, $i);
			substr($s->{buf}, 0, $i + 3, '');
			last;
		}
		$from = length($s->{buf}) > 3 ? length($s->{buf}) - 3 : 0;
		if (!$self->fill($s)) {
			$self->store_data($t, $s->{buf});
			$self->note($n, "* no end of data");
			$self->finish($s, $s->{eof} ? 'eof in DATA' : 'timeout in DATA');
			return 1;
		}
	}
	$self->store_data($t, $content);
	$self->note($n, "* data txn=$t bytes=" . length($content));
	delete $s->{txn};
	my @answers = $self->{lmtp}
	    ? map { my ($a) = $_->[1] =~ /<([^>]*)>/; [ "DATA-END " . ($a // ''),
		"250 2.0.0 <" . ($a // '') . "> delivered as $t" ] }
		grep { $_->[0] =~ /^2/ } @{ $txn->{rcpts} }
	    : ([ 'DATA-END', "250 2.0.0 Ok: queued as $t" ]);
	for my $a (@answers) {
		my $r = $self->answer($s, @$a);
		if ($r->{drop}) {
			$self->drop($s, "at end of data");
			return 1;
		}
	}
	return 0;
}

sub store_data {
	my ($self, $t, $bytes) = @_;
	my $path = "$self->{dir}/txn-$t.data";
	open(my $fh, '>:raw', "$path.tmp") or die "$path: $!";
	print $fh $bytes;
	close $fh or die "$path: $!";
	rename "$path.tmp", $path or die "$path: $!";
}

1;

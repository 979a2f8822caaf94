# SmtpClient.pm: a raw SMTP/LMTP client for tests. Sends exactly the bytes
# it is given and returns each reply as the server sent it, so tests can
# assert codes, enhanced codes and texts on the wire.
#
#   my $c = SmtpClient->new($port);       # reads the greeting
#   my $r = $c->cmd("EHLO x");             # "250-...\r\n250 HELP\r\n"
#   $c->send("RSET\r\nNOOP\r\n");          # raw bytes
#   my @r = $c->replies(2);                # two whole replies
package SmtpClient;

use strict;
use warnings;
use Carp;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Time::HiRes qw(time);

sub new {
	my ($class, $port, %o) = @_;
	my $sock;
	if ($port =~ m{^/}) {
		$sock = IO::Socket::UNIX->new(Peer => $port, Type => SOCK_STREAM)
		    or croak "connect $port: $!";
	} else {
		$sock = IO::Socket::INET->new(PeerAddr => $o{host} // '127.0.0.1',
		    PeerPort => $port, Proto => 'tcp', Timeout => 5)
		    or croak "connect $port: $!";
	}
	binmode $sock;
	my $self = bless { sock => $sock, buf => '' }, $class;
	$self->{greeting} = $self->reply unless $o{no_greeting};
	return $self;
}

sub greeting { $_[0]{greeting} }
sub sock { $_[0]{sock} }

sub send {
	my ($self, $bytes) = @_;
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
		return 0 unless defined $n;
		$off += $n;
	}
	return 1;
}

# One line (with its CRLF), or undef at EOF/timeout.
sub line {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // 10);
	while (1) {
		if ((my $i = index($self->{buf}, "\n")) >= 0) {
			return substr($self->{buf}, 0, $i + 1, '');
		}
		my $left = $deadline - time;
		return undef if $left <= 0;
		my $rin = '';
		vec($rin, fileno($self->{sock}), 1) = 1;
		return undef unless select(my $rout = $rin, undef, undef, $left) > 0;
		my $n = sysread($self->{sock}, my $chunk, 65536);
		return undef unless $n;
		$self->{buf} .= $chunk;
	}
}

# One whole reply (all lines of a multi-line reply); '' at EOF/timeout.
sub reply {
	my ($self, $timeout) = @_;
	my $r = '';
	while (defined(my $l = $self->line($timeout))) {
		$r .= $l;
		last if $l =~ /^\d{3}(?: |\r?\n)/;
		last unless $l =~ /^\d{3}-/;
	}
	return $r;
}

sub replies {
	my ($self, $n, $timeout) = @_;
	return map { $self->reply($timeout) } 1 .. $n;
}

sub cmd {
	my ($self, $line, $timeout) = @_;
	$self->send("$line\r\n");
	return $self->reply($timeout);
}

# True if the server closed the connection (EOF within the timeout).
sub closed {
	my ($self, $timeout) = @_;
	return !defined $self->line($timeout // 5);
}

# A whole transaction; returns the final reply to the end of data.
sub mail {
	my ($self, $from, $to, $body) = @_;
	$self->cmd("MAIL FROM:<$from>") =~ /^250/ or return 'MAIL failed';
	for my $t (ref $to ? @$to : ($to)) {
		$self->cmd("RCPT TO:<$t>") =~ /^250/ or return 'RCPT failed';
	}
	$self->cmd("DATA") =~ /^354/ or return 'DATA failed';
	$body .= "\r\n" unless $body =~ /\r\n\z/;
	$self->send("$body.\r\n");
	return $self->reply;
}

sub close { close $_[0]{sock} }

1;

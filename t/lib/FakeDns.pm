# FakeDns.pm: a fake DNS server for tests: Net::DNS::Nameserver forked on
# 127.0.0.1 on a free UDP+TCP port, answering from a zone given as a Perl
# hash, stopped by its PID (stop, or when the object goes away, or at
# exit). Never talks to anything but loopback.
#
#   my $dns = FakeDns->new(zone => {
#       'a.example'    => { MX => [ [ 10, 'mx.a.example' ] ],
#                           A => [ '192.0.2.1' ], AAAA => [ '2001:db8::1' ],
#                           TXT => [ [ 'v=spf1', ' -all' ] ] },
#       'bad.example'  => { FAIL => 1 },         # SERVFAIL
#   });
#   my $port = $dns->port;                       # "127.0.0.1@$port"
#   $dns->stop;
#
# A name missing from the zone is NXDOMAIN; a name without records of the
# type asked is NODATA (NOERROR, no answer, the SOA in authority). Names
# are compared without case and without a final dot. The zone must live
# under .example: libunbound answers .test itself (RFC 6761 local zone).
# Needs libnet-dns-perl; callers skip_all when it is missing
# (FakeDns::available).
package FakeDns;

use strict;
use warnings;
use Carp;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);
use SmtpdTest;

our %LIVE;	# server pid => the pid that started it, stopped at exit

my $STARTUP_TRIES = 50;		# x 0.1 s
my $PORT_TRIES = 20;
my $SOA = "example. 60 IN SOA ns.example. admin.example. 1 3600 600 86400 60";

sub available {
	return eval { require Net::DNS; require Net::DNS::Nameserver; 1 };
}

sub new {
	my ($class, %o) = @_;
	croak "FakeDns: Net::DNS::Nameserver missing" unless available();
	my $self = bless { zone => _lower($o{zone} // {}) }, $class;
	$self->{port} = _port();
	$self->_start;
	return $self;
}

sub port { return $_[0]{port} }
sub pid { return $_[0]{pid} }

# "127.0.0.1@PORT", the form of SMTPCTL_RESOLVER and `mta resolver`.
sub forwarder { return "127.0.0.1\@$_[0]{port}" }

sub stop {
	my ($self) = @_;
	my $pid = delete $self->{pid} or return;
	local $?;	# the server's status is not the test's
	kill 'TERM', $pid;
	waitpid($pid, 0);
	delete $LIVE{$pid};
}

sub DESTROY {
	my ($self) = @_;
	$self->stop if $self->{pid} && $self->{owner} && $self->{owner} == $$;
}

END {
	local $?;
	for my $pid (keys %LIVE) {
		next unless $LIVE{$pid} == $$;	# a forked child's copy
		kill 'TERM', $pid;
		waitpid($pid, 0);
	}
}

# ------------------------------------------------------------ internals
sub _lower {
	my ($zone) = @_;
	my %z;
	for my $name (keys %$zone) {
		(my $n = lc $name) =~ s/\.\z//;
		$z{$n} = $zone->{$name};
	}
	return \%z;
}

sub _udp_free {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port, Proto => 'udp') or return 0;
	close $s;
	return 1;
}

sub _port {
	for (1 .. $PORT_TRIES) {
		my $port = SmtpdTest::free_port();
		return $port if _udp_free($port);
	}
	croak "FakeDns: no free UDP+TCP port";
}

sub _rr {
	my ($name, $type, $d) = @_;
	my %rr = (owner => $name, type => $type, ttl => 60);
	if ($type eq 'TXT') {
		$rr{txtdata} = $d;
	} elsif ($type eq 'MX') {
		@rr{qw(preference exchange)} = @$d;
	} elsif ($type eq 'CNAME') {
		$rr{cname} = $d;
	} else {
		$rr{address} = $d;
	}
	return Net::DNS::RR->new(%rr);
}

sub _reply {
	my ($self, $qname, $qclass, $qtype) = @_;
	(my $name = lc $qname) =~ s/\.\z//;
	my $z = $self->{zone}{$name};
	my $soa = Net::DNS::RR->new($SOA);
	return ("NXDOMAIN", [], [$soa], [], { aa => 1, ra => 1 }) unless $z;
	return ("SERVFAIL", [], [], [], { ra => 1 }) if $z->{FAIL};
	my @ans = map { _rr($name, $qtype, $_) } @{ $z->{$qtype} // [] };
	return ("NOERROR", \@ans, @ans ? [] : [$soa], [], { aa => 1, ra => 1 });
}

sub _start {
	my ($self) = @_;
	my $port = $self->{port};
	my $pid = fork() // croak "FakeDns: fork: $!";
	if ($pid == 0) {
		my $ns = Net::DNS::Nameserver->new(LocalAddr => ['127.0.0.1'],
		    LocalPort => $port, Verbose => 0,
		    ReplyHandler => sub { $self->_reply(@_) })
		    or POSIX::_exit(1);
		$ns->main_loop;
		POSIX::_exit(0);
	}
	$self->{pid} = $pid;
	$self->{owner} = $$;
	$LIVE{$pid} = $$;
	my $res = Net::DNS::Resolver->new(nameservers => ['127.0.0.1'],
	    port => $port, udp_timeout => 1, retry => 1, recurse => 1);
	for (1 .. $STARTUP_TRIES) {
		return if $res->send('fakedns-probe.example', 'A');
		sleep 0.1;
	}
	$self->stop;
	croak "FakeDns: the server did not start on port $port";
}

1;

# CtlTest.pm: run smtpctl (or one of its personalities) from a test and
# get its exit status, stdout and stderr apart.
#
#   my ($rc, $out, $err) = CtlTest::ctl({ env => { SMTPD_CONF => $conf } },
#       "show", "queue");
#   options: name => "mailq" (a symlink of that name is made),
#            env => { ... }, stdin => "text", uid => run as that user
package CtlTest;

use strict;
use warnings;
use POSIX ();
use SmtpdTest;

my $TMP = SmtpdTest::tempdir_public();

sub ctl {
	my ($o, @args) = @_;
	my $ctl = SmtpdTest::build() . "/smtpctl";
	my $errf = "$TMP/ctl.err.$$";
	my $inf = "$TMP/ctl.in.$$";
	if (defined $o->{stdin}) {
		open(my $fh, '>', $inf) or die "$inf: $!";
		print $fh $o->{stdin};
		close $fh;
	}
	my $prog = $o->{name} ? "$TMP/$o->{name}" : $ctl;
	symlink($ctl, $prog) if $o->{name} && !-l $prog;
	my $pid = open(my $out, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>', $errf) or POSIX::_exit(126);
		open(STDIN, '<', defined $o->{stdin} ? $inf : '/dev/null')
		    or POSIX::_exit(126);
		delete $ENV{SMTPD_CONF};
		$ENV{$_} = $o->{env}{$_} for keys %{ $o->{env} // {} };
		if (defined $o->{uid}) {
			my $gid = (getpwuid($o->{uid}))[3];
			POSIX::setgid($gid);
			$) = "$gid $gid";
			POSIX::setuid($o->{uid}) or POSIX::_exit(126);
		}
		exec($prog, @args) or POSIX::_exit(127);
	}
	local $/;
	my $stdout = <$out> // '';
	close $out;
	my $rc = $? >> 8;
	my $stderr = SmtpdTest::slurp($errf);
	unlink $errf, $inf;
	return ($rc, $stdout, $stderr);
}

# show queue lines as arrays of their 14 fields (the error is the rest).
sub queue_fields {
	my ($text) = @_;
	return map { [ split /\|/, $_, 14 ] } split /\n/, $text;
}

1;

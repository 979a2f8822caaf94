# TlsCert.pm: test certificates made at test time with certtool (gnutls-bin),
# so no private key is ever committed. One CA, a server certificate for
# "localhost" (and 127.0.0.1), and a second one for "mx2.test" and
# "*.alt.test", to see SNI pick it. Keys are mode 0600, as smtpd wants.
#
#   my $c = TlsCert->new($dir);      # undef (and $TlsCert::ERROR) on failure
#   $c->ca;                          # the CA certificate file
#   $c->cert("mx2.test"), $c->key("mx2.test")
#   $c->pki_conf;                    # "pki localhost cert ...\n..." for smtpd.conf
package TlsCert;

use strict;
use warnings;

our $ERROR;
our @NAMES = ("localhost", "mx2.test");

my %TEMPLATE = (
	"localhost" => "cn = \"localhost\"\ndns_name = \"localhost\"\n"
	    . "ip_address = \"127.0.0.1\"\n",
	"mx2.test" => "cn = \"mx2.test\"\ndns_name = \"mx2.test\"\n"
	    . "dns_name = \"*.alt.test\"\n",
);

sub certtool {
	my (@args) = @_;
	my $out = `certtool @args 2>&1`;
	if ($? != 0) {
		$ERROR = "certtool @args: $out";
		return 0;
	}
	return 1;
}

sub write_text {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close $fh;
}

sub new {
	my ($class, $dir) = @_;
	$ERROR = undef;
	if (system("certtool --version >/dev/null 2>&1") != 0) {
		$ERROR = "certtool (gnutls-bin) is not installed";
		return undef;
	}
	my $self = bless { dir => $dir }, $class;
	my $ca_key = "$dir/ca.key";
	write_text("$dir/ca.tmpl", "cn = \"smtpd test CA\"\nca\ncert_signing_key\n"
	    . "expiration_days = 2\n");
	certtool("--generate-privkey", "--key-type=rsa", "--bits=2048",
	    "--outfile", $ca_key) or return undef;
	certtool("--generate-self-signed", "--load-privkey", $ca_key,
	    "--template", "$dir/ca.tmpl", "--outfile", "$dir/ca.pem")
	    or return undef;
	for my $name (@NAMES) {
		my $key = "$dir/$name.key";
		write_text("$dir/$name.tmpl", $TEMPLATE{$name}
		    . "tls_www_server\nsigning_key\nencryption_key\n"
		    . "expiration_days = 2\n");
		certtool("--generate-privkey", "--key-type=rsa", "--bits=2048",
		    "--outfile", $key) or return undef;
		chmod 0600, $key;
		certtool("--generate-certificate", "--load-privkey", $key,
		    "--load-ca-certificate", "$dir/ca.pem",
		    "--load-ca-privkey", $ca_key, "--template", "$dir/$name.tmpl",
		    "--outfile", "$dir/$name.pem") or return undef;
	}
	chmod 0600, $ca_key;
	return $self;
}

sub dir { $_[0]{dir} }
sub ca { "$_[0]{dir}/ca.pem" }
sub cert { "$_[0]{dir}/$_[1].pem" }
sub key { "$_[0]{dir}/$_[1].key" }

# pki blocks for every name, the first one first (a listener's default).
sub pki_conf {
	my ($self) = @_;
	my $conf = '';
	for my $name (@NAMES) {
		$conf .= "pki $name cert \"" . $self->cert($name) . "\"\n"
		    . "pki $name key \"" . $self->key($name) . "\"\n";
	}
	return $conf;
}


1;

# 35-clients.t: real clients against the daemon: swaks, Python smtplib
# and Perl Net::SMTP each deliver a message that lands in queue/.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Net::SMTP;
use SmtpdTest;

my $d = SmtpdTest->new(conf => SmtpdTest::standard_conf());
$d->start;
my $port = $d->port;

sub queued_with {
	my ($needle) = @_;
	return grep { $_->{message} =~ /\Q$needle\E/ } values %{ $d->queued };
}

SKIP: {
	skip "swaks not installed", 3 unless -x "/usr/bin/swaks";
	my ($rc, $out) = SmtpdTest::run("swaks", "--server", "127.0.0.1", "--port", $port,
	    "--from", 'sender@example.net', "--to", 'root@example.org',
	    "--header", "Subject: via-swaks", "--body", "hello from swaks",
	    "--timeout", "10");
	is($rc, 0, "swaks exits 0");
	like($out, qr/<[-~]\s+250 2\.0\.0 [0-9a-f]{8} Message accepted for delivery/, "swaks sees 250 2.0.0");
	is(scalar(queued_with("via-swaks")), 1, "the swaks message is queued");
}

{
	my $py = <<'PY';
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
code, ext = s.ehlo("python.example")
assert code == 250 and s.has_extn("pipelining") and s.has_extn("8bitmime"), ext
refused = s.sendmail("py@example.net", ["root@example.org", "nobody-here@example.org"],
    "Subject: via-smtplib\r\n\r\nhello from python\r\n")
assert list(refused) == ["nobody-here@example.org"], refused
assert refused["nobody-here@example.org"][0] == 550, refused
s.quit()
print("ok")
PY
	my ($rc, $out) = SmtpdTest::run("python3", "-c", $py, $port);
	is($rc, 0, "python smtplib exits 0") or diag $out;
	like($out, qr/^ok$/m, "smtplib: one recipient refused with 550, message sent");
	is(scalar(queued_with("via-smtplib")), 1, "the smtplib message is queued");
}

{
	my $smtp = Net::SMTP->new("127.0.0.1", Port => $port, Hello => "perl.example", Timeout => 10);
	ok($smtp, "Net::SMTP connects");
	ok($smtp->mail('perl@example.net'), "Net::SMTP MAIL");
	ok($smtp->to('root@example.org'), "Net::SMTP RCPT");
	ok($smtp->data("Subject: via-netsmtp\r\n\r\n.dot line\r\nbody\r\n"), "Net::SMTP DATA");
	like($smtp->message, qr/[0-9a-f]{8} Message accepted/, "Net::SMTP gets the queue id");
	$smtp->quit;
	my ($m) = queued_with("via-netsmtp");
	like($m->{message} // '', qr/\r\n\.dot line\r\n/, "dot-stuffing undone exactly once");
}

$d->stop;
done_testing();

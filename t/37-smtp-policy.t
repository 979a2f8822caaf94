# 37-smtp-policy.t: listener policies of protocol.md A.1/A.6/A.7 that do
# not need a TLS handshake: tls-require refuses MAIL/RCPT/DATA/AUTH with
# 530 before STARTTLS, auth listeners require authentication before MAIL,
# AUTH is never offered in plaintext (538); and SIZE= against the spool's
# free space (452 4.3.1). The handshakes themselves: 90-tls.t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;
use SmtpClient;
use TlsCert;

my $d = SmtpdTest->new(no_conf => 1);
my $certs = TlsCert->new($d->dir)
    or plan skip_all => "cannot make test certificates: $TlsCert::ERROR";
my ($crt, $key) = ($certs->cert("localhost"), $certs->key("localhost"));
$d->write_conf(<<"EOF1" . <<'EOF2');
pki mx.example cert "$crt"
pki mx.example key "$key"
EOF1
table passwd { "alice" = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA" }
listen on 127.0.0.1 port @PORT@ tls-require pki mx.example
listen on 127.0.0.1 port @PORT2@ tls pki mx.example auth <passwd>
action "local" maildir "@DIR@/mail"
match from any for domain "example.org" action "local"
EOF2
$d->start;

{
	my $c = SmtpClient->new($d->port);
	$c->cmd("EHLO client.example");
	for my $cmd ("MAIL FROM:<a\@example.net>", "RCPT TO:<root\@example.org>", "DATA", "AUTH PLAIN") {
		like($c->cmd($cmd), qr/^530 5\.7\.0 Must issue a STARTTLS command first/,
		    "tls-require: $cmd before STARTTLS: 530 5.7.0");
	}
	like($c->cmd("NOOP"), qr/^250 /, "tls-require: NOOP still works");
	like($c->cmd("STARTTLS"), qr/^220 2\.0\.0 Ready to start TLS/, "tls-require: STARTTLS is accepted");
}

{
	my $c = SmtpClient->new($d->port(2));
	my $e = $c->cmd("EHLO client.example");
	unlike($e, qr/AUTH/, "AUTH is not advertised in plaintext");
	like($c->cmd("AUTH PLAIN AGFsaWNlAHNlY3JldA=="), qr/^538 5\.7\.11 Encryption required for requested authentication mechanism/,
	    "AUTH before TLS: 538 5.7.11");
	like($c->cmd("MAIL FROM:<a\@example.net>"), qr/^530 5\.7\.0 Authentication required/,
	    "auth listener: MAIL unauthenticated: 530 5.7.0");
}
$d->stop;

SKIP: {
	skip "needs root to mount a small tmpfs", 4 unless SmtpdTest::is_root();
	my $dir = SmtpdTest::tempdir_public();
	mkdir "$dir/spool";
	system("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", "$dir/spool") == 0
	    or skip "cannot mount tmpfs here", 4;
	my $s = SmtpdTest->new(dir => $dir, conf => SmtpdTest::standard_conf());
	$s->start;
	my $c = SmtpClient->new($s->port);
	$c->cmd("EHLO client.example");
	like($c->cmd("MAIL FROM:<a\@example.net> SIZE=20000000"), qr/^452 4\.3\.1 Insufficient system storage/,
	    "SIZE beyond the spool's free space: 452 4.3.1");
	like($c->cmd("MAIL FROM:<a\@example.net> SIZE=1000"), qr/^250 2\.0\.0/, "a small SIZE is accepted");
	$c->cmd("RCPT TO:<root\@example.org>");
	$c->cmd("DATA");
	like($c->cmd("Subject: fits\r\n\r\nx\r\n."), qr/^250 2\.0\.0 /, "and the message is queued");
	$c->cmd("QUIT");
	$s->stop;
	ok(scalar keys %{ $s->queued } == 1, "one message on the small spool");
	system("umount", "$dir/spool");
}

done_testing();

# 92-relay.t: the relay client end to end, our smtpd relaying to a second
# smtpd instance on loopback: a smarthost by address literal delivers
# into the receiver's Maildir and the message leaves our queue; one
# connection carries several recipients of a message in one transaction
# and a burst of messages (connection reuse, logged by the receiver);
# a smarthost with AUTH over verified STARTTLS (smtp+tls://LABEL@host,
# credentials from a table, our test CA through `ca`); TLS required but
# not offered defers without sending anything in clear; an unreachable
# smarthost defers with the error kept for show queue, and `smtpctl
# schedule` after the server is back delivers it; `pause mta` holds
# relay envelopes until `resume mta`.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use CtlTest;
use SmtpClient;
use SmtpdTest;
use TlsCert;

my $user = SmtpdTest::delivery_user();
plan skip_all => "no delivery user" unless defined $user;

# ------------------------------------------------------------ receiver
my $r = SmtpdTest->new(no_conf => 1);
my $certs = TlsCert->new($r->dir)
    or plan skip_all => "cannot make test certificates: $TlsCert::ERROR";
my ($ecode, $hash) = CtlTest::ctl({}, "encrypt", "relay s3cret");
chomp $hash;
like($hash, qr/^\$argon2id\$/, "a hash for the receiver's credentials table");
$r->write_file("users", "relayuser $hash\n");
chmod 0600, $r->dir . "/users";
$r->write_conf($certs->pki_conf . <<'EOF');
table users file:@DIR@/users
listen on 127.0.0.1 port @PORT@
listen on 127.0.0.1 port @PORT2@ tls pki localhost auth <users>
listen on 127.0.0.1 port @PORT3@
action "local" maildir "@DIR@/mail/%{user.username}/Maildir"
match from any for domain "example.net" action "local"
match from any for domain "auth.example" action "local"
match from any for domain "strict.example" action "local"
match from any for domain "down.example" action "local"
EOF
$r->shared_dirs("mail");
$r->start;
my $new = $r->dir . "/mail/$user/Maildir/new";

# ------------------------------------------------------------ sender
my $s = SmtpdTest->new(no_conf => 1);
$s->write_file("secrets", "lab relayuser:relay s3cret\n");
chmod 0600, $s->dir . "/secrets";
my ($rp1, $rp2, $rp3) = map { $r->port($_) } 1 .. 3;
$s->write_conf(<<EOF);
ca testca cert "${\ $certs->ca }"
table secrets file:\@DIR\@/secrets
listen on 127.0.0.1 port \@PORT\@
action "out" relay host smtp://127.0.0.1:$rp1
action "auth" relay host smtp+tls://lab\@localhost:$rp2 auth <secrets> ca testca
action "strict" relay host smtp://127.0.0.1:$rp3 tls no-verify
action "down" relay host smtp://127.0.0.1:\@PORT2\@
match from any for domain "example.net" action "out"
match from any for domain "auth.example" action "auth"
match from any for domain "strict.example" action "strict"
match from any for domain "down.example" action "down"
EOF
$s->start;
my $ctlconf = { env => { SMTPD_CONF => $s->conf_path } };

sub count_new { return scalar(() = SmtpdTest::maildir_files($new)) }
sub connections { return scalar(() = $r->log =~ /smtp event=connected /g) }
# The delivered message with that subject (file names do not sort by
# arrival within a second).
sub delivered {
	my ($subject) = @_;
	my ($m) = grep { /\nSubject: \Q$subject\E\n/ }
	    map { SmtpdTest::slurp($_) } SmtpdTest::maildir_files($new);
	return $m // '';
}
sub envelope_texts {
	my $q = $s->queued;
	return join "\n", map { SmtpdTest::slurp($_) }
	    map { @{ $_->{envelopes} } } values %$q;
}

my $c = SmtpClient->new($s->port);
$c->cmd("EHLO client.example");

{
	my $reply = $c->mail('alice@example.org', "$user\@example.net",
	    "Subject: relayed\r\n\r\nline one\r\n..dot line\r\n");
	like($reply, qr/^250 /, "accepted for a remote domain");
	ok(SmtpdTest::wait_for(sub { count_new() == 1 }, 20),
	    "relayed into the receiver's Maildir");
	my $m = delivered("relayed");
	like($m, qr/\nSubject: relayed\n\nline one\n\.dot line\n\z/,
	    "content intact, dot line unstuffed once");
	like($m, qr/\nReceived: from \S+ \(<unknown> \[127\.0\.0\.1\]\)\n\tby \S+ \(smtpd\) with ESMTP id [0-9a-f]{8}\n\tfor <\Q$user\E\@example\.net>;.*\nReceived: from client\.example /s,
	    "the receiver's Received: above ours");
	ok(SmtpdTest::wait_for(sub { !%{ $s->queued } }),
	    "the relayed message left our queue");
	like($s->log, qr/relay event=delivery rcpt=<\Q$user\E\@example\.net> host=\S+ result=Ok/,
	    "the relay logged the delivery");
}

{
	# One transaction for both recipients, the unknown one refused.
	my $before = connections();
	$c->cmd("MAIL FROM:<alice\@example.org>");
	like($c->cmd("RCPT TO:<nosuchuser\@example.net>"), qr/^250 /, "rcpt 1");
	like($c->cmd("RCPT TO:<$user\@example.net>"), qr/^250 /, "rcpt 2");
	like($c->cmd("DATA"), qr/^354 /, "data");
	like($c->cmd("Subject: two\r\n\r\nfor two\r\n."), qr/^250 /, "accepted");
	ok(SmtpdTest::wait_for(sub { count_new() == 2 }, 20),
	    "the known recipient got it");
	ok($s->wait_log(qr/relay event=delivery rcpt=<nosuchuser\@example\.net> host=\S+ result=PermFail text="550 5\.1\.1 /),
	    "the unknown one was refused with the receiver's 550 5.1.1");
	ok(SmtpdTest::wait_for(sub { !%{ $s->queued } }),
	    "nothing of it left in our queue (the report to alice is dropped)");
	ok(connections() - $before <= 1,
	    "both recipients went over one connection");
	# a message sent while that session idles reuses it
	$before = connections();
	like($c->mail('alice@example.org', "$user\@example.net",
	    "Subject: burst\r\n\r\nreuse\r\n"), qr/^250 /, "a third message");
	ok(SmtpdTest::wait_for(sub { count_new() == 3 }, 20), "delivered");
	is(connections() - $before, 0,
	    "over the idle session: no new connection");
}

{
	# smtp+tls://LABEL@localhost: STARTTLS verified against our CA, then
	# AUTH with the label's line of the table.
	like($c->mail('alice@example.org', "$user\@auth.example",
	    "Subject: authenticated\r\n\r\nover TLS\r\n"), qr/^250 /,
	    "accepted for the smarthost with AUTH");
	ok(SmtpdTest::wait_for(sub { count_new() == 4 }, 20),
	    "delivered through the authenticated smarthost");
	like(delivered("authenticated"), qr/with ESMTPSA id /,
	    "the receiver says ESMTPSA (TLS and AUTH)");
	like($r->log, qr/smtp event=auth user=relayuser address=127\.0\.0\.1 result=Ok/,
	    "the receiver authenticated relayuser");
	unlike($s->log . $r->log, qr/relay s3cret/, "the password is in no log");
}

{
	# `tls no-verify` to a server without STARTTLS: deferred, nothing sent.
	my $before = length $r->log;
	like($c->mail('alice@example.org', "$user\@strict.example",
	    "Subject: secret\r\n\r\nnever in clear\r\n"), qr/^250 /,
	    "accepted for a TLS-only relay");
	ok($s->wait_log(qr/relay event=delivery rcpt=<\Q$user\E\@strict\.example> host=\S+ result=TempFail text="4\.7\.5 /),
	    "deferred with 4.7.5");
	unlike(substr($r->log, $before), qr/event=mail|event=message/,
	    "the receiver got no transaction");
	ok(SmtpdTest::wait_for(sub { envelope_texts() =~ /4\.7\.5/ }),
	    "the error is kept in the envelope for show queue");
	is(count_new(), 4, "nothing delivered in clear");
}

SKIP: {
	skip "smtpctl needs root", 9 unless SmtpdTest::is_root();
	# A smarthost that is down: deferred, held; once it is up, `smtpctl
	# schedule` sends it at once.
	like($c->mail('alice@example.org', "$user\@down.example",
	    "Subject: later\r\n\r\nafter the schedule\r\n"), qr/^250 /,
	    "accepted for a smarthost that is down");
	ok($s->wait_log(qr/relay event=delivery rcpt=<\Q$user\E\@down\.example> host=\S+ result=TempFail text="4\.4\.1 /),
	    "deferred: connection refused");
	my $up = SmtpdTest->new(conf => "listen on 127.0.0.1 port " . $s->port(2)
	    . "\naction \"local\" maildir \"\@DIR\@/mail/%{user.username}/Maildir\"\n"
	    . "match from any for domain \"down.example\" action \"local\"\n");
	$up->shared_dirs("mail");
	$up->start;
	my ($rc, $out, $err) = CtlTest::ctl($ctlconf, "schedule", "all");
	is($rc, 0, "smtpctl schedule all") or diag $err;
	my $upnew = $up->dir . "/mail/$user/Maildir/new";
	ok(SmtpdTest::wait_for(sub { (() = SmtpdTest::maildir_files($upnew)) == 1 }, 20),
	    "delivered once the server is up");
	$up->stop;

	# pause mta holds relay envelopes; resume sends them.
	($rc, $out, $err) = CtlTest::ctl($ctlconf, "pause", "mta");
	is($rc, 0, "pause mta") or diag $err;
	like($c->mail('alice@example.org', "$user\@example.net",
	    "Subject: paused\r\n\r\nheld\r\n"), qr/^250 /, "accepted while paused");
	sleep 1;
	is(count_new(), 4, "not relayed while mta is paused");
	($rc, $out) = CtlTest::ctl($ctlconf, "show", "status");
	like($out, qr/^MTA paused$/m, "show status: MTA paused");
	($rc, $out, $err) = CtlTest::ctl($ctlconf, "resume", "mta");
	is($rc, 0, "resume mta") or diag $err;
	ok(SmtpdTest::wait_for(sub { count_new() == 5 }, 20),
	    "relayed after resume");
}

diag("sender's relay log:\n", grep { /relay|creds/ } split /^/m, $s->log)
    unless Test::More->builder->is_passing;
$c->cmd("QUIT");
$s->stop;
$r->stop;
is_deeply([$s->stray], [], "no process left behind");
done_testing();

# 91-auth.t: AUTH PLAIN and LOGIN (protocol.md A.7) against the daemon
# with real clients (Python smtplib, swaks), certificates made at test
# time (t/lib/TlsCert.pm): never offered nor accepted before TLS (538),
# hashes of every kind an OpenSMTPD user may have in a credentials table
# (bcrypt, SHA-512 crypt, smtpctl encrypt's Argon2id) accepted, a wrong
# password 535 5.7.8 after a delay, throttling (delays growing, then 421
# and close), a vanished db: table 454; relaying only after AUTH (queued
# with the auth flag), Received says ESMTPSA; submission conventions: a
# required-auth listener with mask-src, Date and Message-Id added when
# missing and kept when present, on port 587 too when it can be bound.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time sleep);
use CtlTest;
use SmtpClient;
use SmtpdTest;
use TlsCert;

my $python = (grep { -x $_ } map { "$_/python3" } split /:/, $ENV{PATH})[0]
    or plan skip_all => "python3 is not installed";
my $d = SmtpdTest->new(no_conf => 1, args => [ "-T", "smtp" ]);
my $certs = TlsCert->new($d->dir)
    or plan skip_all => "cannot make test certificates: $TlsCert::ERROR";
my $CA = $certs->ca;
my $dir = $d->dir;

# ------------------------------------------------------------ credentials
# Hashes as an OpenSMTPD user has them: bcrypt and SHA-512 crypt made by
# the usual tools, an Argon2id one by our smtpctl encrypt.
sub py_crypt {
	my ($pw, $method) = @_;
	my ($rc, $out) = SmtpdTest::run($python, "-W", "ignore", "-c",
	    "import crypt, sys; print(crypt.crypt(sys.argv[1], "
	    . "crypt.mksalt(crypt.METHOD_$method)))", $pw);
	chomp $out;
	return $rc == 0 && $out =~ /^\$/ ? $out : undef;
}

my %PW = (alice => "alice s3cret", bob => "bob-bcrypt", carol => "carol:sha512",
    dave => "dave in db");
my $bcrypt = py_crypt($PW{bob}, "BLOWFISH");
unless (defined $bcrypt) {
	# No bcrypt tool: a known-answer hash (t/unit/auth_passwd_test.c).
	$bcrypt = '$2b$04$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm';
	$PW{bob} = "password";
}
like($bcrypt, qr/^\$2[aby]\$\d\d\$/, "a bcrypt hash for bob");
my ($rc, $sha512) = SmtpdTest::run("openssl", "passwd", "-6", $PW{carol});
chomp $sha512;
$sha512 = py_crypt($PW{carol}, "SHA512") unless $rc == 0 && $sha512 =~ /^\$6\$/;
like($sha512 // '', qr/^\$6\$/, "a SHA-512 crypt hash for carol");
my ($erc, $argon, $eerr) = CtlTest::ctl({}, "encrypt", $PW{alice});
chomp $argon;
like($argon, qr/^\$argon2id\$/, "smtpctl encrypt: an Argon2id hash for alice") or diag $eerr;
my $dave = py_crypt($PW{dave}, "SHA512") // do {
	my ($r, $h) = SmtpdTest::run("openssl", "passwd", "-6", $PW{dave});
	chomp $h;
	$h;
};

# The login is the key, lower-cased (tables.md 6.1).
$d->write_file("creds", "alice\@example.org\t$argon\nbob $bcrypt\n"
    . "carol\t$sha512\nplain\tnot-a-hash\n");
chmod 0600, "$dir/creds";
$d->write_file("dbcreds", "dave $dave\n");
chmod 0600, "$dir/dbcreds";
($rc, my $mout) = SmtpdTest::run(SmtpdTest::build() . "/makemap", "$dir/dbcreds");
is($rc, 0, "makemap dbcreds") or diag $mout;
chmod 0600, "$dir/dbcreds.db";

# ------------------------------------------------------------ port 587
# A submission listener on the real port, on a loopback address of its
# own so that parallel runs do not collide; only if it can be bound here.
# A second one without AUTH: its mail is a submission too (port 587).
my ($SUBADDR, $SUBADDR2) = map { join ".", 127, map { 1 + int(rand(250)) } 1 .. 3 } 1 .. 2;
my $HAVE587 = $SUBADDR ne $SUBADDR2;
for my $a ($SUBADDR, $SUBADDR2) {
	my $l = IO::Socket::INET->new(Listen => 1, LocalAddr => $a,
	    LocalPort => 587, Proto => 'tcp', ReuseAddr => 1);
	$HAVE587 = 0 unless $l;
	close $l if $l;
}
my $L587 = $HAVE587 ? "listen on $SUBADDR port submission tls-require pki localhost "
    . "auth <creds> mask-src tag SUBMIT\n"
    . "listen on $SUBADDR2 port 587 tls pki localhost\n" : "";

# @PORT@: STARTTLS, AUTH optional; @PORT2@: tls-require, AUTH required,
# mask-src (a submission listener on another port); @PORT3@: AUTH from a
# db: table; @PORT4@: plain, no AUTH. Everything relayed is held in the
# queue (no relay client yet), so each message can be read there.
$d->write_conf($certs->pki_conf . <<"CONF");
table creds file:\@DIR\@/creds
table dbcreds db:\@DIR\@/dbcreds.db
listen on 127.0.0.1 port \@PORT\@ tls pki localhost auth-optional <creds>
listen on 127.0.0.1 port \@PORT2@ tls-require pki localhost auth <creds> mask-src tag SUBMIT
listen on 127.0.0.1 port \@PORT3@ tls pki localhost auth-optional <dbcreds>
listen on 127.0.0.1 port \@PORT4@
$L587
action "out" relay
match from any for domain "example.org" action "out"
match auth from any for any action "out"
CONF
$d->start;
my ($OPT, $REQ, $DB, $PLAIN) = map { $d->port($_) } 1 .. 4;
ok($d->wait_log(qr/creds:4: plain is not a password hash, the entry never authenticates/),
    "a plaintext entry is warned about at load");

# A raw client over TLS in Python: "cmd LINE" sends a line and prints the
# reply (with the seconds it took), "starttls", "auth-plain U P", "auth-login U P", "mail FROM TO SUBJECT
# [HEADERS]", "closed" says whether the server closed the connection.
my $CLIENT = <<'PY';
import base64, socket, ssl, sys, time
port, ca, src = int(sys.argv[1]), sys.argv[2], sys.argv[3]
host = sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
s = socket.create_connection((host, port), timeout=20,
    source_address=(src, 0) if src != "-" else None)
buf = b""
def line():
    global buf
    while b"\r\n" not in buf:
        c = s.recv(65536)
        if not c:
            raise EOFError
        buf += c
    l, buf = buf.split(b"\r\n", 1)
    return l.decode()
def reply():
    r = []
    while True:
        l = line()
        r.append(l)
        if l[3:4] != "-":
            return "|".join(r)
def cmd(text):
    t0 = time.time()
    s.sendall(text.encode() + b"\r\n")
    try:
        r = reply()
    except EOFError:
        r = "EOF"
    return r, time.time() - t0
def out(tag, r, t):
    print("%s => %s (%.2fs)" % (tag, r, t), flush=True)
b64 = lambda x: base64.b64encode(x.encode()).decode()
print("greeting => " + reply(), flush=True)
for step in sys.stdin.read().split("\n"):
    if not step:
        continue
    op, _, arg = step.partition(" ")
    if op == "cmd":
        out(arg.split(" ")[0], *cmd(arg))
    elif op == "starttls":
        out("STARTTLS", *cmd("STARTTLS"))
        s = ctx.wrap_socket(s, server_hostname="localhost")
    elif op == "auth-plain":
        u, p = arg.split(" ", 1)
        out("AUTH-PLAIN", *cmd("AUTH PLAIN " + b64("\0%s\0%s" % (u, p))))
    elif op == "auth-login":
        u, p = arg.split(" ", 1)
        out("AUTH-LOGIN", *cmd("AUTH LOGIN"))
        out("LOGIN-USER", *cmd(b64(u)))
        out("LOGIN-PASS", *cmd(b64(p)))
    elif op == "mail":
        frm, to, subject, *hdrs = arg.split(" ", 3)
        out("MAIL", *cmd("MAIL FROM:<%s>" % frm))
        out("RCPT", *cmd("RCPT TO:<%s>" % to))
        out("DATA", *cmd("DATA"))
        h = hdrs[0].replace("\\n", "\r\n") if hdrs else ""
        out("BODY", *cmd(h + "Subject: %s\r\n\r\nbody of %s\r\n." % (subject, subject)))
    elif op == "closed":
        s.settimeout(3)
        try:
            c = s.recv(1)
            print("closed => %s" % ("yes" if c == b"" else "no"), flush=True)
        except (socket.timeout, ssl.SSLError, OSError) as e:
            print("closed => %s" % ("no" if isinstance(e, socket.timeout) else "yes"), flush=True)
PY

sub client {
	my ($port, $steps, %o) = @_;
	my $in = "$dir/client.in";
	open(my $fh, '>', $in) or die "$in: $!";
	print $fh join("\n", @$steps), "\n";
	close $fh;
	my $pid = open(my $out, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', $in) or POSIX::_exit(126);
		open(STDERR, '>&', \*STDOUT);
		exec($python, "-c", $CLIENT, $port, $CA, $o{src} // "-",
		    $o{host} // "127.0.0.1") or POSIX::_exit(127);
	}
	local $/;
	my $text = <$out> // '';
	close $out;
	my @lines = split /\n/, $text;
	return ($text, \@lines);
}

# The reply to the n-th step named $tag (0 = the first).
sub reply_of {
	my ($lines, $tag, $n) = @_;
	my @m = grep { /^\Q$tag\E => / } @$lines;
	my $l = $m[$n // 0] // return ('', 0);
	$l =~ /^\S+ => (.*) \(([\d.]+)s\)$/ or return ($l =~ /=> (.*)$/ ? $1 : '', 0);
	return ($1, $2);
}

sub queued_with {
	my ($needle) = @_;
	return grep { $_->{message} =~ /\Q$needle\E/ } values %{ $d->queued };
}

sub header_section {
	my ($msg) = @_;
	my ($h) = split /\r\n\r\n/, $msg // '', 2;
	return $h // '';
}

my $b64 = sub { encode_base64($_[0], '') };

# ------------------------------------------------------------ before TLS
{
	my $c = SmtpClient->new($PLAIN);
	unlike($c->cmd("EHLO client.example"), qr/AUTH/, "plain listener: no AUTH offered");
	like($c->cmd("AUTH PLAIN " . $b64->("\0bob\0$PW{bob}")), qr/^503 5\.5\.1 Command not supported\r\n\z/,
	    "a listener without auth: AUTH is 503 5.5.1");
	$c->close;
	$c = SmtpClient->new($OPT);
	my $r = $c->cmd("EHLO client.example");
	like($r, qr/^250-STARTTLS\r$/m, "auth-optional listener: STARTTLS offered");
	unlike($r, qr/AUTH/, "auth-optional listener: AUTH is not offered in plaintext");
	like($c->cmd("AUTH PLAIN " . $b64->("\0bob\0$PW{bob}")),
	    qr/^538 5\.7\.11 Encryption required for requested authentication mechanism\r\n\z/,
	    "AUTH before STARTTLS: 538 5.7.11");
	like($c->cmd("AUTH LOGIN"), qr/^538 5\.7\.11 /, "AUTH LOGIN before STARTTLS: 538 too");
	$c->close;
	$c = SmtpClient->new($REQ);
	unlike($c->cmd("EHLO client.example"), qr/AUTH/, "tls-require auth listener: no AUTH in plaintext");
	like($c->cmd("AUTH PLAIN " . $b64->("\0bob\0$PW{bob}")), qr/^538 5\.7\.11 /,
	    "tls-require auth listener: AUTH before STARTTLS is 538 5.7.11");
	like($c->cmd("MAIL FROM:<bob\@example.net>"), qr/^530 5\.7\.0 Must issue a STARTTLS command first/,
	    "tls-require auth listener: MAIL before STARTTLS is 530 5.7.0");
	$c->close;
}

# ------------------------------------------------------------ smtplib
# PLAIN by login(), LOGIN forced, each hash kind; relaying needs AUTH.
my $SMTPLIB = <<'PY';
import smtplib, ssl, sys
port, ca, user, pw, mech, subject = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP("localhost", int(port), timeout=20)
s.ehlo("python.example")
print("plaintext-auth", s.has_extn("auth"))
s.starttls(context=ctx)
s.ehlo("python.example")
print("auth-extn", s.esmtp_features.get("auth", "").strip())
s.mail("sub@example.net")
code, msg = s.rcpt("someone@remote.example")
print("rcpt-before-auth", code, msg.decode())
s.rset()
s.user, s.password = user, pw
if mech == "LOGIN":
    code, msg = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
else:
    code, msg = s.login(user, pw)
print("auth", code, msg.decode())
code, msg = s.docmd("AUTH", "PLAIN AGJvYgB4")
print("again", code, msg.decode())
r = s.sendmail("sub@example.net", ["someone@remote.example"],
    "Subject: %s\r\n\r\nrelayed after AUTH\r\n" % subject)
print("sendmail", r)
s.quit()
PY

my %msg;
for my $case ([ "alice\@example.org", "PLAIN", "argon2id", "smtpctl encrypt (Argon2id)" ],
    [ "bob", "LOGIN", "bcrypt", "bcrypt" ],
    [ "Carol", "PLAIN", "sha512", "SHA-512 crypt, the login in another case" ]) {
	my ($user, $mech, $tag, $what) = @$case;
	(my $key = lc $user) =~ s/\@.*//;
	my ($prc, $out) = SmtpdTest::run($python, "-c", $SMTPLIB, $OPT, $CA, $user,
	    $PW{$key}, $mech, "via-smtplib-$tag");
	is($prc, 0, "smtplib $mech as $user: the client ran") or diag $out;
	if ($tag eq "argon2id") {
		like($out, qr/^plaintext-auth False$/m, "smtplib: no AUTH before STARTTLS");
		like($out, qr/^auth-extn PLAIN LOGIN$/m, "EHLO under TLS: AUTH PLAIN LOGIN");
		like($out, qr/^rcpt-before-auth 550 5\.7\.1 /m,
		    "relaying before AUTH: 550 5.7.1");
		like($out, qr/^again 503 5\.5\.1 Already authenticated$/m,
		    "a second AUTH: 503 5.5.1 Already authenticated");
	}
	like($out, qr/^auth 235 2\.7\.0 Authentication successful$/m,
	    "$what: $mech accepted, 235 2.7.0");
	like($out, qr/^sendmail \{\}$/m, "$what: relaying after AUTH accepted");
	my @m;
	SmtpdTest::wait_for(sub { @m = queued_with("via-smtplib-$tag") }, 5);
	is(scalar @m, 1, "$what: the relayed message is queued");
	$msg{$tag} = $m[0];
}
like($msg{argon2id}{message} // '', qr/\AReceived: from python\.example \(<unknown> \[127\.0\.0\.1\]\)\r\n\tby \S+ \(\S+\) with ESMTPSA id [0-9a-f]{8}\r\n\t\(TLS1\.[23]:[^)]+:NO\)\r\n\tfor <someone\@remote\.example>;/,
    "Received: with ESMTPSA");
{
	my $id = (split m{/}, $msg{argon2id}{dir} // '')[-1] // '';
	my ($qrc, $qout) = CtlTest::ctl({ env => { SMTPD_CONF => $d->conf_path } }, "show", "queue");
	my @f = grep { $_->[5] eq 'someone@remote.example' && substr($_->[0], 0, 8) eq $id }
	    CtlTest::queue_fields($qout);
	is(scalar @f, 1, "show queue: the relayed envelope") or diag $qout;
	is($f[0][2], "mta", "show queue: a relay (mta) envelope");
	like($f[0][3], qr/^auth(?:,hold)?$/, "show queue: flag auth");
	my ($env) = @{ $msg{argon2id}{envelopes} };
	like(SmtpdTest::slurp($env // '/'), qr/alice\@example\.org/,
	    "the envelope names the authenticated user");
}
# An authenticated session is a submission (delivery.md 1.1).
like(header_section($msg{bcrypt}{message}), qr/^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [-+]\d{4}\r?$/m,
    "authenticated submission: Date: added");
like(header_section($msg{bcrypt}{message}), qr/^Message-Id: <\d{14}\.[0-9a-f]{16}\@[^>]+>\r?$/m,
    "authenticated submission: Message-Id: added");

# ------------------------------------------------------------ swaks
SKIP: {
	skip "swaks without TLS support", 4
	    unless -x "/usr/bin/swaks" && `swaks --support 2>&1` =~ /TLS supported/;
	for my $mech ("PLAIN", "LOGIN") {
		my ($src, $out) = SmtpdTest::run("swaks", "--server", "127.0.0.1", "--port", $OPT,
		    "--tls", "--auth", $mech, "--auth-user", "bob", "--auth-password", $PW{bob},
		    "--from", 'sw@example.net', "--to", 'far@remote.example',
		    "--header", "Subject: via-swaks-$mech", "--body", "hello", "--timeout", "20");
		is($src, 0, "swaks --tls --auth $mech exits 0") or diag $out;
		like($out, qr/<~\s+235 2\.7\.0 Authentication successful/, "swaks --auth $mech: 235");
	}
}

# ------------------------------------------------------------ the exchange
{
	my $long = "A" x 12300;
	my ($out, $l) = client($OPT, [ "cmd EHLO x.example", "starttls", "cmd EHLO x.example",
	    "cmd AUTH", "cmd AUTH CRAM-MD5", "cmd AUTH LOGIN", "cmd *",
	    "cmd AUTH PLAIN", "cmd !!!notbase64", "cmd AUTH PLAIN $long",
	    "cmd MAIL FROM:<a\@example.net>", "cmd AUTH PLAIN " . $b64->("\0bob\0$PW{bob}"),
	    "cmd RSET", "cmd AUTH PLAIN =", "auth-plain bob wrong", "cmd AUTH LOGIN " . $b64->("bob"),
	    "cmd " . $b64->($PW{bob}), "cmd QUIT" ]);
	like((reply_of($l, "AUTH", 0))[0], qr/^501 5\.5\.4 /, "AUTH without a mechanism: 501 5.5.4");
	like((reply_of($l, "AUTH", 1))[0], qr/^504 5\.5\.4 Unrecognized authentication type$/,
	    "an unknown mechanism: 504 5.5.4");
	is((reply_of($l, "AUTH", 2))[0], "334 VXNlcm5hbWU6", "LOGIN: 334 Username:");
	is((reply_of($l, "*", 0))[0], "501 5.7.0 Authentication cancelled", "* cancels: 501 5.7.0");
	is((reply_of($l, "AUTH", 3))[0], "334 ", "PLAIN without an initial response: 334");
	is((reply_of($l, "!!!notbase64", 0))[0], "501 5.5.2 Cannot decode response",
	    "bad base64: 501 5.5.2");
	is((reply_of($l, "AUTH", 4))[0], "500 5.5.6 Authentication Exchange line is too long",
	    "an AUTH line over 12288 octets: 500 5.5.6");
	like((reply_of($l, "MAIL", 0))[0], qr/^250 /, "MAIL without AUTH on auth-optional: 250");
	like((reply_of($l, "AUTH", 5))[0], qr/^503 5\.5\.1 /, "AUTH inside a transaction: 503 5.5.1");
	is((reply_of($l, "AUTH", 6))[0], "501 5.5.2 Cannot decode response",
	    "PLAIN with an empty initial response (=): 501 5.5.2");
	is((reply_of($l, "AUTH-PLAIN", 0))[0], "535 5.7.8 Authentication credentials invalid",
	    "PLAIN with a wrong password: 535");
	is((reply_of($l, "AUTH", 7))[0], "334 UGFzc3dvcmQ6", "LOGIN with the user as initial response: 334 Password:");
	is((reply_of($l, $b64->($PW{bob}), 0))[0], "235 2.7.0 Authentication successful",
	    "LOGIN with an initial response: 235, after a failure in the session");
	like((reply_of($l, "QUIT", 0))[0], qr/^221 /, "the session goes on") or diag $out;
}

# ------------------------------------------------------------ failures
# Each failure test from a loopback address of its own: the throttle
# remembers addresses (auth/throttle.h).
{
	my ($out, $l) = client($OPT, [ "cmd EHLO x.example", "starttls", "cmd EHLO x.example",
	    "auth-plain bob wrong-password", "auth-plain nobody\@example.org $PW{bob}",
	    "cmd QUIT" ], src => "127.0.0.3");
	my ($r, $t) = reply_of($l, "AUTH-PLAIN", 0);
	is($r, "535 5.7.8 Authentication credentials invalid", "a wrong password: 535 5.7.8") or diag $out;
	cmp_ok($t, '>=', 0.9, "the 535 comes after a delay of about a second");
	($r, $t) = reply_of($l, "AUTH-PLAIN", 1);
	is($r, "535 5.7.8 Authentication credentials invalid", "an unknown user: the same 535");
	cmp_ok($t, '>=', 1.9, "the second failure waits longer");
}
{
	my $t0 = time;
	my ($out, $l) = client($OPT, [ "cmd EHLO x.example", "starttls", "cmd EHLO x.example",
	    "auth-login bob bad1", "auth-plain bob bad2", "auth-plain bob bad3", "closed" ],
	    src => "127.0.0.2");
	my @r = map { [ reply_of($l, $_->[0], $_->[1]) ] } ([ "LOGIN-PASS", 0 ],
	    [ "AUTH-PLAIN", 0 ], [ "AUTH-PLAIN", 1 ]);
	is($r[0][0], "535 5.7.8 Authentication credentials invalid", "throttle: first failure 535") or diag $out;
	is($r[1][0], "535 5.7.8 Authentication credentials invalid", "throttle: second failure 535");
	like($r[2][0], qr/^421 4\.7\.0 \S+ Error: too many authentication failures$/,
	    "throttle: the third failure is 421 4.7.0");
	ok($r[0][1] >= 0.9 && $r[1][1] >= 1.9 && $r[2][1] >= 3.9, "the delays grow: "
	    . join(", ", map { sprintf "%.1fs", $_->[1] } @r));
	ok($r[1][1] > $r[0][1] && $r[2][1] > $r[1][1], "each delay longer than the one before");
	is((grep { /^closed => yes$/ } @$l) ? 1 : 0, 1, "throttle: the connection is closed after the 421");
	cmp_ok(time - $t0, '<', 30, "bounded: the throttled session took under 30 s");
	ok($d->wait_log(qr/event=auth user=bob address=127\.0\.0\.2 .*failures=3 .*action=close result=PermFail/),
	    "the third failure is logged with action=close");
}

# ------------------------------------------------------------ table error
{
	my ($out, $l) = client($DB, [ "cmd EHLO x.example", "starttls", "cmd EHLO x.example",
	    "auth-plain dave $PW{dave}", "cmd QUIT" ]);
	is((reply_of($l, "AUTH-PLAIN", 0))[0], "235 2.7.0 Authentication successful",
	    "a db: credentials table: 235") or diag $out;
	rename "$dir/dbcreds.db", "$dir/dbcreds.db.away";
	sleep 1.2;	# db: tables look at their file at most once a second
	($out, $l) = client($DB, [ "cmd EHLO x.example", "starttls", "cmd EHLO x.example",
	    "auth-plain dave $PW{dave}", "cmd QUIT" ]);
	is((reply_of($l, "AUTH-PLAIN", 0))[0], "454 4.7.0 Temporary authentication failure",
	    "the db: table vanished: 454 4.7.0, never 535") or diag $out;
	rename "$dir/dbcreds.db.away", "$dir/dbcreds.db";
}

# ------------------------------------------------------------ submission
sub submission_checks {
	my ($port, $what, %o) = @_;
	my $tag = $what =~ s/\W+/-/gr;
	my ($out, $l) = client($port, [ "cmd EHLO sub.example", "starttls", "cmd EHLO sub.example",
	    "cmd MAIL FROM:<bob\@example.net>",
	    "auth-login bob $PW{bob}",
	    "mail bob\@example.net to\@remote.example sub-bare-$tag",
	    "mail bob\@example.net to\@remote.example sub-full-$tag "
	    . "Date: Mon, 1 Jan 2024 10:00:00 +0000\\nMessage-ID: <kept.1\@client.example>\\n",
	    "cmd QUIT" ], %o);
	like((reply_of($l, "EHLO", 1))[0], qr/\|250-AUTH PLAIN LOGIN\|/, "$what: AUTH offered under TLS");
	is((reply_of($l, "MAIL", 0))[0], "530 5.7.0 Authentication required",
	    "$what: MAIL before AUTH is 530 5.7.0") or diag $out;
	is((reply_of($l, "LOGIN-PASS", 0))[0], "235 2.7.0 Authentication successful", "$what: AUTH LOGIN") or diag $out;
	like((reply_of($l, "BODY", 1))[0], qr/^250 2\.0\.0 [0-9a-f]{8} Message accepted/, "$what: accepted");
	my (@bare, @full);
	SmtpdTest::wait_for(sub { @bare = queued_with("sub-bare-$tag");
	    @full = queued_with("sub-full-$tag"); @bare && @full }, 5);
	my $h = header_section($bare[0]{message});
	like($h, qr/\AReceived: by \S+ \(\S+\) with ESMTPSA id [0-9a-f]{8}\r\n\t\(TLS/,
	    "$what: mask-src: Received: without the from clause");
	unlike($h, qr/127\.0\.0\.1|\Q$SUBADDR\E|sub\.example/, "$what: the client's address and name are hidden");
	like($h, qr/\r\nSubject: sub-bare-\S+\r\nDate: [^\r]+\r\nMessage-Id: <[^>]+\@[^>]+>\z/,
	    "$what: Date and Message-Id added at the end of the header section");
	$h = header_section($full[0]{message});
	is(scalar(() = $h =~ /^Date:/mg), 1, "$what: a Date: present is kept, none added");
	like($h, qr/^Date: Mon, 1 Jan 2024 10:00:00 \+0000\r$/m, "$what: the Date: unchanged");
	is(scalar(() = $h =~ /^Message-I[dD]:/mg), 1, "$what: a Message-ID: present is kept, none added");
	like($h, qr/^Message-ID: <kept\.1\@client\.example>\r$/m, "$what: the Message-ID: unchanged");
}
submission_checks($REQ, "tls-require auth mask-src listener");
SKIP: {
	skip "port 587 cannot be bound here", 14 unless $HAVE587;
	submission_checks(587, "port 587 submission listener", host => $SUBADDR);
	my ($out, $l) = client(587, [ "cmd EHLO nosub.example", "starttls",
	    "cmd EHLO nosub.example", "mail n\@example.net root\@example.org port-587-no-auth",
	    "cmd QUIT" ], host => $SUBADDR2);
	my @m;
	SmtpdTest::wait_for(sub { @m = queued_with("port-587-no-auth") }, 5);
	my $h = header_section($m[0]{message});
	like($h, qr/\AReceived: from nosub\.example \(<unknown> \[127(?:\.\d+){3}\]\)\r\n\tby \S+ \(\S+\) with ESMTPS id /,
	    "port 587 without AUTH: Received says ESMTPS") or diag $out;
	like($h, qr/^Date: /m, "port 587 without AUTH: a submission, Date: added");
	like($h, qr/^Message-Id: </m, "port 587 without AUTH: Message-Id: added");
}

# Not a submission: an unauthenticated session on port 25-like listener.
{
	my ($out, $l) = client($OPT, [ "cmd EHLO plain.example", "starttls", "cmd EHLO plain.example",
	    "mail p\@example.net root\@example.org not-a-submission", "cmd QUIT" ]);
	my @m;
	SmtpdTest::wait_for(sub { @m = queued_with("not-a-submission") }, 5);
	my $h = header_section($m[0]{message});
	like($h, qr/\AReceived: from plain\.example \(<unknown> \[127\.0\.0\.1\]\)\r\n\tby \S+ \(\S+\) with ESMTPS id /,
	    "without AUTH: Received says ESMTPS") or diag $out;
	unlike($h, qr/^(?:Date|Message-Id):/m, "without AUTH: nothing added to the message");
}

# ------------------------------------------------------------ the log
{
	my $log = $d->log;
	for my $pw (values %PW) {
		unlike($log, qr/\Q$pw\E/, "the log never holds the password '$pw'");
		my $enc = $b64->("\0bob\0$pw");
		unlike($log, qr/\Q$enc\E/, "nor its base64 form");
	}
	like($log, qr/smtp <<< AUTH PLAIN \.\.\./, "the trace logs AUTH with its mechanism only");
	like($log, qr/smtp event=auth user=alice\@example\.org address=127\.0\.0\.1 result=Ok/,
	    "a successful AUTH is logged");
}

$d->stop;
unlike($d->log, qr/event=died|malformed/, "no role died, no malformed message");
is_deeply([$d->stray], [], "no process left behind");
done_testing;

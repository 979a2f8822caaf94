# 03-local-config.t: what `make run` starts. The embedded default
# configuration etc/smtpd.conf.local, with its paths pointed into a temp
# dir the way `make run` points them into ./var, answers 220 on
# 127.0.0.1:2525 and accepts mail for any local part.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use SmtpdTest;
use SmtpClient;

my $probe = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => 2525, Timeout => 1);
plan skip_all => "something already listens on 127.0.0.1:2525" if $probe;

my $d = SmtpdTest->new(no_conf => 1);
my $dir = $d->dir;
# As make run: deliveries never run as root, so root's run uses nobody.
my $user = SmtpdTest::is_root() ? 'nobody' : (getpwuid($<) // 'nobody');
$d->shared_dirs("mail");
$d->{args} = [ "-D", "spool=$dir/spool", "-D", "ctlsock=$dir/smtpd.sock",
    "-D", "lmtpsock=$dir/lmtp.sock",
    "-D", "mailpath=$dir/mail/%{rcpt.user:lowercase|strip}/Maildir",
    "-D", "mailuser=$user" ];
# start() reads the config from conf_path: use the tree's own file.
{
	no warnings 'redefine';
	*SmtpdTest::conf_path = sub { SmtpdTest::src() . "/etc/smtpd.conf.local" };
}
$d->start;
my $c = SmtpClient->new(2525);
like($c->greeting, qr/^220 localhost ESMTP smtpd\r\n/, "220 on 127.0.0.1:2525");
$c->cmd("EHLO tour.example");
like($c->mail('bob@example.org', 'anyone-at-all@localhost', "Subject: tour\r\n\r\nhi\r\n"),
    qr/^250 2\.0\.0 [0-9a-f]{8} /, "mail for any local part is accepted");
$c->cmd("QUIT");
ok(-S "$dir/lmtp.sock", "the LMTP socket is where the macro says");
my $new = "$dir/mail/anyone-at-all/Maildir/new";
my $found = 0;
for (1 .. 200) {
	if (opendir(my $dh, $new)) {
		$found = grep { !/^\./ } readdir $dh;
		closedir $dh;
	}
	last if $found;
	select(undef, undef, undef, 0.05);
}
is($found, 1, "delivered to ./var/mail/<local part>/Maildir (here: the temp dir)");
like($d->log, qr/queue event=delivery rcpt=<anyone-at-all\@localhost> .*result=Ok/,
    "the delivery is logged");
$d->stop;
is_deeply([$d->stray], [], "no process left behind");
done_testing();

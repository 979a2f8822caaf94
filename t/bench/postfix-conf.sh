#!/bin/sh
# postfix-conf.sh ROOT PORT [commit|maildir|tls CERT KEY|relay SINKPORT]: write a
# private Postfix instance under ROOT whose smtpd listens on
# 127.0.0.1:PORT and accepts mail for any local part at bench.example
# (root@bench.example in the benchmark):
#
#   ROOT/etc      config_directory (main.cf, master.cf)
#   ROOT/queue    queue_directory (committed mail lands in incoming/)
#   ROOT/data     data_directory
#   ROOT/maillog  the log (postlogd; there is no syslogd to rely on)
#
# Start it with `postfix -c ROOT/etc start`, stop it with
# `postfix -c ROOT/etc stop`. Nothing here touches the system's
# /etc/postfix instance; Postfix only reads postfix-files and
# dynamicmaps.cf from meta_directory (/etc/postfix on Debian).
#
# Accept-and-commit only: master.cf runs smtpd, cleanup (which fsyncs the
# queue file before smtpd answers 250), trivial-rewrite (address
# resolution for smtpd and cleanup), anvil and postlogd. There is no qmgr,
# pickup or delivery agent, so committed mail stays in queue/incoming and
# Postfix spends no CPU on delivery during the measurement, which matches
# our smtpd today (no local delivery yet). The price: cleanup logs
# "warning: unable to look up public/qmgr" once per message when it tries
# to wake the queue manager.
#
# With the third argument "maildir" the instance delivers instead
# (end-to-end SMTP to Maildir): master.cf also runs qmgr, local and the
# bounce/defer/trace services, and local(8) delivers to
# ROOT/mail/USER/{tmp,new,cur} (mail_spool_directory ending in "/" means
# Maildir), as the recipient user, which must exist in passwd. local(8)
# fsyncs each Maildir file before it moves it into new/. Every other
# delivery setting keeps its default (local_destination_concurrency_limit
# = 2 per recipient, local_destination_recipient_limit = 1).
#
# With "tls CERT KEY" it is the accept-and-commit instance with STARTTLS
# offered (smtpd_tls_security_level = may) with that certificate and key
# (read by smtpd as root before it drops privileges), and tlsmgr in
# master.cf, as a normal Postfix with TLS runs it (TLS session ticket keys
# and the PRNG exchange file). Every other TLS setting keeps its default
# (no session cache database; Postfix's default protocols and ciphers).
#
# With "relay SINKPORT" the instance relays everything it accepts to
# relayhost = [127.0.0.1]:SINKPORT (the bench's smtp-sink): bench.example
# is not a local domain, 127.0.0.0/8 may relay (mynetworks), master.cf
# runs qmgr and the smtp(8) client (smtp and relay services) with the
# bounce/defer/trace services. Every smtp(8) setting keeps its default
# (default_destination_concurrency_limit = 20, connection cache on
# demand, no TLS: smtp_tls_security_level = none as in every mode).
set -eu
root=$1
port=$2
mode=${3:-commit}
tls_level=none
mydest="bench.example, localhost"
if [ "$mode" = tls ]; then
	tls_cert=$4
	tls_key=$5
	tls_level=may
fi
if [ "$mode" = relay ]; then
	sinkport=$4
	mydest="localhost"
fi
# master.cf of the modes that deliver (maildir, relay): smtpd, cleanup,
# qmgr and the services qmgr calls on, then the mode's own lines (stdin).
master_delivering() {
	{
		cat <<CF
# service type  private unpriv  chroot  wakeup  maxproc command + args
$port     inet  n       -       n       -       -       smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
CF
		cat
	} >"$root/etc/master.cf"
}

mkdir -p "$root/etc" "$root/queue" "$root/data"
chmod 0755 "$root" "$root/etc" "$root/queue"
chown postfix "$root/data"
cat >"$root/etc/main.cf" <<CF
# Private benchmark instance written by smtpd's t/bench/postfix-conf.sh.
compatibility_level = 3.6
queue_directory = $root/queue
data_directory = $root/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
multi_instance_wrapper =
multi_instance_enable = no
maillog_file = $root/maillog
maillog_file_prefixes = $root
syslog_name = postfix-bench
myhostname = bench-postfix.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination = $mydest
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# Any local part at bench.example, without a passwd or alias lookup.
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
smtpd_tls_security_level = $tls_level
smtp_tls_security_level = none
# No reverse lookup of 127.0.0.1 (our smtpd does none either).
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no
smtputf8_enable = no
# Enough smtpd and cleanup processes for 20 sessions (default 100), no
# inflow throttling; loopback clients are exempt from anvil's limits.
default_process_limit = 100
in_flow_delay = 0s
CF
if [ "$mode" = tls ]; then
	cat >>"$root/etc/main.cf" <<CF
# STARTTLS offered, not required; the bench's test certificate.
smtpd_tls_cert_file = $tls_cert
smtpd_tls_key_file = $tls_key
CF
fi
if [ "$mode" = relay ]; then
	cat >>"$root/etc/main.cf" <<CF
# Relay: everything goes to the sink, no DNS (a bracketed address).
relayhost = [127.0.0.1]:$sinkport
CF
	master_delivering <<CF
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
	exit 0
fi
if [ "$mode" = maildir ]; then
	mkdir -p "$root/mail"
	chmod 01777 "$root/mail"
	cat >>"$root/etc/main.cf" <<CF
# End-to-end: local(8) delivers to ROOT/mail/USER/ as a Maildir.
mail_spool_directory = $root/mail/
home_mailbox =
mailbox_command =
mailbox_transport =
fallback_transport =
luser_relay =
CF
	master_delivering <<CF
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
CF
	exit 0
fi
cat >"$root/etc/master.cf" <<CF
# service type  private unpriv  chroot  wakeup  maxproc command + args
$port     inet  n       -       n       -       -       smtpd
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
anvil     unix  -       -       n       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
CF
if [ "$mode" = tls ]; then
	cat >>"$root/etc/master.cf" <<CF
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
CF
fi

#!/bin/sh
# dovecot-conf.sh ROOT USER [INSTANCE]: write a private Dovecot instance
# under ROOT that speaks only LMTP, on the UNIX socket ROOT/run/lmtp, and
# delivers mail for any recipient to the Maildir ROOT/mail/LOCALPART/ as
# the system user USER. INSTANCE (default dovecot-bench) is its
# instance_name, which also titles its processes INSTANCE/ROLE.
#
#   ROOT/dovecot.conf  the whole configuration (nothing is read from
#                      /etc/dovecot)
#   ROOT/run           base_dir (the LMTP socket, auth and log sockets)
#   ROOT/state         state_dir
#   ROOT/mail          the Maildirs (mail_location = maildir:ROOT/mail/%n)
#   ROOT/home          the users' home directories (left empty)
#   ROOT/dovecot.log   the log
#
# Run it in the foreground with `dovecot -F -c ROOT/dovecot.conf` and stop
# it with SIGTERM to that pid. Nothing listens on TCP (protocols = lmtp,
# and the LMTP service only has its UNIX listener).
#
# Delivery settings stay at Dovecot's defaults, in particular
# mail_fsync = optimized, under which a Maildir save fsyncs the new file
# before it is renamed into new/ (and Dovecot also updates its index and
# dovecot-uidlist files in the Maildir). The userdb is a static one
# (every recipient is USER) with allow_all_users, so there is no passwd
# lookup per recipient; the passdb is there only because Dovecot's auth
# process wants one, and no login service runs.
set -eu
root=$1
user=$2
instance=${3:-dovecot-bench}
uid=$(id -u "$user")
mkdir -p "$root/run" "$root/state" "$root/mail" "$root/home"
chmod 0755 "$root"
chmod 01777 "$root/mail" "$root/home"
cat >"$root/dovecot.conf" <<CF
# Private benchmark instance written by smtpd's t/bench/dovecot-conf.sh.
protocols = lmtp
listen = 127.0.0.1
base_dir = $root/run
state_dir = $root/state
instance_name = $instance
log_path = $root/dovecot.log
info_log_path = $root/dovecot.log
ssl = no
disable_plaintext_auth = yes
auth_mechanisms = plain
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = $uid
mail_location = maildir:$root/mail/%n
namespace inbox {
  inbox = yes
}
userdb {
  driver = static
  args = uid=$user gid=$user home=$root/home/%n allow_all_users=yes
}
passdb {
  driver = static
  args = nopassword=y
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
CF

#!/bin/sh
# dovecot-install.sh: make sure Dovecot's LMTP server (the Debian package
# dovecot-lmtpd, which pulls in dovecot-core) is installed, for
# `make bench` only. Installs non-interactively and without ever starting
# the system's dovecot service: a policy-rc.d answering 101 is put in
# place for the install if there is none (and removed again afterwards).
# The bench runs its own private instance (t/bench/dovecot-conf.sh).
set -u
st=$(dpkg-query -W -f='${Status}' dovecot-lmtpd 2>/dev/null)
case "$st" in
*"install ok installed"*)
	if [ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/lmtp ]; then
		exit 0
	fi ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "bench: dovecot-lmtpd is missing; run make bench as root (or apt-get install dovecot-lmtpd)" >&2
	exit 1
fi
echo "bench: installing dovecot-lmtpd (service not started)"
policy=/usr/sbin/policy-rc.d
created=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from smtpd t/bench/dovecot-install.sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	created=1
fi
cleanup() { if [ -n "$created" ]; then rm -f "$policy"; created=""; fi; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit 1
apt-get install -y -qq --no-install-recommends dovecot-lmtpd || exit 1
exit 0

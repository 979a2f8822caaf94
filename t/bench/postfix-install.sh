#!/bin/sh
# postfix-install.sh: make sure Postfix's binaries (postfix, master, smtpd,
# cleanup and smtp-source from the Debian package postfix) are installed,
# for `make bench` only. Installs non-interactively, with debconf's
# "No configuration", and without ever starting the system's postfix
# service: a policy-rc.d answering 101 is put in place for the install if
# there is none (and removed again afterwards).
set -u
st=$(dpkg-query -W -f='${Status}' postfix 2>/dev/null)
case "$st" in
*"install ok installed"*)
	if [ -x /usr/sbin/smtp-source ] && [ -x /usr/sbin/postfix ]; then
		exit 0
	fi ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "bench: postfix is missing; run make bench as root (or apt-get install postfix)" >&2
	exit 1
fi
echo "bench: installing postfix (No configuration, service not started)"
policy=/usr/sbin/policy-rc.d
created=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from smtpd t/bench/postfix-install.sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	created=1
fi
cleanup() { if [ -n "$created" ]; then rm -f "$policy"; created=""; fi; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq || exit 1
apt-get install -y -qq --no-install-recommends postfix || exit 1
exit 0

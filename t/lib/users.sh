#!/bin/sh
# users.sh USER...: as root, create the system users the daemon's roles drop
# to (no home, no shell). A no-op for anyone else: unprivileged runs never
# change uid.
[ "$(id -u)" = 0 ] || exit 0
for u in "$@"; do
	id "$u" >/dev/null 2>&1 && continue
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$u" || exit 1
done

#!/bin/sh
# OpenVPN from the mounted config: `openvpn-run.sh server.conf` on the server,
# `openvpn-run.sh client.conf` on a client (which retries until the server is
# reachable). Every path in the configs is relative to SVCGW_ROOT, so the tests
# run this same script under a temporary root.
#
# Not exec'd: the script stays PID 1 to turn every stop signal an image may
# declare into a stop. OpenVPN itself reads SIGUSR1 as "restart" and SIGHUP as
# "reload", so a container whose STOPSIGNAL is USR1 would otherwise restart the
# tunnel and be killed at the end of the grace period. On a stop the tunnel
# stays up while the proxy in the same pod drains its connections (they cross
# this tunnel), then OpenVPN gets SIGTERM (over UDP it tells the peer, which
# reconnects at once instead of waiting for its ping timeout).
set -eu
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
CONF="${1:?usage: openvpn-run.sh server.conf|client.conf}"
# The proxy's drain (haproxy-run.sh) plus a margin for it to exit.
WAIT_FOR_PROXY="$(( ${SVCGW_DRAIN_SECONDS:-10} + 2 ))"
. "$ROOT/scripts/tun.sh"
ensure_tun
cd "$ROOT"
mkdir -p run

# The management interface's password (loopback TCP: busybox's nc has no
# unix-socket mode). Only root in this container can read it; the proxy
# container shares the run dir and the network namespace but runs as uid 99.
PW=run/openvpn-mgmt.pw
if [ ! -s "$PW" ]; then
  (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$PW.tmp" && echo >>"$PW.tmp" && mv "$PW.tmp" "$PW")
fi

openvpn --cd "$ROOT" --config "openvpn/$CONF" &
openvpn=$!

stop() {
  trap '' TERM INT QUIT USR1
  waited=0
  while [ -e run/haproxy.running ] && [ "$waited" -lt "$(( WAIT_FOR_PROXY * 5 ))" ]; do
    sleep 0.2
    waited=$(( waited + 1 ))
  done
  kill -TERM "$openvpn" 2>/dev/null || true
  while kill -0 "$openvpn" 2>/dev/null; do wait "$openvpn" || true; done
  exit 0
}
trap stop TERM INT QUIT USR1

set +e
wait "$openvpn"
status=$?
# Interrupted by a signal without a trap of ours (none): keep waiting.
while kill -0 "$openvpn" 2>/dev/null; do wait "$openvpn"; status=$?; done
exit "$status"

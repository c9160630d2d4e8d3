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
#
# Key files, server only: the certificate, key and trusted CAs the config names
# (`ca`, `cert`, `key`) are watched, and a change is loaded in place, without a
# pod restart: cert-manager renews the server certificate on its own, and a CA
# rotation changes the trusted CAs, neither of which may cut every tunnel for
# the seconds a new pod takes. A change is loaded once it has held for one
# interval (the kubelet updates the Secret and the trust ConfigMap one after
# the other): OpenVPN restarts its TLS state (SIGUSR1 up to 2.6, which keeps
# tun0 with persist-tun and re-reads the key files; SIGHUP from 2.7, which
# keeps the keys across SIGUSR1), and the server config's `management-hold`
# makes it wait for our `hold release` instead of its one-second restart pause.
# Clients reconnect at once (UDP: the server tells them; TCP: their connection
# closes). run/openvpn-keys.loaded holds the md5 of the key files OpenVPN runs
# with (cat of ca, cert, key in that order), written once it is initialised.
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

INTERVAL="${SVCGW_WATCH_INTERVAL:-2}"
KEYS_LOADED=run/openvpn-keys.loaded
# The key files, in the order the config names them.
keyfiles=$(awk '$1 == "ca" || $1 == "cert" || $1 == "key" { print $2 }' "openvpn/$CONF")
keys_md5() { (cd "$ROOT" && cat $keyfiles 2>/dev/null) | md5sum | cut -d' ' -f1; }
holds=false
grep -q '^management-hold' "openvpn/$CONF" && holds=true
rm -f "$KEYS_LOADED"

. "$ROOT/scripts/openvpn-mgmt.sh"
# The line of OpenVPN's `state` (its time, then CONNECTED or another state).
state_line() { mgmt state 2>/dev/null | grep -m 1 '^[0-9]*,'; }
# Releases the management hold until OpenVPN runs initialised again, with a
# state line other than $2 (the one before a reload), then records the md5 of
# the key files it loaded ($1). A `hold release` sent before OpenVPN waits for
# it is not remembered, so it is repeated until the restart has happened.
release() {
  tries=0
  while [ "$tries" -lt 150 ] && kill -0 "$openvpn" 2>/dev/null; do
    [ "$holds" = true ] && mgmt 'hold release' >/dev/null 2>&1
    now_state=$(state_line)
    case "$now_state" in
      *,CONNECTED,*)
        if [ "$now_state" != "$2" ]; then
          echo "$1" >"$KEYS_LOADED.tmp" && mv "$KEYS_LOADED.tmp" "$KEYS_LOADED"
          return 0
        fi ;;
    esac
    sleep 0.2
    tries=$(( tries + 1 ))
  done
  echo "svcgw: openvpn did not initialise within 30s" >&2
  return 1
}

loaded=$(keys_md5)
openvpn --cd "$ROOT" --config "openvpn/$CONF" &
openvpn=$!
# Over UDP the server first tells its clients to reconnect and restarts 2 s
# later; a second signal restarts it at once (the clients wait a second). The
# second comes half a second after the first: the RESTART message goes out on
# the control channel some time after the signal (133 ms once in the suite, on
# a busy machine), and a restart 0.1 s after the signal dropped it, so the
# clients kept their dead session until their ping-restart (30 s in pods) and
# every request through them failed meanwhile.
signals=1
grep -q '^proto udp' "openvpn/$CONF" && signals=2
# From 2.7 SIGUSR1 keeps the keys: only SIGHUP re-reads them.
reload_signal=USR1
case "$(openvpn --version 2>/dev/null | head -n 1)" in
  'OpenVPN 2.'[0-6].*) ;;
  *) reload_signal=HUP ;;
esac

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
if [ "$CONF" = server.conf ]; then
  release "$loaded" ""
  seen=$loaded
  while kill -0 "$openvpn" 2>/dev/null; do
    sleep "$INTERVAL" &
    wait $! || true
    now=$(keys_md5)
    # Load a change once it has held for one interval.
    if [ "$now" != "$loaded" ] && [ "$now" = "$seen" ]; then
      echo "svcgw: key files changed, reloading openvpn in place (SIG$reload_signal)"
      loaded=$now
      rm -f "$KEYS_LOADED"
      before=$(state_line)
      kill -"$reload_signal" "$openvpn" 2>/dev/null
      if [ "$signals" = 2 ]; then sleep 0.5; kill -"$reload_signal" "$openvpn" 2>/dev/null; fi
      release "$loaded" "$before" && echo "svcgw: openvpn runs key files $loaded"
    fi
    seen=$now
  done
fi
wait "$openvpn"
status=$?
# Interrupted by a signal without a trap of ours (none): keep waiting.
while kill -0 "$openvpn" 2>/dev/null; do wait "$openvpn"; status=$?; done
exit "$status"

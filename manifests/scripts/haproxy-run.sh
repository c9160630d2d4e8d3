#!/bin/sh
# HAProxy in master-worker mode, reloaded in place when its mounted config
# changes: the kubelet swaps a ConfigMap volume's files atomically, so polling a
# checksum sees the new file whole. A reload (USR2 to the master) starts new
# workers on the same listening sockets; old workers finish open connections.
# An invalid config is reported and not loaded: the running one keeps serving.
set -u
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
INTERVAL="${SVCGW_WATCH_INTERVAL:-2}"
cd "$ROOT" || exit 1
CFG=haproxy/haproxy.cfg
mkdir -p run

# md5sum: an applet of every busybox build (Debian's has no cksum).
checksum() { md5sum "$CFG" 2>/dev/null | cut -d' ' -f1; }

haproxy -W -db -f "$CFG" &
master=$!
trap 'kill -TERM "$master" 2>/dev/null; wait "$master"; exit 0' TERM INT

last=$(checksum)
while kill -0 "$master" 2>/dev/null; do
  sleep "$INTERVAL" &
  wait $! || true
  now=$(checksum)
  [ "$now" = "$last" ] && continue
  last=$now
  if haproxy -c -q -f "$CFG"; then
    echo "svcgw: config changed, reloading haproxy"
    kill -USR2 "$master"
  else
    echo "svcgw: new config is invalid, keeping the running one" >&2
  fi
done
wait "$master"

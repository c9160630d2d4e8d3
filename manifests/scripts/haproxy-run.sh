#!/bin/sh
# HAProxy in master-worker mode (-W), reloaded in place when its mounted
# config changes, drained on stop.
#
# Reload: the kubelet swaps a ConfigMap volume's files atomically, so polling
# a checksum sees the new file whole. A change is copied to run/, checked
# (haproxy -c) and moved to run/haproxy-running.cfg, the file HAProxy loads;
# USR2 makes the master start new workers on the same listening sockets while
# old workers finish their connections. An invalid config is reported and not
# loaded: the running one keeps serving.
#
# run/haproxy.loaded holds the md5 of the config HAProxy serves with, written
# once a worker started from it answers (at start, and after each reload that
# took effect: a new worker pid on the stats page). The plugin compares it with
# the rendered file's md5 to confirm that a change is live.
#
# Stop: TERM, INT, QUIT or USR1 (the official image's STOPSIGNAL) asks the
# master for a soft stop (USR1): listeners close at once, so new connections
# are refused, and open ones may finish for SVCGW_DRAIN_SECONDS; then the
# master is stopped (TERM). The deadline lives here rather than in a
# `hard-stop-after`, which would also cut connections held across every
# reload. The pod's terminationGracePeriodSeconds leaves room for it.
set -u
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
# Polled every second: an md5sum of one small file, and a second off every change that waits for it.
INTERVAL="${SVCGW_WATCH_INTERVAL:-1}"
DRAIN="${SVCGW_DRAIN_SECONDS:-10}"
# scope=stats: the page shows only the stats proxy itself. The whole page lists every service and
# server (5.7 MB with 1000 services), and it is fetched every 0.2 s while a reload is confirmed.
STATS='http://127.0.0.1:8404/stats?scope=stats'
cd "$ROOT" || exit 1
SRC=haproxy/haproxy.cfg
CFG=run/haproxy-running.cfg
NEXT=run/haproxy-next.cfg
LOADED=run/haproxy.loaded
RUNNING=run/haproxy.running
STATE=run/haproxy-servers.state
mkdir -p run
rm -f "$LOADED"
# A state file with only its version: HAProxy warns about a missing or empty one.
echo 1 >"$STATE"

# md5sum: an applet of every busybox build (Debian's has no cksum).
md5() { md5sum "$1" 2>/dev/null | cut -d' ' -f1; }

# The pid of the worker that answers on the stats page ("pid = </b> N" in
# every HAProxy from 2.6 to 3.4): a new one after a reload means the new
# config is serving.
worker() {
  # timeout rather than wget -T, which crashes Debian bookworm's busybox wget.
  if command -v wget >/dev/null 2>&1; then timeout 3 wget -q -O - "$STATS" 2>/dev/null
  else curl -fsS -m 2 "$STATS" 2>/dev/null
  fi | sed -n 's/.*pid = <\/b> *\([0-9][0-9]*\).*/\1/p' | head -n 1
}

# The servers' state of the running worker (up, down, since when, check health), for the next
# worker to start from. The CLI answers and closes; busybox nc stops reading when its input
# ends, so the input stays open a moment. No nc, no saved state: the reload still happens.
save_state() {
  command -v nc >/dev/null 2>&1 || return 0
  { echo "show servers state"; sleep 0.3; } | nc 127.0.0.1 8407 >"$STATE.tmp" 2>/dev/null
  if grep -q '^# be_id' "$STATE.tmp" 2>/dev/null && same_targets "$CFG" "$STATE.tmp" >"$STATE.new"; then
    mv "$STATE.new" "$STATE"
  else
    echo 1 >"$STATE"
  fi
  rm -f "$STATE.tmp" "$STATE.new"
}

# The state lines of servers whose target is the same in config $1: HAProxy restores a server's
# address and port from its state line, so a server whose target moved (a provider Service on
# another port, a client at another tunnel address) would keep the old one. A target is
# HOST:PORT, matched against srv_addr (field 5) or srv_fqdn (18) and srv_port (19).
same_targets() {
  awk 'NR == FNR {
         if ($1 == "backend") be = $2
         else if ($1 == "frontend" || $1 == "defaults" || $1 == "listen") be = ""
         else if ($1 == "server" && be != "") { port = $3; sub(/.*:/, "", port); host = substr($3, 1, length($3) - length(port) - 1); want[be " " $2] = host " " port }
         next
       }
       FNR <= 2 || /^#/ { print; next }
       (($2 " " $4) in want) && (want[$2 " " $4] == $5 " " $19 || want[$2 " " $4] == $18 " " $19)' "$1" "$2"
}

# Waits (up to $2 s) for a worker other than $1 to answer, then records $3 as loaded.
confirm() {
  tries=0
  while [ "$tries" -lt "$(( $2 * 5 ))" ] && kill -0 "$master" 2>/dev/null; do
    pid=$(worker)
    if [ -n "$pid" ] && [ "$pid" != "$1" ]; then
      echo "$3" >"$LOADED.tmp" && mv "$LOADED.tmp" "$LOADED"
      return 0
    fi
    sleep 0.2
    tries=$(( tries + 1 ))
  done
  return 1
}

cp "$SRC" "$NEXT" && mv "$NEXT" "$CFG" || exit 1
last=$(md5 "$SRC")
haproxy -W -db -f "$CFG" &
master=$!
: >"$RUNNING"
trap 'rm -f "$RUNNING"' EXIT

stop() {
  trap '' TERM INT QUIT USR1
  echo "svcgw: stopping haproxy: listeners closed, open connections get ${DRAIN}s"
  kill -USR1 "$master" 2>/dev/null
  ( sleep "$DRAIN"; kill -TERM "$master" 2>/dev/null ) &
  deadline=$!
  while kill -0 "$master" 2>/dev/null; do wait "$master"; done
  kill "$deadline" 2>/dev/null
  exit 0
}
trap stop TERM INT QUIT USR1

confirm "" 30 "$(md5 "$CFG")" || echo "svcgw: haproxy did not answer on its stats port within 30s" >&2

while kill -0 "$master" 2>/dev/null; do
  sleep "$INTERVAL" &
  wait $! || true
  now=$(md5 "$SRC")
  [ "$now" = "$last" ] && continue
  last=$now
  cp "$SRC" "$NEXT" || continue
  next=$(md5 "$NEXT")
  if haproxy -c -q -f "$NEXT"; then
    before=$(worker)
    for _ in 1 2 3 4; do [ -n "$before" ] && break; sleep 0.5; before=$(worker); done
    mv "$NEXT" "$CFG"
    save_state
    echo "svcgw: config changed, reloading haproxy"
    kill -USR2 "$master"
    if confirm "$before" 10 "$next"; then
      echo "svcgw: haproxy serves config $next"
    else
      echo "svcgw: the reload of config $next did not take effect within 10s" >&2
    fi
  else
    rm -f "$NEXT"
    echo "svcgw: new config is invalid, keeping the running one" >&2
  fi
done
wait "$master"

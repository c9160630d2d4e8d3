#!/bin/sh
# OpenVPN from the mounted config: `openvpn-run.sh server.conf` on the server,
# `openvpn-run.sh client.conf` on a client (which retries until the server is
# reachable). Every path in the configs is relative to SVCGW_ROOT, so the tests
# run this same script under a temporary root.
set -eu
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
CONF="${1:?usage: openvpn-run.sh server.conf|client.conf}"
. "$ROOT/scripts/tun.sh"
ensure_tun
mkdir -p "$ROOT/run"
exec openvpn --cd "$ROOT" --config "openvpn/$CONF"

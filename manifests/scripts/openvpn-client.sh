#!/bin/sh
# Gateway client: dials the server; OpenVPN itself retries until it is reachable.
set -eu
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
. "$ROOT/scripts/tun.sh"
ensure_tun
mkdir -p "$ROOT/run"
exec openvpn --cd "$ROOT" --config openvpn/client.conf

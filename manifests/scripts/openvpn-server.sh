#!/bin/sh
# Gateway server: OpenVPN from the mounted config. Every path in the config is
# relative to SVCGW_ROOT, so the tests run this same script under a temp root.
set -eu
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
. "$ROOT/scripts/tun.sh"
ensure_tun
mkdir -p "$ROOT/run"
exec openvpn --cd "$ROOT" --config openvpn/server.conf

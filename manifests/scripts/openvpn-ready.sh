#!/bin/sh
# Readiness: OpenVPN's own state, from its management interface (loopback,
# password in the run dir). CONNECTED means, on a client, that the tunnel to
# the server is up (any other state — RECONNECTING, WAIT, AUTH, ... — means it
# is not, and with persist-tun tun0 keeps its address meanwhile, so the device
# tells nothing); on the server, that it has initialised and listens.
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
. "$ROOT/scripts/openvpn-mgmt.sh"
mgmt state | grep -q '^[0-9]*,CONNECTED,'

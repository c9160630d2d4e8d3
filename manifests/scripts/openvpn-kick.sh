#!/bin/sh
# openvpn-kick.sh CN: disconnects every session of the client with that
# certificate name now, through the server's management interface (`kill CN`).
# Run (kubectl exec, openvpn container of the server pod) once a revocation is
# in the pod's crl dir: the session is gone from the server at once, so no
# traffic reaches the client any more, and its next handshake is refused. Over
# TCP the client sees its connection close and retries at once; over UDP it
# retries after its ping-restart. Without a kick, reneg-sec cuts it at the
# next renegotiation (the fallback).
# Exit codes: 0 disconnected, or not connected (prints which);
# 1 the management interface could not be reached or refused; 2 usage.
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
CN="${1:-}"
case "$CN" in
  ''|*[!A-Za-z0-9._-]*) echo "usage: openvpn-kick.sh CN (letters, digits, . _ -)" >&2; exit 2 ;;
esac
. "$ROOT/scripts/openvpn-mgmt.sh"
out=$(mgmt "kill $CN") || exit 1
case "$out" in
  SUCCESS*) echo "svcgw: disconnected $CN (${out#SUCCESS: })" ;;
  *"not found"*) echo "svcgw: $CN is not connected" ;;
  *) echo "svcgw: unexpected answer to kill $CN: $out" >&2; exit 1 ;;
esac

#!/bin/sh
# openvpn-kick.sh CN: disconnects the client with that certificate name now,
# through the server's management interface. Run (kubectl exec, openvpn
# container of the server pod) once a revocation is in the pod's crl dir:
# the client reconnects at once and its handshake is refused, instead of
# being cut at its next renegotiation (reneg-sec, the fallback).
# Exit codes: 0 disconnected, or not connected (prints which);
# 1 the management interface could not be reached; 2 usage.
ROOT="${SVCGW_ROOT:-/etc/svcgw}"
CN="${1:-}"
case "$CN" in
  ''|*[!A-Za-z0-9._-]*) echo "usage: openvpn-kick.sh CN (letters, digits, . _ -)" >&2; exit 2 ;;
esac
. "$ROOT/scripts/openvpn-mgmt.sh"
out=$(mgmt "kill $CN") || exit 1
case "$out" in
  *SUCCESS*) echo "svcgw: disconnected $CN (${out#SUCCESS: })" ;;
  *"not found"*) echo "svcgw: $CN is not connected" ;;
  *) echo "svcgw: unexpected answer to kill $CN: $out" >&2; exit 1 ;;
esac

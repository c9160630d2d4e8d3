#!/bin/sh
# Sourced: talks to OpenVPN's management interface on loopback (the port of
# the rendered `management` line), with the password openvpn-run.sh made.
# `mgmt COMMAND` prints the answer and returns non-zero when the interface
# cannot be reached or refuses the password. Needs nc (busybox's applet,
# netcat-openbsd or ncat) and mktemp.
SVCGW_MGMT_PORT="${SVCGW_MGMT_PORT:-8406}"
mgmt() {
  _run="${SVCGW_ROOT:-/etc/svcgw}/run"
  [ -r "$_run/openvpn-mgmt.pw" ] || { echo "svcgw: no management password in $_run (is openvpn-run.sh running here?)" >&2; return 1; }
  _out=$(mktemp "$_run/.mgmt.XXXXXX") || return 1
  # OpenVPN drops the answers it has not sent yet when it reads `quit`, and
  # busybox's nc stops reading when its input ends: so the input stays open
  # until the answer is in (END, SUCCESS: or ERROR: after the password's
  # SUCCESS line), at most 3 s, and only then says quit.
  {
    cat "$_run/openvpn-mgmt.pw"
    echo "$1"
    _i=0
    while [ "$_i" -lt 60 ]; do
      sed -n '/password is correct/,$p' "$_out" | sed 1d | grep -q '^\(END\|SUCCESS:\|ERROR:\)' && break
      grep -q 'ERROR: bad password' "$_out" && break
      sleep 0.05
      _i=$((_i + 1))
    done
    echo quit
  } 2>/dev/null | nc 127.0.0.1 "$SVCGW_MGMT_PORT" >"$_out" 2>/dev/null
  # nc writes straight to the file, which the loop above reads while the answer comes in; a
  # filter in between (tr) would hold it in its buffer until nc ends, 3 s later.
  _answer=$(tr -d '\r' <"$_out")
  rm -f "$_out"
  case "$_answer" in
    *'SUCCESS: password is correct'*) ;;
    '') echo "svcgw: OpenVPN's management interface does not answer on 127.0.0.1:$SVCGW_MGMT_PORT" >&2; return 1 ;;
    *) echo "svcgw: OpenVPN's management interface refused the password" >&2; return 1 ;;
  esac
  printf '%s\n' "$_answer" | sed -n '/password is correct/,$p' | sed -e 1d -e '/^>/d'
}

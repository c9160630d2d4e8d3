#!/bin/sh
# HAProxy's stats as CSV, for `kubectl svcgw status` (run by exec in the proxy container).
url='http://127.0.0.1:8404/stats;csv;norefresh'
if command -v wget >/dev/null 2>&1; then exec wget -q -O - "$url"; fi
exec curl -fsS "$url"

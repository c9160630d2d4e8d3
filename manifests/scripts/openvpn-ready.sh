#!/bin/sh
# Readiness: the tunnel device is up with its address (client: connected and
# given its fixed address; server: listening with the server address).
ip -o -4 addr show dev tun0 2>/dev/null | grep -q ' inet '

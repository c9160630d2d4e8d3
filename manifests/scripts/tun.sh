#!/bin/sh
# Sourced by the OpenVPN entrypoints. Container runtimes allow the tun device
# (10:200) but not every image has its node: create it (needs MKNOD) rather
# than mount the host's /dev/net/tun.
ensure_tun() {
  if [ ! -c /dev/net/tun ]; then
    mkdir -p /dev/net
    mknod /dev/net/tun c 10 200
    chmod 600 /dev/net/tun
  fi
}

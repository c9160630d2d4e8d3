#!/usr/bin/env bash
# Builds the gateway image (both containers of the server and client pods run
# it) as a docker-archive, from Debian packages only: no registry, no Docker.
#
#   images/gateway/build.sh OUT
#   images/gateway/build.sh --sources   the apt sources it builds from, one
#                                       "deb SITE SUITE main" line each (no root)
#
# Environment (all optional):
#   TAG      image reference (default ghcr.io/kubectl-svcgw/gateway:<package.json version>)
#   ARCH     Debian architecture (default amd64; see README.md for arm64)
#   SUITE    Debian suite (default trixie, Debian's stable release)
#   MIRROR   Debian mirror (default: the one apt on this machine uses for SUITE,
#            else for any suite: one Debian mirror serves them all)
#   SOURCE_DATE_EPOCH  timestamps inside the image (default 2025-01-01)
# Needs root, debootstrap and the mirror; nothing else from the network.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$here/../.."
out=${1:?usage: images/gateway/build.sh OUT | --sources}
case "$out" in --sources | /*) ;; *) out="$PWD/$out" ;; esac

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json")
tag=${TAG:-ghcr.io/kubectl-svcgw/gateway:$version}
arch=${ARCH:-amd64}
suite=${SUITE:-trixie}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600}
packages=openvpn,haproxy,busybox,iproute2
# Every command the gateway's scripts (manifests/scripts) and probes run.
needed="sh cat chmod cut grep ip md5sum mkdir mknod sleep wget openvpn haproxy"

# The sites apt already uses for SUITE, SUITE-updates and SUITE-security; a
# machine on another release (bookworm building trixie) has none of them, and
# then the site it uses for its own release of that kind serves ours too.
site_of() {
  apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT)' 2>/dev/null |
    awk -v r="$1" -v kind="${2:-}" '$3 != "main" { next }
      $2 == r { print $1; found = 1; exit }
      !any && ((kind == "" && $2 !~ /-/) || (kind != "" && $2 ~ ("-" kind "$"))) { any = $1 }
      END { if (!found && any) print any }'
}
mirror=${MIRROR:-$(site_of "$suite")}
[ -n "$mirror" ] || { echo "gateway/build.sh: no apt source for $suite main on this machine: set MIRROR" >&2; exit 3; }
# debootstrap reads one suite; security fixes (haproxy, openvpn) come from the others.
sources() {
  echo "deb $mirror $suite main"
  for extra in updates security; do
    site=$(site_of "$suite-$extra" "$extra")
    if [ -n "$site" ]; then echo "deb $site $suite-$extra main"; fi
  done
}
# What test/images/build.sh keys its cache on (the release files of these sources).
if [ "$out" = --sources ]; then sources; exit 0; fi

[ "$(id -u)" = 0 ] || { echo "gateway/build.sh: needs root (debootstrap, chroot)" >&2; exit 3; }
command -v debootstrap >/dev/null || { echo "gateway/build.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 3; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "gateway/build.sh: debootstrap $suite ($arch) from $mirror" >&2
debootstrap --variant=minbase --arch="$arch" --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; echo "gateway/build.sh: debootstrap failed" >&2; exit 1; }

# Mounts live in a private mount namespace, so none can outlive us.
sources >"$rootfs/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" # start no service while installing
chmod 755 "$rootfs/usr/sbin/policy-rc.d"
unshare --mount --propagation private sh -c '
  mount -t proc proc "$1/proc"
  chroot "$1" sh -c "apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq -y upgrade"
' sh "$rootfs" >"$work/upgrade.log" 2>&1 ||
  { tail -20 "$work/upgrade.log" >&2; echo "gateway/build.sh: apt-get upgrade failed" >&2; exit 1; }
rm "$rootfs/usr/sbin/policy-rc.d"

# Debian's busybox installs no applet links; wget (the proxy's readiness
# probe) exists only as one. Existing commands are kept (no -f).
chroot "$rootfs" /bin/busybox --install -s 2>/dev/null || true

for cmd in $needed; do
  chroot "$rootfs" /bin/sh -c "command -v $cmd >/dev/null" ||
    { echo "gateway/build.sh: $cmd is missing from the image" >&2; exit 1; }
done
chroot "$rootfs" dpkg-query -W -f '${Package} ${Version}\n' openvpn haproxy busybox iproute2 >&2
# HAProxy before 3.0 (bookworm's 2.6.12) spins on a health check whose SYN is
# answered by an ICMP error, as kube-proxy answers for a Service without
# endpoints: connect() says EALREADY while epoll keeps reporting the error,
# about 5% of a core per check until its connect timeout, in every client pod
# that serves that Service (measured in docs/dataplane.md, "Images").
haproxy_version=$(chroot "$rootfs" dpkg-query -W -f '${Version}' haproxy)
dpkg --compare-versions "$haproxy_version" ge 3.0 ||
  { echo "gateway/build.sh: $suite has HAProxy $haproxy_version; the gateway needs 3.0 or later (SUITE=trixie or newer)" >&2; exit 1; }

# Caches, docs, translations (the pods run in the C locale), logs and the
# build host's identity are not part of the image.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
  "$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/cache/ldconfig/aux-cache \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian "$rootfs"/usr/share/locale/* \
  "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf "$rootfs"/etc/*- "$rootfs"/tmp/* "$rootfs"/var/tmp/* \
  "$rootfs"/root/.bash_history
find "$rootfs/var/log" -type f -delete
# Password ages count days since the epoch of the build: pin them.
days=$((SOURCE_DATE_EPOCH / 86400))
sed -i -E "s/^([^:]*:[^:]*:)[0-9]+:/\1$days:/" "$rootfs/etc/shadow"

config=$(printf '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"StopSignal":"SIGTERM","Labels":{"org.opencontainers.image.title":"kubectl-svcgw gateway","org.opencontainers.image.description":"OpenVPN 2.6, HAProxy, busybox and iproute2 from Debian %s, for the gateway server and client pods of kubectl-svcgw","org.opencontainers.image.version":"%s","org.opencontainers.image.licenses":"Apache-2.0","org.opencontainers.image.base.name":"debian:%s-minbase","org.opencontainers.image.created":"%s"}}' \
  "$suite" "$version" "$suite" "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)")
"$here/../docker-archive.sh" "$rootfs" "$out" "$tag" "$config" "$arch"
echo "gateway/build.sh: $tag → $out ($(du -h "$out" | cut -f1))" >&2

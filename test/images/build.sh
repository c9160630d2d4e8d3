#!/usr/bin/env bash
# Builds the images the test nodes run, as docker-archives in the user's
# cache (see test/lib/cache.sh), and prints their paths, one per line:
#   registry.k8s.io/pause:3.10.1            the kubelet's sandbox image (pause.c from the kubernetes module)
#   svcgw.test/testbox:1                    Debian's busybox-static with its applets: backends, clients, probes
#   ghcr.io/kubectl-svcgw/gateway:<version> the product's image (images/gateway/build.sh)
# Each is keyed by a hash of what it is built from, Debian package versions
# included. Exit 3: something needed is missing here (root, Go, gcc).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$here/../.."
. "$here/../lib/cache.sh"
archive="$repo/images/docker-archive.sh"
export SOURCE_DATE_EPOCH=1735689600
export PATH="$PATH:/usr/local/go/bin"

missing() { echo "images/build.sh: $*" >&2; exit 3; }
[ "$(id -u)" = 0 ] || missing "needs root (chroot, debootstrap)"
candidate() { apt-cache policy "$@" 2>/dev/null | grep -E '^\S|Candidate'; }

# --- pause -----------------------------------------------------------------
command -v go >/dev/null || missing "go is not installed (pause.c comes from the kubernetes module)"
command -v gcc >/dev/null || missing "gcc is not installed (apt-get install gcc libc6-dev)"
pause_c="$(cd "$repo/test/cluster/cp" && go mod download k8s.io/kubernetes && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
build_pause() (
  local fs
  fs=$(mktemp -d)
  gcc -Os -static -DVERSION=v3.10.1 -o "$fs/pause" "$pause_c"
  strip "$fs/pause"
  "$archive" "$fs" "$OUT" registry.k8s.io/pause:3.10.1 '{"Entrypoint":["/pause"],"User":"65535:65535"}'
  rm -rf "$fs"
)
cached image-pause "$( (input_hash "$pause_c" "$archive" "$0"; gcc --version | head -1) | sha256sum | cut -c1-16)" pause.tar build_pause

# --- testbox ---------------------------------------------------------------
build_testbox() (
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root busybox-static) >&2
  mkdir -p "$tmp/fs"
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/pkg"
  cd "$tmp/fs"
  mkdir -p bin sbin usr/bin usr/sbin etc tmp root proc sys dev var/www
  chmod 1777 tmp
  cp "$tmp/pkg/bin/busybox" bin/busybox
  chroot . /bin/busybox --install -s
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >etc/passwd
  printf 'root:x:0:\nnogroup:x:65534:\n' >etc/group
  cd "$tmp"
  "$archive" "$tmp/fs" "$OUT" svcgw.test/testbox:1 \
    '{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"Labels":{"org.opencontainers.image.description":"busybox-static from Debian, for kubectl-svcgw tests"}}'
  rm -rf "$tmp"
)
cached image-testbox "$( (input_hash "$archive" "$0"; candidate busybox-static) | sha256sum | cut -c1-16)" testbox.tar build_testbox

# --- gateway ---------------------------------------------------------------
command -v debootstrap >/dev/null || missing "debootstrap is not installed (apt-get install debootstrap)"
gateway="$repo/images/gateway/build.sh"
build_gateway() { "$gateway" "$OUT"; }
# The image's suite (trixie) is not this machine's (bookworm), so apt here does not know its
# package versions: the dates of the release files of the sources the image is built from (the
# suite, its -updates and -security) stand for them; a new package version means a new release
# file. Offline, the newest image built is reused, and said so.
release_dates() {
  local sources
  sources=$("$gateway" --sources) || return 1
  local _ site suite release
  while read -r _ site suite _; do
    release=$(curl -fsS -m 20 "$site/dists/$suite/InRelease") || return 1
    grep -m 1 '^Date:' <<<"$release" || return 1
  done <<<"$sources"
}
if dates=$(release_dates 2>/dev/null) && [ -n "$dates" ]; then
  cached image-gateway "$( (input_hash "$gateway" "$archive"; grep '"version"' "$repo/package.json"; echo "$dates") | sha256sum | cut -c1-16)" gateway.tar build_gateway
else
  newest=$(ls -t "${XDG_CACHE_HOME:-$HOME/.cache}"/kubectl-svcgw/image-gateway/*/gateway.tar 2>/dev/null | head -n 1)
  [ -n "$newest" ] || missing "the release files of the gateway image's Debian sources are not reachable, and no gateway image was built before"
  echo "images/build.sh: Debian not reachable: reusing $newest" >&2
  echo "$newest"
fi

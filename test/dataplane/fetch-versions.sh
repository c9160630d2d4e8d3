#!/usr/bin/env bash
# Fetches other releases of HAProxy and OpenVPN from Debian's archive, for
# the data-plane suite's version checks (test/dataplane/versions.test.ts):
# the official HAProxy images run 3.0 and 3.2, operators may bring OpenVPN
# 2.7, and the rendered configs must hold on all of them, not only on the
# bookworm packages installed here.
#
# Each package is extracted with its shared libraries (and the glibc of its
# suite, which is newer than this machine's) into
#   ~/.cache/kubectl-svcgw/versions/<pkg>-<version>/
# with a wrapper bin/<pkg> that starts it through that glibc's ld.so, and is
# listed in ~/.cache/kubectl-svcgw/versions/index.tsv
# (package, version, suite, wrapper). apt runs on a private sources list and
# state directory: the machine's apt configuration is never changed. What
# is cached is reused without touching the network, so a machine that fetched
# once runs the checks offline; --refresh looks for newer versions.
# A failed download leaves earlier entries alone and exits 0: the tests that
# need a missing version skip and say so.
set -euo pipefail

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-svcgw"
VERSIONS="$CACHE/versions"
APT="$CACHE/apt"
MIRROR="${SVCGW_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
REFRESH=0
[ "${1:-}" = "--refresh" ] && REFRESH=1

# package:channel. A channel is the suites one private apt directory reads;
# the candidate there is the version fetched. bookworm-backports and
# trixie-backports serve no HAProxy newer than these (checked 2026: no
# haproxy in either; openvpn 2.7.8 in trixie-backports, the same as sid's).
TARGETS=(haproxy:trixie haproxy:sid haproxy:experimental openvpn:sid)

mkdir -p "$VERSIONS" "$APT"
exec 9>"$VERSIONS/.lock"
# Two suites on one machine (another engineer's, CI's) share the cache.
flock -w 600 9 || { echo "fetch-versions: could not lock $VERSIONS/.lock" >&2; exit 1; }

INDEX="$VERSIONS/index.tsv"
touch "$INDEX"

suites_of() {
  case "$1" in
    trixie) echo "trixie" ;;
    sid) echo "sid" ;;
    experimental) echo "sid experimental" ;;
    *) echo "unknown channel $1" >&2; return 1 ;;
  esac
}

apt_opts() {
  local dir="$APT/$1"
  printf '%s\n' -o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::Etc::sourceparts=-" \
    -o "Dir::State::Lists=$dir/lists" -o "Dir::State::status=$dir/status" -o "Dir::Cache=$dir/cache" \
    -o "Debug::NoLocking=1" -o "APT::Get::List-Cleanup=0" -o "Acquire::Retries=2"
}

prepare_channel() {
  local channel=$1 dir="$APT/$1"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  : >"$dir/status"
  : >"$dir/sources.list"
  for suite in $(suites_of "$channel"); do
    echo "deb [signed-by=$KEYRING] $MIRROR $suite main" >>"$dir/sources.list"
  done
  local -a opts
  mapfile -t opts < <(apt_opts "$channel")
  if [ "$REFRESH" = 1 ] || ! ls "$dir/lists/"*Packages* >/dev/null 2>&1; then
    apt-get "${opts[@]}" update -qq >/dev/null 2>&1 || return 1
  fi
}

# Highest version of $1 in the channel (experimental has priority 1, so not
# the candidate: take the top of madison instead).
version_in() {
  local -a opts
  mapfile -t opts < <(apt_opts "$2")
  apt-cache "${opts[@]}" madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -V | tail -1
}

# The package and every shared library it needs, recursively: only lib*
# packages are followed (maintainer tooling such as adduser or debconf is not
# needed to run the binary).
closure() {
  local channel=$1 root=$2
  local -a opts queue
  mapfile -t opts < <(apt_opts "$channel")
  declare -A seen=()
  queue=("$root")
  while [ ${#queue[@]} -gt 0 ]; do
    local p=${queue[0]}
    queue=("${queue[@]:1}")
    local name=${p%%=*}
    [ -n "${seen[$name]:-}" ] && continue
    seen[$name]=1
    echo "$p"
    local dep
    for dep in $(apt-cache "${opts[@]}" depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "$p" 2>/dev/null | awk '/^ *\|?(Pre)?Depends:/ {print $2}' | grep -v '^<'); do
      case "$dep" in lib*|zlib1g|gcc-*-base) [ -z "${seen[$dep]:-}" ] && queue+=("$dep") ;; esac
    done
  done
}

fetch() {
  local pkg=$1 channel=$2
  if ! prepare_channel "$channel"; then
    echo "fetch-versions: $pkg from $channel: the archive is not reachable" >&2
    return 0
  fi
  local version
  version=$(version_in "$pkg" "$channel")
  if [ -z "$version" ]; then
    echo "fetch-versions: no $pkg in $channel" >&2
    return 0
  fi
  local dest="$VERSIONS/$pkg-$version"
  if [ -f "$dest/.complete" ]; then
    echo "fetch-versions: $pkg $version ($channel) cached"
  else
    local -a opts
    mapfile -t opts < <(apt_opts "$channel")
    local work
    work=$(mktemp -d "$VERSIONS/.work.XXXXXX")
    # shellcheck disable=SC2046
    if ! (cd "$work" && apt-get "${opts[@]}" download -qq $(closure "$channel" "$pkg=$version") >/dev/null 2>&1); then
      echo "fetch-versions: download of $pkg $version ($channel) failed" >&2
      rm -rf "$work"
      return 0
    fi
    rm -rf "$dest"
    mkdir -p "$dest/bin"
    for deb in "$work"/*.deb; do dpkg -x "$deb" "$dest"; basename "$deb" >>"$dest/packages.txt"; done
    rm -rf "$work"
    local ldso bin libs
    ldso=$(cd "$dest" && ls lib64/ld-linux-*.so.* usr/lib64/ld-linux-*.so.* lib/*/ld-linux-*.so.* 2>/dev/null | head -1 || true)
    bin=$(cd "$dest" && ls "usr/sbin/$pkg" "usr/bin/$pkg" 2>/dev/null | head -1 || true)
    libs=$(cd "$dest" && find . -maxdepth 3 -type d -path '*/lib/*-linux-gnu' | sed "s|^\.|$dest|" | paste -sd:)
    # The suite's own ld.so and glibc: its binaries need a newer glibc than
    # bookworm's. --argv0 keeps argv[0] on this wrapper, so HAProxy's master
    # re-executes itself through it on a reload.
    cat >"$dest/bin/$pkg" <<EOF
#!/bin/sh
OPENSSL_MODULES="$(ls -d "$dest"/usr/lib/*/ossl-modules 2>/dev/null | head -1 || true)" exec "$dest/$ldso" --argv0 "\$0" --library-path "$libs" "$dest/$bin" "\$@"
EOF
    chmod 755 "$dest/bin/$pkg"
    if ! "$dest/bin/$pkg" --version >/dev/null 2>&1 && ! "$dest/bin/$pkg" -v >/dev/null 2>&1; then
      echo "fetch-versions: $pkg $version does not start here" >&2
      "$dest/bin/$pkg" --version 2>&1 | head -3 >&2 || true
      return 0
    fi
    touch "$dest/.complete"
    echo "fetch-versions: $pkg $version ($channel) fetched into $dest"
  fi
  local line
  line=$(printf '%s\t%s\t%s\t%s' "$pkg" "$version" "$channel" "$dest/bin/$pkg")
  grep -vF "$(printf '%s\t%s\t' "$pkg" "$version")" "$INDEX" >"$INDEX.new" || true
  echo "$line" >>"$INDEX.new"
  sort -o "$INDEX" "$INDEX.new"
  rm -f "$INDEX.new"
}

for target in "${TARGETS[@]}"; do fetch "${target%%:*}" "${target#*:}"; done

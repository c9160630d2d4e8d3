#!/usr/bin/env bash
# Builds the test clusters' CoreDNS from this Go module into the user's cache
# (see test/lib/cache.sh), keyed by a hash of the module, this script and the
# Go version. Prints the binary's path; exit 3: no Go toolchain.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../lib/cache.sh"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "coredns/build.sh: go is not installed" >&2; exit 3; }
hash="$( (input_hash "$here/go.mod" "$here/go.sum" "$here"/*.go "$0"; go version) | sha256sum | cut -c1-16)"

build() {
  cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT" .
}
cached coredns "$hash" coredns build

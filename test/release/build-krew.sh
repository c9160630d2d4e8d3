#!/usr/bin/env bash
# Builds krew (kubectl-krew) from its Go module, for the release tests: they install the plugin's
# archive with it as a user would. Cached like the other test binaries (test/lib/cache.sh), keyed
# by the version, this script and the Go version. Prints the binary's path. Exit 3: no Go toolchain.
# v0.4.4 is the newest the Go module proxy serves (it lists v0.4.3 as latest, serves v0.4.4 when
# asked, and refuses v0.4.5).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib/cache.sh"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "build-krew.sh: go is not installed" >&2; exit 3; }
version=v0.4.4
hash="$( (echo "$version"; cat "$0"; go version) | sha256sum | cut -c1-16)"

build() {
  local bin
  bin=$(mktemp -d)
  CGO_ENABLED=0 GOBIN="$bin" GOFLAGS=-trimpath go install -ldflags "-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$version" "sigs.k8s.io/krew/cmd/krew@$version"
  mv "$bin/krew" "$OUT"
  rm -rf "$bin"
}
cached krew "$hash" kubectl-krew build

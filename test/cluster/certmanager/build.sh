#!/usr/bin/env bash
# Builds cert-manager's controllers (our main.go over the unchanged Go module
# github.com/cert-manager/cert-manager, a module of its own: it needs
# k8s.io/* v0.36, the control plane's module is pinned to v0.34) into the
# user's cache (see test/lib/cache.sh), with the module's CRDs beside it:
#   DIR/certmanager   the controllers (certificates, certificaterequests with
#                     the CA and self-signed issuers and the approver, issuers,
#                     clusterissuers)
#   DIR/crds/*.yaml   deploy/crds of the same module version
# Keyed by a hash of the module, this script and the Go version. Prints DIR;
# build output goes to stderr. Exit 3: no Go toolchain.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../lib/cache.sh"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "certmanager/build.sh: go is not installed" >&2; exit 3; }
hash="$( (input_hash "$here/go.mod" "$here/go.sum" "$here"/*.go "$0"; go version) | sha256sum | cut -c1-16)"

build() {
  cd "$here"
  mkdir -p "$OUT/crds"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/certmanager" .
  local module
  module="$(go list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)"
  cp "$module"/deploy/crds/cert-manager.io_*.yaml "$OUT/crds/"
  chmod 0644 "$OUT"/crds/*.yaml
}
cached certmanager "$hash" certmanager build

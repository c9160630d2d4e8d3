#!/usr/bin/env bash
# Builds testcp, the test suite's Kubernetes in one binary (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy, etcd), from
# the Go module in cp/, into the user's cache (see test/lib/cache.sh), keyed
# by a hash of the module, this script and the Go version. Prints the
# binary's path; build output goes to stderr. Exit 3: no Go toolchain.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib/cache.sh"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "build.sh: go is not installed" >&2; exit 3; }
hash="$( (input_hash "$here/cp/go.mod" "$here/cp/go.sum" "$here"/cp/*.go "$0"; go version) | sha256sum | cut -c1-16)"

build() {
  local version=v1.34.4 p ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=34"
    ldflags="$ldflags -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.gitTreeState=clean -X $p.buildDate=2025-01-01T00:00:00Z"
  done
  # The kubelet and kube-proxy run fine without cgo (no cgroup/iptables C code).
  cd "$here/cp" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$OUT" .
}
cached testcp "$hash" testcp build

#!/usr/bin/env bash
# Builds everything the test clusters need, each cached (test/lib/cache.sh),
# and prints what was built, one `KIND PATH` line each:
#   testcp PATH    kube-apiserver, controller-manager, scheduler, kubelet, kube-proxy, etcd
#   coredns PATH
#   image PATH     docker-archives to import into every node (pause, testbox, gateway)
#   certmanager DIR  cert-manager's controllers and CRDs (test/cluster/certmanager), started
#                  on demand by the suites that need it
#   krew PATH      kubectl-krew, for the release tests (test/release/)
# `npm test` runs it before mocha, so a cold build is not timed as a test.
# Exit 3 with one line on stderr: this machine cannot build them (no Go,
# not root, …); the cluster suites then skip saying so.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
started=$SECONDS
status=0
testcp=$(bash "$here/cluster/build.sh") || status=$?
[ $status = 0 ] && { coredns=$(bash "$here/cluster/coredns/build.sh") || status=$?; }
[ $status = 0 ] && { images=$(bash "$here/images/build.sh") || status=$?; }
[ $status = 0 ] && { certmanager=$(bash "$here/cluster/certmanager/build.sh") || status=$?; }
[ $status = 0 ] && { krew=$(bash "$here/release/build-krew.sh") || status=$?; }
if [ $status != 0 ]; then
  [ $status = 3 ] || echo "build-all.sh: a build failed (exit $status)" >&2
  exit $status
fi
echo "testcp $testcp"
echo "coredns $coredns"
for image in $images; do echo "image $image"; done
echo "certmanager $certmanager"
echo "krew $krew"
echo "build-all.sh: done in $((SECONDS - started))s" >&2

// Command testcp is the test suite's Kubernetes control plane: one binary
// that runs as kube-apiserver, kube-controller-manager or an embedded etcd,
// built from the upstream modules (no Docker, no downloads of binaries).
// The test harness (test/cluster/up.ts) starts one etcd and, per cluster,
// an apiserver and a controller-manager, as child processes of itself.
package main

import (
	"fmt"
	"os"

	"k8s.io/component-base/cli"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testcp kube-apiserver|kube-controller-manager|etcd [flags]")
		os.Exit(2)
	}
	role, args := os.Args[1], os.Args[2:]
	switch role {
	case "kube-apiserver":
		cmd := apiserver.NewAPIServerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "kube-controller-manager":
		cmd := controllermanager.NewControllerManagerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "etcd":
		if err := runEtcd(args); err != nil {
			fmt.Fprintln(os.Stderr, "etcd:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "testcp: unknown role %q\n", role)
		os.Exit(2)
	}
}

// Command testcp is the test suite's Kubernetes: one binary that runs as
// kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
// kube-proxy or an embedded etcd, built from the upstream modules (no Docker,
// no downloads of binaries). The test harness (test/cluster/up.ts) starts
// one etcd and, per cluster, a control plane and a node, as child processes.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	// As in the upstream mains: JSON logging and the client/version metrics
	// register themselves on import.
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

var roles = map[string]func() *cobra.Command{
	"kube-apiserver":          apiserver.NewAPIServerCommand,
	"kube-controller-manager": controllermanager.NewControllerManagerCommand,
	"kube-scheduler":          func() *cobra.Command { return scheduler.NewSchedulerCommand() },
	"kube-proxy":              proxy.NewProxyCommand,
	"kubelet":                 func() *cobra.Command { return kubelet.NewKubeletCommand(context.Background()) },
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testcp kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy|etcd [flags]")
		os.Exit(2)
	}
	role, args := os.Args[1], os.Args[2:]
	if role == "etcd" {
		if err := runEtcd(args); err != nil {
			fmt.Fprintln(os.Stderr, "etcd:", err)
			os.Exit(1)
		}
		return
	}
	newCommand, ok := roles[role]
	if !ok {
		fmt.Fprintf(os.Stderr, "testcp: unknown role %q\n", role)
		os.Exit(2)
	}
	cmd := newCommand()
	cmd.SetArgs(args)
	os.Exit(cli.Run(cmd))
}

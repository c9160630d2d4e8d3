// certmanager runs cert-manager's own controllers (the certificates,
// certificaterequests and issuers controllers of the Go module
// github.com/cert-manager/cert-manager, built unchanged) against one test
// cluster, as a process on the host with a kubeconfig. It is our small main:
// the upstream wiring (cmd/controller/app, module controller-binary) is not on
// the module proxy. It registers the controllers a CA/self-signed setup needs
// and starts them the way upstream's Run does: construct every controller,
// then start the shared informer factories, then wait.
//
//	certmanager --kubeconfig FILE [--namespace NS] [--v N]
//
// Prints "cert-manager controllers started: NAMES" once every controller runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"golang.org/x/sync/errgroup"
	"k8s.io/klog/v2"

	// Each package registers its controller with controller.Register in init().
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// The issuer implementations the issuers controllers set up (Ready condition).
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster to run against")
	namespace := flag.String("namespace", "", "namespace to watch (default: all)")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "cert-manager", "namespace of ClusterIssuers' Secrets")
	workers := flag.Int("workers", 5, "workers per controller (upstream's default)")
	klogFlags := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(klogFlags)
	verbosity := flag.String("v", "2", "log verbosity")
	flag.Parse()
	_ = klogFlags.Set("v", *verbosity)
	logf.InitLogs()
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "certmanager: --kubeconfig is required")
		os.Exit(2)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	ctx = logf.NewContext(ctx, logf.Log, "certmanager")

	// The options upstream's controller passes, at its defaults (internal/apis/config/controller/v1alpha1/defaults.go).
	factory, err := controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         *kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		Namespace:          *namespace,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace: *clusterResourceNamespace,
		},
		CertificateOptions: controller.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "certmanager: %v\n", err)
		os.Exit(1)
	}
	base, err := factory.Build()
	if err != nil {
		fmt.Fprintf(os.Stderr, "certmanager: %v\n", err)
		os.Exit(1)
	}

	g, gctx := errgroup.WithContext(ctx)
	var started []string
	for name, construct := range controller.Known() {
		c, err := construct(factory)
		if err != nil {
			fmt.Fprintf(os.Stderr, "certmanager: controller %s: %v\n", name, err)
			os.Exit(1)
		}
		started = append(started, name)
		g.Go(func() error { return c.Run(*workers, gctx) })
	}
	// Informers are registered by the constructors above: start the factories only now.
	base.SharedInformerFactory.Start(gctx.Done())
	base.KubeSharedInformerFactory.Start(gctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(gctx.Done())
	sort.Strings(started)
	fmt.Printf("cert-manager controllers started: %s\n", strings.Join(started, ","))

	if err := g.Wait(); err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "certmanager: %v\n", err)
		os.Exit(1)
	}
	base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
}

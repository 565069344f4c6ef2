// Package kube builds Kubernetes clients from kubectl's global flags and explains
// connection failures in terms of the kubeconfig and context that were used.
package kube

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kubectl-katib/plugins/pkg/buildinfo"
)

// Clients bundles what commands need to talk to one cluster.
type Clients struct {
	Config    *rest.Config
	Clientset kubernetes.Interface
	Dynamic   dynamic.Interface
	// Metadata lists objects without their bodies.
	Metadata  metadata.Interface
	Discovery discovery.CachedDiscoveryInterface
	// Mapper maps kinds to resources through the (cached) discovery.
	Mapper meta.RESTMapper
	// Namespace is -n, or the kubeconfig context's namespace, or "default".
	Namespace string
	// ExplicitNamespace is true when the user passed -n.
	ExplicitNamespace bool
	// Context describes where the clients point, for error messages.
	Context string
}

// UserAgent is sent with every request, so audit logs can tell the plugins apart.
func UserAgent(plugin string) string {
	return fmt.Sprintf("kubectl-%s/%s", plugin, buildinfo.Get().Version)
}

// NewClients builds clients from kubectl's flags. plugin names the caller in the user agent.
func NewClients(getter genericclioptions.RESTClientGetter, plugin string) (*Clients, error) {
	raw := getter.ToRawKubeConfigLoader()
	where := Describe(getter)
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("cannot load the cluster configuration (%s): %w", where, err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = UserAgent(plugin)
	if cfg.QPS == 0 {
		// Trials are created in bursts; client-go's default of 5 QPS would throttle them.
		cfg.QPS, cfg.Burst = 50, 100
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot build a client (%s): %w", where, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot build a client (%s): %w", where, err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot build a client (%s): %w", where, err)
	}
	disc, err := getter.ToDiscoveryClient()
	if err != nil {
		return nil, fmt.Errorf("cannot build a discovery client (%s): %w", where, err)
	}
	mapper, err := getter.ToRESTMapper()
	if err != nil {
		return nil, fmt.Errorf("cannot build a discovery client (%s): %w", where, err)
	}
	ns, explicit, err := raw.Namespace()
	if err != nil {
		return nil, fmt.Errorf("cannot read the namespace (%s): %w", where, err)
	}
	return &Clients{Config: cfg, Clientset: cs, Dynamic: dyn, Metadata: meta, Discovery: disc, Mapper: mapper, Namespace: ns, ExplicitNamespace: explicit, Context: where}, nil
}

// Describe names the kubeconfig and context that the flags select, for error messages.
func Describe(getter genericclioptions.RESTClientGetter) string {
	loader := getter.ToRawKubeConfigLoader()
	var parts []string
	if files := loader.ConfigAccess().GetLoadingPrecedence(); len(files) > 0 {
		if explicit := loader.ConfigAccess().GetExplicitFile(); explicit != "" {
			files = []string{explicit}
		}
		parts = append(parts, "kubeconfig "+strings.Join(files, ":"))
	}
	if rawCfg, err := loader.RawConfig(); err == nil {
		ctx := rawCfg.CurrentContext
		if cf, ok := getter.(*genericclioptions.ConfigFlags); ok && cf.Context != nil && *cf.Context != "" {
			ctx = *cf.Context
		}
		if ctx != "" {
			parts = append(parts, "context "+ctx)
		} else {
			parts = append(parts, "no current context")
		}
	}
	if len(parts) == 0 {
		return "no kubeconfig"
	}
	return strings.Join(parts, ", ")
}

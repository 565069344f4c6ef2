// Package read reads what the architecture model is built from, every read in parallel over
// one connection, and keeps each read's answer next to its error, so the model can say which
// read was refused or failed and what that leaves out.
package read

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http/httptrace"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// CRDResource is where CustomResourceDefinitions are read from; the dynamic client avoids a
// dependency on the apiextensions clientset for the few fields needed.
var CRDResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// APIServiceResource is where the aggregation layer's registrations are read from, through
// the dynamic client for the same reason.
var APIServiceResource = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// podPageSize bounds each Pod list request, so a cluster with many Pods is read in pages
// the API server can serve without building one huge response.
const podPageSize = 500

// activePods selects the Pods that still hold their node's resources: the scheduler and
// kubelet stop counting a Pod once it has succeeded or failed.
const activePods = "status.phase!=Succeeded,status.phase!=Failed"

// Source is what is read from. Probe fetches a raw path such as /readyz?verbose, so tests
// can answer it without an HTTP server.
type Source struct {
	Clientset kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	Probe     func(ctx context.Context, path string) ([]byte, error)
	// Server and Context describe the connection, for the model and for error messages.
	Server  string
	Context string
	// Now is the clock of Snapshot.ReadAt; nil means time.Now.
	Now func() time.Time
	// APIOnly reads just what api-versions and api-resources need: discovery, CRDs and
	// APIServices.
	APIOnly bool
	// Trace, when set, is told how long each read took and how each failed read failed.
	Trace io.Writer
}

// Hooks let the caller take part in a read without the reader knowing the model.
type Hooks struct {
	// ActivePod is handed every unfinished Pod of every namespace, one page at a time, so
	// that only what the caller keeps of each Pod stays in memory on a large cluster.
	ActivePod func(*corev1.Pod)
	// DiscoveryStale says whether cached discovery disagrees with the rest of the snapshot;
	// discovery is then read again, as kubectl does when a kind is missing from its cache.
	DiscoveryStale func(*Snapshot) bool
}

// Result is one read: what came back and why not all of it did. Discovery keeps what it
// could read next to its error; every other read has a zero Value when Err is set.
type Result[T any] struct {
	Value T
	Err   error
}

func (r *Result[T]) set(v T, err error) {
	if err != nil {
		var zero T
		v = zero
	}
	r.Value, r.Err = v, err
}

// APIDiscovery is the API server's list of groups and of each group version's resources.
type APIDiscovery struct {
	Groups    []*metav1.APIGroup
	Resources []*metav1.APIResourceList
}

// Snapshot is every read of one pass, each with its own error.
type Snapshot struct {
	Version      Result[*version.Info]
	Discovery    Result[APIDiscovery]
	Readyz       Result[[]byte]
	Livez        Result[[]byte]
	Leases       Result[[]coordinationv1.Lease]
	SystemPods   Result[[]corev1.Pod]
	Nodes        Result[[]corev1.Node]
	Deployments  Result[[]appsv1.Deployment]
	DaemonSets   Result[[]appsv1.DaemonSet]
	StatefulSets Result[[]appsv1.StatefulSet]
	// ValidatingWebhooks and MutatingWebhooks are the admission webhook configurations.
	ValidatingWebhooks Result[[]admissionregistrationv1.ValidatingWebhookConfiguration]
	MutatingWebhooks   Result[[]admissionregistrationv1.MutatingWebhookConfiguration]
	CRDs               Result[[]unstructured.Unstructured]
	// APIServices are those that may name an extension API server: the API server's own
	// automanaged ones are left out.
	APIServices         Result[[]unstructured.Unstructured]
	ClusterRoles        Result[[]rbacv1.ClusterRole]
	ClusterRoleBindings Result[[]rbacv1.ClusterRoleBinding]
	Roles               Result[[]rbacv1.Role]
	RoleBindings        Result[[]rbacv1.RoleBinding]
	// KubeProxyConfig is kube-system/kube-proxy, where kubeadm keeps kube-proxy's mode.
	KubeProxyConfig Result[*corev1.ConfigMap]
	// WebhookServices are the Services that conversion and admission webhooks name, by
	// namespace/name.
	WebhookServices map[string]Result[*corev1.Service]
	// ActivePods counts the unfinished Pods handed to Hooks.ActivePod.
	ActivePods Result[int]
	CSRs       Result[[]certificatesv1.CertificateSigningRequest]
	// ServingCerts is the chain the API server presented on the first connection.
	ServingCerts []*x509.Certificate
	// ReadAt is when the reads were done.
	ReadAt time.Time
}

// UnreachableError says the cluster could not be reached at all.
type UnreachableError struct {
	Where string
	Err   error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the cluster (%s): %v; check that the cluster is running and the kubeconfig and context are right, or run with --offline to learn the generic architecture without a cluster", e.Where, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// describe names the connection for an UnreachableError.
func (src Source) describe() string {
	if src.Context != "" {
		return src.Context
	}
	return "server " + src.Server
}

// list reads one list into its result: the typed clients' lists differ only in their types.
func list[L any, T any](r *Result[[]T], l *L, err error, items func(*L) []T) error {
	if err == nil {
		r.Value = items(l)
	}
	r.Err = err
	return err
}

// Read reads the cluster with the caller's credentials, every read in parallel. Reads that
// are forbidden or fail are recorded in the snapshot; only a cluster that cannot be reached
// at all is an error, an *UnreachableError.
func Read(ctx context.Context, src Source, hooks Hooks) (*Snapshot, error) {
	s := &Snapshot{}
	var wg sync.WaitGroup
	var traceMu sync.Mutex
	trace := func(format string, args ...any) {
		if src.Trace != nil {
			traceMu.Lock()
			defer traceMu.Unlock()
			fmt.Fprintf(src.Trace, format, args...)
		}
	}
	start := time.Now()
	run := func(what string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			err := f()
			if err != nil {
				trace("read %s: %v (started +%v), failed: %v\n", what, time.Since(t0), t0.Sub(start), err)
			} else {
				trace("read %s: %v (started +%v)\n", what, time.Since(t0), t0.Sub(start))
			}
		}()
	}
	all := metav1.ListOptions{ResourceVersion: "0"}
	// The first read alone opens the connection; the rest start once it is open and share it
	// over HTTP/2. Started together, each would dial and handshake a connection of its own,
	// which on a small control plane costs more than the reads themselves. Waiting for the
	// connection rather than for the first answer keeps remote clusters at the same round trips.
	opened := make(chan struct{})
	var openOnce sync.Once
	connected := false
	open := func(ok bool) { openOnce.Do(func() { connected = ok; close(opened) }) }
	first := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		// The handshake already made shows the serving certificate at no extra cost.
		if tc, ok := info.Conn.(*tls.Conn); ok {
			s.ServingCerts = tc.ConnectionState().PeerCertificates
		}
		open(true)
	}})
	firstDone := make(chan struct{})
	// The Services behind webhooks are read as soon as the CRDs and webhook configurations
	// are in, while slower reads are still under way.
	var webhookInputs sync.WaitGroup
	webhookInputs.Add(1)
	run("CustomResourceDefinitions", func() error {
		defer webhookInputs.Done()
		defer close(firstDone)
		defer open(false)
		l, err := src.Dynamic.Resource(CRDResource).List(first, all)
		return list(&s.CRDs, l, err, func(l *unstructured.UnstructuredList) []unstructured.Unstructured { return l.Items })
	})
	<-opened
	trace("connected: +%v\n", time.Since(start))
	// A first read that failed without ever connecting means the other reads would only wait
	// out the same dial timeout again.
	if !connected {
		<-firstDone
		var status apierrors.APIStatus
		if s.CRDs.Err != nil && !errors.As(s.CRDs.Err, &status) {
			wg.Wait()
			return nil, &UnreachableError{Where: src.describe(), Err: s.CRDs.Err}
		}
	}
	run("version", func() error {
		s.Version.set(src.Discovery.ServerVersion())
		return s.Version.Err
	})
	run("discovery", func() error {
		groups, resources, err := src.Discovery.ServerGroupsAndResources()
		s.Discovery = Result[APIDiscovery]{Value: APIDiscovery{Groups: groups, Resources: resources}, Err: err}
		return err
	})
	run("APIServices", func() error {
		// The API server registers its own groups and the CRDs' with this label; only the
		// rest can name an extension API server, and they are few.
		registered := metav1.ListOptions{ResourceVersion: "0", LabelSelector: "!kube-aggregator.kubernetes.io/automanaged"}
		l, err := src.Dynamic.Resource(APIServiceResource).List(ctx, registered)
		return list(&s.APIServices, l, err, func(l *unstructured.UnstructuredList) []unstructured.Unstructured { return l.Items })
	})
	if !src.APIOnly {
		readTheRest(ctx, src, hooks, s, run, &webhookInputs)
	}
	wg.Wait()
	trace("all reads done: +%v\n", time.Since(start))
	refreshStaleDiscovery(s, src, hooks)
	trace("stale check done: +%v\n", time.Since(start))
	if s.Version.Err != nil {
		return nil, &UnreachableError{Where: src.describe(), Err: s.Version.Err}
	}
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	s.ReadAt = now()
	return s, nil
}

// readTheRest starts every read the architecture needs beyond the API's shape.
func readTheRest(ctx context.Context, src Source, hooks Hooks, s *Snapshot, run func(string, func() error), webhookInputs *sync.WaitGroup) {
	cs := src.Clientset
	all := metav1.ListOptions{ResourceVersion: "0"}
	if src.Probe != nil {
		run("/readyz", func() error { s.Readyz.set(src.Probe(ctx, "/readyz?verbose")); return s.Readyz.Err })
		run("/livez", func() error { s.Livez.set(src.Probe(ctx, "/livez?verbose")); return s.Livez.Err })
	}
	run("Leases in kube-system", func() error {
		l, err := cs.CoordinationV1().Leases(metav1.NamespaceSystem).List(ctx, all)
		return list(&s.Leases, l, err, func(l *coordinationv1.LeaseList) []coordinationv1.Lease { return l.Items })
	})
	run("Pods in kube-system", func() error {
		l, err := cs.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, all)
		return list(&s.SystemPods, l, err, func(l *corev1.PodList) []corev1.Pod { return l.Items })
	})
	run("Pods in all namespaces", func() error {
		// Every unfinished Pod is read once, a page at a time, and handed on: capacity and
		// the findings share this one read.
		n := 0
		err := listActivePods(ctx, cs, podPageSize, func(pods []corev1.Pod) {
			for i := range pods {
				if finished(&pods[i]) {
					continue
				}
				n++
				if hooks.ActivePod != nil {
					hooks.ActivePod(&pods[i])
				}
			}
		})
		s.ActivePods.set(n, err)
		return err
	})
	run("CertificateSigningRequests", func() error {
		l, err := cs.CertificatesV1().CertificateSigningRequests().List(ctx, all)
		return list(&s.CSRs, l, err, func(l *certificatesv1.CertificateSigningRequestList) []certificatesv1.CertificateSigningRequest {
			return l.Items
		})
	})
	run("nodes", func() error {
		l, err := cs.CoreV1().Nodes().List(ctx, all)
		return list(&s.Nodes, l, err, func(l *corev1.NodeList) []corev1.Node { return l.Items })
	})
	run("Deployments", func() error {
		l, err := cs.AppsV1().Deployments("").List(ctx, all)
		return list(&s.Deployments, l, err, func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items })
	})
	run("DaemonSets", func() error {
		l, err := cs.AppsV1().DaemonSets("").List(ctx, all)
		return list(&s.DaemonSets, l, err, func(l *appsv1.DaemonSetList) []appsv1.DaemonSet { return l.Items })
	})
	run("StatefulSets", func() error {
		l, err := cs.AppsV1().StatefulSets("").List(ctx, all)
		return list(&s.StatefulSets, l, err, func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items })
	})
	webhookInputs.Add(2)
	run("ValidatingWebhookConfigurations", func() error {
		defer webhookInputs.Done()
		l, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().List(ctx, all)
		return list(&s.ValidatingWebhooks, l, err, func(l *admissionregistrationv1.ValidatingWebhookConfigurationList) []admissionregistrationv1.ValidatingWebhookConfiguration {
			return l.Items
		})
	})
	run("MutatingWebhookConfigurations", func() error {
		defer webhookInputs.Done()
		l, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, all)
		return list(&s.MutatingWebhooks, l, err, func(l *admissionregistrationv1.MutatingWebhookConfigurationList) []admissionregistrationv1.MutatingWebhookConfiguration {
			return l.Items
		})
	})
	run("ClusterRoles", func() error {
		l, err := cs.RbacV1().ClusterRoles().List(ctx, all)
		return list(&s.ClusterRoles, l, err, func(l *rbacv1.ClusterRoleList) []rbacv1.ClusterRole { return l.Items })
	})
	run("ClusterRoleBindings", func() error {
		l, err := cs.RbacV1().ClusterRoleBindings().List(ctx, all)
		return list(&s.ClusterRoleBindings, l, err, func(l *rbacv1.ClusterRoleBindingList) []rbacv1.ClusterRoleBinding { return l.Items })
	})
	run("Roles", func() error {
		l, err := cs.RbacV1().Roles("").List(ctx, all)
		return list(&s.Roles, l, err, func(l *rbacv1.RoleList) []rbacv1.Role { return l.Items })
	})
	run("RoleBindings", func() error {
		l, err := cs.RbacV1().RoleBindings("").List(ctx, all)
		return list(&s.RoleBindings, l, err, func(l *rbacv1.RoleBindingList) []rbacv1.RoleBinding { return l.Items })
	})
	run("ConfigMap kube-system/kube-proxy", func() error {
		s.KubeProxyConfig.set(cs.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, "kube-proxy", metav1.GetOptions{}))
		return s.KubeProxyConfig.Err
	})
	s.WebhookServices = map[string]Result[*corev1.Service]{}
	run("webhook Services", func() error {
		webhookInputs.Wait()
		// Only the Services that webhooks name are read, which keeps this round small.
		var mu sync.Mutex
		var gets sync.WaitGroup
		var failed error
		for _, ref := range webhookServices(s) {
			gets.Add(1)
			go func() {
				defer gets.Done()
				svc, err := cs.CoreV1().Services(ref[0]).Get(ctx, ref[1], metav1.GetOptions{})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed = err
				}
				var r Result[*corev1.Service]
				r.set(svc, err)
				s.WebhookServices[ref[0]+"/"+ref[1]] = r
			}()
		}
		gets.Wait()
		return failed
	})
}

// webhookServices lists namespace/name of every Service that a CRD's conversion webhook or
// an admission webhook names: their selectors lead to operators and to the workloads that
// answer webhooks.
func webhookServices(s *Snapshot) [][2]string {
	seen := map[string]bool{}
	var out [][2]string
	add := func(ref *admissionregistrationv1.ServiceReference) {
		if ref == nil || ref.Namespace == "" || ref.Name == "" || seen[ref.Namespace+"/"+ref.Name] {
			return
		}
		seen[ref.Namespace+"/"+ref.Name] = true
		out = append(out, [2]string{ref.Namespace, ref.Name})
	}
	for _, c := range s.CRDs.Value {
		ns, _, _ := unstructured.NestedString(c.Object, "spec", "conversion", "webhook", "clientConfig", "service", "namespace")
		name, _, _ := unstructured.NestedString(c.Object, "spec", "conversion", "webhook", "clientConfig", "service", "name")
		add(&admissionregistrationv1.ServiceReference{Namespace: ns, Name: name})
	}
	for _, c := range s.MutatingWebhooks.Value {
		for _, w := range c.Webhooks {
			add(w.ClientConfig.Service)
		}
	}
	for _, c := range s.ValidatingWebhooks.Value {
		for _, w := range c.Webhooks {
			add(w.ClientConfig.Service)
		}
	}
	return out
}

// listActivePods reads the Pods of every namespace that are not finished, page by page,
// and hands each page to visit before reading the next, so only one page is held at a time.
func listActivePods(ctx context.Context, cs kubernetes.Interface, pageSize int64, visit func([]corev1.Pod)) error {
	opts := metav1.ListOptions{FieldSelector: activePods, Limit: pageSize}
	for {
		l, err := cs.CoreV1().Pods("").List(ctx, opts)
		if err != nil {
			return err
		}
		visit(l.Items)
		if l.Continue == "" {
			return nil
		}
		opts.Continue = l.Continue
	}
}

// finished reports a Pod the field selector should have left out; fakes and old servers
// may not honour it.
func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// refreshStaleDiscovery re-reads discovery when cached discovery disagrees with the CRDs, as
// kubectl does when a kind is missing from its cache: a CRD created, given a new version or
// deleted since the cache was written would otherwise be shown wrongly for hours.
func refreshStaleDiscovery(s *Snapshot, src Source, hooks Hooks) {
	cached, ok := src.Discovery.(discovery.CachedDiscoveryInterface)
	if !ok || cached.Fresh() || s.CRDs.Err != nil || s.Discovery.Err != nil || hooks.DiscoveryStale == nil {
		return
	}
	if hooks.DiscoveryStale(s) {
		cached.Invalidate()
		groups, resources, err := cached.ServerGroupsAndResources()
		s.Discovery = Result[APIDiscovery]{Value: APIDiscovery{Groups: groups, Resources: resources}, Err: err}
	}
}

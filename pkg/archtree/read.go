package archtree

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
)

// Clients are what the tree is read with. Discovery should be a cached client: the kinds
// an operator may have created are found from it on every run.
type Clients struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Metadata  metadata.Interface
	Discovery discovery.DiscoveryInterface
	// Mapper turns an autoscaler's target kind into a resource; optional.
	Mapper meta.RESTMapper
}

// object is one object read from the cluster: typed for the built-in kinds the tree knows,
// unstructured for custom resources, metadata only for the rest. obj is nil when the object
// was named by another but could not be found (or, with unread, could not be read).
type object struct {
	gvr       schema.GroupVersionResource
	kind      string
	namespace string
	name      string
	obj       any
	meta      metav1.Object
	unread    string
}

func (o object) key() string {
	return o.gvr.GroupResource().String() + "/" + o.namespace + "/" + o.name
}

// kindDef is a namespaced kind the tree reads typed, listing the namespace once.
type kindDef struct {
	gvr  schema.GroupVersionResource
	kind string
	list func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error)
}

func ptrs[T any](items []T) []any {
	out := make([]any, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

var (
	gvrPods            = corev1.SchemeGroupVersion.WithResource("pods")
	gvrServices        = corev1.SchemeGroupVersion.WithResource("services")
	gvrPVCs            = corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims")
	gvrServiceAccounts = corev1.SchemeGroupVersion.WithResource("serviceaccounts")
	gvrConfigMaps      = corev1.SchemeGroupVersion.WithResource("configmaps")
	gvrSecrets         = corev1.SchemeGroupVersion.WithResource("secrets")
	gvrNodes           = corev1.SchemeGroupVersion.WithResource("nodes")
	gvrPVs             = corev1.SchemeGroupVersion.WithResource("persistentvolumes")
	gvrDeployments     = appsv1.SchemeGroupVersion.WithResource("deployments")
	gvrReplicaSets     = appsv1.SchemeGroupVersion.WithResource("replicasets")
	gvrStatefulSets    = appsv1.SchemeGroupVersion.WithResource("statefulsets")
	gvrDaemonSets      = appsv1.SchemeGroupVersion.WithResource("daemonsets")
	gvrJobs            = batchv1.SchemeGroupVersion.WithResource("jobs")
	gvrCronJobs        = batchv1.SchemeGroupVersion.WithResource("cronjobs")
	gvrEndpointSlices  = discoveryv1.SchemeGroupVersion.WithResource("endpointslices")
	gvrHPAs            = autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers")
	gvrPDBs            = policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets")
	gvrRoleBindings    = rbacv1.SchemeGroupVersion.WithResource("rolebindings")
	gvrRoles           = rbacv1.SchemeGroupVersion.WithResource("roles")
	gvrClusterRoles    = rbacv1.SchemeGroupVersion.WithResource("clusterroles")
	gvrClusterBindings = rbacv1.SchemeGroupVersion.WithResource("clusterrolebindings")
	gvrStorageClasses  = storagev1.SchemeGroupVersion.WithResource("storageclasses")
)

var typedKinds = map[schema.GroupResource]kindDef{}

func init() {
	for _, d := range []kindDef{
		{gvrPods, "Pod", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrServices, "Service", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrPVCs, "PersistentVolumeClaim", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrServiceAccounts, "ServiceAccount", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrDeployments, "Deployment", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrReplicaSets, "ReplicaSet", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrStatefulSets, "StatefulSet", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrDaemonSets, "DaemonSet", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrJobs, "Job", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrCronJobs, "CronJob", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrEndpointSlices, "EndpointSlice", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrHPAs, "HorizontalPodAutoscaler", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrPDBs, "PodDisruptionBudget", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.PolicyV1().PodDisruptionBudgets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
		{gvrRoleBindings, "RoleBinding", func(ctx context.Context, c kubernetes.Interface, ns string) ([]any, error) {
			l, err := c.RbacV1().RoleBindings(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return ptrs(l.Items), nil
		}},
	} {
		typedKinds[d.gvr.GroupResource()] = d
	}
}

// metadataKinds are read as metadata only: the tree needs their names, not their data (and
// a Secret's data is none of its business).
var metadataKinds = map[schema.GroupResource]string{
	gvrConfigMaps.GroupResource(): "ConfigMap",
	gvrSecrets.GroupResource():    "Secret",
}

// reader reads each kind at most once per run and keeps what could not be read as notes.
type reader struct {
	ctx   context.Context
	c     Clients
	ns    string
	lists map[schema.GroupResource][]object
	// failed says, for kinds that could not be listed, what to show for their objects.
	failed map[schema.GroupResource]string
	gets   map[string]object
	notes  []string
	noted  map[string]bool
	scan   []scanKind
	// scanned is true once the namespace's listable kinds were found from discovery.
	scanned bool
}

// scanKind is a namespaced, listable kind where an operator's objects may be.
type scanKind struct {
	gvr  schema.GroupVersionResource
	kind string
}

func newReader(ctx context.Context, c Clients, ns string) *reader {
	return &reader{ctx: ctx, c: c, ns: ns, lists: map[schema.GroupResource][]object{}, failed: map[schema.GroupResource]string{}, gets: map[string]object{}, noted: map[string]bool{}}
}

func (r *reader) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !r.noted[s] {
		r.noted[s] = true
		r.notes = append(r.notes, s)
	}
}

// whyShort words a read error in a few words, for a note that groups several kinds.
func whyShort(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden"
	case apierrors.IsNotFound(err), apierrors.IsMethodNotSupported(err):
		return "not served"
	}
	return "error"
}

// why words a read error for a note.
func why(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden"
	case apierrors.IsNotFound(err):
		return "not served by this cluster"
	}
	return err.Error()
}

func wrap(gvr schema.GroupVersionResource, kind string, obj any) object {
	o := object{gvr: gvr, kind: kind, obj: obj}
	if m, err := meta.Accessor(obj); err == nil {
		o.meta = m
		o.namespace, o.name = m.GetNamespace(), m.GetName()
	}
	return o
}

// list returns the namespace's objects of one kind, read once. A kind that cannot be listed
// leaves a note and an empty list.
func (r *reader) list(gvr schema.GroupVersionResource, kind string) []object {
	gr := gvr.GroupResource()
	if l, ok := r.lists[gr]; ok {
		return l
	}
	if r.ns == "" {
		// A cluster-scoped root has no namespace to look in; listing every namespace
		// would be far slower than the question deserves.
		r.lists[gr] = nil
		return nil
	}
	out, err := r.fetch(gvr, kind)
	r.store(gr, out, err)
	if err != nil {
		r.note("Could not list %s in namespace %s (%s): the tree leaves them out.", gr, r.ns, why(err))
	}
	return out
}

// store keeps a kind's list, and why it failed, for the rest of the run.
func (r *reader) store(gr schema.GroupResource, out []object, err error) {
	r.lists[gr] = out
	if err != nil {
		r.failed[gr] = unreadWord(err)
	}
}

// fetch lists one kind in the namespace: typed for the kinds the tree reads in full,
// metadata only for the rest. It touches no reader state, so kinds can be fetched in
// parallel.
func (r *reader) fetch(gvr schema.GroupVersionResource, kind string) ([]object, error) {
	gr := gvr.GroupResource()
	var out []object
	if d, ok := typedKinds[gr]; ok {
		items, err := d.list(r.ctx, r.c.Kube, r.ns)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			out = append(out, wrap(d.gvr, d.kind, it))
		}
	} else {
		if k, ok := metadataKinds[gr]; ok {
			kind = k
		}
		l, err := r.c.Metadata.Resource(gvr).Namespace(r.ns).List(r.ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			out = append(out, wrap(gvr, kind, &l.Items[i]))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// prefetch lists the kinds not yet read, a few at a time: a custom resource's owned objects
// may be of any kind, and one list after another would take seconds on a cluster serving a
// hundred kinds. Kinds that cannot be listed are named in one note, not one note each.
func (r *reader) prefetch(kinds []scanKind, why string) {
	if r.ns == "" {
		return
	}
	var todo []scanKind
	for _, k := range kinds {
		if _, ok := r.lists[k.gvr.GroupResource()]; !ok {
			todo = append(todo, k)
		}
	}
	type result struct {
		out []object
		err error
	}
	results := make([]result, len(todo))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, k := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := r.fetch(k.gvr, k.kind)
			results[i] = result{out, err}
		}()
	}
	wg.Wait()
	byReason := map[string][]string{}
	var reasons []string
	for i, k := range todo {
		gr := k.gvr.GroupResource()
		err := results[i].err
		if apierrors.IsNotFound(err) {
			// Cached discovery can name a kind whose CRD was deleted since: no objects of
			// it exist, so none can be missing from the tree.
			err = nil
		}
		r.store(gr, results[i].out, err)
		if err != nil {
			w := whyShort(err)
			if byReason[w] == nil {
				reasons = append(reasons, w)
			}
			byReason[w] = append(byReason[w], gr.String())
		}
	}
	for _, w := range reasons {
		names := byReason[w]
		r.note("Could not list %s in namespace %s (%s) to look for %s: %s.", plural(len(names), "kind"), r.ns, w, why, strings.Join(names, ", "))
	}
}

// unreadWord is the status of an object whose kind could not be read.
func unreadWord(err error) string {
	if apierrors.IsForbidden(err) {
		return "Forbidden"
	}
	return "Unreadable"
}

// find returns a namespaced object of a listed kind by name; a missing one has a nil obj.
func (r *reader) find(gvr schema.GroupVersionResource, kind, name string) object {
	for _, o := range r.list(gvr, kind) {
		if o.name == name {
			return o
		}
	}
	return object{gvr: gvr, kind: kind, namespace: r.ns, name: name, unread: r.failed[gvr.GroupResource()]}
}

// get reads one object by name, cluster-scoped or in a namespace, once per run.
func (r *reader) get(gvr schema.GroupVersionResource, kind, ns, name string) object {
	o := object{gvr: gvr, kind: kind, namespace: ns, name: name}
	k := o.key()
	if got, ok := r.gets[k]; ok {
		return got
	}
	var obj any
	var err error
	switch gvr.GroupResource() {
	case gvrNodes.GroupResource():
		obj, err = r.c.Kube.CoreV1().Nodes().Get(r.ctx, name, metav1.GetOptions{})
	case gvrPVs.GroupResource():
		obj, err = r.c.Kube.CoreV1().PersistentVolumes().Get(r.ctx, name, metav1.GetOptions{})
	case gvrPVCs.GroupResource():
		obj, err = r.c.Kube.CoreV1().PersistentVolumeClaims(ns).Get(r.ctx, name, metav1.GetOptions{})
	case gvrStorageClasses.GroupResource():
		obj, err = r.c.Kube.StorageV1().StorageClasses().Get(r.ctx, name, metav1.GetOptions{})
	case gvrRoles.GroupResource():
		obj, err = r.c.Kube.RbacV1().Roles(ns).Get(r.ctx, name, metav1.GetOptions{})
	case gvrClusterRoles.GroupResource():
		obj, err = r.c.Kube.RbacV1().ClusterRoles().Get(r.ctx, name, metav1.GetOptions{})
	default:
		var u *unstructured.Unstructured
		res := r.c.Dynamic.Resource(gvr)
		if ns != "" {
			u, err = res.Namespace(ns).Get(r.ctx, name, metav1.GetOptions{})
		} else {
			u, err = res.Get(r.ctx, name, metav1.GetOptions{})
		}
		if err == nil {
			obj = typed(u)
		}
	}
	switch {
	case err == nil:
		o = wrap(gvr, kind, obj)
	case apierrors.IsNotFound(err):
	default:
		o.unread = unreadWord(err)
		r.note("Could not read %s %s (%s).", strings.ToLower(kind), name, why(err))
	}
	r.gets[k] = o
	return o
}

// typed converts a built-in kind to its Go type, so its status is read the same way
// whichever client fetched it; custom resources stay unstructured.
func typed(u *unstructured.Unstructured) any {
	gvk := u.GroupVersionKind()
	if !scheme.Scheme.Recognizes(gvk) {
		return u
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return u
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return u
	}
	return obj
}

// clusterRoleBindings are listed once: the only way to find those that name an account.
func (r *reader) clusterRoleBindings() []*rbacv1.ClusterRoleBinding {
	const key = "clusterrolebindings"
	if _, ok := r.gets[key]; !ok {
		l, err := r.c.Kube.RbacV1().ClusterRoleBindings().List(r.ctx, metav1.ListOptions{})
		o := object{}
		if err != nil {
			r.note("Could not list clusterrolebindings (%s): cluster-wide permissions are left out.", why(err))
		} else {
			o.obj = l
		}
		r.gets[key] = o
	}
	l, _ := r.gets[key].obj.(*rbacv1.ClusterRoleBindingList)
	if l == nil {
		return nil
	}
	out := make([]*rbacv1.ClusterRoleBinding, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out
}

// scanKinds are the namespaced kinds that support list, from (cached) discovery: where an
// operator's objects may be. Events are left out: many, and never owned by what they
// describe.
func (r *reader) scanKinds() []scanKind {
	if r.scanned {
		return r.scan
	}
	r.scanned = true
	lists, err := discovery.ServerPreferredNamespacedResources(r.c.Discovery)
	if err != nil {
		if len(lists) == 0 {
			r.note("Could not discover the cluster's kinds (%s): objects owned by custom resources are left out.", why(err))
			return nil
		}
		r.note("Some API groups did not answer discovery (%s): objects of their kinds are left out.", why(err))
	}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, res := range l.APIResources {
			if strings.Contains(res.Name, "/") || res.Name == "events" || !contains(res.Verbs, "list") {
				continue
			}
			r.scan = append(r.scan, scanKind{gvr: gv.WithResource(res.Name), kind: res.Kind})
		}
	}
	sort.Slice(r.scan, func(i, j int) bool { return r.scan[i].gvr.String() < r.scan[j].gvr.String() })
	return r.scan
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// resourceFor finds the resource of a kind named by apiVersion and kind (an autoscaler's
// target).
func (r *reader) resourceFor(apiVersion, kind string) (schema.GroupVersionResource, bool) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return schema.GroupVersionResource{}, false
	}
	for _, d := range typedKinds {
		if d.kind == kind && d.gvr.Group == gv.Group {
			return d.gvr, true
		}
	}
	if r.c.Mapper != nil {
		if m, err := r.c.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: kind}, gv.Version); err == nil {
			return m.Resource, true
		}
	}
	for _, s := range r.scanKinds() {
		if s.kind == kind && s.gvr.Group == gv.Group {
			return s.gvr, true
		}
	}
	return schema.GroupVersionResource{}, false
}

package archtree_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/client-go/restmapper"

	"github.com/kubectl-katib/plugins/pkg/archtree"
)

// created is every fixture object's creation time; now is an hour later, so ages are fixed.
var (
	created = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now     = created.Add(time.Hour)
)

// preferredDiscovery answers ServerPreferredResources from its resource lists, which the
// client-go fake leaves empty.
type preferredDiscovery struct{ *fakediscovery.FakeDiscovery }

func (d preferredDiscovery) ServerPreferredResources() ([]*metav1.APIResourceList, error) {
	return d.Resources, nil
}

func (d preferredDiscovery) ServerPreferredNamespacedResources() ([]*metav1.APIResourceList, error) {
	return d.Resources, nil
}

// resources is what the fake cluster serves.
var resources = []*metav1.APIResourceList{
	{GroupVersion: "v1", APIResources: []metav1.APIResource{
		{Name: "pods", SingularName: "pod", ShortNames: []string{"po"}, Namespaced: true, Kind: "Pod", Verbs: []string{"get", "list"}},
		{Name: "services", SingularName: "service", ShortNames: []string{"svc"}, Namespaced: true, Kind: "Service", Verbs: []string{"get", "list"}},
		{Name: "configmaps", SingularName: "configmap", ShortNames: []string{"cm"}, Namespaced: true, Kind: "ConfigMap", Verbs: []string{"get", "list"}},
		{Name: "secrets", SingularName: "secret", Namespaced: true, Kind: "Secret", Verbs: []string{"get", "list"}},
		{Name: "serviceaccounts", SingularName: "serviceaccount", ShortNames: []string{"sa"}, Namespaced: true, Kind: "ServiceAccount", Verbs: []string{"get", "list"}},
		{Name: "persistentvolumeclaims", SingularName: "persistentvolumeclaim", ShortNames: []string{"pvc"}, Namespaced: true, Kind: "PersistentVolumeClaim", Verbs: []string{"get", "list"}},
		{Name: "events", SingularName: "event", Namespaced: true, Kind: "Event", Verbs: []string{"get", "list"}},
		{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: []string{"get"}},
		{Name: "nodes", SingularName: "node", ShortNames: []string{"no"}, Kind: "Node", Verbs: []string{"get", "list"}},
		{Name: "persistentvolumes", SingularName: "persistentvolume", ShortNames: []string{"pv"}, Kind: "PersistentVolume", Verbs: []string{"get", "list"}},
	}},
	{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
		{Name: "deployments", SingularName: "deployment", ShortNames: []string{"deploy"}, Namespaced: true, Kind: "Deployment", Verbs: []string{"get", "list"}},
		{Name: "replicasets", SingularName: "replicaset", ShortNames: []string{"rs"}, Namespaced: true, Kind: "ReplicaSet", Verbs: []string{"get", "list"}},
	}},
	{GroupVersion: "batch/v1", APIResources: []metav1.APIResource{
		{Name: "jobs", SingularName: "job", Namespaced: true, Kind: "Job", Verbs: []string{"get", "list"}},
	}},
	{GroupVersion: "autoscaling/v2", APIResources: []metav1.APIResource{
		{Name: "horizontalpodautoscalers", SingularName: "horizontalpodautoscaler", ShortNames: []string{"hpa"}, Namespaced: true, Kind: "HorizontalPodAutoscaler", Verbs: []string{"get", "list"}},
	}},
	{GroupVersion: "widgets.example.io/v1", APIResources: []metav1.APIResource{
		{Name: "widgets", SingularName: "widget", ShortNames: []string{"wdg"}, Namespaced: true, Kind: "Widget", Verbs: []string{"get", "list"}},
	}},
}

// fixture is a fake cluster holding objs in every client: typed objects in the clientset,
// all of them in the dynamic client and their metadata in the metadata client.
type fixture struct {
	kube    *kubefake.Clientset
	meta    *metadatafake.FakeMetadataClient
	clients archtree.Clients
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	var typed, dyn, metas []runtime.Object
	for _, o := range objs {
		m, err := meta.Accessor(o)
		if err != nil {
			t.Fatal(err)
		}
		m.SetCreationTimestamp(created)
		u := &unstructured.Unstructured{}
		if uo, ok := o.(*unstructured.Unstructured); ok {
			u = uo
		} else {
			typed = append(typed, o)
			gvks, _, err := scheme.Scheme.ObjectKinds(o)
			if err != nil {
				t.Fatal(err)
			}
			u.Object, err = runtime.DefaultUnstructuredConverter.ToUnstructured(o)
			if err != nil {
				t.Fatal(err)
			}
			u.SetGroupVersionKind(gvks[0])
		}
		dyn = append(dyn, u)
		pm := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: u.GetAPIVersion(), Kind: u.GetKind()}}
		pm.Name, pm.Namespace, pm.UID = m.GetName(), m.GetNamespace(), m.GetUID()
		pm.Labels, pm.OwnerReferences, pm.CreationTimestamp = m.GetLabels(), m.GetOwnerReferences(), created
		metas = append(metas, pm)
	}
	kube := kubefake.NewClientset(typed...)
	disc := preferredDiscovery{kube.Discovery().(*fakediscovery.FakeDiscovery)}
	disc.Resources = resources
	groups, err := restmapper.GetAPIGroupResources(disc)
	if err != nil {
		t.Fatal(err)
	}
	ms := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(ms); err != nil {
		t.Fatal(err)
	}
	mc := metadatafake.NewSimpleMetadataClient(ms, metas...)
	return &fixture{kube: kube, meta: mc, clients: archtree.Clients{
		Kube:      kube,
		Dynamic:   dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), dyn...),
		Metadata:  mc,
		Discovery: disc,
		Mapper:    restmapper.NewShortcutExpander(restmapper.NewDiscoveryRESTMapper(groups), disc, nil),
	}}
}

func (f *fixture) build(t *testing.T, resource, kind, ns, name string) *archtree.Tree {
	t.Helper()
	gv := schema.GroupVersion{Version: "v1"}
	if g, r, ok := strings.Cut(resource, "."); ok {
		resource = g
		for _, l := range resources {
			if pgv, _ := schema.ParseGroupVersion(l.GroupVersion); pgv.Group == r {
				gv = pgv
			}
		}
	}
	tree, err := archtree.Build(t.Context(), f.clients, archtree.Target{GVR: gv.WithResource(resource), Kind: kind, Namespace: ns, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// chain reports whether the tree holds the path of KIND/NAME labels from its root down,
// each step optionally "relation KIND/NAME".
func chain(tree *archtree.Tree, steps ...string) bool {
	n := tree.Root
	if steps[0] != n.Kind+"/"+n.Name {
		return false
	}
next:
	for _, s := range steps[1:] {
		for _, c := range n.Children {
			label := c.Kind + "/" + c.Name
			if s == label || s == c.Relation+" "+label {
				n = c
				continue next
			}
		}
		return false
	}
	return true
}

func find(tree *archtree.Tree, kind, name string) *archtree.Node {
	var out *archtree.Node
	tree.Root.Walk(func(n, _ *archtree.Node) {
		if out == nil && n.Kind == kind && n.Name == name && !n.Seen {
			out = n
		}
	})
	return out
}

// Package archtest builds fake clusters for tests of the architecture model and of the
// commands that print it: a kubeadm-style cluster with operators, a managed cluster that
// hides its control plane, and a user who may read almost nothing.
package archtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// Now is the fixed clock of every fixture.
var Now = time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)

const readyz = `[+]ping ok
[+]log ok
[+]etcd ok
[+]etcd-readiness ok
[+]informer-sync ok
[+]poststarthook/start-apiextensions-controllers ok
[+]shutdown ok
readyz check passed
`

const livez = `[+]ping ok
[+]log ok
[+]etcd ok
livez check passed
`

func probe(ctx context.Context, path string) ([]byte, error) {
	switch path {
	case "/readyz?verbose":
		return []byte(readyz), nil
	case "/livez?verbose":
		return []byte(livez), nil
	}
	return nil, fmt.Errorf("unexpected path %s", path)
}

func meta(ns, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}
}

func staticPod(name, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: meta("kube-system", name+"-"+node, map[string]string{"component": name, "tier": "control-plane"}),
		Spec:   corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: name, Image: "registry.k8s.io/" + name + ":v1.36.3"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func lease(name, holder string, labels map[string]string) *coordinationv1.Lease {
	t := metav1.NewMicroTime(Now.Add(-5 * time.Second))
	return &coordinationv1.Lease{ObjectMeta: meta("kube-system", name, labels),
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(holder), RenewTime: &t}}
}

func node(name string, roles ...string) *corev1.Node {
	labels := map[string]string{"kubernetes.io/hostname": name}
	for _, r := range roles {
		labels["node-role.kubernetes.io/"+r] = ""
	}
	q := func(s string) resource.Quantity { return resource.MustParse(s) }
	return &corev1.Node{ObjectMeta: meta("", name, labels),
		Spec: corev1.NodeSpec{PodCIDR: "10.244.0.0/24"},
		Status: corev1.NodeStatus{
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.36.3", ContainerRuntimeVersion: "containerd://2.1.4",
				OperatingSystem: "linux", Architecture: "amd64", OSImage: "Debian GNU/Linux 12 (bookworm)", KernelVersion: "6.1.0-40-amd64"},
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}},
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: q("4"), corev1.ResourceMemory: q("16Gi"), corev1.ResourcePods: q("110")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: q("4"), corev1.ResourceMemory: q("15Gi"), corev1.ResourcePods: q("110")},
		}}
}

func deployment(ns, name, sa string, labels map[string]string, ready int32) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: meta(ns, name, labels),
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(max(ready, 1)), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec:       corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "main", Image: "example.com/" + name + ":v1"}}},
		}},
		Status: appsv1.DeploymentStatus{ReadyReplicas: ready, AvailableReplicas: ready}}
}

func daemonSet(name string, labels map[string]string) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{ObjectMeta: meta("kube-system", name, labels),
		Spec:   appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "example.com/" + name + ":v1"}}}}},
		Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, NumberReady: 2}}
}

func statefulSet(ns, name, sa string, labels map[string]string) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: meta(ns, name, labels),
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(int32(1)), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec:       corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "main", Image: "example.com/" + name + ":v1"}}},
		}},
		Status: appsv1.StatefulSetStatus{ReadyReplicas: 1}}
}

// validatingHook is a webhook configuration whose one webhook covers groups/resources and
// is served by Service ns/name.
func validatingHook(config string, groups, resources []string, ns, name string) *admissionregistrationv1.ValidatingWebhookConfiguration {
	return &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: meta("", config, nil),
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "validate." + config + ".example.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: ns, Name: name}},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: groups, APIVersions: []string{"*"}, Resources: resources}}}}}}
}

func crd(group, kind, plural string, labels map[string]string, webhook *[2]string) *unstructured.Unstructured {
	spec := map[string]any{
		"group": group, "scope": "Namespaced",
		"names":    map[string]any{"kind": kind, "plural": plural},
		"versions": []any{map[string]any{"name": "v1beta1", "served": true, "storage": true}},
	}
	if webhook != nil {
		spec["conversion"] = map[string]any{"strategy": "Webhook", "webhook": map[string]any{
			"clientConfig": map[string]any{"service": map[string]any{"namespace": webhook[0], "name": webhook[1]}}}}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": plural + "." + group}, "spec": spec}}
	if labels != nil {
		u.SetLabels(labels)
	}
	return u
}

func resources() []*metav1.APIResourceList {
	all := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	r := func(name, kind string, namespaced bool, short ...string) metav1.APIResource {
		return metav1.APIResource{Name: name, Kind: kind, Namespaced: namespaced, ShortNames: short, Verbs: all}
	}
	return []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{r("pods", "Pod", true, "po"), r("pods/status", "Pod", true),
			r("nodes", "Node", false, "no"), r("services", "Service", true, "svc"), r("namespaces", "Namespace", false, "ns")}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{r("deployments", "Deployment", true, "deploy"), r("replicasets", "ReplicaSet", true, "rs"), r("daemonsets", "DaemonSet", true, "ds")}},
		{GroupVersion: "coordination.k8s.io/v1", APIResources: []metav1.APIResource{r("leases", "Lease", true)}},
		{GroupVersion: "apiextensions.k8s.io/v1", APIResources: []metav1.APIResource{r("customresourcedefinitions", "CustomResourceDefinition", false, "crd", "crds")}},
		{GroupVersion: "kubeflow.org/v1beta1", APIResources: []metav1.APIResource{r("experiments", "Experiment", true), r("trials", "Trial", true), r("suggestions", "Suggestion", true)}},
		{GroupVersion: "cert.example.io/v1", APIResources: []metav1.APIResource{r("certificates", "Certificate", true, "cert")}},
		{GroupVersion: "storage.example.io/v1", APIResources: []metav1.APIResource{r("backups", "Backup", true)}},
	}
}

var listKinds = map[schema.GroupVersionResource]string{read.CRDResource: "CustomResourceDefinitionList", read.APIServiceResource: "APIServiceList"}

// apiService registers group/version; with a service it is aggregated, and available says
// what the API server last found when it tried that service.
func apiService(group, version string, service *[2]string, available bool, reason, message string) *unstructured.Unstructured {
	spec := map[string]any{"group": group, "version": version, "groupPriorityMinimum": int64(100), "versionPriority": int64(100)}
	if service != nil {
		spec["service"] = map[string]any{"namespace": service[0], "name": service[1]}
	}
	status := "True"
	if !available {
		status = "False"
	}
	name := version + "." + group
	if group == "" {
		name = version
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": name}, "spec": spec,
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Available", "status": status, "reason": reason, "message": message}}}}}
}

func build(objs []runtime.Object, crds []runtime.Object) (*fake.Clientset, *dynamicfake.FakeDynamicClient, read.Source) {
	cs := fake.NewClientset(objs...)
	disc := cs.Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = resources()
	disc.FakedServerVersion = &version.Info{GitVersion: "v1.36.3", Platform: "linux/amd64"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, crds...)
	src := read.Source{Clientset: cs, Dynamic: dyn, Discovery: disc, Probe: probe, Server: "https://10.0.0.1:6443", Context: "kubernetes-admin@fixture",
		Now: func() time.Time { return Now }}
	return cs, dyn, src
}

// Kubeadm is a two-node cluster with static control-plane Pods, leases, add-ons and CRDs:
// some whose operator has RBAC, one served by a conversion webhook, one whose operator is a
// StatefulSet serving its admission webhook, one with none; and a policy engine whose
// webhook covers every group, which must not pass for anyone's operator.
func Kubeadm() read.Source {
	katib := map[string]string{"app.kubernetes.io/part-of": "katib", "app.kubernetes.io/name": "katib-controller"}
	objs := []runtime.Object{
		node("cp-1", "control-plane"), node("worker-1"),
		staticPod("etcd", "cp-1"), staticPod("kube-apiserver", "cp-1"), staticPod("kube-scheduler", "cp-1"), staticPod("kube-controller-manager", "cp-1"),
		lease("kube-scheduler", "cp-1_3f1e2d4c-0000-4000-8000-000000000001", nil),
		lease("kube-controller-manager", "cp-1_9a8b7c6d-0000-4000-8000-000000000002", nil),
		lease("apiserver-abc123", "apiserver-abc123_cp-1", map[string]string{"apiserver.kubernetes.io/identity": "kube-apiserver"}),
		deployment("kube-system", "coredns", "coredns", map[string]string{"k8s-app": "kube-dns"}, 1),
		deployment("kubeflow", "katib-controller", "katib-controller", katib, 1),
		deployment("kubeflow", "web-ui", "default", map[string]string{"app": "web-ui"}, 1),
		deployment("cert-system", "cert-operator", "cert-operator", map[string]string{"app": "cert-operator"}, 0),
		daemonSet("kube-proxy", map[string]string{"k8s-app": "kube-proxy"}),
		daemonSet("calico-node", map[string]string{"k8s-app": "calico-node"}),
		&corev1.ConfigMap{ObjectMeta: meta("kube-system", "kube-proxy", nil), Data: map[string]string{"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nmode: ipvs\n"}},
		&corev1.Service{ObjectMeta: meta("cert-system", "cert-webhook", nil), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "cert-operator"}}},
		statefulSet("storage", "backup-operator", "backup-operator", map[string]string{"app": "backup-operator"}),
		&corev1.Service{ObjectMeta: meta("storage", "backup-webhook", nil), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "backup-operator"}}},
		validatingHook("backup-validation", []string{"storage.example.io"}, []string{"backups"}, "storage", "backup-webhook"),
		deployment("policy", "policy-engine", "policy-engine", map[string]string{"app": "policy-engine"}, 1),
		&corev1.Service{ObjectMeta: meta("policy", "policy-engine", nil), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "policy-engine"}}},
		validatingHook("policy-engine", []string{"*"}, []string{"*"}, "policy", "policy-engine"),
		&rbacv1.ClusterRole{ObjectMeta: meta("", "katib-controller", nil), Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"kubeflow.org"}, Resources: []string{"experiments", "experiments/status", "trials"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: meta("", "katib-controller", nil), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "katib-controller"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "kubeflow", Name: "katib-controller"}}},
		&rbacv1.ClusterRole{ObjectMeta: meta("", "cluster-admin", nil), Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}},
		&rbacv1.RoleBinding{ObjectMeta: meta("kubeflow", "web-ui-admin", nil), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}}},
	}
	crds := []runtime.Object{
		crd("kubeflow.org", "Experiment", "experiments", map[string]string{"app.kubernetes.io/part-of": "katib"}, nil),
		crd("kubeflow.org", "Trial", "trials", nil, nil),
		crd("kubeflow.org", "Suggestion", "suggestions", nil, nil),
		crd("cert.example.io", "Certificate", "certificates", nil, &[2]string{"cert-system", "cert-webhook"}),
		crd("storage.example.io", "Backup", "backups", nil, nil),
		apiService("apps", "v1", nil, true, "Local", "Local APIServices are always available"),
		apiService("metrics.k8s.io", "v1beta1", &[2]string{"kube-system", "metrics-server"}, true, "Passed", "all checks passed"),
	}
	cs, _, src := build(objs, crds)
	disc := cs.Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = append(disc.Resources, &metav1.APIResourceList{GroupVersion: "metrics.k8s.io/v1beta1", APIResources: []metav1.APIResource{
		{Name: "nodes", Kind: "NodeMetrics", Verbs: []string{"get", "list"}}, {Name: "pods", Kind: "PodMetrics", Namespaced: true, Verbs: []string{"get", "list"}}}})
	return src
}

// Managed is a cluster whose provider runs the control plane: no control-plane Pods, no
// scheduler or controller-manager Leases, only nodes, add-ons and the API's health checks.
func Managed() read.Source {
	objs := []runtime.Object{
		node("gke-pool-1-a"), node("gke-pool-1-b"), node("gke-pool-1-c"), node("gke-pool-1-d"),
		deployment("kube-system", "kube-dns", "kube-dns", map[string]string{"k8s-app": "kube-dns"}, 2),
		deployment("kube-system", "metrics-server", "metrics-server", map[string]string{"k8s-app": "metrics-server"}, 0),
		daemonSet("kube-proxy", map[string]string{"k8s-app": "kube-proxy"}),
		// A provider's policy webhook whose Pods are all gone: writes to Deployments fail.
		deployment("kube-system", "policy-webhook", "policy-webhook", map[string]string{"app": "policy-webhook"}, 0),
		&corev1.Service{ObjectMeta: meta("kube-system", "policy-webhook", nil), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "policy-webhook"}}},
		validatingHook("provider-policy", []string{"apps"}, []string{"deployments"}, "kube-system", "policy-webhook"),
	}
	// metrics-server is scaled to zero, so the API server finds no endpoint for its group.
	cs, _, src := build(objs, []runtime.Object{apiService("metrics.k8s.io", "v1beta1", &[2]string{"kube-system", "metrics-server"}, false,
		"MissingEndpoints", "endpoints for service/metrics-server in \"kube-system\" have no addresses with port name \"https\"")})
	// Leases in kube-system are not readable for customers of some providers.
	cs.PrependReactor("list", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "", fmt.Errorf("managed"))
	})
	return src
}

// Restricted is a user with a namespaced Role only: every cluster-wide read is forbidden.
func Restricted() read.Source {
	cs, dyn, src := build([]runtime.Object{node("cp-1")}, []runtime.Object{crd("kubeflow.org", "Experiment", "experiments", nil, nil)})
	forbid := func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetVerb() != "list" && a.GetVerb() != "get" {
			return false, nil, nil
		}
		gr := a.GetResource().GroupResource()
		if gr.Resource == "version" || gr.Resource == "group" || gr.Resource == "resource" {
			return false, nil, nil
		}
		return true, nil, apierrors.NewForbidden(gr, "", fmt.Errorf("user \"restricted\" cannot list resource %q", gr.Resource))
	}
	cs.PrependReactor("*", "*", forbid)
	dyn.PrependReactor("*", "*", forbid)
	return src
}

// Unreachable fails the first request like a stopped API server.
func Unreachable() read.Source {
	cs, _, src := build(nil, nil)
	cs.Discovery().(*fakediscovery.FakeDiscovery).PrependReactor("get", "version", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, fmt.Errorf("dial tcp 10.0.0.1:6443: connect: connection refused")
	})
	return src
}

// Refused fails the first read like a port nobody listens on. The returned clientset records
// every other request that was made, which should be none.
func Refused() (read.Source, *fake.Clientset) {
	cs, dyn, src := build(nil, nil)
	dyn.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, fmt.Errorf("dial tcp 10.0.0.1:6443: connect: connection refused")
	})
	return src, cs
}

// Specs answers OpenAPI v3 documents from testdata/arch/openapi/*.json.
type Specs struct{ Dir string }

// GVSpecAsMap reads GROUP_VERSION.json ("core_v1.json" for the core group).
func (s Specs) GVSpecAsMap(gv schema.GroupVersion) (map[string]any, error) {
	name := gv.Group
	if name == "" {
		name = "core"
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, name+"_"+gv.Version+".json"))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("the server has no OpenAPI v3 document for %s", gv)
	}
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

package archtree_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/archtree"
	"github.com/kubectl-katib/plugins/pkg/render"
)

const ns = "shop"

func om(name string, uid string, owner metav1.Object, ownerKind, ownerAPI string) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(uid)}
	if owner != nil {
		m.OwnerReferences = []metav1.OwnerReference{{APIVersion: ownerAPI, Kind: ownerKind, Name: owner.GetName(), UID: owner.GetUID(), Controller: ptr.To(true)}}
	}
	return m
}

func readyPod(meta metav1.ObjectMeta, labels map[string]string, sa string) *corev1.Pod {
	meta.Labels = labels
	return &corev1.Pod{ObjectMeta: meta,
		Spec: corev1.PodSpec{NodeName: "node-1", ServiceAccountName: sa, Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}}
}

var node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1", UID: "node-1"},
	Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}

// deploymentObjects is a Deployment with a current and an old ReplicaSet, two Pods (one
// crash-looping), a Service, an autoscaler and a disruption budget.
func deploymentObjects() []runtime.Object {
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{ObjectMeta: om("web", "d1", nil, "", ""),
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}}},
		Status: appsv1.DeploymentStatus{AvailableReplicas: 1, UpdatedReplicas: 2}}
	rs := &appsv1.ReplicaSet{ObjectMeta: om("web-7c9d", "rs1", d, "Deployment", "apps/v1"),
		Spec:   appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2), Template: d.Spec.Template},
		Status: appsv1.ReplicaSetStatus{ReadyReplicas: 1}}
	old := &appsv1.ReplicaSet{ObjectMeta: om("web-5b8f", "rs0", d, "Deployment", "apps/v1"),
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Template: d.Spec.Template}}
	p1 := readyPod(om("web-7c9d-a", "p1", rs, "ReplicaSet", "apps/v1"), labels, "web")
	p2 := readyPod(om("web-7c9d-b", "p2", rs, "ReplicaSet", "apps/v1"), labels, "web")
	p2.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "app", RestartCount: 4,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}
	other := readyPod(om("unrelated", "p9", nil, "", ""), map[string]string{"app": "db"}, "")
	sa := &corev1.ServiceAccount{ObjectMeta: om("web", "sa1", nil, "", "")}
	svc := &corev1.Service{ObjectMeta: om("web", "svc1", nil, "", ""),
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: labels, Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}}}
	dbSvc := &corev1.Service{ObjectMeta: om("db", "svc2", nil, "", ""), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "db"}}}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: om("web", "hpa1", nil, "", ""),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas: ptr.To[int32](2), MaxReplicas: 5},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 2}}
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: om("web", "pdb1", nil, "", ""),
		Spec:   policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: labels}},
		Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 0, CurrentHealthy: 1, DesiredHealthy: 1}}
	return []runtime.Object{d, rs, old, p1, p2, other, sa, svc, dbSvc, hpa, pdb, node}
}

func TestDeploymentChain(t *testing.T) {
	f := newFixture(t, deploymentObjects()...)
	tree := f.build(t, "deployments.apps", "Deployment", ns, "web")
	for _, c := range [][]string{
		{"Deployment/web", "owns ReplicaSet/web-7c9d", "owns Pod/web-7c9d-a", "runs on Node/node-1"},
		{"Deployment/web", "ReplicaSet/web-7c9d", "Pod/web-7c9d-b", "runs as ServiceAccount/web"},
		{"Deployment/web", "ReplicaSet/web-5b8f"},
		{"Deployment/web", "scaled by HorizontalPodAutoscaler/web"},
		{"Deployment/web", "selected by Service/web"},
		{"Deployment/web", "protected by PodDisruptionBudget/web"},
	} {
		if !chain(tree, c...) {
			t.Errorf("no chain %v", c)
		}
	}
	if chain(tree, "Deployment/web", "ReplicaSet/web-7c9d", "Pod/web-7c9d-a", "selected by Service/web") {
		t.Error("a Pod managed by the Deployment repeats the Deployment's Service")
	}
	if find(tree, "Pod", "unrelated") != nil || find(tree, "Service", "db") != nil {
		t.Error("objects unrelated to the Deployment are in its tree")
	}
	if s := find(tree, "Pod", "web-7c9d-b").Status; s.Reason != "CrashLoopBackOff" || s.Health != "failing" || s.Ready != "0/1" {
		t.Errorf("crash-looping Pod status %+v", s)
	}
	if s := tree.Root.Status; s.Ready != "1/2" || s.Phase != "Progressing" {
		t.Errorf("Deployment status %+v", s)
	}
	if s := find(tree, "ReplicaSet", "web-5b8f").Status; s.Phase != "ScaledDown" {
		t.Errorf("old ReplicaSet status %+v", s)
	}
	// The second Pod's account was already expanded under the first.
	var sas []*archtree.Node
	tree.Root.Walk(func(n, _ *archtree.Node) {
		if n.Kind == "ServiceAccount" {
			sas = append(sas, n)
		}
	})
	if len(sas) != 2 || sas[0].Seen || !sas[1].Seen {
		t.Errorf("service account shown %d times, seen flags wrong", len(sas))
	}
	if len(tree.Notes) != 0 {
		t.Errorf("unexpected notes %v", tree.Notes)
	}

	var out bytes.Buffer
	if err := archtree.Write(&out, tree, now, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/tree-deployment.golden", out.Bytes())
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if render.Width(l) > 80 {
			t.Errorf("line wider than 80 cells: %q", l)
		}
	}
	var narrow bytes.Buffer
	if err := archtree.Write(&narrow, tree, now, render.Style{Width: 50}); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimRight(narrow.String(), "\n"), "\n") {
		if render.Width(l) > 50 {
			t.Errorf("line wider than 50 cells: %q", l)
		}
	}
	doc, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/tree-deployment.json.golden", append(doc, '\n'))
}

func TestAutoscalerRootDoesNotRepeatItself(t *testing.T) {
	f := newFixture(t, deploymentObjects()...)
	tree := f.build(t, "horizontalpodautoscalers.autoscaling", "HorizontalPodAutoscaler", ns, "web")
	if !chain(tree, "HorizontalPodAutoscaler/web", "scales Deployment/web", "ReplicaSet/web-7c9d", "Pod/web-7c9d-a") {
		t.Error("autoscaler does not lead to its Deployment's Pods")
	}
	if chain(tree, "HorizontalPodAutoscaler/web", "Deployment/web", "HorizontalPodAutoscaler/web") {
		t.Error("the autoscaler is listed under its own target")
	}
}

func TestPodStorageAndAccess(t *testing.T) {
	sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "local", UID: "sc1"}, Provisioner: "kubernetes.io/no-provisioner"}
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-1", UID: "pv1"},
		Spec:   corev1.PersistentVolumeSpec{StorageClassName: "local", ClaimRef: &corev1.ObjectReference{Namespace: ns, Name: "data"}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: om("data", "pvc1", nil, "", ""),
		Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-1", StorageClassName: ptr.To("local")}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
	sa := &corev1.ServiceAccount{ObjectMeta: om("db", "sa1", nil, "", "")}
	role := &rbacv1.Role{ObjectMeta: om("reader", "r1", nil, "", ""),
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps", "pods"}, Verbs: []string{"get", "list"}}}}
	// No namespace on the subject: the binding's own, as the authorizer reads it.
	rb := &rbacv1.RoleBinding{ObjectMeta: om("db-reads", "rb1", nil, "", ""),
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "db"}},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reader"}}
	otherRB := &rbacv1.RoleBinding{ObjectMeta: om("others", "rb2", nil, "", ""),
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "web", Namespace: ns}},
		RoleRef:  rbacv1.RoleRef{Kind: "Role", Name: "reader"}}
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "node-viewer", UID: "cr1"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}}}}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "db-views-nodes", UID: "crb1"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "db", Namespace: ns}},
		RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "node-viewer"}}
	cm := &corev1.ConfigMap{ObjectMeta: om("db-config", "cm1", nil, "", "")}
	pod := readyPod(om("db-0", "p1", nil, "", ""), map[string]string{"app": "db"}, "db")
	pod.Spec.Volumes = []corev1.Volume{
		{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
		{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db-tls"}}},
	}
	pod.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db-config"}}}}
	f := newFixture(t, sc, pv, pvc, sa, role, rb, otherRB, cr, crb, cm, pod, node)
	tree := f.build(t, "pods", "Pod", ns, "db-0")
	for _, c := range [][]string{
		{"Pod/db-0", "mounts PersistentVolumeClaim/data", "bound to PersistentVolume/pv-1", "class StorageClass/local"},
		{"Pod/db-0", "runs as ServiceAccount/db", "bound by RoleBinding/db-reads", "grants Role/reader"},
		{"Pod/db-0", "runs as ServiceAccount/db", "bound by ClusterRoleBinding/db-views-nodes", "grants ClusterRole/node-viewer"},
		{"Pod/db-0", "env from ConfigMap/db-config"},
		{"Pod/db-0", "mounts Secret/db-tls"},
		{"Pod/db-0", "runs on Node/node-1"},
	} {
		if !chain(tree, c...) {
			t.Errorf("no chain %v", c)
		}
	}
	if find(tree, "RoleBinding", "others") != nil {
		t.Error("a binding for another account is listed")
	}
	if d := find(tree, "Role", "reader").Details; len(d) != 1 || d[0] != "get, list on configmaps, pods" {
		t.Errorf("role summary %q", d)
	}
	if s := find(tree, "Secret", "db-tls").Status; s.Phase != "NotFound" || s.Health != "failing" {
		t.Errorf("missing secret status %+v", s)
	}
	if s := find(tree, "PersistentVolumeClaim", "data").Status; s.Phase != "Bound" || s.Health != "ok" {
		t.Errorf("claim status %+v", s)
	}

	// What uses a claim, a ConfigMap, a Secret or an account, from each of them.
	for _, tc := range []struct{ resource, kind, name string }{
		{"persistentvolumeclaims", "PersistentVolumeClaim", "data"},
		{"configmaps", "ConfigMap", "db-config"},
		{"serviceaccounts", "ServiceAccount", "db"},
	} {
		if !chain(f.build(t, tc.resource, tc.kind, ns, tc.name), tc.kind+"/"+tc.name, "used by Pod/db-0") {
			t.Errorf("%s/%s does not list the Pod that uses it", tc.kind, tc.name)
		}
	}
	if saTree := f.build(t, "serviceaccounts", "ServiceAccount", ns, "db"); !chain(saTree, "ServiceAccount/db", "bound by RoleBinding/db-reads", "grants Role/reader") {
		t.Error("account tree lacks its bindings")
	}

	// The volume as root leads to its class and back to its claim.
	pvTree := f.build(t, "persistentvolumes", "PersistentVolume", "", "pv-1")
	if !chain(pvTree, "PersistentVolume/pv-1", "claimed by PersistentVolumeClaim/data") || !chain(pvTree, "PersistentVolume/pv-1", "class StorageClass/local") {
		t.Error("volume tree lacks its claim or class")
	}
}

func TestServiceEndpointSlicesPods(t *testing.T) {
	objs := deploymentObjects()
	slice := &discoveryv1.EndpointSlice{ObjectMeta: om("web-x1", "es1", nil, "", ""), AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "web-7c9d-a"}},
			{Addresses: []string{"10.0.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "web-7c9d-b"}},
		}}
	slice.Labels = map[string]string{discoveryv1.LabelServiceName: "web"}
	f := newFixture(t, append(objs, slice)...)
	tree := f.build(t, "services", "Service", ns, "web")
	for _, pod := range []string{"web-7c9d-a", "web-7c9d-b"} {
		if !chain(tree, "Service/web", "owns EndpointSlice/web-x1", "routes to Pod/"+pod, "runs on Node/node-1") {
			t.Errorf("no chain to %s", pod)
		}
	}
	if s := find(tree, "EndpointSlice", "web-x1").Status; s.Ready != "1/2" {
		t.Errorf("slice status %+v", s)
	}

	// From a Pod, the Services that select it.
	podTree := f.build(t, "pods", "Pod", ns, "web-7c9d-a")
	if !chain(podTree, "Pod/web-7c9d-a", "selected by Service/web") || !chain(podTree, "Pod/web-7c9d-a", "protected by PodDisruptionBudget/web") {
		t.Error("Pod tree lacks the Service or budget that selects it")
	}
}

func TestCustomResourceOwnedObjects(t *testing.T) {
	widget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "widgets.example.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "blue", "namespace": ns, "uid": "w1"},
		"status":   map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "Reconciling"}}},
	}}
	child := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "widgets.example.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "blue-part", "namespace": ns, "uid": "w2",
			"ownerReferences": []any{map[string]any{"apiVersion": "widgets.example.io/v1", "kind": "Widget", "name": "blue", "uid": "w1"}}},
		"status": map[string]any{"phase": "Running"},
	}}
	owner := &metav1.ObjectMeta{Name: "blue", UID: "w1"}
	cm := &corev1.ConfigMap{ObjectMeta: om("blue-settings", "cm1", owner, "Widget", "widgets.example.io/v1")}
	d := &appsv1.Deployment{ObjectMeta: om("blue-server", "d1", owner, "Widget", "widgets.example.io/v1"),
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)}, Status: appsv1.DeploymentStatus{AvailableReplicas: 1, UpdatedReplicas: 1}}
	unowned := &corev1.ConfigMap{ObjectMeta: om("other", "cm2", nil, "", "")}
	f := newFixture(t, widget, child, cm, d, unowned)
	tree := f.build(t, "widgets.widgets.example.io", "Widget", ns, "blue")
	for _, c := range [][]string{
		{"Widget/blue", "owns ConfigMap/blue-settings"},
		{"Widget/blue", "owns Deployment/blue-server"},
		{"Widget/blue", "owns Widget/blue-part"},
	} {
		if !chain(tree, c...) {
			t.Errorf("no chain %v", c)
		}
	}
	if find(tree, "ConfigMap", "other") != nil {
		t.Error("an object the Widget does not own is listed")
	}
	if s := tree.Root.Status; s.Ready != "False" || s.Reason != "Reconciling" || s.Health != "failing" {
		t.Errorf("custom resource status %+v", s)
	}
	if s := find(tree, "Deployment", "blue-server").Status; s.Phase != "Available" {
		t.Errorf("owned Deployment read without its status: %+v", s)
	}
	if s := find(tree, "Widget", "blue-part").Status; s.Phase != "Running" || s.Health != "ok" {
		t.Errorf("owned custom resource status %+v", s)
	}
}

func TestForbiddenListsAreNoted(t *testing.T) {
	objs := deploymentObjects()
	f := newFixture(t, objs...)
	for _, res := range []string{"services", "rolebindings", "clusterrolebindings"} {
		f.kube.PrependReactor("list", res, func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: res}, "", errors.New("no"))
		})
	}
	tree := f.build(t, "deployments.apps", "Deployment", ns, "web")
	if !chain(tree, "Deployment/web", "ReplicaSet/web-7c9d", "Pod/web-7c9d-a") {
		t.Error("the readable part of the tree is missing")
	}
	want := []string{"services in namespace shop (forbidden)", "rolebindings", "clusterrolebindings (forbidden)"}
	all := strings.Join(tree.Notes, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("notes %q do not mention %q", tree.Notes, w)
		}
	}
	var out bytes.Buffer
	if err := archtree.Write(&out, tree, now, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Partial view:") {
		t.Errorf("text does not flag the partial view:\n%s", out.String())
	}
}

func TestBuiltinRootOwnsAnyKind(t *testing.T) {
	// A client-side controller's state ConfigMap owns the Jobs it created, so deleting it
	// collects them.
	state := &corev1.ConfigMap{ObjectMeta: om("experiment-state", "cm1", nil, "", "")}
	trial := &corev1.ConfigMap{ObjectMeta: om("trial-1", "cm2", state, "ConfigMap", "v1")}
	job := &batchv1.Job{ObjectMeta: om("trial-1", "j1", state, "ConfigMap", "v1"),
		Status: batchv1.JobStatus{Succeeded: 1, Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}}
	pod := readyPod(om("trial-1-x", "p1", job, "Job", "batch/v1"), nil, "")
	f := newFixture(t, state, trial, job, pod, node)
	tree := f.build(t, "configmaps", "ConfigMap", ns, "experiment-state")
	if !chain(tree, "ConfigMap/experiment-state", "owns ConfigMap/trial-1") || !chain(tree, "ConfigMap/experiment-state", "owns Job/trial-1", "owns Pod/trial-1-x", "runs on Node/node-1") {
		t.Errorf("owned objects of a ConfigMap are missing")
	}
	if s := find(tree, "Job", "trial-1").Status; s.Phase != "Complete" || s.Ready != "1/1" {
		t.Errorf("job status %+v", s)
	}
}

func TestUnreadableKindsInTheOwnerSearch(t *testing.T) {
	widget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "widgets.example.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "blue", "namespace": ns, "uid": "w1"},
	}}
	f := newFixture(t, widget)
	for _, res := range []string{"configmaps", "secrets"} {
		f.meta.PrependReactor("list", res, func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: res}, "", errors.New("no"))
		})
	}
	tree := f.build(t, "widgets.widgets.example.io", "Widget", ns, "blue")
	want := "Could not list 2 kinds in namespace shop (forbidden) to look for objects owned by custom resources: configmaps, secrets."
	if len(tree.Notes) != 1 || tree.Notes[0] != want {
		t.Errorf("notes %q, want one: %q", tree.Notes, want)
	}
}

func TestUnreadableAccountStillShowsItsBindings(t *testing.T) {
	pod := readyPod(om("db-0", "p1", nil, "", ""), nil, "db")
	role := &rbacv1.Role{ObjectMeta: om("reader", "r1", nil, "", "")}
	rb := &rbacv1.RoleBinding{ObjectMeta: om("db-reads", "rb1", nil, "", ""),
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "db", Namespace: ns}},
		RoleRef:  rbacv1.RoleRef{Kind: "Role", Name: "reader"}}
	f := newFixture(t, pod, role, rb, node)
	f.kube.PrependReactor("list", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "serviceaccounts"}, "", errors.New("no"))
	})
	f.kube.PrependReactor("get", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "node-1", errors.New("no"))
	})
	tree := f.build(t, "pods", "Pod", ns, "db-0")
	if !chain(tree, "Pod/db-0", "runs as ServiceAccount/db", "bound by RoleBinding/db-reads", "grants Role/reader") {
		t.Error("bindings of an account that cannot be read are missing")
	}
	if s := find(tree, "ServiceAccount", "db").Status; s.Phase != "Forbidden" {
		t.Errorf("unreadable account status %+v", s)
	}
	if s := find(tree, "Node", "node-1").Status; s.Phase != "Forbidden" {
		t.Errorf("unreadable node status %+v", s)
	}
	if all := strings.Join(tree.Notes, "\n"); !strings.Contains(all, "serviceaccounts in namespace shop (forbidden)") || !strings.Contains(all, "node node-1 (forbidden)") {
		t.Errorf("notes %q", tree.Notes)
	}
}

func TestMissingTarget(t *testing.T) {
	f := newFixture(t, deploymentObjects()...)
	_, err := archtree.Build(t.Context(), f.clients, archtree.Target{GVR: appsv1.SchemeGroupVersion.WithResource("deployments"), Kind: "Deployment", Namespace: ns, Name: "nope"})
	var nf *archtree.NotFoundError
	if !errors.As(err, &nf) || err.Error() != `deployments.apps "nope" not found in namespace "shop"` {
		t.Fatalf("got %v", err)
	}
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		kind, resource, want string
		namespaced           bool
	}{
		{"deploy", "apps/v1, Resource=deployments", "Deployment", true},
		{"deployments.apps", "apps/v1, Resource=deployments", "Deployment", true},
		{"deployment", "apps/v1, Resource=deployments", "Deployment", true},
		{"Deployment", "apps/v1, Resource=deployments", "Deployment", true},
		{"Deployment.apps", "apps/v1, Resource=deployments", "Deployment", true},
		{"po", "/v1, Resource=pods", "Pod", true},
		{"wdg", "widgets.example.io/v1, Resource=widgets", "Widget", true},
		{"widgets.widgets.example.io", "widgets.example.io/v1, Resource=widgets", "Widget", true},
		{"pv", "/v1, Resource=persistentvolumes", "PersistentVolume", false},
	} {
		got, err := archtree.Resolve(f.clients.Mapper, tc.kind, "x", ns)
		if err != nil {
			t.Errorf("%s: %v", tc.kind, err)
			continue
		}
		if got.GVR.String() != tc.resource || got.Kind != tc.want || (got.Namespace == ns) != tc.namespaced {
			t.Errorf("%s: got %+v", tc.kind, got)
		}
	}
	_, err := archtree.Resolve(f.clients.Mapper, "gizmo", "x", ns)
	var unknown *archtree.UnknownKindError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "kubectl arch api-resources") {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		kind, name string
		ok         bool
	}{
		{[]string{"deploy/web"}, "deploy", "web", true},
		{[]string{"deploy", "web"}, "deploy", "web", true},
		{[]string{"deploy"}, "", "", false},
		{[]string{"deploy/"}, "", "", false},
		{[]string{"deploy/web", "x"}, "", "", false},
	} {
		kind, name, err := archtree.SplitArgs(tc.args)
		if (err == nil) != tc.ok || kind != tc.kind || name != tc.name {
			t.Errorf("%v: %q %q %v", tc.args, kind, name, err)
		}
	}
}

func TestGraph(t *testing.T) {
	f := newFixture(t, deploymentObjects()...)
	g := f.build(t, "deployments.apps", "Deployment", ns, "web").Graph()
	var dot bytes.Buffer
	if err := render.DOT(&dot, g); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Deployment/web", "ReplicaSet/web-7c9d", "Node/node-1", `label="runs on"`} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("DOT lacks %q", want)
		}
	}
	// Each object is drawn once, however often the tree reaches it.
	seen := map[string]bool{}
	for _, grp := range g.Groups {
		for _, n := range grp.Nodes {
			if seen[n.ID] {
				t.Errorf("%s drawn twice", n.ID)
			}
			seen[n.ID] = true
		}
	}
}

package arch

import (
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

func group(name string, versions ...string) *metav1.APIGroup {
	g := &metav1.APIGroup{Name: name}
	for _, v := range versions {
		gv := v
		if name != "" {
			gv = name + "/" + v
		}
		g.Versions = append(g.Versions, metav1.GroupVersionForDiscovery{GroupVersion: gv, Version: v})
	}
	return g
}

func crdOf(group string, versions ...string) unstructured.Unstructured {
	var vs []any
	for _, v := range versions {
		vs = append(vs, map[string]any{"name": v, "served": true})
	}
	return unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"group": group, "versions": vs}}}
}

func TestCachedDiscoveryIsStaleInBothDirections(t *testing.T) {
	builtIn := []*metav1.APIGroup{group("", "v1"), group("apps", "v1"), group("rbac.authorization.k8s.io", "v1")}
	metrics := unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"group": "metrics.example.io", "version": "v1", "service": map[string]any{"namespace": "m", "name": "metrics"}}}}
	snapshot := func(groups []*metav1.APIGroup, crds ...unstructured.Unstructured) *read.Snapshot {
		s := &read.Snapshot{}
		s.Discovery.Value.Groups, s.CRDs.Value = groups, crds
		return s
	}
	aggregated := snapshot(append(builtIn, group("metrics.example.io", "v1")))
	aggregated.APIServices.Value = []unstructured.Unstructured{metrics}
	unreadable := snapshot(append(builtIn, group("metrics.example.io", "v1")))
	unreadable.APIServices.Err = errForbidden
	for _, tc := range []struct {
		name  string
		s     *read.Snapshot
		stale bool
	}{
		{"in step", snapshot(append(builtIn, group("kubeflow.org", "v1beta1")), crdOf("kubeflow.org", "v1beta1")), false},
		{"CRD created since", snapshot(builtIn, crdOf("kubeflow.org", "v1beta1")), true},
		{"CRD version added since", snapshot(append(builtIn, group("kubeflow.org", "v1beta1")), crdOf("kubeflow.org", "v1beta1", "v1")), true},
		{"CRD deleted since", snapshot(append(builtIn, group("kubeflow.org", "v1beta1"))), true},
		{"served by an extension API server", aggregated, false},
		// Without the APIServices, a group no CRD serves may be an extension server's.
		{"APIServices unreadable", unreadable, false},
	} {
		if got := discoveryIsStale(tc.s, KB()); got != tc.stale {
			t.Errorf("%s: stale = %v, want %v", tc.name, got, tc.stale)
		}
	}
}

var errForbidden = errors.New("forbidden")

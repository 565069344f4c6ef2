package arch

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// A group's versions need not serve the same resources: each resource is listed once, at the
// first version that serves it, the preferred version first (as kubectl api-resources does).
func TestAPIGroupResourcesFromEveryVersion(t *testing.T) {
	group := &metav1.APIGroup{Name: "kubeflow.org",
		Versions:         []metav1.GroupVersionForDiscovery{{GroupVersion: "kubeflow.org/v1", Version: "v1"}, {GroupVersion: "kubeflow.org/v1beta1", Version: "v1beta1"}},
		PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "kubeflow.org/v1", Version: "v1"}}
	res := func(name, kind string) metav1.APIResource {
		return metav1.APIResource{Name: name, Kind: kind, Namespaced: true, Verbs: []string{"get", "list"}}
	}
	s := &read.Snapshot{}
	s.Discovery.Value = read.APIDiscovery{Groups: []*metav1.APIGroup{group}, Resources: []*metav1.APIResourceList{
		{GroupVersion: "kubeflow.org/v1", APIResources: []metav1.APIResource{res("pytorchjobs", "PyTorchJob"), res("tfjobs", "TFJob")}},
		{GroupVersion: "kubeflow.org/v1beta1", APIResources: []metav1.APIResource{res("experiments", "Experiment"), res("tfjobs", "TFJob")}},
	}}
	groups := apiGroups(s, []CRDGroup{{Group: "kubeflow.org"}}, true, KB())
	if len(groups) != 1 {
		t.Fatalf("groups %+v", groups)
	}
	var got []string
	for _, r := range groups[0].Resources {
		got = append(got, r.Name+"@"+r.Version)
	}
	want := []string{"experiments@v1beta1", "pytorchjobs@v1", "tfjobs@v1"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("resources %v, want %v", got, want)
	}
}

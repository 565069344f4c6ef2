package trial

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestResolveKind(t *testing.T) {
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Group: "kubeflow.org", Version: "v1", Kind: "PyTorchJob"}, meta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Group: "fixture.kubectl-katib.io", Version: "v1", Kind: "ClusterTrainer"}, meta.RESTScopeRoot)
	obj := func(apiVersion, kind string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	}
	tests := []struct {
		name       string
		obj        *unstructured.Unstructured
		mapper     meta.RESTMapper
		want       Kind
		wantErr    string
		wantMissed bool
	}{
		{name: "job without discovery", obj: obj("batch/v1", "Job"), want: JobKind},
		{name: "pod", obj: obj("v1", "Pod"), mapper: mapper, want: PodKind},
		{name: "served kind", obj: obj("kubeflow.org/v1", "PyTorchJob"), mapper: mapper,
			want: Kind{GVR: schema.GroupVersionResource{Group: "kubeflow.org", Version: "v1", Resource: "pytorchjobs"}, Kind: "PyTorchJob"}},
		{name: "kind not served", obj: obj("kubeflow.org/v1", "TFJob"), mapper: mapper, wantMissed: true,
			wantErr: "the cluster does not serve kubeflow.org/v1 TFJob (spec.trialTemplate.trialSpec): install the operator"},
		{name: "cluster-scoped kind", obj: obj("fixture.kubectl-katib.io/v1", "ClusterTrainer"), mapper: mapper,
			wantErr: "is cluster-scoped; trials live in the experiment's namespace"},
		{name: "other kind without discovery", obj: obj("kubeflow.org/v1", "PyTorchJob"),
			wantErr: "needs the cluster's discovery"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveKind(tc.mapper, tc.obj)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				var missing *MissingKindError
				if errors.As(err, &missing) != tc.wantMissed {
					t.Errorf("MissingKindError: %v, want %v", errors.As(err, &missing), tc.wantMissed)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if rule := (Kind{GVR: schema.GroupVersionResource{Group: "kubeflow.org", Version: "v1", Resource: "pytorchjobs"}}).RBACRule(); rule !=
		`{apiGroups: ["kubeflow.org"], resources: ["pytorchjobs"], verbs: [create, get, list, watch, delete, deletecollection]}` {
		t.Errorf("RBACRule %s", rule)
	}
}

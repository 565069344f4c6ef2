package arch

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

type missingSpecs struct{}

func (missingSpecs) GVSpecAsMap(gv schema.GroupVersion) (map[string]any, error) {
	return nil, errors.New("GroupVersion (" + gv.String() + ") not found as OpenAPI V3 path")
}

// A CRD created a moment ago is not in the OpenAPI document yet; its schema comes from the
// CRD object, open (preserve-unknown-fields) flag included.
func TestCRDSchemaBeforeItIsPublished(t *testing.T) {
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "experiments.kubeflow.org"},
		"spec": map[string]any{"versions": []any{map[string]any{
			"name": "v1beta1",
			"schema": map[string]any{"openAPIV3Schema": map[string]any{
				"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				"properties": map[string]any{"spec": map[string]any{"type": "object", "description": "what to tune"}},
			}},
		}}},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{read.CRDResource: "CustomResourceDefinitionList"}, crd)
	m := &Model{CustomResources: []CRDGroup{{CRDs: []CRD{{Name: "experiments.kubeflow.org", Kind: "Experiment", Group: "kubeflow.org", Versions: []string{"v1beta1"}}}}}}
	src := crdSpecs{primary: missingSpecs{}, dynamic: dyn, model: m}
	ks, err := LookupSchema(src, schema.GroupVersionKind{Group: "kubeflow.org", Version: "v1beta1", Kind: "Experiment"})
	if err != nil {
		t.Fatal(err)
	}
	if !ks.Open || len(ks.Fields) != 1 || ks.Fields[0].Name != "spec" {
		t.Errorf("schema from the CRD: open %v, fields %+v", ks.Open, ks.Fields)
	}
	if _, err := LookupSchema(src, schema.GroupVersionKind{Group: "other.io", Version: "v1", Kind: "Thing"}); err == nil {
		t.Error("a group version no CRD serves must still fail")
	}
}

package arch

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// crdSpecs answers from the CRDs themselves what the OpenAPI v3 document does not hold
// yet: kube-apiserver publishes a new CRD's schema some time after the CRD is created
// (seconds on a busy control plane), while the CRD object carries it from the start.
type crdSpecs struct {
	primary SpecSource
	dynamic dynamic.Interface
	model   *Model
}

func (c crdSpecs) GVSpecAsMap(gv schema.GroupVersion) (map[string]any, error) {
	doc, err := c.primary.GVSpecAsMap(gv)
	if err == nil || c.dynamic == nil || c.model == nil {
		return doc, err
	}
	schemas := map[string]any{}
	for _, g := range c.model.CustomResources {
		for _, crd := range g.CRDs {
			if crd.Group != gv.Group || !slices.Contains(crd.Versions, gv.Version) {
				continue
			}
			s, ferr := c.crdSchema(crd.Name, gv.Version)
			if ferr != nil || s == nil {
				continue
			}
			s["x-kubernetes-group-version-kind"] = []any{map[string]any{"group": gv.Group, "version": gv.Version, "kind": crd.Kind}}
			schemas[crd.Name] = s
		}
	}
	if len(schemas) == 0 {
		return nil, err
	}
	return map[string]any{"components": map[string]any{"schemas": schemas}}, nil
}

// crdSchema reads one version's openAPIV3Schema from the CRD object.
func (c crdSpecs) crdSchema(name, version string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	obj, err := c.dynamic.Resource(read.CRDResource).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	versions, _, _ := unstructured.NestedSlice(obj.Object, "spec", "versions")
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		if vm["name"] != version {
			continue
		}
		s, found, err := unstructured.NestedMap(vm, "schema", "openAPIV3Schema")
		if err != nil {
			return nil, fmt.Errorf("CRD %s version %s: %w", name, version, err)
		}
		if !found {
			return nil, nil
		}
		return s, nil
	}
	return nil, nil
}

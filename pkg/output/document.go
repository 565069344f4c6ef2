package output

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Document gives one of the plugins' own documents (a struct with apiVersion and kind) the
// shape kubectl's printers expect: an object with metadata.name, so -o name, jsonpath and
// go-template work on it as on any Kubernetes object.
func Document(doc any, name string) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	if name != "" {
		u.SetName(name)
	}
	return u, nil
}

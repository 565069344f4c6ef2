package experiment

import (
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PodTemplate is a Pod template inside a trial workload: the object holding a Pod's
// metadata and spec (a Job's spec.template, a PyTorchJob's
// spec.pytorchReplicaSpecs.Master.template, or a Pod itself). Object is the template's map
// inside the workload, so changing it changes the workload.
type PodTemplate struct {
	// Path is the template's field path in the workload ("" for a Pod itself).
	Path   string
	Object map[string]any
}

// Spec is the template's Pod spec.
func (t PodTemplate) Spec() map[string]any {
	spec, _ := t.Object["spec"].(map[string]any)
	return spec
}

// SpecPath is the field path of the template's Pod spec.
func (t PodTemplate) SpecPath() string {
	if t.Path == "" {
		return "spec"
	}
	return t.Path + ".spec"
}

// PodTemplates finds the Pod templates of a workload of any kind: every object with a
// spec.containers list, wherever it sits (maps of replica specs, lists of jobs). Operators
// create a trial's Pods from these templates, so the labels kubectl katib puts on them are
// how it finds the Pods; the order is stable (map keys sorted).
func PodTemplates(spec *unstructured.Unstructured) []PodTemplate {
	if spec == nil {
		return nil
	}
	var out []PodTemplate
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch t := v.(type) {
		case map[string]any:
			if isPodTemplate(t) {
				out = append(out, PodTemplate{Path: path, Object: t})
				return
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				// Status and metadata never hold templates of the workload's Pods.
				if path == "" && (k == "status" || k == "metadata") {
					continue
				}
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(joinPath(path, k), t[k])
			}
		case []any:
			for i, e := range t {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	walk("", spec.Object)
	return out
}

func isPodTemplate(m map[string]any) bool {
	spec, ok := m["spec"].(map[string]any)
	if !ok {
		return false
	}
	_, ok = spec["containers"].([]any)
	return ok
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	if strings.ContainsAny(key, ".[]") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	return path + "." + key
}

// ContainerNames lists the names of the containers (not init containers) of the template's
// Pod templates, in order and each once; nil when it has none.
func ContainerNames(spec *unstructured.Unstructured) []string {
	var names []string
	for _, t := range PodTemplates(spec) {
		containers, _ := t.Spec()["containers"].([]any)
		for _, c := range containers {
			m, _ := c.(map[string]any)
			name, _ := m["name"].(string)
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}

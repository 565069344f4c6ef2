package experiment

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// WithoutStatus is the experiment as a user writes it, for printing a spec that has not
// run: the status struct has fields that are never omitted (currentOptimalTrial), which
// would print as an empty status Katib never shows for a new experiment.
func WithoutStatus(e *Experiment) runtime.Object {
	b, err := json.Marshal(e)
	if err != nil {
		return e
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		return e
	}
	delete(u.Object, "status")
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		// An unset creationTimestamp marshals as null; kubectl omits it from new objects.
		if md["creationTimestamp"] == nil {
			delete(md, "creationTimestamp")
		}
	}
	return u
}

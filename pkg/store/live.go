package store

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

// AnnotationTrial holds, on a trial's workload, what is recorded of a trial that has not
// ended: creating the workload records the trial.
const AnnotationTrial = "kubectl-katib.io/trial"

// liveRecord is the annotation's content.
type liveRecord struct {
	Index        int                              `json:"index"`
	Assignments  []experiment.ParameterAssignment `json:"parameterAssignments"`
	Labels       map[string]string                `json:"labels,omitempty"`
	CreationTime *metav1.Time                     `json:"creationTime,omitempty"`
	// Client is the client that created the workload: finding a workload of the same name
	// created by another client means two clients drive the experiment.
	Client string `json:"client"`
}

// Live is a trial known by its workload.
type Live struct {
	Record TrialRecord
	// Client created the workload.
	Client string
	Object *unstructured.Unstructured
	// Annotated is false for a workload made by a release before the split: it carries no
	// record (the pre-split state names it), so only Record.Name is known.
	Annotated bool
}

// MarkWorkload records a trial that has not ended on its rendered workload.
func MarkWorkload(obj *unstructured.Unstructured, t *TrialRecord, client string) error {
	raw, err := json.Marshal(liveRecord{Index: t.Index, Assignments: t.Assignments, Labels: t.Labels, CreationTime: t.CreationTime, Client: client})
	if err != nil {
		return fmt.Errorf("encoding trial %s: %w", t.Name, err)
	}
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationTrial] = string(raw)
	obj.SetAnnotations(ann)
	return nil
}

// LiveFromWorkload reads the trial a workload records; false for workloads that carry no
// record (made by a release before the split, which keeps them in its own state).
func LiveFromWorkload(obj *unstructured.Unstructured) (Live, bool, error) {
	raw, ok := obj.GetAnnotations()[AnnotationTrial]
	if !ok {
		return Live{}, false, nil
	}
	var rec liveRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return Live{}, false, fmt.Errorf("%s %s has an unreadable %s annotation: %w", obj.GetKind(), obj.GetName(), AnnotationTrial, err)
	}
	t := TrialRecord{
		Name: obj.GetName(), Index: rec.Index, Assignments: rec.Assignments, Labels: rec.Labels,
		State: workloadState(obj), CreationTime: rec.CreationTime,
	}
	if t.CreationTime == nil {
		created := obj.GetCreationTimestamp()
		t.CreationTime = &created
	}
	if s, found, _ := unstructured.NestedString(obj.Object, "status", "startTime"); found {
		if at, err := parseTime(s); err == nil && t.State == suggest.StateRunning {
			t.StartTime = at
		}
	}
	return Live{Record: t, Client: rec.Client, Object: obj, Annotated: true}, true, nil
}

func parseTime(s string) (*metav1.Time, error) {
	var t metav1.Time
	err := t.UnmarshalQueryParameter(s)
	return &t, err
}

// workloadState is how far a trial's workload has come, as observers see it: the client
// that drives it records the end, so a workload that finished is still running as far as
// the record goes.
func workloadState(obj *unstructured.Unstructured) suggest.TrialState {
	if obj.GetKind() == "Pod" {
		if phase, _, _ := unstructured.NestedString(obj.Object, "status", "phase"); phase == "" || phase == "Pending" {
			return suggest.StatePending
		}
		return suggest.StateRunning
	}
	for _, f := range []string{"active", "ready", "succeeded", "failed"} {
		if n, _, _ := unstructured.NestedInt64(obj.Object, "status", f); n > 0 {
			return suggest.StateRunning
		}
	}
	return suggest.StatePending
}

// LiveTrials lists an experiment's trial workloads of the given resource, those of
// releases before the split included (not Annotated).
func (s *Store) LiveTrials(ctx context.Context, gvr schema.GroupVersionResource, experimentName string) ([]Live, error) {
	list, err := s.Dynamic.Resource(gvr).Namespace(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: trial.LabelExperiment + "=" + experimentName})
	if err != nil {
		return nil, err
	}
	var out []Live
	for i := range list.Items {
		obj := &list.Items[i]
		if obj.GetLabels()[trial.LabelTrial] == "" {
			continue // a Job's pods carry the experiment label too
		}
		l, ok, err := LiveFromWorkload(obj)
		if err != nil {
			return nil, err
		}
		if !ok {
			l = Live{Record: TrialRecord{Name: obj.GetName()}, Object: obj}
		}
		out = append(out, l)
	}
	return out, nil
}

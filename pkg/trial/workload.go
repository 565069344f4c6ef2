package trial

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// Kind is the kind of workload an experiment's trials are made of.
type Kind struct {
	GVR schema.GroupVersionResource
	// Kind is the object kind ("Job", "PyTorchJob").
	Kind string
	// IsJob and IsPod mark the kinds with built-in handling; every other kind is handled
	// through its Pod templates and the experiment's success and failure conditions.
	IsJob bool
	IsPod bool
}

var (
	JobKind = Kind{GVR: schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, Kind: "Job", IsJob: true}
	PodKind = Kind{GVR: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Kind: "Pod", IsPod: true}
)

// Resource names the kind's resource as RBAC rules and kubectl do ("jobs.batch").
func (k Kind) Resource() string {
	return k.GVR.GroupResource().String()
}

// TrialVerbs are what a run does with its trials' workloads: create them, watch them and
// delete them when they end or are stopped.
var TrialVerbs = []string{"create", "get", "list", "watch", "delete", "deletecollection"}

// RBACRule is the Role rule a run needs for trials of this kind, in the YAML of a Role's
// rules list.
func (k Kind) RBACRule() string {
	return fmt.Sprintf(`{apiGroups: [%q], resources: [%q], verbs: [%s]}`, k.GVR.Group, k.GVR.Resource, strings.Join(TrialVerbs, ", "))
}

// KindOf tells the kind of a trial template without asking the cluster: it knows Jobs and
// Pods, and any other kind needs ResolveKind.
func KindOf(obj *unstructured.Unstructured) (Kind, error) {
	switch gvk := obj.GroupVersionKind(); {
	case gvk.Group == "batch" && gvk.Version == "v1" && gvk.Kind == "Job":
		return JobKind, nil
	case gvk.Group == "" && gvk.Version == "v1" && gvk.Kind == "Pod":
		return PodKind, nil
	default:
		return Kind{}, &UnresolvedKindError{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind()}
	}
}

// UnresolvedKindError says a trial kind's resource was not looked up in the cluster.
type UnresolvedKindError struct{ APIVersion, Kind string }

func (e *UnresolvedKindError) Error() string {
	return fmt.Sprintf("trial kind %s %s needs the cluster's discovery to be resolved", e.APIVersion, e.Kind)
}

// MissingKindError says the cluster does not serve a trial template's kind.
type MissingKindError struct {
	APIVersion, Kind string
	Err              error
}

func (e *MissingKindError) Error() string {
	return fmt.Sprintf("the cluster does not serve %s %s (spec.trialTemplate.trialSpec): install the operator that runs it and its CustomResourceDefinition "+
		"(kubectl api-resources lists what the cluster serves), or use a batch/v1 Job", e.APIVersion, e.Kind)
}

func (e *MissingKindError) Unwrap() error { return e.Err }

// ResolveKind finds a trial template's resource through the cluster's discovery (mapper);
// Jobs and Pods need none. A kind the cluster does not serve, or one that is not
// namespaced, is refused before anything is created.
func ResolveKind(mapper meta.RESTMapper, obj *unstructured.Unstructured) (Kind, error) {
	kind, err := KindOf(obj)
	var unresolved *UnresolvedKindError
	if !errors.As(err, &unresolved) || mapper == nil {
		return kind, err
	}
	gvk := obj.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return Kind{}, &MissingKindError{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Err: err}
		}
		return Kind{}, fmt.Errorf("cannot look up %s %s in the cluster's discovery: %w", obj.GetAPIVersion(), obj.GetKind(), err)
	}
	if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
		return Kind{}, fmt.Errorf("%s %s is cluster-scoped; trials live in the experiment's namespace, so spec.trialTemplate.trialSpec must be of a namespaced kind", obj.GetAPIVersion(), obj.GetKind())
	}
	return Kind{GVR: mapping.Resource, Kind: gvk.Kind}, nil
}

// Prepare labels a rendered workload and every Pod template in it, records its assignments
// and makes it owned by the experiment's state object, so deleting the experiment
// garbage-collects its trials. The Pods' labels are how the trial's Pods are found, whatever
// operator creates them.
func Prepare(obj *unstructured.Unstructured, expName, trialName string, assignments []experiment.ParameterAssignment, owner *metav1.OwnerReference) error {
	labels := map[string]string{LabelExperiment: expName, LabelTrial: trialName, LabelManagedBy: ManagedBy}
	obj.SetLabels(merge(obj.GetLabels(), labels))
	obj.SetAnnotations(merge(obj.GetAnnotations(), map[string]string{AnnotationAssignments: AssignmentsAnnotation(assignments)}))
	if owner != nil {
		obj.SetOwnerReferences(append(obj.GetOwnerReferences(), *owner))
	}
	kind, _ := KindOf(obj)
	for _, t := range experiment.PodTemplates(obj) {
		if t.Path == "" {
			continue // the workload is a Pod: labelled above
		}
		md, _ := t.Object["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
		}
		podLabels, _, err := unstructured.NestedStringMap(md, "labels")
		if err != nil {
			return fmt.Errorf("trialSpec.%s.metadata.labels: %w", t.Path, err)
		}
		if err := unstructured.SetNestedStringMap(md, merge(podLabels, labels), "labels"); err != nil {
			return fmt.Errorf("trialSpec.%s.metadata.labels: %w", t.Path, err)
		}
		t.Object["metadata"] = md
	}
	if kind.IsJob {
		// A trial is one point of the search: Job retries would spend the budget again on the
		// same parameters (with back-off delays of minutes), so a template that does not ask
		// for retries gets none.
		if _, found, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "backoffLimit"); !found {
			_ = unstructured.SetNestedField(obj.Object, int64(0), "spec", "backoffLimit")
		}
	}
	if kind.IsPod {
		// A Pod that restarts forever never finishes; Never is what a trial needs.
		if _, found, _ := unstructured.NestedString(obj.Object, "spec", "restartPolicy"); !found {
			_ = unstructured.SetNestedField(obj.Object, "Never", "spec", "restartPolicy")
		}
	}
	if gvk := obj.GroupVersionKind(); gvk.Group == "argoproj.io" && gvk.Kind == "Workflow" {
		// Argo's Pods come from container templates, not Pod templates; podMetadata labels
		// every Pod of the workflow.
		podLabels, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "podMetadata", "labels")
		if err := unstructured.SetNestedStringMap(obj.Object, merge(podLabels, labels), "spec", "podMetadata", "labels"); err != nil {
			return fmt.Errorf("trialSpec.spec.podMetadata.labels: %w", err)
		}
	}
	return nil
}

func merge(base, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

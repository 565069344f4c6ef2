package trial

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// Kind is a workload kind trials can be made of.
type Kind struct {
	GVR   schema.GroupVersionResource
	IsJob bool
}

var (
	JobKind = Kind{GVR: schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, IsJob: true}
	PodKind = Kind{GVR: schema.GroupVersionResource{Version: "v1", Resource: "pods"}}
)

// KindOf tells which supported kind a trial template is.
func KindOf(obj *unstructured.Unstructured) (Kind, error) {
	switch gvk := obj.GroupVersionKind(); {
	case gvk.Group == "batch" && gvk.Version == "v1" && gvk.Kind == "Job":
		return JobKind, nil
	case gvk.Group == "" && gvk.Version == "v1" && gvk.Kind == "Pod":
		return PodKind, nil
	default:
		return Kind{}, fmt.Errorf("trial kind %s %s is not supported client-side: use a batch/v1 Job or a v1 Pod", obj.GetAPIVersion(), obj.GetKind())
	}
}

// Prepare labels a rendered workload, records its assignments and makes it owned by the
// experiment's state object, so deleting the experiment garbage-collects its trials.
func Prepare(obj *unstructured.Unstructured, expName, trialName string, assignments []experiment.ParameterAssignment, owner *metav1.OwnerReference) error {
	kind, err := KindOf(obj)
	if err != nil {
		return err
	}
	labels := map[string]string{LabelExperiment: expName, LabelTrial: trialName, LabelManagedBy: ManagedBy}
	obj.SetLabels(merge(obj.GetLabels(), labels))
	obj.SetAnnotations(merge(obj.GetAnnotations(), map[string]string{AnnotationAssignments: AssignmentsAnnotation(assignments)}))
	if owner != nil {
		obj.SetOwnerReferences(append(obj.GetOwnerReferences(), *owner))
	}
	if kind.IsJob {
		// The pods carry the labels too: the watch on the experiment's pods selects by them.
		podLabels, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "template", "metadata", "labels")
		if err := unstructured.SetNestedStringMap(obj.Object, merge(podLabels, labels), "spec", "template", "metadata", "labels"); err != nil {
			return fmt.Errorf("trialSpec.spec.template.metadata.labels: %v", err)
		}
		// A trial is one point of the search: Job retries would spend the budget again on the
		// same parameters (with back-off delays of minutes), so a template that does not ask
		// for retries gets none.
		if _, found, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "backoffLimit"); !found {
			_ = unstructured.SetNestedField(obj.Object, int64(0), "spec", "backoffLimit")
		}
	} else {
		// A Pod that restarts forever never finishes; Never is what a trial needs.
		if _, found, _ := unstructured.NestedString(obj.Object, "spec", "restartPolicy"); !found {
			_ = unstructured.SetNestedField(obj.Object, "Never", "spec", "restartPolicy")
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

// Create creates the workload; an existing one of the same name (a resume after a crash
// between recording and creating) counts as created.
func Create(ctx context.Context, client dynamic.Interface, obj *unstructured.Unstructured) error {
	kind, err := KindOf(obj)
	if err != nil {
		return err
	}
	_, err = client.Resource(kind.GVR).Namespace(obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{FieldManager: ManagedBy})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// Delete removes a trial's workload and, through the garbage collector, its pods.
func Delete(ctx context.Context, client dynamic.Interface, kind Kind, namespace, name string) error {
	policy := metav1.DeletePropagationBackground
	err := client.Resource(kind.GVR).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// Package submit hands an experiment to a cluster that runs Katib's operator, as a
// kubeflow.org/v1beta1 Experiment object.
package submit

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// ExperimentsGVR is Katib's Experiment resource.
var ExperimentsGVR = schema.GroupVersionResource{Group: "kubeflow.org", Version: "v1beta1", Resource: "experiments"}

// NotServedError says the cluster has no Katib Experiment API.
type NotServedError struct{ Context string }

func (e *NotServedError) Error() string {
	return fmt.Sprintf("the cluster (%s) does not serve kubeflow.org/v1beta1 experiments, so Katib's operator is not installed there: run the experiment client-side with 'kubectl katib run -f FILE' instead", e.Context)
}

// Served reports whether the cluster serves Katib's Experiment resource.
func Served(disc discovery.DiscoveryInterface) (bool, error) {
	list, err := disc.ServerResourcesForGroupVersion(ExperimentsGVR.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range list.APIResources {
		if r.Name == ExperimentsGVR.Resource {
			return true, nil
		}
	}
	return false, nil
}

// Submit creates the experiment as the user wrote it (Katib's own webhook defaults it);
// dryRun asks the API server to check it without storing it.
func Submit(ctx context.Context, client dynamic.Interface, exp *experiment.Experiment, dryRun bool) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(exp)
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := json.Unmarshal(data, &obj.Object); err != nil {
		return nil, err
	}
	obj.SetAPIVersion(experiment.APIVersion)
	obj.SetKind(experiment.KindExp)
	// A file exported from a cluster carries server-set fields and a status; neither belongs
	// in a create.
	unstructured.RemoveNestedField(obj.Object, "status")
	for _, f := range []string{"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"} {
		unstructured.RemoveNestedField(obj.Object, "metadata", f)
	}
	opts := metav1.CreateOptions{FieldManager: "kubectl-katib"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return client.Resource(ExperimentsGVR).Namespace(exp.Namespace).Create(ctx, obj, opts)
}

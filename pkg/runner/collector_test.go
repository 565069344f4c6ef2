package runner_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

func withFileCollector(e *experiment.Experiment) {
	e.Spec.MetricsCollectorSpec = &experiment.MetricsCollectorSpec{
		Source:    &experiment.SourceSpec{FileSystemPath: &experiment.FileSystemPath{Path: "/katib/mnist.log", Kind: experiment.FileKind}},
		Collector: &experiment.CollectorSpec{Kind: experiment.FileCollector},
	}
}

// TestDryRunNeedsNativeSidecars: a cluster older than 1.29 would run the collector as an
// init container that never ends, so the run is refused before anything is created; a newer
// one gets the sidecar in the rendered trial.
func TestDryRunNeedsNativeSidecars(t *testing.T) {
	for _, tc := range []struct {
		version string
		ok      bool
	}{{"28", false}, {"29", true}} {
		t.Run("1."+tc.version, func(t *testing.T) {
			c := newCluster(t)
			c.client.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{Major: "1", Minor: tc.version, GitVersion: "v1." + tc.version + ".4"}
			var created *unstructured.Unstructured
			c.dynamic.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
				created = a.(k8stesting.CreateAction).GetObject().(*unstructured.Unstructured)
				return true, created, nil
			})
			r, _, _ := c.newRunner(&store.State{Experiment: newExperiment(t, withFileCollector)}, options{})
			err := r.DryRun(context.Background())
			var sidecar *runner.SidecarError
			if !tc.ok {
				if !errors.As(err, &sidecar) || !strings.Contains(err.Error(), "needs Kubernetes 1.29 or newer, and the cluster runs v1.28.4") {
					t.Fatalf("DryRun = %v, want a SidecarError", err)
				}
				if created != nil {
					t.Error("a trial was sent to the API server")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			inits, _, _ := unstructured.NestedSlice(created.Object, "spec", "initContainers")
			if created.GetKind() == "Job" {
				inits, _, _ = unstructured.NestedSlice(created.Object, "spec", "template", "spec", "initContainers")
			}
			if len(inits) != 1 || inits[0].(map[string]any)["name"] != trial.CollectorContainer || inits[0].(map[string]any)["restartPolicy"] != "Always" {
				t.Errorf("init containers %v", inits)
			}
		})
	}
}

//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

const submitCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: experiments.kubeflow.org
  labels: {app.kubernetes.io/part-of: katib-submit-e2e}
spec:
  group: kubeflow.org
  scope: Namespaced
  names: {kind: Experiment, plural: experiments, singular: experiment}
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// On a cluster without Katib, submit says so and points to run; with Katib's Experiment API
// served, it creates the Experiment object as written.
func TestSubmitToKatib(t *testing.T) {
	ns := freshNamespace(t, "katib-submit")
	file := filepath.Join(repoRoot(), "examples", "experiments", "mnist-random.yaml")
	// Another test's CRD may still be going away.
	runKubectl("wait", "--for=delete", "crd/experiments.kubeflow.org", "--timeout=90s")
	if out, _, err := runKubectl("get", "crd", "experiments.kubeflow.org", "-o", "name"); err == nil && strings.TrimSpace(out) != "" {
		t.Skip("experiments.kubeflow.org is installed by something else; not touching it")
	}
	r := katib(t, "submit", "-f", file, "-n", ns)
	if r.code != 1 || !strings.Contains(r.errOut, "kubectl katib run -f FILE") {
		t.Fatalf("without Katib: exit %d: %s", r.code, r.errOut)
	}

	kubectlIn(t, []byte(submitCRD), "apply", "-f", "-")
	t.Cleanup(func() { runKubectl("delete", "crd", "experiments.kubeflow.org", "--wait=true", "--timeout=60s") })
	kubectl(t, "wait", "--for=condition=Established", "crd/experiments.kubeflow.org", "--timeout=60s")
	if r = katib(t, "submit", "-f", file, "-n", ns, "--dry-run"); r.code != 0 || !strings.Contains(r.out, "server dry run") {
		t.Fatalf("submit --dry-run: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	out := mustKatib(t, "submit", "-f", file, "-n", ns)
	if !strings.Contains(out, "experiment.kubeflow.org/mnist-random created") {
		t.Fatalf("submit: %s", out)
	}
	got := kubectl(t, "get", "experiments.kubeflow.org", "mnist-random", "-n", ns, "-o", "jsonpath={.spec.algorithm.algorithmName} {.spec.maxTrialCount}")
	if got != "random 8" {
		t.Errorf("the stored Experiment is not the file's: %q", got)
	}
	if r := katib(t, "submit", "-f", file, "-n", ns); r.code == 0 || !strings.Contains(r.errOut, "already exists") {
		t.Errorf("a second submit: exit %d: %s", r.code, r.errOut)
	}
}

//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
)

// State written by releases before the split (one ConfigMap, every trial in trials.json)
// still resumes: its finished trials keep their records, a trial it recorded as running
// whose workload is gone runs again with its own parameters, and the state ends in the
// current layout with exactly maxTrialCount trials.
func TestResumeMigratesSingleConfigMapState(t *testing.T) {
	ns := freshNamespace(t, "katib-migrate")
	s := seriesExperiment{name: "legacy", kind: "Pod", maxTrials: 4, parallel: 2, count: 5, interval: 100 * 1e6, retain: true}
	exp, err := experiment.Load(s.file(t))
	if err != nil {
		t.Fatal(err)
	}
	exp.Namespace = ns
	experiment.SetDefaults(exp)
	spec, err := yaml.Marshal(&experiment.Experiment{
		TypeMeta:   metav1.TypeMeta{APIVersion: experiment.APIVersion, Kind: experiment.KindExp},
		ObjectMeta: metav1.ObjectMeta{Name: exp.Name, Namespace: ns},
		Spec:       exp.Spec,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	obs := func(min, max string) map[string]any {
		return map[string]any{"metrics": []any{map[string]any{"name": "accuracy", "min": min, "max": max, "latest": max}}}
	}
	params := func(low, top string) []any {
		return []any{map[string]any{"name": "low", "value": low}, map[string]any{"name": "top", "value": top}}
	}
	trials := []any{
		map[string]any{"name": "legacy-aaaaaaaa", "parameterAssignments": params("0.1", "0.6"), "state": "Succeeded", "reason": "TrialSucceeded",
			"observation": obs("0.1", "0.6"), "objective": 0.6, "reports": []float64{0.1, 0.225, 0.35, 0.475, 0.6}, "creationTime": now, "completionTime": now},
		map[string]any{"name": "legacy-bbbbbbbb", "parameterAssignments": params("0.2", "0.7"), "state": "Succeeded", "reason": "TrialSucceeded",
			"observation": obs("0.2", "0.7"), "objective": 0.7, "reports": []float64{0.2, 0.325, 0.45, 0.575, 0.7}, "creationTime": now, "completionTime": now},
		// Recorded as running by the old client, whose workload is gone.
		map[string]any{"name": "legacy-cccccccc", "parameterAssignments": params("0.05", "0.8"), "state": "Running", "creationTime": now, "startTime": now},
	}
	trialsJSON, _ := json.Marshal(trials)
	status, _ := json.Marshal(map[string]any{"conditions": []any{
		map[string]any{"type": "Created", "status": "True", "reason": "ExperimentCreated", "lastUpdateTime": now, "lastTransitionTime": now},
		map[string]any{"type": "Restarting", "status": "True", "reason": "ExperimentInterrupted", "lastUpdateTime": now, "lastTransitionTime": now},
	}})
	cm := corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: store.ConfigMapName("legacy"), Namespace: ns, Labels: map[string]string{
			"katib.kubeflow.org/experiment": "legacy", "app.kubernetes.io/managed-by": "kubectl-katib", store.LabelStateObject: "true"}},
		Data: map[string]string{"experiment.yaml": string(spec), "trials.json": string(trialsJSON), "status.json": string(status)},
	}
	manifest, _ := json.Marshal(cm)
	kubectlIn(t, manifest, "apply", "-f", "-")

	// The old state reads as it is before anything rewrites it.
	if before := getTrials(t, nil, ns, "legacy"); len(before) != 3 {
		t.Fatalf("the single-ConfigMap state shows %d trials, want 3", len(before))
	}
	out := mustKatib(t, "resume", "legacy", "-n", ns)
	if !strings.Contains(out, "trial legacy-cccccccc was running but its workload is gone; starting it again") {
		t.Errorf("resume did not restart the trial recorded as running:\n%s", out)
	}
	trials2 := checkSeriesTrials(t, ns, s, false)
	byName := map[string]katibTrial{}
	for _, tr := range trials2 {
		byName[tr.Metadata.Name] = tr
	}
	for _, name := range []string{"legacy-aaaaaaaa", "legacy-bbbbbbbb", "legacy-cccccccc"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("trial %s of the old state is missing after resume", name)
		}
	}
	if data := kubectl(t, "get", "configmap", store.ConfigMapName("legacy"), "-n", ns, "-o", "jsonpath={.data}"); strings.Contains(data, "trials.json") {
		t.Errorf("the experiment's ConfigMap still holds trials.json after resume")
	}
	records := storedTrials(t, ns, "legacy")
	if len(records) != 4 {
		t.Errorf("%d trial records after resume, want 4", len(records))
	}
	for _, r := range records {
		if r.Name == "legacy-aaaaaaaa" && len(r.Reports) != 5 {
			t.Errorf("the old trial's observation log did not survive the rewrite: %v", r.Reports)
		}
	}
	// Deleting the experiment removes the records too.
	mustKatib(t, "delete", "legacy", "-n", ns)
	kubectl(t, "wait", "--for=delete", "configmaps", "-n", ns, "-l", "katib.kubeflow.org/experiment=legacy", "--timeout=60s")
}

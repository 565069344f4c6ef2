//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	corev1 "k8s.io/api/core/v1"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// trainerCommand turns a Katib example's command (python3 script --flags...) into the
// project's trainer with the same flags, trimmed to a subset of MNIST so a trial takes
// seconds.
func trainerCommand(c map[string]any) {
	var flags []any
	for _, a := range c["command"].([]any) {
		if s := a.(string); strings.HasPrefix(s, "--") {
			flags = append(flags, s)
		}
	}
	c["image"] = trainerImage
	c["imagePullPolicy"] = "Never"
	c["command"] = append([]any{"/trainer", "--num-train=1000", "--num-test=500", "--hidden=0"}, flags...)
	delete(c, "resources")
}

// Every hp-tuning example whose algorithm runs client-side runs on the local cluster with
// only its image and command swapped for the project's trainer.
func TestKatibHPTuningExamplesRun(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(), "testdata", "katib-examples", "hp-tuning", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			if r := katib(t, "validate", "-f", path); r.code != 0 {
				t.Skipf("not run client-side: %s", strings.TrimSpace(r.out+r.errOut))
			}
			ns := freshNamespace(t, "katib-ex")
			rel, _ := filepath.Rel(filepath.Join(repoRoot(), "testdata"), path)
			file := experimentFile(t, rel, func(obj map[string]any) { trainerCommand(jobContainer(obj)) })
			start := time.Now()
			r := katib(t, "run", "-f", file, "-n", ns)
			t.Logf("%s: exit %d in %v\n%s", name, r.code, time.Since(start).Round(time.Second), lastLines(r.out, 4))
			if r.code == 0 {
				return
			}
			// optuna-distribution samples momentum up to 3 and learning rates up to 5 with no
			// random_state: some draws are refused by the trainer (momentum must be below 1)
			// or make it diverge, and enough such failures end the experiment Failed, as they
			// would under Katib. That is a finished run, not a fault of the runner. Every other
			// example stays inside what the trainer accepts, so a failed run there is a fault.
			if name != "optuna-distribution" {
				t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
			}
			e := getExperiment(t, ns, dig(mustYAML(t, file), "metadata", "name").(string))
			last := e.Status.Conditions[len(e.Status.Conditions)-1]
			if r.code != 1 || last.Reason != "ExperimentMaxFailedTrialsReached" || !strings.Contains(r.out, "trainer:") {
				t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
			}
			t.Logf("%s ended Failed: its search space reaches parameters the trainer refuses or diverges on", name)
		})
	}
}

func mustYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestTPEExperiment(t *testing.T) {
	ns := freshNamespace(t, "katib-tpe")
	file := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "tpe-mnist"
		spec := dig(obj, "spec").(map[string]any)
		spec["algorithm"] = map[string]any{"algorithmName": "tpe", "algorithmSettings": []any{
			map[string]any{"name": "random_state", "value": "3"}, map[string]any{"name": "n_startup_trials", "value": "3"}}}
		spec["maxTrialCount"] = 8
	})
	if r := katib(t, "run", "-f", file, "-n", ns); r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if e := getExperiment(t, ns, "tpe-mnist"); e.Status.TrialsSucceeded != 8 || e.Status.CurrentOptimalTrial.BestTrialName == "" {
		t.Fatalf("tpe experiment: %+v", e.Status)
	}
}

// Median stopping ends trials that fall behind the median of finished ones. The same
// experiment (the same grid, so the same parameters) runs with and without it; what must hold
// is counted, not timed: stopped trials trained fewer epochs than the full eight, none of them
// counts as failed, and the experiment as a whole trained fewer epochs. The wall times are
// logged for context only: on a fast machine Pod start-up dominates a trial and hides them.
func TestMedianStopSavesTime(t *testing.T) {
	const epochs = 8
	edit := func(name string, medianstop bool) func(map[string]any) {
		return func(obj map[string]any) {
			dig(obj, "metadata").(map[string]any)["name"] = name
			spec := dig(obj, "spec").(map[string]any)
			spec["maxTrialCount"] = 8
			spec["parallelTrialCount"] = 2
			spec["maxFailedTrialCount"] = 8
			// A grid walks the list in order: two good learning rates finish first, then
			// hopeless ones (the trainer barely moves at 1e-5) alternate with good ones.
			spec["algorithm"] = map[string]any{"algorithmName": "grid"}
			spec["parameters"] = []any{
				map[string]any{"name": "lr", "parameterType": "discrete", "feasibleSpace": map[string]any{
					"list": []any{"0.05", "0.1", "0.00002", "0.03", "0.00005", "0.02", "0.00001", "0.04"}}},
				map[string]any{"name": "hidden", "parameterType": "int", "feasibleSpace": map[string]any{"min": "24", "max": "24"}}}
			if medianstop {
				spec["earlyStopping"] = map[string]any{"algorithmName": "medianstop", "algorithmSettings": []any{
					map[string]any{"name": "min_trials_required", "value": "2"}, map[string]any{"name": "start_step", "value": "2"}}}
			}
			dig(obj, "spec", "trialTemplate").(map[string]any)["retain"] = false
			jobContainer(obj)["args"] = []any{fmt.Sprintf("--epochs=%d", epochs), "--num-train=20000", "--num-test=1000",
				"--lr=${trialParameters.learningRate}", "--hidden=${trialParameters.hidden}"}
		}
	}
	ns := freshNamespace(t, "katib-median")
	timed := func(name string, medianstop bool) (time.Duration, katibExperiment, []store.TrialRecord) {
		file := experimentFile(t, "e2e/random-mnist.yaml", edit(name, medianstop))
		start := time.Now()
		r := katib(t, "run", "-f", file, "-n", ns)
		took := time.Since(start)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", name, r.code, r.out, r.errOut)
		}
		return took, getExperiment(t, ns, name), storedTrials(t, ns, name)
	}
	without, _, plain := timed("no-stopping", false)
	with, e, stopped := timed("median-stop", true)
	epochsWithout, epochsWith := 0, 0
	for _, tr := range plain {
		epochsWithout += len(tr.Reports)
		if len(tr.Reports) != epochs {
			t.Errorf("without early stopping, trial %s reported %d epochs, want %d", tr.Name, len(tr.Reports), epochs)
		}
	}
	for _, tr := range stopped {
		epochsWith += len(tr.Reports)
		if tr.State == suggest.StateEarlyStopped && len(tr.Reports) >= epochs {
			t.Errorf("trial %s is EarlyStopped but reported all %d epochs", tr.Name, len(tr.Reports))
		}
	}
	t.Logf("8 trials of %d epochs: %d epochs trained in %v without early stopping, %d in %v with medianstop (%d trials stopped early)",
		epochs, epochsWithout, without.Round(100*time.Millisecond), epochsWith, with.Round(100*time.Millisecond), e.Status.TrialsEarlyStopped)
	if os.Getenv("E2E_REPORT") != "" {
		f, _ := os.OpenFile(os.Getenv("E2E_REPORT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		defer f.Close()
		_, _ = fmt.Fprintf(f, "medianstop: without %v (%d epochs) with %v (%d epochs)\n", without, epochsWithout, with, epochsWith)
	}
	if e.Status.TrialsEarlyStopped == 0 {
		t.Fatalf("no trial was stopped early: %+v", e.Status)
	}
	if e.Status.TrialsFailed != 0 || e.Status.Trials != 8 {
		t.Errorf("early-stopped trials must not count as failures: %+v", e.Status)
	}
	if epochsWith >= epochsWithout {
		t.Errorf("medianstop trained %d epochs, no fewer than the %d trained without it", epochsWith, epochsWithout)
	}
}

// storedTrials reads the trial records straight from their ConfigMaps with kubectl.
func storedTrials(t *testing.T, ns, name string) []store.TrialRecord {
	t.Helper()
	raw := kubectl(t, "get", "configmaps", "-n", ns, "-l", "katib.kubeflow.org/experiment="+name+","+store.LabelObject+"=trial", "-o", "json")
	var list corev1.ConfigMapList
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatalf("trial records of %s: %v\n%s", name, err, raw)
	}
	var trials []store.TrialRecord
	for i := range list.Items {
		tr, err := store.DecodeTrial(&list.Items[i])
		if err != nil {
			t.Fatal(err)
		}
		trials = append(trials, tr)
	}
	return trials
}

//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// ASHA stops the trials that fall out of the top third at epochs 1, 3 and 9. The same grid of
// twelve learning rates (the same trials, in the same order) runs without early stopping and
// with asha. What must hold is counted, not timed: asha trains at most half the epochs, its
// best accuracy is within 0.01 of the full run's, every stopped trial stopped at a rung, and
// none of them counts as failed.
//
// The grid mixes learning rates that reach 0.94-0.95 (0.03 to 0.1, best at epoch 1 or 3
// among the trials) with ones that barely move (1e-4) or plateau early: whichever good rate
// reaches epoch 3 first is the best there and runs to the end, whatever order the two parallel
// trials finish in.
func TestASHAOnMNIST(t *testing.T) {
	const epochs = 9
	rates := []any{"0.01", "0.05", "0.0005", "0.1", "0.001", "0.03", "0.0001", "0.2", "0.002", "0.005", "0.3", "0.02"}
	edit := func(name string, asha bool) func(map[string]any) {
		return func(obj map[string]any) {
			dig(obj, "metadata").(map[string]any)["name"] = name
			spec := dig(obj, "spec").(map[string]any)
			spec["maxTrialCount"] = len(rates)
			spec["parallelTrialCount"] = 2
			spec["maxFailedTrialCount"] = len(rates)
			spec["algorithm"] = map[string]any{"algorithmName": "grid"}
			spec["parameters"] = []any{
				map[string]any{"name": "lr", "parameterType": "discrete", "feasibleSpace": map[string]any{"list": rates}},
				map[string]any{"name": "hidden", "parameterType": "int", "feasibleSpace": map[string]any{"min": "24", "max": "24"}}}
			if asha {
				spec["earlyStopping"] = map[string]any{"algorithmName": "asha", "algorithmSettings": []any{
					map[string]any{"name": "min_resource", "value": "1"},
					map[string]any{"name": "reduction_factor", "value": "3"}}}
			}
			dig(obj, "spec", "trialTemplate").(map[string]any)["retain"] = false
			jobContainer(obj)["args"] = []any{fmt.Sprintf("--epochs=%d", epochs), "--num-train=20000", "--num-test=1000",
				"--lr=${trialParameters.learningRate}", "--hidden=${trialParameters.hidden}"}
		}
	}
	ns := freshNamespace(t, "e2e-asha")
	run := func(name string, asha bool) (time.Duration, katibExperiment, []store.TrialRecord) {
		file := experimentFile(t, "e2e/random-mnist.yaml", edit(name, asha))
		if r := katib(t, "validate", "-f", file); r.code != 0 {
			t.Fatalf("validate %s: exit %d\n%s\n%s", name, r.code, r.out, r.errOut)
		}
		start := time.Now()
		r := katib(t, "run", "-f", file, "-n", ns)
		took := time.Since(start)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", name, r.code, r.out, r.errOut)
		}
		return took, getExperiment(t, ns, name), storedTrials(t, ns, name)
	}
	// best is the experiment's best objective as the store picks it: stopped trials count with
	// the accuracy they reached.
	best := func(trials []store.TrialRecord) float64 {
		b := -1.0
		for _, tr := range trials {
			if tr.Objective != nil && (tr.State == suggest.StateSucceeded || tr.State == suggest.StateEarlyStopped) {
				b = max(b, *tr.Objective)
			}
		}
		return b
	}

	tookPlain, plainExp, plain := run("e2e-asha-off", false)
	tookASHA, e, pruned := run("e2e-asha-on", true)

	epochsPlain, epochsASHA := 0, 0
	for _, tr := range plain {
		epochsPlain += len(tr.Reports)
		if len(tr.Reports) != epochs {
			t.Errorf("without early stopping, trial %s reported %d epochs, want %d", tr.Name, len(tr.Reports), epochs)
		}
	}
	sort.Slice(pruned, func(i, j int) bool { return pruned[i].Index < pruned[j].Index })
	for _, tr := range pruned {
		epochsASHA += len(tr.Reports)
		lr := ""
		for _, a := range tr.Assignments {
			if a.Name == "lr" {
				lr = a.Value
			}
		}
		t.Logf("lr %-6s %-12s %d epochs %s", lr, tr.State, len(tr.Reports), tr.Message)
		if tr.State != suggest.StateEarlyStopped {
			continue
		}
		if !slices.Contains([]int{1, 3, 9}, len(tr.Reports)) {
			t.Errorf("trial %s was stopped after %d epochs, which is no rung (1, 3, 9)", tr.Name, len(tr.Reports))
		}
		if !strings.Contains(tr.Message, "(asha)") || strings.Contains(tr.Message, "\n") {
			t.Errorf("trial %s: stopped with %q, want a one-line reason from asha", tr.Name, tr.Message)
		}
	}
	bestPlain, bestASHA := best(plain), best(pruned)
	t.Logf("%d trials of %d epochs: without early stopping %d epochs in %v, best accuracy %.4f; with asha %d epochs in %v, best accuracy %.4f (%d trials stopped early)",
		len(rates), epochs, epochsPlain, tookPlain.Round(100*time.Millisecond), bestPlain,
		epochsASHA, tookASHA.Round(100*time.Millisecond), bestASHA, e.Status.TrialsEarlyStopped)
	if os.Getenv("E2E_REPORT") != "" {
		f, _ := os.OpenFile(os.Getenv("E2E_REPORT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		defer f.Close()
		_, _ = fmt.Fprintf(f, "asha: without %v (%d epochs, best %.4f) with %v (%d epochs, best %.4f)\n",
			tookPlain, epochsPlain, bestPlain, tookASHA, epochsASHA, bestASHA)
	}

	if plainExp.Status.TrialsSucceeded != len(rates) {
		t.Errorf("without early stopping every trial must succeed: %+v", plainExp.Status)
	}
	if e.Status.TrialsEarlyStopped == 0 {
		t.Fatalf("asha stopped no trial: %+v", e.Status)
	}
	if e.Status.TrialsFailed != 0 || e.Status.Trials != len(rates) || e.Status.CurrentOptimalTrial.BestTrialName == "" {
		t.Errorf("early-stopped trials must not count as failures, and a best trial must be named: %+v", e.Status)
	}
	if bestASHA < bestPlain-0.01 {
		t.Errorf("best accuracy with asha %.4f is more than 0.01 below the %.4f of the full run", bestASHA, bestPlain)
	}
	if 2*epochsASHA > epochsPlain {
		t.Errorf("asha trained %d epochs, more than half of the %d trained without it", epochsASHA, epochsPlain)
	}
}

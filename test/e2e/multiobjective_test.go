//go:build e2e

package e2e

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// A multi-objective experiment on the MNIST trainer: accuracy maximised and the trainer's own
// training time per epoch (train_seconds) minimised, searched by nsga2. The run must end
// with a Pareto front whose trials no succeeded trial dominates, and get and compare must show
// the same front.
func TestMultiObjective(t *testing.T) {
	objectives := []experiment.Objective{
		{MetricName: "accuracy", Type: experiment.ObjectiveTypeMaximize},
		{MetricName: "train_seconds", Type: experiment.ObjectiveTypeMinimize},
	}
	edit := func(algorithm string) func(map[string]any) {
		return func(obj map[string]any) {
			meta := dig(obj, "metadata").(map[string]any)
			meta["name"] = "multi-mnist"
			meta["annotations"] = map[string]any{experiment.AnnotationObjectives: "accuracy:maximize,train_seconds:minimize"}
			spec := dig(obj, "spec").(map[string]any)
			dig(spec, "objective").(map[string]any)["additionalMetricNames"] = []any{"loss", "train_seconds"}
			spec["algorithm"] = map[string]any{"algorithmName": algorithm, "algorithmSettings": []any{
				map[string]any{"name": "population_size", "value": "3"}, map[string]any{"name": "seed", "value": "5"}}}
			spec["maxTrialCount"] = 6
			spec["parallelTrialCount"] = 2
			// Hidden units from none to 64 make training time vary as much as accuracy.
			spec["parameters"] = []any{
				map[string]any{"name": "lr", "parameterType": "double", "feasibleSpace": map[string]any{"min": "0.01", "max": "0.3", "distribution": "logUniform"}},
				map[string]any{"name": "hidden", "parameterType": "int", "feasibleSpace": map[string]any{"min": "0", "max": "64"}}}
			jobContainer(obj)["args"] = []any{"--epochs=2", "--num-train=2000", "--num-test=500", "--train-seconds",
				"--lr=${trialParameters.learningRate}", "--hidden=${trialParameters.hidden}"}
		}
	}

	// An algorithm that optimises one objective is refused before anything runs.
	r := katib(t, "validate", "-f", experimentFile(t, "e2e/random-mnist.yaml", edit("tpe")))
	if r.code != 2 || !strings.Contains(r.out+r.errOut, `spec.algorithm.algorithmName: Unsupported value: "tpe": tpe optimises a single objective`) {
		t.Fatalf("validate with tpe: exit %d\n%s%s", r.code, r.out, r.errOut)
	}

	ns := freshNamespace(t, "katib-multi")
	r = katib(t, "run", "-f", experimentFile(t, "e2e/random-mnist.yaml", edit("nsga2")), "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	printed := frontTable(t, r.out)
	t.Logf("kubectl katib run printed:\n%s", r.out)

	// The printed front is exactly the non-dominated set of the recorded trials.
	trials := storedTrials(t, ns, "multi-mnist")
	var names []string
	var points [][]float64
	for _, tr := range trials {
		if tr.State != suggest.StateSucceeded {
			continue
		}
		l, ok := suggest.Losses(tr.Objectives, objectives)
		if !ok {
			t.Fatalf("succeeded trial %s has objectives %v", tr.Name, tr.Objectives)
		}
		names, points = append(names, tr.Name), append(points, l)
	}
	if len(names) < 4 {
		t.Fatalf("only %d of 6 trials succeeded", len(names))
	}
	var want []string
	for _, i := range suggest.ParetoFront(points) {
		want = append(want, names[i])
	}
	slices.Sort(want)
	got := sortedKeys(printed)
	if !slices.Equal(got, want) {
		t.Fatalf("printed front %v, want the non-dominated trials %v", got, want)
	}
	for name, values := range printed {
		mine, _ := suggest.Losses(values, objectives)
		for j, other := range points {
			if suggest.Dominates(other, mine) {
				t.Errorf("front trial %s %v is dominated by %s", name, values, names[j])
			}
		}
	}

	// compare -o json lists the same front with each trial's values.
	var doc struct {
		Objectives  []struct{ MetricName, Type string }
		Experiments []struct {
			ParetoFront []struct {
				Name       string
				Objectives []struct {
					MetricName string
					Value      float64
				}
			} `json:"paretoFront"`
		}
	}
	out := mustKatib(t, "compare", "multi-mnist", "-n", ns, "-o", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("compare -o json: %v\n%s", err, out)
	}
	if len(doc.Objectives) != 2 || doc.Objectives[1].MetricName != "train_seconds" {
		t.Errorf("compare objectives %+v", doc.Objectives)
	}
	var compared []string
	for _, ft := range doc.Experiments[0].ParetoFront {
		compared = append(compared, ft.Name)
		if len(ft.Objectives) != 2 || ft.Objectives[0].Value != printed[ft.Name][0] || ft.Objectives[1].Value != printed[ft.Name][1] {
			t.Errorf("compare front trial %+v, printed %v", ft, printed[ft.Name])
		}
	}
	slices.Sort(compared)
	if !slices.Equal(compared, want) {
		t.Errorf("compare paretoFront %v, want %v", compared, want)
	}

	// get: status.paretoFront, the front under the experiment's row, the FRONT column.
	var e struct {
		Status struct{ ParetoFront []string }
	}
	if err := json.Unmarshal([]byte(mustKatib(t, "get", "experiment", "multi-mnist", "-n", ns, "-o", "json")), &e); err != nil {
		t.Fatal(err)
	}
	if slices.Sort(e.Status.ParetoFront); !slices.Equal(e.Status.ParetoFront, want) {
		t.Errorf("status.paretoFront %v, want %v", e.Status.ParetoFront, want)
	}
	if got := sortedKeys(frontTable(t, mustKatib(t, "get", "experiment", "multi-mnist", "-n", ns))); !slices.Equal(got, want) {
		t.Errorf("get experiment prints the front %v, want %v", got, want)
	}
	listing := strings.Split(strings.TrimSpace(mustKatib(t, "get", "trials", "multi-mnist", "-n", ns)), "\n")
	if !strings.Contains(listing[0], "FRONT") {
		t.Fatalf("get trials has no FRONT column:\n%s", strings.Join(listing, "\n"))
	}
	for _, line := range listing[1:] {
		f := strings.Fields(line)
		if onFront := slices.Contains(want, f[0]); (len(f) > 2 && f[2] == "*") != onFront {
			t.Errorf("get trials line %q: on the front %v", line, onFront)
		}
	}
}

// frontTable reads the table under "Pareto front:": each trial's accuracy and train_seconds.
func frontTable(t *testing.T, out string) map[string][]float64 {
	t.Helper()
	i := strings.Index(out, "Pareto front:")
	if i < 0 {
		t.Fatalf("no Pareto front printed:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out[i:]), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "TRIAL") || !strings.Contains(lines[1], "ACCURACY") || !strings.Contains(lines[1], "TRAIN_SECONDS") {
		t.Fatalf("the front is not a table of trials with both objectives:\n%s", out[i:])
	}
	front := map[string][]float64{}
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) < 3 {
			break
		}
		acc, err1 := strconv.ParseFloat(f[1], 64)
		secs, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("front row %q", line)
		}
		front[f[0]] = []float64{acc, secs}
	}
	return front
}

func sortedKeys(m map[string][]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

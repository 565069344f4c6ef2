//go:build e2e

package e2e

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// comparison is the part of compare's -o json the test reads.
type comparison struct {
	APIVersion, Kind string
	Objective        struct{ MetricName, Type string }
	Experiments      []struct {
		Name, Namespace, Phase string
		BestTrial              string
		BestValue              *float64
		BestParameters         []struct{ Name, Value string }
		TrialsToNearBest       *int
		Counts                 struct{ Total, Succeeded, Failed, EarlyStopped, Killed, Running int }
		CompletionTime         *time.Time
		DurationSeconds        float64
		Trials                 []struct {
			Name, State string
			Best        bool
			Parameters  []struct{ Name, Value string }
			Metrics     []struct{ Name, Value string }
		}
	}
}

func compareJSON(t *testing.T, args ...string) comparison {
	t.Helper()
	out := mustKatib(t, append([]string{"compare", "-o", "json"}, args...)...)
	var c comparison
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("compare -o json: %v\n%s", err, out)
	}
	if c.APIVersion != "compare.kubectl-katib.io/v1" || c.Kind != "Comparison" {
		t.Errorf("compare -o json: apiVersion %q kind %q", c.APIVersion, c.Kind)
	}
	return c
}

func TestCompareExperiments(t *testing.T) {
	ns := freshNamespace(t, "katib-compare")
	s := seriesExperiment{name: "cmp", kind: "Pod", maxTrials: 3, parallel: 3, count: 3, interval: 200 * time.Millisecond, linger: time.Second}
	data, err := os.ReadFile(s.file(t))
	if err != nil {
		t.Fatal(err)
	}
	variant := func(seed, direction string) string {
		return writeExperiment(t, data, func(obj map[string]any) {
			dig(obj, "spec", "algorithm", "algorithmSettings", 0).(map[string]any)["value"] = seed
			dig(obj, "spec", "objective").(map[string]any)["type"] = direction
		})
	}
	mustKatib(t, "run", "-f", variant("11", "maximize"), "--name", "cmp-a", "-n", ns)
	mustKatib(t, "run", "-f", variant("23", "maximize"), "--name", "cmp-b", "-n", ns)
	mustKatib(t, "run", "-f", variant("11", "minimize"), "--name", "cmp-min", "-n", ns)

	// One experiment: every trial, best first, with the values get trials reports.
	maxOf, maxText := map[string]float64{}, map[string]string{}
	params := map[string][]string{}
	for _, tr := range getTrials(t, nil, ns, "cmp-a") {
		for _, m := range tr.Status.Observation.Metrics {
			if m.Name == "accuracy" {
				v, err := strconv.ParseFloat(m.Max, 64)
				if err != nil {
					t.Fatalf("trial %s: accuracy max %q", tr.Metadata.Name, m.Max)
				}
				maxOf[tr.Metadata.Name], maxText[tr.Metadata.Name] = v, m.Max
			}
		}
		for _, a := range tr.Spec.ParameterAssignments {
			params[tr.Metadata.Name] = append(params[tr.Metadata.Name], a.Value)
		}
	}
	table := mustKatib(t, "compare", "cmp-a", "-n", ns)
	t.Logf("compare cmp-a:\n%s", table)
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 4 || !slices.Equal(strings.Fields(lines[0]), []string{"TRIAL", "STATE", "LOW", "TOP", "ACCURACY", "DURATION"}) {
		t.Fatalf("compare cmp-a: want a header and 3 rows:\n%s", table)
	}
	prev := 2.0
	for i, line := range lines[1:] {
		fields := strings.Fields(line)
		if i == 0 {
			if fields[0] != "*" {
				t.Errorf("the first row is not marked best:\n%s", table)
			}
			fields = fields[1:]
		}
		name, acc := fields[0], fields[4]
		v, err := strconv.ParseFloat(acc, 64)
		if err != nil || v != maxOf[name] {
			t.Errorf("trial %s: compare shows accuracy %q, get trials %v", name, acc, maxOf[name])
		}
		if v > prev {
			t.Errorf("trials not ranked best first:\n%s", table)
		}
		prev = v
		if fields[1] != "Succeeded" {
			t.Errorf("trial %s: state %s", name, fields[1])
		}
	}
	one := compareJSON(t, "cmp-a", "-n", ns)
	if len(one.Experiments) != 1 || len(one.Experiments[0].Trials) != 3 || !one.Experiments[0].Trials[0].Best {
		t.Fatalf("compare cmp-a -o json: %+v", one)
	}
	for _, tr := range one.Experiments[0].Trials {
		var got []string
		for _, p := range tr.Parameters {
			got = append(got, p.Value)
		}
		if !slices.Equal(got, params[tr.Name]) || tr.Metrics[0].Name != "accuracy" || tr.Metrics[0].Value != maxText[tr.Name] {
			t.Errorf("trial %s in -o json: parameters %v metrics %v; get trials: %v %v", tr.Name, got, tr.Metrics, params[tr.Name], maxOf[tr.Name])
		}
	}

	// Two experiments side by side.
	two := compareJSON(t, "cmp-a", "cmp-b", "-n", ns)
	if two.Objective.MetricName != "accuracy" || two.Objective.Type != "maximize" || len(two.Experiments) != 2 {
		t.Fatalf("compare cmp-a cmp-b -o json: %+v", two)
	}
	for i, name := range []string{"cmp-a", "cmp-b"} {
		e := two.Experiments[i]
		k := getExperiment(t, ns, name)
		var bestMax string
		for _, m := range k.Status.CurrentOptimalTrial.Observation.Metrics {
			if m.Name == "accuracy" {
				bestMax = m.Max
			}
		}
		if e.Name != name || e.Namespace != ns || e.Phase != "Succeeded" || e.BestTrial != k.Status.CurrentOptimalTrial.BestTrialName ||
			e.BestValue == nil || *e.BestValue != parseFloat(bestMax) || len(e.BestParameters) != 2 {
			t.Errorf("%s: %+v; get experiment says best %s with %s", name, e, k.Status.CurrentOptimalTrial.BestTrialName, bestMax)
		}
		if e.Counts.Total != 3 || e.Counts.Succeeded != 3 || e.Counts.Failed+e.Counts.EarlyStopped+e.Counts.Killed+e.Counts.Running != 0 {
			t.Errorf("%s: counts %+v", name, e.Counts)
		}
		if e.TrialsToNearBest == nil || *e.TrialsToNearBest < 1 || *e.TrialsToNearBest > 3 || e.CompletionTime == nil || e.DurationSeconds <= 0 || e.Trials != nil {
			t.Errorf("%s: trialsToNearBest %v, completion %v, duration %v, trials %v", name, e.TrialsToNearBest, e.CompletionTime, e.DurationSeconds, e.Trials)
		}
	}
	out := mustKatib(t, "compare", "cmp-a", "cmp-b", "-n", ns, "-o", "csv")
	t.Logf("compare cmp-a cmp-b -o csv:\n%s", out)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "experiment" || rows[1][0] != "cmp-a" || rows[2][0] != "cmp-b" {
		t.Errorf("compare -o csv: %v %q", err, rows)
	}
	table = mustKatib(t, "compare", "cmp-a", "cmp-b", "-n", ns)
	t.Logf("compare cmp-a cmp-b:\n%s", table)
	if !strings.HasPrefix(table, "NAME ") || !strings.Contains(table, "NEAR-BEST-AT") {
		t.Errorf("compare cmp-a cmp-b:\n%s", table)
	}

	// What cannot be compared.
	if r := katib(t, "compare", "cmp-a", "cmp-min", "-n", ns); r.code != 2 || !strings.Contains(r.errOut, `"cmp-a" (maximize accuracy) and "cmp-min" (minimize accuracy) do not share an objective`) || r.out != "" {
		t.Errorf("mismatched objectives: exit %d\n%s%s", r.code, r.out, r.errOut)
	} else {
		t.Logf("compare cmp-a cmp-min: exit %d: %s", r.code, r.errOut)
	}
	if r := katib(t, "compare", "cmp-a", "cmp-nope", "-n", ns); r.code != 1 || !strings.Contains(r.errOut, `experiment "cmp-nope" not found in namespace "`+ns+`"`) ||
		!strings.Contains(r.errOut, "kubectl katib get experiments -n "+ns) {
		t.Errorf("missing experiment: exit %d\n%s", r.code, r.errOut)
	}

	// Every namespace's experiments.
	all := mustKatib(t, "get", "experiments", "-A")
	t.Logf("get experiments -A:\n%s", all)
	if !strings.HasPrefix(all, "NAMESPACE ") {
		t.Errorf("get experiments -A has no NAMESPACE column first:\n%s", all)
	}
	for _, name := range []string{"cmp-a", "cmp-b", "cmp-min"} {
		found := false
		for _, line := range strings.Split(all, "\n") {
			if f := strings.Fields(line); len(f) > 2 && f[0] == ns && f[1] == name {
				found = true
			}
		}
		if !found {
			t.Errorf("get experiments -A lacks %s/%s:\n%s", ns, name, all)
		}
	}
	var list struct {
		Kind  string
		Items []struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
		}
	}
	if err := json.Unmarshal([]byte(mustKatib(t, "get", "experiments", "--all-namespaces", "-o", "json")), &list); err != nil || list.Kind != "List" {
		t.Fatalf("get experiments -A -o json: %v %+v", err, list)
	}
	n := 0
	for _, item := range list.Items {
		if item.Kind == "Experiment" && item.Metadata.Namespace == ns {
			n++
		}
	}
	if n != 3 {
		t.Errorf("get experiments -A -o json: %d experiments in %s, want 3", n, ns)
	}
	if r := katib(t, "get", "experiments", "cmp-a", "-A"); r.code != 2 {
		t.Errorf("get experiments NAME -A: exit %d, want 2: %s", r.code, r.errOut)
	}
}

func parseFloat(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

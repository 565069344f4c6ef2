package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// second is another search for the same objective as fixture(): it ended, reached its best
// on the third trial, and stopped one trial early and killed another.
func second() *store.State {
	st := fixture()
	st.Experiment.Name = "mnist-tpe"
	st.Experiment.Spec.Algorithm.AlgorithmName = "tpe"
	obs := func(acc string) *experiment.Observation {
		return &experiment.Observation{Metrics: []experiment.Metric{{Name: "accuracy", Max: acc, Latest: acc}, {Name: "loss", Min: "0.3"}}}
	}
	trial := func(i int, state suggest.TrialState, acc float64, lr, opt string) store.TrialRecord {
		t := store.TrialRecord{Name: fmt.Sprintf("mnist-tpe-%d", i), Index: i, State: state, CreationTime: at(10 * i), CompletionTime: at(10*i + 9),
			Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: lr}, {Name: "optimizer", Value: opt}}}
		if acc > 0 {
			t.Objective, t.Observation = f(acc), obs(fmt.Sprint(acc))
		}
		return t
	}
	st.Trials = []store.TrialRecord{
		trial(0, suggest.StateSucceeded, 0.71, "0.3", "sgd"),
		trial(1, suggest.StateEarlyStopped, 0.52, "0.9", "sgd"),
		trial(2, suggest.StateSucceeded, 0.945, "0.020408163265306124", "adam, nesterov"),
		trial(3, suggest.StateSucceeded, 0.95, "0.03", "adam"),
		trial(4, suggest.StateKilled, 0.97, "0.04", "adam"),
	}
	st.Status.StartTime = at(0)
	st.Status.CompletionTime = at(60)
	st.SetCondition(experiment.ExperimentSucceeded, "ExperimentMaxTrialsReached", "Experiment has succeeded because max trial count has reached", *at(60))
	return st
}

var compareNow = t0.Add(2 * time.Minute)

func TestCompareOneExperiment(t *testing.T) {
	doc, err := Compare([]*store.State{fixture()}, compareNow)
	if err != nil {
		t.Fatal(err)
	}
	e := doc.Experiments[0]
	if e.BestTrial != "mnist-bbbbbbbb" || len(e.Trials) != 4 || !e.Trials[0].Best || e.Trials[0].Name != e.BestTrial {
		t.Errorf("best %q, trials %+v", e.BestTrial, e.Trials)
	}
	var buf bytes.Buffer
	for _, width := range []int{0, 80} {
		fmt.Fprintf(&buf, "--- table, width %d\n", width)
		if err := ComparisonTable(&buf, []*store.State{fixture()}, doc, false, width, compareNow); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range ComparisonFormats {
		fmt.Fprintf(&buf, "--- -o %s\n", format)
		if err := WriteComparison(&buf, doc, format); err != nil {
			t.Fatal(err)
		}
	}
	golden.Assert(t, "report/compare-one.golden", buf.Bytes())
}

func TestCompareSeveralExperiments(t *testing.T) {
	states := []*store.State{fixture(), second()}
	doc, err := Compare(states, compareNow)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, width := range []int{0, 80} {
		var table bytes.Buffer
		if err := ComparisonTable(&table, states, doc, false, width, compareNow); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
			if width > 0 && cells(line) > width {
				t.Errorf("%d cells wide, more than %d: %q", cells(line), width, line)
			}
		}
		fmt.Fprintf(&buf, "--- table, width %d\n%s", width, table.String())
	}
	for _, format := range ComparisonFormats {
		var out bytes.Buffer
		if err := WriteComparison(&out, doc, format); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&buf, "--- -o %s\n%s", format, out.String())
		switch format {
		case "csv":
			rows, err := csv.NewReader(&out).ReadAll()
			if err != nil || len(rows) != 3 || rows[2][5] != "lr=0.03 optimizer=adam" && rows[2][5] != "lr=0.03,optimizer=adam" {
				t.Errorf("csv: %v %q", err, rows)
			}
		case "json":
			var back ComparisonDoc
			if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.APIVersion != ComparisonAPIVersion || back.Kind != ComparisonKind {
				t.Errorf("json: %v %+v", err, back)
			}
			if len(back.Experiments) != 2 || back.Experiments[0].Trials != nil {
				t.Errorf("several experiments carry no trials: %+v", back.Experiments)
			}
		}
	}
	golden.Assert(t, "report/compare-several.golden", buf.Bytes())

	got := doc.Experiments[1]
	want := ComparedCounts{Total: 5, Succeeded: 3, Failed: 0, EarlyStopped: 1, Killed: 1}
	if got.Counts != want || *got.BestValue != 0.95 || got.BestTrial != "mnist-tpe-3" || *got.TrialsToNearBest != 3 || got.DurationSeconds != 60 {
		t.Errorf("second experiment: %+v", got)
	}
	if first := doc.Experiments[0]; first.Counts.Failed != 1 || first.Counts.Running != 1 || first.CompletionTime != nil || first.DurationSeconds != 120 {
		t.Errorf("a running experiment lasts until now and counts metrics-unavailable as failed: %+v", first)
	}
}

func TestCompareRefusesDifferentObjectives(t *testing.T) {
	minimize := second()
	minimize.Experiment.Spec.Objective.Type = experiment.ObjectiveTypeMinimize
	for _, tc := range []struct {
		name  string
		other *store.State
		want  string
	}{
		{"metric", sampled(), `experiments "mnist" (maximize accuracy) and "optuna-distribution" (minimize loss) do not share an objective`},
		{"direction", minimize, `experiments "mnist" (maximize accuracy) and "mnist-tpe" (minimize accuracy) do not share an objective`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare([]*store.State{fixture(), tc.other}, compareNow)
			var mismatch *ObjectiveMismatchError
			if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTrialsToNearBest(t *testing.T) {
	succeeded := func(v float64) store.TrialRecord {
		return store.TrialRecord{State: suggest.StateSucceeded, Objective: f(v)}
	}
	for _, tc := range []struct {
		name     string
		maximize bool
		trials   []store.TrialRecord
		want     int // 0: none
	}{
		{"first is best", true, []store.TrialRecord{succeeded(0.9), succeeded(0.5)}, 1},
		{"within 1% below a maximum", true, []store.TrialRecord{succeeded(0.5), succeeded(0.892), succeeded(0.9)}, 2},
		{"just outside 1%", true, []store.TrialRecord{succeeded(0.5), succeeded(0.89), succeeded(0.9)}, 3},
		{"within 1% above a minimum", false, []store.TrialRecord{succeeded(2), succeeded(1.01), succeeded(1)}, 2},
		{"negative best uses its magnitude", true, []store.TrialRecord{succeeded(-5), succeeded(-1.005), succeeded(-1)}, 2},
		{"zero best needs zero", false, []store.TrialRecord{succeeded(0.001), succeeded(0)}, 2},
		{"a killed trial's value does not count", true, []store.TrialRecord{{State: suggest.StateKilled, Objective: f(0.9)}, succeeded(0.9)}, 2},
		{"no value", true, []store.TrialRecord{{State: suggest.StateFailed}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := fixture()
			if !tc.maximize {
				st.Experiment.Spec.Objective.Type = experiment.ObjectiveTypeMinimize
			}
			for i := range tc.trials {
				tc.trials[i].Index, tc.trials[i].Name = i, fmt.Sprint("t", i)
			}
			st.Trials = tc.trials
			e := comparedExperiment(st, compareNow)
			got := 0
			if e.TrialsToNearBest != nil {
				got = *e.TrialsToNearBest
			}
			if got != tc.want {
				t.Errorf("trials to near best %d, want %d", got, tc.want)
			}
		})
	}
}

func TestExperimentsAllNamespaces(t *testing.T) {
	other := second()
	other.Experiment.Namespace = "research"
	var buf bytes.Buffer
	if err := ExperimentsAllNamespaces(&buf, []*store.State{fixture(), other}, false, compareNow); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.HasPrefix(lines[0], "NAMESPACE   NAME ") || !strings.HasPrefix(lines[1], "ml          mnist ") || !strings.HasPrefix(lines[2], "research    mnist-tpe ") {
		t.Errorf("namespace column:\n%s", buf.String())
	}
}

package export

import (
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// loaded is what testdata/optuna_load.py prints of a study Optuna loaded from a journal.
type loaded struct {
	Study struct {
		Name       string         `json:"name"`
		Directions []string       `json:"directions"`
		UserAttrs  map[string]any `json:"user_attrs"`
	} `json:"study"`
	Trials []struct {
		Number int    `json:"number"`
		State  string `json:"state"`
		// Params holds [value, Python type name] pairs.
		Params             map[string][2]any `json:"params"`
		Distributions      map[string]any    `json:"distributions"`
		Values             []any             `json:"values"`
		IntermediateValues map[string]any    `json:"intermediate_values"`
		UserAttrs          map[string]any    `json:"user_attrs"`
		DatetimeStart      *string           `json:"datetime_start"`
		DatetimeComplete   *string           `json:"datetime_complete"`
	} `json:"trials"`
	BestTrial *int     `json:"best_trial"`
	Warnings  []string `json:"warnings"`
}

// plain is a float as the loader prints it: non-finite values as Python's names for them.
func plain(v float64) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return v
}

// The fixture's journal, loaded by Optuna itself, is the fixture: same trials in index order,
// same parameters (as Python floats, ints and strs by kind) and distributions, same states,
// values and intermediate values, and the best trial the fixture's best completed one.
func TestOptunaLoadsJournal(t *testing.T) {
	py := python(t, "optuna")
	st := fixture()
	path := writeTemp(t, "study.journal", []byte(journalOf(t, st)))
	var got loaded
	runPython(t, py, "optuna_load.py", &got, path, "team-a/mnist-hp")

	if len(got.Warnings) > 0 {
		t.Errorf("Optuna warned while loading: %q", got.Warnings)
	}
	if got.Study.Name != "team-a/mnist-hp" || !reflect.DeepEqual(got.Study.Directions, []string{"MAXIMIZE"}) {
		t.Errorf("study %q directions %v", got.Study.Name, got.Study.Directions)
	}
	wantStudyAttrs := map[string]any{
		"katib_experiment":         "mnist-hp",
		"katib_namespace":          "team-a",
		"katib_objective_type":     "maximize",
		"katib_objective_metric":   "accuracy",
		"katib_additional_metrics": []any{"loss"},
		"katib_goal":               0.99,
		"katib_algorithm":          "tpe",
		"katib_algorithm_settings": map[string]any{"n_startup_trials": "5"},
		"katib_early_stopping":     "medianstop",
		"katib_phase":              "Running",
		"katib_distribution_notes": map[string]any{
			"warmup": "Katib samples it from a normal prior, which Optuna cannot express; the range and scale are kept",
		},
	}
	if !reflect.DeepEqual(got.Study.UserAttrs, wantStudyAttrs) {
		t.Errorf("study user attrs\n got %v\nwant %v", got.Study.UserAttrs, wantStudyAttrs)
	}

	float := func(step, low, high any, log bool) map[string]any {
		return map[string]any{"name": "FloatDistribution",
			"attributes": map[string]any{"step": step, "low": low, "high": high, "log": log}}
	}
	integer := func(step, low, high float64) map[string]any {
		return map[string]any{"name": "IntDistribution",
			"attributes": map[string]any{"step": step, "low": low, "high": high, "log": false}}
	}
	categorical := func(choices ...any) map[string]any {
		return map[string]any{"name": "CategoricalDistribution", "attributes": map[string]any{"choices": choices}}
	}
	wantDists := map[string]any{
		"lr":        float(nil, 0.0001, 0.1, true),
		"momentum":  float(nil, 0.5, 0.99, false),
		"dropout":   float(0.1, 0.1, 0.5, false),
		"warmup":    float(nil, 0.0, 10.0, false),
		"layers":    integer(1, 1, 8),
		"batch":     integer(16, 16, 128),
		"optimizer": categorical("sgd", "adam", "rmsprop"),
		"width":     categorical(32.0, 64.0, 128.0),
		"ratio":     categorical(0.25, 0.5, 1.0),
	}
	// The Python type each parameter's values have in Optuna.
	pyType := map[string]string{"lr": "float", "momentum": "float", "dropout": "float", "warmup": "float",
		"layers": "int", "batch": "int", "optimizer": "str", "width": "int", "ratio": "float"}
	wantState := map[string]string{
		"mnist-hp-a": "COMPLETE", "mnist-hp-b": "FAIL", "mnist-hp-c": "PRUNED", "mnist-hp-d": "RUNNING",
		"mnist-hp-e": "COMPLETE", "mnist-hp-f": "FAIL", "mnist-hp-g": "FAIL", "mnist-hp-h": "FAIL",
		"mnist-hp-i": "COMPLETE", "mnist-hp-j": "RUNNING",
	}

	trials := trialsByIndex(st)
	if len(got.Trials) != len(trials) {
		t.Fatalf("Optuna loaded %d trials, want %d", len(got.Trials), len(trials))
	}
	for i, tr := range trials {
		g := got.Trials[i]
		if g.Number != i || g.UserAttrs["katib_trial"] != tr.Name || g.UserAttrs["katib_index"] != float64(tr.Index) {
			t.Errorf("trial %d is %v (index %v), want %s (index %d)", g.Number, g.UserAttrs["katib_trial"], g.UserAttrs["katib_index"], tr.Name, tr.Index)
			continue
		}
		if g.State != wantState[tr.Name] || g.UserAttrs["katib_state"] != string(tr.State) {
			t.Errorf("%s: state %s (katib %v), want %s (%s)", tr.Name, g.State, g.UserAttrs["katib_state"], wantState[tr.Name], tr.State)
		}

		wantParams := map[string][2]any{}
		wantAssigned := map[string]any{}
		for _, a := range tr.Assignments {
			wantAssigned[a.Name] = a.Value
			var v any = a.Value
			if pyType[a.Name] != "str" {
				v, _ = strconv.ParseFloat(a.Value, 64)
			}
			wantParams[a.Name] = [2]any{v, pyType[a.Name]}
		}
		if !reflect.DeepEqual(g.Params, wantParams) {
			t.Errorf("%s: params\n got %v\nwant %v", tr.Name, g.Params, wantParams)
		}
		if !reflect.DeepEqual(g.UserAttrs["katib_parameters"], wantAssigned) {
			t.Errorf("%s: katib_parameters %v, want %v", tr.Name, g.UserAttrs["katib_parameters"], wantAssigned)
		}
		if !reflect.DeepEqual(g.Distributions, wantDists) {
			t.Errorf("%s: distributions\n got %v\nwant %v", tr.Name, g.Distributions, wantDists)
		}

		var wantValues []any
		if g.State == "COMPLETE" || g.State == "PRUNED" {
			wantValues = []any{plain(*tr.Objective)}
		}
		if !reflect.DeepEqual(g.Values, wantValues) {
			t.Errorf("%s: values %v, want %v", tr.Name, g.Values, wantValues)
		}
		wantInter := map[string]any{}
		for k, v := range tr.Reports {
			wantInter[strconv.Itoa(k*max(tr.ReportStride, 1))] = plain(v)
		}
		if !reflect.DeepEqual(g.IntermediateValues, wantInter) {
			t.Errorf("%s: intermediate values %v, want %v", tr.Name, g.IntermediateValues, wantInter)
		}
		if tr.Objective != nil && g.UserAttrs["katib_objective"] != plain(*tr.Objective) {
			t.Errorf("%s: katib_objective %v, want %v", tr.Name, g.UserAttrs["katib_objective"], plain(*tr.Objective))
		}
		if _, ok := g.UserAttrs["katib_fail_reason"]; ok != (tr.Name == "mnist-hp-f") {
			t.Errorf("%s: katib_fail_reason %v", tr.Name, g.UserAttrs["katib_fail_reason"])
		}

		wantStart, wantComplete := "", ""
		if tr.StartTime != nil {
			wantStart = tr.StartTime.UTC().Format(optunaTimeLayout)
		} else {
			wantStart = st.Status.StartTime.UTC().Format(optunaTimeLayout)
		}
		if tr.State.Finished() {
			wantComplete = tr.CompletionTime.UTC().Format(optunaTimeLayout)
		}
		if deref(g.DatetimeStart) != wantStart || deref(g.DatetimeComplete) != wantComplete {
			t.Errorf("%s: times %q %q, want %q %q", tr.Name, deref(g.DatetimeStart), deref(g.DatetimeComplete), wantStart, wantComplete)
		}
	}

	// One trial's user attributes in full.
	wantAttrs := map[string]any{
		"katib_trial": "mnist-hp-e", "katib_index": 4.0, "katib_state": "Succeeded",
		"katib_parameters": map[string]any{"lr": "0.0031622776601683794", "momentum": "0.95", "dropout": "0.4",
			"warmup": "10", "layers": "5", "batch": "112", "optimizer": "sgd", "width": "128", "ratio": "1.0"},
		"katib_objective": 0.95,
		"accuracy.latest": 0.95, "accuracy.min": 0.6, "accuracy.max": 0.95,
		"loss.latest": 0.125, "loss.min": 0.125, "loss.max": 0.125,
	}
	if !reflect.DeepEqual(got.Trials[4].UserAttrs, wantAttrs) {
		t.Errorf("trial 4 user attrs\n got %v\nwant %v", got.Trials[4].UserAttrs, wantAttrs)
	}
	if attrs := got.Trials[6].UserAttrs; attrs["accuracy.latest"] != "unavailable" {
		t.Errorf("a metric Katib could not read should keep its stored string: %v", attrs)
	}

	// Optuna's best trial is the best completed one; Katib's may be early-stopped.
	best := -1
	for i, tr := range trials {
		if tr.State == suggest.StateSucceeded && tr.Objective != nil && !math.IsNaN(*tr.Objective) &&
			(best < 0 || *tr.Objective > *trials[best].Objective) {
			best = i
		}
	}
	if got.BestTrial == nil || *got.BestTrial != best || trials[best].Name != "mnist-hp-e" {
		t.Errorf("best trial %v, want %d (%s)", got.BestTrial, best, trials[best].Name)
	}
	if st.Best().Name != "mnist-hp-c" {
		t.Errorf("the fixture's Katib best is %s; the test expects the early-stopped mnist-hp-c", st.Best().Name)
	}
}

// A study with no completed trial loads too, and has no best trial.
func TestOptunaLoadsJournalWithoutCompleteTrials(t *testing.T) {
	py := python(t, "optuna")
	st := small()
	st.Trials = st.Trials[:1]
	var got loaded
	runPython(t, py, "optuna_load.py", &got, writeTemp(t, "j", []byte(journalOf(t, st))), "small")
	if len(got.Trials) != 1 || got.Trials[0].State != "RUNNING" || got.BestTrial != nil || len(got.Warnings) > 0 {
		t.Errorf("loaded %+v", got)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

package export

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

func journalOf(t *testing.T, st *store.State) string {
	t.Helper()
	var b bytes.Buffer
	if err := OptunaJournal(&b, st); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// small is a minimized experiment with one parameter, one finished and one running trial.
func small() *store.State {
	return &store.State{
		Experiment: &experiment.Experiment{
			ObjectMeta: metav1.ObjectMeta{Name: "small"},
			Spec: experiment.ExperimentSpec{
				Objective: &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMinimize, ObjectiveMetricName: "loss"},
				Algorithm: &experiment.AlgorithmSpec{AlgorithmName: "random"},
				Parameters: []experiment.ParameterSpec{{Name: "x", ParameterType: experiment.ParameterTypeDouble,
					FeasibleSpace: experiment.FeasibleSpace{Min: "-1", Max: "1"}}},
			},
		},
		Status: store.Status{Conditions: []experiment.ExperimentCondition{{Type: experiment.ExperimentSucceeded, Status: "True"}}},
		Trials: []store.TrialRecord{
			{Name: "small-b", Index: 1, State: suggest.StateRunning, Assignments: assign("x", "1"),
				CreationTime: at(5), StartTime: at(6)},
			{Name: "small-a", Index: 0, State: suggest.StateSucceeded, Assignments: assign("x", "-0.5"),
				Objective:   f64(0.25),
				Observation: observed(experiment.Metric{Name: "loss", Latest: "0.25", Min: "0.25", Max: "1"}),
				Reports:     []float64{1, 0.25}, ReportStride: 1,
				CreationTime: at(0), StartTime: at(1), CompletionTime: at(4)},
		},
	}
}

func TestOptunaJournalSmall(t *testing.T) {
	const dist = `"{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": -1.0, \"high\": 1.0, \"log\": false}}"`
	want := strings.Join([]string{
		`{"op_code": 0, "worker_id": "kubectl-katib-export", "study_name": "small", "directions": [1]}`,
		`{"op_code": 2, "worker_id": "kubectl-katib-export", "study_id": 0, "user_attr": {"katib_experiment": "small"}}`,
		`{"op_code": 2, "worker_id": "kubectl-katib-export", "study_id": 0, "user_attr": {"katib_objective_type": "minimize"}}`,
		`{"op_code": 2, "worker_id": "kubectl-katib-export", "study_id": 0, "user_attr": {"katib_objective_metric": "loss"}}`,
		`{"op_code": 2, "worker_id": "kubectl-katib-export", "study_id": 0, "user_attr": {"katib_algorithm": "random"}}`,
		`{"op_code": 2, "worker_id": "kubectl-katib-export", "study_id": 0, "user_attr": {"katib_phase": "Succeeded"}}`,
		`{"op_code": 4, "worker_id": "kubectl-katib-export", "study_id": 0, "datetime_start": "2025-03-04T10:00:01.000000"}`,
		`{"op_code": 5, "worker_id": "kubectl-katib-export", "trial_id": 0, "param_name": "x", "param_value_internal": -0.5, "distribution": ` + dist + `}`,
		`{"op_code": 7, "worker_id": "kubectl-katib-export", "trial_id": 0, "step": 0, "intermediate_value": 1.0}`,
		`{"op_code": 7, "worker_id": "kubectl-katib-export", "trial_id": 0, "step": 1, "intermediate_value": 0.25}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"katib_trial": "small-a"}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"katib_index": 0}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"katib_state": "Succeeded"}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"katib_parameters": {"x": "-0.5"}}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"katib_objective": 0.25}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"loss.latest": 0.25}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"loss.min": 0.25}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 0, "user_attr": {"loss.max": 1.0}}`,
		`{"op_code": 6, "worker_id": "kubectl-katib-export", "trial_id": 0, "state": 1, "values": [0.25], "datetime_complete": "2025-03-04T10:00:04.000000"}`,
		`{"op_code": 4, "worker_id": "kubectl-katib-export", "study_id": 0, "datetime_start": "2025-03-04T10:00:06.000000"}`,
		`{"op_code": 5, "worker_id": "kubectl-katib-export", "trial_id": 1, "param_name": "x", "param_value_internal": 1.0, "distribution": ` + dist + `}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 1, "user_attr": {"katib_trial": "small-b"}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 1, "user_attr": {"katib_index": 1}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 1, "user_attr": {"katib_state": "Running"}}`,
		`{"op_code": 8, "worker_id": "kubectl-katib-export", "trial_id": 1, "user_attr": {"katib_parameters": {"x": "1"}}}`,
	}, "\n") + "\n"
	if got := journalOf(t, small()); got != want {
		t.Errorf("journal:\n%s\nwant:\n%s", got, want)
	}
}

// Every line is one JSON object once the NaN and Infinity tokens Python writes (and reads)
// are replaced, and says which study or trial it is about.
func TestOptunaJournalLines(t *testing.T) {
	journal := journalOf(t, fixture())
	if !strings.HasSuffix(journal, "\n") {
		t.Fatal("the journal does not end with a newline")
	}
	strict := strings.NewReplacer("-Infinity", "null", "Infinity", "null", "NaN", "null")
	lastTrial := -1
	for i, line := range strings.Split(strings.TrimSuffix(journal, "\n"), "\n") {
		var op map[string]any
		if err := json.Unmarshal([]byte(strict.Replace(line)), &op); err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		if op["worker_id"] != WorkerID {
			t.Errorf("line %d: worker_id %v", i+1, op["worker_id"])
		}
		code := op["op_code"].(float64)
		switch {
		case i == 0 && code != opCreateStudy:
			t.Fatalf("line 1 is op %v, not CREATE_STUDY", code)
		case code == opCreateTrial:
			lastTrial++
		case code >= opSetTrialParam:
			if int(op["trial_id"].(float64)) != lastTrial {
				t.Errorf("line %d is about trial %v, the last created is %d", i+1, op["trial_id"], lastTrial)
			}
		}
	}
	if lastTrial != len(fixture().Trials)-1 {
		t.Errorf("%d trials created, want %d", lastTrial+1, len(fixture().Trials))
	}
}

func TestDistributions(t *testing.T) {
	space := func(typ experiment.ParameterType, min, max, step string, dist experiment.Distribution, list ...string) experiment.ParameterSpec {
		return experiment.ParameterSpec{Name: "p", ParameterType: typ,
			FeasibleSpace: experiment.FeasibleSpace{Min: min, Max: max, Step: step, Distribution: dist, List: list}}
	}
	const (
		double      = experiment.ParameterTypeDouble
		integer     = experiment.ParameterTypeInt
		categorical = experiment.ParameterTypeCategorical
		discrete    = experiment.ParameterTypeDiscrete
	)
	for _, tc := range []struct {
		name string
		spec experiment.ParameterSpec
		json string
		note string
		// in maps values to their internal representation; "" for a value left out.
		in map[string]string
	}{
		{"uniform double", space(double, "0", "1", "", ""),
			`{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0, "high": 1.0, "log": false}}`, "",
			map[string]string{"0.5": "0.5", "1": "1.0", " 2e-7 ": "2e-07", "x": "", "NaN": ""}},
		{"log-uniform double", space(double, "1e-5", "0.1", "", experiment.DistributionLogUniform),
			`{"name": "FloatDistribution", "attributes": {"step": null, "low": 1e-05, "high": 0.1, "log": true}}`, "", nil},
		{"stepped double", space(double, "0.1", "1", "0.3", ""),
			`{"name": "FloatDistribution", "attributes": {"step": 0.3, "low": 0.1, "high": 1.0, "log": false}}`, "",
			map[string]string{"0.7": "0.7"}},
		{"stepped double cut to its last step", space(double, "0", "1", "0.3", ""),
			`{"name": "FloatDistribution", "attributes": {"step": 0.3, "low": 0.0, "high": 0.9, "log": false}}`, "", nil},
		{"stepped log double", space(double, "1", "100", "1", experiment.DistributionLogUniform),
			`{"name": "FloatDistribution", "attributes": {"step": null, "low": 1.0, "high": 100.0, "log": true}}`,
			"Optuna has no log-scaled float with a step; the step is dropped", nil},
		{"normal double", space(double, "-1", "1", "", experiment.DistributionNormal),
			`{"name": "FloatDistribution", "attributes": {"step": null, "low": -1.0, "high": 1.0, "log": false}}`,
			"Katib samples it from a normal prior, which Optuna cannot express; the range and scale are kept", nil},
		{"log-normal double", space(double, "1", "1e20", "", experiment.DistributionLogNormal),
			`{"name": "FloatDistribution", "attributes": {"step": null, "low": 1.0, "high": 1e+20, "log": true}}`,
			"Katib samples it from a logNormal prior, which Optuna cannot express; the range and scale are kept", nil},
		{"int", space(integer, "-3", "5", "", ""),
			`{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": -3, "high": 5}}`, "",
			map[string]string{"2": "2.0", "-3": "-3.0", "2.5": "", "two": ""}},
		{"int range narrowed to integers", space(integer, "0.5", "9.5", "", ""),
			`{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 9}}`, "", nil},
		{"stepped int cut to its last step", space(integer, "0", "10", "3", ""),
			`{"name": "IntDistribution", "attributes": {"log": false, "step": 3, "low": 0, "high": 9}}`, "", nil},
		{"log int", space(integer, "1", "1024", "", experiment.DistributionLogUniform),
			`{"name": "IntDistribution", "attributes": {"log": true, "step": 1, "low": 1, "high": 1024}}`, "", nil},
		{"stepped log int", space(integer, "2", "64", "2", experiment.DistributionLogUniform),
			`{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 64}}`,
			"Optuna's log-scaled ints have step 1; the log scale is dropped to keep the step", nil},
		{"categorical", space(categorical, "", "", "", "", "a", "1", `q"uote`),
			`{"name": "CategoricalDistribution", "attributes": {"choices": ["a", "1", "q\"uote"]}}`, "",
			map[string]string{"a": "0", "1": "1", "1.0": "", `q"uote`: "2", "b": ""}},
		{"discrete ints", space(discrete, "", "", "", "", "1", "10", "-100"),
			`{"name": "CategoricalDistribution", "attributes": {"choices": [1, 10, -100]}}`, "",
			map[string]string{"10": "1", "1.0": "0", "-1e2": "2", "3": ""}},
		{"discrete floats", space(discrete, "", "", "", "", "0.5", "1", "1e-3"),
			`{"name": "CategoricalDistribution", "attributes": {"choices": [0.5, 1.0, 0.001]}}`, "",
			map[string]string{"1": "1", "0.001": "2", "0.0010": "2"}},
		{"discrete strings", space(discrete, "", "", "", "", "1", "many"),
			`{"name": "CategoricalDistribution", "attributes": {"choices": ["1", "many"]}}`, "",
			map[string]string{"1": "0", "1.0": "", "many": "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := newDistribution(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if d.json != tc.json {
				t.Errorf("json\n got %s\nwant %s", d.json, tc.json)
			}
			if d.note != tc.note {
				t.Errorf("note %q, want %q", d.note, tc.note)
			}
			for value, want := range tc.in {
				got := ""
				if v, ok := d.internal(value); ok {
					got = encode(v)
				}
				if got != want {
					t.Errorf("internal(%q) = %q, want %q", value, got, want)
				}
			}
		})
	}
}

func TestDistributionErrors(t *testing.T) {
	for _, tc := range []struct {
		fs   experiment.FeasibleSpace
		typ  experiment.ParameterType
		want string
	}{
		{experiment.FeasibleSpace{Min: "2", Max: "1"}, experiment.ParameterTypeDouble, "max 1 is below min 2"},
		{experiment.FeasibleSpace{Min: "a", Max: "1"}, experiment.ParameterTypeDouble, `min "a" is not a number`},
		{experiment.FeasibleSpace{Min: "0", Max: "1", Step: "-1"}, experiment.ParameterTypeDouble, `step "-1" is not positive`},
		{experiment.FeasibleSpace{Min: "0", Max: "1", Distribution: experiment.DistributionLogUniform}, experiment.ParameterTypeDouble, "needs min > 0"},
		{experiment.FeasibleSpace{Min: "0", Max: "1", Distribution: "cauchy"}, experiment.ParameterTypeDouble, `unknown distribution "cauchy"`},
		{experiment.FeasibleSpace{Min: "0.2", Max: "0.8"}, experiment.ParameterTypeInt, "no integer between"},
		{experiment.FeasibleSpace{Min: "0", Max: "1e300"}, experiment.ParameterTypeInt, "beyond the integers"},
		{experiment.FeasibleSpace{}, experiment.ParameterTypeCategorical, "the list is empty"},
		{experiment.FeasibleSpace{List: []string{"a"}}, "tree", `unknown parameter type "tree"`},
	} {
		_, err := newDistribution(experiment.ParameterSpec{Name: "p", ParameterType: tc.typ, FeasibleSpace: tc.fs})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: error %v, want one saying %q", tc.typ, tc.fs, err, tc.want)
		}
	}
	st := small()
	st.Experiment.Spec.Parameters[0].FeasibleSpace.Max = "-2"
	var b bytes.Buffer
	err := OptunaJournal(&b, st)
	if err == nil || !strings.Contains(err.Error(), `spec.parameters[0] "x"`) {
		t.Errorf("error %v, want one naming the parameter", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %q before failing", b.String())
	}
	st = small()
	st.Experiment.Spec.Objective.Type = "best"
	if err := OptunaJournal(&b, st); err == nil || !strings.Contains(err.Error(), `objective type "best"`) {
		t.Errorf("error %v for an unknown objective type", err)
	}
	st.Experiment.Spec.Objective = nil
	if err := OptunaJournal(&b, st); err == nil {
		t.Error("no error for an experiment without an objective")
	}
	if err := OptunaJournal(&b, &store.State{}); err == nil {
		t.Error("no error for a state without an experiment")
	}
}

func TestOptunaOutcome(t *testing.T) {
	for _, tc := range []struct {
		state     suggest.TrialState
		objective *float64
		want      int
		values    string
		fails     bool
	}{
		{suggest.StateSucceeded, f64(1.5), optunaComplete, "[1.5]", false},
		{suggest.StateSucceeded, f64(math.Inf(1)), optunaComplete, "[Infinity]", false},
		{suggest.StateSucceeded, f64(math.NaN()), optunaFail, "null", true},
		{suggest.StateSucceeded, nil, optunaFail, "null", true},
		{suggest.StateEarlyStopped, f64(2), optunaPruned, "[2.0]", false},
		{suggest.StateEarlyStopped, f64(math.NaN()), optunaPruned, "null", false},
		{suggest.StateEarlyStopped, nil, optunaPruned, "null", false},
		{suggest.StateFailed, f64(1), optunaFail, "null", false},
		{suggest.StateKilled, f64(1), optunaFail, "null", false},
		{suggest.StateMetricsUnavailable, nil, optunaFail, "null", false},
		{suggest.StateRunning, f64(1), optunaRunning, "null", false},
		{suggest.StatePending, nil, optunaRunning, "null", false},
		{"", nil, optunaRunning, "null", false},
	} {
		state, values, reason := optunaOutcome(&store.TrialRecord{State: tc.state, Objective: tc.objective})
		if state != tc.want || encode(values) != tc.values || (reason != "") != tc.fails {
			t.Errorf("%s %v: state %d values %s reason %q; want %d %s (a reason: %v)",
				tc.state, tc.objective, state, encode(values), reason, tc.want, tc.values, tc.fails)
		}
	}
}

// A finished trial whose record lacks its times still gets the start and completion Optuna
// requires, marked as unknown.
func TestOptunaJournalMissingTimes(t *testing.T) {
	st := small()
	st.Trials = []store.TrialRecord{{Name: "small-a", State: suggest.StateFailed, Assignments: assign("x", "0")}}
	st.Status.StartTime = at(7)
	journal := journalOf(t, st)
	for _, want := range []string{
		`"datetime_start": "2025-03-04T10:00:07.000000"`,
		`"datetime_complete": "2025-03-04T10:00:07.000000"`,
		`{"katib_start_time": "unknown"}`,
		`{"katib_completion_time": "unknown"}`,
	} {
		if !strings.Contains(journal, want) {
			t.Errorf("journal lacks %s:\n%s", want, journal)
		}
	}
	st.Trials[0].CreationTime, st.Trials[0].StartTime = at(1), at(2)
	journal = journalOf(t, st)
	if !strings.Contains(journal, `"datetime_complete": "2025-03-04T10:00:02.000000"`) || strings.Contains(journal, "katib_start_time") {
		t.Errorf("the completion should be the trial's latest time and its start known:\n%s", journal)
	}
}

// Assignments the distributions cannot hold are listed, not dropped silently.
func TestOptunaJournalParametersNotExported(t *testing.T) {
	st := small()
	st.Trials = st.Trials[1:]
	st.Trials[0].Assignments = assign("x", "big", "y", "2")
	journal := journalOf(t, st)
	if strings.Contains(journal, `"param_name"`) {
		t.Errorf("a parameter was set:\n%s", journal)
	}
	if !strings.Contains(journal, `{"katib_parameters_not_exported": ["x", "y"]}`) {
		t.Errorf("the parameters left out are not listed:\n%s", journal)
	}
}

func TestPyFloat(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0.0", 1: "1.0", -2: "-2.0", 0.1: "0.1", 1.5e-5: "1.5e-05", 0.0001: "0.0001",
		1e15: "1000000000000000.0", 1e16: "1e+16", 1.2345e300: "1.2345e+300", 123456.789: "123456.789",
		math.Copysign(0, -1): "-0.0", math.NaN(): "NaN", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
		5e-324: "5e-324", math.MaxFloat64: "1.7976931348623157e+308",
	} {
		if got := pyFloat(v); got != want {
			t.Errorf("pyFloat(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestPyString(t *testing.T) {
	for s, want := range map[string]string{
		"plain":              `"plain"`,
		"q\"b\\\n\r\t\b\f":   `"q\"b\\\n\r\t\b\f"`,
		"\x01\x7f":           `"\u0001\u007f"`,
		"é€😀":                `"\u00e9\u20ac\ud83d\ude00"`,
		"bad \xff utf8":      `"bad \ufffd utf8"`,
		"<html>&amp;</html>": `"<html>&amp;</html>"`,
	} {
		if got := encode(jstr(s)); got != want {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
	}
}

// The number formats and string escapes are Python's own: json.dumps prints each value exactly
// as pyFloat and appendPyString do.
func TestPyJSONMatchesPython(t *testing.T) {
	py := python(t)
	floats := []float64{0, 1, -1, 0.1, 0.3, 1.0 / 3, 2.0 / 3, 1e-4, 9.99e-5, 1e16, 9999999999999998, 1e21, 1e22,
		123456789.123, 5e-324, math.MaxFloat64, -1.5e-10, 0.0031622776601683794, math.Copysign(0, -1),
		math.NaN(), math.Inf(1), math.Inf(-1)}
	for i := range 300 {
		if f := math.Float64frombits(uint64(i+1) * 0x9E3779B97F4A7C15); !math.IsNaN(f) {
			floats = append(floats, f)
		}
	}
	strs := []string{"plain", "q\"b\\\n\r\t\b\f", "\x01\x1f\x7f", "é€😀\u2028", "<html>&amp;</html>"}

	// Python gets the floats as Go's shortest decimals (or nan, inf) and the strings as JSON.
	var in, want strings.Builder
	for _, f := range floats {
		in.WriteString(strconv.FormatFloat(f, 'g', -1, 64) + "\n")
		want.WriteString(pyFloat(f) + "\n")
	}
	for _, s := range strs {
		b, _ := json.Marshal(s)
		in.WriteString("s" + string(b) + "\n")
		want.WriteString(encode(jstr(s)) + "\n")
	}
	cmd := exec.Command(py, "-c", `import json, sys
for line in sys.stdin.read().splitlines():
    print(json.dumps(json.loads(line[1:]) if line.startswith("s") else float(line)))
`)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got, wanted := strings.Split(string(out), "\n"), strings.Split(want.String(), "\n")
	if len(got) != len(wanted) {
		t.Fatalf("Python printed %d lines, want %d", len(got), len(wanted))
	}
	for i := range got {
		if got[i] != wanted[i] {
			t.Errorf("line %d: Python %s, Go %s", i+1, got[i], wanted[i])
		}
	}
}

package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clipperhouse/displaywidth"
	"github.com/mattn/go-runewidth"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func at(sec int) *metav1.Time {
	t := metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
	return &t
}

func f(v float64) *float64 { return &v }

func fixture() *store.State {
	max := int32(4)
	exp := &experiment.Experiment{
		ObjectMeta: metav1.ObjectMeta{Name: "mnist", Namespace: "ml", CreationTimestamp: metav1.NewTime(t0)},
		Spec: experiment.ExperimentSpec{
			MaxTrialCount: &max,
			Algorithm:     &experiment.AlgorithmSpec{AlgorithmName: "random"},
			Objective: &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMaximize, ObjectiveMetricName: "accuracy",
				AdditionalMetricNames: []string{"loss"},
				MetricStrategies:      []experiment.MetricStrategy{{Name: "accuracy", Value: "max"}, {Name: "loss", Value: "min"}}},
			Parameters: []experiment.ParameterSpec{{Name: "lr"}, {Name: "optimizer"}},
		},
	}
	obs := func(acc, loss string) *experiment.Observation {
		return &experiment.Observation{Metrics: []experiment.Metric{{Name: "accuracy", Min: "0.1", Max: acc, Latest: acc}, {Name: "loss", Min: loss, Max: "2.3", Latest: loss}}}
	}
	st := &store.State{Experiment: exp, Trials: []store.TrialRecord{
		{Name: "mnist-aaaaaaaa", State: suggest.StateSucceeded, Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: "0.01"}, {Name: "optimizer", Value: "sgd"}},
			Observation: obs("0.81", "0.61"), Objective: f(0.81), CreationTime: at(0), CompletionTime: at(12)},
		{Name: "mnist-bbbbbbbb", State: suggest.StateSucceeded, Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: "0.1"}, {Name: "optimizer", Value: "adam"}},
			Observation: obs("0.93", "0.25"), Objective: f(0.93), CreationTime: at(0), CompletionTime: at(14)},
		{Name: "mnist-cccccccc", State: suggest.StateMetricsUnavailable, Reason: "MetricsUnavailable", Message: "the objective metric \"accuracy\" never appeared\nlast lines", Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: "0.5"}, {Name: "optimizer", Value: "sgd"}},
			CreationTime: at(12), CompletionTime: at(20)},
		{Name: "mnist-dddddddd", State: suggest.StateRunning, Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: "0.05"}, {Name: "optimizer", Value: "adam"}},
			CreationTime: at(14)},
	}}
	st.SetCondition(experiment.ExperimentRunning, "ExperimentRunning", "Experiment is running", *at(0))
	return st
}

func TestComparisonAndBest(t *testing.T) {
	var buf bytes.Buffer
	if err := Comparison(&buf, fixture(), false, 0, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n")
	Best(&buf, fixture())
	buf.WriteString("\n")
	if err := Comparison(&buf, fixture(), true, 0, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "report/comparison.golden", buf.Bytes())
}

func TestListings(t *testing.T) {
	var buf bytes.Buffer
	now := t0.Add(90 * time.Second)
	for _, wide := range []bool{false, true} {
		if err := Experiments(&buf, []*store.State{fixture()}, wide, now); err != nil {
			t.Fatal(err)
		}
		if err := Trials(&buf, fixture(), wide, now); err != nil {
			t.Fatal(err)
		}
	}
	golden.Assert(t, "report/listings.golden", buf.Bytes())
}

func TestLines(t *testing.T) {
	var buf bytes.Buffer
	st := fixture()
	l := &Lines{W: &buf, Now: func() time.Time { return t0 }}
	l.Report(runner.Report{Kind: runner.TrialCreated, State: st, Trial: &st.Trials[3]})
	l.Report(runner.Report{Kind: runner.TrialStarted, State: st, Trial: &st.Trials[3]})
	l.Report(runner.Report{Kind: runner.TrialWaiting, State: st, Trial: &st.Trials[3], Message: "ErrImagePull: not found"})
	l.Report(runner.Report{Kind: runner.TrialFinished, State: st, Trial: &st.Trials[1]})
	l.Report(runner.Report{Kind: runner.TrialFinished, State: st, Trial: &st.Trials[2]})
	golden.Assert(t, "report/lines.golden", buf.Bytes())
}

func TestLiveRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	st := fixture()
	v := &Live{W: &buf, Width: 60, Now: func() time.Time { return t0 }}
	v.Report(runner.Report{Kind: runner.TrialStarted, State: st, Trial: &st.Trials[3]})
	v.Report(runner.Report{Kind: runner.TrialFinished, State: st, Trial: &st.Trials[1]})
	v.Stop()
	out := buf.String()
	if !bytes.Contains([]byte(out), []byte("\x1b[1A\x1b[2K")) {
		t.Errorf("the status block was not erased before redrawing: %q", out)
	}
	for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		clean := bytes.ReplaceAll(line, []byte("\x1b[1A\x1b[2K"), nil)
		// Event lines scroll away; only the status block is redrawn and must fit.
		if bytes.HasPrefix(clean, []byte("10:00:00 ")) {
			continue
		}
		if cells(string(clean)) >= 60 {
			t.Errorf("line wider than the terminal: %q", clean)
		}
	}
}

// cells measures a line as a terminal does, independently of the code under test.
func cells(s string) int { return (&runewidth.Condition{EastAsianWidth: false}).StringWidth(s) }

// sampled is an experiment as a sampling algorithm leaves it: long trial names, doubles at
// full float64 precision, an integer too long for six digits, a long categorical value and
// a trial that failed with a long message.
func sampled() *store.State {
	max := int32(12)
	param := func(name string, typ experiment.ParameterType) experiment.ParameterSpec {
		return experiment.ParameterSpec{Name: name, ParameterType: typ}
	}
	exp := &experiment.Experiment{
		ObjectMeta: metav1.ObjectMeta{Name: "optuna-distribution", Namespace: "ml", CreationTimestamp: metav1.NewTime(t0)},
		Spec: experiment.ExperimentSpec{
			MaxTrialCount: &max,
			Algorithm:     &experiment.AlgorithmSpec{AlgorithmName: "tpe"},
			Objective: &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMinimize, ObjectiveMetricName: "loss",
				AdditionalMetricNames: []string{"accuracy", "val_accuracy"}},
			Parameters: []experiment.ParameterSpec{param("lr", experiment.ParameterTypeDouble), param("momentum", experiment.ParameterTypeDouble),
				param("epochs", experiment.ParameterTypeInt), param("batch_size", experiment.ParameterTypeInt), param("optimizer", experiment.ParameterTypeCategorical)},
		},
	}
	trial := func(suffix string, state suggest.TrialState, loss, lr, momentum, batch, optimizer, message string, end int) store.TrialRecord {
		t := store.TrialRecord{Name: "optuna-distribution-" + suffix, State: state, Message: message, CreationTime: at(0),
			Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: lr}, {Name: "momentum", Value: momentum},
				{Name: "epochs", Value: "3"}, {Name: "batch_size", Value: batch}, {Name: "optimizer", Value: optimizer}}}
		if end > 0 {
			t.CompletionTime = at(end)
		}
		if loss != "" {
			v, _ := strconv.ParseFloat(loss, 64)
			t.Objective = f(v)
			t.Observation = &experiment.Observation{Metrics: []experiment.Metric{{Name: "loss", Min: loss, Max: loss, Latest: loss},
				{Name: "accuracy", Latest: "0.9123"}, {Name: "val_accuracy", Latest: "0.9051"}}}
		}
		return t
	}
	st := &store.State{Experiment: exp, Trials: []store.TrialRecord{
		trial("x7k2p9qd", suggest.StateSucceeded, "0.2634", "2.690406023929013", "0.5123456789012345", "48", "sgd", "", 95),
		trial("m3n8v1zt", suggest.StateSucceeded, "0.3120", "1.3", "0.000123456789", "123456789", "sgd-with-nesterov-momentum", "", 3723),
		trial("b5c6d7e8", suggest.StateFailed, "", "4.833333333333333", "2.718281828459045", "64", "adam", "the trainer exited with code 2: --momentum must be at least 0 and below 1, got 2.718281828459045", 12),
		trial("q1w2e3r4", suggest.StateMetricsUnavailable, "", "3.1", "0.9", "32", "adam", "the objective metric \"loss\" never appeared", 40),
	}}
	st.SetCondition(experiment.ExperimentSucceeded, "ExperimentMaxTrialsReached", "Experiment has succeeded because max trial count has reached", *at(3723))
	return st
}

func TestComparisonFitsTheWidth(t *testing.T) {
	var all bytes.Buffer
	for _, wide := range []bool{false, true} {
		for _, width := range []int{0, 200, 120, 100, 80, 60} {
			name := fmt.Sprintf("wide=%v/width=%d", wide, width)
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Comparison(&buf, sampled(), wide, width, t0.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
				rows := 0
				for _, line := range lines {
					if width > 0 && cells(line) > width {
						t.Errorf("%d cells wide, more than %d: %q", cells(line), width, line)
					}
					if strings.Contains(line, "optuna-distribution-") {
						rows++
					}
				}
				// One line per trial, never a continuation line.
				if rows != 4 || !strings.HasPrefix(lines[0], "    TRIAL ") || !strings.Contains(lines[0], "LOSS") {
					t.Errorf("the table lost a trial, its name or the objective:\n%s", buf.String())
				}
				if !strings.Contains(buf.String(), "*   optuna-distribution-x7k2p9qd") {
					t.Errorf("the best trial is not marked:\n%s", buf.String())
				}
				fmt.Fprintf(&all, "--- %s\n%s", name, buf.String())
			})
		}
	}
	golden.Assert(t, "report/comparison-widths.golden", all.Bytes())
}

func TestParamValue(t *testing.T) {
	st := sampled()
	for _, tc := range []struct {
		name, value, want string
	}{
		{"lr", "0.002690406023929013", "0.00269041"},
		{"lr", "2.690406023929013", "2.69041"},
		{"lr", "0.30000000000000004", "0.3"},
		{"lr", "123456789.5", "1.23457e+08"},
		{"lr", "0.10", "0.10"},
		{"lr", "1e-05", "1e-05"},
		{"lr", "1.234567", "1.23457"},
		{"lr", "1.23456", "1.23456"},
		{"lr", "not-a-number", "not-a-number"},
		{"batch_size", "123456789", "123456789"},
		{"optimizer", "0.123456789", "0.123456789"},
		{"unknown", "0.002690406023929013", "0.002690406023929013"},
	} {
		if got := paramValue(st, tc.name, tc.value); got != tc.want {
			t.Errorf("paramValue(%s=%s) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
}

// A trial's parameters read the same in its event line, the live view and the table.
func TestParametersReadTheSameEverywhere(t *testing.T) {
	st := sampled()
	tr := &st.Trials[0]
	const want = "lr=2.69041 momentum=0.512346 epochs=3 batch_size=48 optimizer=sgd"
	var lines bytes.Buffer
	(&Lines{W: &lines, Now: func() time.Time { return t0 }}).Report(runner.Report{Kind: runner.TrialCreated, State: st, Trial: tr})
	if !strings.Contains(lines.String(), "created: "+want+"\n") {
		t.Errorf("event line: %q", lines.String())
	}
	running := sampled()
	running.Trials[0].State = suggest.StateRunning
	var live bytes.Buffer
	v := &Live{W: &live, Width: 200, Now: func() time.Time { return t0 }}
	v.Report(runner.Report{Kind: runner.TrialStarted, State: running, Trial: &running.Trials[0]})
	v.Report(runner.Report{Kind: runner.TrialCreated, State: st, Trial: tr})
	if !strings.Contains(live.String(), "best so far: optuna-distribution-x7k2p9qd loss=0.2634 accuracy=0.9123 val_accuracy=0.9051 ("+want+")") ||
		!strings.Contains(live.String(), "optuna-distribution-x7k2p9qd  "+want) {
		t.Errorf("live view:\n%s", live.String())
	}
	var table bytes.Buffer
	if err := Comparison(&table, st, false, 0, t0); err != nil {
		t.Fatal(err)
	}
	row := strings.Fields(strings.Split(table.String(), "\n")[1])
	if strings.Join(row[3:8], " ") != "2.69041 0.512346 3 48 sgd" {
		t.Errorf("table row %q:\n%s", row, table.String())
	}
}

func TestImportanceBars(t *testing.T) {
	doc := &analysis.ImportanceDoc{Experiment: "e", Metric: "accuracy", Trials: 40, Parameters: []analysis.ParameterImportance{
		{Name: "lr", Importance: 0.7}, {Name: "a-very-long-parameter-name-that-goes-on-and-on", Importance: 0.2999}, {Name: "x", Importance: 0.0001}}}
	var b strings.Builder
	if err := ImportanceBars(&b, doc, 0, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines:\n%s", len(lines), b.String())
	}
	for _, l := range lines {
		if w := displaywidth.String(l); w > 80 {
			t.Errorf("line is %d columns: %q", w, l)
		}
	}
	if !strings.HasSuffix(lines[2], " 70.0%") || !strings.HasSuffix(lines[4], "  0.0%") || !strings.Contains(lines[4], "▏") {
		t.Errorf("bars:\n%s", b.String())
	}
	// The bars are proportional: 0.7 of the bar columns is about 2.33 times 0.3 of them.
	long, mid := strings.Count(lines[2], "█"), strings.Count(lines[3], "█")
	if long < 2*mid || long > 3*mid {
		t.Errorf("bar lengths %d and %d are not proportional:\n%s", long, mid, b.String())
	}
}

// With Chart, the live view draws the history above its status lines and erases exactly as
// many lines as it drew, chart included.
func TestLiveDrawsTheHistory(t *testing.T) {
	var buf bytes.Buffer
	st := fixture()
	v := &Live{W: &buf, Width: 70, Chart: true, Now: func() time.Time { return t0 }}
	v.Report(runner.Report{Kind: runner.TrialStarted, State: st, Trial: &st.Trials[3]})
	first := buf.String()
	if !strings.Contains(first, "Optimisation history of") {
		t.Fatalf("no chart in the live view:\n%s", first)
	}
	drawn := strings.Count(first, "\n")
	v.Stop()
	if erased := strings.Count(buf.String()[len(first):], "\x1b[1A\x1b[2K"); erased != drawn {
		t.Errorf("drew %d lines, erased %d", drawn, erased)
	}
	for _, line := range strings.Split(first, "\n") {
		if cells(line) >= 70 {
			t.Errorf("line wider than the terminal: %q", line)
		}
	}
}

package report

import (
	"bytes"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/internal/golden"
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
	if err := Comparison(&buf, fixture(), false, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n")
	Best(&buf, fixture())
	buf.WriteString("\n")
	if err := Comparison(&buf, fixture(), true, t0.Add(30*time.Second)); err != nil {
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
		if len([]rune(string(clean))) >= 60 {
			t.Errorf("line wider than the terminal: %q", clean)
		}
	}
}

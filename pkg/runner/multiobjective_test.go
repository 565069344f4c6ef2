package runner_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

// TestMultiObjective runs the demo experiment with a second objective (ms, minimised): each
// trial records both values, one that never prints ms counts as MetricsUnavailable, the goal
// ends nothing, and the stored status names the Pareto front.
func TestMultiObjective(t *testing.T) {
	c := newCluster(t)
	x := c.create(newExperiment(t, func(e *experiment.Experiment) {
		e.Annotations = map[string]string{experiment.AnnotationObjectives: "accuracy:maximize,ms:minimize"}
		e.Spec.Objective.AdditionalMetricNames = []string{"ms"}
		e.Spec.Objective.Goal = float64p(0.5)
		e.Spec.Algorithm = &experiment.AlgorithmSpec{AlgorithmName: "nsga2", AlgorithmSettings: []experiment.AlgorithmSetting{
			{Name: "population_size", Value: "2"}, {Name: "seed", Value: "3"}}}
		e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(5), int32p(1)
	}), options{})
	lines := [][]string{
		{"accuracy=0.7 ms=30", "accuracy=0.8 ms=20"}, // (0.8, 20 latest): on the front
		{"accuracy=0.9 ms=50"},                       // best accuracy: on the front
		{"accuracy=0.95"},                            // no ms: MetricsUnavailable
		{"accuracy=0.6 ms=40"},                       // dominated by the first
		{"accuracy=0.8 ms=20"},                       // equal to the first: on the front too
	}
	var names []string
	for _, ls := range lines {
		name := x.created(1)[0]
		names = append(names, name)
		x.send(trial.Event{Trial: name, Type: trial.Started})
		for _, l := range ls {
			x.send(trial.Event{Trial: name, Type: trial.Line, Line: l})
		}
		x.complete(name, trial.Event{Succeeded: true})
	}
	if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
		t.Fatalf("Run = %s, %v", outcome, err)
	}
	st := checkRecords(t, c, 5)
	if cond := lastCondition(st); cond.Reason != "ExperimentMaxTrialsReached" {
		t.Errorf("ended with %s: the goal must not end a multi-objective experiment", cond.Reason)
	}
	tr := st.Trial(names[0])
	if !slices.Equal(tr.Objectives, []float64{0.8, 20}) {
		t.Errorf("objectives %v, want the max accuracy and the latest ms", tr.Objectives)
	}
	// Generation 1 (from trial 2 on) lost trial 2, so trial 4 still belongs to it.
	if tr.Labels[suggest.GenerationLabel] != "0" || st.Trial(names[4]).Labels[suggest.GenerationLabel] != "1" {
		t.Errorf("generations %v ... %v", tr.Labels, st.Trial(names[4]).Labels)
	}
	missing := st.Trial(names[2])
	if missing.State != suggest.StateMetricsUnavailable || missing.Objectives != nil || !strings.Contains(missing.Message, `["ms"] never appeared`) {
		t.Errorf("trial without ms: %s %v %q", missing.State, missing.Objectives, missing.Message)
	}
	want := []string{names[0], names[1], names[4]}
	if got := st.FrontNames(); !slices.Equal(got, want) {
		t.Errorf("front %v, want %v", got, want)
	}
	if !slices.Equal(st.Status.ParetoFront, want) {
		t.Errorf("stored front %v, want %v", st.Status.ParetoFront, want)
	}
	if got := st.KatibExperiment().Status.ParetoFront; !slices.Equal(got, want) {
		t.Errorf("status.paretoFront %v, want %v", got, want)
	}
}

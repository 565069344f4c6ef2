package analysis

import (
	"math"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

func f(v float64) *float64 { return &v }

func TestFromStateAndHistory(t *testing.T) {
	st := &store.State{Experiment: &experiment.Experiment{}}
	st.Experiment.Name = "e"
	st.Experiment.Spec.Objective = &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMaximize, ObjectiveMetricName: "accuracy"}
	st.Experiment.Spec.Parameters = []experiment.ParameterSpec{
		{Name: "lr", ParameterType: experiment.ParameterTypeDouble, FeasibleSpace: experiment.FeasibleSpace{Min: "0.001", Max: "0.1", Distribution: experiment.DistributionLogUniform}},
		{Name: "opt", ParameterType: experiment.ParameterTypeCategorical, FeasibleSpace: experiment.FeasibleSpace{List: []string{"sgd", "adam"}}},
		{Name: "bs", ParameterType: experiment.ParameterTypeDiscrete, FeasibleSpace: experiment.FeasibleSpace{List: []string{"16", "64"}}},
	}
	tr := func(i int, state suggest.TrialState, obj *float64, lr, opt string) store.TrialRecord {
		return store.TrialRecord{Name: "t" + string(rune('a'+i)), Index: i, State: state, Objective: obj,
			Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: lr}, {Name: "opt", Value: opt}, {Name: "bs", Value: "64"}}}
	}
	// Stored out of order: the analysis puts them in creation order.
	st.Trials = []store.TrialRecord{
		tr(2, suggest.StateSucceeded, f(0.7), "0.2", "sgd"),
		tr(0, suggest.StateSucceeded, f(0.5), "0.01", "adam"),
		tr(1, suggest.StateFailed, nil, "0.05", "nope"),
		tr(3, suggest.StateEarlyStopped, f(0.6), "0.001", "sgd"),
		tr(4, suggest.StateKilled, f(0.9), "0.001", "sgd"),
	}
	e := FromState(st)
	if e.Trials[0].Name != "ta" || e.Trials[2].Name != "tc" {
		t.Fatalf("trials not in creation order: %s %s", e.Trials[0].Name, e.Trials[2].Name)
	}
	if !e.Params[0].Log || e.Params[1].Kind != Categorical || e.Params[2].Kind != Numeric {
		t.Fatalf("params: %+v", e.Params)
	}
	if e.Params[0].Max != 0.2 {
		t.Errorf("lr max %v, want widened to the value seen 0.2", e.Params[0].Max)
	}
	if !math.IsNaN(e.Trials[1].Values[1]) || e.Trials[0].Values[1] != 1 {
		t.Errorf("categorical placement: %v %v", e.Trials[1].Values, e.Trials[0].Values)
	}
	if !e.Trials[2].Best || e.Trials[4].Counted {
		t.Errorf("best/counted wrong: %+v", e.Trials)
	}
	h := e.History()
	want := []struct {
		n        int
		v, bests float64
	}{{1, 0.5, 0.5}, {3, 0.7, 0.7}, {4, 0.6, 0.7}}
	if len(h) != len(want) {
		t.Fatalf("history %+v", h)
	}
	for i, w := range want {
		if h[i].Number != w.n || h[i].Value != w.v || h[i].BestSoFar != w.bests {
			t.Errorf("history[%d] = %+v, want %+v", i, h[i], w)
		}
	}
	if lo, hi := e.ObjectiveRange(); lo != 0.5 || hi != 0.7 {
		t.Errorf("range %v %v", lo, hi)
	}
	if got := e.Params[0].Scale(0.01); math.Abs(got+2) > 1e-12 {
		t.Errorf("log scale %v", got)
	}
}

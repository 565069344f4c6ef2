package suggest

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func i32(v int32) *int32 { return &v }

func dbl(name, lo, hi string, dist experiment.Distribution) experiment.ParameterSpec {
	return experiment.ParameterSpec{Name: name, ParameterType: experiment.ParameterTypeDouble,
		FeasibleSpace: experiment.FeasibleSpace{Min: lo, Max: hi, Distribution: dist}}
}

func integer(name, lo, hi string) experiment.ParameterSpec {
	return experiment.ParameterSpec{Name: name, ParameterType: experiment.ParameterTypeInt,
		FeasibleSpace: experiment.FeasibleSpace{Min: lo, Max: hi}}
}

func categorical(name string, list ...string) experiment.ParameterSpec {
	return experiment.ParameterSpec{Name: name, ParameterType: experiment.ParameterTypeCategorical,
		FeasibleSpace: experiment.FeasibleSpace{List: list}}
}

func testSpec(algorithm string, settings map[string]string, params ...experiment.ParameterSpec) *experiment.ExperimentSpec {
	spec := &experiment.ExperimentSpec{
		Parameters:         params,
		Objective:          &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMinimize, ObjectiveMetricName: "loss"},
		Algorithm:          &experiment.AlgorithmSpec{AlgorithmName: algorithm},
		ParallelTrialCount: i32(1),
		MaxTrialCount:      i32(100),
	}
	for _, k := range sortedKeys(settings) {
		spec.Algorithm.AlgorithmSettings = append(spec.Algorithm.AlgorithmSettings, experiment.AlgorithmSetting{Name: k, Value: settings[k]})
	}
	return spec
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}

// objective is a deterministic loss over assignments for the tests: the sum of the numeric
// values' squared distances from 0.3 of their range, plus the categorical index.
func objective(t *testing.T, spec *experiment.ExperimentSpec, as []experiment.ParameterAssignment) float64 {
	t.Helper()
	sp, err := newSpace(spec)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := sp.encode(as)
	if !ok {
		t.Fatalf("assignments %v do not fit the space", as)
	}
	s := 0.0
	for _, x := range v {
		s += (x - 0.3) * (x - 0.3)
	}
	return s
}

// study runs n trials through the algorithm, batch at a time, finishing each batch before the
// next ask, and returns the history.
func study(t *testing.T, spec *experiment.ExperimentSpec, history []Trial, n, batch int) []Trial {
	t.Helper()
	alg, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	for len(history) < n {
		want := min(batch, n-len(history))
		sugs, err := alg.Suggest(history, want)
		if err != nil {
			t.Fatalf("after %d trials: %v", len(history), err)
		}
		if len(sugs) == 0 {
			t.Fatalf("after %d trials: no suggestion", len(history))
		}
		for _, s := range sugs {
			y := objective(t, spec, s.Assignments)
			history = append(history, Trial{
				Name: fmt.Sprintf("t%d", len(history)), Assignments: s.Assignments, Labels: s.Labels,
				State: StateSucceeded, Objective: &y, Reports: []float64{y},
			})
		}
	}
	return history
}

func assignmentsOf(h []Trial) [][]experiment.ParameterAssignment {
	out := make([][]experiment.ParameterAssignment, len(h))
	for i := range h {
		out[i] = h[i].Assignments
	}
	return out
}

func checkDeterministic(t *testing.T, spec *experiment.ExperimentSpec, n, batch int) {
	t.Helper()
	a := study(t, spec, nil, n, batch)
	b := study(t, spec, nil, n, batch)
	if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(b)) {
		t.Fatalf("two runs with the same random_state differ:\n%v\n%v", assignmentsOf(a), assignmentsOf(b))
	}
	// Resume: a fresh algorithm given the first half continues exactly like the first one.
	half := study(t, spec, nil, n/2, batch)
	resumed := study(t, spec, half, n, batch)
	if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(resumed)) {
		t.Fatalf("resumed run differs from the sequential one:\n%v\n%v", assignmentsOf(a), assignmentsOf(resumed))
	}
}

func value(as []experiment.ParameterAssignment, name string) float64 {
	for _, a := range as {
		if a.Name == name {
			f, _ := strconv.ParseFloat(a.Value, 64)
			return f
		}
	}
	return 0
}

package suggest

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func mixedParams() []experiment.ParameterSpec {
	return []experiment.ParameterSpec{
		dbl("lr", "0.0001", "0.1", experiment.DistributionLogUniform),
		dbl("momentum", "0.5", "0.9", ""),
		integer("layers", "1", "8"),
		categorical("optimizer", "sgd", "adam", `a "quoted" $value`),
	}
}

func TestRandomDeterministicAndResumable(t *testing.T) {
	spec := testSpec("random", map[string]string{"random_state": "7"}, mixedParams()...)
	checkDeterministic(t, spec, 20, 3)
	other := testSpec("random", map[string]string{"random_state": "8"}, mixedParams()...)
	if reflect.DeepEqual(assignmentsOf(study(t, spec, nil, 5, 1)), assignmentsOf(study(t, other, nil, 5, 1))) {
		t.Fatal("different random_state gave the same suggestions")
	}
}

func TestRandomWithoutSeedResumes(t *testing.T) {
	spec := testSpec("random", nil, mixedParams()...)
	h := study(t, spec, nil, 4, 2)
	if h[0].Labels[seedLabel] == "" {
		t.Fatal("the clock seed is not recorded on the trials")
	}
	// A rebuilt algorithm (new clock seed) continues the recorded sequence.
	a := study(t, spec, h, 8, 2)
	b := study(t, spec, h, 8, 2)
	if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(b)) {
		t.Fatal("resumed sequences differ")
	}
}

func TestRandomValuesInRangeAndFormatted(t *testing.T) {
	spec := testSpec("random", map[string]string{"random_state": "1"}, mixedParams()...)
	h := study(t, spec, nil, 200, 10)
	for _, tr := range h {
		for _, a := range tr.Assignments {
			switch a.Name {
			case "lr", "momentum":
				f, err := strconv.ParseFloat(a.Value, 64)
				if err != nil || f < 0.0001 || f > 0.9 {
					t.Fatalf("%s=%q", a.Name, a.Value)
				}
			case "layers":
				n, err := strconv.Atoi(a.Value)
				if err != nil || n < 1 || n > 8 {
					t.Fatalf("layers=%q", a.Value)
				}
			case "optimizer":
				if a.Value != "sgd" && a.Value != "adam" && a.Value != `a "quoted" $value` {
					t.Fatalf("optimizer=%q", a.Value)
				}
			}
		}
	}
}

func TestDistributions(t *testing.T) {
	// Medians of 4000 draws: uniform at the midpoint, logUniform at the geometric mean,
	// normal at the centre, and normal more concentrated than uniform.
	cases := []struct {
		dist     experiment.Distribution
		lo, hi   string
		median   float64
		innerMin float64 // share of draws in the middle third of the range
	}{
		{experiment.DistributionUniform, "0", "10", 5, 0.30},
		{experiment.DistributionLogUniform, "1", "10000", 100, 0},
		{experiment.DistributionNormal, "0", "10", 5, 0.60},
		{experiment.DistributionLogNormal, "1", "10000", 100, 0},
	}
	for _, c := range cases {
		spec := testSpec("random", map[string]string{"random_state": "3"}, dbl("x", c.lo, c.hi, c.dist))
		alg, err := New(spec)
		if err != nil {
			t.Fatal(err)
		}
		sugs, _ := alg.Suggest(nil, 4000)
		var xs []float64
		inner := 0
		lo, _ := strconv.ParseFloat(c.lo, 64)
		hi, _ := strconv.ParseFloat(c.hi, 64)
		for _, s := range sugs {
			x := value(s.Assignments, "x")
			if x < lo || x > hi {
				t.Fatalf("%s: %v outside [%v,%v]", c.dist, x, lo, hi)
			}
			if x > lo+(hi-lo)/3 && x < hi-(hi-lo)/3 {
				inner++
			}
			xs = append(xs, x)
		}
		med := median(xs)
		if math.Abs(math.Log(med/c.median)) > 0.15 {
			t.Errorf("%s: median %v, want about %v", c.dist, med, c.median)
		}
		if float64(inner)/4000 < c.innerMin {
			t.Errorf("%s: %d of 4000 in the middle third", c.dist, inner)
		}
	}
}

func TestGridWalksEverythingOnce(t *testing.T) {
	spec := testSpec("grid", nil,
		experiment.ParameterSpec{Name: "lr", ParameterType: experiment.ParameterTypeDouble,
			FeasibleSpace: experiment.FeasibleSpace{Min: "0.01", Max: "0.05", Step: "0.005"}},
		integer("n", "1", "3"),
		categorical("opt", "sgd", "adam"))
	spec.MaxTrialCount = i32(54)
	alg, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	var h []Trial
	// A running trial is in the history: it must not be suggested again.
	for {
		sugs, err := alg.Suggest(h, 4)
		if errors.Is(err, ErrExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sugs {
			h = append(h, Trial{Assignments: s.Assignments, State: StateRunning})
		}
	}
	if len(h) != 9*3*2 {
		t.Fatalf("grid of 54 gave %d trials", len(h))
	}
	seen := map[string]bool{}
	for _, tr := range h {
		k := assignmentKey(tr.Assignments)
		if seen[k] {
			t.Fatalf("duplicate %v", tr.Assignments)
		}
		seen[k] = true
	}
	if h[1].Assignments[0].Value != "0.01" || h[6].Assignments[0].Value != "0.015" || h[53].Assignments[0].Value != "0.05" {
		t.Fatalf("unexpected values: %v %v %v", h[1].Assignments, h[6].Assignments, h[53].Assignments)
	}
}

func TestGridValidation(t *testing.T) {
	spec := testSpec("grid", nil, dbl("lr", "0.01", "0.05", ""), integer("n", "1", "3"))
	errs := ValidateSettings(spec, field.NewPath("spec", "algorithm"))
	if len(errs) != 1 || errs[0].Field != "spec.parameters[0].feasibleSpace.step" {
		t.Fatalf("got %v", errs)
	}
	spec = testSpec("grid", nil, integer("n", "1", "3"), categorical("c", "a", "b"))
	spec.MaxTrialCount = i32(7)
	errs = ValidateSettings(spec, field.NewPath("spec", "algorithm"))
	if len(errs) != 1 || errs[0].Field != "spec.maxTrialCount" || !strings.Contains(errs[0].Error(), "6 combinations") {
		t.Fatalf("got %v", errs)
	}
	spec.MaxTrialCount = i32(6)
	if errs := ValidateSettings(spec, field.NewPath("spec", "algorithm")); len(errs) != 0 {
		t.Fatalf("got %v", errs)
	}
}

func TestSettingsErrorsHaveFieldPaths(t *testing.T) {
	spec := testSpec("random", map[string]string{"random_state": "x", "bogus": "1"}, dbl("a", "0", "1", ""))
	errs := ValidateSettings(spec, field.NewPath("spec", "algorithm"))
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Field] = true
	}
	if !got["spec.algorithm.algorithmSettings[0].name"] || !got["spec.algorithm.algorithmSettings[1].value"] {
		t.Fatalf("got %v", errs)
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sortFloats(s)
	return s[len(s)/2]
}

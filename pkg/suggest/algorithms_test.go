package suggest

import (
	"errors"
	mathrand "math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// Every model-based algorithm, with a fixed random_state, suggests the same points in two runs
// (with Go's global generator disturbed in between, which goptuna's own TPE would pick up), and
// a fresh algorithm given the first 10 trials continues exactly like the one that made them.
func TestDeterministicAndResumable(t *testing.T) {
	params := []experiment.ParameterSpec{
		dbl("lr", "0.0001", "0.1", experiment.DistributionLogUniform),
		dbl("momentum", "0.5", "0.9", experiment.DistributionNormal),
		integer("layers", "1", "8"),
		categorical("optimizer", "sgd", "adam", "rmsprop"),
	}
	for _, name := range []string{"random", "sobol", "tpe", "multivariate-tpe", "cmaes", "bayesianoptimization", "hyperband"} {
		for _, batch := range []int{1, 3} {
			t.Run(name+"/batch"+strconv.Itoa(batch), func(t *testing.T) {
				settings := map[string]string{"random_state": "42"}
				if name == "hyperband" {
					settings["resource_name"], settings["r_l"] = "layers", "9"
				}
				spec := testSpec(name, settings, params...)
				spec.ParallelTrialCount = i32(9)
				a := study(t, spec, nil, 20, batch)
				for i := 0; i < 1000; i++ {
					mathrand.Float64() // goptuna's TPE draws from here; ours must not
				}
				b := study(t, spec, nil, 20, batch)
				if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(b)) {
					t.Fatalf("two runs differ:\n%v\n%v", assignmentsOf(a), assignmentsOf(b))
				}
				// Resume at a batch boundary: within one call the later suggestions of a
				// batch do not see the earlier ones' results.
				half := study(t, spec, nil, 10/batch*batch, batch)
				resumed := study(t, spec, half, 20, batch)
				if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(resumed)) {
					t.Fatalf("resumed run differs:\n%v\n%v", assignmentsOf(a), assignmentsOf(resumed))
				}
				settings["random_state"] = "43"
				otherSpec := testSpec(name, settings, params...)
				otherSpec.ParallelTrialCount = i32(9)
				other := study(t, otherSpec, nil, 20, batch)
				if reflect.DeepEqual(assignmentsOf(a), assignmentsOf(other)) {
					t.Fatal("random_state 42 and 43 gave the same suggestions")
				}
			})
		}
	}
}

func TestMaximizeIsHandled(t *testing.T) {
	// Maximising -loss must give the same search as minimising loss.
	params := []experiment.ParameterSpec{dbl("a", "0", "1", ""), dbl("b", "0", "1", "")}
	for _, name := range []string{"tpe", "multivariate-tpe", "cmaes", "bayesianoptimization"} {
		minSpec := testSpec(name, map[string]string{"random_state": "5"}, params...)
		maxSpec := testSpec(name, map[string]string{"random_state": "5"}, params...)
		maxSpec.Objective.Type = experiment.ObjectiveTypeMaximize
		a := study(t, minSpec, nil, 16, 1)
		alg, _ := New(maxSpec)
		var h []Trial
		for len(h) < 16 {
			s, err := alg.Suggest(h, 1)
			if err != nil {
				t.Fatal(err)
			}
			y := -objective(t, maxSpec, s[0].Assignments)
			h = append(h, Trial{Name: strconv.Itoa(len(h)), Assignments: s[0].Assignments, Labels: s[0].Labels, State: StateSucceeded, Objective: &y})
		}
		if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(h)) {
			t.Errorf("%s: maximize of -f differs from minimize of f", name)
		}
	}
}

func TestCMAESWaitsForItsGeneration(t *testing.T) {
	spec := testSpec("cmaes", map[string]string{"random_state": "1"}, dbl("a", "0", "1", ""), dbl("b", "0", "1", ""))
	alg, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := alg.Suggest(nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 4 { // the first run's population
		t.Fatalf("first generation has %d points, want 4", len(s))
	}
	var h []Trial
	for _, x := range s {
		h = append(h, Trial{Assignments: x.Assignments, State: StateRunning})
	}
	if more, _ := alg.Suggest(h, 3); len(more) != 0 {
		t.Fatalf("suggested %d points while the generation runs", len(more))
	}
}

func TestCMAESSettings(t *testing.T) {
	spec := testSpec("cmaes", map[string]string{"restart_strategy": "rpop", "sigma": "-1"}, dbl("a", "0", "1", ""), categorical("c", "x", "y"))
	errs := ValidateSettings(spec, field.NewPath("spec", "algorithm"))
	var got []string
	for _, e := range errs {
		got = append(got, e.Field)
	}
	want := []string{"spec.algorithm.algorithmSettings[1].value", "spec.algorithm.algorithmSettings[0].value", "spec.parameters"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v (%v), want %v", got, errs, want)
	}
	for _, r := range []string{"none", "ipop", "bipop"} {
		spec := testSpec("cmaes", map[string]string{"restart_strategy": r, "random_state": "3"}, dbl("a", "0", "1", ""), dbl("b", "0", "1", ""))
		study(t, spec, nil, 120, 1)
	}
}

func TestBayesOptSettings(t *testing.T) {
	for v, ok := range map[string]bool{"ei": true, "pi": true, "lcb": true, "gp_hedge": true, "ucb": false} {
		spec := testSpec("bayesianoptimization", map[string]string{"acq_func": v}, dbl("a", "0", "1", ""))
		errs := ValidateSettings(spec, field.NewPath("spec", "algorithm"))
		if (len(errs) == 0) != ok {
			t.Errorf("acq_func %s: %v", v, errs)
		}
		if ok {
			spec.Algorithm.AlgorithmSettings = append(spec.Algorithm.AlgorithmSettings, experiment.AlgorithmSetting{Name: "random_state", Value: "1"})
			study(t, spec, nil, 14, 2)
		}
	}
}

func TestTPESettings(t *testing.T) {
	spec := testSpec("tpe", map[string]string{"gamma": "1.5", "n_ei_candidates": "0", "n_startup_trials": "x", "prior_weight": "2"}, dbl("a", "0", "1", ""))
	errs := ValidateSettings(spec, field.NewPath("spec", "algorithm"))
	if len(errs) != 3 {
		t.Fatalf("want 3 errors, got %v", errs)
	}
}

func TestSobolIsScrambledBySeed(t *testing.T) {
	p := []experiment.ParameterSpec{dbl("a", "0", "1", ""), dbl("b", "0", "1", "")}
	a := study(t, testSpec("sobol", map[string]string{"random_state": "1"}, p...), nil, 64, 8)
	b := study(t, testSpec("sobol", map[string]string{"random_state": "2"}, p...), nil, 64, 8)
	if reflect.DeepEqual(assignmentsOf(a), assignmentsOf(b)) {
		t.Fatal("different seeds gave the same points")
	}
	// Scrambling keeps the net: 64 points fill every cell of an 8x8 grid once.
	for _, h := range [][]Trial{a, b} {
		cells := map[[2]int]bool{}
		for _, tr := range h {
			cells[[2]int{int(value(tr.Assignments, "a") * 8), int(value(tr.Assignments, "b") * 8)}] = true
		}
		if len(cells) != 64 {
			t.Fatalf("%d of 64 cells filled", len(cells))
		}
	}
}

func hyperbandSpec(parallel int32, settings map[string]string) *experiment.ExperimentSpec {
	spec := testSpec("hyperband", settings, dbl("lr", "0.01", "0.05", ""), integer("epochs", "1", "81"))
	spec.ParallelTrialCount = i32(parallel)
	return spec
}

func TestHyperbandBrackets(t *testing.T) {
	spec := hyperbandSpec(9, map[string]string{"resource_name": "epochs", "r_l": "9", "eta": "3", "random_state": "1"})
	alg, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	var h []Trial
	type rb struct{ s, i, budget, count int }
	var seenRungs []rb
	for round := 0; round < 50; round++ {
		sugs, err := alg.Suggest(h, 9)
		if errors.Is(err, ErrExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(sugs) == 0 {
			t.Fatal("no suggestion although nothing runs")
		}
		// Everything suggested in one call belongs to one rung; while it runs, nothing more,
		// except that (as in Katib) the next bracket starts while a bracket's last rung runs.
		start := len(h)
		for _, s := range sugs {
			h = append(h, Trial{Name: strconv.Itoa(len(h)), Assignments: s.Assignments, Labels: s.Labels, State: StateRunning})
		}
		s, _ := strconv.Atoi(sugs[0].Labels[labelBracket])
		i, _ := strconv.Atoi(sugs[0].Labels[labelRung])
		if more, err := alg.Suggest(h, 9); i < s && (err != nil || len(more) != 0) {
			t.Fatalf("suggested %d (%v) while the rung runs", len(more), err)
		}
		seenRungs = append(seenRungs, rb{s, i, int(value(sugs[0].Assignments, "epochs")), len(sugs)})
		for j := start; j < len(h); j++ {
			y := value(h[j].Assignments, "lr") // lower lr is better
			h[j].State, h[j].Objective = StateSucceeded, &y
		}
	}
	want := []rb{{2, 0, 1, 9}, {2, 1, 3, 3}, {2, 2, 9, 1}, {1, 0, 3, 5}, {1, 1, 9, 2}, {0, 0, 9, 3}}
	if !reflect.DeepEqual(seenRungs, want) {
		t.Fatalf("rungs %v, want %v", seenRungs, want)
	}
	// The promoted configuration of bracket 2's last rung is the best of its first rung.
	best := h[0]
	for _, tr := range h[:9] {
		if *tr.Objective < *best.Objective {
			best = tr
		}
	}
	if value(h[12].Assignments, "lr") != value(best.Assignments, "lr") {
		t.Fatalf("promoted lr %v, best %v", value(h[12].Assignments, "lr"), value(best.Assignments, "lr"))
	}
}

func TestHyperbandValidation(t *testing.T) {
	path := field.NewPath("spec", "algorithm")
	cases := []struct {
		parallel int32
		settings map[string]string
		want     string
	}{
		{9, map[string]string{"r_l": "9"}, "spec.algorithm.algorithmSettings: Required value: r_l and resource_name must be set"},
		{9, map[string]string{"r_l": "-1", "resource_name": "epochs"}, "spec.algorithm.algorithmSettings[0].value: Invalid value: \"-1\": r_l must be a positive number"},
		{9, map[string]string{"r_l": "9", "resource_name": "steps"}, "value of resource_name setting must be in parameters"},
		{2, map[string]string{"r_l": "9", "resource_name": "epochs", "eta": "3"}, "spec.parallelTrialCount: Invalid value: 2: parallelTrialCount must be not less than 9"},
	}
	for _, c := range cases {
		errs := ValidateSettings(hyperbandSpec(c.parallel, c.settings), path)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.settings, errs, c.want)
		}
	}
	if errs := ValidateSettings(hyperbandSpec(2, map[string]string{"r_l": "2", "eta": "2", "resource_name": "epochs"}), path); len(errs) != 0 {
		t.Errorf("Katib's example settings: %v", errs)
	}
}

func medianSpec(settings map[string]string) *experiment.ExperimentSpec {
	spec := testSpec("random", nil, dbl("a", "0", "1", ""))
	spec.Objective.Type = experiment.ObjectiveTypeMaximize
	spec.EarlyStopping = &experiment.EarlyStoppingSpec{AlgorithmName: "medianstop"}
	for _, k := range sortedKeys(settings) {
		spec.EarlyStopping.AlgorithmSettings = append(spec.EarlyStopping.AlgorithmSettings, experiment.EarlyStoppingSetting{Name: k, Value: settings[k]})
	}
	return spec
}

func TestMedianStop(t *testing.T) {
	stopper, err := NewEarlyStopper(medianSpec(map[string]string{"min_trials_required": "2", "start_step": "2"}))
	if err != nil {
		t.Fatal(err)
	}
	done := func(name string, reports ...float64) Trial {
		return Trial{Name: name, State: StateSucceeded, Reports: reports}
	}
	history := []Trial{done("a", 0.5, 0.7, 0.9), done("b", 0.6, 0.8, 0.9), {Name: "f", State: StateFailed, Reports: []float64{0.1}}}
	// Accuracy is maximised: medians of the running means are 0.55 (step 1), 0.65 (step 2),
	// 0.733 (step 3).
	cases := []struct {
		reports []float64
		stop    bool
	}{
		{[]float64{0.1}, false},            // before start_step
		{[]float64{0.5, 0.6}, true},        // best 0.6 < 0.65
		{[]float64{0.5, 0.7}, false},       // best 0.7 >= 0.65
		{[]float64{0.5, 0.7, 0.72}, true},  // later step: 0.72 < 0.733
		{[]float64{0.5, 0.7, 0.75}, false}, // 0.75 >= 0.733
	}
	for _, c := range cases {
		stop, reason := stopper.ShouldStop(Trial{Name: "x", State: StateRunning, Reports: c.reports}, history)
		if stop != c.stop {
			t.Errorf("%v: stop=%v (%s), want %v", c.reports, stop, reason, c.stop)
		}
	}
	// Too few completed trials: never stop.
	if stop, _ := stopper.ShouldStop(Trial{Name: "x", Reports: []float64{0, 0, 0}}, history[:1]); stop {
		t.Error("stopped with one completed trial and min_trials_required=2")
	}
	errs := ValidateEarlyStoppingSettings(medianSpec(map[string]string{"min_trials_required": "0", "start_step": "two"}), field.NewPath("spec", "earlyStopping"))
	if len(errs) != 2 || errs[0].Field != "spec.earlyStopping.algorithmSettings[0].value" {
		t.Fatalf("got %v", errs)
	}
}

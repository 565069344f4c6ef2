package suggest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func pruneSpec(algorithm string, maximize bool, settings map[string]string) *experiment.ExperimentSpec {
	spec := testSpec("random", nil, dbl("a", "0", "1", ""))
	if maximize {
		spec.Objective = &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMaximize, ObjectiveMetricName: "accuracy"}
	}
	spec.EarlyStopping = &experiment.EarlyStoppingSpec{AlgorithmName: algorithm}
	for _, k := range sortedKeys(settings) {
		spec.EarlyStopping.AlgorithmSettings = append(spec.EarlyStopping.AlgorithmSettings, experiment.EarlyStoppingSetting{Name: k, Value: settings[k]})
	}
	return spec
}

func newPruner(t *testing.T, algorithm string, maximize bool, settings map[string]string) EarlyStopper {
	t.Helper()
	s, err := NewEarlyStopper(pruneSpec(algorithm, maximize, settings))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func trialOf(name string, state TrialState, reports ...float64) Trial {
	return Trial{Name: name, State: state, Reports: reports}
}

var nan = math.NaN()

func TestPrunersAreRegistered(t *testing.T) {
	want := []string{"asha", "hyperband", "medianstop", "patience", "percentile", "threshold"}
	if got := EarlyStopperNames(); !slices.Equal(got, want) {
		t.Fatalf("EarlyStopperNames() = %v, want %v", got, want)
	}
}

// Each case asks a fresh pruner about trial "x" once, so asha and hyperband judge the rung at
// exactly the step the trial has reached. reason is the whole reason when stop is true, a part
// of it otherwise ("" for no reason at all).
type pruneCase struct {
	name      string
	algorithm string
	settings  map[string]string
	maximize  bool
	history   []Trial
	reports   []float64
	stop      bool
	reason    string
}

func runPruneCases(t *testing.T, cases []pruneCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPruner(t, c.algorithm, c.maximize, c.settings)
			x := trialOf("x", StateRunning, c.reports...)
			stop, reason := p.ShouldStop(x, append(slices.Clone(c.history), x))
			if stop != c.stop {
				t.Fatalf("stop = %v (%q), want %v", stop, reason, c.stop)
			}
			if strings.Contains(reason, "\n") {
				t.Errorf("reason spans lines: %q", reason)
			}
			switch {
			case c.stop && reason != c.reason:
				t.Errorf("reason\n got %q\nwant %q", reason, c.reason)
			case !c.stop && c.reason == "" && reason != "":
				t.Errorf("reason %q, want none", reason)
			case !c.stop && !strings.Contains(reason, c.reason):
				t.Errorf("reason %q does not contain %q", reason, c.reason)
			}
		})
	}
}

func TestASHADecisions(t *testing.T) {
	rf3 := map[string]string{"min_resource": "1", "reduction_factor": "3"}
	history := []Trial{
		trialOf("a", StateSucceeded, 0.50, 0.60, 0.70, 0.72),
		trialOf("b", StateSucceeded, 0.40, 0.55, 0.65, 0.66),
		trialOf("c", StateEarlyStopped, 0.30),
		trialOf("d", StateEarlyStopped, 0.45),
		trialOf("e", StateRunning, 0.60, 0.62),
		trialOf("f", StateFailed, nan),
	}
	runPruneCases(t, []pruneCase{
		// Rung 0 (step 1): a, b, c, d, e and x; f's NaN is never recorded at a rung. The top
		// third of 6 is 2 trials: e's 0.6 and the second best.
		{"rung 0 tie with the bar", "asha", rf3, true, history, []float64{0.55}, false,
			"accuracy 0.55 at step 1 is within the top third (0.55) of 6 trials at that rung (asha)"},
		{"rung 0 below the top third", "asha", rf3, true, history, []float64{0.49}, true,
			"accuracy 0.49 at step 1 is below the top third (0.5) of 6 trials at that rung (asha)"},
		{"between rungs", "asha", rf3, true, history, []float64{0.9, 0.1}, false, ""},
		// Rung 1 (step 3): only a and b reached it.
		{"rung 1 below the best of 3", "asha", rf3, true, history, []float64{0.9, 0.7, 0.66}, true,
			"accuracy 0.66 at step 3 is below the top third (0.7) of 3 trials at that rung (asha)"},
		{"rung 1 best of 3", "asha", rf3, true, history, []float64{0.9, 0.7, 0.71}, false, "within the top third (0.71)"},
		{"fewer than reduction_factor trials: only the best goes on", "asha", rf3, true, history[:1], []float64{0.9, 0.1, 0.6}, true,
			"accuracy 0.6 at step 3 is below 0.7, the best of 2 trials at that rung; until 3 trials reach a rung only the best goes on (asha)"},
		{"alone at a rung", "asha", rf3, true, nil, []float64{0.01}, false, "accuracy 0.01 at step 1 is the best of 1 trial at that rung"},
		{"min_early_stopping_rate moves the first rung", "asha", map[string]string{"min_early_stopping_rate": "1"}, true, history, []float64{0.1}, false, ""},
		{"first rung at step 3", "asha", map[string]string{"min_early_stopping_rate": "1"}, true, history, []float64{0.1, 0.1, 0.1}, true,
			"accuracy 0.1 at step 3 is below the top third (0.7) of 3 trials at that rung (asha)"},
		{"min_resource and reduction_factor 2", "asha", map[string]string{"min_resource": "2", "reduction_factor": "2"}, true, history, []float64{0.1, 0.59}, true,
			"accuracy 0.59 at step 2 is below the top half (0.6) of 4 trials at that rung (asha)"},
		{"NaN", "asha", rf3, true, history, []float64{nan}, true, "accuracy is NaN at step 1 (asha)"},
		{"minimize", "asha", rf3, false, history, []float64{0.55}, true,
			"loss 0.55 at step 1 is above the top third (0.4) of 6 trials at that rung (asha)"},
		{"minimize within", "asha", rf3, false, history, []float64{0.35}, false, "within the top third (0.35)"},
	})
}

// A trial's reports may arrive several at a time: every rung passed since it was last asked
// about is judged, and a pruner that never saw the trial judges only the step it is at.
func TestASHAJudgesEveryRungPassed(t *testing.T) {
	history := []Trial{
		trialOf("a", StateSucceeded, 0.50, 0.60, 0.70),
		trialOf("b", StateSucceeded, 0.40, 0.55, 0.65),
		trialOf("c", StateEarlyStopped, 0.30),
	}
	p := newPruner(t, "asha", true, nil)
	if stop, why := p.ShouldStop(trialOf("x", StateRunning), history); stop || why != "" {
		t.Fatalf("no report yet: %v %q", stop, why)
	}
	// Step 1 fails (0.1 is below 0.5, the best of 4), though step 3 alone would pass.
	stop, why := p.ShouldStop(trialOf("x", StateRunning, 0.1, 0.9, 0.9), history)
	if !stop || !strings.Contains(why, "at step 1") {
		t.Fatalf("stop=%v %q, want stopped at step 1", stop, why)
	}
	if stop, why := newPruner(t, "asha", true, nil).ShouldStop(trialOf("x", StateRunning, 0.1, 0.9, 0.9), history); stop {
		t.Fatalf("a pruner that never saw x judged more than step 3: %q", why)
	}
	// Already judged rungs are not judged again with the rivals that arrived since.
	p = newPruner(t, "asha", true, nil)
	if stop, why := p.ShouldStop(trialOf("y", StateRunning, 0.35), history[2:]); stop {
		t.Fatalf("best of 2 at step 1 was stopped: %q", why)
	}
	if stop, why := p.ShouldStop(trialOf("y", StateRunning, 0.35, 0.5), history); stop || why != "" {
		t.Fatalf("step 2 is no rung: %v %q", stop, why)
	}
}

func TestPercentileDecisions(t *testing.T) {
	s := map[string]string{"percentile": "25", "start_step": "2", "min_trials_required": "3"}
	history := []Trial{
		trialOf("a", StateSucceeded, 0.5, 0.6, 0.7),
		trialOf("b", StateSucceeded, 0.4, 0.5, 0.6),
		trialOf("c", StateSucceeded, 0.3, 0.4, 0.5),
		trialOf("d", StateSucceeded, 0.2),            // did not reach step 2
		trialOf("f", StateFailed, 0.9, 0.9),          // not succeeded
		trialOf("r", StateRunning, 0.95, 0.95, 0.95), // not finished
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range s {
			m[a] = b
		}
		m[k] = v
		return m
	}
	runPruneCases(t, []pruneCase{
		// Step 2: 0.4, 0.5, 0.6; the 75th percentile is 0.55.
		{"below the best quarter", "percentile", s, true, history, []float64{0.3, 0.54}, true,
			"best accuracy 0.54 after 2 steps is below 0.55, percentile 75 of the 3 trials that succeeded at that step, so not in their best 25% (percentile)"},
		{"best value so far counts", "percentile", s, true, history, []float64{0.56, 0.1}, false, "in the best 25% of the 3 trials"},
		{"before start_step", "percentile", s, true, history, []float64{0.0}, false, ""},
		{"later step", "percentile", s, true, history, []float64{0.1, 0.1, 0.66}, false, "percentile 75 at that step: 0.65"},
		{"too few reached the step", "percentile", with("min_trials_required", "4"), true, history, []float64{0.1, 0.1}, false, ""},
		{"median", "percentile", with("percentile", "50"), true, history, []float64{0.1, 0.49}, true,
			"best accuracy 0.49 after 2 steps is below 0.5, percentile 50 of the 3 trials that succeeded at that step, so not in their best 50% (percentile)"},
		{"minimize", "percentile", s, false, history, []float64{0.46, 0.47}, true,
			"best loss 0.46 after 2 steps is above 0.45, percentile 25 of the 3 trials that succeeded at that step, so not in their best 25% (percentile)"},
		{"minimize within", "percentile", s, false, history, []float64{0.5, 0.44}, false, "in the best 25%"},
		{"only NaN", "percentile", s, true, history, []float64{nan, nan}, true, "accuracy has been NaN at each of the 2 steps so far (percentile)"},
		{"only NaN but too few succeeded", "percentile", s, true, history[:2], []float64{nan, nan}, false, ""},
	})
}

func TestThresholdDecisions(t *testing.T) {
	runPruneCases(t, []pruneCase{
		{"below lower", "threshold", map[string]string{"lower": "0.1"}, true, nil, []float64{0.05}, true,
			"accuracy 0.05 at step 1 is below the lower bound 0.1 (threshold)"},
		{"latest value only", "threshold", map[string]string{"lower": "0.1"}, true, nil, []float64{0.05, 0.2}, false, "within the bounds"},
		{"above upper", "threshold", map[string]string{"upper": "2"}, false, nil, []float64{1, 2.5}, true,
			"loss 2.5 at step 2 is above the upper bound 2 (threshold)"},
		{"both bounds", "threshold", map[string]string{"lower": "0", "upper": "2"}, false, nil, []float64{-0.5}, true,
			"loss -0.5 at step 1 is below the lower bound 0 (threshold)"},
		{"NaN", "threshold", map[string]string{"upper": "2"}, false, nil, []float64{nan}, true, "loss is NaN at step 1 (threshold)"},
		{"before start_step", "threshold", map[string]string{"lower": "0.1", "start_step": "2"}, true, nil, []float64{0.05}, false, ""},
	})
}

func TestPatienceDecisions(t *testing.T) {
	p2 := map[string]string{"patience": "2"}
	runPruneCases(t, []pruneCase{
		{"fell for patience+1 steps", "patience", p2, true, nil, []float64{0.5, 0.6, 0.55, 0.58, 0.59}, true,
			"accuracy has fallen from its best 0.6 before step 3: the best of steps 3-5 is 0.59 (patience)"},
		{"min_delta tolerates the dip", "patience", map[string]string{"patience": "2", "min_delta": "0.02"}, true, nil, []float64{0.5, 0.6, 0.55, 0.58, 0.59}, false, "has not fallen"},
		{"fell by more than min_delta", "patience", map[string]string{"patience": "2", "min_delta": "0.02"}, true, nil, []float64{0.5, 0.6, 0.55, 0.57, 0.52}, true,
			"accuracy has fallen by more than min_delta 0.02 from its best 0.6 before step 3: the best of steps 3-5 is 0.57 (patience)"},
		{"holding steady is no fall", "patience", p2, true, nil, []float64{0.5, 0.6, 0.6, 0.6, 0.6}, false, "has not fallen"},
		{"window still contains the best", "patience", p2, true, nil, []float64{0.5, 0.6, 0.55, 0.58}, false, "has not fallen"},
		{"too few steps", "patience", p2, true, nil, []float64{0.9, 0.1, 0.1}, false, ""},
		{"patience 0", "patience", map[string]string{"patience": "0"}, true, nil, []float64{0.6, 0.5}, true,
			"accuracy has fallen from its best 0.6 before step 2: the best of step 2 is 0.5 (patience)"},
		{"minimize", "patience", map[string]string{"patience": "1"}, false, nil, []float64{1.0, 0.8, 0.9, 0.85}, true,
			"loss has fallen from its best 0.8 before step 3: the best of steps 3-4 is 0.85 (patience)"},
		{"NaN before the window", "patience", map[string]string{"patience": "1"}, true, nil, []float64{nan, 0.5, 0.4}, false, ""},
	})
}

// hyperbandNames returns n trial names that fall in bracket b.
func hyperbandNames(budgets []int, b, n int) []string {
	var names []string
	for i := 0; len(names) < n; i++ {
		if name := "h" + strconv.Itoa(i); bracketOf(name, budgets) == b {
			names = append(names, name)
		}
	}
	return names
}

func TestHyperbandPrunerBrackets(t *testing.T) {
	h := &hyperbandPruner{minResource: 1, rf: 3}
	for _, c := range []struct {
		min, max, rf int
		want         []int
	}{
		{1, 9, 3, []int{9, 5, 3}},
		{1, 8, 3, []int{3, 2}},
		{1, 243, 3, []int{243, 98, 41, 18, 9, 6}}, // Optuna's floating-point logarithm drops a bracket here
		{2, 5, 2, []int{2, 2}},
		{3, 2, 3, nil},
		{1, 1, 3, []int{1}},
	} {
		h.minResource, h.rf = c.min, c.rf
		if got := h.brackets(c.max); !slices.Equal(got, c.want) {
			t.Errorf("min %d max %d rf %d: brackets %v, want %v", c.min, c.max, c.rf, got, c.want)
		}
	}

	budgets := []int{9, 5, 3}
	shares := make([]int, 3)
	for i := 0; i < 17000; i++ {
		shares[bracketOf(fmt.Sprintf("exp-%d", i), budgets)]++
	}
	for b, n := range shares {
		if want := budgets[b] * 1000; math.Abs(float64(n-want)) > 0.1*float64(want) {
			t.Errorf("bracket %d got %d of 17000 names, want about %d", b, n, want)
		}
	}

	settings := map[string]string{"min_resource": "1", "max_resource": "9", "reduction_factor": "3"}
	b0, b1 := hyperbandNames(budgets, 0, 3), hyperbandNames(budgets, 1, 3)
	history := []Trial{
		trialOf(b1[0], StateSucceeded, 0.5, 0.6, 0.70),
		trialOf(b1[1], StateRunning, 0.4, 0.5, 0.65),
		trialOf(b0[0], StateSucceeded, 0.9, 0.95, 0.99),
		trialOf(b0[1], StateEarlyStopped, 0.2),
	}
	for _, c := range []struct {
		name    string
		reports []float64
		stop    bool
		reason  string
	}{
		{b1[2], []float64{0.1}, false, ""}, // bracket 1's first rung is at step 3
		{b1[2], []float64{0.1, 0.1, 0.66}, true,
			"accuracy 0.66 at step 3 is below the top third (0.7) of 3 trials in its bracket at that rung (hyperband, bracket 1 of 3)"},
		{b1[2], []float64{0.1, 0.1, 0.71}, false, "(hyperband, bracket 1 of 3)"}, // b0[0]'s 0.99 is in another bracket
		{b0[2], []float64{0.85}, true,
			"accuracy 0.85 at step 1 is below the top third (0.9) of 3 trials in its bracket at that rung (hyperband, bracket 0 of 3)"},
	} {
		p := newPruner(t, "hyperband", true, settings)
		stop, reason := p.ShouldStop(trialOf(c.name, StateRunning, c.reports...), history)
		if stop != c.stop || (c.stop && reason != c.reason) || !strings.Contains(reason, c.reason) {
			t.Errorf("%s %v: stop=%v %q, want %v %q", c.name, c.reports, stop, reason, c.stop, c.reason)
		}
	}

	// Without max_resource nothing is judged until a trial has succeeded; then its steps are
	// the maximum resource.
	auto := map[string]string{"min_resource": "1"}
	running := []Trial{trialOf(b0[0], StateRunning, 0.9, 0.95, 0.99)}
	if stop, why := newPruner(t, "hyperband", true, auto).ShouldStop(trialOf(b0[2], StateRunning, 0.1), running); stop || why != "" {
		t.Errorf("judged before any trial succeeded: %v %q", stop, why)
	}
	nine := []Trial{trialOf(b0[0], StateSucceeded, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9)}
	if stop, why := newPruner(t, "hyperband", true, auto).ShouldStop(trialOf(b0[2], StateRunning, 0.1), nine); !stop || !strings.Contains(why, "bracket 0 of 3") {
		t.Errorf("with a 9-step trial succeeded: %v %q", stop, why)
	}
}

func TestPrunerSettingsValidation(t *testing.T) {
	path := field.NewPath("spec", "earlyStopping")
	cases := []struct {
		algorithm string
		settings  map[string]string
		want      []string // one per error, in order
	}{
		{"asha", map[string]string{"min_resource": "1", "reduction_factor": "3", "min_early_stopping_rate": "0"}, nil},
		{"asha", map[string]string{"reduction_factor": "1"}, []string{
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "1": reduction_factor must be at least 2`}},
		{"asha", map[string]string{"min_resource": "one", "min_early_stopping_rate": "-1"}, []string{
			`spec.earlyStopping.algorithmSettings[1].value: Invalid value: "one": min_resource must be an integer`,
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "-1": min_early_stopping_rate must be at least 0`}},
		{"asha", map[string]string{"eta": "3"}, []string{
			`spec.earlyStopping.algorithmSettings[0].name: Unsupported value: "eta": supported values: "min_early_stopping_rate", "min_resource", "reduction_factor"`}},
		{"percentile", map[string]string{"percentile": "12.5", "start_step": "1", "min_trials_required": "1"}, nil},
		{"percentile", map[string]string{"percentile": "100"}, []string{
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "100": percentile must be greater than 0 and less than 100`}},
		{"percentile", map[string]string{"percentile": "0", "start_step": "0"}, []string{
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "0": percentile must be greater than 0 and less than 100`,
			`spec.earlyStopping.algorithmSettings[1].value: Invalid value: "0": start_step must be at least 1`}},
		{"percentile", map[string]string{"percentile": "top"}, []string{
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "top": percentile must be a number`}},
		{"hyperband", map[string]string{"min_resource": "1", "max_resource": "27", "reduction_factor": "3"}, nil},
		{"hyperband", map[string]string{"min_resource": "3", "max_resource": "2"}, []string{
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "2": max_resource must be at least min_resource (3)`}},
		{"hyperband", map[string]string{"max_resource": "0", "reduction_factor": "1.5"}, []string{
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "0": max_resource must be at least 1`,
			`spec.earlyStopping.algorithmSettings[1].value: Invalid value: "1.5": reduction_factor must be an integer`}},
		{"threshold", map[string]string{"lower": "0.1"}, nil},
		{"threshold", map[string]string{"start_step": "2"}, []string{
			`spec.earlyStopping.algorithmSettings: Required value: set lower, upper or both: a trial is stopped when its value goes below lower or above upper`}},
		{"threshold", map[string]string{"lower": "1", "upper": "0"}, []string{
			`spec.earlyStopping.algorithmSettings[1].value: Invalid value: "0": upper must not be less than lower (1)`}},
		{"threshold", map[string]string{"lower": "NaN"}, []string{
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "NaN": lower must be a number`}},
		{"patience", map[string]string{"patience": "0", "min_delta": "0.001"}, nil},
		{"patience", map[string]string{"min_delta": "0.1"}, []string{
			`spec.earlyStopping.algorithmSettings: Required value: patience must be set: how many values in a row a trial may report that are worse than its earlier best before it is stopped`}},
		{"patience", map[string]string{"patience": "-1", "min_delta": "-0.1"}, []string{
			`spec.earlyStopping.algorithmSettings[1].value: Invalid value: "-1": patience must be at least 0`,
			`spec.earlyStopping.algorithmSettings[0].value: Invalid value: "-0.1": min_delta must not be negative`}},
	}
	for _, c := range cases {
		spec := pruneSpec(c.algorithm, true, c.settings)
		errs := ValidateEarlyStoppingSettings(spec, path)
		var got []string
		for _, e := range errs {
			got = append(got, e.Error())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %v:\n got %q\nwant %q", c.algorithm, c.settings, got, c.want)
		}
		// The run refuses what validation refuses.
		if _, err := NewEarlyStopper(spec); (err != nil) != (len(c.want) > 0) {
			t.Errorf("%s %v: NewEarlyStopper error %v, validation %q", c.algorithm, c.settings, err, got)
		}
	}
}

// optunaScenario is one pruner run on a fixed set of learning curves. Trials report their
// steps in the order of events, as trials running side by side would; a trial's later events
// are dropped once it is pruned.
type optunaScenario struct {
	Pruner    string            `json:"pruner"`
	Settings  map[string]string `json:"settings"`
	Direction string            `json:"direction"`
	Study     string            `json:"study"`
	Curves    [][]float64       `json:"curves"`
	Events    [][2]int          `json:"events"` // trial index, step from 1
}

// decision is what a pruner said when trial Trial reported step Step.
type decision struct {
	Trial, Step int
	Stop        bool
}

// learningCurves draws n curves of the given steps that rise to a trial's own level at its own
// speed, with noise enough to make them dip, rounded as trainers print them; and a schedule in
// which trials start one after another and report at their own pace.
func learningCurves(seed uint64, n, steps int, maximize bool) ([][]float64, [][2]int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	curves := make([][]float64, n)
	type event struct {
		at          float64
		trial, step int
	}
	var events []event
	start := 0.0
	for i := range curves {
		level, speed, pace := 0.3+0.65*rng.Float64(), 0.2+1.3*rng.Float64(), 0.5+1.5*rng.Float64()
		for s := 1; s <= steps; s++ {
			v := level*(1-math.Exp(-speed*float64(s))) + 0.015*rng.NormFloat64()
			if !maximize {
				v = 1 - v
			}
			curves[i] = append(curves[i], math.Round(v*1e4)/1e4)
			events = append(events, event{start + pace*float64(s), i, s})
		}
		start += 0.5 + rng.Float64()
	}
	sort.Slice(events, func(a, b int) bool {
		if events[a].at != events[b].at {
			return events[a].at < events[b].at
		}
		return events[a].trial < events[b].trial
	})
	order := make([][2]int, len(events))
	for k, e := range events {
		order[k] = [2]int{e.trial, e.step}
	}
	return curves, order
}

// replay runs a scenario through our pruner the way the runner asks it: at every report, with
// the history of every trial as it stands.
func replay(t *testing.T, sc optunaScenario) []decision {
	t.Helper()
	p := newPruner(t, sc.Pruner, sc.Direction == "maximize", sc.Settings)
	history := make([]Trial, len(sc.Curves))
	for i := range history {
		history[i] = Trial{Name: fmt.Sprintf("%s_%d", sc.Study, i), State: StateRunning}
	}
	var out []decision
	for _, e := range sc.Events {
		i, step := e[0], e[1]
		if history[i].State.Finished() {
			continue
		}
		history[i].Reports = sc.Curves[i][:step]
		stop, reason := p.ShouldStop(history[i], history)
		if stop && reason == "" {
			t.Errorf("%s: trial %d stopped at step %d without a reason", sc.Pruner, i, step)
		}
		out = append(out, decision{i, step, stop})
		if stop {
			history[i].State = StateEarlyStopped
		} else if step == len(sc.Curves[i]) {
			history[i].State = StateSucceeded
		}
	}
	return out
}

// optunaPeer is the same replay through Optuna's pruners, with our settings mapped onto
// Optuna's arguments. Steps are reported from 1, as ours count, so that Optuna's rungs and
// warm-up steps fall where ours do.
const optunaPeer = `
import json, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.trial import TrialState
optuna.logging.set_verbosity(optuna.logging.ERROR)
P = optuna.pruners

def make(name, s):
    i = lambda k: int(s[k])
    f = lambda k: float(s[k]) if k in s else None
    if name == "asha":
        return P.SuccessiveHalvingPruner(min_resource=i("min_resource"), reduction_factor=i("reduction_factor"),
                                         min_early_stopping_rate=i("min_early_stopping_rate"))
    if name == "hyperband":
        return P.HyperbandPruner(min_resource=i("min_resource"), max_resource=i("max_resource"),
                                 reduction_factor=i("reduction_factor"))
    if name == "percentile":
        m = i("min_trials_required")
        return P.PercentilePruner(f("percentile"), n_startup_trials=m, n_warmup_steps=i("start_step"),
                                  interval_steps=1, n_min_trials=m)
    if name == "patience":
        return P.PatientPruner(None, patience=i("patience"), min_delta=f("min_delta"))
    if name == "threshold":
        return P.ThresholdPruner(lower=f("lower"), upper=f("upper"), n_warmup_steps=i("start_step"))
    raise ValueError(name)

results = []
for sc in json.load(sys.stdin):
    study = optuna.create_study(study_name=sc["study"], direction=sc["direction"],
                                pruner=make(sc["pruner"], sc["settings"]))
    trials = [study.ask() for _ in sc["curves"]]
    done, out = set(), []
    for i, step in sc["events"]:
        if i in done:
            continue
        t, v = trials[i], sc["curves"][i][step - 1]
        t.report(v, step)
        stop = bool(t.should_prune())
        out.append({"Trial": i, "Step": step, "Stop": stop})
        if stop:
            study.tell(t, state=TrialState.PRUNED)
            done.add(i)
        elif step == len(sc["curves"][i]):
            study.tell(t, v)
            done.add(i)
    results.append(out)
json.dump(results, sys.stdout)
`

// The pruners that follow Optuna make Optuna's decisions, one by one, on the same learning
// curves reported in the same order. Optuna 3.1 comes from Debian's python3-optuna; without it
// the test is skipped, unless KATIB_REQUIRE_PYTHON=1 asks for it to fail.
func TestPrunersMatchOptuna(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import optuna").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("%s cannot import optuna (install python3-optuna to compare with Optuna): %v %s", python, err, bytes.TrimSpace(out))
		if os.Getenv("KATIB_REQUIRE_PYTHON") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var scenarios []optunaScenario
	add := func(pruner string, maximize bool, seed uint64, n, steps int, settings map[string]string) {
		dir := "minimize"
		if maximize {
			dir = "maximize"
		}
		curves, events := learningCurves(seed, n, steps, maximize)
		scenarios = append(scenarios, optunaScenario{pruner, settings, dir, fmt.Sprintf("study%d", len(scenarios)), curves, events})
	}
	add("asha", true, 1, 30, 9, map[string]string{"min_resource": "1", "reduction_factor": "3", "min_early_stopping_rate": "0"})
	add("asha", false, 2, 30, 9, map[string]string{"min_resource": "1", "reduction_factor": "2", "min_early_stopping_rate": "1"})
	add("asha", true, 3, 25, 12, map[string]string{"min_resource": "2", "reduction_factor": "3", "min_early_stopping_rate": "0"})
	add("asha", true, 4, 40, 16, map[string]string{"min_resource": "1", "reduction_factor": "4", "min_early_stopping_rate": "0"})
	add("hyperband", true, 5, 40, 9, map[string]string{"min_resource": "1", "max_resource": "9", "reduction_factor": "3"})
	add("hyperband", false, 6, 40, 8, map[string]string{"min_resource": "1", "max_resource": "8", "reduction_factor": "2"})
	add("percentile", true, 7, 25, 9, map[string]string{"percentile": "25", "start_step": "4", "min_trials_required": "3"})
	add("percentile", false, 8, 25, 9, map[string]string{"percentile": "50", "start_step": "2", "min_trials_required": "2"})
	add("percentile", true, 9, 25, 9, map[string]string{"percentile": "62.5", "start_step": "1", "min_trials_required": "1"})
	add("patience", true, 10, 20, 12, map[string]string{"patience": "2", "min_delta": "0"})
	add("patience", false, 11, 20, 12, map[string]string{"patience": "1", "min_delta": "0.005"})
	add("threshold", true, 12, 20, 9, map[string]string{"lower": "0.3", "start_step": "2"})
	add("threshold", false, 13, 20, 9, map[string]string{"lower": "0.1", "upper": "0.6", "start_step": "1"})

	in, err := json.Marshal(scenarios)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", optunaPeer)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("optuna: %v\n%s", err, stderr.String())
	}
	var want [][]decision
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("optuna output: %v\n%s", err, out)
	}
	for k, sc := range scenarios {
		got := replay(t, sc)
		stopped := 0
		for _, d := range got {
			if d.Stop {
				stopped++
			}
		}
		t.Logf("%s %s %v: %d reports, %d of %d trials pruned", sc.Pruner, sc.Direction, sc.Settings, len(got), stopped, len(sc.Curves))
		if stopped == 0 || stopped == len(sc.Curves) {
			t.Errorf("%s %v: %d of %d trials pruned; the scenario decides nothing", sc.Pruner, sc.Settings, stopped, len(sc.Curves))
		}
		for j := 0; j < max(len(got), len(want[k])); j++ {
			if j >= len(got) || j >= len(want[k]) || got[j] != want[k][j] {
				var g, w any = "nothing", "nothing"
				if j < len(got) {
					g = got[j]
				}
				if j < len(want[k]) {
					w = want[k][j]
				}
				t.Errorf("%s %s %v: decision %d: ours %+v, Optuna's %+v", sc.Pruner, sc.Direction, sc.Settings, j, g, w)
				break
			}
		}
	}
}

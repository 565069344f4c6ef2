package suggest

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

var zdtObjectives = []experiment.Objective{
	{MetricName: "f1", Type: experiment.ObjectiveTypeMinimize},
	{MetricName: "f2", Type: experiment.ObjectiveTypeMinimize},
}

func zdtSpec(algorithm string, dims int, settings map[string]string) *experiment.ExperimentSpec {
	var params []experiment.ParameterSpec
	for i := 0; i < dims; i++ {
		params = append(params, dbl(fmt.Sprintf("x%02d", i), "0", "1", ""))
	}
	spec := testSpec(algorithm, settings, params...)
	spec.Objective.ObjectiveMetricName = "f1"
	spec.Objective.AdditionalMetricNames = []string{"f2"}
	return spec
}

// zdt1 is Zitzler, Deb and Thiele's first test problem: a convex front f2 = 1 - sqrt(f1)
// reached where every variable but the first is 0.
func zdt1(as []experiment.ParameterAssignment) []float64 {
	x := make([]float64, len(as))
	for i, a := range as {
		x[i], _ = strconv.ParseFloat(a.Value, 64)
	}
	g := 0.0
	for _, v := range x[1:] {
		g += v
	}
	g = 1 + 9*g/float64(len(x)-1)
	return []float64{x[0], g * (1 - math.Sqrt(x[0]/g))}
}

// multiStudy runs n trials, batch at a time (each batch finished before the next ask);
// failEvery > 0 fails every failEvery-th trial.
func multiStudy(t *testing.T, spec *experiment.ExperimentSpec, history []Trial, n, batch, failEvery int) []Trial {
	t.Helper()
	alg, err := NewForObjectives(spec, zdtObjectives)
	if err != nil {
		t.Fatal(err)
	}
	for len(history) < n {
		sugs, err := alg.Suggest(history, min(batch, n-len(history)))
		if err != nil || len(sugs) == 0 {
			t.Fatalf("after %d trials: %d suggestions, %v", len(history), len(sugs), err)
		}
		for _, s := range sugs {
			tr := Trial{Name: fmt.Sprintf("t%d", len(history)), Assignments: s.Assignments, Labels: s.Labels, State: StateSucceeded}
			if failEvery > 0 && len(history)%failEvery == failEvery-1 {
				tr.State = StateFailed
			} else {
				f := zdt1(s.Assignments)
				tr.Objective, tr.Objectives = &f[0], f
			}
			history = append(history, tr)
		}
	}
	return history
}

func frontHypervolume(h []Trial, ref []float64) float64 {
	var pts [][]float64
	for _, t := range h {
		if t.State == StateSucceeded && len(t.Objectives) == 2 {
			pts = append(pts, t.Objectives)
		}
	}
	return Hypervolume(pts, ref)
}

func TestDominanceAndNonDominatedSort(t *testing.T) {
	if !Dominates([]float64{1, 2}, []float64{1, 3}) || Dominates([]float64{1, 3}, []float64{1, 3}) || Dominates([]float64{0, 4}, []float64{1, 3}) {
		t.Fatal("Dominates")
	}
	points := [][]float64{
		{1, 5}, // 0: front 0
		{2, 2}, // 1: front 0
		{3, 3}, // 2: dominated by 1 -> front 1
		{5, 1}, // 3: front 0
		{4, 4}, // 4: dominated by 1 and 2 -> front 2
		{2, 2}, // 5: equal to 1 -> front 0
		{6, 6}, // 6: front 3
		{5, 2}, // 7: dominated by 3 -> front 1
	}
	want := [][]int{{0, 1, 3, 5}, {2, 7}, {4}, {6}}
	if got := NonDominatedSort(points); !reflect.DeepEqual(got, want) {
		t.Fatalf("fronts %v, want %v", got, want)
	}
	if got := ParetoFront(points); !reflect.DeepEqual(got, want[0]) {
		t.Fatalf("ParetoFront %v, want %v", got, want[0])
	}
	// Maximised objectives are negated before any comparison.
	l, ok := Losses([]float64{0.9, 12}, []experiment.Objective{{MetricName: "acc", Type: experiment.ObjectiveTypeMaximize}, {MetricName: "ms", Type: experiment.ObjectiveTypeMinimize}})
	if !ok || !reflect.DeepEqual(l, []float64{-0.9, 12}) {
		t.Fatalf("Losses %v %v", l, ok)
	}
	if _, ok := Losses([]float64{math.NaN(), 1}, zdtObjectives); ok {
		t.Fatal("NaN accepted")
	}
	if _, ok := Losses([]float64{1}, zdtObjectives); ok {
		t.Fatal("a missing value accepted")
	}
}

func TestCrowdingDistance(t *testing.T) {
	points := [][]float64{{0, 4}, {1, 2}, {3, 1}, {4, 0}}
	d := CrowdingDistance(points, []int{0, 1, 2, 3})
	// Inner points: (3-0)/4 + (4-1)/4 = 1.5 for point 1; (4-1)/4 + (2-0)/4 = 1.25 for point 2.
	if !math.IsInf(d[0], 1) || !math.IsInf(d[3], 1) || math.Abs(d[1]-1.5) > 1e-12 || math.Abs(d[2]-1.25) > 1e-12 {
		t.Fatalf("crowding distances %v", d)
	}
	same := CrowdingDistance([][]float64{{1, 1}, {1, 1}, {1, 1}}, []int{0, 1, 2})
	for _, v := range same {
		if v != 0 {
			t.Fatalf("equal points get %v", same)
		}
	}
}

func TestHypervolume(t *testing.T) {
	cases := []struct {
		points [][]float64
		ref    []float64
		want   float64
	}{
		// Staircase (1,3), (2,2), (3,1) under (4,4): 1*1 + 1*2 + 1*3.
		{[][]float64{{1, 3}, {2, 2}, {3, 1}}, []float64{4, 4}, 6},
		// A dominated point, a duplicate and a point beyond the reference add nothing.
		{[][]float64{{3, 3}, {1, 3}, {2, 2}, {2, 2}, {3, 1}, {5, 0}, {0, 4}}, []float64{4, 4}, 6},
		{nil, []float64{4, 4}, 0},
		{[][]float64{{0.5}}, []float64{2}, 1.5},
		// Two boxes in 3-D: 2 + 4 - 1 (their overlap).
		{[][]float64{{0, 1, 1}, {1, 0, 0}}, []float64{2, 2, 2}, 5},
		{[][]float64{{1, 1, 1}, {1.5, 1.5, 1.5}}, []float64{2, 2, 2}, 1},
		// The exact front of ZDT1 sampled at 3 points, against (1.1, 11): rectangles
		// between them.
		{[][]float64{{0, 1}, {0.25, 0.5}, {1, 0}}, []float64{1.1, 11}, 0.25*10 + 0.75*10.5 + 0.1*11},
	}
	for i, c := range cases {
		if got := Hypervolume(c.points, c.ref); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("case %d: hypervolume %v, want %v", i, got, c.want)
		}
	}
}

func TestNSGA2SettingsValidation(t *testing.T) {
	cases := []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{"population_size": "1"}, "population_size must be at least 2"},
		{map[string]string{"crossover_prob": "1.5"}, "crossover_prob must be in [0, 1]"},
		{map[string]string{"mutation_prob": "-0.1"}, "mutation_prob must be in [0, 1]"},
		{map[string]string{"swapping_prob": "x"}, "swapping_prob must be a number"},
		{map[string]string{"seed": "1", "random_state": "1"}, "give the seed once"},
		{map[string]string{"seed": "-3"}, "seed must be a non-negative integer"},
		{map[string]string{"crossover": "sbx"}, `Unsupported value: "crossover"`},
	}
	for _, c := range cases {
		errs := ValidateSettings(zdtSpec("nsga2", 3, c.settings), nil)
		if !strings.Contains(errs.ToAggregate().Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.settings, errs, c.want)
		}
	}
	ok := map[string]string{"population_size": "10", "mutation_prob": "0.2", "crossover_prob": "0.8", "swapping_prob": "0.3", "seed": "4"}
	if errs := ValidateSettings(zdtSpec("nsga2", 3, ok), nil); len(errs) != 0 {
		t.Fatal(errs)
	}
}

func TestNSGA2DeterministicAndResumes(t *testing.T) {
	spec := zdtSpec("nsga2", 5, map[string]string{"population_size": "8", "seed": "7"})
	for _, batch := range []int{1, 3} {
		a := multiStudy(t, spec, nil, 48, batch, 5)
		b := multiStudy(t, spec, nil, 48, batch, 5)
		if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(b)) {
			t.Fatalf("batch %d: two runs with the same seed differ", batch)
		}
		// A new algorithm given the history so far continues exactly like the first: nothing
		// of the search lives outside the history. (The cuts fall between batches, where a
		// resumed run asks again.)
		for _, cut := range []int{6, 21, 33} {
			resumed := multiStudy(t, spec, multiStudy(t, spec, nil, cut, batch, 5), 48, batch, 5)
			if !reflect.DeepEqual(assignmentsOf(a), assignmentsOf(resumed)) {
				t.Fatalf("batch %d: resumed after %d trials, the run differs", batch, cut)
			}
		}
		other := multiStudy(t, zdtSpec("nsga2", 5, map[string]string{"population_size": "8", "seed": "8"}), nil, 48, batch, 5)
		if reflect.DeepEqual(assignmentsOf(a), assignmentsOf(other)) {
			t.Fatal("another seed gives the same trials")
		}
	}
}

func TestNSGA2Generations(t *testing.T) {
	spec := zdtSpec("nsga2", 4, map[string]string{"population_size": "4", "seed": "1"})
	// One trial at a time, every fifth failing: a generation closes once it has 4 succeeded
	// trials, so a failure makes it longer than 4.
	h := multiStudy(t, spec, nil, 20, 1, 5)
	var gens []string
	for _, tr := range h {
		gens = append(gens, tr.Labels[GenerationLabel])
	}
	// Trials 4, 9, 14 and 19 fail: each is the first of its generation, which then takes the
	// next four as well.
	want := strings.Split("0 0 0 0 1 1 1 1 1 2 2 2 2 2 3 3 3 3 3 4", " ")
	if !reflect.DeepEqual(gens, want) {
		t.Fatalf("generations %v, want %v", gens, want)
	}
	// Three at a time: a batch asked before a generation fills all belongs to it.
	h = multiStudy(t, spec, nil, 12, 3, 0)
	gens = gens[:0]
	for _, tr := range h {
		gens = append(gens, tr.Labels[GenerationLabel])
	}
	want = strings.Split("0 0 0 0 0 0 1 1 1 1 1 1", " ")
	if !reflect.DeepEqual(gens, want) {
		t.Fatalf("parallel generations %v, want %v", gens, want)
	}
	// Children after generation 0 take their values from the parents, apart from mutations:
	// most of a child's values appear among the earlier trials'.
	parentValues := map[string]bool{}
	for _, tr := range h[:6] {
		for _, a := range tr.Assignments {
			parentValues[a.Value] = true
		}
	}
	inherited, total := 0, 0
	for _, tr := range h[6:] {
		for _, a := range tr.Assignments {
			total++
			if parentValues[a.Value] {
				inherited++
			}
		}
	}
	if inherited*2 < total {
		t.Fatalf("only %d of %d values of generation 1 come from its parents", inherited, total)
	}
}

func TestNSGA2BeatsRandomOnZDT1(t *testing.T) {
	ref := []float64{1.1, 11}
	better := 0
	for seed := 1; seed <= 3; seed++ {
		s := map[string]string{"population_size": "20", "seed": strconv.Itoa(seed)}
		n := frontHypervolume(multiStudy(t, zdtSpec("nsga2", 10, s), nil, 160, 4, 0), ref)
		r := frontHypervolume(multiStudy(t, zdtSpec("random", 10, map[string]string{"random_state": strconv.Itoa(seed)}), nil, 160, 4, 0), ref)
		t.Logf("seed %d: nsga2 %.3f random %.3f", seed, n, r)
		if n > r {
			better++
		}
	}
	if better < 3 {
		t.Fatalf("nsga2 beat random on %d of 3 seeds", better)
	}
}

func TestMultiObjectiveAlgorithms(t *testing.T) {
	want := []string{"grid", "nsga2", "random", "sobol"}
	if got := MultiObjectiveNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("MultiObjectiveNames %v, want %v", got, want)
	}
	if _, err := NewForObjectives(zdtSpec("tpe", 3, nil), zdtObjectives); err == nil || !strings.Contains(err.Error(), "single objective") {
		t.Fatalf("tpe with two objectives: %v", err)
	}
	// nsga2 also runs a single objective, as Optuna's sampler does.
	spec := zdtSpec("nsga2", 3, map[string]string{"population_size": "4", "seed": "2"})
	h := study(t, spec, nil, 12, 2)
	if h[11].Labels[GenerationLabel] != "2" {
		t.Fatalf("single objective generations: %v", h[11].Labels)
	}
}

package suggest

import (
	"math"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func hedgeSpec(seed string, extra map[string]string) *experiment.ExperimentSpec {
	settings := map[string]string{"acq_func": "gp_hedge", "random_state": seed, "n_initial_points": "6"}
	for k, v := range extra {
		settings[k] = v
	}
	return testSpec("bayesianoptimization", settings,
		dbl("lr", "0.0001", "0.1", experiment.DistributionLogUniform),
		dbl("momentum", "0.5", "0.9", ""),
		integer("layers", "1", "8"),
		categorical("optimizer", "sgd", "adam", "rmsprop"))
}

func newHedge(t *testing.T, spec *experiment.ExperimentSpec) *bayesOpt {
	t.Helper()
	alg, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return alg.(*bayesOpt)
}

func TestHedgeSettings(t *testing.T) {
	for _, tc := range []struct {
		settings map[string]string
		ok       bool
	}{
		{map[string]string{"acq_func": "gp_hedge"}, true},
		{map[string]string{"acq_func": "gp_hedge", "eta": "0.5"}, true},
		{map[string]string{"acq_func": "gp_hedge", "eta": "0"}, true}, // every acquisition equally likely
		{map[string]string{"acq_func": "gp_hedge", "eta": "-1"}, false},
		{map[string]string{"acq_func": "gp_hedge", "eta": "x"}, false},
		{map[string]string{"acq_func": "ei", "eta": "2"}, true}, // ignored, as skopt ignores it
	} {
		spec := testSpec("bayesianoptimization", tc.settings, dbl("a", "0", "1", ""))
		errs := ValidateSettings(spec, field.NewPath("spec", "algorithm"))
		if (len(errs) == 0) != tc.ok {
			t.Errorf("%v: %v", tc.settings, errs)
		}
	}
}

// The same history and random_state give the same suggestion, whether the algorithm has
// replayed the earlier asks already (its cache is warm) or not.
func TestHedgeDeterministic(t *testing.T) {
	spec := hedgeSpec("3", nil)
	h := study(t, spec, nil, 24, 1)
	warm := newHedge(t, spec)
	a, err := warm.Suggest(h, 2)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := warm.Suggest(h, 2)
	cold, _ := newHedge(t, spec).Suggest(h, 2)
	if !reflect.DeepEqual(a, again) || !reflect.DeepEqual(a, cold) {
		t.Fatalf("same history, different suggestions:\n%v\n%v\n%v", a, again, cold)
	}
	other, _ := newHedge(t, hedgeSpec("4", nil)).Suggest(h, 2)
	if reflect.DeepEqual(a, other) {
		t.Fatal("random_state 3 and 4 gave the same suggestions")
	}
}

// The proposals an ask caches while the study runs are the ones a rebuilt algorithm replays,
// and they move the gains away from zero.
func TestHedgeReplayMatchesTheAsks(t *testing.T) {
	spec := hedgeSpec("5", nil)
	ran := newHedge(t, spec)
	var h []Trial
	for len(h) < 20 {
		s, err := ran.Suggest(h, 1)
		if err != nil {
			t.Fatal(err)
		}
		y := objective(t, spec, s[0].Assignments)
		h = append(h, Trial{Name: strconv.Itoa(len(h)), Assignments: s[0].Assignments, State: StateSucceeded, Objective: &y})
	}
	fresh := newHedge(t, spec)
	hashes := prefixHashes(h)
	for k := ran.nInitial; k < len(h); k++ {
		cached := ran.proposals[hashes[k]]
		if cached == nil {
			t.Fatalf("ask %d left no proposals", k)
		}
		if got := fresh.replay(h[:k], hashes[k], fresh.seed); !reflect.DeepEqual(got, cached) {
			t.Fatalf("ask %d: replayed %v, the ask proposed %v", k, got, cached)
		}
	}
	obs := fresh.space.observations(h, fresh.sgn)
	gains := fresh.hedgeGains(h, fresh.posterior(h, obs, fresh.seed), fresh.seed)
	if gains[0] == 0 || gains[1] == 0 || gains[2] == 0 || (gains[0] == gains[1] && gains[1] == gains[2]) {
		t.Fatalf("gains %v after %d model-based asks", gains, len(h)-fresh.nInitial)
	}
	t.Logf("gains after 20 trials (ei, lcb, pi): %.3g", gains)
}

// A fresh algorithm given the first part of a study continues it exactly, sequentially and in
// batches (resuming at a batch boundary), with trials still running in the history too.
func TestHedgeResumeEquivalence(t *testing.T) {
	for _, batch := range []int{1, 3} {
		t.Run("batch"+strconv.Itoa(batch), func(t *testing.T) {
			checkDeterministic(t, hedgeSpec("42", nil), 30, batch)
		})
	}
	t.Run("running", func(t *testing.T) {
		spec := hedgeSpec("9", nil)
		h := study(t, spec, nil, 20, 1)
		// Two trials still run: the gains replay only asks whose earlier trials all finished.
		for i := 17; i < 20; i++ {
			h[i].State, h[i].Objective = StateRunning, nil
		}
		alg := newHedge(t, spec)
		for k := 10; k <= 17; k++ { // its cache now holds the asks up to 17
			if _, err := alg.Suggest(h[:k], 1); err != nil {
				t.Fatal(err)
			}
		}
		a, err := alg.Suggest(h, 3)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := newHedge(t, spec).Suggest(h, 3)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("with running trials, fresh and used algorithms differ:\n%v\n%v", a, b)
		}
	})
}

// Every model-based suggestion is the proposal of one of the three acquisitions, and over a
// few studies each of them is chosen.
func TestHedgePicksAmongTheThree(t *testing.T) {
	chosen := map[string]int{}
	for _, seed := range []string{"1", "2", "3", "4"} {
		spec := hedgeSpec(seed, nil)
		h := study(t, spec, nil, 30, 1)
		replayer := newHedge(t, spec)
		hashes := prefixHashes(h)
		for k := replayer.nInitial; k < len(h); k++ {
			props := replayer.replay(h[:k], hashes[k], replayer.seed) // random_state is fixed
			if props == nil {
				t.Fatalf("random_state %s, ask %d: no proposals", seed, k)
			}
			got := assignmentKey(h[k].Assignments)
			var which []string
			for i, u := range props {
				if assignmentKey(replayer.space.decode(u)) == got {
					which = append(which, hedgeAcqs[i])
				}
			}
			if len(which) == 0 {
				t.Fatalf("ask %d suggested %v, none of the proposals %v", k, h[k].Assignments, props)
			}
			if len(which) == 1 {
				chosen[which[0]]++
			}
		}
	}
	t.Logf("asks won alone by each acquisition: %v", chosen)
	for _, acq := range hedgeAcqs {
		if chosen[acq] == 0 {
			t.Errorf("%s was never chosen alone: %v", acq, chosen)
		}
	}
}

// The choice follows softmax(eta·gains): a large eta picks the largest gain, eta 0 is uniform,
// and an acquisition without a proposal is never picked.
func TestHedgePick(t *testing.T) {
	props := [][]float64{{0.1}, {0.2}, {0.3}}
	gains := []float64{-3, -1, -2}
	for _, r := range []float64{1e-9, 0.5, 0.999} { // draws are in [0,1); 0 itself may land in a 1e-87 bucket
		if got := hedgePick(props, gains, 100, r); got[0] != 0.2 {
			t.Errorf("eta 100, r %v: picked %v, want the largest gain's 0.2", r, got)
		}
	}
	w := hedgeProbabilities(props, gains, 0)
	for _, p := range w {
		if math.Abs(p-1.0/3) > 1e-12 {
			t.Errorf("eta 0: probabilities %v, want uniform", w)
		}
	}
	w = hedgeProbabilities(props, gains, 1)
	want := []float64{math.Exp(-2), 1, math.Exp(-1)}
	sum := want[0] + want[1] + want[2]
	for i := range w {
		if math.Abs(w[i]-want[i]/sum) > 1e-12 {
			t.Errorf("eta 1: probabilities %v, want %v", w, want)
		}
	}
	props[1] = nil
	for _, r := range []float64{0, 0.3, 0.6, 0.999999} {
		if got := hedgePick(props, gains, 1, r); got == nil || got[0] == 0.2 {
			t.Errorf("r %v: picked %v with the largest gain's proposal missing", r, got)
		}
	}
	if got := hedgePick([][]float64{nil, nil, nil}, gains, 1, 0.5); got != nil {
		t.Errorf("no proposals, picked %v", got)
	}
}

// A long study stays fast: the hyperparameters are fitted on at most maxFitPoints
// observations, chosen as documented.
func TestFitSubset(t *testing.T) {
	var obs []observation
	for i := 0; i < 3*maxFitPoints; i++ {
		obs = append(obs, observation{index: i, loss: float64((i * 7919) % 1000)})
	}
	sub := fitSubset(obs)
	if len(sub) != maxFitPoints {
		t.Fatalf("%d observations kept, want %d", len(sub), maxFitPoints)
	}
	kept := map[int]bool{}
	for i, o := range sub {
		kept[o.index] = true
		if i > 0 && sub[i-1].index >= o.index {
			t.Fatal("not in history order")
		}
	}
	for i := len(obs) - 1; i >= len(obs)-maxFitPoints/4; i-- {
		if !kept[i] {
			t.Errorf("recent observation %d dropped", i)
		}
	}
	sorted := append([]observation(nil), obs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].loss < sorted[j].loss })
	for _, o := range sorted[:maxFitPoints/2] {
		if !kept[o.index] {
			t.Errorf("observation %d among the best dropped", o.index)
		}
	}
	if got := fitSubset(obs[:maxFitPoints]); len(got) != maxFitPoints {
		t.Errorf("a history at the cap lost points: %d", len(got))
	}
}

// predict solves for blocks of points at once (the hedge's three searches lean on it); each
// point must still get the textbook posterior: mean kᵀK⁻¹y, variance s² − kᵀK⁻¹k, with K⁻¹
// here from Gauss-Jordan elimination, independent of the Cholesky code.
func TestPredictMatchesDirectPosterior(t *testing.T) {
	r := rngFor(1, 2, 3)
	const n, d = 40, 3
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = uniformPoint(r, d)
		y[i] = math.Sin(4*x[i][0]) + x[i][1]*x[i][2]
	}
	g := newGP(x, y)
	g.setTheta([]float64{math.Log(0.3), math.Log(0.5), math.Log(0.8), math.Log(1.5), math.Log(1e-3)})
	s2, nz := math.Exp(g.logS2), math.Exp(g.logNz)
	inv := make([][]float64, n)
	for i := range inv {
		inv[i] = make([]float64, 2*n)
		for j := 0; j < n; j++ {
			inv[i][j] = s2 * kernelUnit(x[i], x[j], g.invLengths())
		}
		inv[i][i] += nz + 1e-9
		inv[i][n+i] = 1
	}
	for c := 0; c < n; c++ {
		p := c
		for i := c + 1; i < n; i++ {
			if math.Abs(inv[i][c]) > math.Abs(inv[p][c]) {
				p = i
			}
		}
		inv[c], inv[p] = inv[p], inv[c]
		for j := 2*n - 1; j >= c; j-- {
			inv[c][j] /= inv[c][c]
		}
		for i := 0; i < n; i++ {
			if i != c {
				f := inv[i][c]
				for j := c; j < 2*n; j++ {
					inv[i][j] -= f * inv[c][j]
				}
			}
		}
	}
	pts := make([][]float64, 2*predictBlock+7) // a partial block at the end
	for i := range pts {
		pts[i] = uniformPoint(r, d)
	}
	mu, sd := g.predict(pts)
	for p, q := range pts {
		k := make([]float64, n)
		for i := range k {
			k[i] = s2 * kernelUnit(x[i], q, g.invLengths())
		}
		m, v := 0.0, s2
		for i := 0; i < n; i++ {
			w := 0.0
			for j := 0; j < n; j++ {
				w += inv[i][n+j] * k[j]
			}
			m += w * g.y[i]
			v -= w * k[i]
		}
		if math.Abs(mu[p]-m) > 1e-6 || math.Abs(sd[p]-math.Sqrt(math.Max(v, 1e-12))) > 1e-6 {
			t.Fatalf("point %d: predict gives (%.9g, %.9g), the direct posterior (%.9g, %.9g)", p, mu[p], sd[p], m, math.Sqrt(math.Max(v, 1e-12)))
		}
	}
}
